//! The sandbox engine, end to end: an article's `docker pull mysql` and `-p 8888:8888` run as
//! written inside it, and nothing reaches the person's engine or the sandbox's API from outside.

mod support;

use support::*;
use xtask::engine::resources::{Guard as XGuard, Resource};
use xtask::engine::Docker;
use xtask::images;
use xtask::sandbox::Sandbox;

// The hostile tutorial's test, in a file of its own (the binary is still `sandbox`).
#[path = "sandbox/hostile.rs"]
mod hostile;

#[test]
fn article_commands_run_as_written_inside_and_nothing_leaks_out() {
    images();
    let sh = xshell::Shell::new().unwrap();
    let host = Docker::new(&sh).with_run(Some(run_id().to_string()));
    let image = images::sandbox::ensure(&host).unwrap();
    let base = images::base::ensure(&sh, images::base::Source::Auto, false, false).unwrap();
    let mysql = images::mysql::ensure(&sh).unwrap();
    let stand_ins = images::sandbox::stand_ins(&host, &base, &mysql.image).unwrap();
    let host_8888_free_before = std::net::TcpListener::bind("127.0.0.1:8888").is_ok();

    let sandbox = Sandbox::start(&host, &image).unwrap();
    sandbox.registry.seed(&host, &stand_ins).unwrap();
    let web = unique("web");

    pull_gives_the_stand_in(&sandbox, &mysql.image);
    the_published_port_stays_inside(&sandbox, &web, host_8888_free_before);
    the_api_is_a_unix_socket_only(&sandbox, &image);
    the_sandbox_is_alone_on_its_network(&sandbox);
    the_socket_folder_is_private();

    let container = sandbox.container.clone();
    drop(sandbox);
    assert!(
        is_gone("container", &container),
        "the sandbox container is still there after the run"
    );
}

/// `docker pull mysql` inside the sandbox gives the stand-in the registry was seeded with.
fn pull_gives_the_stand_in(sandbox: &Sandbox, stand_in: &str) {
    let inner = &sandbox.inner;
    // `docker pull mysql`, as article 3 writes it, comes from the sandbox's registry: the stand-in.
    inner.output(["pull", "mysql"]).unwrap();
    let pulled = inner
        .output(["image", "inspect", "--format", "{{.Id}}", "mysql"])
        .unwrap();
    let standin = docker_ok(&["image", "inspect", "--format", "{{.Id}}", stand_in]);
    assert_eq!(
        pulled, standin,
        "`docker pull mysql` in the sandbox gave another image than the stand-in"
    );
}

/// The article's `docker run -p 8888:8888` answers inside the sandbox, and neither on the host's
/// loopback nor as a container of the host's engine.
fn the_published_port_stays_inside(sandbox: &Sandbox, web: &str, host_8888_free_before: bool) {
    let inner = &sandbox.inner;
    // `-p 8888:8888` publishes on the sandbox's interfaces, reachable inside it ...
    inner
        .output([
            "run",
            "-d",
            "-p",
            "8888:8888",
            "--name",
            web,
            "jupyter/minimal-notebook",
            "python3",
            "-m",
            "http.server",
            "8888",
        ])
        .unwrap();
    let answered = xtask::engine::wait::poll(
        std::time::Duration::from_secs(30),
        std::time::Duration::from_millis(200),
        || sandbox.http_status("http://localhost:8888/") == 200,
    );
    assert!(
        answered.is_some(),
        "the article's published port does not answer inside the sandbox"
    );
    // ... and not on the host's loopback, nor as a container of the person's engine.
    if host_8888_free_before {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", 8888)).is_err(),
            "the sandbox's -p 8888:8888 reached the host's 127.0.0.1:8888"
        );
    }
    let inner_id = inner
        .output(["inspect", "--format", "{{.Id}}", web])
        .unwrap();
    assert!(
        is_gone("container", web),
        "the article's container {web} appeared on the host engine"
    );
    assert!(
        !docker_ok(&["ps", "-aq", "--no-trunc"]).contains(&inner_id),
        "the article's container is one of the host engine's"
    );
}

/// The sandbox engine's API is reachable through its socket only.
fn the_api_is_a_unix_socket_only(sandbox: &Sandbox, image: &str) {
    // The sandbox's API is a unix socket only: no TCP listener another container could reach.
    let listening = sandbox.exec(&["ss", "-ltnH"]).unwrap().stdout;
    for port in [":2375", ":2376"] {
        assert!(
            !listening.contains(port),
            "the sandbox engine listens on TCP {port}:\n{listening}"
        );
    }
    let address = sandbox.address().unwrap();
    let probe = docker(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "--label",
        &format!("{RUN_LABEL_KEY}={}", run_id()),
        "--network",
        &sandbox.network,
        "--entrypoint",
        "curl",
        image,
        "-s",
        "--max-time",
        "3",
        &format!("http://{address}:2375/version"),
    ]);
    assert!(
        !probe.ok(),
        "another container on the sandbox's network reached its engine's API"
    );
}

/// The sandbox's network holds the sandbox and the registry, nothing else.
fn the_sandbox_is_alone_on_its_network(sandbox: &Sandbox) {
    // Each sandbox is on a network of its own, shared with the registry only.
    let networks = docker_ok(&[
        "inspect",
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        &sandbox.container,
    ]);
    assert_eq!(networks.trim(), sandbox.network, "the sandbox's networks");
    let on_it = docker_ok(&[
        "network",
        "inspect",
        "--format",
        "{{range .Containers}}{{.Name}} {{end}}",
        &sandbox.network,
    ]);
    let mut on_it: Vec<&str> = on_it.split_whitespace().collect();
    on_it.sort();
    let mut expected = [
        sandbox.container.as_str(),
        xtask::sandbox::registry::CONTAINER,
    ];
    expected.sort();
    assert_eq!(on_it, expected, "what else is on the sandbox's network");
}

/// The folder of the sandboxes' sockets is open to this user only.
fn the_socket_folder_is_private() {
    let socket_dir = xtask::paths::runtime_dir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&socket_dir).unwrap().permissions().mode() & 0o077,
        0,
        "the socket's folder is open to other users"
    );
}
