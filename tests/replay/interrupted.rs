//! A replay cut off under way: its sandbox killed mid-step, its registry removed, the replay itself
//! killed (the next one sweeps its sandbox); and `sandbox --check`, which leaves no socket named.

use serde_json::Value;

use super::support::*;
use super::{fixture, tail, ONE_AT_A_TIME};

/// The sandbox killed in the middle of a step: one clear error naming the line, exit 1, and
/// nothing of the run left on the host engine but the sandbox's data volume (which the test removes).
#[test]
fn a_sandbox_killed_mid_replay_is_one_clear_error() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let err = tempfile::NamedTempFile::new().unwrap();
    let json = tempfile::NamedTempFile::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let mut replay = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["walkthrough", "--from-markdown"])
        .arg(fixture("long-step.md"))
        .arg("--report")
        .arg(&report)
        .arg("--json")
        .env(RUN_ID_ENV, run_id())
        .stdout(json.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let transcript = || std::fs::read_to_string(err.path()).unwrap_or_default();
    wait_until(
        std::time::Duration::from_secs(600),
        "the replay's long step to start",
        || transcript().contains("$ sleep 60"),
    );
    let sandbox = regex::Regex::new(r"in the sandbox (jdx-sandbox-[\w-]+)")
        .unwrap()
        .captures(&transcript())
        .unwrap()[1]
        .to_string();
    docker_ok(&["kill", &sandbox]);
    let status = replay.wait().unwrap();
    let said = transcript();
    assert_eq!(status.code(), Some(1), "{}", tail(&said));
    let last = said.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error: ")
            && last.contains(&format!("the sandbox {sandbox} stopped during line 9")),
        "{last}"
    );
    // What ran until then is reported, and where the run stopped.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap()).unwrap();
    assert!(
        written["stopped"]
            .as_str()
            .unwrap_or("")
            .contains("stopped during line 9"),
        "{}",
        written["stopped"]
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("STOPPED before the article's end") && md.contains("during line 9"),
        "{md}"
    );
    assert!(
        is_gone("container", &sandbox),
        "the killed sandbox's container is still there"
    );
    let run_label = format!("label={RUN_LABEL_KEY}={}", run_id());
    let left = docker_ok(&["ps", "-a", "--filter", &run_label, "--format", "{{.Names}}"]);
    assert!(!left.lines().any(|n| n == sandbox), "{left}");
    super::remove_sandbox_volumes(run_id());
}

/// `short-step.md` started in the background: the process, its transcript so far, and the name of
/// its sandbox once its `sleep` runs.
fn start_short_step() -> (std::process::Child, tempfile::NamedTempFile, String) {
    start_short_step_with(&[])
}

/// [`start_short_step`] with more environment for the replay.
fn start_short_step_with(
    env: &[(&str, &str)],
) -> (std::process::Child, tempfile::NamedTempFile, String) {
    let err = tempfile::NamedTempFile::new().unwrap();
    let replay = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["walkthrough", "--from-markdown"])
        .arg(fixture("short-step.md"))
        .env(RUN_ID_ENV, run_id())
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let path = err.path().to_path_buf();
    let transcript = || std::fs::read_to_string(&path).unwrap_or_default();
    wait_until(
        std::time::Duration::from_secs(600),
        "the replay's short step to start",
        || transcript().contains("$ sleep 20"),
    );
    let sandbox = regex::Regex::new(r"in the sandbox (jdx-sandbox-[\w-]+)")
        .unwrap()
        .captures(&transcript())
        .unwrap()[1]
        .to_string();
    (replay, err, sandbox)
}

/// The shared registry removed under a replay (a `clean` elsewhere): one line naming the line and
/// the cause, exit 1. The replay is given a registry of its own (a second server of the machine's
/// registry's storage), so that removing it stops no other run that shares the machine's. (A sandbox paused mid-step is noticed the same way, by `Sandbox::trouble`;
/// it has no test here: on this kernel a frozen sandbox, whose FUSE daemons are frozen with it,
/// can wedge the host's engine until it is thawed.)
#[test]
fn a_removed_registry_is_one_clear_error() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let own = unique(&format!("{}-t", xtask::sandbox::registry::CONTAINER));
    let _own = Guard::container(&own);
    let (mut replay, err, _) = start_short_step_with(&[(xtask::sandbox::registry::NAME_ENV, &own)]);
    docker_ok(&["rm", "-f", &own]);
    let status = replay.wait().unwrap();
    let said = std::fs::read_to_string(err.path()).unwrap();
    assert_eq!(status.code(), Some(1), "{}", tail(&said));
    let last = said.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error: ")
            && last.contains(&format!(
                "shared registry {own} was removed or stopped during line"
            )),
        "{last}"
    );
}

/// A replay killed with SIGKILL leaves its sandbox running; the next replay in that slot removes
/// it, says so, and leaves no socket folder behind.
#[test]
fn a_killed_runs_sandbox_is_removed_by_the_next_with_a_word() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (mut replay, _err, sandbox) = start_short_step();
    replay.kill().unwrap();
    replay.wait().unwrap();
    assert_eq!(
        docker_ok(&["inspect", "--format", "{{.State.Running}}", &sandbox]),
        "true",
        "SIGKILL left nothing to clean up: the test proves nothing"
    );
    let (mut replay, err, again) = start_short_step();
    assert_eq!(again, sandbox, "the next replay took another slot");
    let said = std::fs::read_to_string(err.path()).unwrap();
    assert!(
        said.contains(&format!(
            "removing the sandbox {sandbox} that a killed run left running"
        )),
        "{}",
        tail(&said)
    );
    assert!(
        replay.wait().unwrap().success(),
        "{}",
        tail(&std::fs::read_to_string(err.path()).unwrap())
    );
    let runtime = xtask::paths::runtime_dir().unwrap();
    let left: Vec<_> = std::fs::read_dir(&runtime)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&xtask::sandbox::socket_dir_prefix(&sandbox)))
        .collect();
    assert!(
        left.is_empty(),
        "socket folders left in {}: {left:?}",
        runtime.display()
    );
}

/// `sandbox --check` removes its sandbox: it prints no DOCKER_HOST that would point nowhere.
#[test]
fn sandbox_check_prints_no_socket_it_removed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = xtask().args(["sandbox", "--check"]).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        !said.contains("DOCKER_HOST=unix://") && said.contains("checked and removed"),
        "{said}"
    );
}
