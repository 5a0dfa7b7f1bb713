//! Shared test support, on the crate's own engine layer: one run id labelled on everything the
//! tests make (the `Docker` handle stamps it), the crate's guards (removed on Drop, also on panic,
//! unless JUPYTER_DOCKER_XTASK_KEEP is set), a Ctrl-C handler that sweeps the run, the crate's
//! `/api/status` probe, "is gone" as Docker says it, unique names and images built once.
#![allow(dead_code)]

use std::sync::{Once, OnceLock};
use std::time::Duration;

use xtask::engine::resources;
// Each test binary uses its own part of what is re-exported here.
#[allow(unused_imports)]
pub use xtask::engine::resources::Resource;
#[allow(unused_imports)]
pub use xtask::engine::{
    BuildSpec, Created, Docker, Mount, Output, Publish, RunSpec, MANAGED, OWNER, RUN_ID_ENV,
    RUN_LABEL_KEY,
};

mod lab;
pub mod sources;
pub mod walkthrough;
pub mod watch;
#[allow(unused_imports)]
pub use lab::*;
#[allow(unused_imports)]
pub use sources::*;
#[allow(unused_imports)]
pub use walkthrough::*;

/// Set it to keep what the tests make (for a look after a failure).
pub const KEEP_ENV: &str = "JUPYTER_DOCKER_XTASK_KEEP";

/// The run id: from `cargo xtask test`, or made here when `cargo test` runs alone.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let id = std::env::var(RUN_ID_ENV)
            .ok()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                format!("suite-{}-{secs}", std::process::id())
            });
        install_interrupt_handler(id.clone());
        id
    })
}

/// A run id of one xtask call's own, under the suite's: the suite's binaries share its run id and
/// run side by side, so a check of what one call left must not see another binary's resources.
pub fn own_run_id() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{}w{n}", run_id(), std::process::id())
}

/// The engine, stamping the project's labels and this run's on what the tests make.
pub fn engine() -> Docker {
    Docker::new(&xshell::Shell::new().expect("a shell")).with_run(Some(run_id().to_string()))
}

/// The engine as a person uses it by hand: nothing it makes carries a label.
pub fn person() -> Docker {
    engine().unlabelled()
}

pub fn keep_requested() -> bool {
    std::env::var_os(KEEP_ENV).is_some()
}

/// A name no other test (or person) uses: `prefix-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A section name as the walkthrough suffixes kept containers with: `Bind mounts` -> `bind-mounts`.
pub fn slug(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The xtask binary with the run id in its environment.
pub fn xtask() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("xtask").expect("the xtask binary");
    cmd.env(RUN_ID_ENV, run_id());
    cmd.timeout(Duration::from_secs(900));
    cmd
}

/// The xtask for the shared images (base, series): without the run id, so that a build it makes
/// is no run's (the leak check and a later sweep must never take the shared images for leftovers).
pub fn shared_xtask() -> assert_cmd::Command {
    let mut cmd = xtask();
    cmd.env_remove(RUN_ID_ENV);
    cmd
}

/// The series' images, built once per test binary (cheap when `cargo xtask test` built them already).
pub fn images() {
    static BUILT: Once = Once::new();
    BUILT.call_once(|| {
        shared_xtask().arg("build").assert().success();
    });
}

/// The base image's tag (`cargo xtask base`).
pub fn base_image() -> String {
    let out = shared_xtask().arg("base").assert().success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .trim()
        .to_string()
}

/// `docker ARGS`, whatever its status.
pub fn docker(args: &[&str]) -> Output {
    engine().status(args).unwrap_or_else(|e| panic!("{e:#}"))
}

/// `docker ARGS`, which must succeed; its trimmed stdout.
pub fn docker_ok(args: &[&str]) -> String {
    engine().output(args).unwrap_or_else(|e| panic!("{e:#}"))
}

/// `docker run SPEC` with the project's labels and this run's, which must succeed; its stdout.
pub fn run_ok(spec: &RunSpec) -> String {
    engine().run(spec).unwrap_or_else(|e| panic!("{e:#}"))
}

/// The project's labels, and this run's, as `--label` options for a docker call a test makes by hand.
pub fn labels() -> Vec<String> {
    xtask::engine::label_args(engine().resource_labels())
}

/// Both streams of a command, for messages and searches.
pub fn text(out: &Output) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
}

/// Whether a container, volume, network or image is gone, as Docker says it (`No such container`,
/// `no such volume`, `network X not found`, `No such image`). Any other failure of the inspect (the
/// engine not answering) fails the test: it proves nothing about the resource.
pub fn is_gone(kind: &str, name: &str) -> bool {
    is_gone_on(&engine(), kind, name)
}

/// [`is_gone`] on a given engine.
pub fn is_gone_on(docker: &Docker, kind: &str, name: &str) -> bool {
    let out = docker
        .status([kind, "inspect", name])
        .unwrap_or_else(|e| panic!("{e:#}"));
    if out.ok() {
        return false;
    }
    let said = out.stderr.to_lowercase();
    let no_such = said.contains(&format!("no such {kind}"))
        || (kind == "network"
            && said.contains(&format!("network {} not found", name.to_lowercase())));
    assert!(
        no_such,
        "`docker {kind} inspect {name}` failed, and not because it is gone: {}",
        out.stderr.trim()
    );
    true
}

/// Removes a docker resource when dropped, also when the test panics (the crate's guard), unless
/// JUPYTER_DOCKER_XTASK_KEEP is set.
#[must_use = "the resource is removed when the guard drops"]
pub struct Guard(Option<resources::Guard>);

impl Guard {
    pub fn container(name: &str) -> Guard {
        Guard::of(Resource::Container(name.into()))
    }
    pub fn volume(name: &str) -> Guard {
        Guard::of(Resource::Volume(name.into()))
    }
    pub fn network(name: &str) -> Guard {
        Guard::of(Resource::Network(name.into()))
    }
    pub fn image(name: &str) -> Guard {
        Guard::of(Resource::Image(name.into()))
    }
    fn of(resource: Resource) -> Guard {
        Guard(Some(resources::Guard::new(&engine(), resource)))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(guard) = self.0.take() {
            if keep_requested() {
                eprintln!(
                    "keeping {} ({KEEP_ENV} is set)",
                    guard.resource().describe()
                );
                guard.keep();
            }
        }
    }
}

/// Ctrl-C or SIGTERM during the tests: remove everything with this run's label or a private run id
/// under it (the leak check's sweep), then exit.
fn install_interrupt_handler(run: String) {
    let _ = ctrlc::set_handler(move || {
        if keep_requested() {
            eprintln!("interrupted: keeping the resources of test run {run} ({KEEP_ENV} is set)");
            std::process::exit(130);
        }
        match xtask::tasks::test::remove_runs_under(&engine(), &run) {
            Ok(()) => eprintln!("interrupted: removed the resources of test run {run}"),
            Err(e) => {
                eprintln!("interrupted: could not remove the resources of test run {run}: {e:#}")
            }
        }
        std::process::exit(130);
    });
}

/// A host port that is free now (the OS picks it; the listener is closed before returning).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on loopback with the crate's own probe; the status code. A refused or reset
/// connection is asked again for a while (a published port can reset the first connections while
/// the server behind it comes up, after its token is in the log): only an HTTP answer counts.
pub fn http_status(port: u16, path: &str, token: Option<&str>) -> u16 {
    xtask::jupyter::http::status_for_claim(port, path, token).unwrap_or_else(|| {
        let last = xtask::jupyter::http::get_status(port, path, token, Duration::from_secs(5));
        panic!("GET {path} on port {port}: no HTTP answer ({last:?})")
    })
}

/// The token in a `?token=` URL.
pub fn token_of(url: &str) -> String {
    url.split("token=")
        .nth(1)
        .expect("a token in the URL")
        .to_string()
}

/// `up ARGS --json` must succeed; its JSON.
pub fn up_json(args: &[&str]) -> serde_json::Value {
    let out = xtask()
        .arg("up")
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&out.get_output().stdout)
        )
    })
}

/// The one `error:` line of a failed xtask call (there must be exactly one).
pub fn the_error(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line:\n{stderr}");
    assert!(!out.status.success());
    errors[0].to_string()
}

/// `cargo xtask ARGS`, which must fail with one `error:` line: that line.
pub fn xtask_error(args: &[&str]) -> String {
    the_error(&xtask().args(args).output().unwrap())
}

/// A new volume with this run's labels (and any `docker volume create` options), which must not
/// have existed.
pub fn create_volume(name: &str, options: &[&str]) {
    let created = engine()
        .create_volume(name, options)
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(created, Created::Now, "volume {name} existed already");
}

/// Builds an image with this run's labels from a Dockerfile given as text (an empty context).
pub fn build_image(tag: &str, dockerfile: &str) {
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("Dockerfile"), dockerfile).unwrap();
    engine()
        .build(
            &BuildSpec::new(context.path(), tag),
            &format!("building {tag}"),
            false,
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
}

/// Polls `ready` every 50 ms until it holds; fails the test with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, ready: impl FnMut() -> bool) {
    if xtask::engine::wait::poll(limit, Duration::from_millis(50), ready).is_none() {
        panic!("{what} within {}s", limit.as_secs());
    }
}

/// The first word of the last line of a command's output (`sha256sum`'s digest).
pub fn first_word_of_last_line(out: &str) -> String {
    out.lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}
