//! Starting a sandbox: its shared registry and warm cache, its own scratch volume and network,
//! the container itself, and the wait for its inner engine to answer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::slot::{free_slot, fresh_socket_dir, remove_left_over};
use super::warm_cache::{cache_volume, Cache};
use super::{Registry, Sandbox, MEMORY_LIMIT, PIDS_LIMIT};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{wait, Created, Docker, Mount, Output, RunSpec};
use crate::paths;

impl Sandbox {
    /// Starts a sandbox (reusing a free slot's warm cache) and waits for its engine to answer.
    /// Everything it makes on the host carries the project's labels.
    pub fn start(host: &Docker, image: &str) -> Result<Sandbox> {
        Sandbox::start_as(host, image, "sandbox", None, &[])
    }

    /// A sandbox named `jdx-ROLE...`; with `ssh`, a folder holding `host_key` and
    /// `authorized_keys`, it also runs an SSH server in front of its engine (see [`Remote`]);
    /// `data` are `docker volume create` options for its scratch volume (a small tmpfs: a full disk).
    ///
    /// [`Remote`]: super::Remote
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
    pub(super) fn start_in(
        host: &Docker,
        image: &str,
        role: &str,
        container: &str,
        slot: std::fs::File,
        ssh: Option<&Path>,
        data: &[&str],
        cache: Cache,
    ) -> Result<Sandbox> {
        let (registry, data_volume) = shared_registry_and_cache(host, image, role)?;
        remove_left_over(host, container)?;
        let socket_dir = fresh_socket_dir(container)?;
        let ((scratch, scratch_guard), (network, network_guard)) =
            own_scratch_and_network(host, container, data)?;
        // A remote host stands for another machine: no sandbox registry of its own (its pulls go
        // to the stand-in Docker Hub, where an article has one).
        let pinned = match ssh {
            None => Some(registry.connect(host, &network)?),
            Some(_) => None,
        };

        let started = Instant::now();
        let writes = matches!(cache, Cache::Write(_));
        let spec = sandbox_spec(
            image,
            container,
            &network,
            &data_volume,
            &scratch,
            socket_dir.0.clone(),
            &registry,
            writes,
        );
        let guard = run_container(host, container, with_extras(spec, pinned, ssh))?;
        let inner = host
            .with_run(None)
            .at_guarded_socket(&socket_dir.0.join("docker.sock"));
        let engine_id = wait_for_engine(host, &inner, container, ssh)?;
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
}

/// The registry and the warm cache of `role`: the machine's, like the project's images, shared by
/// every sandbox (read-only), kept between runs; `clean` removes them.
fn shared_registry_and_cache(host: &Docker, image: &str, role: &str) -> Result<(Registry, String)> {
    let machine = host.with_run(None);
    let registry = Registry::ensure(&machine, image)?;
    let data_volume = cache_volume(role);
    ensure_ours(
        &machine,
        "volume",
        &data_volume,
        machine.create_volume(&data_volume, &[])?,
    )?;
    Ok((registry, data_volume))
}

/// This sandbox's own scratch volume and network, each guarded from the moment it is created.
fn own_scratch_and_network(
    host: &Docker,
    container: &str,
    data: &[&str],
) -> Result<((String, Guard), (String, Guard))> {
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
    Ok(((scratch, scratch_guard), (network, network_guard)))
}

/// The sandbox's spec with the registry's alias pinned in its /etc/hosts and, for a remote, the
/// folder its SSH server reads.
fn with_extras(mut spec: RunSpec, pinned: Option<String>, ssh: Option<&Path>) -> RunSpec {
    if let Some(entry) = &pinned {
        spec = spec.raw(&["--add-host", entry.as_str()]);
    }
    if let Some(dir) = ssh {
        spec = spec
            .mount(Mount::bind(dir, "/run/remote-ssh", true))
            .env("SANDBOX_SSH", "1");
    }
    spec
}

/// Runs the sandbox container, guarded before `docker run` so a failed start leaves nothing.
fn run_container(host: &Docker, container: &str, spec: RunSpec) -> Result<Guard> {
    let mut guard = Guard::before_create(host, Resource::Container(container.to_string()));
    let ran = host.status(spec.args(&host.resource_labels())?)?;
    guard.created();
    if !ran.ok() {
        return Err(cannot_start(&ran));
    }
    Ok(guard)
}

/// The inner engine's ID once it answers (within 120 s), its engine started once more if its
/// network failed to come up.
fn wait_for_engine(
    host: &Docker,
    inner: &Docker,
    container: &str,
    ssh: Option<&Path>,
) -> Result<String> {
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
    Ok(engine_id)
}

/// The sandbox container: the default capabilities plus SYS_ADMIN (rootlesskit's namespaces and
/// the engine's data mount), the devices a rootless engine uses, no seccomp or AppArmor profile (an
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
fn network_setup_failed(log: &str) -> bool {
    log.contains("[rootlesskit:parent] error: failed to setup network")
}

/// A volume or network of the sandbox found already there must be the project's; otherwise it
/// is a person's, and is never adopted.
pub(super) fn ensure_ours(host: &Docker, kind: &str, name: &str, created: Created) -> Result<()> {
    if created == Created::Existed && host.label(kind, name, crate::engine::MANAGED_KEY).is_none() {
        bail!("a {kind} named {name} exists and was not made by this project: it is left alone; remove or rename it to use the sandbox");
    }
    Ok(())
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
}
