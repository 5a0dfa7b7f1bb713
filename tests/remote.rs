//! A remote Docker host, as people drive one (`DOCKER_HOST=ssh://root@ADDRESS`): the stand-in is a
//! sandbox engine with an SSH server in front, reached with a key and a host key made for the run.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::*;
use xtask::sandbox::Remote;

/// The remote stand-in. Its data volume (the remote engine's images) is the machine's, like the
/// sandbox registry's, so a second run finds the shipped image there; its container goes on drop.
fn remote() -> Remote {
    Remote::start(&engine().with_run(None)).expect("the remote stand-in starts")
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_remote_answers_docker_over_ssh_with_this_runs_key_only() {
    let remote = remote();
    assert_eq!(remote.url, format!("ssh://root@{}", remote.address));
    for secret in [&remote.key, &remote.known_hosts, &remote.ssh_config] {
        assert_eq!(mode(secret), 0o600, "{} is open to other users", secret.display());
    }
    assert_eq!(mode(remote.key.parent().unwrap()) & 0o077, 0, "the key's folder is open to other users");

    // `docker -H ssh://root@ADDRESS info`, as a person types it, with this run's ssh first on PATH.
    let info = std::process::Command::new("docker")
        .env("PATH", remote.path())
        .args(["-H", &remote.url, "info", "--format", "{{.Name}} {{.ServerVersion}}"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&info.stdout).trim().to_string();
    assert!(info.status.success(), "docker -H {} info failed: {}", remote.url, String::from_utf8_lossy(&info.stderr));
    // It is the remote's engine (named after its container's host name), not this host's.
    let hostname = remote.sandbox.exec(&["hostname"]).unwrap().stdout;
    assert_eq!(said.split(' ').next(), Some(hostname.as_str()), "docker -H {} answered as another engine: {said}", remote.url);
    assert_ne!(said.split(' ').next().map(String::from), docker_ok(&["info", "--format", "{{.Name}}"]).into(), "the host engine answered");

    // The SSH server takes keys only: another key, or none, is refused (checked with the real ssh
    // and this run's known_hosts, so nothing of the person's ~/.ssh is used or changed).
    let refused = std::process::Command::new("ssh")
        .args(["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null"])
        .args(["-o", &format!("UserKnownHostsFile={}", remote.known_hosts.display()), "-o", "GlobalKnownHostsFile=/dev/null"])
        .args([&format!("root@{}", remote.address), "true"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "the remote let root in without this run's key");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Permission denied"), "{}", String::from_utf8_lossy(&refused.stderr));

    // The handles: through SSH, and through the sandbox's private socket, reach the same engine.
    let through_ssh = remote.docker.output(["info", "--format", "{{.ID}}"]).unwrap();
    assert_eq!(through_ssh, remote.direct.output(["info", "--format", "{{.ID}}"]).unwrap());

    let (container, dir) = (remote.sandbox.container.clone(), remote.key.parent().unwrap().to_path_buf());
    drop(remote);
    assert!(is_gone("container", &container), "the remote stand-in {container} is still there");
    assert!(!dir.exists(), "this run's keys are still in {}", dir.display());
}
