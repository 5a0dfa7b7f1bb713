//! The sandbox: a Docker engine of its own, in a container on a network of its own, with a local
//! registry that serves the stand-ins under the names the articles pull. An article's commands run
//! there as written (`-p 8888:8888` publishes on the sandbox's address, never on the host's
//! interfaces; `docker system prune -a` empties only the sandbox).
//!
//! A replayed tutorial is untrusted: its commands run as the unprivileged user `reader` (no
//! capability, no_new_privs), and the inner engine is rootless, run by that user, so what its
//! containers do as root (`--privileged`, `-v /:/host`) is root only in that user's namespace.
//! The sandbox container has the default capabilities plus SYS_ADMIN (for rootlesskit and the
//! overlay below; no tutorial command runs as its root), no host cgroups, limits on pids and
//! memory. The warm cache of images is read-only under a per-run overlay; the registry serves
//! read-only; the API is a unix socket reached by a path the sandbox cannot change, checked
//! before every call.

pub mod registry;
pub mod remote;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::engine::resources::{Guard, Resource};
use crate::engine::{wait, Created, Docker, Mount, Output, RunSpec};
use crate::images::{self, sandbox::StandIn};
use crate::paths;

pub use registry::Registry;
pub use remote::Remote;

/// How many sandboxes of one scope may run at once (they share their role's warm cache).
const SLOTS: usize = 4;
/// Where the inner engine keeps the layers of the images the articles pull between replays.
const WARM_CACHE: &str = "jdx-warm-cache/";
/// What the warm cache holds, written by the warm-up beside the inner engine's data.
const WARM_STAMP: &str = "/run/cache/jdx-warm-stamp";
/// The sandbox's bounds: a tutorial's fork bomb or memory hog stops there (README, `--help`).
pub const PIDS_LIMIT: u32 = 4096;
pub const MEMORY_LIMIT: &str = "8g";

/// A running sandbox engine. Dropping it removes the sandbox container, its network and this
/// run's scratch volume; the warm cache volume (the inner engine's images) stays for the next
/// run, and `clean --volumes` removes it.
pub struct Sandbox {
    /// The handle to the inner engine (through the guarded socket).
    pub inner: Docker,
    /// The sandbox container on the host engine.
    pub container: String,
    /// The registry standing in for Docker Hub, reached on the sandbox's network.
    pub registry: Registry,
    /// The warm cache of its role: read-only to the run, shared by the machine's runs.
    pub data_volume: String,
    pub network: String,
    pub seconds_to_ready: f64,
    /// The inner engine's `docker info` ID when it started: nothing is reset on an engine that
    /// does not prove to be this one.
    engine_id: String,
    host: Docker,
    socket_dir: SocketDir,
    // Dropped in this order: the container, then its network and scratch volume, then the slot.
    _container: Guard,
    _network: Guard,
    _scratch: Guard,
    /// The lock on the cache it uses (shared to read; the warm-up's exclusive).
    _cache: Cache,
    _slot: std::fs::File,
}

/// How the sandbox uses its role's warm cache, with the lock that allows it (held, never read).
#[allow(dead_code)]
enum Cache {
    /// Read-only, under this run's overlay (every replay), with a shared lock.
    Read(std::fs::File),
    /// The cache itself (the warm-up, which runs no tutorial), with the exclusive lock.
    Write(paths::Lock),
}

impl Sandbox {
    /// Starts a sandbox (reusing a free slot's warm cache) and waits for its engine to answer.
    /// Everything it makes on the host carries the project's labels.
    pub fn start(host: &Docker, image: &str) -> Result<Sandbox> {
        Sandbox::start_as(host, image, "sandbox", None, &[])
    }

    /// A sandbox named `jdx-ROLE...`; with `ssh`, a folder holding `host_key` and
    /// `authorized_keys`, it also runs an SSH server in front of its engine (see [`Remote`]);
    /// `data` are `docker volume create` options for its scratch volume (a small tmpfs: a full disk).
    pub(crate) fn start_as(
        host: &Docker,
        image: &str,
        role: &str,
        ssh: Option<&Path>,
        data: &[&str],
    ) -> Result<Sandbox> {
        let scope = host.run_id().map(|r| format!("-{r}")).unwrap_or_default();
        let (slot, n) = free_slot(&format!("{role}{scope}"))?;
        let container = format!("jdx-{role}{scope}-{n}");
        let reading = paths::shared(&cache_volume(role))?;
        Sandbox::start_in(
            host,
            image,
            role,
            &container,
            slot,
            ssh,
            data,
            Cache::Read(reading),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start_in(
        host: &Docker,
        image: &str,
        role: &str,
        container: &str,
        slot: std::fs::File,
        ssh: Option<&Path>,
        data: &[&str],
        cache: Cache,
    ) -> Result<Sandbox> {
        // The registry and the warm caches are the machine's, like the project's images: shared
        // by every sandbox (read-only), kept between runs; `clean` removes them.
        let machine = host.with_run(None);
        let registry = Registry::ensure(&machine, image)?;
        let data_volume = cache_volume(role);
        ensure_ours(
            &machine,
            "volume",
            &data_volume,
            machine.create_volume(&data_volume, &[])?,
        )?;
        remove_left_over(host, container)?;
        let socket_dir = fresh_socket_dir(container)?;

        let scratch = format!("{container}-scratch");
        let mut scratch_guard = Guard::before_create(host, Resource::Volume(scratch.clone()));
        ensure_ours(
            host,
            "volume",
            &scratch,
            host.create_volume(&scratch, data)?,
        )?;
        scratch_guard.created();
        let network = format!("{container}-net");
        let mut network_guard = Guard::before_create(host, Resource::Network(network.clone()));
        ensure_ours(host, "network", &network, host.create_network(&network)?)?;
        network_guard.created();
        // A remote host stands for another machine: no sandbox registry of its own (its pulls go
        // to the stand-in Docker Hub, where an article has one).
        let pinned = match ssh {
            None => Some(registry.connect(host, &network)?),
            Some(_) => None,
        };

        let started = Instant::now();
        let mut guard = Guard::before_create(host, Resource::Container(container.to_string()));
        let writes = matches!(cache, Cache::Write(_));
        let mut spec = sandbox_spec(
            image,
            container,
            &network,
            &data_volume,
            &scratch,
            socket_dir.0.clone(),
            &registry,
            writes,
        );
        if let Some(entry) = &pinned {
            spec = spec.raw(&["--add-host", entry.as_str()]);
        }
        if let Some(dir) = ssh {
            spec = spec
                .mount(Mount::bind(dir, "/run/remote-ssh", true))
                .env("SANDBOX_SSH", "1");
        }
        let ran = host.status(spec.args(&host.resource_labels())?)?;
        guard.created();
        if !ran.ok() {
            return Err(cannot_start(&ran));
        }
        let inner = host
            .with_run(None)
            .at_guarded_socket(&socket_dir.0.join("docker.sock"));
        let answer = || {
            let mut id = None;
            wait::poll(Duration::from_secs(120), Duration::from_millis(100), || {
                id = inner.probe(["info", "--format", "{{.ID}}"]);
                id.is_some()
            });
            id
        };
        let mut engine_id = answer();
        if engine_id.is_none()
            && network_setup_failed(&host.logs_since(container, "0").unwrap_or_default())
        {
            // rootlesskit's network (slirp4netns's tap device) fails to come up now and then on a
            // loaded host: the engine starts again once, behind a remote's sshd, or with its container.
            let again = if ssh.is_some() {
                host.status(["exec", container, "sandbox-dockerd", "engine"])
            } else {
                host.status(["start", container])
            };
            if again.is_ok_and(|o| o.ok()) {
                engine_id = answer();
            }
        }
        let Some(engine_id) = engine_id else {
            let log = host.logs_since(container, "0").unwrap_or_default();
            bail!("the sandbox engine did not answer within 120s ({}): the corrected mode, `cargo xtask walkthrough ARTICLE` (no --literal, no --from-markdown), runs on your own engine without it", crate::engine::last_message(&log));
        };
        Ok(Sandbox {
            inner,
            container: container.to_string(),
            registry,
            data_volume,
            network,
            seconds_to_ready: started.elapsed().as_secs_f64(),
            engine_id,
            host: host.clone(),
            socket_dir,
            _container: guard,
            _network: network_guard,
            _scratch: scratch_guard,
            _cache: cache,
            _slot: slot,
        })
    }

    /// A sandbox ready for an article: its image built, the stand-ins built and seeded into its
    /// registry, and its warm cache holding exactly the stand-ins under warm-cache names (so each
    /// article starts from the stand-ins alone, and its pulls take seconds).
    pub fn for_articles(sh: &xshell::Shell) -> Result<(Sandbox, Vec<StandIn>)> {
        let host = Docker::new(sh);
        host.require_engine()?;
        // Two replays starting at once would build the same images and seed the same names in the
        // shared registry: one prepares while the other waits.
        let preparing = paths::exclusive("sandbox-prepare")?;
        // The images are the machine's, shared by every run: they carry no run's label (a test
        // run's leak check and a later sweep would take them for its leftovers).
        let machine = host.with_run(None);
        let image = images::sandbox::ensure(&machine)?;
        let base = images::base::ensure(sh, images::base::Source::Auto, false, false)?;
        let mysql = images::mysql::ensure(sh)?;
        let stand_ins = images::sandbox::stand_ins(&machine, &base, &mysql.image)?;
        Registry::ensure(&machine, &image)?.seed(&machine, &stand_ins)?;
        drop(preparing);
        let sandbox = Sandbox::start(&host, &image)?;
        let wanted = stamp(&host, &stand_ins)?;
        if sandbox.stamp() == wanted {
            return Ok((sandbox, stand_ins));
        }
        // The cache is rewritten only while no sandbox reads it: this one stops reading, and the
        // warm-up waits for the others to end.
        let (container, slot) = sandbox.release();
        let writing = paths::exclusive(&cache_volume("sandbox"))?;
        let warm = Sandbox::start_in(
            &host,
            &image,
            "sandbox",
            &container,
            slot,
            None,
            &[],
            Cache::Write(writing),
        )?;
        if warm.stamp() != wanted {
            let step = crate::progress::Step::start(format!("Warming the sandboxes' cache {} with the stand-ins (once per change of a stand-in)", warm.data_volume));
            warm.warm_up(&stand_ins, &wanted)?;
            step.done("done");
        }
        let (_, slot) = warm.release();
        let reading = paths::shared(&cache_volume("sandbox"))?;
        let sandbox = Sandbox::start_in(
            &host,
            &image,
            "sandbox",
            &container,
            slot,
            None,
            &[],
            Cache::Read(reading),
        )?;
        Ok((sandbox, stand_ins))
    }

    /// What the warm cache holds, by its stamp (empty when it was never warmed).
    fn stamp(&self) -> String {
        self.exec(&["cat", WARM_STAMP])
            .map(|o| o.stdout)
            .unwrap_or_default()
    }

    /// Stops this sandbox (its container, network and scratch volume go) and hands back its slot.
    fn release(self) -> (String, std::fs::File) {
        let Sandbox {
            container,
            _container,
            _network,
            _scratch,
            _slot,
            socket_dir,
            _cache,
            ..
        } = self;
        drop((_container, _network, _scratch, socket_dir, _cache));
        (container, _slot)
    }

    /// Fills the (writable) cache: each stand-in pulled through the mirror and kept under a
    /// warm-cache name only (so `docker run IMAGE` in a replay says it is not local and pulls it,
    /// as the articles show, in seconds); anything else goes; then the stamp.
    fn warm_up(&self, stand_ins: &[StandIn], stamp: &str) -> Result<()> {
        self.check_engine()?;
        self.reset()?;
        for image in self.inner.output(["images", "-q"])?.lines() {
            let _ = self.inner.status(["rmi", "-f", image]);
        }
        for s in stand_ins {
            self.inner.output(["pull", "-q", s.pulled_as])?;
            self.inner.output([
                "tag",
                s.pulled_as,
                &format!("{WARM_CACHE}{}:latest", s.pulled_as),
            ])?;
            self.inner.output(["rmi", s.pulled_as])?;
        }
        self.inner.output(["image", "prune", "-f"])?;
        let out = self
            .host
            .exec_input(
                &self.container,
                &["sh", "-c", "cat > \"$1\"", "sh", WARM_STAMP],
            )
            .stdin_bytes(stamp.as_bytes().to_vec())
            .unchecked()
            .run()?;
        anyhow::ensure!(
            out.status.success(),
            "writing the warm cache's stamp in {} failed",
            self.container
        );
        Ok(())
    }

    /// Fails unless the engine behind the socket is still the one this sandbox started.
    fn check_engine(&self) -> Result<()> {
        let id = self.inner.output(["info", "--format", "{{.ID}}"])?;
        if id != self.engine_id {
            bail!("the engine at {}'s socket is not the one it started (ID {id}, not {}): nothing was reset; remove the sandbox with `cargo xtask clean`", self.container, self.engine_id);
        }
        Ok(())
    }

    /// Empties the inner engine of containers, volumes and networks (it is the project's own
    /// engine: nothing in it is a person's); images stay. Only once the engine proved to be this
    /// sandbox's own.
    pub fn reset(&self) -> Result<()> {
        self.check_engine()?;
        let containers = self.inner.output(["ps", "-aq"])?;
        if !containers.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(containers.lines());
            self.inner.output(&args)?;
        }
        self.inner.output(["volume", "prune", "-f"])?;
        self.inner.output(["network", "prune", "-f"])?;
        Ok(())
    }

    /// A command in the sandbox container itself, as its root (the project's own checks only:
    /// `curl localhost:8888` reaches what an article published with `-p 8888:8888`).
    pub fn exec(&self, command: &[&str]) -> Result<Output> {
        self.host.exec(&self.container, command)
    }

    /// The HTTP status of `url` fetched from inside the sandbox (0 when nothing answers).
    pub fn http_status(&self, url: &str) -> u16 {
        let out = self.exec(&[
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "-w",
            "%{http_code}",
            url,
        ]);
        out.ok()
            .and_then(|o| o.stdout.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The sandbox's address on its network (where `-p` publishes inside it).
    pub fn address(&self) -> Result<String> {
        let format = format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            self.network
        );
        self.host.output([
            "container",
            "inspect",
            "--format",
            format.as_str(),
            self.container.as_str(),
        ])
    }

    /// Why the sandbox cannot go on, if it cannot: what happened ("the sandbox X stopped") and a
    /// hint (killed, out of memory, paused, the shared registry removed by a `clean`).
    pub fn trouble(&self) -> Option<(String, String)> {
        // One inspect for both (it runs after every step); a missing one is left out of stdout.
        let (sandbox, registry) = (self.container.as_str(), self.registry.container.as_str());
        let out = self.host.status([
            "container",
            "inspect",
            "--format",
            "{{.Name}} {{.State.Running}} {{.State.Paused}}",
            sandbox,
            registry,
        ]);
        let listed = out.map(|o| o.stdout).unwrap_or_default();
        let state_of = |name: &str| {
            listed
                .lines()
                .find_map(|l| l.strip_prefix(&format!("/{name} ")))
                .map(str::to_string)
        };
        if let Some(trouble) = state_trouble(sandbox, state_of(sandbox).as_deref()) {
            return Some(trouble);
        }
        let registry_runs = state_of(registry).is_some_and(|s| s.starts_with("true"));
        if !registry_runs {
            return Some((
                format!("the sandbox's shared registry {registry} was removed or stopped"),
                "by `cargo xtask clean`?".into(),
            ));
        }
        None
    }

    /// Whether the sandbox container still runs (it can be killed, or die out of memory, mid-run).
    pub fn is_running(&self) -> bool {
        self.trouble().is_none()
    }

    /// The host engine (for the sandbox's own checks).
    pub fn host(&self) -> &Docker {
        &self.host
    }

    /// Why the engine last gave up on an endpoint of a pull since `since` (unix seconds), as its
    /// log says: the mirror's error, which the docker CLI never shows (it prints the last
    /// endpoint's, Docker Hub's, which no sandbox can reach).
    pub fn pull_trouble(&self, since: u64) -> Option<String> {
        let log = self
            .host
            .logs_since(&self.container, &since.to_string())
            .ok()?;
        let line = log
            .lines()
            .filter(|l| l.contains("Attempting next endpoint"))
            .find(|l| !l.contains("registry-1.docker.io"))?;
        let msg = line.split_once("msg=").map_or(line, |(_, m)| m);
        Some(msg.trim_matches('"').replace("\\\"", "\""))
    }
}

/// The run's socket folder, removed with the sandbox.
struct SocketDir(PathBuf);

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the sandbox container's `{{.State.Running}} {{.State.Paused}}` (None: it is gone) says
/// is wrong with it, as [`Sandbox::trouble`] says it.
fn state_trouble(name: &str, state: Option<&str>) -> Option<(String, String)> {
    match state {
        Some("true false") => None,
        Some("true true") => Some((
            format!("the sandbox {name} was paused"),
            format!("`docker unpause {name}` lets a replay go on"),
        )),
        _ => Some((
            format!("the sandbox {name} stopped"),
            "killed, or out of memory".into(),
        )),
    }
}

/// The sandbox container: the default capabilities plus SYS_ADMIN (rootlesskit's namespaces and
/// the cache's overlay), the devices a rootless engine uses, no seccomp or AppArmor profile (an
/// engine in a container needs them off) and no masked /proc paths (a user namespace's procfs
/// mount needs them unmasked); no host cgroups; bounded pids and memory. The cache read-only
/// under this run's scratch volume; the socket folder.
#[allow(clippy::too_many_arguments)]
fn sandbox_spec(
    image: &str,
    name: &str,
    network: &str,
    cache_volume: &str,
    scratch: &str,
    socket_dir: PathBuf,
    registry: &Registry,
    writes: bool,
) -> RunSpec {
    let mut spec = RunSpec::detached(image, name)
        .network(network)
        .mount(Mount::Volume {
            name: cache_volume.into(),
            target: "/run/cache".into(),
            readonly: !writes,
            nocopy: false,
        })
        .mount(Mount::volume(scratch, "/run/scratch"))
        .mount(Mount::bind(socket_dir, "/run/sandbox", false))
        .env("SANDBOX_MIRROR", &registry.mirror_url())
        .raw(&[
            "--device",
            "/dev/net/tun",
            "--device",
            "/dev/fuse",
            "--pids-limit",
            &PIDS_LIMIT.to_string(),
            "--memory",
            MEMORY_LIMIT,
        ]);
    if writes {
        spec = spec.env("SANDBOX_CACHE", "write");
    }
    spec.cap_add = vec!["SYS_ADMIN".into()];
    spec.security_opt = vec![
        "seccomp=unconfined".into(),
        "apparmor=unconfined".into(),
        "systempaths=unconfined".into(),
    ];
    spec
}

/// One line naming why the sandbox could not start, and what works without it.
fn cannot_start(ran: &Output) -> anyhow::Error {
    let why = crate::engine::last_message(&ran.stderr);
    let hint = if why.contains("rootless") || why.contains("cgroup") {
        "this engine cannot run an engine inside a container (rootless Docker or cgroup limits)"
    } else if why.contains("operation not permitted")
        || why.contains("caps")
        || why.contains("device")
    {
        "this host does not grant what an engine in a container needs (SYS_ADMIN, /dev/net/tun, /dev/fuse)"
    } else {
        "the sandbox container did not start"
    };
    anyhow::anyhow!("the sandbox cannot start: {hint} ({why}); the corrected mode, `cargo xtask walkthrough ARTICLE` (no --literal, no --from-markdown), runs on your own engine without it")
}

/// Whether a sandbox's log shows its rootless engine failing to set up its network (then it is
/// started once more: a failure seen on a loaded host, gone on the next try).
pub(crate) fn network_setup_failed(log: &str) -> bool {
    log.contains("[rootlesskit:parent] error: failed to setup network")
}

/// The id that the inner engine's containers see for a file the sandbox sees owned by `id`: its
/// engine runs rootless as `reader` (1000), which is their root; their other ids are reader's
/// subordinate ids from 100000 (docker/sandbox/Dockerfile); any other owner is `nobody` to them.
pub fn container_id(id: u32) -> u32 {
    match id {
        1000 => 0,
        100_000..=165_535 => id - 99_999,
        _ => 65_534,
    }
}

/// The warm cache of sandboxes of `role` (`sandbox`, `remote`): one volume, read by them all.
fn cache_volume(role: &str) -> String {
    format!("jdx-{role}-cache")
}

/// What the warm cache should hold: each stand-in's name and image id.
fn stamp(host: &Docker, stand_ins: &[StandIn]) -> Result<String> {
    let mut lines = Vec::new();
    for s in stand_ins {
        lines.push(format!(
            "{} {}",
            s.pulled_as,
            host.output(["image", "inspect", "--format", "{{.Id}}", s.image.as_str()])?
        ));
    }
    Ok(lines.join("\n"))
}

/// What a killed run left in the slot we now hold (its sandbox, still running with its
/// containers, and its scratch volume) goes, and the person is told.
fn remove_left_over(host: &Docker, container: &str) -> Result<()> {
    if host.exists("container", container) {
        if !host.is_owned(container) {
            bail!("a container named {container} exists and was not made by this project: it is left alone; remove it or rename it");
        }
        eprintln!("# removing the sandbox {container} that a killed run left running (with everything in it)");
        let _ = host.probe(["unpause", container]);
        host.output(["rm", "-f", container])?;
    }
    let scratch = format!("{container}-scratch");
    if host.exists("volume", &scratch)
        && host
            .label("volume", &scratch, crate::engine::MANAGED_KEY)
            .is_some()
    {
        host.output(["volume", "rm", "-f", scratch.as_str()])?;
    }
    let network = format!("{container}-net");
    if host.exists("network", &network)
        && host
            .label("network", &network, crate::engine::MANAGED_KEY)
            .is_some()
    {
        let _ = Guard::new(host, Resource::Network(network));
    }
    Ok(())
}

/// How the socket folders of sandbox `container` begin (then the run's pid).
pub fn socket_dir_prefix(container: &str) -> String {
    format!(
        "sbx-{}-run",
        crate::images::recipe::RecipeHash::default()
            .text(container)
            .short()
    )
}

/// This run's socket folder, made fresh (0700) in the runtime folder; the folders killed runs left
/// in the slot go first. Named by a short hash of the sandbox's name: a unix socket's path may not
/// pass 107 bytes, and a test's sandbox names are long.
fn fresh_socket_dir(container: &str) -> Result<SocketDir> {
    use std::os::unix::fs::DirBuilderExt;
    let runtime = paths::runtime_dir()?;
    let slot = socket_dir_prefix(container);
    for entry in std::fs::read_dir(&runtime)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&slot) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = runtime.join(format!("{slot}{}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(SocketDir(dir))
}

/// A volume or network of the sandbox found already there must be the project's; otherwise it
/// is a person's, and is never adopted.
fn ensure_ours(host: &Docker, kind: &str, name: &str, created: Created) -> Result<()> {
    if created == Created::Existed && host.label(kind, name, crate::engine::MANAGED_KEY).is_none() {
        bail!("a {kind} named {name} exists and was not made by this project: it is left alone; remove or rename it to use the sandbox");
    }
    Ok(())
}

/// The first sandbox slot of this role and scope no other process holds (a lock in the runtime folder).
fn free_slot(scope: &str) -> Result<(std::fs::File, usize)> {
    for n in 1..=SLOTS {
        if let Some(lock) = paths::try_exclusive(&format!("{scope}-{n}"))? {
            return Ok((lock, n));
        }
    }
    bail!("{SLOTS} sandboxes are already running: wait for a walkthrough to finish")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rootlesskits_network_failure_starts_the_engine_again() {
        let failed = "[rootlesskit:parent] error: failed to setup network &{...}: setting up tap tap0: exit status 1";
        assert!(network_setup_failed(failed));
        assert!(!network_setup_failed(
            "failed to start daemon: pid file found"
        ));
    }

    #[test]
    fn a_paused_or_gone_sandbox_is_trouble_named_as_such() {
        assert_eq!(state_trouble("s", Some("true false")), None);
        assert_eq!(
            state_trouble("s", Some("true true")).unwrap().0,
            "the sandbox s was paused"
        );
        for gone in [Some("false false"), None] {
            assert_eq!(
                state_trouble("s", gone).unwrap(),
                (
                    "the sandbox s stopped".to_string(),
                    "killed, or out of memory".to_string()
                )
            );
        }
    }

    #[test]
    fn ids_in_the_sandbox_are_the_containers_ids_shifted() {
        // reader is the containers' root; jovyan (1000) is reader's subordinate id 100999.
        assert_eq!(
            (
                container_id(1000),
                container_id(100_000),
                container_id(100_999),
                container_id(165_535)
            ),
            (0, 1, 1000, 65_536)
        );
        assert_eq!(
            (
                container_id(0),
                container_id(1001),
                container_id(99_999),
                container_id(165_536)
            ),
            (65_534, 65_534, 65_534, 65_534)
        );
    }
}
