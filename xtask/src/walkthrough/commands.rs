//! The commands a section runs as steps: a command line as the article writes it, `docker run`
//! and `docker build` from typed specs. Each is shown as it runs, its output as it comes, and
//! recorded (redacted) for the report.

use std::io::{BufRead, BufReader};

use anyhow::{bail, Result};

use super::session::Session;
use crate::engine::cmdline::{shown, split};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{last_message, BuildSpec, RunSpec};

/// What one command did.
pub struct Ran {
    pub exit: i32,
    pub output: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.exit == 0
    }
}

impl Session {
    /// Runs one command line as an article writes it (`docker volume ls --filter dangling=false`,
    /// `docker-compose up -d`), printing it and its output as they come. The line is split like a
    /// shell would (quotes, no expansion): article steps stay text, never hand-built vectors.
    pub fn cmd(&mut self, line: &str) -> Result<Ran> {
        let words = split(line)?;
        let Some((program, args)) = words.split_first() else {
            bail!("an empty command line")
        };
        if program == "docker" {
            return self.docker_args(args);
        }
        self.command(program, args)
    }

    /// Like [`Session::cmd`], but a failure ends the section.
    pub fn cmd_ok(&mut self, line: &str) -> Result<String> {
        let ran = self.cmd(line)?;
        if !ran.ok() {
            bail!(
                "`{line}` failed (exit {}): {}",
                ran.exit,
                last_message(&ran.output)
            );
        }
        Ok(ran.output.trim().to_string())
    }

    /// `docker run SPEC`, shown and recorded like any step. A named container is removed at the
    /// end of the section unless `--keep`, and only if this run created it (its creator label).
    pub fn run(&mut self, spec: &RunSpec) -> Result<Ran> {
        let args = spec.args(&self.docker.resource_labels())?;
        let Some(name) = &spec.name else {
            return self.docker_args(&args);
        };
        // Armed before the run, so an interrupt while it is in flight still removes what it makes.
        let mut guard = Guard::before_create(&self.docker, Resource::Container(name.clone()));
        let ran = self.docker_args(&args);
        guard.created();
        self.guard(guard);
        ran
    }

    /// Like [`Session::run`], but a failure ends the section.
    pub fn run_ok(&mut self, spec: &RunSpec) -> Result<String> {
        let ran = self.run(spec)?;
        if !ran.ok() {
            bail!(
                "`docker run ... {}` failed (exit {}): {}",
                spec.image,
                ran.exit,
                last_message(&ran.output)
            );
        }
        Ok(ran.output.trim().to_string())
    }

    /// `docker build SPEC` with the project's image labels, shown and recorded (its output is the
    /// builder's); the tag is removed at the end unless `--keep` (shared layers stay).
    pub fn build(&mut self, spec: &BuildSpec) -> Result<Ran> {
        self.made_image(&spec.tag);
        let args = spec.args(&self.docker.build_labels(&spec.tag));
        self.docker_args(&args)
    }

    /// A step the walkthrough did through the handle (so its outcome is exact), shown and recorded
    /// as a person would type it.
    pub fn record(&mut self, command: &str, output: &str, exit: i32) {
        self.say(&format!("$ {command}"));
        if !output.is_empty() {
            self.say(output.trim_end());
        }
        self.entry(command, output, exit);
    }

    /// `docker ARGS` on the section's engine, through its handle (which knows what the engine
    /// needs in the environment: a remote's `ssh`).
    fn docker_args(&mut self, args: &[String]) -> Result<Ran> {
        let argv: Vec<String> = self
            .docker
            .argv(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let expression = self.docker.stream(args);
        self.expression(&shown("docker", &argv), expression)
    }

    /// Runs `PROGRAM ARGS` (e.g. docker-compose), printing the command and its output as they come.
    pub fn command(&mut self, program: &str, args: &[String]) -> Result<Ran> {
        self.expression(&shown(program, args), duct::cmd(program, args))
    }

    /// Runs `KEY=VALUE... PROGRAM ARGS`, as a shell would with those variables set for it (e.g.
    /// Compose pointed at another engine with DOCKER_HOST: its builds run the docker CLI, which
    /// reads the engine from the environment, not from Compose's own `-H`).
    pub fn command_with_env(
        &mut self,
        env: &[(&str, &str)],
        program: &str,
        args: &[String],
    ) -> Result<Ran> {
        let set: String = env
            .iter()
            .map(|(k, v)| format!("{k}={} ", crate::engine::cmdline::shell_quote(v)))
            .collect();
        let expression = env
            .iter()
            .fold(duct::cmd(program, args), |e, (k, v)| e.env(k, v));
        self.expression(&format!("{set}{}", shown(program, args)), expression)
    }

    fn expression(&mut self, shown: &str, expression: duct::Expression) -> Result<Ran> {
        let shown = shown.to_string();
        self.say(&format!("$ {shown}"));
        let reader = expression.stderr_to_stdout().unchecked().reader()?;
        let mut output = String::new();
        for line in BufReader::new(&reader).lines() {
            let line = line.unwrap_or_default();
            self.say(&line);
            // Recorded without colour codes, so claims and reports match plain text.
            output.push_str(&crate::jupyter::url::strip_ansi(&line));
            output.push('\n');
        }
        let exit = match reader.try_wait()? {
            Some(out) => out.status.code().unwrap_or(-1),
            None => -1,
        };
        self.entry(&shown, &output, exit);
        Ok(Ran { exit, output })
    }
}
