//! The sandbox: a Docker engine of its own, in a container on a network of its own, with a local
//! registry that serves the stand-ins under the names the articles pull. An article's commands run
//! there as written (`-p 8888:8888` publishes on the sandbox's address, never on the host's
//! interfaces; `docker system prune -a` empties only the sandbox).
//!
//! A replayed tutorial is untrusted: its commands run as the unprivileged user `reader` (no
//! capability, no_new_privs), and the inner engine is rootless, run by that user, so what its
//! containers do as root (`--privileged`, `-v /:/host`) is root only in that user's namespace.
//! The sandbox container has the default capabilities plus SYS_ADMIN (for rootlesskit and the
//! engine's data mount; no tutorial command runs as its root), no host cgroups, limits on pids and
//! memory. The warm cache of images is read-only, copied as each run's engine data; the registry serves
//! read-only; the API is a unix socket reached by a path the sandbox cannot change, checked
//! before every call.

mod inspect;
pub use inspect::{log_mark, mirror_unreachable, pull_trouble};
pub mod registry;
pub mod remote;
mod slot;
mod start;
pub mod swarm;
mod warm_cache;

use anyhow::{bail, Result};

use crate::engine::resources::Guard;
use crate::engine::Docker;

pub use registry::Registry;
pub use remote::Remote;
pub use slot::socket_dir_prefix;
use slot::SocketDir;
pub use swarm::Swarm;
use warm_cache::Cache;

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

impl Sandbox {
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

#[cfg(test)]
mod tests {
    use super::*;

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
