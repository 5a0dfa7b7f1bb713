//! `cargo xtask walkthrough compose`, end to end in both modes: the literal mode is the article
//! replayed from its Markdown in a sandbox that goes with the run; the corrected mode is looked at
//! again by this test (the image Compose built, kept with `--keep`, and what `down -v` removed).

mod support;

use serde_json::Value;
use support::*;

struct Made {
    project: String,
    image: String,
    _guards: Vec<Guard>,
}

fn made(report: &Value) -> Made {
    let s = &report["sections"][0];
    let project = s["names"]["jupyter"].as_str().unwrap().to_string();
    let image = s["names"]["jupyter-jupyter"].as_str().unwrap().to_string();
    let guards = vec![
        Guard::container(s["names"]["custom-jupyter-image"].as_str().unwrap()),
        Guard::container(s["db"].as_str().unwrap()),
        Guard::network(&format!("{project}_default")),
        Guard::volume(&format!("{project}_mysql-data")),
        Guard::image(&image),
    ];
    Made {
        project,
        image,
        _guards: guards,
    }
}

fn common_checks(report: &Value, out: &std::process::Output, made: &Made) {
    assert_eq!(report["ok"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Compose is run as `docker-compose`")
            || stderr.contains("Compose is run as `docker compose`"),
        "says which Compose it used"
    );
    assert!(
        stderr.contains("docker system prune -a    # SKIPPED"),
        "the prune is shown as skipped"
    );
    for words in [
        "up-builds-and-starts",
        "volume-project-prefixed",
        "cells-work",
        "down-keeps-named-volume",
        "data-survives-down-up",
        "down-v-removes-named-volume",
    ] {
        assert_eq!(
            claim(report, words)["holds"],
            true,
            "{words}: {}",
            claim(report, words)["evidence"]
        );
    }
    assert!(claim(report, "volume-project-prefixed")["evidence"]
        .as_str()
        .unwrap()
        .contains(&format!("{}_mysql-data", made.project)));
    // Our own look: `down -v` left no volume, network or container of the project.
    assert!(is_gone("volume", &format!("{}_mysql-data", made.project)));
    assert!(is_gone("network", &format!("{}_default", made.project)));
    let mine = docker_ok(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.project={}", made.project),
        "--format",
        "{{.Names}}",
    ]);
    assert!(mine.is_empty(), "{mine}");
    // The kept image: .dockerignore kept the Dockerfile and the compose file out of /work.
    let mut args = vec!["run", "--rm"];
    let labels = labels();
    args.extend(labels.iter().map(String::as_str));
    args.extend([made.image.as_str(), "ls", "-A", "/work"]);
    let work = docker_ok(&args);
    assert!(
        work.contains("computation.ipynb")
            && !work.contains("docker-compose.yaml")
            && !work.lines().any(|l| l.trim() == "Dockerfile"),
        "{work}"
    );
}

const SLUG: &str = "multi-container-orchestration-docker-compose";

/// One walkthrough at a time: the machine is shared, and the literal test's look for leftovers of
/// this run must not see the corrected test's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's own look at the sandbox's engine while the replay ran (tests/support/watch.rs), for
/// the sections that use it, each agreeing with the walkthrough's verdict. (Before You Begin only
/// stops containers that a fresh engine does not have: nothing of it to show.)
fn the_sandbox_showed(report: &Value, seen: &watch::Seen) {
    let holds = |words: &str| claim(report, words)["holds"].as_bool().unwrap();
    let named = |name: &str| -> Vec<&Value> {
        seen.containers_in("jdx-sandbox-")
            .into_iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, c)| c)
            .collect()
    };
    // Start Services: Compose's project `jupyter` made both containers, mysql-db's data on the
    // named volume jupyter_mysql-data.
    let (jupyter, db) = (named("custom-jupyter-image"), named("mysql-db"));
    assert!(!jupyter.is_empty() && !db.is_empty(), "{}", seen.summary());
    for c in jupyter.iter().chain(&db) {
        assert_eq!(
            c["Config"]["Labels"]["com.docker.compose.project"],
            "jupyter"
        );
    }
    assert!(db.iter().any(|c| c["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["Name"] == "jupyter_mysql-data" && m["Destination"] == "/var/lib/mysql")));
    assert!(holds("up-creates-network-volume"));
    // Stop Services: the Jupyter container published on every address, mysql-db nowhere.
    let address = &jupyter[0]["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostIp"];
    assert!(address == "" || address == "0.0.0.0", "{address}");
    assert!(db.iter().all(|c| c["HostConfig"]["PortBindings"]
        .as_object()
        .is_none_or(|p| p.is_empty())));
    assert!(holds("ps-lists-mysql"));
    eprintln!(
        "seen in the sandbox's engine: Compose project jupyter's custom-jupyter-image (published \
         on {address}) and mysql-db (nothing published, data on jupyter_mysql-data)"
    );
}

#[test]
fn literal_mode_is_the_articles_replay() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (report, out, seen) = walkthrough_seen(&["compose", "--literal"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The sandbox went with the run, and nothing else of this run is left on the host engine.
    assert_nothing_left(&seen.run);
    assert!(out.status.success(), "{stderr}");
    assert_claims(&report, "compose");
    // Every docker command ran as written, the note's `docker system prune -a` included (it only
    // touches the sandbox's engine).
    assert_commands_replayed(&report, SLUG);
    the_sandbox_showed(&report, &seen);
    let evidence = |words: &str| {
        claim(&report, words)["evidence"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // From the sandbox's engine: the stand-ins named, the image Compose v1 built, a real docker ps row.
    assert!(
        stderr.contains("stand-in for mysql:") && stderr.contains("$ docker compose up"),
        "{stderr}"
    );
    let built = evidence("up-builds-jupyter");
    assert!(
        built.contains("Successfully tagged jupyter_jupyter") || built.contains("naming to"),
        "{built}"
    );
    if built.contains("jupyter_jupyter") {
        assert!(
            built.contains("stand-in plugin handing over to Compose v1"),
            "v1's name is said to be the stand-in's: {built}"
        );
    }
    let pulls = evidence("up-pulls-images");
    assert!(
        pulls.contains("Pulling from library/mysql")
            && pulls.contains("Pulling from jupyter/minimal-notebook"),
        "a fresh sandbox pulls: {pulls}"
    );
    let row = regex::Regex::new(r"row: [0-9a-f]{12} jupyter[-_]jupyter .*Up [^(]*\(healthy\) 0\.0\.0\.0:8888->8888/tcp(, :::8888->8888/tcp)? custom-jupyter-image").unwrap();
    assert!(
        row.is_match(&evidence("ps-lists-jupyter")),
        "{}",
        evidence("ps-lists-jupyter")
    );
    // Timed, from the engine's own clocks: the Jupyter container's start and MySQL's log line.
    let ready = evidence("depends-on-db-ready");
    assert!(
        regex::Regex::new(r"started at 20\d\d-.*listens on 3306 at 20\d\d-.*: \+\d+\.\d\ds after")
            .unwrap()
            .is_match(&ready),
        "{ready}"
    );
    assert!(evidence("jupyter-reaches-mysql").contains("MYSQL_USER=root"));
    assert!(evidence("down-keeps-volume").contains("ibdata1"));
    assert!(
        evidence("file-browser-lists").contains("computation,ipynb"),
        "the notebook written under its block's title"
    );
    // No secret in any evidence: the token and the compose file's password are masked.
    let token = regex::Regex::new(r"token=[0-9a-f]{32,}").unwrap();
    for c in report["claims"].as_array().unwrap() {
        let e = c["evidence"].as_str().unwrap();
        assert!(!e.contains("my-secret-pw") && !token.is_match(e), "{e}");
    }
    assert!(evidence("password-out-of-image").contains("MYSQL_PASSWORD=<redacted>"));
}

#[test]
fn corrected_mode_waits_for_health_and_bakes_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (report, out, made) = kept_walkthrough(&["compose", "--keep"], made);
    common_checks(&report, &out, &made);
    assert_eq!(claim(&report, "db-ready-for-n2")["holds"], true);
    assert_eq!(claim(&report, "password-out-of-image")["holds"], true);
    assert!(!docker_ok(&["image", "inspect", &made.image]).contains("my-secret-pw"));
    assert!(!docker_ok(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        &made.image
    ])
    .contains("my-secret-pw"));
    assert_claims(&report, "compose");
    pinned::look_for_ourselves(&report, &out, &made);
}

// ---- Every claim's verdict, pinned or looked at again (issue 11 item 5) ----------------------------
// Kept apart from the tests above so it merges on its own. compose/claims.md holds, for every claim the
// walkthrough makes, the verdict that the article and ../shared/series/STEPS.md (article 4) give,
// per mode and section; a claim the report has and the table does not fails the test. The prose
// above each table says what the tests re-observe themselves (in `common_checks` or `look_for_ourselves`).
mod pinned {
    use super::*;

    pub fn look_for_ourselves(report: &Value, out: &std::process::Output, made: &Made) {
        // The attached `up`, as the transcript recorded it: the Jupyter container's lines, with the URL.
        let jupyter = report["sections"][0]["names"]["custom-jupyter-image"]
            .as_str()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let prefixed = |l: &&str| {
            l.split_once('|')
                .is_some_and(|(name, _)| name.trim() == jupyter)
        };
        assert!(
            stderr
                .lines()
                .filter(prefixed)
                .any(|l| l.contains("http://127.0.0.1:8888/lab?token=<redacted>")),
            "the attached up's lines of {jupyter} carry the URL"
        );
        // `(healthy)` in docker ps needs a healthcheck in the image Compose built.
        let check = docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Healthcheck}}",
            &made.image,
        ]);
        assert!(
            check.contains("\"Test\""),
            "the built image has a healthcheck: {check}"
        );
    }
}
