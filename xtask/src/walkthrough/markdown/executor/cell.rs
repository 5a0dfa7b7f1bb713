//! A notebook cell step, in the Jupyter container's kernel: the container found, its served folder
//! given the download stand-ins it lacks, and what it started given time to finish starting first.

use std::time::Duration;

use anyhow::Result;

use crate::walkthrough::markdown::kernel::Kernel;
use crate::walkthrough::markdown::standin;
use crate::walkthrough::markdown::steps::expected_output;

use super::super::transcript;
use super::Executor;
use crate::engine::names::short_id;

impl<'a> Executor<'a> {
    /// The newest running container whose image or name says Jupyter.
    pub(super) fn jupyter_container(&self) -> Option<String> {
        let listing = self
            .engine()
            .probe(["ps", "--format", "{{.Names}}\t{{.Image}}"])?;
        listing
            .lines()
            .find(|l| l.to_lowercase().contains("jupyter") || l.to_lowercase().contains("notebook"))
            .map(|l| l.split('\t').next().unwrap_or(l).to_string())
    }

    /// A reader opens the browser and the notebook before a cell runs, and reads what a command
    /// printed before typing the next: by then what they started has finished starting. So the
    /// containers started in the last minute get until they are done starting (at most 60 s in
    /// all): past `starting` when the image has a healthcheck, else their logs quiet for 2 s. A note
    /// says how long it took.
    pub(super) fn settle(&self, when: &str) -> Option<String> {
        const QUIET: &str = "2s";
        let started = std::time::Instant::now();
        let recent: Vec<String> = self
            .engine()
            .probe(["ps", "--format", "{{.Names}}\t{{.RunningFor}}"])?
            .lines()
            .filter(|l| l.ends_with(" second ago") || l.ends_with(" seconds ago"))
            .filter_map(|l| l.split('\t').next().map(String::from))
            .collect();
        if recent.is_empty() {
            return None;
        }
        let done = |c: &str| {
            let health = self
                .engine()
                .probe([
                    "inspect",
                    "--format",
                    "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                    c,
                ])
                .unwrap_or_default();
            match health.trim() {
                "" => self
                    .engine()
                    .status(["logs", "--since", QUIET, c])
                    .is_ok_and(|o| o.stdout.is_empty() && o.stderr.is_empty()),
                status => status != "starting",
            }
        };
        crate::engine::wait::poll(Duration::from_secs(60), Duration::from_millis(500), || {
            recent.iter().all(|c| done(c))
        });
        Some(format!("{when}: {:.1}s for {} to finish starting (health past `starting`, or else the log quiet for 2 s)", started.elapsed().as_secs_f64(), recent.join(", ")))
    }

    /// Where a cell in `container` finds the download stand-in `sample` (`data/NAME.csv`): None
    /// when `folder`, the one its server serves, has it; else a copy put in /tmp/standin-data there.
    pub(super) fn sample_in_container(
        &self,
        container: &str,
        folder: &str,
        sample: &str,
    ) -> Result<Option<String>> {
        let present = self
            .engine()
            .status([
                "exec",
                container,
                "test",
                "-f",
                &format!("{folder}/{sample}"),
            ])
            .is_ok_and(|o| o.ok());
        if present {
            return Ok(None);
        }
        let name = sample.rsplit('/').next().unwrap_or(sample);
        let Some((_, bytes)) = standin::samples()?.into_iter().find(|(n, _)| n == name) else {
            return Ok(None);
        };
        let placed = format!("/tmp/standin-data/{name}");
        let copy = self
            .engine()
            .exec_input(
                container,
                &[
                    "sh",
                    "-c",
                    "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1\"",
                    "sh",
                    placed.as_str(),
                ],
            )
            .stdin_bytes(bytes)
            .stdout_null()
            .stderr_capture()
            .unchecked()
            .run()?;
        anyhow::ensure!(
            copy.status.success(),
            "copying the data stand-in into {container} failed: {}",
            String::from_utf8_lossy(&copy.stderr).trim()
        );
        Ok(Some(placed))
    }

    /// The folder the Jupyter server in `container` serves from (its process's working directory).
    pub(super) fn serving_folder(&self, container: &str) -> Option<String> {
        let script = "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'jupyter-l[a]b\\|jupyter-n[o]tebook\\|jupyter-s[e]rver' && readlink $p/cwd && break; done; true";
        let found = self
            .engine()
            .probe(["exec", container, "sh", "-c", script])?;
        found
            .lines()
            .next()
            .map(str::trim)
            .filter(|f| f.starts_with('/'))
            .map(String::from)
    }

    pub(super) fn cell(&mut self, k: usize, notebook: &str, code: &str) -> Result<()> {
        let line = self.steps[k].line;
        let (mut code, used) = standin::substitute(code);
        let mut notes: Vec<String> = used
            .iter()
            .map(|s| format!("stand-in: the ArcGIS download URL replaced by {s}"))
            .collect();
        let Some(container) = self.jupyter_container() else {
            return self.not_run(
                k,
                "no Jupyter container is running in the sandbox to run the cell in",
            );
        };
        let folder = self.serving_folder(&container);
        for sample in &used {
            if let Some(placed) =
                self.sample_in_container(&container, folder.as_deref().unwrap_or("/"), sample)?
            {
                notes.push(format!("stand-in: {sample} is not in the container's folder (the download's stand-in was never copied there), so it was put at {placed} in the container, outside the folder, and the cell reads it from there"));
                code = code.replace(sample, &placed);
            }
        }
        if let Some(waited) =
            self.settle("before the cell, as a reader opens the browser and the notebook first")
        {
            notes.push(waited);
        }
        let fresh = self
            .kernel
            .as_ref()
            .is_none_or(|kn| kn.container != container || kn.notebook != notebook || kn.ended());
        if fresh {
            if let Some(old) = self.kernel.take() {
                old.stop();
            }
            let id = self.id();
            self.kernel = Some(Kernel::start(
                self.machine(self.on_remote).0,
                id,
                line,
                &container,
                notebook,
                folder.as_deref(),
            )?);
            notes.push(format!(
                "a new kernel for {notebook} in container {}",
                short_id(&container)
            ));
        }
        eprintln!(
            "(cell of {notebook} in {}) >>> {}",
            short_id(&container),
            code.lines().collect::<Vec<_>>().join("\n... ")
        );
        let Some(kernel) = self.kernel.as_mut() else {
            return Ok(());
        };
        let run = kernel.run(&code)?;
        let status = run.status.or_else(|| {
            notes.push("the cell did not finish in time".into());
            Some(124)
        });
        // Articles quote an error by its last line; the whole traceback stays in the output.
        let one_line = expected_output(self.steps, k).is_some_and(|o| {
            o.text().trim().lines().count() == 1 && !o.text().contains("Traceback")
        });
        self.compared[k] = Some(match (&run.exception, one_line) {
            (Some(exception), true) => exception.clone(),
            _ => run.output.clone(),
        });
        let entry = transcript::Entry::cell(line, &code, notebook, status, &run.output);
        self.transcript.push(entry);
        self.record(k, status, run.output, &notes);
        Ok(())
    }
}
