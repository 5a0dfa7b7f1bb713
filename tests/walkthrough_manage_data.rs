//! `cargo xtask walkthrough manage-data`, end to end: the literal mode (the article replayed from
//! its Markdown in the sandbox, its claims checked at their steps) and the corrected mode, whose
//! verdicts this test checks again with its own docker calls on what the walkthrough kept (`--keep`).

mod support;

use serde_json::Value;
use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

// The literal mode's test and the parallel section's, in files of their own (the binary is still
// `walkthrough_manage_data`).
#[path = "walkthrough_manage_data/literal.rs"]
mod literal;
#[path = "walkthrough_manage_data/parallel.rs"]
mod parallel;

/// How many claims the corrected mode makes: the rows of manage_data/claims.md it makes.
fn corrected_rows() -> usize {
    let rows = &xtask::walkthrough::catalogue::of("manage-data").rows;
    rows.iter()
        .filter(|r| r.corrected != xtask::walkthrough::catalogue::Verdict::Absent)
        .count()
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
    guards.extend(
        report["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Guard::volume(s["volume"].as_str().unwrap())),
    );
    guards
}

#[test]
fn corrected_mode_delivers_every_claim() {
    let (report, _, _guards) = kept_walkthrough(&["manage-data", "--keep"], guards_for);
    assert_eq!(report["mode"], "corrected");
    assert_eq!(report["ok"], true, "every verdict as expected");
    assert_claims(&report, "manage-data");
    for c in report["claims"].as_array().unwrap() {
        assert_eq!(c["holds"], true, "{}: {}", c["claim"], c["evidence"]);
    }
    assert_eq!(report["claims"].as_array().unwrap().len(), corrected_rows());

    // Our own look: the named volume holds the CSV, owned by jovyan, readable from a fresh container.
    let volume = section(&report, "Named volumes")["volume"]
        .as_str()
        .unwrap();
    let inside = run_ok(
        &RunSpec::new(IMAGE)
            .rm()
            .mount(Mount::volume(volume, "/o"))
            .command(&[
                "stat",
                "-c",
                "%U:%G %s",
                "/o/Motorized-Foot-Scooter-Trips-2020.csv",
            ]),
    );
    let stat = inside.lines().last().unwrap();
    assert!(stat.starts_with("jovyan:users "), "{stat}");
    assert!(
        stat.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 10_000,
        "{stat}"
    );

    // The kept bind-mount container: the notebook's mount is read-only.
    let bind = format!(
        "{}-bind-mounts",
        section(&report, "Bind mounts")["container"]
            .as_str()
            .unwrap()
    );
    let rw = docker_ok(&["inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/work/computation.ipynb\"}}{{.RW}} {{.Type}}{{end}}{{end}}", &bind]);
    assert_eq!(rw, "false bind");
    let refused = docker(&[
        "exec",
        &bind,
        "sh",
        "-c",
        "echo x >> /work/computation.ipynb",
    ]);
    assert!(
        !refused.ok() && refused.stderr.contains("Read-only file system"),
        "{}",
        text(&refused)
    );
    // And it was made by the project.
    assert_eq!(
        docker_ok(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"jupyter-docker-xtask.owner\"}}",
            &bind
        ]),
        "xtask"
    );
}

#[test]
fn unknown_articles_and_sections_are_one_line_errors() {
    let out = xtask()
        .args(["walkthrough", "no-such-article"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("unknown article") && stderr.contains("manage-data"),
        "{stderr}"
    );
    let out = xtask()
        .args(["walkthrough", "manage-data", "--section", "nope"])
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no section \"nope\""));
    let list = xtask().args(["walkthrough", "--list"]).assert().success();
    assert!(
        String::from_utf8_lossy(&list.get_output().stdout).contains("manage-jupyter-data-docker")
    );
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
        assert!(
            std::time::Instant::now() < deadline,
            "the walkthrough never started its container"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted: removed container"));
    assert!(is_gone("container", &prefix), "container left");
    assert!(is_gone("volume", &volume), "volume left");
}
