//! `cargo xtask run [NOTEBOOK]`: executes a notebook inside the running container, headlessly, as
//! pressing Run All in JupyterLab would, and turns what went wrong into one line a person can act on.

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine;
use crate::jupyter::url::strip_ansi;
use crate::tasks::up::DEFAULT_NAME;

#[derive(clap::Args, Debug)]
pub struct Run {
    /// The notebook, relative to /work in the container.
    #[arg(default_value = "computation.ipynb")]
    pub notebook: String,
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
        engine::require_engine(sh)?;
        match engine::container_state(sh, &self.name) {
            Some(state) if state.running => {}
            Some(state) => bail!("{} is {}: start it with `cargo xtask up --name {}`", self.name, state.status, self.name),
            None => bail!("no container named {}: start one with `cargo xtask up`", self.name),
        }
        let step = crate::progress::Step::start(format!("Executing {} in {}", self.notebook, self.name));
        let timeout = format!("--ExecutePreprocessor.timeout={}", self.timeout);
        let out = duct::cmd!(
            "docker", "exec", "-w", crate::tasks::up::WORKDIR, &self.name,
            "jupyter", "nbconvert", "--to", "notebook", "--execute", &self.notebook, "--output-dir", "/tmp/executed", timeout
        )
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
        let log = strip_ansi(&String::from_utf8_lossy(&out.stdout));
        if out.status.success() {
            step.done("done");
            println!("executed {} (its outputs are in /work/outputs, on the named volume)", self.notebook);
            return Ok(());
        }
        eprintln!("{}", crate::engine::tail(&log, 15));
        // A killed container can still read as running for a moment after `docker exec` gave up:
        // unless the log names a notebook error, give the engine up to two seconds to say so.
        let notebook_error = ["CellExecutionError", "NotJSONError", "matched no files"].iter().any(|m| log.contains(m));
        let polls = if notebook_error { 1 } else { 20 };
        let still_running = (0..polls).all(|i| {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            engine::container_state(sh, &self.name).is_some_and(|s| s.running)
        });
        bail!("{}", diagnose(&self.notebook, &log, still_running))
    }
}

/// One line saying what went wrong, from nbconvert's output.
pub fn diagnose(notebook: &str, log: &str, container_running: bool) -> String {
    if !container_running {
        return format!("the container stopped while {notebook} ran: the outputs written before are kept on the volume; start it again with `cargo xtask up`");
    }
    let missing = log.contains(&format!("pattern '{notebook}' matched no files"))
        || (log.contains("No such file or directory") && log.contains(notebook) && !log.contains("CellExecutionError"));
    if missing {
        return format!("{notebook} was not found in /work: check the name, or the folder given to `up --notebooks`");
    }
    if log.contains("NotJSONError") || log.contains("does not appear to be JSON") || log.contains("Notebook does not appear") {
        return format!("{notebook} is not a valid notebook (not JSON): restore it from version control or re-save it in JupyterLab");
    }
    if log.contains("CellExecutionError") || log.contains("An error occurred while executing") {
        let raised = log
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| is_exception_line(l))
            .unwrap_or("an exception (see above)");
        let hint = if raised.contains("No space left on device") {
            ": the outputs volume is full; free space on it (earlier outputs are intact)"
        } else if raised.contains("Permission denied") {
            ": the notebook user cannot write there; mount the outputs volume where the notebook writes, owned by jovyan"
        } else {
            ": fix the cell and run again"
        };
        return format!("a cell of {notebook} raised {raised}{hint}");
    }
    format!("executing {notebook} failed: {}", engine::last_message(log))
}

/// `PermissionError: [Errno 13] ...`, `ValueError: boom`, `OSError: [Errno 28] No space left on device`.
fn is_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else { return false };
    let name = name.rsplit('.').next().unwrap_or(name);
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && (name.ends_with("Error") || name.ends_with("Exception") || name == "KeyboardInterrupt")
        && name != "CellExecutionError"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_errors_name_the_exception() {
        let log = "Traceback (most recent call last):\nnbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:\n------------------\nraise ValueError('boom')\n------------------\n\nValueError                                Traceback (most recent call last)\nCell In[1], line 1\n----> 1 raise ValueError('boom')\n\nValueError: boom\n";
        assert_eq!(diagnose("n.ipynb", log, true), "a cell of n.ipynb raised ValueError: boom: fix the cell and run again");
    }

    #[test]
    fn full_disk_and_permissions_get_their_fix() {
        let full = "CellExecutionError\nOSError: [Errno 28] No space left on device\n";
        assert!(diagnose("c.ipynb", full, true).contains("outputs volume is full"));
        let denied = "CellExecutionError\nPermissionError: [Errno 13] Permission denied: 'outputs/x.csv'\n";
        assert!(diagnose("c.ipynb", denied, true).contains("raised PermissionError: [Errno 13] Permission denied: 'outputs/x.csv'"));
    }

    #[test]
    fn broken_json_missing_files_and_stopped_containers() {
        let bad = "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'not json'\n";
        assert!(diagnose("c.ipynb", bad, true).contains("not a valid notebook"));
        let missing = "[NbConvertApp] WARNING | pattern 'x.ipynb' matched no files\n[NbConvertApp] Making directory /tmp/executed\n";
        assert!(diagnose("x.ipynb", missing, true).contains("was not found"));
        assert!(diagnose("c.ipynb", "", false).contains("container stopped"));
    }
}
