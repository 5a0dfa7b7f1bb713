//! Commands left running: the containers they started, the interactive shell one opened (typed
//! `exit` into), and Ctrl+C typed into one.

use std::time::Duration;

use anyhow::Result;

use super::{Executor, STOP_LIMIT};
use crate::walkthrough::markdown::job::Job;

impl<'a> Executor<'a> {
    pub(super) fn container_ids(&self) -> Vec<String> {
        self.engine()
            .probe(["ps", "-aq", "--no-trunc"])
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// The container of the newest interactive shell still open.
    pub(super) fn open_shell(&self) -> Option<String> {
        self.running
            .iter()
            .rev()
            .find(|r| r.shell && r.job.exit().is_none())
            .and_then(|r| r.containers.first().cloned())
    }

    pub(super) fn exit_shell(&mut self, k: usize) -> Result<()> {
        let Some(pos) = self
            .running
            .iter()
            .rposition(|r| r.shell && r.job.exit().is_none())
        else {
            return self.not_run(k, "no container shell is open to exit");
        };
        eprintln!(
            "$ exit   (typed into the shell of line {})",
            self.steps[self.running[pos].step].line
        );
        let mut running = self.running.remove(pos);
        let from = running.job.mark();
        running.job.type_keys(b"exit\r")?;
        let ended = running.job.wait(STOP_LIMIT).is_some();
        let said = running.job.output_since(from);
        if ended {
            self.record(
                k,
                Some(0),
                said,
                &["typed into the shell; the shell ended".to_string()],
            );
            self.close(running, None);
        } else {
            self.record(
                k,
                Some(1),
                said,
                &[format!(
                    "the shell was still open {}s after `exit`",
                    STOP_LIMIT.as_secs()
                )],
            );
            self.running.insert(pos, running);
        }
        Ok(())
    }

    pub(super) fn signal(&mut self, k: usize, to_line: usize) -> Result<()> {
        let Some(pos) = self
            .running
            .iter()
            .position(|r| self.steps[r.step].line == to_line)
        else {
            let earlier = self
                .steps
                .iter()
                .position(|s| s.line == to_line)
                .and_then(|i| self.results[i].as_ref());
            let why = match earlier.and_then(|r| r.exit) {
                Some(code) => {
                    format!("the command at line {to_line} had already ended (exit {code})")
                }
                None => format!("the command at line {to_line} is not running (it did not start)"),
            };
            return self.not_run(k, &why);
        };
        eprintln!("$ ^C   (Ctrl+C typed into the command of line {to_line})");
        let mut running = self.running.remove(pos);
        let (ended, said, notes) = interrupt(&mut running.job)?;
        if ended {
            self.record(k, Some(0), said, &notes);
            self.close(running, None);
        } else {
            let mut notes = notes;
            notes.push(format!(
                "the command at line {to_line} was still running {}s after Ctrl+C",
                STOP_LIMIT.as_secs()
            ));
            self.record(k, Some(1), said, &notes);
            self.running.insert(pos, running);
        }
        Ok(())
    }
}

/// Types Ctrl+C; answers `y` when a Jupyter server asks to confirm (the articles say "then Y
/// and Enter"). Whether it ended, what it printed meanwhile, and notes.
pub(super) fn interrupt(job: &mut Job) -> Result<(bool, String, Vec<String>)> {
    let from = job.mark();
    let mut notes = vec!["Ctrl+C typed into its terminal".to_string()];
    job.type_keys(b"\x03")?;
    let asked = |job: &Job| job.recent_since(from).contains("(y/[n])");
    crate::engine::wait::poll(STOP_LIMIT, Duration::from_millis(100), || {
        job.exit().is_some() || asked(job)
    });
    if job.exit().is_none() && asked(job) {
        job.type_keys(b"y\r")?;
        notes.push("answered y to the server's shutdown question".into());
        job.wait(STOP_LIMIT);
    }
    Ok((job.exit().is_some(), job.output_since(from), notes))
}
