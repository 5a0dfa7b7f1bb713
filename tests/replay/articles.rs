//! Whole tutorials replayed: a hostile one contained, the series' article 2 command for command,
//! the small official images' stand-ins pulled when a tutorial asks for them.

use serde_json::Value;

use super::support::*;
use super::{fixture, replay, step, tail, ONE_AT_A_TIME};

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
