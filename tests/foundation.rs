//! The foundation: the base and series images, built here with no registry, keep the
//! docker-stacks contract, and the xtask's set-up commands behave.

mod support;

use std::time::Duration;

use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

#[test]
fn named_volume_image_runs_as_jovyan_with_the_geospatial_stack() {
    images();
    let id = run_ok(&RunSpec::new(IMAGE).rm().command(&["id"]));
    assert_eq!(
        id.lines().last().unwrap(),
        "uid=1000(jovyan) gid=100(users) groups=100(users)"
    );
    let versions = run_ok(&RunSpec::new(IMAGE).rm().command(&[
        "python",
        "-c",
        "import geopandas; from osgeo import gdal; print(geopandas.__version__, gdal.__version__)",
    ]));
    let last = versions.lines().last().unwrap();
    assert_eq!(last.split_whitespace().count(), 2, "{versions}");
}

#[test]
fn every_series_image_is_built_and_labelled() {
    images();
    for tag in [
        "anon-volume",
        "anon-volume-chown",
        "named-volume",
        "preload",
        "mysql-connected",
    ] {
        let image = format!("custom-jupyter-image:{tag}");
        let label = docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}}",
            &image,
        ]);
        assert_eq!(label, "true", "{image}");
    }
    // The --chown form and the root-owned one differ exactly where the article says.
    let owner = |image: &str| {
        run_ok(&RunSpec::new(image).rm().command(&[
            "stat",
            "-c",
            "%U:%G",
            "/work/computation.ipynb",
        ]))
    };
    assert!(owner("custom-jupyter-image:anon-volume").ends_with("root:root"));
    assert!(owner(IMAGE).ends_with("jovyan:users"));
}

#[test]
fn base_container_prints_a_token_that_guards_the_api_and_turns_healthy() {
    images();
    let image = base_image();
    let name = unique("jdx-base");
    let _guard = Guard::container(&name);
    run_ok(&RunSpec::detached(&image, &name).publish(Publish::loopback(None, 8888)));

    let mut token = String::new();
    wait_until(Duration::from_secs(90), "no token in the log", || {
        let log = text(&docker(&["logs", &name]));
        token = log
            .split("token=")
            .nth(1)
            .map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect())
            .unwrap_or_default();
        token.len() == 48
    });
    let (ip, port) = engine().published_port(&name, 8888).unwrap();
    assert_eq!(ip, "127.0.0.1");
    assert_eq!(http_status(port, "/api/status", Some(&token)), 200);
    assert_eq!(http_status(port, "/api/status", None), 403);

    let log = text(&docker(&["logs", &name]));
    assert!(log.contains("Entered start.sh with args:"), "{log}");
    assert!(log.contains("Executing the command:"), "{log}");
    // `unhealthy` can be a passing state on a loaded machine (1 s probes from the 3rd second on):
    // the promise is that it turns healthy.
    let mut health = String::new();
    wait_until(
        Duration::from_secs(90),
        "the container never turned healthy",
        || {
            health = docker_ok(&["inspect", "-f", "{{.State.Health.Status}}", &name]);
            health == "healthy"
        },
    );
}

#[test]
fn an_unchanged_recipe_is_not_rebuilt() {
    images();
    let before = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        "custom-jupyter-image:preload",
    ]);
    let out = shared_xtask().args(["build", "preload"]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        !stderr.contains("Building custom-jupyter-image:preload"),
        "rebuilt:\n{stderr}"
    );
    assert_eq!(
        before,
        docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            "custom-jupyter-image:preload"
        ])
    );
}

#[test]
fn an_unknown_image_is_refused_before_anything_runs() {
    let out = xtask().args(["build", "no-such-image"]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("unknown image \"no-such-image\"") && stderr.contains("named-volume"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
}

/// What doctor reports is what the machine has: each detail compared with the tools' own answers.
#[test]
fn doctor_reports_the_machine() {
    let out = xtask().args(["doctor", "--json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<&str> = checks
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "docker client",
            "docker engine",
            "rootless",
            "builder",
            "compose",
            "official base",
            "mmdebstrap",
            "free disk",
            "port 8888"
        ]
    );
    for c in checks {
        assert!(
            ["ok", "warn"].contains(&c["level"].as_str().unwrap()),
            "{c}"
        );
    }
    let detail = |name: &str| {
        checks.iter().find(|c| c["check"] == name).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let client = std::process::Command::new("docker")
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        detail("docker client"),
        String::from_utf8_lossy(&client.stdout).trim()
    );
    let server = docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    assert_eq!(detail("docker engine"), format!("{server}, answering"));
    let rootless = docker_ok(&["info", "--format", "{{.SecurityOptions}}"]).contains("rootless");
    assert_eq!(
        detail("rootless").starts_with("rootless engine"),
        rootless,
        "{}",
        detail("rootless")
    );

    // The Compose that is installed: the v2 plugin if `docker compose` answers, else v1.
    let plugin = docker(&["compose", "version", "--short"]);
    let v1 = std::process::Command::new("docker-compose")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let compose = detail("compose");
    match (plugin.ok(), v1) {
        (true, _) => assert_eq!(
            compose,
            format!("`docker compose` plugin {}", plugin.stdout.trim())
        ),
        (false, Some(v1)) => assert_eq!(
            compose,
            format!(
                "`docker-compose` v1 {} (no v2 plugin)",
                String::from_utf8_lossy(&v1.stdout).trim()
            )
        ),
        (false, None) => assert!(compose.starts_with("neither"), "{compose}"),
    }
}

#[test]
fn an_unreachable_engine_is_one_clear_error() {
    let out = xtask()
        .args(["build", "preload"])
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("does not answer") && stderr.contains("DOCKER_HOST"),
        "{stderr}"
    );
    let doctor = xtask()
        .args(["doctor"])
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&doctor.get_output().stdout).contains("FAIL docker engine"));
}
