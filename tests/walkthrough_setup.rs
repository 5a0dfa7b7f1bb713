//! `cargo xtask walkthrough setup`, end to end: the literal replay of the article in the sandbox,
//! the corrected pre-load section, and this test's own look at the images it built (`--keep`).

mod support;

use serde_json::Value;
use support::*;

/// Every claim's verdict, pinned from the article and what its exact commands did on a real engine:
/// tests/pinned/setup.md, which says where each comes from.
const CLAIMS: &str = include_str!("pinned/setup.md");

/// Every image a `--keep` run built, and the containers it made (all `--rm`, so normally gone).
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut guards: Vec<Guard> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Guard::container(s["container"].as_str().unwrap()))
        .collect();
    for s in report["sections"].as_array().unwrap() {
        for (_, used) in s["names"].as_object().unwrap() {
            guards.push(Guard::image(used.as_str().unwrap()));
        }
    }
    guards
}

/// `stat` of the notebook in the pre-load image the section built.
fn notebook_owner(report: &Value) -> String {
    let s = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Image with pre-loaded files")
        .unwrap();
    let tag = s["names"]["custom-jupyter-image:preload"].as_str().unwrap();
    let owner = run_ok(&RunSpec::new(tag).rm().command(&[
        "stat",
        "-c",
        "%U:%G",
        "/work/computation.ipynb",
    ]));
    assert_eq!(
        docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.WorkingDir}}",
            tag
        ]),
        "/work",
        "WORKDIR /work"
    );
    owner.lines().last().unwrap().trim().to_string()
}

#[test]
fn literal_mode_replays_the_article_and_checks_what_it_can() {
    images();
    let (report, out) = walkthrough(&["setup", "--literal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (report["article"].as_str(), report["ok"].as_bool()),
        (Some("jupyter-docker-setup-guide"), Some(true))
    );
    assert_eq!(report["mode"], "literal");
    assert_eq!(report["sections"].as_array().unwrap().len(), 4);
    assert_pinned(&report, CLAIMS);
    // Every docker command of the article ran as written, in the sandbox.
    assert_commands_replayed(&report, "jupyter-docker-setup-guide");

    // What only the official images could show is reported, never faked.
    let unchecked: Vec<&Value> = report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["checkable"] == false)
        .collect();
    assert_eq!(unchecked.len(), 5, "{unchecked:?}");
    for c in &unchecked {
        assert_eq!(
            (c["holds"].as_bool(), c["expected"].as_bool()),
            (Some(false), Some(false))
        );
        assert!(
            c["evidence"]
                .as_str()
                .unwrap()
                .starts_with("not checkable here:"),
            "{c}"
        );
    }
    // The pulls ran: the sandbox's engine did not have the images the article pulls.
    assert!(claim(&report, "pulls it first")["evidence"]
        .as_str()
        .unwrap()
        .contains("Unable to find image 'jupyter/datascience-notebook:latest' locally"));
    assert!(claim(&report, "fetches the tag latest")["evidence"]
        .as_str()
        .unwrap()
        .contains("Using default tag: latest"));
    // The evidence is what the engine showed: ids, owners, the refusal, the cache.
    assert!(claim(&report, "shell runs as root")["evidence"]
        .as_str()
        .unwrap()
        .starts_with("id -u: 0, id -g: 0"));
    assert!(claim(&report, "needs --allow-root")["evidence"]
        .as_str()
        .unwrap()
        .contains("--allow-root"));
    assert!(claim(&report, "reuses the cached")["evidence"]
        .as_str()
        .unwrap()
        .contains("RUN steps came from the build cache"));
    // Token auth on every server the article starts, and every --rm container gone.
    let all = report["claims"].as_array().unwrap();
    assert_eq!(
        all.iter()
            .filter(|c| c["claim"]
                .as_str()
                .unwrap()
                .starts_with("token authentication is on")
                && c["holds"] == true)
            .count(),
        4
    );
    assert_eq!(
        all.iter()
            .filter(|c| c["claim"]
                .as_str()
                .unwrap()
                .starts_with("a `--rm` container is gone")
                && c["holds"] == true)
            .count(),
        4
    );
    // The erratum: the root-owned COPY leaves the notebook read-only for jovyan, as the sandbox showed.
    let erratum = claim(&report, "the notebook user can save");
    assert_eq!(
        (erratum["holds"].as_bool(), erratum["expected"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(
        erratum["evidence"]
            .as_str()
            .unwrap()
            .contains("not writable"),
        "{erratum}"
    );
    // No token in the report.
    assert!(!regex::Regex::new(r"token=[0-9a-f]{32}")
        .unwrap()
        .is_match(&report.to_string()));
}

#[test]
fn corrected_pre_load_gives_the_notebook_to_jovyan() {
    let (report, _, _guards) =
        kept_walkthrough(&["setup", "--keep", "--section", "image with"], guards_for);
    assert_eq!(report["mode"], "corrected");
    assert_eq!(report["ok"], true);
    assert_pinned(&report, CLAIMS);
    assert_eq!(claim(&report, "the notebook user can save")["holds"], true);
    assert_eq!(notebook_owner(&report), "jovyan:users");
}
