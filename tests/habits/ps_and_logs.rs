//! `ps` lists the project's containers and only those; `logs` takes `-n`/`--tail` and `-f`, as
//! Compose's and Docker's do.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support::*;
use super::{labelled, start, stdout, IMAGE, VOLUME_LABEL_KEY};

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
    let port = start_ours_a_stopped_one_and_a_persons(&ours, &stopped, &persons, &volume);

    assert_ps_json_lists_ours_only(&ours, &stopped, &persons, &volume, port);
    assert_the_ps_table_shows_ours_only(&ours, &persons, &volume, port);
}

/// The project's running container `ours` (using `volume`, its port published), a stopped one it
/// made, and a person's own: the running one's published port.
fn start_ours_a_stopped_one_and_a_persons(
    ours: &str,
    stopped: &str,
    persons: &str,
    volume: &str,
) -> u16 {
    let labels = labels();
    let volume_label = format!("{VOLUME_LABEL_KEY}={volume}");
    start(
        ours,
        &labelled(
            &labels,
            &["--label", &volume_label, "-p", "127.0.0.1::8888"],
        ),
        None,
    );
    let mut create = vec!["create", "--name", stopped];
    create.extend(labelled(&labels, &[IMAGE]));
    docker_ok(&create);
    // A person's own container from the project's image: it inherits the image's `managed` label only.
    start(persons, &[], None);
    docker_ok(&["port", ours, "8888/tcp"])
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `ps --json`: a row for each of the project's containers, running or not, none for the person's.
fn assert_ps_json_lists_ours_only(
    ours: &str,
    stopped: &str,
    persons: &str,
    volume: &str,
    port: u16,
) {
    let out = xtask().args(["ps", "--json"]).assert().success();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).cloned();
    let mine = row(ours).expect("ps lists the project's running container");
    assert_eq!(mine["running"], true);
    assert!(mine["status"].as_str().unwrap().starts_with("Up"), "{mine}");
    assert_eq!(mine["image"], IMAGE);
    assert_eq!(mine["port"], port);
    assert_eq!(mine["volume"], volume);
    let made = row(stopped).expect("ps lists a stopped container too");
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
        row(persons).is_none(),
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
}

/// The table: one line per container, with its port and volume.
fn assert_the_ps_table_shows_ours_only(ours: &str, persons: &str, volume: &str, port: u16) {
    let table = stdout(xtask().arg("ps").assert().success().get_output());
    assert!(table.lines().next().unwrap().starts_with("NAME"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("{ours} ")))
        .unwrap_or_else(|| panic!("no row for {ours}:\n{table}"));
    assert!(
        line.contains(IMAGE)
            && line.contains(&format!("{port}->8888"))
            && line.trim_end().ends_with(volume),
        "{line}"
    );
    assert!(!table.contains(persons), "{table}");
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
