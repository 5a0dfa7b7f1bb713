//! The literal mode: the article replayed from its Markdown in the sandbox, its claims checked at
//! their steps, and what this test saw in the sandbox's engine.

use super::*;

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
    assert!(holds("readonly-blocks-container"));
    eprintln!(
        "seen in the sandbox's engine: anonymous volumes {anonymous:?} at /project/outputs, root's, \
         never holding a CSV; named-data-volume there, root's; the notebook bind-mounted \
         writable and read-only"
    );
}

/// `--fix` (issue 28): the replay saw the volume's errata fail, so the patch writes /work/outputs
/// at each line manage_data/fixes.md names, each with the failing claim as its evidence, and at no
/// other line (the first Dockerfile's VOLUME, line 139, mends no erratum of the replay).
fn the_fix_mends_the_volume_errata(report: &Value) {
    let changes = report["fix"]["changes"]
        .as_array()
        .expect("the fix's changes");
    let errata: Vec<(u64, bool)> = changes
        .iter()
        .filter(|c| c["rule"] == "erratum")
        .map(|c| (c["line"].as_u64().unwrap(), c["changed"].as_bool().unwrap()))
        .collect();
    let lines = [415, 431, 554, 597, 615].map(|l| (l, true));
    assert_eq!(errata, lines, "{changes:?}");
    let at = |line: u64| {
        changes
            .iter()
            .find(|c| c["line"] == line && c["rule"] == "erratum")
    };
    let said = at(415).unwrap()["evidence"].as_str().unwrap();
    assert!(
        said.starts_with("line 415: data-in-volume failed, as the article's commands make it (")
            && said
                .ends_with("written `VOLUME [\"/work/outputs\"]`, as the corrected recipe has it"),
        "{said}"
    );
    let diff = report["fix"]["diff"].as_str().unwrap();
    for line in [
        "-    VOLUME [\"/project/outputs\"]",
        "+    VOLUME [\"/work/outputs\"]",
        "+    docker run -d -v /work/outputs -it -p 8888:8888 --name custom-jupyter-container custom-jupyter-image:anon-volume",
        "+    docker run -d -v named-data-volume:/work/outputs -it -p 8888:8888 --name custom-jupyter-container custom-jupyter-image:named-volume",
    ] {
        assert!(diff.lines().any(|l| l == line), "{line:?} not in the diff:\n{diff}");
    }
    assert!(diff
        .starts_with("--- a/manage-jupyter-data-docker.md\n+++ b/manage-jupyter-data-docker.md\n"));
}

/// Every docker command of the article ran, as written and at its line (VOLUME_NAME asked of the
/// sandbox: the anonymous volume's generated name), each with an exit; the build is real, the
/// sandbox's engine building the Dockerfile the replay wrote from the article.
fn each_docker_command_ran_as_written(report: &Value) {
    let text = series_text("manage-jupyter-data-docker");
    let transcript = report["transcript"].as_array().unwrap();
    let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    let generated = regex::Regex::new(r"^[0-9a-f]{64}$").unwrap();
    let mut ran_count = 0;
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
        let (ran, want) = (words(entry["command"].as_str().unwrap()), words(&command));
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
        "article 2 has 19 docker commands, each run as written"
    );
    let build = transcript
        .iter()
        .find(|e| e["line"] == 151 && e["command"].is_string())
        .expect("the build at line 151");
    assert!(
        build["output"]
            .as_str()
            .unwrap()
            .contains("Step 1/7 : FROM jupyter/minimal-notebook"),
        "{build}"
    );
}

#[test]
fn literal_mode_replays_the_article_and_checks_its_claims_at_their_steps() {
    let (report, out, seen) = walkthrough_seen(&["manage-data", "--literal", "--fix"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["mode"], "literal");
    assert_eq!(report["article"], "manage-jupyter-data-docker");
    assert_claims(&report, "manage-data");
    assert_commands_replayed(&report, "manage-jupyter-data-docker");
    each_docker_command_ran_as_written(&report);
    the_sandbox_showed(&report, &seen);
    the_fix_mends_the_volume_errata(&report);
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
