//! `cargo xtask walkthrough compose`, end to end in both modes, with this test's own look at the
//! image Compose built (kept with `--keep`) and at what `down -v` removed.

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
    Made { project, image, _guards: guards }
}

fn common_checks(report: &Value, out: &std::process::Output, made: &Made) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report["ok"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Compose is run as `docker-compose`") || stderr.contains("Compose is run as `docker compose`"), "says which Compose it used");
    assert!(stderr.contains("docker system prune -a    # SKIPPED"), "the prune is shown as skipped");
    for words in ["builds the Jupyter image and starts both", "project-prefixed name", "work against the mysql service", "keeps the named volume", "data is still in the volume", "`down -v` removes"] {
        assert_eq!(claim(report, words)["holds"], true, "{words}: {}", claim(report, words)["evidence"]);
    }
    assert!(claim(report, "project-prefixed")["evidence"].as_str().unwrap().contains(&format!("{}_mysql-data", made.project)));
    // Our own look: `down -v` left no volume, network or container of the project.
    assert!(docker(&["volume", "inspect", &format!("{}_mysql-data", made.project)]).status.code() != Some(0));
    assert!(docker(&["network", "inspect", &format!("{}_default", made.project)]).status.code() != Some(0));
    let mine = docker_ok(&["ps", "-a", "--filter", &format!("label=com.docker.compose.project={}", made.project), "--format", "{{.Names}}"]);
    assert!(mine.is_empty(), "{mine}");
    // The kept image: .dockerignore kept the Dockerfile and the compose file out of /work.
    let mut args = vec!["run", "--rm"];
    let labels = labels();
    args.extend(labels.iter().map(String::as_str));
    args.extend([made.image.as_str(), "ls", "-A", "/work"]);
    let work = docker_ok(&args);
    assert!(work.contains("computation.ipynb") && !work.contains("docker-compose.yaml") && !work.lines().any(|l| l.trim() == "Dockerfile"), "{work}");
}

#[test]
fn literal_mode_bakes_the_password_and_does_not_wait() {
    images();
    let (report, out) = walkthrough(&["compose", "--keep", "--literal"]);
    let made = made(&report);
    common_checks(&report, &out, &made);
    let waited = claim(&report, "accepts connections when `up` returns");
    assert_eq!((waited["holds"].as_bool(), waited["expected"].as_bool()), (Some(false), Some(false)));
    assert!(docker_ok(&["image", "inspect", &made.image]).contains("MYSQL_PASSWORD=my-secret-pw"), "the build argument is in the image");
}

#[test]
fn corrected_mode_waits_for_health_and_bakes_nothing() {
    images();
    let (report, out) = walkthrough(&["compose", "--keep"]);
    let made = made(&report);
    common_checks(&report, &out, &made);
    assert_eq!(claim(&report, "accepts connections when `up` returns")["holds"], true);
    assert_eq!(claim(&report, "password stays out")["holds"], true);
    assert!(!docker_ok(&["image", "inspect", &made.image]).contains("my-secret-pw"));
    assert!(!docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", &made.image]).contains("my-secret-pw"));
}
