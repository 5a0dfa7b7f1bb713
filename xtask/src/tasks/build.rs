//! `cargo xtask build [IMAGE...]`: the tagged images the series builds, from docker/series/.

use anyhow::Result;
use xshell::Shell;

use crate::engine::Docker;
use crate::images::base::{self, Source};
use crate::images::series;
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Build {
    /// Images to build, by tag or by the part after `custom-jupyter-image:` (default: all).
    pub images: Vec<String>,
    /// Where the base image comes from.
    #[arg(long, value_enum, default_value = "auto")]
    pub source: Source,
    /// Show the builds' output (it is shown anyway when a build fails).
    #[arg(long)]
    pub verbose: bool,
}

impl Build {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let wanted = series::select(&self.images)?;
        Docker::new(sh).require_engine()?;
        let base = base::ensure(sh, self.source, false, self.verbose)?;
        for image in wanted {
            series::ensure_image(sh, image, &base, self.verbose)?;
            say(image.tag);
        }
        Ok(())
    }
}
