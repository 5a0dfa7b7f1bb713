//! Habits people bring from Compose and Jupyter (`ps`, `logs -n`, `down -v`, `url --json`, exit
//! codes), `run`'s answers for each way a notebook can fail to run, the crashed-run sweep after a
//! SIGKILL. (No secret in a walkthrough's output: every walkthrough test checks its own run, see
//! tests/support/watch.rs.) End to end against the real engine.

mod support;

use support::*;

// The tests by the habit they check, in files of their own (the binary is still `habits`).
#[path = "habits/down.rs"]
mod down;
#[path = "habits/ps_and_logs.rs"]
mod ps_and_logs;
#[path = "habits/run.rs"]
mod run;
#[path = "habits/sweep.rs"]
mod sweep;

const IMAGE: &str = "custom-jupyter-image:named-volume";
const VOLUME_LABEL_KEY: &str = "jupyter-docker-xtask.volume";
/// A container's main process that ends at once on `docker stop`.
const IDLE: &str = "trap 'exit 0' TERM; while :; do sleep 0.2; done";

/// `docker run -d` of the project's image running [`IDLE`] (or `script`), with `options` before the image.
fn start(name: &str, options: &[&str], script: Option<&str>) {
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(options);
    args.extend(["--entrypoint", "sh", IMAGE, "-c", script.unwrap_or(IDLE)]);
    docker_ok(&args);
}

/// The project's labels (this run's) as `docker run` options, and `extra` after them.
fn labelled<'a>(labels: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    labels
        .iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
        .collect()
}

/// Whether it exists: only Docker saying "no such" counts as gone (an engine error fails the test).
fn exists(kind: &str, name: &str) -> bool {
    !is_gone(kind, name)
}

/// The standard output of a docker call (the crate's `Output`) or of a process the test ran.
trait Stdout {
    fn stdout_text(&self) -> String;
}

impl Stdout for Output {
    fn stdout_text(&self) -> String {
        self.stdout.clone()
    }
}

impl Stdout for std::process::Output {
    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).to_string()
    }
}

fn stdout(out: &impl Stdout) -> String {
    out.stdout_text()
}

/// Both streams of a process the test ran itself.
fn process_text(out: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn exit_codes_tell_errors_from_usage() {
    // A command line clap cannot parse: 2 (3 is kept for claims not as expected, 130 for Ctrl-C).
    xtask().args(["ps", "--no-such-flag"]).assert().code(2);
    xtask().args(["down", "--yes"]).assert().code(2);
    // An operational error: 1, one error line.
    let out = xtask()
        .args(["logs", "--name", &unique("jdx-no-such-container")])
        .assert()
        .code(1);
    the_error(out.get_output());
}
