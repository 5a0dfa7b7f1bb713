//! `up --host`: JupyterLab on the remote, served here through an SSH tunnel; the remote named by
//! `--host`, `DOCKER_HOST` or a Docker context; `down --host` keeps the volume.

use serde_json::Value;

use super::support::*;
use super::{remote, xtask_on, OnRemote};
use xtask::sandbox::Remote;

#[test]
fn up_host_serves_through_an_ssh_tunnel_and_down_keeps_the_volume() {
    images();
    let remote = remote();
    let (name, volume) = (unique("jdx-remote-up"), unique("jdx-remote-vol"));
    let notebooks_volume = format!("{name}-notebooks");
    let _made = OnRemote::new(&remote, &name, &[&volume, &notebooks_volume]);
    let notebooks = notebooks_copy();
    let nb = notebooks.path().to_str().unwrap();
    let (json, _) = up_host(&remote, &name, &volume, nb, "0");
    let port = json["port"].as_u64().unwrap() as u16;
    let token = json["token"].as_str().expect("a token").to_string();
    assert!(
        json["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://127.0.0.1:{port}/")),
        "{json}"
    );

    // Through the tunnel from this machine's loopback: 200 with the token, 403 without.
    assert_eq!(http_status(port, "/api/status", Some(&token)), 200);
    assert_eq!(http_status(port, "/api/status", None), 403);

    assert_the_container_is_on_the_remote_only(&remote, &name, &notebooks_volume);
    assert_a_second_up_is_the_same_and_sends_nothing(&remote, &name, &volume, nb, &json);

    // The same remote named by DOCKER_HOST, or by a Docker context (in a config folder of the test's own).
    assert_docker_host_names_the_remote(&remote, &name, port);
    let config = tempfile::tempdir().unwrap();
    assert_a_docker_context_names_the_remote(&remote, &name, &json, config.path());

    assert_down_keeps_the_volume_and_closes_the_tunnel(&remote, &name, &volume, port);
}

/// `up --host --json` of the container `name` on the remote, its local end of the tunnel on `port`:
/// its JSON and what it said on stderr.
fn up_host(
    remote: &Remote,
    name: &str,
    volume: &str,
    notebooks: &str,
    port: &str,
) -> (Value, String) {
    let out = xtask_on(remote)
        .args([
            "up",
            "--host",
            &remote.url,
            "--name",
            name,
            "--volume",
            volume,
            "--notebooks",
            notebooks,
            "--port",
            port,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "up --host failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (json, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// On the remote: published on its loopback only, the notebook user, no-new-privileges, labelled,
/// the notebooks copied into a volume of their own (read-only), nothing on this host's engine.
fn assert_the_container_is_on_the_remote_only(remote: &Remote, name: &str, notebooks_volume: &str) {
    let inspect = remote
        .direct
        .inspect("container", name)
        .expect("the container is on the remote");
    assert_eq!(
        inspect["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostIp"], "127.0.0.1",
        "{}",
        inspect["HostConfig"]["PortBindings"]
    );
    assert_eq!(inspect["Config"]["User"], "1000:100");
    assert!(inspect["HostConfig"]["SecurityOpt"]
        .to_string()
        .contains("no-new-privileges"));
    assert_eq!(
        inspect["Config"]["Labels"]["jupyter-docker-xtask.managed"],
        "true"
    );
    let work = inspect["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/work")
        .cloned()
        .expect("a mount at /work");
    assert_eq!(
        (
            work["Type"].as_str(),
            work["Name"].as_str(),
            work["RW"].as_bool()
        ),
        (Some("volume"), Some(notebooks_volume), Some(false))
    );
    let listed = remote.direct.exec(name, &["ls", "/work"]).unwrap().stdout;
    assert!(
        listed.contains("computation.ipynb"),
        "the notebooks were not copied: {listed}"
    );
    assert!(
        is_gone("container", name),
        "up --host made {name} on this machine's engine"
    );
}

/// Again: the same container and image (nothing sent), the same local port; `status --host` says
/// where it is served.
fn assert_a_second_up_is_the_same_and_sends_nothing(
    remote: &Remote,
    name: &str,
    volume: &str,
    notebooks: &str,
    json: &Value,
) {
    let port = json["port"].as_u64().unwrap() as u16;
    // (Unless another test on this machine rebuilt the image meanwhile: then it is sent, rightly.)
    let built = || engine().image_id("custom-jupyter-image:named-volume");
    let shipped = remote.direct.image_id("custom-jupyter-image:named-volume");
    let before = built();
    let (again, said) = up_host(remote, name, volume, notebooks, &port.to_string());
    assert_eq!(again["port"], json["port"]);
    if before == shipped && built() == before && !said.contains("Building") {
        assert!(
            !said.contains("Sending"),
            "the image was sent again though the remote has it:\n{said}"
        );
    }
    let status = xtask_on(remote)
        .args(["status", "--host", &remote.url, "--name", name])
        .assert()
        .success();
    let status = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    assert!(
        status.contains(&format!("127.0.0.1:{port} here")),
        "{status}"
    );
}

/// `status` finds the remote by `DOCKER_HOST`.
fn assert_docker_host_names_the_remote(remote: &Remote, name: &str, port: u16) {
    let by_env = xtask_on(remote)
        .env("DOCKER_HOST", &remote.url)
        .args(["status", "--name", name])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&by_env.get_output().stdout)
        .contains(&format!("127.0.0.1:{port} here")));
}

/// `url` finds the remote by a Docker context made in the config folder `config`.
fn assert_a_docker_context_names_the_remote(
    remote: &Remote,
    name: &str,
    json: &Value,
    config: &std::path::Path,
) {
    let context = unique("jdx-ctx");
    let made = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", config)
        .args([
            "context",
            "create",
            &context,
            "--docker",
            &format!("host={}", remote.url),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let url = xtask_on(remote)
        .env("DOCKER_CONFIG", config)
        .args(["url", "--context", &context, "--name", name])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&url.get_output().stdout).trim(),
        json["url"].as_str().unwrap()
    );
}

/// down --host: the container and the tunnel go, the volume stays.
fn assert_down_keeps_the_volume_and_closes_the_tunnel(
    remote: &Remote,
    name: &str,
    volume: &str,
    port: u16,
) {
    xtask_on(remote)
        .args(["down", "--host", &remote.url, "--name", name])
        .assert()
        .success();
    assert!(
        is_gone_on(&remote.direct, "container", name),
        "down --host left {name} on the remote"
    );
    assert!(
        remote.direct.exists("volume", volume),
        "down --host removed the volume {volume}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the tunnel still listens on 127.0.0.1:{port}"
    );
}
