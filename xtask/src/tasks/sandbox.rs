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
}

impl SandboxTask {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
        let socket = sandbox.inner.target().get(1).cloned().unwrap_or_default();
        eprintln!(
            "sandbox {} ready in {:.1}s; its registry serves:",
            sandbox.container, sandbox.seconds_to_ready
        );
        for s in &stand_ins {
            eprintln!("  {:<30} {} ({})", s.pulled_as, s.image, s.about);
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
