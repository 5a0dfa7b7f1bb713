//! `cargo xtask run [NOTEBOOK]`: executes a notebook inside the running container, headlessly, as
//! pressing Run All in JupyterLab would (stopping at the first cell that raises), and turns what
//! went wrong into one line a person can act on: the cell and its exception, read from the
//! executed notebook.

use std::time::Duration;

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, Docker};
use crate::jupyter::notebook::{
    diagnose, executed_path, first_error, names_a_notebook_error, Found, EXECUTE, KIND,
};
use crate::jupyter::url::strip_ansi;
use crate::jupyter::{DEFAULT_NAME, WORKDIR};
use crate::progress::{self, say};

#[derive(clap::Args, Debug)]
pub struct Run {
    /// The notebook file, relative to /work in the container (a name starting with '-' is refused:
    /// pass it as ./NAME).
    #[arg(default_value = "computation.ipynb")]
    pub notebook: String,
    /// The running container to execute it in (only one the project made).
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Seconds a cell may run.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    #[command(flatten)]
    pub target: crate::engine::remote::HostArgs,
}

/// The notebook argument, checked before any docker call.
fn check_notebook(notebook: &str) -> Result<()> {
    if notebook.starts_with('-') {
        bail!("notebook {notebook:?} starts with '-', so it would be read as an option: if it is a file, pass it as ./{notebook}");
    }
    if notebook.starts_with('/')
        || notebook.split('/').any(|p| p == "..")
        || !notebook.ends_with(".ipynb")
    {
        bail!("notebook {notebook:?} must be an .ipynb path inside /work (e.g. computation.ipynb)");
    }
    Ok(())
}

impl Run {
    pub fn run(self, sh: &Shell) -> Result<()> {
        check_notebook(&self.notebook)?;
        engine::check_name("name", &self.name)?;
        let docker = self.target.target(sh)?.docker;
        docker.require_engine()?;
        let name = self.name.as_str();
        require_running(&docker, name)?;
        self.require_notebook(&docker, name)?;
        self.execute(&docker, name)
    }

    /// Refuses a notebook the container does not have as a file it can execute.
    fn require_notebook(&self, docker: &Docker, name: &str) -> Result<()> {
        let found = docker
            .exec_stream(
                name,
                Some(WORKDIR),
                &["sh", "-c", KIND, "sh", &self.notebook],
            )
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        if !found.status.success() {
            bail!(
                "cannot look for {} in {name}: {}",
                self.notebook,
                engine::last_message(&String::from_utf8_lossy(&found.stderr))
            );
        }
        if let Some(refusal) =
            Found::parse(&String::from_utf8_lossy(&found.stdout)).refusal(&self.notebook)
        {
            bail!("{refusal}");
        }
        Ok(())
    }

    /// Executes the notebook in place of the person's Run All; on failure, says why: the cell that
    /// raised, else the log's last lines and what happened to the container.
    fn execute(&self, docker: &Docker, name: &str) -> Result<()> {
        let shown = engine::one_line(&self.notebook);
        let step = progress::Step::start(format!("Executing {shown} in {name}"));
        let executed = executed_path(&self.notebook);
        let timeout = self.timeout.to_string();
        let command = ["python", "-c", EXECUTE, &self.notebook, &executed, &timeout];
        // Both streams in the order they were written: for failures before execution, the log's
        // last lines say what happened.
        let out = docker
            .exec_stream(name, Some(WORKDIR), &command)
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()?;
        if out.status.success() {
            step.done("done");
            say(format_args!("executed {shown} (its outputs are in /work/outputs, on the named volume; the executed copy is {} in the container)", engine::one_line(&executed)));
            return Ok(());
        }
        // The executed notebook holds every output up to the cell that raised.
        let raised = docker
            .exec(name, &["cat", executed.as_str()])
            .ok()
            .filter(|o| o.ok())
            .and_then(|o| first_error(&o.stdout));
        if let Some(error) = raised {
            eprintln!("{}", engine::tail(&error.traceback_text(), 15));
            bail!("{}", error.message(&self.notebook));
        }
        let log = strip_ansi(&String::from_utf8_lossy(&out.stdout));
        eprintln!("{}", engine::tail(&log, 15));
        // A killed container can still read as running for a moment after `docker exec` gave up:
        // unless the log names a notebook error, give the engine up to two seconds to say so.
        let polls = if names_a_notebook_error(&log) { 1 } else { 20 };
        let still_running = (0..polls).all(|i| {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            docker.container_state(name).is_some_and(|s| s.running)
        });
        bail!("{}", diagnose(&self.notebook, &log, still_running))
    }
}

/// Refuses a container that is not the project's, or not running.
fn require_running(docker: &Docker, name: &str) -> Result<()> {
    let not_ours = format!("execute notebooks in it yourself (`docker exec {name} jupyter nbconvert --to notebook --execute ...`)");
    match docker.owned_container_state(name, &not_ours)? {
        Some(state) if state.paused => {
            bail!("{name} is paused: unpause it with `docker unpause {name}`, then run again")
        }
        Some(state) if state.running => {}
        Some(state) => bail!(
            "{name} is {}: start it with `cargo xtask up --name {name}`",
            state.status
        ),
        None => bail!("no container named {name}: start one with `cargo xtask up`"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_read_as_options_or_leave_work_are_refused() {
        for option_like in ["--output-dir=/tmp/x.ipynb", "-h", "--help-all.ipynb"] {
            let error = check_notebook(option_like).unwrap_err().to_string();
            assert!(
                error.contains("starts with '-'") && error.contains(&format!("./{option_like}")),
                "{error}"
            );
        }
        for outside in ["/etc/x.ipynb", "../x.ipynb", "a/../../x.ipynb", "notes.txt"] {
            assert!(
                check_notebook(outside)
                    .unwrap_err()
                    .to_string()
                    .contains("inside /work"),
                "{outside}"
            );
        }
        for fine in ["computation.ipynb", "./-h.ipynb", "sub/x.ipynb"] {
            assert!(check_notebook(fine).is_ok(), "{fine}");
        }
    }
}
