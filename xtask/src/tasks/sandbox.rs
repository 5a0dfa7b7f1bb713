//! `cargo xtask sandbox`: a sandbox engine for trying an article's commands by hand, as written.
//! It stays until Ctrl-C; then its container goes and its data volume (the warm images) stays.

use anyhow::Result;
use xshell::Shell;

use crate::sandbox::Sandbox;

#[derive(clap::Args, Debug)]
pub struct SandboxTask {
    /// Start it, seed its registry and warm cache, and remove it at once (a check).
    #[arg(long)]
    pub check: bool,
    /// Instead: a Docker Swarm of N engines in containers, for the hub (`hub up --swarm`) to be
    /// tried on; the project's own code only, never a tutorial (its engines run as root).
    #[arg(long, value_name = "N", conflicts_with = "check", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub swarm: Option<u8>,
}

impl SandboxTask {
    pub fn run(self, sh: &Shell) -> Result<()> {
        if let Some(count) = self.swarm {
            return swarm(sh, count.into());
        }
        let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
        let socket = sandbox.inner.target().get(1).cloned().unwrap_or_default();
        eprintln!(
            "sandbox {} ready in {:.1}s; its registry serves:",
            sandbox.container, sandbox.seconds_to_ready
        );
        for s in &stand_ins {
            eprintln!("  {:<30} {} ({})", s.pulled_as, s.image, s.described());
        }
        if self.check {
            // The socket goes with the sandbox at the end of this command: nothing to point at.
            eprintln!("sandbox {} checked and removed; without --check it stays, and its DOCKER_HOST is printed", sandbox.container);
            return Ok(());
        }
        println!("export DOCKER_HOST={socket}");
        eprintln!("(Ctrl-C removes the sandbox container; its images stay for the next run)");
        loop {
            std::thread::park();
        }
    }
}

fn swarm(sh: &Shell, count: usize) -> Result<()> {
    let host = crate::engine::Docker::new(sh);
    host.require_engine()?;
    let image = crate::images::sandbox::ensure(&host)?;
    let notebooks = crate::paths::notebooks_dir();
    let swarm = crate::sandbox::Swarm::start(&host, &image, count, &[notebooks.as_path()])?;
    for node in &swarm.nodes {
        eprintln!(
            "  node {}: DOCKER_HOST=unix://{}",
            node.name,
            node.socket.display()
        );
    }
    eprintln!("(the notebooks folder is on every node; load images with `docker save IMAGE | docker -H ... load`; Ctrl-C removes the nodes)");
    println!(
        "export DOCKER_HOST=unix://{}",
        swarm.manager().socket.display()
    );
    loop {
        std::thread::park();
    }
}
