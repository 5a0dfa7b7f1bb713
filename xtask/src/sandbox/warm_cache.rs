//! The warm cache: per role, one volume holding the inner engine's layers of the stand-ins under
//! warm-cache names, read-only to every replay (each copies it as its engine's data), rewritten (by the warm-up,
//! which runs no tutorial) only when a stand-in changed.

use anyhow::Result;

use super::{Registry, Sandbox};
use crate::engine::Docker;
use crate::images::{self, sandbox::StandIn};
use crate::paths;

/// Where the inner engine keeps the layers of the images the articles pull between replays.
const WARM_CACHE: &str = "jdx-warm-cache/";
/// What the warm cache holds, written by the warm-up beside the inner engine's data.
const WARM_STAMP: &str = "/run/cache/jdx-warm-stamp";

/// How the sandbox uses its role's warm cache, with the lock that allows it (held, never read).
#[allow(dead_code)]
pub(super) enum Cache {
    /// Read-only, copied as this run's engine data (every replay), with a shared lock.
    Read(std::fs::File),
    /// The cache itself (the warm-up, which runs no tutorial), with the exclusive lock.
    Write(paths::Lock),
}

impl Sandbox {
    /// A sandbox ready for an article: its image built, the stand-ins built and seeded into its
    /// registry, and its warm cache holding exactly the warm stand-ins under warm-cache names (so each
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
        let wanted = stamp(&host, &image, &stand_ins)?;
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

    /// Fills the (writable) cache: each warm stand-in pulled through the mirror and kept under a
    /// warm-cache name only (so `docker run IMAGE` in a replay says it is not local and pulls it,
    /// as the articles show, in seconds); anything else goes; then the stamp.
    fn warm_up(&self, stand_ins: &[StandIn], stamp: &str) -> Result<()> {
        self.check_engine()?;
        self.reset()?;
        for image in self.inner.output(["images", "-q"])?.lines() {
            let _ = self.inner.status(["rmi", "-f", image]);
        }
        for s in stand_ins.iter().filter(|s| s.warm) {
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
}

/// The warm cache of sandboxes of `role` (`sandbox`, `remote`): one volume, read by them all.
pub(super) fn cache_volume(role: &str) -> String {
    format!("jdx-{role}-cache")
}

/// What the warm cache should hold: each warm stand-in's name and image id, for the engine of the
/// sandbox image `image` (its storage driver decides the cache's format).
fn stamp(host: &Docker, image: &str, stand_ins: &[StandIn]) -> Result<String> {
    let id = |name: &str| host.output(["image", "inspect", "--format", "{{.Id}}", name]);
    let mut lines = vec![format!("sandbox {}", id(image)?)];
    for s in stand_ins.iter().filter(|s| s.warm) {
        lines.push(format!("{} {}", s.pulled_as, id(&s.image)?));
    }
    Ok(lines.join("\n"))
}
