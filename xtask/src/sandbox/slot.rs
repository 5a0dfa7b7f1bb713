//! A sandbox's place on the machine: one of a few numbered slots per role and scope, held by a
//! lock; what a killed run left in it; and this run's socket folder.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::engine::resources::{Guard, Resource};
use crate::engine::Docker;
use crate::paths;

/// How many sandboxes of one scope may run at once (they share their role's warm cache).
const SLOTS: usize = 4;

/// The run's socket folder, removed with the sandbox.
pub(super) struct SocketDir(pub(super) PathBuf);

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first sandbox slot of this role and scope no other process holds (a lock in the runtime folder).
pub(super) fn free_slot(scope: &str) -> Result<(std::fs::File, usize)> {
    for n in 1..=SLOTS {
        if let Some(lock) = paths::try_exclusive(&format!("{scope}-{n}"))? {
            return Ok((lock, n));
        }
    }
    bail!("{SLOTS} sandboxes are already running: wait for a walkthrough to finish")
}

/// What a killed run left in the slot we now hold (its sandbox, still running with its
/// containers, and its scratch volume) goes, and the person is told.
pub(super) fn remove_left_over(host: &Docker, container: &str) -> Result<()> {
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
pub(super) fn fresh_socket_dir(container: &str) -> Result<SocketDir> {
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
