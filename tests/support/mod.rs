//! Shared test support: one run id labelled on everything the tests make, guards that remove
//! resources on Drop (also on panic), a Ctrl-C handler that removes the run's resources, unique
//! names and free ports, and images built once (the xtask serialises parallel builds).
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::{Once, OnceLock};

pub const RUN_ID_ENV: &str = "JUPYTER_DOCKER_XTASK_RUN_ID";
pub const RUN_LABEL_KEY: &str = "jupyter-docker-xtask.run";
pub const MANAGED: &str = "jupyter-docker-xtask.managed=true";
pub const OWNER: &str = "jupyter-docker-xtask.owner=xtask";

/// The run id: from `cargo xtask test`, or made here when `cargo test` runs alone.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let id = std::env::var(RUN_ID_ENV).ok().filter(|r| !r.is_empty()).unwrap_or_else(|| {
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            format!("suite-{}-{secs}", std::process::id())
        });
        install_interrupt_handler(id.clone());
        id
    })
}

/// `--label` arguments for what a test makes directly.
pub fn labels() -> Vec<String> {
    vec!["--label".into(), MANAGED.into(), "--label".into(), OWNER.into(), "--label".into(), format!("{RUN_LABEL_KEY}={}", run_id())]
}

/// A name no other test (or person) uses: `prefix-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// The xtask binary with the run id in its environment.
pub fn xtask() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("xtask").expect("the xtask binary");
    cmd.env(RUN_ID_ENV, run_id());
    cmd.timeout(std::time::Duration::from_secs(900));
    cmd
}

/// `docker ARGS`, whatever its status.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().expect("docker runs")
}

/// `docker ARGS`, which must succeed; its trimmed stdout.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The series' images, built once per test binary (cheap when `cargo xtask test` built them already).
pub fn images() {
    static BUILT: Once = Once::new();
    BUILT.call_once(|| {
        xtask().arg("build").assert().success();
    });
}

#[derive(Debug)]
pub enum Kind {
    Container,
    Volume,
    Network,
    Image,
}

/// Removes a docker resource when dropped, also when the test panics.
pub struct Guard {
    pub kind: Kind,
    pub name: String,
}

impl Guard {
    pub fn container(name: &str) -> Guard {
        Guard { kind: Kind::Container, name: name.into() }
    }
    pub fn volume(name: &str) -> Guard {
        Guard { kind: Kind::Volume, name: name.into() }
    }
    pub fn network(name: &str) -> Guard {
        Guard { kind: Kind::Network, name: name.into() }
    }
    pub fn image(name: &str) -> Guard {
        Guard { kind: Kind::Image, name: name.into() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if std::env::var("JUPYTER_DOCKER_XTASK_KEEP").is_ok() {
            eprintln!("keeping {:?} {} (JUPYTER_DOCKER_XTASK_KEEP is set)", self.kind, self.name);
            return;
        }
        let _ = match self.kind {
            Kind::Container => docker(&["rm", "-f", "-v", &self.name]),
            Kind::Volume => docker(&["volume", "rm", "-f", &self.name]),
            Kind::Network => docker(&["network", "rm", &self.name]),
            Kind::Image => docker(&["image", "rm", "-f", &self.name]),
        };
    }
}

/// Ctrl-C or SIGTERM during the tests: remove everything with this run's label, then exit.
fn install_interrupt_handler(run: String) {
    let _ = ctrlc::set_handler(move || {
        let filter = format!("label={RUN_LABEL_KEY}={run}");
        for (kind, rm) in [("container", vec!["rm", "-f", "-v"]), ("volume", vec!["volume", "rm", "-f"]), ("network", vec!["network", "rm"])] {
            let mut ls = vec![kind, "ls", "-q", "--filter", &filter];
            if kind == "container" {
                ls.insert(2, "-a");
            }
            let ids = String::from_utf8_lossy(&docker(&ls).stdout).to_string();
            for id in ids.split_whitespace() {
                let mut args = rm.clone();
                args.push(id);
                let _ = docker(&args);
            }
        }
        eprintln!("interrupted: removed the resources of test run {run}");
        std::process::exit(130);
    });
}

/// A host port that is free now (the OS picks it; the listener is closed before returning).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A minimal HTTP/1.0 GET on loopback; the status code.
pub fn http_status(port: u16, path: &str, token: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let auth = token.map(|t| format!("Authorization: token {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n").unwrap();
    let mut head = [0u8; 32];
    let n = s.read(&mut head).unwrap();
    String::from_utf8_lossy(&head[..n]).split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The token in a `?token=` URL.
pub fn token_of(url: &str) -> String {
    url.split("token=").nth(1).expect("a token in the URL").to_string()
}

/// A private copy of the project's notebooks folder, readable by the container's user.
pub fn notebooks_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks");
    copy_tree(&src, dir.path());
    chmod(dir.path(), 0o755);
    dir
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
            chmod(&target, 0o755);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

pub fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `up ARGS --json` must succeed; its JSON.
pub fn up_json(args: &[&str]) -> serde_json::Value {
    let out = xtask().arg("up").args(args).arg("--json").assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.get_output().stdout)))
}

/// The one `error:` line of a failed xtask call (there must be exactly one).
pub fn the_error(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line:\n{stderr}");
    assert!(!out.status.success());
    errors[0].to_string()
}

/// A volume with this run's labels (and any `docker volume create` options before the name).
pub fn create_volume(name: &str, options: &[&str]) {
    let labels = labels();
    let mut args = vec!["volume", "create"];
    args.extend_from_slice(options);
    args.extend(labels.iter().map(String::as_str));
    args.push(name);
    docker_ok(&args);
}

/// Builds a labelled image from a Dockerfile given as text (no build context).
pub fn build_image(tag: &str, dockerfile: &str) {
    use std::io::Write;
    let mut build = std::process::Command::new("docker")
        .args(["build", "-q", "--label", MANAGED, "-t", tag, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    build.stdin.take().unwrap().write_all(dockerfile.as_bytes()).unwrap();
    assert!(build.wait().unwrap().success(), "building {tag}");
}

/// `cargo xtask walkthrough ARGS --json` (ARGS start with the article): its JSON report and output.
pub fn walkthrough(args: &[&str]) -> (serde_json::Value, std::process::Output) {
    let out = xtask().arg("walkthrough").args(args).arg("--json").assert().get_output().clone();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}); stderr:\n{}", String::from_utf8_lossy(&out.stderr)));
    (json, out)
}

/// The report's claim whose wording contains `words`.
pub fn claim<'a>(report: &'a serde_json::Value, words: &str) -> &'a serde_json::Value {
    report["claims"].as_array().unwrap().iter().find(|c| c["claim"].as_str().unwrap().contains(words)).unwrap_or_else(|| panic!("no claim with {words:?}"))
}

/// The report's section whose name starts with `name`.
pub fn section<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["name"].as_str().unwrap().starts_with(name)).unwrap_or_else(|| panic!("no section {name:?}"))
}

/// A section name as the walkthrough suffixes kept containers with: `Bind mounts` -> `bind-mounts`.
pub fn slug(text: &str) -> String {
    text.to_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-")
}
