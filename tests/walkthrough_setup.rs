//! `cargo xtask walkthrough setup`, end to end: the literal run of every section, the corrected
//! pre-load section, and this test's own look at the images the walkthrough built (`--keep`).

mod support;

use serde_json::Value;
use support::*;

/// Every image a `--keep` run built, and the containers it made (all `--rm`, so normally gone).
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut guards: Vec<Guard> = report["sections"].as_array().unwrap().iter().map(|s| Guard::container(s["container"].as_str().unwrap())).collect();
    for s in report["sections"].as_array().unwrap() {
        for (_, used) in s["names"].as_object().unwrap() {
            guards.push(Guard::image(used.as_str().unwrap()));
        }
    }
    guards
}

/// `stat` of the notebook in the pre-load image the section built.
fn notebook_owner(report: &Value) -> String {
    let s = report["sections"].as_array().unwrap().iter().find(|s| s["name"] == "Image with pre-loaded files").unwrap();
    let tag = s["names"]["custom-jupyter-image:preload"].as_str().unwrap();
    let mut args = vec!["run", "--rm"];
    let labels = labels();
    args.extend(labels.iter().map(String::as_str));
    args.extend([tag, "stat", "-c", "%U:%G", "/work/computation.ipynb"]);
    docker_ok(&args).lines().last().unwrap().trim().to_string()
}

#[test]
fn literal_mode_checks_what_it_can_and_says_what_it_cannot() {
    images();
    let (report, out) = walkthrough(&["setup", "--keep", "--literal"]);
    let _guards = guards_for(&report);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((report["article"].as_str(), report["ok"].as_bool()), (Some("jupyter-docker-setup-guide"), Some(true)));
    assert_eq!(report["sections"].as_array().unwrap().len(), 4);

    // What only the official images could show is reported, never faked.
    let unchecked: Vec<&Value> = report["claims"].as_array().unwrap().iter().filter(|c| c["checkable"] == false).collect();
    assert!(unchecked.len() >= 4, "{unchecked:?}");
    for c in &unchecked {
        assert_eq!((c["holds"].as_bool(), c["expected"].as_bool()), (Some(false), Some(false)));
        assert!(c["evidence"].as_str().unwrap().starts_with("not checkable here:"), "{c}");
    }
    assert_eq!(claim(&report, "`conda list` already lists")["checkable"], false);

    for words in ["shell runs as root", "needs --allow-root", "stacks container runs as jovyan", "geopandas imports", "reuses the cached package layers", "serves from it"] {
        assert_eq!(claim(&report, words)["holds"], true, "{words}: {}", claim(&report, words)["evidence"]);
    }
    // Token auth on every server the article starts, and every --rm container gone.
    let all = report["claims"].as_array().unwrap();
    assert_eq!(all.iter().filter(|c| c["claim"].as_str().unwrap().starts_with("token authentication is on") && c["holds"] == true).count(), 4);
    assert_eq!(all.iter().filter(|c| c["claim"].as_str().unwrap().starts_with("a `--rm` container is gone") && c["holds"] == true).count(), 4);
    for s in report["sections"].as_array().unwrap() {
        assert!(docker(&["container", "inspect", s["container"].as_str().unwrap()]).status.code() != Some(0));
    }
    let erratum = claim(&report, "the notebook user can save");
    assert_eq!((erratum["holds"].as_bool(), erratum["expected"].as_bool()), (Some(false), Some(false)));
    // Our own look: the pre-load image's notebook is root's.
    assert_eq!(notebook_owner(&report), "root:root");
}

#[test]
fn corrected_pre_load_gives_the_notebook_to_jovyan() {
    images();
    let (report, out) = walkthrough(&["setup", "--keep", "--section", "image with"]);
    let _guards = guards_for(&report);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report["mode"], "corrected");
    assert_eq!(claim(&report, "the notebook user can save")["holds"], true);
    assert_eq!(notebook_owner(&report), "jovyan:users");
}
