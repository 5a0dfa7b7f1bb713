//! Habits people bring from Compose and Jupyter (`ps`, `logs -n`, `down -v`, `url --json`, exit
//! codes), `run`'s answers for each way a notebook can fail to run, the crashed-run sweep after a
//! SIGKILL. (No secret in a walkthrough's output: every walkthrough test checks its own run, see
//! tests/support/watch.rs.) End to end against the real engine.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

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
fn ps_lists_the_projects_containers_and_only_those() {
    images();
    let (ours, stopped, persons, volume) = (
        unique("jdx-ps"),
        unique("jdx-ps-made"),
        unique("jdx-ps-person"),
        unique("jdx-ps-vol"),
    );
    let _g = (
        Guard::container(&ours),
        Guard::container(&stopped),
        Guard::container(&persons),
    );
    let labels = labels();
    let volume_label = format!("{VOLUME_LABEL_KEY}={volume}");
    start(
        &ours,
        &labelled(
            &labels,
            &["--label", &volume_label, "-p", "127.0.0.1::8888"],
        ),
        None,
    );
    let mut create = vec!["create", "--name", stopped.as_str()];
    create.extend(labelled(&labels, &[IMAGE]));
    docker_ok(&create);
    // A person's own container from the project's image: it inherits the image's `managed` label only.
    start(&persons, &[], None);
    let port: u16 = docker_ok(&["port", &ours, "8888/tcp"])
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let out = xtask().args(["ps", "--json"]).assert().success();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).cloned();
    let mine = row(&ours).expect("ps lists the project's running container");
    assert_eq!(mine["running"], true);
    assert!(mine["status"].as_str().unwrap().starts_with("Up"), "{mine}");
    assert_eq!(mine["image"], IMAGE);
    assert_eq!(mine["port"], port);
    assert_eq!(mine["volume"], volume.as_str());
    let made = row(&stopped).expect("ps lists a stopped container too");
    assert_eq!(
        (
            made["running"].clone(),
            made["port"].clone(),
            made["volume"].clone()
        ),
        (
            false.into(),
            serde_json::Value::Null,
            serde_json::Value::Null
        )
    );
    assert!(
        row(&persons).is_none(),
        "ps listed a person's container: {rows:?}"
    );
    // Whatever else is listed (other runs' containers) carries the owner label too.
    for r in &rows {
        let name = r["name"].as_str().unwrap();
        let owner = docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"jupyter-docker-xtask.owner\"}}",
            name,
        ]);
        if owner.ok() {
            assert_eq!(
                stdout(&owner).trim(),
                "xtask",
                "{name} is listed without the owner label"
            );
        }
    }

    // The table: one line per container, with its port and volume.
    let table = stdout(xtask().arg("ps").assert().success().get_output());
    assert!(table.lines().next().unwrap().starts_with("NAME"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("{ours} ")))
        .unwrap_or_else(|| panic!("no row for {ours}:\n{table}"));
    assert!(
        line.contains(IMAGE)
            && line.contains(&format!("{port}->8888"))
            && line.trim_end().ends_with(&volume),
        "{line}"
    );
    assert!(!table.contains(&persons), "{table}");
}

#[test]
fn logs_tail_and_follow() {
    images();
    let name = unique("jdx-logs");
    let _c = Guard::container(&name);
    let labels = labels();
    // Ten lines, then one more once the test says so, then the container ends.
    let script = "for i in $(seq 1 10); do echo line-$i; done; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo late";
    start(&name, &labelled(&labels, &[]), Some(script));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stdout(&docker(&["logs", &name])).contains("line-10") {
        assert!(
            Instant::now() < deadline,
            "the container never logged its lines"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for flag in ["-n", "--tail"] {
        let out = xtask()
            .args(["logs", "--name", &name, flag, "3"])
            .assert()
            .success();
        assert_eq!(
            stdout(out.get_output()),
            "line-8\nline-9\nline-10\n",
            "logs {flag} 3"
        );
    }
    assert_eq!(
        stdout(
            xtask()
                .args(["logs", "--name", &name])
                .assert()
                .success()
                .get_output()
        )
        .lines()
        .count(),
        10
    );

    // -f with -n 1: the last line, then the new one, and it ends when the container does.
    let mut follow = Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["logs", "--name", &name, "-f", "-n", "1"])
        .env(RUN_ID_ENV, run_id())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = follow.id();
    // Kills the follower if it hangs; never once it was reaped (its PID may be another's then).
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while std::time::Instant::now() < deadline {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        })
    };
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "line-10");
    docker_ok(&["exec", &name, "touch", "/tmp/go"]);
    assert_eq!(
        lines.next().map(|l| l.unwrap()).as_deref(),
        Some("late"),
        "logs -f did not follow"
    );
    assert!(lines.next().is_none());
    // Before the wait reaps it: until then its PID is still its own.
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = watchdog.join();
    assert!(follow.wait().unwrap().success());
}

/// A project container using `volume` at /work/outputs, labelled with it as `up` does.
fn container_with_volume(name: &str, volume: &str) {
    let labels = labels();
    let (label, mount) = (
        format!("{VOLUME_LABEL_KEY}={volume}"),
        format!("{volume}:/work/outputs"),
    );
    start(
        name,
        &labelled(&labels, &["--label", &label, "-v", &mount]),
        None,
    );
    docker_ok(&[
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        "echo precious > /work/outputs/data.txt",
    ]);
}

fn volume_has_data(volume: &str) -> bool {
    let mount = format!("{volume}:/o");
    docker(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "-v",
        &mount,
        "--entrypoint",
        "cat",
        IMAGE,
        "/o/data.txt",
    ])
    .ok()
}

/// `down ARGS` on a terminal (a pty from `script`), answering `answer`.
fn down_on_a_terminal(args: &str, answer: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("{} down {args}", bin.display()),
            "/dev/null",
        ])
        .env(RUN_ID_ENV, run_id())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn down_v_removes_only_the_containers_own_labelled_volume_once_confirmed() {
    images();
    let (asked, shared, sharer, persons) = (
        unique("jdx-down"),
        unique("jdx-down-shared"),
        unique("jdx-down-sharer"),
        unique("jdx-down-pv"),
    );
    let (volume, shared_vol, person_vol, sibling) = (
        unique("jdx-down-vol"),
        unique("jdx-down-svol"),
        unique("jdx-down-pvol"),
        unique("jdx-down-sib"),
    );
    // Volumes drop after the containers that use them.
    let _v = [
        Guard::volume(&volume),
        Guard::volume(&shared_vol),
        Guard::volume(&person_vol),
        Guard::volume(&sibling),
    ];
    let _c = [
        Guard::container(&asked),
        Guard::container(&shared),
        Guard::container(&sharer),
        Guard::container(&persons),
    ];
    for v in [&volume, &shared_vol, &sibling] {
        create_volume(v, &[]);
    }
    docker_ok(&["volume", "create", &person_vol]); // a person's: no labels
    container_with_volume(&asked, &volume);
    container_with_volume(&shared, &shared_vol);
    start(
        &sharer,
        &labelled(&labels(), &["-v", &format!("{shared_vol}:/elsewhere")]),
        None,
    );
    container_with_volume(&persons, &person_vol);

    // No terminal and no --yes: refused before anything is removed, the container included.
    let out = xtask()
        .args(["down", "-v", "--name", &asked])
        .write_stdin("")
        .assert()
        .failure();
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!(
            "removing volume {volume} loses its data: pass --yes to confirm"
        )),
        "{error}"
    );
    assert!(exists("container", &asked) && volume_has_data(&volume));

    // On a terminal, "n" keeps everything.
    let out = down_on_a_terminal(&format!("--volumes --name {asked}"), "n\n");
    assert!(!out.status.success(), "{}", process_text(&out));
    assert!(
        process_text(&out).contains(&format!(
            "Remove the volume {volume} and all its data? [y/N]"
        )),
        "{}",
        process_text(&out)
    );
    assert!(exists("container", &asked) && volume_has_data(&volume));

    // A volume another container also uses, or one the project did not make: refused, all kept.
    let out = xtask()
        .args(["down", "-v", "--yes", "--name", &shared])
        .assert()
        .failure();
    assert!(the_error(out.get_output()).contains(&format!("also used by container(s) {sharer}")));
    assert!(exists("container", &shared) && volume_has_data(&shared_vol));
    let out = xtask()
        .args(["down", "-v", "--yes", "--name", &persons])
        .assert()
        .failure();
    assert!(the_error(out.get_output())
        .contains(&format!("volume {person_vol} was not made by this project")));
    assert!(exists("container", &persons) && volume_has_data(&person_vol));

    // "y" on a terminal: the container, then its own volume; nothing else.
    let out = down_on_a_terminal(&format!("-v --name {asked}"), "y\n");
    assert!(out.status.success(), "{}", process_text(&out));
    assert!(
        process_text(&out).contains(&format!("removed volume {volume}")),
        "{}",
        process_text(&out)
    );
    assert!(!exists("container", &asked) && !exists("volume", &volume));
    assert!(
        exists("volume", &sibling)
            && exists("volume", &shared_vol)
            && exists("volume", &person_vol)
    );

    // --yes once the other user is gone; plain `down` keeps the volume.
    docker_ok(&["rm", "-f", &sharer]);
    let out = xtask()
        .args(["down", "--volumes", "--yes", "--name", &shared])
        .assert()
        .success();
    assert!(stdout(out.get_output()).contains(&format!("removed volume {shared_vol}")));
    assert!(!exists("volume", &shared_vol));
    docker_ok(&["rm", "-f", &persons]);
    container_with_volume(&persons, &sibling);
    let out = xtask()
        .args(["down", "--name", &persons])
        .assert()
        .success();
    assert!(stdout(out.get_output()).contains("are kept"));
    assert!(!exists("container", &persons) && volume_has_data(&sibling));
}

#[test]
fn run_refuses_a_persons_container_and_says_how_to_unpause() {
    images();
    let (persons, paused) = (unique("jdx-run-person"), unique("jdx-run-paused"));
    let _c = (Guard::container(&persons), Guard::container(&paused));
    start(&persons, &[], None);
    start(&paused, &labelled(&labels(), &[]), None);
    docker_ok(&["pause", &paused]);

    let out = xtask().args(["run", "--name", &persons]).assert().code(1);
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!("container {persons} was not made by this project"))
            && error.contains("left alone"),
        "{error}"
    );
    assert!(
        !docker(&["exec", &persons, "test", "-e", "/tmp/executed"]).ok(),
        "a notebook was executed in a person's container"
    );

    let out = xtask().args(["run", "--name", &paused]).assert().code(1);
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!(
            "{paused} is paused: unpause it with `docker unpause {paused}`"
        )),
        "{error}"
    );
    docker_ok(&["unpause", &paused]);
}

/// A notebook of cells given as sources (a Markdown cell first, so cell numbers count it).
fn notebook(cells: &[&str]) -> String {
    let mut all = vec![
        serde_json::json!({"cell_type": "markdown", "id": "m0", "metadata": {}, "source": ["# A title"]}),
    ];
    for (i, source) in cells.iter().enumerate() {
        all.push(serde_json::json!({"cell_type": "code", "execution_count": null, "id": format!("c{i}"), "metadata": {}, "outputs": [], "source": [source]}));
    }
    serde_json::json!({
        "cells": all,
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5
    })
    .to_string()
}

#[test]
fn url_json_and_what_run_says_for_each_kind_of_notebook() {
    let lab = Lab::new("jdx-habits");
    let name = &lab.name;
    let dir = lab.notebooks.path();
    let write =
        |path: &str, cells: &[&str]| std::fs::write(dir.join(path), notebook(cells)).unwrap();
    write(
        "three-cells.ipynb",
        &[
            "open('outputs/before.txt', 'w').write('1')",
            "raise ValueError('boom in cell 3')",
            "open('outputs/after.txt', 'w').write('3')",
        ],
    );
    std::fs::create_dir(dir.join("folder.ipynb")).unwrap();
    chmod(&dir.join("folder.ipynb"), 0o755);
    // The kernel starts in the notebook's folder, as in JupyterLab.
    write(
        "folder.ipynb/inner.ipynb",
        &["open('/work/outputs/inner.txt', 'w').write('in')"],
    );
    write(
        "--output-dir=x.ipynb",
        &["open('outputs/option-named.txt', 'w').write('ok')"],
    );
    let up = lab.up();

    // url --json: the same server as up --json.
    let url: serde_json::Value = serde_json::from_slice(
        &xtask()
            .args(["url", "--json", "--name", name])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    for key in ["url", "token", "port", "container"] {
        assert_eq!(url[key], up[key], "{key}");
    }
    assert_eq!(
        http_status(
            url["port"].as_u64().unwrap() as u16,
            "/api/status",
            url["token"].as_str()
        ),
        200
    );

    // A cell raising: its number (the Markdown cell counts), its first line, the exception; the
    // cells after it do not run, as in Run All.
    let out = xtask()
        .args(["run", "three-cells.ipynb", "--name", name])
        .assert()
        .code(1);
    assert_eq!(
        the_error(out.get_output()),
        "error: cell 3 of three-cells.ipynb (`raise ValueError('boom in cell 3')`) raised ValueError: boom in cell 3: fix the cell and run again"
    );
    assert!(
        docker(&["exec", name, "test", "-f", "/work/outputs/before.txt"]).ok(),
        "the cell before did not run"
    );
    assert!(
        !docker(&["exec", name, "test", "-e", "/work/outputs/after.txt"]).ok(),
        "a cell after the failing one ran"
    );

    // A folder named like a notebook: said so, with a notebook inside it; that one runs.
    let out = xtask()
        .args(["run", "folder.ipynb", "--name", name])
        .assert()
        .code(1);
    assert_eq!(
        the_error(out.get_output()),
        "error: folder.ipynb is a folder, not a notebook file: pass a notebook inside it, e.g. `cargo xtask run folder.ipynb/inner.ipynb`"
    );
    xtask()
        .args(["run", "folder.ipynb/inner.ipynb", "--name", name])
        .assert()
        .success();
    assert!(docker(&["exec", name, "test", "-f", "/work/outputs/inner.txt"]).ok());

    // Names that read as options are refused before anything runs; ./NAME runs the file.
    for option_like in ["--output-dir=x.ipynb", "-h"] {
        let out = xtask()
            .args(["run", "--name", name, "--", option_like])
            .assert()
            .code(1);
        let error = the_error(out.get_output());
        assert!(
            error.contains(&format!("{option_like:?} starts with '-'"))
                && error.contains(&format!("./{option_like}")),
            "{error}"
        );
    }
    assert!(!docker(&["exec", name, "test", "-e", "/work/outputs/option-named.txt"]).ok());
    xtask()
        .args(["run", "./--output-dir=x.ipynb", "--name", name])
        .assert()
        .success();
    assert_eq!(
        docker_ok(&["exec", name, "cat", "/work/outputs/option-named.txt"]),
        "ok"
    );
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
    // Live runs: this test's own (its process is alive), and one whose pid (1) always is.
    create_volume(&live, &[]);
    docker_ok(&[
        "volume",
        "create",
        "--label",
        MANAGED,
        "--label",
        OWNER,
        "--label",
        &format!("{RUN_LABEL_KEY}=suite-1-{secs}"),
        &pid1,
    ]);
    // The project's, but no test run's (as `up` makes for a person); and a person's own, unlabelled.
    docker_ok(&[
        "volume", "create", "--label", MANAGED, "--label", OWNER, &unrun,
    ]);
    docker_ok(&["volume", "create", &persons]);

    // A test run whose id names its own process (the shell's pid, which exec hands to the xtask),
    // killed with SIGKILL while `up` waits for its server: no handler runs, its things stay.
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
    while !exists("container", &name) {
        assert!(Instant::now() < deadline, "up never made its container");
        assert!(
            child.try_wait().unwrap().is_none(),
            "up ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap(); // reaped: its pid is gone from /proc
    let run_of = |kind: &str, n: &str| {
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
            n,
        ])
    };
    assert_eq!(
        run_of("container", &name),
        run,
        "the killed run's container is left, with its run label"
    );
    assert_eq!(run_of("volume", &volume), run);

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
