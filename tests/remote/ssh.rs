//! The remote stand-in itself: Docker over SSH with this run's key only, its secrets private, what
//! it made labelled with the run, and all of it gone on drop.

use std::os::unix::fs::PermissionsExt;

use super::remote;
use super::support::*;
use xtask::sandbox::Remote;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_remote_answers_docker_over_ssh_with_this_runs_key_only() {
    let remote = remote();
    assert_eq!(remote.url, format!("ssh://root@{}", remote.address));
    assert_the_secrets_are_private(&remote);
    assert_docker_over_ssh_is_the_remotes_engine(&remote);
    assert_ssh_refuses_any_other_key(&remote);

    // The handles: through SSH, and through the sandbox's private socket, reach the same engine.
    let through_ssh = remote
        .docker
        .output(["info", "--format", "{{.ID}}"])
        .unwrap();
    assert_eq!(
        through_ssh,
        remote
            .direct
            .output(["info", "--format", "{{.ID}}"])
            .unwrap()
    );

    assert_what_it_made_carries_the_run_label(&remote);

    let (container, dir) = (
        remote.sandbox.container.clone(),
        remote.key.parent().unwrap().to_path_buf(),
    );
    drop(remote);
    assert!(
        is_gone("container", &container),
        "the remote stand-in {container} is still there"
    );
    assert!(
        !dir.exists(),
        "this run's keys are still in {}",
        dir.display()
    );
}

/// The key, the known hosts and the ssh config, and the folder that holds them, are this user's only.
fn assert_the_secrets_are_private(remote: &Remote) {
    for secret in [&remote.key, &remote.known_hosts, &remote.ssh_config] {
        assert_eq!(
            mode(secret),
            0o600,
            "{} is open to other users",
            secret.display()
        );
    }
    assert_eq!(
        mode(remote.key.parent().unwrap()) & 0o077,
        0,
        "the key's folder is open to other users"
    );
}

/// `docker -H ssh://root@ADDRESS info`, as a person types it, with this run's ssh first on PATH.
fn assert_docker_over_ssh_is_the_remotes_engine(remote: &Remote) {
    let info = std::process::Command::new("docker")
        .env("PATH", remote.path())
        .args([
            "-H",
            &remote.url,
            "info",
            "--format",
            "{{.Name}} {{.ServerVersion}}",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&info.stdout).trim().to_string();
    assert!(
        info.status.success(),
        "docker -H {} info failed: {}",
        remote.url,
        String::from_utf8_lossy(&info.stderr)
    );
    // It is the remote's engine (named after its container's host name), not this host's.
    let hostname = remote.sandbox.exec(&["hostname"]).unwrap().stdout;
    assert_eq!(
        said.split(' ').next(),
        Some(hostname.as_str()),
        "docker -H {} answered as another engine: {said}",
        remote.url
    );
    assert_ne!(
        said.split(' ').next().map(String::from),
        docker_ok(&["info", "--format", "{{.Name}}"]).into(),
        "the host engine answered"
    );
}

/// The SSH server takes keys only: another key, or none, is refused (checked with the real ssh
/// and this run's known_hosts, so nothing of the person's ~/.ssh is used or changed).
fn assert_ssh_refuses_any_other_key(remote: &Remote) {
    let refused = std::process::Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityFile=/dev/null",
        ])
        .args([
            "-o",
            &format!("UserKnownHostsFile={}", remote.known_hosts.display()),
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .args([&format!("root@{}", remote.address), "true"])
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "the remote let root in without this run's key"
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// What it made for this run carries the run's label; the machine's warm cache does not.
fn assert_what_it_made_carries_the_run_label(remote: &Remote) {
    let sandbox = &remote.sandbox;
    for (kind, name) in [
        ("container", sandbox.container.clone()),
        ("network", sandbox.network.clone()),
        ("volume", format!("{}-scratch", sandbox.container)),
    ] {
        assert_eq!(
            engine().label(kind, &name, RUN_LABEL_KEY).as_deref(),
            Some(run_id()),
            "{kind} {name} carries no run label"
        );
    }
    assert_eq!(
        engine().label("volume", &sandbox.data_volume, RUN_LABEL_KEY),
        None,
        "the machine's cache {} carries a run's label",
        sandbox.data_volume
    );
}
