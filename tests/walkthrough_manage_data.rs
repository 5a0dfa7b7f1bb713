//! `cargo xtask walkthrough manage-data`, end to end: the verdicts in both modes, checked again
//! with this test's own docker calls on what the walkthrough kept (`--keep`).

mod support;

use serde_json::Value;
use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// Every claim's verdict, pinned from the article and what its exact commands did on a real engine:
/// tests/pinned/manage-data.md, which says where each comes from.
const CLAIMS: &str = include_str!("pinned/manage-data.md");

/// The pinned table plus the one row that depends on this host: the bind-mounted notebook keeps
/// the host's owner and mode (the checkout's, copied into the article's folder), so jovyan
/// (1000:100) may write it without readonly only if those bits let it; the corrected mode makes
/// sure they do.
fn claims() -> &'static str {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(concat!(env!("CARGO_MANIFEST_DIR"), "/../notebooks/computation.ipynb")).expect("the checkout's notebook");
    let (uid, gid, mode) = (meta.uid(), meta.gid(), meta.mode());
    let jovyan_may_write = (uid == 1000 && mode & 0o200 != 0) || (gid == 100 && mode & 0o020 != 0) || mode & 0o002 != 0;
    let literal = if jovyan_may_write { "holds" } else { "erratum" };
    let row = format!("| Bind mounts | without readonly, the container can write the bind-mounted notebook | {literal} | holds |\n");
    Box::leak(format!("{CLAIMS}\n{row}").into_boxed_str())
}

/// Guards for everything a `--keep` run may have left: each section's container (also as renamed
/// on keeping) and volume.
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut guards = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        let container = s["container"].as_str().unwrap();
        let slug = slug(s["name"].as_str().unwrap());
        guards.push(Guard::container(container));
        guards.push(Guard::container(&format!("{container}-{slug}")));
    }
    // A Vec drops its elements first to last: containers go before the volumes they use.
    guards.extend(report["sections"].as_array().unwrap().iter().map(|s| Guard::volume(s["volume"].as_str().unwrap())));
    guards
}

#[test]
fn literal_mode_shows_the_articles_errors_with_their_reasons() {
    let (report, _, _guards) = kept_walkthrough(&["manage-data", "--literal", "--keep"], guards_for);
    assert_eq!(report["mode"], "literal");
    assert_eq!(report["article"], "manage-jupyter-data-docker");
    assert_eq!(report["ok"], true, "every verdict as expected");
    assert_pinned(&report, claims());
    assert_eq!(report["claims"].as_array().unwrap().len(), pinned(claims()).len());

    let permission = claim(&report, "raises PermissionError");
    assert_eq!(permission["holds"], true);
    assert!(permission["evidence"].as_str().unwrap().contains("the cell raised PermissionError: [Errno 13] Permission denied: 'outputs/Motorized-Foot-Scooter-Trips-2020.csv'"));
    for words in ["lands in the container's volume", "a new container mounting it sees the data"] {
        let c = claim(&report, words);
        assert_eq!(c["holds"], false, "{words}");
        assert_eq!(c["expected"], false, "{words}");
        assert!(c["evidence"].as_str().unwrap().contains("/project/outputs"), "{words}: {}", c["evidence"]);
    }

    // Our own look: the named volume the article mounted at /project/outputs holds no CSV and is root's.
    let volume = section(&report, "Named volumes")["volume"].as_str().unwrap();
    let inside = run_ok(&RunSpec::new(IMAGE).rm().mount(Mount::volume(volume, "/o")).command(&["sh", "-c", "ls -A /o | grep -c csv; stat -c %U:%G /o"]));
    let lines: Vec<&str> = inside.lines().collect();
    assert_eq!(&lines[lines.len() - 2..], &["0", "root:root"], "{inside}");
}

#[test]
fn corrected_mode_delivers_every_claim() {
    let (report, _, _guards) = kept_walkthrough(&["manage-data", "--keep"], guards_for);
    assert_eq!(report["mode"], "corrected");
    assert_eq!(report["ok"], true, "every verdict as expected");
    assert_pinned(&report, claims());
    for c in report["claims"].as_array().unwrap() {
        assert_eq!(c["holds"], true, "{}: {}", c["claim"], c["evidence"]);
    }
    assert_eq!(report["claims"].as_array().unwrap().len(), pinned(claims()).len());

    // Our own look: the named volume holds the CSV, owned by jovyan, readable from a fresh container.
    let volume = section(&report, "Named volumes")["volume"].as_str().unwrap();
    let inside = run_ok(&RunSpec::new(IMAGE).rm().mount(Mount::volume(volume, "/o")).command(&["stat", "-c", "%U:%G %s", "/o/Motorized-Foot-Scooter-Trips-2020.csv"]));
    let stat = inside.lines().last().unwrap();
    assert!(stat.starts_with("jovyan:users "), "{stat}");
    assert!(stat.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() > 10_000, "{stat}");

    // The kept bind-mount container: the notebook's mount is read-only.
    let bind = format!("{}-bind-mounts", section(&report, "Bind mounts")["container"].as_str().unwrap());
    let rw = docker_ok(&["inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/work/computation.ipynb\"}}{{.RW}} {{.Type}}{{end}}{{end}}", &bind]);
    assert_eq!(rw, "false bind");
    let refused = docker(&["exec", &bind, "sh", "-c", "echo x >> /work/computation.ipynb"]);
    assert!(!refused.ok() && refused.stderr.contains("Read-only file system"), "{}", text(&refused));
    // And it was made by the project.
    assert_eq!(docker_ok(&["inspect", "--format", "{{index .Config.Labels \"jupyter-docker-xtask.owner\"}}", &bind]), "xtask");
}

#[test]
fn one_section_in_parallel_mode_leaves_nothing() {
    images();
    let (report, out) = walkthrough(&["manage-data", "--section", "bind", "--parallel", "--report", "/dev/null"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report["sections"].as_array().unwrap().len(), 1);
    let s = section(&report, "Bind mounts");
    assert!(is_gone("container", s["container"].as_str().unwrap()));
    assert!(is_gone("volume", s["volume"].as_str().unwrap()));
    // Each command was printed as it ran.
    assert!(String::from_utf8_lossy(&out.stderr).contains("$ docker run -d -v "));
}

#[test]
fn unknown_articles_and_sections_are_one_line_errors() {
    let out = xtask().args(["walkthrough", "no-such-article"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("unknown article") && stderr.contains("manage-data"), "{stderr}");
    let out = xtask().args(["walkthrough", "manage-data", "--section", "nope"]).assert().failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no section \"nope\""));
    let list = xtask().args(["walkthrough", "--list"]).assert().success();
    assert!(String::from_utf8_lossy(&list.get_output().stdout).contains("manage-jupyter-data-docker"));
}

#[test]
fn ctrl_c_mid_walkthrough_leaves_nothing_behind() {
    images();
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let child = std::process::Command::new(bin)
        .args(["walkthrough", "manage-data", "--section", "named"])
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let prefix = format!("custom-jupyter-container-{}-p{pid}", run_id());
    let volume = format!("named-data-volume-{}-p{pid}", run_id());
    let _guards = (Guard::container(&prefix), Guard::volume(&volume));
    // Wait until the walkthrough's container exists, then interrupt it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while is_gone("container", &prefix) {
        assert!(std::time::Instant::now() < deadline, "the walkthrough never started its container");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted: removed container"));
    assert!(is_gone("container", &prefix), "container left");
    assert!(is_gone("volume", &volume), "volume left");
}

