//! The replay executor: each step of an article, in order, in the sandbox, exactly as written.
//!
//! - Local machine terminal: a bash inside the sandbox container, in the folder the last command
//!   left it in (`cd` carries over), talking to the sandbox's own engine.
//! - JupyterLab UI terminal: `docker exec -it JUPYTER bash -c CMD`, JUPYTER the newest running
//!   container whose image or name says jupyter/notebook. Not `bash -l`: a login shell's
//!   /etc/profile resets PATH and loses the image's Python, which JupyterLab's terminal keeps.
//! - Conda shell (a container shell an earlier `docker run -it ... bash` opened): commands go in
//!   with `docker exec -it` into that container (their output and exit code stay apart, which
//!   typing into the shell would not give); `exit` is typed into the shell itself.
//! - Every command runs under a pseudo-terminal, so `-it` works as on a desktop. A command that
//!   keeps the terminal (a server, an attached `compose up`, a shell) is left running once it
//!   printed a URL and went quiet, went quiet, or after a bounded wait, but never while its output
//!   shows an image build or pull under way (a reader waits for those); a later Ctrl+C types the
//!   key into its terminal, and what still runs at the end is stopped.
//! - Notebook cells run in one Python process per notebook in the Jupyter container (see `kernel`).
//! - A remote host's console (see `elsewhere`): a shell on that host, talking to its engine. From
//!   then on, until a local machine terminal step, the Jupyter container, its cells and the
//!   claims' `docker` are that engine's: the reader works on the remote host.
//! - `docker login` to Docker Hub's stand-in gets the run account's username and password typed
//!   at its prompts.

use std::time::Duration;

use anyhow::Result;

use super::elsewhere::RemoteHost;
use super::job::{Job, Place as Sandbox};
use super::kernel::Kernel;
use super::report::StepResult;
use super::standin;
use super::steps::{Place, Step, StepKind};
use super::transcript;
use crate::engine::Docker;

mod cell;
mod command;
mod prompts;
mod shells;

use shells::interrupt;

/// Longest wait for a command that should end by itself (a build may pull and compile).
const COMMAND_LIMIT: Duration = Duration::from_secs(900);
/// Longest wait before the replay moves on from a command that keeps running.
const LONG_LIMIT: Duration = Duration::from_secs(90);
/// Silence after which a running command counts as waiting (a server that printed no URL).
const QUIET: Duration = Duration::from_secs(15);
/// Longest wait for a command to end after Ctrl+C, `y` or `exit`.
const STOP_LIMIT: Duration = Duration::from_secs(15);

struct Running {
    step: usize,
    job: Job,
    /// It opened an interactive shell (`exit` ends it).
    shell: bool,
    /// Containers that appeared while it started (the shell's container).
    containers: Vec<String>,
    notes: Vec<String>,
}

pub struct Executor<'a> {
    sandbox: Sandbox,
    pub(super) inner: &'a Docker,
    /// Placeholders asked of the sandbox when their step comes: (name, command).
    pub asked: Vec<(String, String)>,
    pub(super) steps: &'a [Step],
    cwd: String,
    uses_data: bool,
    data_dir: Option<String>,
    next_id: usize,
    running: Vec<Running>,
    kernel: Option<Kernel>,
    pub results: Vec<Option<StepResult>>,
    /// What each step's output block is compared with: its output when the replay moved on.
    pub compared: Vec<Option<String>>,
    pub transcript: Vec<transcript::Entry>,
    /// Notes about the whole replay (stand-ins used).
    pub notes: Vec<String>,
    /// The remote host, when the article has one; its shell's folder; whether the reader is on it.
    pub remote: Option<&'a RemoteHost>,
    remote_cwd: String,
    on_remote: bool,
    /// Per step: whether it ran with the remote host as the reader's engine.
    on_remote_at: Vec<bool>,
    /// The stand-in Docker Hub's account (username, password), typed at `docker login`'s prompts.
    pub hub_login: Option<(String, String)>,
}

impl<'a> Executor<'a> {
    pub fn new(
        sandbox: Sandbox,
        inner: &'a Docker,
        steps: &'a [Step],
        uses_data: bool,
    ) -> Executor<'a> {
        Executor {
            asked: Vec::new(),
            sandbox,
            inner,
            steps,
            cwd: "/root".into(),
            uses_data,
            data_dir: None,
            next_id: 0,
            running: Vec::new(),
            kernel: None,
            results: vec![None; steps.len()],
            compared: vec![None; steps.len()],
            transcript: Vec::new(),
            notes: Vec::new(),
            remote: None,
            remote_cwd: "/root".into(),
            on_remote: false,
            on_remote_at: vec![false; steps.len()],
            hub_login: None,
        }
    }

    /// Where shells run and which engine answers: the remote host's when `remote` (and there is
    /// one), else the sandbox's.
    fn machine(&self, remote: bool) -> (&Sandbox, &Docker) {
        match self.remote {
            Some(host) if remote => (&host.place, &host.inner),
            _ => (&self.sandbox, self.inner),
        }
    }

    /// The engine the reader works with now: the remote host's once its console was used.
    fn engine(&self) -> &Docker {
        self.machine(self.on_remote).1
    }

    /// The engine the reader worked with at step `k` (what a claim about it asks).
    pub fn engine_at(&self, k: usize) -> &Docker {
        self.machine(self.on_remote_at[k]).1
    }

    /// The remote host's address, when the article has one.
    pub fn remote_address(&self) -> Option<&str> {
        self.remote.map(|r| r.address.as_str())
    }

    pub fn step(&mut self, k: usize) -> Result<()> {
        let step = &self.steps[k];
        if let StepKind::Command { place, .. } = &step.kind {
            match place {
                Place::Remote => self.on_remote = self.remote.is_some(),
                Place::Host | Place::Other(_) => self.on_remote = false,
                _ => {}
            }
        }
        self.on_remote_at[k] = self.on_remote;
        match &step.kind {
            StepKind::Command { place, text } => self.command(k, place, text),
            StepKind::File { name, content, .. } => self.file(k, name, content),
            StepKind::Cell { notebook, code } => self.cell(k, notebook, code),
            StepKind::Signal { to_line, .. } => self.signal(k, *to_line),
            StepKind::CannotRun { why, .. } => {
                eprintln!("# line {}: cannot run: {why}", step.line);
                Ok(())
            }
            StepKind::Output { .. } => Ok(()),
        }
    }

    /// What step `k` printed so far: all of it once it ended, else what its terminal shows now.
    pub fn output_now(&self, k: usize) -> String {
        match self.running.iter().find(|r| r.step == k) {
            Some(running) => running.job.output(),
            None => self.results[k]
                .as_ref()
                .map(|r| r.output.clone())
                .or_else(|| self.compared[k].clone())
                .unwrap_or_default(),
        }
    }

    /// The folder the article's terminal is in (its project folder, once it `cd`s there).
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    pub fn place(&self) -> &Sandbox {
        &self.sandbox
    }

    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn record(&mut self, k: usize, exit: Option<i32>, output: String, notes: &[String]) {
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        self.results[k] = Some(StepResult {
            step: k,
            exit,
            output,
            note,
            ..Default::default()
        });
    }

    /// Step `k` could not be taken at all (the sandbox refused it): not run, why at its line.
    pub fn could_not_run(&mut self, k: usize, why: &str) {
        let why = super::text::redact(why, &self.sandbox.secrets);
        let _ = self.not_run(k, &why);
    }

    /// Step `k` was never reached (the replay stopped before it): not run, why in its result,
    /// said once by the replay's error rather than at each line.
    pub fn not_reached(&mut self, k: usize, why: &str) {
        let why = super::text::redact(why, &self.sandbox.secrets);
        self.record(k, None, String::new(), &[why]);
    }

    fn not_run(&mut self, k: usize, why: &str) -> Result<()> {
        eprintln!("# line {}: not run: {why}", self.steps[k].line);
        self.record(k, None, String::new(), &[why.to_string()]);
        Ok(())
    }

    /// Records what a command that kept running printed in all, and how it ended.
    fn close(&mut self, running: Running, note: Option<String>) {
        let mut notes = running.notes;
        notes.extend(note);
        let output = running.job.output();
        self.finish_command(running.step, running.job.exit(), output, &notes);
    }

    fn file(&mut self, k: usize, name: &str, content: &str) -> Result<()> {
        let line = self.steps[k].line;
        let (content, used) = standin::substitute(content);
        let mut notes: Vec<String> = used
            .iter()
            .map(|s| format!("stand-in: the ArcGIS download URL replaced by {s}"))
            .collect();
        if self.uses_data && self.data_dir.is_none() {
            self.copy_data()?;
        }
        let path = match super::file_target::resolve(name) {
            Ok(target) if target.starts_with('/') => target,
            Ok(target) => format!("{}/{target}", self.cwd),
            Err(why) => return self.not_run(k, &why),
        };
        eprintln!(
            "$ # file {name} written to {path} ({} lines)",
            content.lines().count()
        );
        let out = self.sandbox.write(&path, content.as_bytes())?;
        if !out.ok() {
            notes.push(format!("could not be written: {}", out.stdout.trim()));
        }
        self.transcript
            .push(transcript::Entry::file(line, &path, out.code));
        self.record(k, Some(out.code), out.stdout, &notes);
        Ok(())
    }

    /// The stand-in for the articles' downloads: the project's samples, in the project folder.
    fn copy_data(&mut self) -> Result<()> {
        let dir = format!("{}/data", self.cwd);
        for (name, bytes) in standin::samples()? {
            let out = self.sandbox.write(&format!("{dir}/{name}"), &bytes)?;
            anyhow::ensure!(
                out.ok(),
                "copying the data stand-in into the sandbox failed: {}",
                out.stdout.trim()
            );
        }
        let note = format!("stand-in: the project's synthetic samples (notebooks/data/*.csv) copied to {dir} in the sandbox, for the ArcGIS Hub downloads, which cannot be reached here");
        eprintln!("# {note}");
        self.notes.push(note);
        self.data_dir = Some(dir);
        Ok(())
    }

    /// Stops what still runs (newest first: a server inside a shell before the shell).
    pub fn finish(&mut self) {
        if let Some(kernel) = self.kernel.take() {
            kernel.stop();
        }
        while let Some(mut running) = self.running.pop() {
            let line = self.steps[running.step].line;
            let how = if running.job.exit().is_some() {
                "it had ended by itself".to_string()
            } else {
                eprintln!("# line {line}: still running at the end of the replay: stopping it");
                let typed = if running.shell {
                    running
                        .job
                        .type_keys(b"exit\r")
                        .map(|_| running.job.wait(STOP_LIMIT).is_some())
                } else {
                    interrupt(&mut running.job).map(|(ended, _, _)| ended)
                };
                if typed.unwrap_or(false) {
                    format!(
                        "still running at the end of the replay: stopped with {}",
                        if running.shell { "exit" } else { "Ctrl+C" }
                    )
                } else {
                    running.job.kill();
                    "still running at the end of the replay: killed".to_string()
                }
            };
            self.close(running, Some(how));
        }
    }
}
