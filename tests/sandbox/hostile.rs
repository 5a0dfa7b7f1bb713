//! A hostile tutorial replayed in the sandbox: each attack is refused where it is made, nothing
//! reaches the host, and the next replay in the same slot starts clean.

use super::*;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/markdown")
        .join(name)
}

/// A replay with `--json` and `--set` values: its JSON (or Null) and its transcript.
fn replay(name: &str, set: &[&str]) -> (serde_json::Value, String, bool) {
    let mut command = xtask();
    command
        .args(["walkthrough", "--from-markdown"])
        .arg(fixture(name))
        .arg("--json");
    for value in set {
        command.args(["--set", value]);
    }
    let out = command.output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// What the step at the fixture's line `line` printed.
fn printed(json: &serde_json::Value, line: u64) -> String {
    let steps = json["steps"].as_array().cloned().unwrap_or_default();
    let step = steps
        .iter()
        .find(|s| s["line"] == line)
        .unwrap_or_else(|| panic!("no step at line {line}: {json}"));
    step["result"]["output"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every container (name, state) and volume of the host engine but this test process's own
/// (the other test here runs a sandbox of its own meanwhile).
fn host_state() -> (Vec<String>, Vec<String>) {
    // What a test run labels is that run's (this one's, or another suite's on the same engine,
    // which comes and goes): the rest is the person's and the machine's.
    let label = format!("{{{{.Label \"{RUN_LABEL_KEY}\"}}}}");
    let theirs = |line: &str| {
        let (what, run) = line.rsplit_once('\t').unwrap_or((line, ""));
        (run.is_empty() && !what.contains(run_id())).then(|| what.to_string())
    };
    let containers = docker_ok(&[
        "ps",
        "-a",
        "--format",
        &format!("{{{{.Names}}}} {{{{.State}}}}\t{label}"),
    ])
    .lines()
    .filter_map(theirs)
    .collect();
    let volumes = docker_ok(&[
        "volume",
        "ls",
        "--format",
        &format!("{{{{.Name}}}}\t{label}"),
    ])
    .lines()
    .filter_map(theirs)
    .collect();
    (containers, volumes)
}

#[test]
fn a_hostile_tutorial_reaches_neither_the_host_nor_the_next_replay() {
    images();
    let sh = xshell::Shell::new().unwrap();
    let host = Docker::new(&sh).with_run(Some(run_id().to_string()));
    let image = images::sandbox::ensure(&host).unwrap();
    // A container of the host, which the tutorial tries to freeze, and the host's state before.
    let sentinel = unique("hostile-sentinel");
    run_sentinel(&sentinel, &image);
    let _sentinel = XGuard::new(&host, Resource::Container(sentinel.clone()));
    let before = host_state();
    let marker = std::env::temp_dir().join(format!("jdx-hostile-marker-{}", run_id()));
    let _ = std::fs::remove_file(&marker);

    let (json, hostile_said, ok) = replay(
        "hostile-host.md",
        &[&format!("HOSTILE_MARKER={}", marker.display())],
    );
    assert!(
        ok,
        "the hostile replay did not run to its end:\n{hostile_said}"
    );
    each_attack_was_refused(&json);
    nothing_reached_the_host(&marker, &sentinel, before, &image);
    let said = the_next_replay_is_clean(&sentinel);
    no_socket_folder_is_left(&hostile_said, &said);
}

/// The host's container the tutorial tries to freeze: `sleep` in `image`, labelled with this run.
fn run_sentinel(sentinel: &str, image: &str) {
    docker_ok(&[
        "run",
        "-d",
        "--name",
        sentinel,
        "--label",
        MANAGED,
        "--label",
        &format!("{RUN_LABEL_KEY}={}", run_id()),
        "--entrypoint",
        "sleep",
        image,
        "600",
    ]);
}

/// What the hostile replay's steps printed, and the size of its JSON.
fn each_attack_was_refused(json: &serde_json::Value) {
    // The shell is the unprivileged reader: no capability, none to gain.
    let who = printed(json, 12);
    let none = |field: &str, value: &str| {
        regex::Regex::new(&format!(r"{field}:\s+{value}\b"))
            .unwrap()
            .is_match(&who)
    };
    assert!(
        who.starts_with("reader")
            && none("CapEff", "0{16}")
            && none("CapBnd", "0{16}")
            && none("NoNewPrivs", "1"),
        "{who}"
    );
    // Each attack was refused where it was made.
    assert!(
        printed(json, 18).contains("Permission denied"),
        "the socket folder: {}",
        printed(json, 18)
    );
    for line in [24, 30] {
        assert!(
            !printed(json, line).contains("AGENT-SET"),
            "line {line} set a release agent: {}",
            printed(json, line)
        );
    }
    let freezer = printed(json, 36);
    assert!(
        !freezer.contains("froze ") && !freezer.contains("FREEZER-MOUNTED"),
        "{freezer}"
    );
    let registry = printed(json, 48);
    assert!(
        registry.contains("upload 405") && registry.contains("delete 405"),
        "the registry took a write: {registry}"
    );
    let bounds: Vec<String> = printed(json, 54)
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(
        bounds[..2],
        [
            xtask::sandbox::PIDS_LIMIT.to_string(),
            (8u64 << 30).to_string()
        ],
        "the sandbox's pids and memory limits"
    );
    // An output bomb is kept up to a cap, and the run's JSON stays small.
    assert!(
        json.to_string().len() < 8 << 20,
        "the JSON of a 30 MB output is {} bytes",
        json.to_string().len()
    );
}

/// The host after the hostile replay, against its state `before`, and the shared warm cache.
fn nothing_reached_the_host(
    marker: &std::path::Path,
    sentinel: &str,
    (containers_before, volumes_before): (Vec<String>, Vec<String>),
    image: &str,
) {
    // Nothing reached the host: no file its root wrote, the host's container runs unpaused, and
    // every container and volume of the host is as it was.
    assert!(
        !marker.exists(),
        "the tutorial ran a program as the host's root: {} exists",
        marker.display()
    );
    assert_eq!(
        docker_ok(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.Paused}}",
            sentinel
        ]),
        "running false"
    );
    let (containers_after, volumes_after) = host_state();
    for c in &containers_before {
        assert!(
            containers_after.contains(c),
            "the host's container {c} changed or went:\n{}",
            containers_after.join("\n")
        );
    }
    for v in &volumes_before {
        assert!(volumes_after.contains(v), "the host's volume {v} went");
    }
    // The shared warm cache holds nothing the tutorial wrote.
    let poisoned = docker_ok(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "--label",
        &format!("{RUN_LABEL_KEY}={}", run_id()),
        "-v",
        "jdx-sandbox-cache:/c:ro",
        "--entrypoint",
        "find",
        image,
        "/c",
        "-name",
        "poisoned-by-a-tutorial",
    ]);
    assert!(
        poisoned.is_empty(),
        "the warm cache was changed: {poisoned}"
    );
}

/// The replay after the hostile one (same slot) sees a clean image and its own engine only; its
/// transcript.
fn the_next_replay_is_clean(sentinel: &str) -> String {
    // The next replay in the same slot: an image as the registry serves it, on the sandbox's own engine.
    let (json, said, ok) = replay("after-hostile.md", &[]);
    assert!(ok, "the replay after the hostile one failed:\n{said}");
    let looked = printed(&json, 9);
    assert_eq!(
        looked.lines().last().map(str::trim),
        Some("clean"),
        "the next replay's image holds the tutorial's file: {looked}"
    );
    let engine = printed(&json, 15);
    let host_engine = docker_ok(&["info", "--format", "{{.Name}} {{.ID}}"]);
    assert!(
        engine.contains("engine ") && !engine.contains(&host_engine),
        "the next replay talked to the host's engine: {engine}"
    );
    assert!(
        !engine.contains(sentinel),
        "the next replay sees the host's containers: {engine}"
    );
    said
}

/// No socket folder of the sandboxes the two transcripts name is left.
fn no_socket_folder_is_left(hostile_said: &str, said: &str) {
    // The socket folders of both replays' sandboxes went with them.
    let runtime = xtask::paths::runtime_dir().unwrap();
    let sandboxes: Vec<String> = regex::Regex::new(r"in the sandbox (jdx-sandbox-[\w-]+)")
        .unwrap()
        .captures_iter(&format!("{hostile_said}{said}"))
        .map(|c| c[1].to_string())
        .collect();
    assert!(!sandboxes.is_empty(), "no sandbox named in the transcripts");
    let left: Vec<_> = std::fs::read_dir(&runtime)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            sandboxes
                .iter()
                .any(|s| n.starts_with(&xtask::sandbox::socket_dir_prefix(s)))
        })
        .collect();
    assert!(
        left.is_empty(),
        "socket folders of this test's sandboxes left in {}: {left:?}",
        runtime.display()
    );
}
