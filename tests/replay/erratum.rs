//! A tutorial written for the test with mistakes in it (`replay-erratum.md`): failing and
//! differing at its lines, matching where it holds, each failure's cause named.

use serde_json::Value;

use super::{fixture, replay, step, tail};

#[test]
fn a_tutorial_with_mistakes_fails_and_differs_at_its_lines() {
    let file = fixture("replay-erratum.md");
    assert_the_lines_named_hold_what_they_say(&file);

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

    check_failures_and_verdicts(&json);
    check_summary(&json);
    check_causes(&json);
    check_ends_and_what_cannot_run(&json);
}

/// The lines of the fixture the assertions name hold what they say.
fn assert_the_lines_named_hold_what_they_say(file: &std::path::Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let line = |n: usize| text.lines().nth(n - 1).unwrap().trim().to_string();
    assert!(
        line(40).contains("/work/results/answer.txt"),
        "line 40: {}",
        line(40)
    );
    assert_eq!(
        (line(50), line(60)),
        ("42".to_string(), "VOLUME NAME         DRIVER".to_string())
    );
}

/// The wrong path fails at its line; the outputs that no longer match differ at theirs, the
/// others match.
fn check_failures_and_verdicts(json: &Value) {
    // The wrong path: a failing step at its line, with the shell's own message.
    let wrong = &step(json, 40)["result"];
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
        let verdict = &step(json, command)["result"]["verdict"];
        assert_eq!(verdict["matches"], false, "line {command}: {verdict}");
        assert_eq!(verdict["line"], differs_at, "line {command}: {verdict}");
    }
    // Outputs that hold: a host command, `cd` carried over, a container shell, a JupyterLab
    // terminal, and two cells sharing one kernel.
    for command in [24, 67, 85, 115, 124, 135] {
        let verdict = &step(json, command)["result"]["verdict"];
        assert_eq!(verdict["matches"], true, "line {command}: {verdict}");
    }
}

/// Each failed step's cause, and how many are the guide's mistakes.
fn check_causes(json: &Value) {
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
        let cause = &step(json, line)["result"]["cause"];
        assert_eq!(cause["kind"], kind, "line {line}: {cause}");
        assert!(
            cause["why"].as_str().unwrap_or("").contains(names),
            "line {line}: {cause}"
        );
    }
    assert_eq!(json["summary"]["failed_by_cause"]["the guide's mistake"], 5);
}

/// How the shell and the server ended, and what cannot run says at its line.
fn check_ends_and_what_cannot_run(json: &Value) {
    // `exit` ended the container shell; Ctrl+C (and y) stopped the foreground server.
    assert_eq!(step(json, 92)["result"]["exit"], 0);
    assert_eq!(step(json, 79)["result"]["exit"], 0);
    assert_eq!(step(json, 143)["kind"], "signal");
    assert_eq!(step(json, 143)["result"]["exit"], 0, "{}", step(json, 143));
    assert!(step(json, 99)["result"]["output"]
        .as_str()
        .unwrap()
        .contains("Shutdown confirmed"));
    // What cannot run says why, at its line.
    let search = step(json, 148);
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
