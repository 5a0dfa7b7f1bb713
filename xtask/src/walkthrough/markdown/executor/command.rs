//! A command step: its text as the shell takes it, where it is typed, and how the replay waits for
//! it or leaves it running.

use anyhow::Result;

use super::super::transcript;
use super::prompts::wait_answering;
use super::{Executor, Running, COMMAND_LIMIT, LONG_LIMIT, QUIET};
use crate::engine::exec_line;
use crate::engine::names::short_id;
use crate::sandbox::{log_mark, mirror_unreachable, pull_trouble};
use crate::walkthrough::markdown::commands;
use crate::walkthrough::markdown::commands::logs_in_to_hub;
use crate::walkthrough::markdown::job::{self, Job, Settled};
use crate::walkthrough::markdown::steps::Place;

impl<'a> Executor<'a> {
    pub(super) fn command(&mut self, k: usize, place: &Place, text: &str) -> Result<()> {
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
                    short_id(c)
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
            Some(c) => format!("({} {}) ", place.name(), short_id(c)),
            None if on_remote => format!("({}) ", place.name()),
            None => String::new(),
        };
        eprintln!(
            "{shown_place}$ {}",
            super::super::text::redact(text, &self.sandbox.secrets)
        );
        let entry = transcript::Entry::command(line, place.name(), text, &shell_text);
        self.transcript.push(entry);
        let long = commands::is_long_running(text) || commands::opens_shell(text);
        let before = if long {
            self.container_ids()
        } else {
            Vec::new()
        };
        let id = self.id();
        let since = log_mark();
        let job = Job::start(&job_place, id, line, &job_cwd, &shell_text, true, None)?;
        let relaunch = Relaunch {
            place: job_place,
            line,
            cwd: job_cwd,
            shell_text,
            since,
        };
        if !long {
            let terminal = container.is_none();
            self.run_to_end(k, (job, relaunch), &answers, terminal, on_remote, notes);
            return Ok(());
        }
        self.keep_running(k, (job, relaunch), text, before, notes);
        Ok(())
    }

    /// The command's job started once more when it failed because the sandbox's registry mirror
    /// failed a pull it made (the stand-in's fault, not the guide's: the engine then falls back
    /// to Docker Hub, which no sandbox reaches); a note says so. None: it failed on its own.
    fn again(&mut self, relaunch: &Relaunch, notes: &mut Vec<String>) -> Option<Job> {
        let (place, since) = (&relaunch.place, relaunch.since);
        let trouble =
            pull_trouble(&place.host, &place.container, since).filter(|t| mirror_unreachable(t))?;
        let said = format!("a pull through the sandbox's registry mirror failed ({trouble}): the command ran once more");
        eprintln!("# line {}: {said}", relaunch.line);
        notes.push(said);
        let id = self.id();
        let (line, cwd) = (relaunch.line, &relaunch.cwd);
        Job::start(place, id, line, cwd, &relaunch.shell_text, true, None).ok()
    }

    /// A command that ends by itself: waited for (prompts answered), stopped past the limit; the
    /// terminal's folder carries over (not a container's).
    pub(super) fn run_to_end(
        &mut self,
        k: usize,
        (mut job, relaunch): (Job, Relaunch),
        answers: &[(&str, String)],
        in_terminal: bool,
        on_remote: bool,
        mut notes: Vec<String>,
    ) {
        let mut code = wait_to_end(&mut job, answers, &mut notes);
        if code != 0 {
            if let Some(again) = self.again(&relaunch, &mut notes) {
                job = again;
                code = wait_to_end(&mut job, answers, &mut notes);
            }
        }
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
    pub(super) fn command_text(
        &self,
        text: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, String> {
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
    pub(super) fn target(&self, place: &Place, text: &str, notes: &mut Vec<String>) -> Target {
        match place {
            Place::Host => Target::Here(None),
            Place::Other(title) => {
                notes.push(format!("run in the local machine terminal: the block's title {title:?} names no other place"));
                Target::Here(None)
            }
            Place::Remote if self.remote.is_none() => {
                Target::NotRun(super::super::elsewhere::REMOTE_WHY)
            }
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
    pub(super) fn hub_answers(
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
    pub(super) fn keep_running(
        &mut self,
        k: usize,
        (mut job, relaunch): (Job, Relaunch),
        text: &str,
        before: Vec<String>,
        mut notes: Vec<String>,
    ) {
        let line = self.steps[k].line;
        let mut settled = job.settle(LONG_LIMIT, QUIET, COMMAND_LIMIT);
        if matches!(settled, Settled::Ended(code) if code != 0) {
            if let Some(again) = self.again(&relaunch, &mut notes) {
                job = again;
                settled = job.settle(LONG_LIMIT, QUIET, COMMAND_LIMIT);
            }
        }
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
    pub(super) fn fill_asked(&self, text: &str) -> Result<(String, Vec<String>), String> {
        let mut text = text.to_string();
        let mut notes = Vec::new();
        for (name, ask) in &self.asked {
            if !super::super::placeholders::find(&text, super::super::placeholders::Context::Shell)
                .contains(name)
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
            text = super::super::placeholders::replace_word(&text, name, value);
        }
        Ok((text, notes))
    }

    /// Records a command's result and its exit and output in the transcript.
    pub(super) fn finish_command(
        &mut self,
        k: usize,
        exit: Option<i32>,
        output: String,
        notes: &[String],
    ) {
        let line = self.steps[k].line;
        if let Some(entry) = self
            .transcript
            .iter_mut()
            .rev()
            .find(|e| e.line == line && matches!(e.ran, transcript::Ran::Command { .. }))
        {
            entry.exit = exit;
            entry.output = output.clone();
        }
        if let Some(code) = exit.filter(|c| *c != 0) {
            eprintln!("# line {line}: exit {code}");
        }
        self.record(k, exit, output, notes);
    }
}

/// A command's job as [`Executor::again`] starts it once more.
pub(super) struct Relaunch {
    place: job::Place,
    line: usize,
    cwd: String,
    shell_text: String,
    /// When the first try started (the engine's log is read from here).
    since: u64,
}

/// A job waited for to its end, its prompts answered; stopped past [`COMMAND_LIMIT`].
fn wait_to_end(job: &mut Job, answers: &[(&str, String)], notes: &mut Vec<String>) -> i32 {
    match wait_answering(job, answers, notes) {
        Some(code) => code,
        None => {
            notes.push(format!(
                "still running after {}s: stopped",
                COMMAND_LIMIT.as_secs()
            ));
            job.kill();
            job.exit().unwrap_or(-1)
        }
    }
}

/// Where a command goes: typed into a container (or the terminal itself), not run, or the `exit`
/// of an open container shell.
pub(super) enum Target {
    Here(Option<String>),
    NotRun(&'static str),
    Exit,
}
