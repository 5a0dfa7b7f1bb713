//! The crashed-run sweep of `cargo xtask test`: a test run killed with SIGKILL leaves its things,
//! and the next run's sweep removes them and nothing else.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::exists;
use super::support::*;

/// Runs the crashed-run sweep of `cargo xtask test` on its own: `CARGO=true` stands in for the
/// cargo it starts (its style checks and `cargo test`), so only its set-up, sweep and leak check
/// run. `--lib` takes the one-`cargo test` path: the lanes' build would find no binary from `true`.
fn sweep() {
    xtask()
        .args(["test", "--lib"])
        .env_remove(RUN_ID_ENV)
        .env("CARGO", "true")
        .assert()
        .success();
}

#[test]
fn a_test_run_killed_with_sigkill_is_swept_and_nothing_else() {
    images();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (name, volume) = (unique("jdx-killed"), unique("jdx-killed-vol"));
    let (live, pid1, unrun, persons) = (
        unique("jdx-live-run"),
        unique("jdx-pid1-run"),
        unique("jdx-no-run"),
        unique("jdx-person-vol"),
    );
    let _g = [
        Guard::container(&name),
        Guard::volume(&volume),
        Guard::volume(&live),
        Guard::volume(&pid1),
        Guard::volume(&unrun),
        Guard::volume(&persons),
    ];
    make_the_volumes_the_sweep_must_keep(&live, &pid1, &unrun, &persons, secs);

    let (run, _notebooks) = kill_a_test_run_while_up_waits(&name, &volume, secs);
    assert_eq!(
        run_label_of("container", &name),
        run,
        "the killed run's container is left, with its run label"
    );
    assert_eq!(run_label_of("volume", &volume), run);

    sweep();
    assert!(
        !exists("container", &name) && !exists("volume", &volume),
        "the sweep left the killed run's container or volume"
    );
    for kept in [&live, &pid1, &unrun, &persons] {
        assert!(
            exists("volume", kept),
            "the sweep removed {kept}, which is not a crashed run's"
        );
    }
}

/// Volumes that are no crashed run's.
fn make_the_volumes_the_sweep_must_keep(
    live: &str,
    pid1: &str,
    unrun: &str,
    persons: &str,
    secs: u64,
) {
    // Live runs: this test's own (its process is alive), and one whose pid (1) always is.
    create_volume(live, &[]);
    docker_ok(&[
        "volume",
        "create",
        "--label",
        MANAGED,
        "--label",
        OWNER,
        "--label",
        &format!("{RUN_LABEL_KEY}=suite-1-{secs}"),
        pid1,
    ]);
    // The project's, but no test run's (as `up` makes for a person); and a person's own, unlabelled.
    docker_ok(&[
        "volume", "create", "--label", MANAGED, "--label", OWNER, unrun,
    ]);
    docker_ok(&["volume", "create", persons]);
}

/// A test run whose id names its own process (the shell's pid, which exec hands to the xtask),
/// killed with SIGKILL while `up` waits for its server: no handler runs, its things stay. Its run
/// id, and the notebooks folder its container mounts (kept to the test's end).
fn kill_a_test_run_while_up_waits(
    name: &str,
    volume: &str,
    secs: u64,
) -> (String, tempfile::TempDir) {
    let notebooks = notebooks_copy();
    let script = format!("export {RUN_ID_ENV}=suite-$$-{secs}; exec \"$0\" up --port 0 --name {name} --volume {volume} --notebooks \"$1\"");
    let mut child = Command::new("sh")
        .args([
            "-c",
            &script,
            assert_cmd::cargo::cargo_bin("xtask").to_str().unwrap(),
            notebooks.path().to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run = format!("suite-{}-{secs}", child.id());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !exists("container", name) {
        assert!(Instant::now() < deadline, "up never made its container");
        assert!(
            child.try_wait().unwrap().is_none(),
            "up ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap(); // reaped: its pid is gone from /proc
    (run, notebooks)
}

/// The run label of the container or volume `name`.
fn run_label_of(kind: &str, name: &str) -> String {
    docker_ok(&[
        kind,
        "inspect",
        "--format",
        &format!(
            "{{{{index .{} \"{RUN_LABEL_KEY}\"}}}}",
            if kind == "volume" {
                "Labels"
            } else {
                "Config.Labels"
            }
        ),
        name,
    ])
}
