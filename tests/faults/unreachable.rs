//! Faults outside the project: no docker CLI, an engine or a host that does not answer, a registry
//! nothing answers at.

use super::*;

#[test]
fn the_docker_cli_missing_from_path() {
    let empty = tempfile::tempdir().unwrap();
    let out = xtask()
        .args(["up", "--port", "0", "--name", &unique("jdx-nocli")])
        .env("PATH", empty.path())
        .assert()
        .get_output()
        .clone();
    let error = the_error(&out);
    assert!(
        error.contains("docker CLI was not found on PATH") && error.contains("install Docker"),
        "{error}"
    );
}

#[test]
fn the_engine_unreachable() {
    let name = unique("jdx-noengine");
    let out = xtask()
        .args(["up", "--port", "0", "--name", &name])
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .assert()
        .get_output()
        .clone();
    let error = the_error(&out);
    assert!(
        error.contains("does not answer") && error.contains("DOCKER_HOST"),
        "{error}"
    );
    assert!(is_gone("container", &name));
}

/// A `--host` whose name does not resolve is said to be that, with the fix: no engine to start.
#[test]
fn a_host_name_that_does_not_resolve() {
    let error = xtask_error(&["status", "--host", "ssh://root@jdx-no-such-host.invalid"]);
    assert!(
        error.contains("host name \"jdx-no-such-host.invalid\"")
            && error.contains("does not resolve")
            && error.contains("--host"),
        "{error}"
    );
    assert!(
        !error.contains("dockerd") && !error.contains("dial-stdio"),
        "{error}"
    );
}

/// `push` to a registry nothing answers at: one line naming the registry and the fix; the tag it
/// made for the push is gone again.
#[test]
fn a_push_to_an_unreachable_registry() {
    let image = base_image();
    let registry = "127.0.0.1:1";
    let tag = unique("jdx-push");
    let reference = format!(
        "{registry}/{}:{tag}",
        image
            .rsplit_once(':')
            .unwrap()
            .0
            .rsplit('/')
            .next()
            .unwrap()
    );
    let _tag = Guard::image(&reference);
    let error = xtask_error(&[
        "push",
        "--registry",
        registry,
        "--image",
        &image,
        "--tag",
        &tag,
    ]);
    assert!(
        error.contains(&format!("the registry {registry} cannot be reached"))
            && error.contains("check its address in --registry"),
        "{error}"
    );
    assert!(
        is_gone("image", &reference),
        "the failed push left the tag {reference}"
    );
}
