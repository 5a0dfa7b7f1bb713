//! `cargo xtask run [NOTEBOOK]`: executes a notebook inside the running container, headlessly, as
//! pressing Run All in JupyterLab would, and turns what went wrong into one line a person can act on.

use std::time::Duration;

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, Docker};
use crate::jupyter::notebook::{diagnose, names_a_notebook_error};
use crate::jupyter::url::strip_ansi;
use crate::jupyter::{DEFAULT_NAME, WORKDIR};
use crate::progress::{self, say};

#[derive(clap::Args, Debug)]
pub struct Run {
    /// The notebook, relative to /work in the container.
    #[arg(default_value = "computation.ipynb")]
    pub notebook: String,
    /// The running container to execute it in.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Seconds a cell may run.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

impl Run {
    pub fn run(self, sh: &Shell) -> Result<()> {
        engine::check_name("name", &self.name)?;
        if self.notebook.starts_with('/') || self.notebook.split('/').any(|p| p == "..") || !self.notebook.ends_with(".ipynb") {
            bail!("notebook {:?} must be an .ipynb path inside /work (e.g. computation.ipynb)", self.notebook);
        }
        let docker = Docker::new(sh);
        docker.require_engine()?;
        match docker.container_state(&self.name) {
            Some(state) if state.running => {}
            Some(state) => bail!("{} is {}: start it with `cargo xtask up --name {}`", self.name, state.status, self.name),
            None => bail!("no container named {}: start one with `cargo xtask up`", self.name),
        }
        let step = progress::Step::start(format!("Executing {} in {}", self.notebook, self.name));
        let timeout = format!("--ExecutePreprocessor.timeout={}", self.timeout);
        let nbconvert = ["jupyter", "nbconvert", "--to", "notebook", "--execute", &self.notebook, "--output-dir", "/tmp/executed", &timeout];
        // Both streams in the order nbconvert wrote them: the traceback's last lines name the error.
        let out = docker.exec_stream(&self.name, Some(WORKDIR), &nbconvert).stderr_to_stdout().stdout_capture().unchecked().run()?;
        let log = strip_ansi(&String::from_utf8_lossy(&out.stdout));
        if out.status.success() {
            step.done("done");
            say(format_args!("executed {} (its outputs are in /work/outputs, on the named volume)", self.notebook));
            return Ok(());
        }
        eprintln!("{}", engine::tail(&log, 15));
        // A killed container can still read as running for a moment after `docker exec` gave up:
        // unless the log names a notebook error, give the engine up to two seconds to say so.
        let polls = if names_a_notebook_error(&log) { 1 } else { 20 };
        let still_running = (0..polls).all(|i| {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            docker.container_state(&self.name).is_some_and(|s| s.running)
        });
        bail!("{}", diagnose(&self.notebook, &log, still_running))
    }
}
