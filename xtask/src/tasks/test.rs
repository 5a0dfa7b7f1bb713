//! `cargo xtask test`: the README's test command. Sets up what the tests need (engine check, base
//! and series images), sweeps what crashed earlier runs left, runs `cargo test --workspace` with one
//! run id labelled on everything the tests make, then fails if anything with that label remains.

use std::io::{BufRead, BufReader};

use anyhow::{bail, Context, Result};
use xshell::Shell;

use crate::engine::resources::{leftovers, list, remove_run, KINDS};
use crate::engine::{Docker, Mount, RunSpec, RUN_ID_ENV, RUN_LABEL_KEY};
use crate::engine::resources::{Guard, Resource};
use crate::images::{base, series as build};
use crate::progress;

#[derive(clap::Args, Debug)]
pub struct Test {
    /// Passed on to `cargo test` (e.g. a test name filter).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub cargo_args: Vec<String>,
}

impl Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let run_id = std::env::var(RUN_ID_ENV).ok().filter(|r| !r.is_empty()).unwrap_or_else(new_run_id);
        let docker = Docker::new(sh).with_run(Some(run_id.clone()));
        docker.require_engine()?;
        sweep_crashed_runs(&docker, &run_id)?;

        let base = base::ensure(sh, base::Source::Auto, false, false)?;
        for image in build::IMAGES {
            build::ensure_image(sh, image, &base, false)?;
        }

        // A person's own things, unlabelled, present for the whole suite: they must come out unchanged.
        let sentinels = Sentinels::create(&docker, &base)?;

        progress::note(&format!("running the tests with run id {run_id}"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut args = vec!["test".to_string(), "--workspace".into()];
        args.extend(self.cargo_args);
        let reader = duct::cmd(cargo, args).env(RUN_ID_ENV, &run_id).stderr_to_stdout().unchecked().reader()?;
        let (mut passed, mut failed) = (0u64, 0u64);
        for line in BufReader::new(&reader).lines() {
            let line = line?;
            println!("{line}");
            if let Some((p, f)) = parse_result_line(&line) {
                passed += p;
                failed += f;
            }
        }
        let ok = reader.try_wait()?.is_some_and(|o| o.status.success());

        let touched = sentinels.check(&docker);
        drop(sentinels);
        let left = leftovers(&docker, &run_id).context("checking for resources the tests left behind")?;
        for item in &left {
            eprintln!("leaked: {item}");
        }
        remove_run(&docker, &run_id);
        println!("cargo xtask test: {passed} passed, {failed} failed");
        if !ok {
            bail!("the tests failed: see the output above");
        }
        if !left.is_empty() {
            bail!("{} resource(s) with the run's label were left behind by the tests (listed above; now removed)", left.len());
        }
        if let Some(what) = touched {
            bail!("the suite touched a person's own resources: {what}");
        }
        Ok(())
    }
}

/// An unlabelled container (from the project's image, so it inherits the image's `managed` label
/// but not the `owner` one), volume and network standing for a person's own things.
struct Sentinels {
    name: String,
    started: String,
    /// Removed by exact name when dropped, also on Ctrl-C: the suite's own fixtures.
    _guards: Vec<Guard>,
}

impl Sentinels {
    fn create(docker: &Docker, image: &str) -> Result<Sentinels> {
        let person = docker.unlabelled();
        let name = format!("jdx-person-sentinel-{}", std::process::id());
        // A Vec drops first to last: the container goes before its volume and network.
        let mut guards = vec![Guard::new(&person, Resource::Container(name.clone()))];
        person.create_volume(&name, &[])?;
        guards.push(Guard::new(&person, Resource::Volume(name.clone())));
        person.create_network(&name)?;
        guards.push(Guard::new(&person, Resource::Network(name.clone())));
        let spec = RunSpec::detached(image, &name)
            .network(&name)
            .mount(Mount::volume(&name, "/sentinel"))
            .user("0")
            .entrypoint("sh")
            .command(&["-c", "echo mine > /sentinel/marker && exec sleep 86400"]);
        person.run(&spec)?;
        let started = person.output(["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", name.as_str()])?;
        Ok(Sentinels { name, started, _guards: guards })
    }

    /// What changed, if anything.
    fn check(&self, docker: &Docker) -> Option<String> {
        let name = self.name.as_str();
        let now = docker.probe(["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", name]);
        if now.as_deref() != Some(self.started.as_str()) {
            return Some(format!("container {name} was removed or restarted"));
        }
        if docker.probe(["exec", name, "cat", "/sentinel/marker"]).as_deref() != Some("mine") {
            return Some(format!("volume {name} lost its data"));
        }
        if !docker.exists("network", name) {
            return Some(format!("network {name} was removed"));
        }
        None
    }
}

/// `suite-<pid>-<seconds>`: the pid tells a later run whether this one is still alive.
fn new_run_id() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("suite-{}-{secs}", std::process::id())
}

/// `test result: ok. 28 passed; 0 failed; ...` -> (28, 0).
pub fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<u64> {
        let i = rest.find(word)?;
        rest[..i].trim_end().rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    Some((number_before(" passed")?, number_before(" failed")?))
}

/// Removes what earlier test runs left when they crashed or were killed: resources carrying a run
/// label whose run's process is gone. Never touches anything without the project's labels.
fn sweep_crashed_runs(docker: &Docker, current: &str) -> Result<()> {
    // On `ls`, `.Labels` is one joined string: `.Label "KEY"` is the accessor that works there.
    let format = format!("{{{{.Label \"{RUN_LABEL_KEY}\"}}}}");
    let mut runs = Vec::new();
    for (kind, _) in KINDS {
        runs.extend(list(docker, kind, &format!("label={RUN_LABEL_KEY}"), &format).context("looking for crashed test runs")?);
    }
    runs.sort();
    runs.dedup();
    for run in runs {
        if run == current || run_is_alive(&run) {
            continue;
        }
        progress::note(&format!("removing what the crashed test run {run} left behind"));
        remove_run(docker, &run);
    }
    Ok(())
}

fn run_is_alive(run: &str) -> bool {
    let pid = run.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) => std::path::Path::new(&format!("/proc/{pid}")).exists(),
        None => true, // not ours to judge: leave it
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines() {
        assert_eq!(parse_result_line("test result: ok. 28 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s"), Some((28, 0)));
        assert_eq!(parse_result_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"), Some((3, 2)));
        assert_eq!(parse_result_line("running 3 tests"), None);
    }

    #[test]
    fn run_ids_name_their_process() {
        let id = new_run_id();
        assert!(run_is_alive(&id), "{id}");
        assert!(!run_is_alive("suite-4294967-1"));
        assert!(run_is_alive("someone-elses"));
    }
}
