//! `cargo xtask push --registry REG [--tag T]`: the project's image pushed to a registry (what
//! repo2docker's `--push` does), with the login Docker keeps in its credential store (`docker
//! login REG` first); a password is never taken on the command line.

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, registry, Docker};
use crate::jupyter::DEFAULT_IMAGE;
use crate::progress::{self, say};

#[derive(clap::Args, Debug)]
pub struct Push {
    /// The registry (host[:port], or docker.io/USER): the image goes to REG/NAME:TAG.
    #[arg(long, value_name = "REG")]
    pub registry: String,
    /// The tag there (default: the image's own).
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// The image to push (`cargo xtask build` makes the project's).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
}

impl Push {
    pub fn run(self, sh: &Shell) -> Result<()> {
        engine::check_image_ref(&self.image)?;
        let reference = registry::reference(&self.registry, &self.image, self.tag.as_deref())?;
        let docker = Docker::new(sh);
        docker.require_engine()?;
        if !docker.image_exists(&self.image) {
            bail!("image {} does not exist here: build it first (`cargo xtask build`, or `cargo xtask up` builds it)", self.image);
        }
        let step = progress::Step::start(format!("Pushing {} as {reference}", self.image));
        registry::push(&docker, &self.image, &reference)?;
        step.done("pushed");
        say(reference);
        Ok(())
    }
}
