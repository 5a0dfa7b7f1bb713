//! The sandbox: a Docker engine of its own, in a container on a network of its own, with a local
//! registry that serves the stand-ins under the names the articles pull. An article's commands run
//! there as written (`-p 8888:8888` publishes on the sandbox's address, never on the host's
//! interfaces; `docker system prune -a` empties only the sandbox).
//!
//! The sandbox container is privileged-equivalent (all capabilities but SYS_RESOURCE, no seccomp or
//! AppArmor profile, the host's cgroups): an engine needs that to run containers. Its API is a unix
//! socket in a folder only the person can open (0700), never a TCP port, so no other container can
//! reach it.

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

/// How many sandboxes of one scope may run at once (each with its own warm data volume).
const SLOTS: usize = 4;
/// Where the inner engine keeps the layers of the images the articles pull between replays.
const WARM_CACHE: &str = "jdx-warm-cache/";

/// A running sandbox engine. Dropping it removes the sandbox container; its data volume (the
/// inner engine's images) stays for the next run, and `clean --volumes` removes it.
pub struct Sandbox {
    /// The handle to the inner engine.
    pub inner: Docker,
    /// The sandbox container on the host engine.
    pub container: String,
    /// The registry standing in for Docker Hub, on the sandbox's network.
    pub registry: Registry,
    pub data_volume: String,
    pub network: String,
    pub seconds_to_ready: f64,
    host: Docker,
    _slot: std::fs::File,
    _container: Guard,
}

impl Sandbox {
    /// Starts a sandbox (reusing a free slot's data volume, so its images are warm) and waits
    /// for its engine to answer. Everything it makes on the host carries the project's labels.
    pub fn start(host: &Docker, image: &str) -> Result<Sandbox> {
        Sandbox::start_as(host, image, "sandbox", None, &[])
    }

    /// A sandbox named `jdx-ROLE...`; with `ssh`, a folder holding `host_key` and
    /// `authorized_keys`, it also runs an SSH server in front of its engine (see [`Remote`]);
    /// `data` are `docker volume create` options for its data volume (a small tmpfs: a full disk).
    pub(crate) fn start_as(host: &Docker, image: &str, role: &str, ssh: Option<&Path>, data: &[&str]) -> Result<Sandbox> {
        // The network and registry are the machine's, like the project's images: shared by every
        // sandbox (a test run's too), kept between runs so the registry stays seeded; `clean` removes them.
        let machine = host.with_run(None);
        let network = "jdx-sandbox-net".to_string();
        ensure_ours(&machine, "network", &network, machine.create_network(&network)?)?;
        let registry = Registry::ensure(&machine, image, &network)?;
        let scope = host.run_id().map(|r| format!("-{r}")).unwrap_or_default();

        let (slot, n) = free_slot(&format!("{role}{scope}"))?;
        let container = format!("jdx-{role}{scope}-{n}");
        let data_volume = format!("{container}-data");
        ensure_ours(host, "volume", &data_volume, host.create_volume(&data_volume, data)?)?;
        if host.exists("container", &container) {
            // A crashed run's sandbox in the slot we now hold: ours to replace.
            if !host.is_owned(&container) {
                bail!("a container named {container} exists and was not made by this project: it is left alone; remove it or rename it");
            }
            host.output(["rm", "-f", container.as_str()])?;
        }
        let socket_dir = paths::runtime_dir()?.join(&container);
        std::fs::create_dir_all(&socket_dir)?;
        let socket = socket_dir.join("docker.sock");

        let started = Instant::now();
        let mut guard = Guard::before_create(host, Resource::Container(container.clone()));
        let mut spec = sandbox_spec(image, &container, &network, &data_volume, socket_dir.clone(), &registry);
        if let Some(dir) = ssh {
            spec = spec.mount(Mount::bind(dir, "/run/remote-ssh", true)).env("SANDBOX_SSH", "1");
        }
        let ran = host.status(spec.args(&host.resource_labels())?)?;
        guard.created();
        if !ran.ok() {
            return Err(cannot_start(&ran));
        }
        let inner = host.with_run(None).at_host(&format!("unix://{}", socket.display()));
        let ready = wait::poll(Duration::from_secs(30), Duration::from_millis(100), || inner.probe(["version", "--format", "{{.Server.Version}}"]).is_some());
        if ready.is_none() {
            let log = host.logs_since(&container, "0").unwrap_or_default();
            bail!("the sandbox engine did not answer within 30s ({}): the corrected mode, `cargo xtask walkthrough ARTICLE` (no --literal, no --from-markdown), runs on your own engine without it", crate::engine::last_message(&log));
        }
        let sandbox = Sandbox {
            inner,
            container,
            registry,
            data_volume,
            network,
            seconds_to_ready: started.elapsed().as_secs_f64(),
            host: host.clone(),
            _slot: slot,
            _container: guard,
        };
        sandbox.reset()?;
        Ok(sandbox)
    }

    /// A sandbox ready for an article: its image built, the stand-ins built and seeded into its
    /// registry, and its engine holding only images the articles may pull (what an earlier
    /// replay built goes, so each article starts from the stand-ins alone).
    pub fn for_articles(sh: &xshell::Shell) -> Result<(Sandbox, Vec<StandIn>)> {
        let host = Docker::new(sh);
        host.require_engine()?;
        // Two replays starting at once would build the same images and tag, push and untag the
        // same names in the shared registry: one prepares while the other waits.
        let preparing = paths::exclusive("sandbox-prepare")?;
        let image = images::sandbox::ensure(&host)?;
        let base = images::base::ensure(sh, images::base::Source::Auto, false, false)?;
        let mysql = images::mysql::ensure(sh)?;
        let stand_ins = images::sandbox::stand_ins(&host, &base, &mysql.image)?;
        let sandbox = Sandbox::start(&host, &image)?;
        sandbox.registry.seed(&host, &stand_ins)?;
        drop(preparing);
        sandbox.keep_only(&stand_ins)?;
        Ok((sandbox, stand_ins))
    }

    /// Leaves the inner engine as a fresh machine has it: no image the articles pull is there under
    /// the article's name (so `docker run IMAGE` says it is not local and pulls it, as the articles
    /// show), while their layers stay under a warm-cache name, so the pull takes seconds. Anything
    /// else an earlier replay built goes.
    pub fn keep_only(&self, stand_ins: &[StandIn]) -> Result<()> {
        let listing = self.inner.output(["images", "--format", "{{.Repository}}\t{{.Tag}}\t{{.ID}}"])?;
        let pulled = |repo: &str| stand_ins.iter().any(|s| s.pulled_as == repo || format!("library/{}", s.pulled_as) == repo);
        for line in listing.lines() {
            let [repo, tag, id] = line.split('\t').collect::<Vec<_>>()[..] else { continue };
            if repo.starts_with(WARM_CACHE) {
                continue;
            }
            if pulled(repo) && tag != "<none>" {
                let warm = format!("{WARM_CACHE}{repo}:{tag}");
                self.inner.output(["tag", &format!("{repo}:{tag}"), &warm])?;
                self.inner.output(["rmi", &format!("{repo}:{tag}")])?;
            } else {
                // An image shared with a kept one (same id) refuses to go without -f: it stays.
                let _ = self.inner.status(["rmi", id]);
            }
        }
        self.inner.output(["image", "prune", "-f"])?;
        Ok(())
    }

    /// Empties the inner engine of containers, volumes and networks left by an earlier run (it is
    /// the project's own engine: nothing in it is a person's); images stay, so runs are warm.
    pub fn reset(&self) -> Result<()> {
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

    /// A command in the sandbox container itself (its network namespace: `curl localhost:8888`
    /// reaches what an article published with `-p 8888:8888`).
    pub fn exec(&self, command: &[&str]) -> Result<Output> {
        self.host.exec(&self.container, command)
    }

    /// The HTTP status of `url` fetched from inside the sandbox (0 when nothing answers).
    pub fn http_status(&self, url: &str) -> u16 {
        let out = self.exec(&["curl", "-s", "-o", "/dev/null", "--max-time", "5", "-w", "%{http_code}", url]);
        out.ok().and_then(|o| o.stdout.trim().parse().ok()).unwrap_or(0)
    }

    /// The sandbox's address on its network (where `-p` publishes inside it).
    pub fn address(&self) -> Result<String> {
        let format = format!("{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}", self.network);
        self.host.output(["container", "inspect", "--format", format.as_str(), self.container.as_str()])
    }

    /// Whether the sandbox container still runs (it can be killed, or die out of memory, mid-run).
    pub fn is_running(&self) -> bool {
        self.host.probe(["container", "inspect", "--format", "{{.State.Running}}", self.container.as_str()]).as_deref() == Some("true")
    }

    /// The host engine (for the sandbox's own checks).
    pub fn host(&self) -> &Docker {
        &self.host
    }
}

/// The sandbox container: the engine's privileges, the host's cgroups, its data volume, and the
/// socket folder; the registry as its mirror.
fn sandbox_spec(image: &str, name: &str, network: &str, data: &str, socket_dir: PathBuf, registry: &Registry) -> RunSpec {
    let mut spec = RunSpec::detached(image, name)
        .network(network)
        .mount(Mount::volume(data, "/var/lib/docker"))
        .mount(Mount::bind("/sys/fs/cgroup", "/sys/fs/cgroup", false))
        .mount(Mount::bind(socket_dir, "/run/sandbox", false))
        .env("SANDBOX_NAME", name)
        .env("SANDBOX_MIRROR", &registry.mirror_url());
    spec.cap_add = vec!["ALL".into()];
    spec.cap_drop = vec!["SYS_RESOURCE".into()];
    spec.security_opt = vec!["seccomp=unconfined".into(), "apparmor=unconfined".into()];
    spec
}

/// One line naming why the sandbox could not start, and what works without it.
fn cannot_start(ran: &Output) -> anyhow::Error {
    let why = crate::engine::last_message(&ran.stderr);
    let hint = if why.contains("rootless") || why.contains("cgroup") {
        "this engine cannot run an engine inside a container (rootless Docker or cgroup v2 limits)"
    } else if why.contains("operation not permitted") || why.contains("caps") {
        "this host does not grant the capabilities an engine in a container needs"
    } else {
        "the sandbox container did not start"
    };
    anyhow::anyhow!("the sandbox cannot start: {hint} ({why}); the corrected mode, `cargo xtask walkthrough ARTICLE` (no --literal, no --from-markdown), runs on your own engine without it")
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
