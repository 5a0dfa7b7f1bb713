//! A remote Docker host, as people drive one (`DOCKER_HOST=ssh://root@ADDRESS`): the stand-in is a
//! sandbox engine with an SSH server in front, reached with a key and a host key made for the run.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::*;
use xtask::sandbox::Remote;

/// The remote stand-in. Its data volume (the remote engine's images) is the machine's, like the
/// sandbox registry's, so a second run finds the shipped image there; its container, network and
/// scratch volume carry the run's label (the suite's leak check sees them) and go on drop.
fn remote() -> Remote {
    Remote::start(&engine()).expect("the remote stand-in starts")
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_remote_answers_docker_over_ssh_with_this_runs_key_only() {
    let remote = remote();
    assert_eq!(remote.url, format!("ssh://root@{}", remote.address));
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

    // `docker -H ssh://root@ADDRESS info`, as a person types it, with this run's ssh first on PATH.
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

    // The SSH server takes keys only: another key, or none, is refused (checked with the real ssh
    // and this run's known_hosts, so nothing of the person's ~/.ssh is used or changed).
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

    // What it made for this run carries the run's label; the machine's warm cache does not.
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

/// The xtask with this run's ssh first on PATH: as a person whose SSH is set up for the remote.
fn xtask_on(remote: &Remote) -> assert_cmd::Command {
    let mut cmd = xtask();
    cmd.env("PATH", remote.path());
    cmd
}

/// What `up --host` made on the remote goes at the end of a test, whatever happened: the
/// container (and its tunnel, through `down --host`), the named volumes.
struct OnRemote<'a> {
    remote: &'a Remote,
    name: String,
    _volumes: Vec<xtask::engine::resources::Guard>,
}

impl<'a> OnRemote<'a> {
    fn new(remote: &'a Remote, name: &str, volumes: &[&str]) -> OnRemote<'a> {
        let guards = volumes
            .iter()
            .map(|v| {
                xtask::engine::resources::Guard::new(
                    &remote.direct,
                    Resource::Volume(v.to_string()),
                )
            })
            .collect();
        OnRemote {
            remote,
            name: name.into(),
            _volumes: guards,
        }
    }
}

impl Drop for OnRemote<'_> {
    fn drop(&mut self) {
        let _ = xtask_on(self.remote)
            .args(["down", "--host", &self.remote.url, "--name", &self.name])
            .output();
        let _ = self.remote.direct.status(["rm", "-f", "-v", &self.name]);
    }
}

#[test]
fn up_host_serves_through_an_ssh_tunnel_and_down_keeps_the_volume() {
    images();
    let remote = remote();
    let (name, volume) = (unique("jdx-remote-up"), unique("jdx-remote-vol"));
    let notebooks_volume = format!("{name}-notebooks");
    let _made = OnRemote::new(&remote, &name, &[&volume, &notebooks_volume]);
    let notebooks = notebooks_copy();
    let nb = notebooks.path().to_str().unwrap();
    let up = |port: &str| {
        let out = xtask_on(&remote)
            .args([
                "up",
                "--host",
                &remote.url,
                "--name",
                &name,
                "--volume",
                &volume,
                "--notebooks",
                nb,
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
    };
    let (json, _) = up("0");
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

    // On the remote: published on its loopback only, the notebook user, no-new-privileges, labelled,
    // the notebooks copied into a volume of their own (read-only), nothing on this host's engine.
    let inspect = remote
        .direct
        .inspect("container", &name)
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
        (Some("volume"), Some(notebooks_volume.as_str()), Some(false))
    );
    let listed = remote.direct.exec(&name, &["ls", "/work"]).unwrap().stdout;
    assert!(
        listed.contains("computation.ipynb"),
        "the notebooks were not copied: {listed}"
    );
    assert!(
        is_gone("container", &name),
        "up --host made {name} on this machine's engine"
    );

    // Again: the same container and image (nothing sent), the same local port.
    // (Unless another test on this machine rebuilt the image meanwhile: then it is sent, rightly.)
    let built = || engine().image_id("custom-jupyter-image:named-volume");
    let shipped = remote.direct.image_id("custom-jupyter-image:named-volume");
    let before = built();
    let (again, said) = up(&port.to_string());
    assert_eq!(again["port"], json["port"]);
    if before == shipped && built() == before && !said.contains("Building") {
        assert!(
            !said.contains("Sending"),
            "the image was sent again though the remote has it:\n{said}"
        );
    }
    let status = xtask_on(&remote)
        .args(["status", "--host", &remote.url, "--name", &name])
        .assert()
        .success();
    let status = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    assert!(
        status.contains(&format!("127.0.0.1:{port} here")),
        "{status}"
    );

    // The same remote named by DOCKER_HOST, or by a Docker context (in a config folder of the test's own).
    let by_env = xtask_on(&remote)
        .env("DOCKER_HOST", &remote.url)
        .args(["status", "--name", &name])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&by_env.get_output().stdout)
        .contains(&format!("127.0.0.1:{port} here")));
    let config = tempfile::tempdir().unwrap();
    let context = unique("jdx-ctx");
    let made = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", config.path())
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
    let url = xtask_on(&remote)
        .env("DOCKER_CONFIG", config.path())
        .args(["url", "--context", &context, "--name", &name])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&url.get_output().stdout).trim(),
        json["url"].as_str().unwrap()
    );

    // down --host: the container and the tunnel go, the volume stays.
    xtask_on(&remote)
        .args(["down", "--host", &remote.url, "--name", &name])
        .assert()
        .success();
    assert!(
        is_gone_on(&remote.direct, "container", &name),
        "down --host left {name} on the remote"
    );
    assert!(
        remote.direct.exists("volume", &volume),
        "down --host removed the volume {volume}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the tunnel still listens on 127.0.0.1:{port}"
    );
}

/// `up --host` that must fail: its one error line, after `between` (which may mend the remote);
/// nothing of it is left on the remote or here.
fn up_fails(remote: &Remote, host: &str, extra: &[&str], between: impl FnOnce()) -> String {
    let name = unique("jdx-remote-bad");
    let volume = unique("jdx-remote-badvol");
    let out = xtask_on(remote)
        .args([
            "up",
            "--host",
            host,
            "--name",
            &name,
            "--volume",
            &volume,
            "--timeout",
            "60",
        ])
        .args(extra)
        // A free local port for the tunnel unless the test names one: a person's own JupyterLab
        // may hold 8888 (the README's `up`, still running while the tests run).
        .args(if extra.contains(&"--port") {
            &[][..]
        } else {
            &["--port", "0"][..]
        })
        .output()
        .unwrap();
    between();
    let _made = OnRemote::new(remote, &name, &[&volume]);
    let error = the_error(&out);
    eprintln!("{host} {extra:?}: {error}");
    for (kind, what) in [
        ("container", &name),
        ("volume", &volume),
        ("volume", &format!("{name}-notebooks")),
    ] {
        assert!(
            is_gone_on(&remote.direct, kind, what),
            "{error}: the {kind} {what} was left on the remote"
        );
        assert!(
            is_gone(kind, what),
            "{error}: the {kind} {what} was made on this machine's engine"
        );
    }
    let ssh = xtask::engine::remote::SshHost::parse(&remote.url).unwrap();
    assert!(
        xtask::jupyter::tunnel::find(&ssh, &name).is_none(),
        "{error}: a tunnel was left"
    );
    error
}

#[test]
fn faults_are_one_line_naming_the_fix_and_leave_nothing() {
    images();
    let remote = remote();
    let address = remote.address.clone();

    let malformed = up_fails(&remote, &format!("root@{address}"), &[], || {});
    assert!(
        malformed.contains("--host") && malformed.contains("ssh://USER@HOST"),
        "{malformed}"
    );

    let unreachable = up_fails(&remote, "ssh://root@127.0.0.1:1", &[], || {});
    assert!(
        unreachable.contains("cannot be reached over SSH") && unreachable.contains("port 1"),
        "{unreachable}"
    );

    let refused = up_fails(&remote, &format!("ssh://nobody@{address}"), &[], || {});
    assert!(
        refused.contains("refused the login") && refused.contains("ssh-copy-id"),
        "{refused}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let busy = up_fails(&remote, &remote.url, &["--port", &port], || {});
    assert!(
        busy.contains(&format!("local port {port}")) && busy.contains("--port 0"),
        "{busy}"
    );
    drop(taken);

    // The remote's engine down, its SSH server up; started again before looking for leftovers.
    remote.stop_engine().unwrap();
    let down = up_fails(&remote, &remote.url, &[], || remote.start_engine().unwrap());
    assert!(
        down.contains("is not running") && down.contains("start it there"),
        "{down}"
    );

    // A volume there that holds earlier data: `up`s on it that fail (the tunnel's port taken, the
    // engine down) leave it, and its data, as they were.
    let (name, kept) = (unique("jdx-remote-keep"), unique("jdx-remote-kept"));
    let _made = OnRemote::new(&remote, &name, &[&kept]);
    remote.direct.create_volume(&kept, &[]).unwrap();
    let earlier = format!("/var/lib/inner/volumes/{kept}/_data/earlier.txt");
    assert!(remote
        .sandbox
        .exec(&["sh", "-c", &format!("echo earlier data > {earlier}")])
        .unwrap()
        .ok());
    let up_on_kept = |extra: &[&str]| {
        xtask_on(&remote)
            .args([
                "up",
                "--host",
                &remote.url,
                "--name",
                &name,
                "--volume",
                &kept,
                "--timeout",
                "60",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = up_on_kept(&["--port", &taken.local_addr().unwrap().port().to_string()]);
    drop(taken);
    remote.stop_engine().unwrap();
    let stopped = up_on_kept(&["--port", "0"]);
    remote.start_engine().unwrap();
    assert!(
        !busy.status.success() && !stopped.status.success(),
        "an up that should fail did not:\n{}\n{}",
        String::from_utf8_lossy(&busy.stderr),
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(
        remote.direct.exists("volume", &kept),
        "a failed up removed the volume {kept} it did not make"
    );
    assert_eq!(
        remote
            .sandbox
            .exec(&["cat", &earlier])
            .unwrap()
            .stdout
            .trim(),
        "earlier data",
        "the volume's earlier data changed"
    );
}

#[test]
fn a_remote_disk_that_fills_while_the_image_loads_is_one_line_and_starts_nothing() {
    images();
    // The remote's engine keeps its images on a 150 MB tmpfs; the image is about 1 GB.
    let remote = Remote::with_small_disk(&engine(), "150m").expect("the small remote starts");
    let full = up_fails(&remote, &remote.url, &[], || {});
    assert!(
        full.contains("ran out of disk space")
            && full.contains("system df")
            && full.contains("nothing was started"),
        "{full}"
    );
    assert_eq!(
        remote.direct.image_id("custom-jupyter-image:named-volume"),
        None,
        "a half-loaded image is tagged there"
    );
}

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
    let _forward = Child(
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
    let out = xtask_on(&remote)
        .args([
            "up",
            "--host",
            &remote.url,
            "--registry",
            &format!("127.0.0.1:{port}"),
            "--image",
            &image,
            "--name",
            &name,
            "--volume",
            &volume,
        ])
        .args([
            "--notebooks",
            notebooks.path().to_str().unwrap(),
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
        remote.direct.image_id(&image),
        engine().image_id(&image),
        "the remote runs another image than this machine built"
    );

    // `push --registry REG --tag T`: the image is in the registry under that tag.
    let pushed = xtask()
        .args([
            "push",
            "--registry",
            &format!("127.0.0.1:{port}"),
            "--image",
            &image,
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
