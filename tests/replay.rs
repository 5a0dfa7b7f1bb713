//! The Markdown replay executor, end to end: `cargo xtask walkthrough --from-markdown FILE --json`
//! runs an article's steps as written in a sandbox engine. A tutorial written for the test (with a
//! wrong path and an output that no longer matches) comes out failing and differing at its lines,
//! and matching where it holds; nothing of it reaches the host engine (the series' articles are
//! replayed command for command by their literal walkthroughs' tests).

mod support;

use std::sync::Mutex;

use serde_json::Value;
use support::*;

// The tests by what they replay, in files of their own (the binary is still `replay`).
#[path = "replay/articles.rs"]
mod articles;
#[path = "replay/erratum.rs"]
mod erratum;
#[path = "replay/fix.rs"]
mod fix;
#[path = "replay/interrupted.rs"]
mod interrupted;
#[path = "replay/sandbox_dies.rs"]
mod sandbox_dies;

/// One replay at a time: each starts a sandbox engine, and the machine is shared.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Removes the sandboxes' data volumes of the run `run` (their warm images), which each replay
/// leaves; gives every volume of the run as listed before, one name a line.
pub(crate) fn remove_sandbox_volumes(run: &str) -> String {
    let run_label = format!("label={RUN_LABEL_KEY}={run}");
    let volumes = docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &run_label,
        "--format",
        "{{.Name}}",
    ]);
    for v in volumes.lines().filter(|v| v.starts_with("jdx-sandbox-")) {
        let _ = docker(&["volume", "rm", "-f", v]);
    }
    volumes
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/markdown")
        .join(name)
}

/// Names of the host engine's containers and volumes.
fn host_names() -> (Vec<String>, Vec<String>) {
    let containers = docker_ok(&["ps", "-a", "--format", "{{.Names}}"])
        .lines()
        .map(String::from)
        .collect();
    let volumes = docker_ok(&["volume", "ls", "--format", "{{.Name}}"])
        .lines()
        .map(String::from)
        .collect();
    (containers, volumes)
}

/// Runs the replay with `--json`; its JSON and its stderr (the transcript). Afterwards the host
/// engine holds nothing of this run but the sandbox's data volume (its warm images), which goes.
fn replay(file: &std::path::Path, article_names: &[&str]) -> (Value, String) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (containers_before, volumes_before) = host_names();
    let run = own_run_id();
    let out = xtask()
        .env(RUN_ID_ENV, &run)
        .args(["walkthrough", "--from-markdown"])
        .arg(file)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let run_label = format!("label={RUN_LABEL_KEY}={run}");
    let left = docker_ok(&["ps", "-a", "--filter", &run_label, "--format", "{{.Names}}"]);
    let volumes = remove_sandbox_volumes(&run);
    assert!(
        out.status.success(),
        "the replay failed:\n{}",
        tail(&stderr)
    );
    assert!(
        left.is_empty(),
        "containers of this run left on the host engine: {left}"
    );
    assert!(
        volumes
            .lines()
            .all(|v| v.starts_with("jdx-sandbox-") && v.ends_with("-data")),
        "volumes of this run left on the host engine: {volumes}"
    );
    let (containers_after, volumes_after) = host_names();
    for name in article_names {
        let appeared = |before: &[String], after: &[String]| {
            !before.iter().any(|n| n == name) && after.iter().any(|n| n == name)
        };
        assert!(
            !appeared(&containers_before, &containers_after),
            "the article's container {name} appeared on the host engine"
        );
        assert!(
            !appeared(&volumes_before, &volumes_after),
            "the article's volume {name} appeared on the host engine"
        );
    }
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", tail(&stderr)));
    let token = regex::Regex::new(r"token=[0-9a-f]{32,}").unwrap();
    assert!(
        !token.is_match(&stderr) && !token.is_match(&json.to_string()),
        "a Jupyter token was shown"
    );
    (json, stderr)
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// The step of the article at `line` (the first, when two share it).
fn step(json: &Value, line: u64) -> &Value {
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["line"] == line)
        .unwrap_or_else(|| panic!("no step at line {line}"))
}
