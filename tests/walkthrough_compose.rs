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
    assert_eq!(report["ok"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Compose is run as `docker-compose`") || stderr.contains("Compose is run as `docker compose`"), "says which Compose it used");
    assert!(stderr.contains("docker system prune -a    # SKIPPED"), "the prune is shown as skipped");
    for words in ["builds the Jupyter image and starts both", "project-prefixed name", "work against the mysql service", "keeps the named volume", "data is still in the volume", "`down -v` removes"] {
        assert_eq!(claim(report, words)["holds"], true, "{words}: {}", claim(report, words)["evidence"]);
    }
    assert!(claim(report, "project-prefixed")["evidence"].as_str().unwrap().contains(&format!("{}_mysql-data", made.project)));
    // Our own look: `down -v` left no volume, network or container of the project.
    assert!(is_gone("volume", &format!("{}_mysql-data", made.project)));
    assert!(is_gone("network", &format!("{}_default", made.project)));
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
    let (report, out, made) = kept_walkthrough(&["compose", "--keep", "--literal"], made);
    common_checks(&report, &out, &made);
    let waited = claim(&report, "as soon as the Jupyter container runs");
    assert_eq!((waited["holds"].as_bool(), waited["expected"].as_bool()), (Some(false), Some(false)));
    assert!(docker_ok(&["image", "inspect", &made.image]).contains("MYSQL_PASSWORD=my-secret-pw"), "the build argument is in the image");
    assert_pinned_words(&report, "literal", pinned::PINNED);
    pinned::look_for_ourselves(&report, &out, &made);
}

#[test]
fn corrected_mode_waits_for_health_and_bakes_nothing() {
    let (report, out, made) = kept_walkthrough(&["compose", "--keep"], made);
    common_checks(&report, &out, &made);
    assert_eq!(claim(&report, "as soon as the Jupyter container runs")["holds"], true);
    assert_eq!(claim(&report, "password stays out")["holds"], true);
    assert!(!docker_ok(&["image", "inspect", &made.image]).contains("my-secret-pw"));
    assert!(!docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", &made.image]).contains("my-secret-pw"));
    assert_pinned_words(&report, "corrected", pinned::PINNED);
    pinned::look_for_ourselves(&report, &out, &made);
}

// ---- Every claim's verdict, pinned or looked at again (issue 11 item 5) ----------------------------
// Kept apart from the tests above so it merges on its own. `PINNED` holds, for every claim the
// walkthrough makes, the (holds, expected) that the article and ../shared/series/STEPS.md (article 4)
// give, per mode; a claim the report has and the table does not fails the test. The `why` column
// of each row says what this test re-observes itself (above, in `common_checks`, or in `look_for_ourselves`).
mod pinned {
    use super::*;

    /// Every claim's verdict, and where it comes from: tests/pinned/compose.md.
    pub const PINNED: &str = include_str!("pinned/compose.md");


    pub fn look_for_ourselves(report: &Value, out: &std::process::Output, made: &Made) {
        // The attached `up`, as the transcript recorded it: the Jupyter container's lines, with the URL.
        let jupyter = report["sections"][0]["names"]["custom-jupyter-image"].as_str().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let prefixed = |l: &&str| l.split_once('|').is_some_and(|(name, _)| name.trim() == jupyter);
        assert!(stderr.lines().filter(prefixed).any(|l| l.contains("http://127.0.0.1:8888/lab?token=<redacted>")), "the attached up's lines of {jupyter} carry the URL");
        // `(healthy)` in docker ps needs a healthcheck in the image Compose built.
        let check = docker_ok(&["image", "inspect", "--format", "{{json .Config.Healthcheck}}", &made.image]);
        assert!(check.contains("\"Test\""), "the built image has a healthcheck: {check}");
    }
}

