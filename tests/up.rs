//! `cargo xtask up` and its lifecycle commands, end to end against the real engine.

mod support;

use std::path::Path;

use support::*;

// `--writable-notebooks`, in a file of its own (the binary is still `up`).
#[path = "up/writable.rs"]
mod writable;

const CSV: &str = "Motorized-Foot-Scooter-Trips-2020.csv";

fn volume_sha(volume: &str, image: &str) -> String {
    first_word_of_last_line(&run_ok(
        &RunSpec::new(image)
            .rm()
            .mount(Mount::volume(volume, "/o"))
            .command(&["sha256sum", &format!("/o/{CSV}")]),
    ))
}

fn edit_in_place(notebook: &Path, marker: &str) {
    let text = std::fs::read_to_string(notebook).unwrap();
    std::fs::write(
        notebook,
        text.replacen(
            "\"import os\\n\",",
            &format!("\"# {marker}\\n\",\n    \"import os\\n\","),
            1,
        ),
    )
    .unwrap();
}

#[test]
fn up_serves_the_notebooks_with_outputs_on_a_named_volume() {
    let lab = Lab::new("jdx-up");
    let Lab {
        name,
        volume,
        notebooks,
        ..
    } = &lab;

    let first = lab.up();
    let url = first["url"].as_str().unwrap();
    let port = first["port"].as_u64().unwrap() as u16;
    let token = first["token"].as_str().unwrap();
    assert_eq!(token.len(), 48);
    assert_eq!(url, format!("http://127.0.0.1:{port}/lab?token={token}"));
    assert_eq!(http_status(port, "/api/status", Some(token)), 200);
    assert_eq!(http_status(port, "/api/status", None), 403);

    assert_served_on_loopback_as_the_notebook_user(name, volume);
    let written =
        execute_the_notebook_into_the_volume(name, volume, first["image"].as_str().unwrap());
    assert_host_edits_show_and_the_notebook_is_read_only(
        name,
        &notebooks.path().join("computation.ipynb"),
    );
    assert_a_second_up_gives_the_same_url_without_building(&lab, url);
    assert_a_restart_gives_a_new_token(&lab, token);

    let status = xtask()
        .args(["status", "--name", name, "--json"])
        .assert()
        .success();
    let status: serde_json::Value = serde_json::from_slice(&status.get_output().stdout).unwrap();
    assert_eq!(status["running"], true);
    assert_eq!(status["volume"], volume.as_str());

    assert_down_keeps_the_data_byte_for_byte(&lab, &written);
}

/// Loopback only, the notebook user, no-new-privileges, the labels.
fn assert_served_on_loopback_as_the_notebook_user(name: &str, volume: &str) {
    let bindings = docker_ok(&[
        "inspect",
        "-f",
        "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}} {{end}}{{end}}",
        name,
    ]);
    assert_eq!(bindings.trim(), "127.0.0.1");
    assert!(!docker_ok(&["port", name]).contains("0.0.0.0"));
    assert_eq!(
        docker_ok(&["exec", name, "id"]).lines().last().unwrap(),
        "uid=1000(jovyan) gid=100(users) groups=100(users)"
    );
    assert!(docker_ok(&[
        "inspect",
        "-f",
        "{{.HostConfig.SecurityOpt}} {{.HostConfig.Privileged}}",
        name
    ])
    .contains("no-new-privileges] false"));
    assert_eq!(
        docker_ok(&[
            "volume",
            "inspect",
            "-f",
            "{{index .Labels \"jupyter-docker-xtask.managed\"}}",
            volume
        ]),
        "true"
    );
}

/// `computation.ipynb` executed in the container `name` (its outputs go where the notebook writes).
fn execute_the_notebook(name: &str) {
    docker_ok(&[
        "exec",
        name,
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "computation.ipynb",
        "--output-dir",
        "/tmp/executed",
    ]);
}

/// The notebook, executed in the container, writes into the named volume, owned by jovyan: the
/// checksum of what it wrote.
fn execute_the_notebook_into_the_volume(name: &str, volume: &str, image: &str) -> String {
    execute_the_notebook(name);
    let written = volume_sha(volume, image);
    assert_eq!(
        docker_ok(&[
            "exec",
            name,
            "stat",
            "-c",
            "%U:%G",
            &format!("/work/outputs/{CSV}")
        ]),
        "jovyan:users"
    );
    written
}

/// A host edit shows at once; the container cannot write the notebook.
fn assert_host_edits_show_and_the_notebook_is_read_only(name: &str, notebook: &Path) {
    edit_in_place(notebook, "host-edit-marker");
    assert!(
        docker_ok(&["exec", name, "cat", "/work/computation.ipynb"]).contains("host-edit-marker")
    );
    let refused = docker(&[
        "exec",
        name,
        "sh",
        "-c",
        "echo x >> /work/computation.ipynb",
    ]);
    assert!(!refused.ok(), "the notebook user wrote the notebook");
    assert!(
        refused.stderr.contains("Read-only file system")
            || refused.stderr.contains("Permission denied"),
        "{}",
        text(&refused)
    );
    // Even root in the container is refused: it is the mount that is read-only, not just the file's mode.
    let as_root = docker(&[
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        "echo x >> /work/computation.ipynb",
    ]);
    assert!(
        text(&as_root).contains("Read-only file system"),
        "{}",
        text(&as_root)
    );
    let rw = docker_ok(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Destination \"/work\"}}{{.Type}} {{.RW}}{{end}}{{end}}",
        name,
    ]);
    assert_eq!(rw, "bind false");
}

/// A second `up` returns the same live URL without building.
fn assert_a_second_up_gives_the_same_url_without_building(lab: &Lab, url: &str) {
    let again = xtask().arg("up").args(lab.up_args(&[])).assert().success();
    let out = again.get_output();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .unwrap(),
        url
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Building"));
}

/// After a restart the server has a new token; `up` and `url` give the new one.
fn assert_a_restart_gives_a_new_token(lab: &Lab, token: &str) {
    let name = &lab.name;
    docker_ok(&["restart", name]);
    let restarted = lab.up();
    let new_token = restarted["token"].as_str().unwrap();
    assert_ne!(new_token, token);
    let new_port = restarted["port"].as_u64().unwrap() as u16;
    assert_eq!(http_status(new_port, "/api/status", Some(new_token)), 200);
    assert_eq!(http_status(new_port, "/api/status", Some(token)), 403);
    let url_cmd = xtask().args(["url", "--name", name]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&url_cmd.get_output().stdout).trim(),
        restarted["url"].as_str().unwrap()
    );
}

/// down keeps the volume; up again finds the data byte for byte.
fn assert_down_keeps_the_data_byte_for_byte(lab: &Lab, written: &str) {
    let Lab { name, volume, .. } = lab;
    let down = xtask().args(["down", "--name", name]).assert().success();
    assert!(String::from_utf8_lossy(&down.get_output().stdout)
        .contains(&format!("{volume} and its data are kept")));
    assert!(is_gone("container", name));
    lab.up();
    assert_eq!(
        docker_ok(&["exec", name, "sha256sum", &format!("/work/outputs/{CSV}")])
            .split_whitespace()
            .next()
            .unwrap(),
        written
    );
}

#[test]
fn a_root_owned_volume_made_elsewhere_is_flagged() {
    let lab = Lab::new("jdx-rootvol");
    create_volume(&lab.volume, &[]);
    // Made non-empty by root, so Docker copies no ownership into it.
    run_ok(
        &RunSpec::new("custom-jupyter-image:named-volume")
            .rm()
            .user("0")
            .entrypoint("touch")
            .mount(Mount::volume(&lab.volume, "/v"))
            .command(&["/v/by-root"]),
    );
    let out = xtask().arg("up").args(lab.up_args(&[])).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("warning: /work/outputs")
            && stderr.contains("owned by root:root")
            && stderr.contains("chown"),
        "{stderr}"
    );
}

#[test]
fn a_stopped_container_is_started_again_not_recreated() {
    let lab = Lab::new("jdx-stopped");
    let name = &lab.name;
    lab.up();
    let id = docker_ok(&["inspect", "-f", "{{.Id}}", name]);
    docker_ok(&["stop", name]);
    let again = lab.up();
    assert_eq!(docker_ok(&["inspect", "-f", "{{.Id}}", name]), id);
    assert_eq!(
        http_status(
            again["port"].as_u64().unwrap() as u16,
            "/api/status",
            again["token"].as_str()
        ),
        200
    );
}

/// Each bad input: a non-zero exit, one `error:` line naming the fix, and no container left. Each
/// case's words are its own: no other case's message would satisfy them.
#[test]
fn bad_input_is_refused_and_leaves_nothing() {
    let name = unique("jdx-bad");
    let _c = Guard::container(&name);
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port().to_string();
    let missing = format!("/tmp/{}", unique("no-such-notebooks"));
    let port_taken = format!("host port {busy} is already in use");
    let notebooks_missing = format!("notebooks folder {missing} does not exist");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--port", &busy], vec![&port_taken, "--port 0"]),
        (
            vec!["--name", "bad name!"],
            vec![
                "\"bad name!\": Docker requires [a-zA-Z0-9]",
                "choose another with --name",
            ],
        ),
        (
            vec!["--volume", "x"],
            vec!["invalid volume name \"x\"", "at least 2 characters"],
        ),
        (
            vec!["--image", "Not/Valid:Image"],
            vec!["invalid image reference \"Not/Valid:Image\"", "lowercase"],
        ),
        (
            vec!["--image", "jdx-no-such-image:never"],
            vec![
                "image jdx-no-such-image:never does not exist",
                "build or pull it first",
            ],
        ),
        (
            vec!["--notebooks", &missing],
            vec![&notebooks_missing, "pass an existing one with --notebooks"],
        ),
        (vec!["--timeout", "0"], vec!["--timeout 0 leaves no time"]),
    ];
    let mut errors = Vec::new();
    for (args, words) in &cases {
        let mut cmd = xtask();
        cmd.arg("up").args(args);
        if !args.contains(&"--name") {
            cmd.args(["--name", &name]);
        }
        if !args.contains(&"--volume") {
            cmd.args(["--volume", "jdx-bad-volume-never-made"]);
        }
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        let error = the_error(cmd.assert().failure().get_output());
        for w in words {
            assert!(error.contains(w), "{args:?}: {error}");
        }
        assert!(is_gone("container", &name), "{args:?} left a container");
        errors.push(error);
    }
    // No case's words fit another case's message.
    for (i, error) in errors.iter().enumerate() {
        for (j, (args, words)) in cases.iter().enumerate() {
            if i != j {
                assert!(
                    !words.iter().all(|w| error.contains(w)),
                    "the words for {args:?} also fit: {error}"
                );
            }
        }
    }
    assert!(
        !std::path::Path::new(&missing).exists(),
        "a missing notebooks folder was created"
    );
    assert!(
        is_gone("volume", "jdx-bad-volume-never-made"),
        "a volume was made for bad input"
    );
    drop(holder);
}
