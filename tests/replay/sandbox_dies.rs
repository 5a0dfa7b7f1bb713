//! A sandbox that ends in the middle of a replay (`sandbox-dies.md`), killed or removed: what ran
//! is kept, the rest is marked not run, with the sandbox's end as the host engine saw it.

use serde_json::Value;

use super::support::*;
use super::{fixture, step, tail, ONE_AT_A_TIME};

/// The article's line that holds `text` (1-based), checked to be there.
fn line_of(article: &str, text: &str) -> u64 {
    article
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("the fixture has no line with {text:?}")) as u64
        + 1
}

/// Waits, on its own thread, for the replay of run `run` to reach `sleep 20`, then finds the
/// run's sandbox on the host engine by its label and name, and ends it with `docker HOW`
/// (`kill`, `rm -f`): its name.
fn end_sandbox_when_it_sleeps(
    run: &str,
    transcript: std::path::PathBuf,
    how: &'static [&'static str],
) -> std::thread::JoinHandle<String> {
    let run_label = format!("label={RUN_LABEL_KEY}={run}");
    std::thread::spawn(move || {
        wait_until(
            std::time::Duration::from_secs(600),
            "the replay's long step to start",
            || {
                std::fs::read_to_string(&transcript)
                    .unwrap_or_default()
                    .contains("$ sleep 20")
            },
        );
        let listed = docker_ok(&[
            "ps",
            "--filter",
            &run_label,
            "--filter",
            "name=jdx-sandbox-",
            "--format",
            "{{.Names}}",
        ]);
        let sandbox: Vec<&str> = listed
            .lines()
            .filter(|n| n.starts_with("jdx-sandbox-"))
            .collect();
        assert_eq!(sandbox.len(), 1, "the run's sandboxes: {listed}");
        docker_ok(&[how, &[sandbox[0]]].concat());
        sandbox[0].to_string()
    })
}

/// `walkthrough --from-markdown FILE --report REPORT --json` started in the background under run
/// id `run`: the process, its stderr and stdout files, and the folder holding REPORT.
fn start_replay_with_files(
    file: &std::path::Path,
    run: &str,
) -> (
    std::process::Child,
    tempfile::NamedTempFile,
    tempfile::NamedTempFile,
    tempfile::TempDir,
) {
    let err = tempfile::NamedTempFile::new().unwrap();
    let json = tempfile::NamedTempFile::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let replay = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["walkthrough", "--from-markdown"])
        .arg(file)
        .arg("--report")
        .arg(dir.path().join("report.md"))
        .arg("--json")
        .env(RUN_ID_ENV, run)
        .stdout(json.reopen().unwrap())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    (replay, err, json, dir)
}

/// The JSON of `sandbox-dies.md`'s replay, its sandbox killed during line `sleep`: the steps
/// before ran with their results, the one it died under is cut short, each later one not run
/// with `why`, and `stopped` says `ended`.
fn assert_json_keeps_what_ran(written: &Value, article: &str, sleep: u64, why: &str, ended: &str) {
    let volume = line_of(article, "docker volume create lost-notes");
    for ran in [volume, line_of(article, "docker network create lost-net")] {
        assert_eq!(step(written, ran)["result"]["exit"], 0, "line {ran}");
    }
    assert_eq!(
        step(written, volume)["result"]["verdict"]["matches"],
        true,
        "{}",
        step(written, volume)
    );
    // The step the sandbox died under keeps what it printed; its end is the sandbox's, no finding.
    let cut = &step(written, sleep)["result"];
    let note = cut["note"].as_str().unwrap_or("");
    assert!(
        cut["exit"].is_null() && note.starts_with("cut short") && note.contains(why),
        "{cut}"
    );
    assert_eq!(
        (&written["summary"]["run"], &written["summary"]["failed"]),
        (&Value::from(2), &Value::from(0)),
        "{}",
        written["summary"]
    );
    let later: Vec<&Value> = written["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "command" && s["line"].as_u64().unwrap() > sleep)
        .collect();
    assert!(later.len() >= 2, "{later:?}");
    for s in later {
        let note = s["result"]["note"].as_str().unwrap_or("");
        assert!(
            s["result"]["exit"].is_null() && note.starts_with(why),
            "{s}"
        );
    }
    assert!(
        written["stopped"].as_str().unwrap_or("").contains(ended),
        "{}",
        written["stopped"]
    );
}

/// A sandbox that dies in the middle of a replay loses nothing: the JSON and the report hold
/// the steps that ran with their results, and every later step as not run, with the sandbox's
/// end as the host engine saw it; one error line, exit 1, nothing of the run left on the host.
#[test]
fn a_replay_whose_sandbox_dies_keeps_what_ran_and_marks_the_rest_not_run() {
    replay_whose_sandbox_ends(&["kill"], &["its container exited with code 137"]);
}

/// The same when the sandbox's container is removed under the replay (`docker rm -f`).
#[test]
fn a_replay_whose_sandbox_is_removed_keeps_what_ran_and_says_so() {
    // The engine may still be removing it when the replay looks.
    replay_whose_sandbox_ends(
        &["rm", "-f"],
        &[
            "its container was removed",
            "its container is being removed",
        ],
    );
}

/// Replays `sandbox-dies.md`, ending its sandbox with `docker HOW` during its `sleep 20`; the
/// host engine then says one of `engine_says` of the sandbox's container.
fn replay_whose_sandbox_ends(how: &'static [&'static str], engine_says: &[&str]) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let file = fixture("sandbox-dies.md");
    let article = std::fs::read_to_string(&file).unwrap();
    let sleep = line_of(&article, "sleep 20");
    // A run id of its own: its leak check sees only this replay's resources.
    let run = unique(&format!("{}-lost", run_id()));
    let (mut replay, err, json, dir) = start_replay_with_files(&file, &run);
    let killer = end_sandbox_when_it_sleeps(&run, err.path().to_path_buf(), how);
    let status = replay.wait().unwrap();
    let said = std::fs::read_to_string(err.path()).unwrap();
    let sandbox = killer.join().unwrap_or_else(|_| panic!("{}", tail(&said)));
    assert_eq!(
        status.code(),
        Some(xtask::exit::OPERATIONAL),
        "{}",
        tail(&said)
    );
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error:")).collect();
    let ended = format!("the sandbox {sandbox} stopped during line {sleep}");
    assert!(
        errors.len() == 1
            && said.lines().last() == Some(errors[0])
            && errors[0].contains(&ended)
            && engine_says.iter().any(|e| errors[0].contains(e)),
        "{}",
        tail(&said)
    );

    let written: Value = serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap())
        .unwrap_or_else(|e| panic!("no JSON ({e}):\n{}", tail(&said)));
    let said_of_it = engine_says.iter().find(|e| errors[0].contains(*e)).unwrap();
    let why = format!("the sandbox {sandbox} stopped at line {sleep}: {said_of_it}");
    assert_json_keeps_what_ran(&written, &article, sleep, &why, &ended);
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let [volume, network, after] = ["volume create", "network create", "volume ls -q"]
        .map(|c| line_of(&article, &format!("docker {c}")));
    assert!(
        md.contains(&format!("STOPPED before the article's end: {ended}"))
            && md.contains(&format!("> **ran** (line {volume}): exit 0"))
            && md.contains(&format!("> **ran** (line {network}): exit 0"))
            && md.contains(&format!("> **not run** (line {after}): {why}")),
        "{md}"
    );
    assert!(
        is_gone("container", &sandbox),
        "the ended sandbox's container is still there"
    );
    assert_nothing_left(&run);
}
