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
//!   printed a URL and went quiet, went quiet, or after a bounded wait; a later Ctrl+C types the
//!   key into its terminal, and what still runs at the end is stopped.
//! - Notebook cells run in one Python process per notebook in the Jupyter container (see `kernel`).
//! - A remote host's console (see `elsewhere`): a shell on that host, talking to its engine. From
//!   then on, until a local machine terminal step, the Jupyter container, its cells and the
//!   claims' `docker` are that engine's: the reader works on the remote host.
//! - `docker login` to Docker Hub's stand-in gets the run account's username and password typed
//!   at its prompts.

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::commands;
use super::commands::logs_in_to_hub;
use super::elsewhere::RemoteHost;
use super::job::{Job, Place as Sandbox, Settled};
use super::kernel::Kernel;
use super::report::StepResult;
use super::standin;
use super::steps::{expected_output, Place, Step, StepKind};
use crate::engine::{exec_line, Docker};

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

/// Where a command goes: typed into a container (or the terminal itself), not run, or the `exit`
/// of an open container shell.
enum Target {
    Here(Option<String>),
    NotRun(&'static str),
    Exit,
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
    pub transcript: Vec<Value>,
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

    fn not_run(&mut self, k: usize, why: &str) -> Result<()> {
        eprintln!("# line {}: not run: {why}", self.steps[k].line);
        self.record(k, None, String::new(), &[why.to_string()]);
        Ok(())
    }

    fn command(&mut self, k: usize, place: &Place, text: &str) -> Result<()> {
        let line = self.steps[k].line;
        let mut notes = Vec::new();
        let text = match self.command_text(text, &mut notes) {
            Ok(text) => text,
            Err(why) => return self.not_run(k, &why),
        };
        let text = text.as_str();
        let container = match self.target(place, text, &mut notes) {
            Target::Here(container) => container,
            Target::NotRun(why) => return self.not_run(k, why),
            Target::Exit => return self.exit_shell(k),
        };
        // A reader reads what the last command printed and types the next: a log asked for right
        // after a detached start is read once the container has finished starting (as before a cell).
        if container.is_none() && text.trim_start().starts_with("docker logs ") {
            if let Some(waited) = self
                .settle("before `docker logs`, as a reader reads the last output and types first")
            {
                notes.push(waited);
            }
        }
        let shell_text = match &container {
            Some(c) => {
                notes.push(format!(
                    "typed into container {} with docker exec -it",
                    short(c)
                ));
                exec_line(c, true, &["bash", "-c", text])
            }
            None => text.to_string(),
        };
        let answers = match self.hub_answers(text, &mut notes) {
            Ok(answers) => answers,
            Err(why) => return self.not_run(k, why),
        };
        let on_remote = *place == Place::Remote;
        let job_place = self.machine(on_remote).0.clone();
        let job_cwd = if on_remote {
            self.remote_cwd.clone()
        } else {
            self.cwd.clone()
        };
        let shown_place = match &container {
            Some(c) => format!("({} {}) ", place.name(), short(c)),
            None if on_remote => format!("({}) ", place.name()),
            None => String::new(),
        };
        eprintln!(
            "{shown_place}$ {}",
            super::text::redact(text, &self.sandbox.secrets)
        );
        self.transcript.push(
            json!({"line": line, "place": place.name(), "command": text, "ran_as": shell_text}),
        );
        let long = commands::is_long_running(text) || commands::opens_shell(text);
        let before = if long {
            self.container_ids()
        } else {
            Vec::new()
        };
        let id = self.id();
        let job = Job::start(&job_place, id, line, &job_cwd, &shell_text, true, None)?;
        if !long {
            self.run_to_end(k, job, &answers, container.is_none(), on_remote, notes);
            return Ok(());
        }
        self.keep_running(k, job, text, before, notes);
        Ok(())
    }

    /// A command that ends by itself: waited for (prompts answered), stopped past the limit; the
    /// terminal's folder carries over (not a container's).
    fn run_to_end(
        &mut self,
        k: usize,
        mut job: Job,
        answers: &[(&str, String)],
        in_terminal: bool,
        on_remote: bool,
        mut notes: Vec<String>,
    ) {
        let code = match wait_answering(&mut job, answers, &mut notes) {
            Some(code) => code,
            None => {
                notes.push(format!(
                    "still running after {}s: stopped",
                    COMMAND_LIMIT.as_secs()
                ));
                job.kill();
                job.exit().unwrap_or(-1)
            }
        };
        if in_terminal {
            if let Some(dir) = job.final_cwd() {
                if on_remote {
                    self.remote_cwd = dir;
                } else {
                    self.cwd = dir;
                }
            }
        }
        let output = job.output();
        self.compared[k] = Some(output.clone());
        self.finish_command(k, Some(code), output, &notes);
    }

    /// The command as the sandbox's shell takes it: without `sudo `, its asked placeholders
    /// filled (a note says so); why not, when an asked placeholder has no one-line answer.
    fn command_text(&self, text: &str, notes: &mut Vec<String>) -> Result<String, String> {
        let text = match text.strip_prefix("sudo ") {
            Some(rest) => {
                notes.push("`sudo ` left out: the sandbox's shell reaches its engine without it (and has no root to give)".to_string());
                rest.trim_start()
            }
            None => text,
        };
        let (filled, said) = self.fill_asked(text)?;
        notes.extend(said);
        Ok(filled)
    }

    /// The container a command at `place` is typed into (None: the terminal itself), or why it
    /// does not run, or that it is the `exit` of a container shell.
    fn target(&self, place: &Place, text: &str, notes: &mut Vec<String>) -> Target {
        match place {
            Place::Host => Target::Here(None),
            Place::Other(title) => {
                notes.push(format!("run in the local machine terminal: the block's title {title:?} names no other place"));
                Target::Here(None)
            }
            Place::Remote if self.remote.is_none() => Target::NotRun(super::elsewhere::REMOTE_WHY),
            Place::Remote => Target::Here(None),
            Place::Jupyter => match self.jupyter_container() {
                Some(c) => Target::Here(Some(c)),
                None => Target::NotRun(
                    "no Jupyter container is running in the sandbox to open a terminal in",
                ),
            },
            Place::StartedContainer if text.trim() == "exit" => Target::Exit,
            Place::StartedContainer => match self.open_shell() {
                Some(c) => Target::Here(Some(c)),
                None => Target::NotRun(
                    "no container shell is open: the command that should have opened one did not",
                ),
            },
        }
    }

    /// What is typed at a Docker Hub login's prompts: the stand-in's account (a note says so);
    /// why not, when no stand-in runs.
    fn hub_answers(
        &self,
        text: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<(&'static str, String)>, &'static str> {
        if !logs_in_to_hub(text) {
            return Ok(Vec::new());
        }
        let Some((user, password)) = self.hub_login.clone() else {
            return Err(
                "docker login reaches Docker Hub, and no stand-in for it runs in this replay",
            );
        };
        notes.push("the stand-in Docker Hub's account for this run: its username and password typed at the prompts".into());
        Ok(vec![("Username:", user), ("Password:", password)])
    }

    /// A command that keeps its terminal: recorded when it ended by itself while starting, else
    /// left running (with the containers that appeared since `before`) and the replay moves on.
    fn keep_running(
        &mut self,
        k: usize,
        job: Job,
        text: &str,
        before: Vec<String>,
        mut notes: Vec<String>,
    ) {
        let line = self.steps[k].line;
        let settled = job.settle(LONG_LIMIT, QUIET);
        self.compared[k] = Some(job.output());
        if let Settled::Ended(code) = settled {
            self.finish_command(k, Some(code), job.output(), &notes);
            return;
        }
        job.to_background();
        notes.push(format!(
            "a command that keeps running: the replay moved on when it {}",
            settled.describe(LONG_LIMIT)
        ));
        eprintln!(
            "# line {line}: keeps running ({}); the replay moves on",
            settled.describe(LONG_LIMIT)
        );
        let containers = self
            .container_ids()
            .into_iter()
            .filter(|c| !before.contains(c))
            .collect();
        self.running.push(Running {
            step: k,
            job,
            shell: commands::opens_shell(text),
            containers,
            notes,
        });
    }

    /// `text` with its asked placeholders filled by what the sandbox answers now (one line each),
    /// and a note per value; why not, when an answer is not exactly one line.
    fn fill_asked(&self, text: &str) -> Result<(String, Vec<String>), String> {
        let mut text = text.to_string();
        let mut notes = Vec::new();
        for (name, ask) in &self.asked {
            if !super::placeholders::find(&text, super::placeholders::Context::Shell).contains(name)
            {
                continue;
            }
            let script = format!(
                "cd {} && {ask}",
                crate::engine::cmdline::shell_quote(&self.cwd)
            );
            let answer = self
                .sandbox
                .quiet(&script, &[])
                .map(|o| o.stdout)
                .unwrap_or_default();
            let lines: Vec<&str> = answer
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let [value] = lines[..] else {
                return Err(format!("{name} is asked of the sandbox when its step comes (`{ask}`), and it answered {} lines, not one", lines.len()));
            };
            notes.push(format!("{name}: `{ask}` in the sandbox answered {value}"));
            text = super::placeholders::replace_word(&text, name, value);
        }
        Ok((text, notes))
    }

    /// Records a command's result and its exit and output in the transcript.
    fn finish_command(&mut self, k: usize, exit: Option<i32>, output: String, notes: &[String]) {
        let line = self.steps[k].line;
        let mut notes = notes.to_vec();
        if exit.is_some_and(|c| c != 0)
            && output.contains("registry-1.docker.io")
            && (output.contains("no such host") || output.contains("dial tcp"))
        {
            notes.push("a stand-in missing: the sandbox's registry serves only the stand-ins listed at the start, and no registry on the internet can be reached from here".into());
        }
        let notes = &notes[..];
        if let Some(entry) = self
            .transcript
            .iter_mut()
            .rev()
            .find(|e| e["line"] == line && e.get("command").is_some())
        {
            entry["exit"] = json!(exit);
            entry["output"] = json!(output);
        }
        if let Some(code) = exit.filter(|c| *c != 0) {
            eprintln!("# line {line}: exit {code}");
        }
        self.record(k, exit, output, notes);
    }

    fn container_ids(&self) -> Vec<String> {
        self.engine()
            .probe(["ps", "-aq", "--no-trunc"])
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// The newest running container whose image or name says Jupyter.
    fn jupyter_container(&self) -> Option<String> {
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
    fn settle(&self, when: &str) -> Option<String> {
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
    fn sample_in_container(
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
    fn serving_folder(&self, container: &str) -> Option<String> {
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

    /// The container of the newest interactive shell still open.
    fn open_shell(&self) -> Option<String> {
        self.running
            .iter()
            .rev()
            .find(|r| r.shell && r.job.exit().is_none())
            .and_then(|r| r.containers.first().cloned())
    }

    fn exit_shell(&mut self, k: usize) -> Result<()> {
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

    fn signal(&mut self, k: usize, to_line: usize) -> Result<()> {
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
            .push(json!({"line": line, "place": "host", "file": path, "exit": out.code}));
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

    fn cell(&mut self, k: usize, notebook: &str, code: &str) -> Result<()> {
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
                short(&container)
            ));
        }
        eprintln!(
            "(cell of {notebook} in {}) >>> {}",
            short(&container),
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
        self.transcript.push(json!({"line": line, "place": "jupyter", "cell": code, "notebook": notebook, "exit": status, "output": run.output}));
        self.record(k, status, run.output, &notes);
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

/// Waits for a command to end; a yes/no question it asks (`docker system prune`'s `[y/N]`) gets
/// the `y` the article's reader types, once, and a note says so.
fn wait_answering(
    job: &mut Job,
    answers: &[(&str, String)],
    notes: &mut Vec<String>,
) -> Option<i32> {
    let started = std::time::Instant::now();
    let mut answered = false;
    let mut typed = vec![false; answers.len()];
    let mut looked = std::time::Instant::now();
    loop {
        if let Some(code) = job.wait(Duration::from_millis(300)) {
            return Some(code);
        }
        if looked.elapsed() >= Duration::from_secs(2) {
            looked = std::time::Instant::now();
            if job.stalled() {
                // The replay stops at this step (it says why); nothing will end it here.
                notes.push("its sandbox was paused or stopped".into());
                return Some(-1);
            }
        }
        if started.elapsed() >= COMMAND_LIMIT {
            return None;
        }
        // Only its last lines: re-rendering all it printed every 300 ms would cost more as it grows.
        let output = job.last_lines();
        if let Some(i) = pending_prompt(&output, answers, &typed) {
            typed[i] = job
                .type_keys(format!("{}\r", answers[i].1).as_bytes())
                .is_ok();
            continue;
        }
        if let (false, Some(question)) = (answered, yes_no_question(&output)) {
            let question = question.to_string();
            if job.type_keys(b"y\r").is_ok() {
                notes.push(format!(
                    "answered y to its question {question:?}, as the article's reader does"
                ));
            }
            answered = true;
        }
    }
}

/// The prompt (of `answers`, not yet answered) a command's output ends with, waiting for input.
fn pending_prompt(output: &str, answers: &[(&str, String)], typed: &[bool]) -> Option<usize> {
    let last = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    (0..answers.len()).find(|&i| !typed[i] && last.ends_with(answers[i].0))
}

/// The yes/no question a command's output ends with, waiting for an answer.
fn yes_no_question(output: &str) -> Option<&str> {
    output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| {
            ["[y/N]", "[Y/n]", "[y/n]", "(y/n)"]
                .iter()
                .any(|q| l.ends_with(q))
        })
}

/// Types Ctrl+C; answers `y` when a Jupyter server asks to confirm (the articles say "then Y
/// and Enter"). Whether it ended, what it printed meanwhile, and notes.
fn interrupt(job: &mut Job) -> Result<(bool, String, Vec<String>)> {
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

/// A container id shortened as docker shows it; names stay.
fn short(container: &str) -> &str {
    if container.len() == 64 && container.chars().all(|c| c.is_ascii_hexdigit()) {
        &container[..12]
    } else {
        container
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_prompt_gets_its_answer_once() {
        let answers = [
            ("Username:", "me".to_string()),
            ("Password:", "pw".to_string()),
        ];
        let login =
            "Login with your Docker ID to push and pull images from Docker Hub.\nUsername: ";
        assert_eq!(pending_prompt(login, &answers, &[false, false]), Some(0));
        assert_eq!(
            pending_prompt(&format!("{login}me\nPassword: "), &answers, &[true, false]),
            Some(1)
        );
        assert_eq!(
            pending_prompt(&format!("{login}me\nPassword: "), &answers, &[true, true]),
            None,
            "typed once only"
        );
        assert_eq!(
            pending_prompt(
                &format!("{login}me\nPassword: \nLogin Succeeded\n"),
                &answers,
                &[true, false]
            ),
            None
        );
    }

    #[test]
    fn a_question_is_answered_only_while_it_waits() {
        let prune = "WARNING! This will remove:\n  - all stopped containers\nAre you sure you want to continue? [y/N] ";
        assert_eq!(
            yes_no_question(prune),
            Some("Are you sure you want to continue? [y/N]")
        );
        assert_eq!(
            yes_no_question(&format!("{prune}y\nDeleted Containers:\nabc\n")),
            None,
            "answered: the output went on"
        );
        assert_eq!(yes_no_question("Step 1/4 : FROM x\n"), None);
    }
}
