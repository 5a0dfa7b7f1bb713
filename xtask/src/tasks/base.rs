//! `cargo xtask base`: make sure the Jupyter base image exists and print its reference.

use anyhow::Result;
use xshell::Shell;

use crate::engine::Docker;
use crate::images::base::{self, Source};
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Base {
    /// Where the base image comes from.
    #[arg(long, value_enum, default_value = "auto")]
    pub source: Source,
    /// Build the local image again even when its recipe is unchanged.
    #[arg(long)]
    pub rebuild: bool,
    /// Show the build's output (it is shown anyway when the build fails).
    #[arg(long)]
    pub verbose: bool,
}

impl Base {
    pub fn run(self, sh: &Shell) -> Result<()> {
        Docker::new(sh).require_engine()?;
        let image = base::ensure(sh, self.source, self.rebuild, self.verbose)?;
        say(image);
        Ok(())
    }
}
