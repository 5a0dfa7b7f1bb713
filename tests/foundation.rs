//! The foundation: the base and series images, built here with no registry, keep the
//! docker-stacks contract, and the xtask's set-up commands behave.

mod support;

use support::*;

#[test]
fn named_volume_image_runs_as_jovyan_with_the_geospatial_stack() {
    images();
    let id = docker_ok(&["run", "--rm", "--label", MANAGED, "custom-jupyter-image:named-volume", "id"]);
    assert_eq!(id.lines().last().unwrap(), "uid=1000(jovyan) gid=100(users) groups=100(users)");
    let versions = docker_ok(&[
        "run", "--rm", "--label", MANAGED, "custom-jupyter-image:named-volume", "python", "-c",
        "import geopandas; from osgeo import gdal; print(geopandas.__version__, gdal.__version__)",
    ]);
    let last = versions.lines().last().unwrap();
    assert_eq!(last.split_whitespace().count(), 2, "{versions}");
}

#[test]
fn every_series_image_is_built_and_labelled() {
    images();
    for tag in ["anon-volume", "anon-volume-chown", "named-volume", "preload"] {
        let image = format!("custom-jupyter-image:{tag}");
        let label = docker_ok(&["image", "inspect", "--format", "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}}", &image]);
        assert_eq!(label, "true", "{image}");
    }
    // The --chown form and the root-owned one differ exactly where the article says.
    let owner = |image: &str| docker_ok(&["run", "--rm", "--label", MANAGED, image, "stat", "-c", "%U:%G", "/work/computation.ipynb"]);
    assert!(owner("custom-jupyter-image:anon-volume").ends_with("root:root"));
    assert!(owner("custom-jupyter-image:named-volume").ends_with("jovyan:users"));
}

#[test]
fn base_container_prints_a_token_that_guards_the_api_and_turns_healthy() {
    images();
    let base = xtask().arg("base").assert().success();
    let image = String::from_utf8_lossy(&base.get_output().stdout).trim().to_string();
    let name = unique("jdx-base");
    let mut run = vec!["run", "-d", "--name", &name, "-p", "127.0.0.1::8888"];
    let labels = labels();
    run.extend(labels.iter().map(String::as_str));
    run.push(&image);
    let _guard = Guard::container(&name);
    docker_ok(&run);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let token = loop {
        let log = text(&docker(&["logs", &name]));
        if let Some(t) = log.split("token=").nth(1).map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect::<String>()) {
            if t.len() == 48 {
                break t;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no token in the log:\n{log}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let port: u16 = docker_ok(&["port", &name, "8888/tcp"]).lines().next().unwrap().rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(http_status(port, "/api/status", Some(&token)), 200);
    assert_eq!(http_status(port, "/api/status", None), 403);

    let log = text(&docker(&["logs", &name]));
    assert!(log.contains("Entered start.sh with args:"), "{log}");
    assert!(log.contains("Executing the command:"), "{log}");
    loop {
        let health = docker_ok(&["inspect", "-f", "{{.State.Health.Status}}", &name]);
        if health == "healthy" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "health stayed {health}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
fn an_unchanged_recipe_is_not_rebuilt() {
    images();
    let before = docker_ok(&["image", "inspect", "--format", "{{.Id}}", "custom-jupyter-image:preload"]);
    let out = xtask().args(["build", "preload"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("Building custom-jupyter-image:preload"), "rebuilt:\n{stderr}");
    assert_eq!(before, docker_ok(&["image", "inspect", "--format", "{{.Id}}", "custom-jupyter-image:preload"]));
}

#[test]
fn an_unknown_image_is_refused_before_anything_runs() {
    let out = xtask().args(["build", "no-such-image"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("unknown image \"no-such-image\"") && stderr.contains("named-volume"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
}

#[test]
fn doctor_reports_the_machine() {
    let out = xtask().args(["doctor", "--json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["ok"], true);
    let checks: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    for want in ["docker client", "docker engine", "rootless", "builder", "compose", "official base", "mmdebstrap", "free disk", "port 8888"] {
        assert!(checks.contains(&want), "{want} missing from {checks:?}");
    }
}

#[test]
fn an_unreachable_engine_is_one_clear_error() {
    let out = xtask().args(["build", "preload"]).env("DOCKER_HOST", "tcp://127.0.0.1:1").assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("does not answer") && stderr.contains("DOCKER_HOST"), "{stderr}");
    let doctor = xtask().args(["doctor"]).env("DOCKER_HOST", "tcp://127.0.0.1:1").assert().failure();
    assert!(String::from_utf8_lossy(&doctor.get_output().stdout).contains("FAIL docker engine"));
}
