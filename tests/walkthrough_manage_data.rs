//! `cargo xtask walkthrough manage-data`, end to end: the literal mode (the article replayed from
//! its Markdown in the sandbox, its claims checked at their steps) and the corrected mode, whose
//! verdicts this test checks again with its own docker calls on what the walkthrough kept (`--keep`).

mod support;

use serde_json::Value;
use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// How many claims the corrected mode makes: the rows of manage_data/claims.md it makes.
fn corrected_rows() -> usize {
    let rows = &xtask::walkthrough::catalogue::of("manage-data").rows;
    rows.iter()
        .filter(|r| r.corrected != xtask::walkthrough::catalogue::Verdict::Absent)
        .count()
}

/// Guards for everything a `--keep` run may have left: each section's container (also as renamed
/// on keeping) and volume.
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut guards = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        let container = s["container"].as_str().unwrap();
        let slug = slug(s["name"].as_str().unwrap());
        guards.push(Guard::container(container));
        guards.push(Guard::container(&format!("{container}-{slug}")));
    }
    // A Vec drops its elements first to last: containers go before the volumes they use.
    guards.extend(
        report["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Guard::volume(s["volume"].as_str().unwrap())),
    );
    guards
}

/// This test's own look at the sandbox's engine while the replay ran (tests/support/watch.rs), one
/// fact for each section of the article, each agreeing with the walkthrough's verdict.
fn the_sandbox_showed(report: &Value, seen: &watch::Seen) {
    let holds = |words: &str| claim(report, words)["holds"].as_bool().unwrap();
    let at_outputs: Vec<(&str, &Value, &Value)> = seen
        .mounts()
        .into_iter()
        .filter(|(_, _, m)| m["Destination"] == "/project/outputs")
        .collect();
    // Anonymous volumes, Volume flag: the anon-volume image's containers got volumes of generated
    // names there, and each volume's folder is root's as the containers see it.
    let anonymous: std::collections::BTreeSet<String> = at_outputs
        .iter()
        .filter(|(_, c, m)| {
            c["Config"]["Image"] == "custom-jupyter-image:anon-volume" && m["Type"] == "volume"
        })
        .map(|(_, _, m)| m["Name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        anonymous.len() >= 2 && anonymous.iter().all(|n| n.len() == 64),
        "anonymous volumes at /project/outputs: {anonymous:?} ({})",
        seen.summary()
    );
    for v in &anonymous {
        let folder = seen.files_in(v).into_iter().find(|f| f.2.is_empty());
        assert_eq!(folder.map(|f| f.0).as_deref(), Some("0:0"), "volume {v}");
    }
    assert!(holds("anonymous-volume-per-container") && holds("outputs-owned-by-root"));
    // Fixing file permissions: no volume at /project/outputs ever held a CSV (the cell writes
    // /work/outputs), which is the erratum the walkthrough reports.
    for (c, _, m) in &at_outputs {
        let v = m["Name"].as_str().unwrap_or("");
        let csv: Vec<_> = seen
            .files_in(v)
            .into_iter()
            .filter(|f| f.2.ends_with(".csv"))
            .collect();
        assert!(
            csv.is_empty(),
            "{c}'s volume {v} at /project/outputs: {csv:?}"
        );
    }
    assert!(!holds("data-in-volume"));
    // Named volumes: named-data-volume is mounted there, its folder root's (the notebook user
    // cannot write it).
    assert!(at_outputs
        .iter()
        .any(|(_, _, m)| m["Name"] == "named-data-volume" && m["Type"] == "volume"));
    let folder = seen
        .files_in("named-data-volume")
        .into_iter()
        .find(|f| f.2.is_empty());
    assert_eq!(folder.map(|f| f.0).as_deref(), Some("0:0"));
    assert!(!holds("named-volume-writable"));
    // Bind mounts: the notebook bind-mounted at /work/computation.ipynb, writable, then read-only.
    let binds: Vec<bool> = seen
        .mounts()
        .into_iter()
        .filter(|(_, _, m)| m["Type"] == "bind" && m["Destination"] == "/work/computation.ipynb")
        .map(|(_, _, m)| m["RW"].as_bool().unwrap())
        .collect();
    assert!(binds.contains(&true) && binds.contains(&false), "{binds:?}");
    assert!(holds(
        "with readonly, the container can no longer write the notebook"
    ));
    eprintln!(
        "seen in the sandbox's engine: anonymous volumes {anonymous:?} at /project/outputs, root's, \
         never holding a CSV; named-data-volume there, root's; the notebook bind-mounted \
         writable and read-only"
    );
}

#[test]
fn literal_mode_replays_the_article_and_checks_its_claims_at_their_steps() {
    let (report, out, seen) = walkthrough_seen(&["manage-data", "--literal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["mode"], "literal");
    assert_eq!(report["article"], "manage-jupyter-data-docker");
    assert_claims(&report, "manage-data");
    assert_commands_replayed(&report, "manage-jupyter-data-docker");
    the_sandbox_showed(&report, &seen);
    let evidence = |words: &str| {
        claim(&report, words)["evidence"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // The verdicts come from the sandbox's engine: a generated volume name, the cell's own
    // exception, the owners `ls -l` printed there, the server's token, the engine's refusals.
    let generated = evidence("anonymous-volume-per-container");
    assert!(
        generated
            .split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() == 64)
            && generated.ends_with(" at /project/outputs"),
        "{generated}"
    );
    let raised = evidence("cell-raises-permission-error");
    assert!(
        raised.starts_with("the cell's exit 1; it raised: PermissionError: [Errno 13]"),
        "{raised}"
    );
    assert!(
        evidence("outputs-owned-by-root").contains(" root root ")
            && evidence("chown-owns-files").contains(" jovyan users ")
    );
    let url = evidence("logs-show-url");
    assert!(
        url.contains("token=<48 hex>") && url.contains(": 200 with the token, 403 without"),
        "{url}"
    );
    let volume = evidence("data-in-volume");
    assert!(
        volume.contains("at /project/outputs holds []")
            && volume.contains(
                "/work/outputs/Motorized-Foot-Scooter-Trips-2020.csv written there (jovyan:users"
            ),
        "{volume}"
    );
    // The article's prose removal steps ran (its removal section's commands), so the named-volume
    // run started: its volume is root's, and empty.
    let named = evidence("named-volume-outlives-container");
    assert!(
        named.contains("in the new container")
            && named.contains("owner 0:0, mode 0755, holding []"),
        "{named}"
    );
    let edit = evidence("host-edit-seen");
    let inodes = regex::Regex::new(r"on the host (\d+), of \S+ in container \S+ (\d+)$")
        .unwrap()
        .captures(&edit)
        .map(|c| (c[1].to_string(), c[2].to_string()));
    assert!(
        inodes.as_ref().is_some_and(|(host, inside)| host == inside),
        "one file on both sides: {edit}"
    );
    assert!(evidence("named-volume-writable").contains("owner 0:0, mode 0755"));
    // No token reaches the report.
    let all = report["claims"].to_string();
    assert!(
        !all.split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() == 48),
        "a token in the evidence"
    );
}

#[test]
fn corrected_mode_delivers_every_claim() {
    let (report, _, _guards) = kept_walkthrough(&["manage-data", "--keep"], guards_for);
    assert_eq!(report["mode"], "corrected");
    assert_eq!(report["ok"], true, "every verdict as expected");
    assert_claims(&report, "manage-data");
    for c in report["claims"].as_array().unwrap() {
        assert_eq!(c["holds"], true, "{}: {}", c["claim"], c["evidence"]);
    }
    assert_eq!(report["claims"].as_array().unwrap().len(), corrected_rows());

    // Our own look: the named volume holds the CSV, owned by jovyan, readable from a fresh container.
    let volume = section(&report, "Named volumes")["volume"]
        .as_str()
        .unwrap();
    let inside = run_ok(
        &RunSpec::new(IMAGE)
            .rm()
            .mount(Mount::volume(volume, "/o"))
            .command(&[
                "stat",
                "-c",
                "%U:%G %s",
                "/o/Motorized-Foot-Scooter-Trips-2020.csv",
            ]),
    );
    let stat = inside.lines().last().unwrap();
    assert!(stat.starts_with("jovyan:users "), "{stat}");
    assert!(
        stat.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 10_000,
        "{stat}"
    );

    // The kept bind-mount container: the notebook's mount is read-only.
    let bind = format!(
        "{}-bind-mounts",
        section(&report, "Bind mounts")["container"]
            .as_str()
            .unwrap()
    );
    let rw = docker_ok(&["inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/work/computation.ipynb\"}}{{.RW}} {{.Type}}{{end}}{{end}}", &bind]);
    assert_eq!(rw, "false bind");
    let refused = docker(&[
        "exec",
        &bind,
        "sh",
        "-c",
        "echo x >> /work/computation.ipynb",
    ]);
    assert!(
        !refused.ok() && refused.stderr.contains("Read-only file system"),
        "{}",
        text(&refused)
    );
    // And it was made by the project.
    assert_eq!(
        docker_ok(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"jupyter-docker-xtask.owner\"}}",
            &bind
        ]),
        "xtask"
    );
}

/// The names the article's own commands give in one of its sections (`## TITLE`): the
/// containers' `--name`s and the named volumes (`-v NAME:/dir`, `docker volume create NAME`).
fn article_names(title: &str) -> (Vec<String>, Vec<String>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series/manage-jupyter-data-docker.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the series is read from ../shared beside the project)",
            path.display()
        )
    });
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let section = &text[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let grab = |re: &str| -> Vec<String> {
        let mut v: Vec<String> = regex::Regex::new(re)
            .unwrap()
            .captures_iter(section)
            .map(|c| c[1].to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    (
        grab(r"--name ([\w.-]+)"),
        grab(r"(?:-v |volume create )([A-Za-z][\w.-]*)(?::|\s|$)"),
    )
}

#[test]
fn one_section_in_parallel_mode_leaves_nothing() {
    images();
    // What the article's Bind Mounts section makes, by its own names.
    let (containers, volumes) = article_names("Bind Mounts");
    assert_eq!(
        (containers.as_slice(), volumes.as_slice()),
        (
            ["custom-jupyter-container".to_string()].as_slice(),
            ["named-data-volume".to_string()].as_slice()
        )
    );

    // `--report` takes a plain file only (not /dev/null).
    let report_file = tempfile::NamedTempFile::new().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let child = std::process::Command::new(bin)
        .args([
            "walkthrough",
            "manage-data",
            "--section",
            "bind",
            "--parallel",
            "--json",
            "--report",
        ])
        .arg(report_file.path())
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Under a test run a walkthrough suffixes the article's names with the run and its pid (and
    // more, when a section runs beside others): every name it can have made starts with this.
    let under = format!("-{}-p{}", run_id(), child.id());
    let made: Vec<(&str, String)> = containers
        .iter()
        .map(|c| ("container", format!("{c}{under}")))
        .chain(volumes.iter().map(|v| ("volume", format!("{v}{under}"))))
        .collect();
    let _guards: Vec<Guard> = made
        .iter()
        .map(|(kind, name)| {
            if *kind == "container" {
                Guard::container(name)
            } else {
                Guard::volume(name)
            }
        })
        .collect();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sections"].as_array().unwrap().len(), 1);
    // The walkthrough worked with the article's names (so what is checked below is what it used).
    let s = section(&report, "Bind mounts");
    assert!(
        s["container"].as_str().unwrap().starts_with(&made[0].1)
            && s["volume"].as_str().unwrap().starts_with(&made[1].1),
        "{s}"
    );
    // Nothing by those names is left: not the section's, not a renamed or a `-wt` one.
    for (kind, prefix) in &made {
        assert!(is_gone(kind, prefix), "{kind} {prefix} left");
        let filter = format!("name={prefix}");
        let left = match *kind {
            "container" => docker_ok(&[
                "container",
                "ls",
                "-a",
                "--filter",
                &filter,
                "--format",
                "{{.Names}}",
            ]),
            _ => docker_ok(&["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
        };
        assert!(
            left.lines().all(|n| !n.starts_with(prefix.as_str())),
            "{kind} left under the article's name: {left}"
        );
    }
    // Each command was printed as it ran.
    assert!(String::from_utf8_lossy(&out.stderr).contains("$ docker run -d -v "));
}

#[test]
fn unknown_articles_and_sections_are_one_line_errors() {
    let out = xtask()
        .args(["walkthrough", "no-such-article"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("unknown article") && stderr.contains("manage-data"),
        "{stderr}"
    );
    let out = xtask()
        .args(["walkthrough", "manage-data", "--section", "nope"])
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no section \"nope\""));
    let list = xtask().args(["walkthrough", "--list"]).assert().success();
    assert!(
        String::from_utf8_lossy(&list.get_output().stdout).contains("manage-jupyter-data-docker")
    );
}

#[test]
fn ctrl_c_mid_walkthrough_leaves_nothing_behind() {
    images();
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let child = std::process::Command::new(bin)
        .args(["walkthrough", "manage-data", "--section", "named"])
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let prefix = format!("custom-jupyter-container-{}-p{pid}", run_id());
    let volume = format!("named-data-volume-{}-p{pid}", run_id());
    let _guards = (Guard::container(&prefix), Guard::volume(&volume));
    // Wait until the walkthrough's container exists, then interrupt it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while is_gone("container", &prefix) {
        assert!(
            std::time::Instant::now() < deadline,
            "the walkthrough never started its container"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted: removed container"));
    assert!(is_gone("container", &prefix), "container left");
    assert!(is_gone("volume", &volume), "volume left");
}
