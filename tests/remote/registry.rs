//! Registries: `up --host --registry` pushes here and pulls there, `push` pushes under a tag, and
//! a wrong password is one line naming `docker login`.

use std::time::Duration;

use super::support::*;
use super::{remote, xtask_on, OnRemote};
use xtask::sandbox::Remote;

/// A process of the test's, ended when the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn up_host_with_a_registry_pushes_here_and_pulls_there_and_push_pushes() {
    images();
    let remote = remote();
    // A registry both machines reach as 127.0.0.1:PORT, as both reach Docker Hub. It runs on the
    // remote's engine, published on its loopback: that engine is rootless, and pulls from the
    // loopback of its own network namespace, where the publish is. This machine reaches it
    // through `ssh -L` (the engine's port driver puts the port on the remote host's loopback too).
    let (port, _forward) = start_a_registry_both_reach(&remote);

    // An image the remote does not have under that name (its layers it may have).
    let image = format!("{}:t", unique("jdx-remote-img"));
    let reference = format!("127.0.0.1:{port}/{}", image);
    let _tags = [Guard::image(&image), Guard::image(&reference)];
    let _there = [&image, &reference].map(|i| {
        xtask::engine::resources::Guard::new(&remote.direct, Resource::Image(i.to_string()))
    });
    docker_ok(&["tag", "custom-jupyter-image:named-volume", &image]);
    let (name, volume) = (unique("jdx-remote-reg"), unique("jdx-remote-regvol"));
    let _made = OnRemote::new(&remote, &name, &[&volume, &format!("{name}-notebooks")]);
    let notebooks = notebooks_copy();
    up_through_the_registry(&remote, port, &image, &name, &volume, notebooks.path());

    // `push --registry REG --tag T`: the image is in the registry under that tag.
    assert_push_pushes_under_the_tag(port, &image);
}

/// The registry on the remote's engine, published on its loopback, and the `ssh -L` that brings
/// it here: its port, and the forward (ended when it drops).
fn start_a_registry_both_reach(remote: &Remote) -> (u16, Child) {
    let sandbox_image = xtask::images::sandbox::ensure(&engine()).unwrap();
    let loaded = duct::cmd("docker", ["save", sandbox_image.as_str()])
        .pipe(remote.direct.stream(["load", "-q"]))
        .stdout_null()
        .run();
    assert!(
        loaded.is_ok(),
        "loading the registry's image into the remote: {loaded:?}"
    );
    let registry = unique("jdx-remote-registry");
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:5000");
    remote
        .direct
        .output([
            "run",
            "-d",
            "--name",
            &registry,
            "--label",
            MANAGED,
            "-p",
            &publish,
            &sandbox_image,
            "docker-registry",
            "serve",
            "/etc/docker/registry/seed.yml",
        ])
        .unwrap();
    let forward = format!("127.0.0.1:{port}:127.0.0.1:{port}");
    let tunnel = Child(
        std::process::Command::new("ssh")
            .env("PATH", remote.path())
            .args([
                "-N",
                "-o",
                "ControlPath=none",
                "-o",
                "ExitOnForwardFailure=yes",
                "-L",
                &forward,
                &format!("root@{}", remote.address),
            ])
            .spawn()
            .unwrap(),
    );
    let v2 = format!("http://127.0.0.1:{port}/v2/");
    wait_until(
        Duration::from_secs(30),
        "the registry answers on the remote",
        || remote.sandbox.http_status(&v2) == 200,
    );
    wait_until(Duration::from_secs(20), "the registry answers here", || {
        xtask::jupyter::http::get_status(port, "/v2/", None, Duration::from_secs(2))
            .is_ok_and(|c| c == 200)
    });
    (port, tunnel)
}

/// `up --host --registry` of the image `image`: pushed here and pulled there, not sent with
/// `docker save`; served, and the same image on both engines.
fn up_through_the_registry(
    remote: &Remote,
    port: u16,
    image: &str,
    name: &str,
    volume: &str,
    notebooks: &std::path::Path,
) {
    let out = xtask_on(remote)
        .args([
            "up",
            "--host",
            &remote.url,
            "--registry",
            &format!("127.0.0.1:{port}"),
            "--image",
            image,
            "--name",
            name,
            "--volume",
            volume,
        ])
        .args([
            "--notebooks",
            notebooks.to_str().unwrap(),
            "--port",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "up --host --registry failed:\n{said}");
    assert!(
        said.contains(&format!("through 127.0.0.1:{port}")) && !said.contains("docker save"),
        "{said}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = json["token"].as_str().unwrap().to_string();
    assert_eq!(
        http_status(
            json["port"].as_u64().unwrap() as u16,
            "/api/status",
            Some(&token)
        ),
        200
    );
    assert_eq!(
        remote.direct.image_id(image),
        engine().image_id(image),
        "the remote runs another image than this machine built"
    );
}

/// `push --registry REG --image IMAGE --tag v2`: the registry serves it under that tag.
fn assert_push_pushes_under_the_tag(port: u16, image: &str) {
    let pushed = xtask()
        .args([
            "push",
            "--registry",
            &format!("127.0.0.1:{port}"),
            "--image",
            image,
            "--tag",
            "v2",
        ])
        .assert()
        .success();
    let pushed_as = String::from_utf8_lossy(&pushed.get_output().stdout)
        .trim()
        .to_string();
    let base = image.split(':').next().unwrap();
    assert_eq!(pushed_as, format!("127.0.0.1:{port}/{base}:v2"));
    let _pushed = Guard::image(&pushed_as);
    docker_ok(&["image", "rm", &pushed_as]);
    assert!(
        docker(&["pull", &pushed_as]).ok(),
        "the registry does not serve {pushed_as}"
    );
}

/// bcrypt of `right-password` (a test fixture, not a secret), as the registry's htpasswd takes it.
const HTPASSWD: &str = "jdx:$2b$04$Do91MEBKLkOU2tQ3Jc/opOo0X.lxYZpNkX8MAO5iYr8cJ/OiE.sja\n";
const AUTH_CONFIG: &str = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/registry\nhttp:\n  addr: :5000\nauth:\n  htpasswd:\n    realm: jdx\n    path: /auth/htpasswd\n";

#[test]
fn a_wrong_registry_password_is_one_line_naming_docker_login_and_leaves_no_tag() {
    images();
    let files = tempfile::tempdir().unwrap();
    chmod(files.path(), 0o755);
    std::fs::write(files.path().join("htpasswd"), HTPASSWD).unwrap();
    std::fs::write(files.path().join("config.yml"), AUTH_CONFIG).unwrap();
    let sandbox_image = xtask::images::sandbox::ensure(&engine()).unwrap();
    let registry = unique("jdx-auth-registry");
    let _registry = Guard::container(&registry);
    run_ok(
        &RunSpec::detached(&sandbox_image, &registry)
            .publish(Publish::loopback(None, 5000))
            .mount(Mount::bind(files.path(), "/auth", true))
            .command(&["docker-registry", "serve", "/auth/config.yml"]),
    );
    let (_, port) = engine().published_port(&registry, 5000).unwrap();
    wait_until(
        Duration::from_secs(20),
        "the registry asks for a login",
        || {
            xtask::jupyter::http::get_status(port, "/v2/", None, Duration::from_secs(2))
                .is_ok_and(|c| c == 401)
        },
    );

    // Docker's own store holds a wrong password for it (a config folder of the test's own).
    let config = tempfile::tempdir().unwrap();
    let auth = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    auth.stdin
        .as_ref()
        .unwrap()
        .write_all(b"jdx:wrong-password")
        .unwrap();
    let auth = String::from_utf8(auth.wait_with_output().unwrap().stdout).unwrap();
    std::fs::write(
        config.path().join("config.json"),
        format!("{{\"auths\": {{\"127.0.0.1:{port}\": {{\"auth\": \"{auth}\"}}}}}}"),
    )
    .unwrap();

    let tag = unique("t");
    let reference = format!("127.0.0.1:{port}/custom-jupyter-image:{tag}");
    let _tag = Guard::image(&reference);
    let out = xtask()
        .env("DOCKER_CONFIG", config.path())
        .args([
            "push",
            "--registry",
            &format!("127.0.0.1:{port}"),
            "--tag",
            &tag,
        ])
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("refused the login")
            && error.contains(&format!("docker login 127.0.0.1:{port}")),
        "{error}"
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains("wrong-password") && !all.contains(&auth),
        "the password was printed:\n{all}"
    );
    assert!(
        is_gone("image", &reference),
        "the failed push left the tag {reference}"
    );
}
