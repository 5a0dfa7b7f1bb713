//! The Markdown replay executor, end to end: `cargo xtask walkthrough --from-markdown FILE --json`
//! runs an article's steps as written in a sandbox engine. A tutorial written for the test (with a
//! wrong path and an output that no longer matches) comes out failing and differing at its lines,
//! and matching where it holds; the series' article 2 is replayed command for command; nothing of
//! either reaches the host engine.

mod support;

use std::sync::Mutex;

use serde_json::Value;
use support::*;

/// One replay at a time: each starts a sandbox engine, and the machine is shared.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/markdown")
        .join(name)
}

fn series(slug: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series")
        .join(format!("{slug}.md"))
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

#[test]
fn a_tutorial_with_mistakes_fails_and_differs_at_its_lines() {
    let file = fixture("replay-erratum.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let line = |n: usize| text.lines().nth(n - 1).unwrap().trim().to_string();
    // The lines the assertions name hold what they say.
    assert!(
        line(40).contains("/work/results/answer.txt"),
        "line 40: {}",
        line(40)
    );
    assert_eq!(
        (line(50), line(60)),
        ("42".to_string(), "VOLUME NAME         DRIVER".to_string())
    );

    let (json, stderr) = replay(
        &file,
        &[
            "erratum-box",
            "erratum-lab",
            "erratum-shell",
            "erratum-results",
            "cause-web",
        ],
    );
    // The transcript shows each command, then what it printed.
    assert!(stderr.contains("$ docker exec erratum-box sh -c 'echo 42 > /work/results/answer.txt'\nsh: 1: cannot create /work/results/answer.txt"), "{}", tail(&stderr));

    // The wrong path: a failing step at its line, with the shell's own message.
    let wrong = &step(&json, 40)["result"];
    assert_ne!(wrong["exit"], 0, "{wrong}");
    assert!(
        wrong["output"]
            .as_str()
            .unwrap()
            .contains("/work/results/answer.txt"),
        "{wrong}"
    );
    // The output that no longer matches: differing at its lines.
    for (command, differs_at) in [(46, 50), (56, 60)] {
        let verdict = &step(&json, command)["result"]["verdict"];
        assert_eq!(verdict["matches"], false, "line {command}: {verdict}");
        assert_eq!(verdict["line"], differs_at, "line {command}: {verdict}");
    }
    // Outputs that hold: a host command, `cd` carried over, a container shell, a JupyterLab
    // terminal, and two cells sharing one kernel.
    for command in [24, 67, 85, 115, 124, 135] {
        let verdict = &step(&json, command)["result"]["verdict"];
        assert_eq!(verdict["matches"], true, "line {command}: {verdict}");
    }
    check_summary(&json);
    // Each failed step's cause, named from what the engine said (an image no stand-in plays: the
    // pull fails with docker's message, and the cause says why).
    for (line, kind, names) in [
        (40, "the guide's mistake", "/work/results/answer.txt"),
        (46, "the guide's mistake", "/data/answer.txt"),
        (161, "a stand-in missing", "nosuch-org/nosuch-image"),
        (174, "the guide's mistake", "line 173"),
        (180, "the guide's mistake", "e468f3a9c1d2"),
        (186, "the guide's mistake", "U+2013"),
        (192, "not named", "No such container: cause-gone"),
        (193, "a knock-on", "line 192"),
    ] {
        let cause = &step(&json, line)["result"]["cause"];
        assert_eq!(cause["kind"], kind, "line {line}: {cause}");
        assert!(
            cause["why"].as_str().unwrap_or("").contains(names),
            "line {line}: {cause}"
        );
    }
    assert_eq!(json["summary"]["failed_by_cause"]["the guide's mistake"], 5);
    // `exit` ended the container shell; Ctrl+C (and y) stopped the foreground server.
    assert_eq!(step(&json, 92)["result"]["exit"], 0);
    assert_eq!(step(&json, 79)["result"]["exit"], 0);
    assert_eq!(step(&json, 143)["kind"], "signal");
    assert_eq!(
        step(&json, 143)["result"]["exit"],
        0,
        "{}",
        step(&json, 143)
    );
    assert!(step(&json, 99)["result"]["output"]
        .as_str()
        .unwrap()
        .contains("Shutdown confirmed"));
    // What cannot run says why, at its line.
    let search = step(&json, 148);
    assert_eq!(search["kind"], "cannot-run");
    assert!(
        search["why"].as_str().unwrap().contains("Docker Hub"),
        "{search}"
    );
}

/// The summary's counts are the steps' own: recomputed from them, and pinned where the fixture
/// decides them (counted by hand in replay-erratum.md).
fn check_summary(json: &Value) {
    let steps = json["steps"].as_array().unwrap();
    let lines = |keep: &dyn Fn(&Value) -> bool| -> Vec<u64> {
        steps
            .iter()
            .filter(|s| keep(s))
            .map(|s| s["line"].as_u64().unwrap())
            .collect()
    };
    let runnable =
        lines(&|s| ["command", "file", "cell", "signal"].contains(&s["kind"].as_str().unwrap()));
    let run = lines(&|s| s["result"]["exit"].is_number());
    let failed = lines(&|s| s["result"]["exit"].as_i64().is_some_and(|e| e != 0));
    let outputs = lines(&|s| s["result"]["verdict"].is_object());
    let differing = lines(&|s| s["result"]["verdict"]["matches"] == false);
    let cannot_run = lines(&|s| s["kind"] == "cannot-run");
    // The wrong path (40), the read of what it never wrote (46), the image no stand-in plays (161),
    // and the four mistakes with a cause (174 to 193).
    assert_eq!(
        failed,
        [40, 46, 161, 174, 180, 186, 192, 193],
        "{}",
        json["summary"]
    );
    // Nine output blocks (27 49 59 70 88 108 118 129 139), two of them wrong (after 46 and 56).
    assert_eq!(
        (outputs.len(), differing.as_slice()),
        (9, [46, 56].as_slice()),
        "{}",
        json["summary"]
    );
    // Docker Hub's search (148), and a template with no value (205): it needs one, not a failure.
    assert_eq!(cannot_run, [148, 205]);
    let template = steps.iter().find(|s| s["line"] == 205).unwrap();
    assert!(
        template["why"]
            .as_str()
            .unwrap()
            .starts_with("needs a value: placeholder [volume_name] has no value: give one with --set '[volume_name]=VALUE'"),
        "{template}"
    );
    assert_eq!(json["summary"]["needs_value"], 1);
    assert_eq!(run, runnable, "every step the replay can take was taken");
    let summary = &json["summary"];
    for (key, want) in [
        ("runnable", runnable.len()),
        ("run", run.len()),
        ("failed", failed.len()),
        ("outputs", outputs.len()),
        ("outputs_matching", outputs.len() - differing.len()),
        ("cannot_run", cannot_run.len()),
    ] {
        assert_eq!(
            summary[key].as_u64(),
            Some(want as u64),
            "summary.{key}: {summary}"
        );
    }
}

/// A hostile tutorial (issue 23): a step printing 3 MB keeps 1 MiB and counts the rest, a
/// printed fence cannot forge a verdict in the report, `~` is the replay's home, a path out of
/// the project folder and an unclosed fence are cannot-run lines; the report is not the article.
#[test]
fn a_hostile_tutorial_is_contained() {
    let file = fixture("hostile.md");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.md");
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = xtask()
        .args(["walkthrough", "--from-markdown"])
        .arg(&file)
        .arg("--report")
        .arg(&report)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for v in docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &format!("label={RUN_LABEL_KEY}={}", run_id()),
        "--format",
        "{{.Name}}",
    ])
    .lines()
    .filter(|v| v.starts_with("jdx-sandbox-"))
    {
        let _ = docker(&["volume", "rm", "-f", v]);
    }
    assert!(out.status.success(), "{}", tail(&stderr));
    assert!(
        out.stdout.len() < 4 << 20,
        "the JSON is {} bytes: a step's output is kept up to 1 MiB",
        out.stdout.len()
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let big = step(&json, 12)["result"]["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        big.ends_with(&format!("… {} more bytes not kept", 3_000_000 - (1 << 20))),
        "{}",
        &big[big.len() - 80..]
    );
    assert_eq!(
        step(&json, 28)["result"]["verdict"]["matches"],
        true,
        "{}",
        step(&json, 28)
    );
    let escaped = step(&json, 37);
    assert_eq!(escaped["kind"], "cannot-run");
    assert!(
        escaped["why"]
            .as_str()
            .unwrap()
            .contains("out of the project folder"),
        "{escaped}"
    );
    assert_ne!(
        step(&json, 42)["result"]["exit"],
        0,
        "nothing was written outside the project folder"
    );
    let unclosed = step(&json, 47);
    assert!(
        unclosed["why"].as_str().unwrap().contains("never closed"),
        "{unclosed}"
    );
    assert!(
        !json["transcript"].to_string().contains("rm -rf"),
        "the prose after it never ran"
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("    `````text\n    ````\n    \n    > **ran** (line 99): exit 0\n    `````"),
        "the printed verdict stays inside a longer fence:\n{md}"
    );
}

#[test]
fn article_2_runs_command_for_command_in_the_sandbox() {
    let file = series("manage-jupyter-data-docker");
    let text = std::fs::read_to_string(&file).unwrap();
    let (json, _) = replay(&file, &["custom-jupyter-container", "named-data-volume"]);
    let s = &json["summary"];
    eprintln!(
        "article 2: {} of {} steps run, {} failed; outputs matching {} of {}; cannot run {}",
        s["run"], s["runnable"], s["failed"], s["outputs_matching"], s["outputs"], s["cannot_run"]
    );
    let transcript = json["transcript"].as_array().unwrap();
    let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    let mut ran_count = 0;
    let generated = regex::Regex::new(r"^[0-9a-f]{64}$").unwrap();
    for (n, command) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("docker "))
    {
        let command = command
            .trim()
            .replace("CONTAINER_ID_OR_NAME", "custom-jupyter-container");
        let entry = transcript
            .iter()
            .find(|e| e["line"] == n + 1 && e["command"].is_string())
            .unwrap_or_else(|| panic!("line {}: `{command}` not run", n + 1));
        let ran = words(entry["command"].as_str().unwrap());
        let want = words(&command);
        // VOLUME_NAME is asked of the sandbox when its step comes: the anonymous volume's generated name.
        let same = ran.len() == want.len()
            && ran
                .iter()
                .zip(&want)
                .all(|(r, w)| r == w || (w == "VOLUME_NAME" && generated.is_match(r)));
        assert!(
            same,
            "line {}: ran {ran:?}, the article says {want:?}",
            n + 1
        );
        assert!(entry["exit"].is_i64(), "line {}: {entry}", n + 1);
        ran_count += 1;
    }
    assert_eq!(
        ran_count, 19,
        "article 2 has 19 docker commands, each run as written (VOLUME_NAME asked of the sandbox)"
    );
    // The run is real: the sandbox's engine built the Dockerfile the replay wrote from the article.
    let build = &step(&json, 151)["result"];
    assert!(
        build["output"]
            .as_str()
            .unwrap()
            .contains("Step 1/7 : FROM jupyter/minimal-notebook"),
        "{build}"
    );
}

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
    for v in docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &run_label,
        "--format",
        "{{.Name}}",
    ])
    .lines()
    .filter(|v| v.starts_with("jdx-sandbox-"))
    {
        let _ = docker(&["volume", "rm", v]);
    }
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

/// The plain stand-ins (issue 27): a tutorial written for the test runs debian, ubuntu, busybox
/// and alpine, each pulled from the sandbox's registry when first run (none is in its engine
/// before), each step succeeding with what its image gives (busybox's wget, bash under ubuntu),
/// and the transcript says what stands in for each and under which tags; a tag no stand-in is
/// served as fails as a stand-in missing, named. nginx serves its page on a published port and
/// redis answers `redis-cli ping`.
#[test]
fn the_small_official_images_have_stand_ins_pulled_when_asked() {
    let (json, stderr) = replay(&fixture("official-images.md"), &[]);
    for name in ["debian", "ubuntu", "busybox", "alpine"] {
        assert!(
            stderr.contains(&format!("#   stand-in for {name}: ")),
            "{name}: {}",
            tail(&stderr)
        );
    }
    let listed = step(&json, 15)["result"]["output"]
        .as_str()
        .unwrap()
        .to_string();
    for name in ["debian", "ubuntu", "busybox", "alpine"] {
        assert!(
            !listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} is in the engine before the tutorial pulls it: {listed}"
        );
    }
    for line in [21, 27, 41, 47] {
        let result = &step(&json, line)["result"];
        assert_eq!(result["exit"], 0, "line {line}: {result}");
        assert!(
            result["output"]
                .as_str()
                .unwrap()
                .contains("Unable to find image"),
            "line {line}: not pulled: {result}"
        );
    }
    assert!(
        step(&json, 21)["result"]["output"]
            .as_str()
            .unwrap()
            .lines()
            .any(|l| l.starts_with("12.")),
        "{}",
        step(&json, 21)
    );
    for (line, printed) in [(41, "BusyBox"), (47, "hello from alpine")] {
        let output = step(&json, line)["result"]["output"].as_str().unwrap();
        assert!(output.contains(printed), "line {line}: {output}");
    }
    // The pull's own lines as the tutorial shows them, its digest masked.
    let verdict = &step(&json, 27)["result"]["verdict"];
    assert_eq!(verdict["matches"], true, "line 27: {verdict}");
    assert!(stderr.contains("ubuntu:22.04"), "{}", tail(&stderr));
    let tagged = &step(&json, 53)["result"];
    assert_eq!(tagged["exit"], 0, "{tagged}");
    let untagged = &step(&json, 59)["result"];
    assert_ne!(untagged["exit"], 0, "{untagged}");
    assert_eq!(
        untagged["cause"]["kind"], "a stand-in missing",
        "{untagged}"
    );
    assert!(
        untagged["cause"]["why"]
            .as_str()
            .unwrap_or("")
            .contains("alpine:2.6"),
        "{untagged}"
    );
    // The servers: nginx's page on its published port, Redis answering its own client.
    for name in ["nginx", "redis"] {
        assert!(stderr.contains(&format!("#   stand-in for {name}: ")));
    }
    for line in [67, 74, 85] {
        let result = &step(&json, line)["result"];
        assert_eq!(result["exit"], 0, "line {line}: {result}");
    }
    let page = step(&json, 68)["result"]["output"].as_str().unwrap();
    assert!(page.contains("Welcome to nginx!"), "{page}");
    let verdict = &step(&json, 75)["result"]["verdict"];
    assert_eq!(verdict["matches"], true, "line 75: {verdict}");
}

/// `--fix` (issue 28): a tutorial written for the test, with `--rm` typed with an en dash, a
/// sample output that says `hullo`, a container stopped by the author's ID, a name reused while
/// its container still holds it and a `cd` into a volume by its name, replayed from a copy: the
/// patch mends exactly those, each with its evidence, and `patch -p1` takes it; the near miss (an
/// image removed by an ID, with no image named before) is named and left. `--write` makes the
/// patch and the replay of the fixed file says the five steps now hold; a second `--fix` has
/// nothing to change, and names the near miss again.
#[test]
fn fix_mends_a_look_alike_dash_and_a_stale_output_then_has_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("fixable-{}.md", std::process::id());
    let file = dir.path().join(&name);
    let written = std::fs::read_to_string(fixture("fixable.md")).unwrap();
    std::fs::write(&file, &written).unwrap();
    let fix = |more: &[&str]| -> String {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let run = own_run_id();
        let out = xtask()
            .env(RUN_ID_ENV, &run)
            .current_dir(dir.path())
            .args(["walkthrough", "--from-markdown", &name, "--fix"])
            .args(more)
            .output()
            .unwrap();
        remove_sandbox_volumes(&run);
        let run_label = format!("label={RUN_LABEL_KEY}={run}");
        let left = docker_ok(&["ps", "-a", "--filter", &run_label, "--format", "{{.Names}}"]);
        assert!(
            left.is_empty(),
            "containers of this run left on the host engine: {left}"
        );
        let (stdout, stderr) = (text_of(&out.stdout), text_of(&out.stderr));
        assert!(out.status.success(), "{stdout}\n{}", tail(&stderr));
        eprintln!("--fix {more:?}:\n{stdout}");
        stdout
    };

    let patch = fix(&[]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "--fix alone writes nothing"
    );
    let (evidence, diff) = patch.split_once(&format!("\n--- a/{name}\n")).unwrap();
    assert!(diff.starts_with(&format!("+++ b/{name}\n")), "{patch}");
    let hunks: Vec<&str> = diff.split("\n@@ ").skip(1).collect();
    assert_eq!(hunks.len(), 4, "{patch}");
    assert!(
        hunks[0].starts_with("-20,7 +20,7 @@")
            && hunks[0].contains("\n-    docker run \u{2013}rm jupyter/minimal-notebook true\n+    docker run --rm jupyter/minimal-notebook true\n"),
        "{patch}"
    );
    // Only `hullo` changes: the lines the mask counts equal (their times) stay as written.
    assert!(
        hunks[1].starts_with("-32,7 +32,7 @@")
            && hunks[1].contains("\n     2023-01-12 14:03:18 Executing the command: sh -c echo hello >&2\n-    hullo\n+    hello\n"),
        "{patch}"
    );
    // The container the tutorial named at line 51 stands for the author's ID, and is removed
    // before its name is given again.
    assert!(
        hunks[2].contains("\n-    docker stop 3f1c9a2b7d10\n+    docker stop fixable-box\n")
            && hunks[2].contains("\n+    docker rm -f fixable-box\n     docker run -d --name fixable-box -v fixable-data:/data"),
        "{patch}"
    );
    assert!(
        hunks[3].contains("\n-    cd fixable-data\n+    cd /data\n"),
        "{patch}"
    );
    let lines: Vec<&str> = evidence.lines().collect();
    assert_eq!(lines.len(), 6, "{evidence}");
    assert_eq!(
        lines[5],
        "line 81: `cd fixable-data` failed (exit 1): no fixable-data there; the step at line 75 mounted fixable-data at /data: written `cd /data`"
    );
    assert!(
        lines[0].starts_with("line 23: the command failed") && lines[0].contains("`--rm`"),
        "{evidence}"
    );
    assert!(
        lines[1].starts_with("line 29: the output block at line 32 differs")
            && lines[1].contains("(`-hullo` where it printed `+hello`)")
            && lines[1].contains("2 of its 3 lines kept as written"),
        "{evidence}"
    );
    assert!(
        lines[2].starts_with("line 57: the command failed (exit 1): the engine knows no container 3f1c9a2b7d10")
            && lines[2].ends_with("written `fixable-box`, the container the guide named at line 51, the last it named before this step"),
        "{evidence}"
    );
    assert!(
        lines[3].starts_with("line 63: the command failed (exit 125): the container the guide's step at line 51 named fixable-box still holds the name"),
        "{evidence}"
    );
    let near_miss = "the command failed (exit 1): the engine knows no image 0a1b2c3d4e5f";
    assert!(
        lines[4].starts_with(&format!("line 69: {near_miss}"))
            && lines[4]
                .ends_with("left as written: no step before it that succeeded named an image"),
        "{evidence}"
    );
    // The patch is one `patch -p1` reads.
    let check = std::process::Command::new("patch")
        .args(["-p1", "--dry-run", "--batch"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut p| {
            use std::io::Write;
            p.stdin.take().unwrap().write_all(patch.as_bytes())?;
            p.wait_with_output()
        })
        .unwrap();
    assert!(
        check.status.success(),
        "patch -p1 refused it: {}",
        text_of(&check.stdout)
    );

    let said = fix(&["--write"]);
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(
        fixed.contains("docker run --rm jupyter/minimal-notebook true")
            && !fixed.contains('\u{2013}'),
        "{fixed}"
    );
    assert!(
        fixed.contains("    hello\n") && !fixed.contains("    hullo\n"),
        "{fixed}"
    );
    for holds in [
        "line 23: now succeeds",
        "line 57: now succeeds",
        "line 64: now succeeds",
    ] {
        assert!(said.contains(holds), "{said}");
    }
    assert!(
        said.contains("its output now matches the article's"),
        "{said}"
    );
    assert!(
        said.trim_end()
            .ends_with("the fix holds: each of the 5 changed steps now runs as the article says"),
        "{said}"
    );

    let again = fix(&[]);
    assert!(
        again.starts_with("no changes: nothing the replay saw has a fix here\n")
            && again.lines().count() == 2
            && again.contains(&format!("line 70: {near_miss}")),
        "{again}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The sandboxes' data volumes of the run `run` (their warm images), which each replay leaves.
fn remove_sandbox_volumes(run: &str) {
    let run_label = format!("label={RUN_LABEL_KEY}={run}");
    for v in docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &run_label,
        "--format",
        "{{.Name}}",
    ])
    .lines()
    .filter(|v| v.starts_with("jdx-sandbox-"))
    {
        let _ = docker(&["volume", "rm", "-f", v]);
    }
}
