//! `cargo xtask test`: the README's test command. Sets up what the tests need (engine check, base
//! and series images), sweeps what crashed earlier runs left, runs every test binary of the
//! workspace (`cargo test --workspace --no-fail-fast`) with one run id labelled on everything the
//! tests make, prints a table (binary, passed, failed, seconds), then fails if any binary failed,
//! if a person's own resources were touched, or if anything carrying the run's label (or a private
//! run id under it) remains.

use std::io::{BufRead, BufReader};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::Shell;

use crate::engine::resources::{list, remove_run, Guard, Resource, KINDS};
use crate::engine::{last_message, Docker, Mount, RunSpec, RUN_ID_ENV, RUN_LABEL_KEY};
use crate::images::{base, series as build};
use crate::{prereqs, progress, sandbox};

mod tally;

pub use tally::{binary_started, parse_result_line, Binary, Tally};

#[derive(clap::Args, Debug)]
pub struct Test {
    /// Install what the tests need on the host (mmdebstrap, pip, Chromium, Compose) without asking.
    #[arg(long)]
    pub yes: bool,
    /// Passed on to `cargo test` (e.g. `--test foundation`, or a test name filter).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub cargo_args: Vec<String>,
}

impl Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let run_id = std::env::var(RUN_ID_ENV)
            .ok()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(new_run_id);
        // The images built below are shared by every run: they must not carry this run's label (the
        // leak check and a later sweep would take them for leftovers). The tests get the id explicitly.
        std::env::remove_var(RUN_ID_ENV);
        let docker = Docker::new(sh).with_run(Some(run_id.clone()));
        docker.require_engine()?;
        sweep_crashed_runs(&docker, &run_id)?;
        prereqs::assume_yes(self.yes);
        prereqs::ensure(&needs(sh))?;

        let base = base::ensure(sh, base::Source::Auto, false, false)?;
        for image in build::IMAGES {
            build::ensure_image(sh, image, &base, false)?;
        }

        // A person's own things, unlabelled, present for the whole suite: they must come out unchanged.
        let sentinels = Sentinels::create(&docker, &base)?;
        // The sandbox tests start the machine's registry when it is not running; the suite leaves the
        // engine as it found it (the registry's volume, holding the seeded stand-ins, stays).
        let registry_was_running = docker
            .container_state(sandbox::registry::CONTAINER)
            .is_some_and(|s| s.running);

        progress::note(&format!("running the tests with run id {run_id}"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // --no-fail-fast: every test binary runs, and every failure is reported, not just the first.
        let mut args = vec![
            "test".to_string(),
            "--workspace".into(),
            "--no-fail-fast".into(),
        ];
        args.extend(self.cargo_args);
        let reader = duct::cmd(cargo, args)
            .env(RUN_ID_ENV, &run_id)
            .stderr_to_stdout()
            .unchecked()
            .reader()?;
        let mut tally = Tally::default();
        for line in BufReader::new(&reader).lines() {
            let line = line?;
            println!("{line}");
            tally.feed(&line, Instant::now());
        }
        tally.close(Instant::now());
        let cargo_ok = reader.try_wait()?.is_some_and(|o| o.status.success());
        println!("\n{}", tally.table());

        // Every check runs and every problem is reported, whichever fails first.
        let touched = sentinels.check(&docker);
        drop(sentinels);
        // Not while a sandbox uses it: a person's replay (or another run) may have started it since.
        if !registry_was_running
            && docker.is_owned(sandbox::registry::CONTAINER)
            && !sandbox::registry::in_use(&docker)
        {
            let _ = docker.probe(["rm", "-f", sandbox::registry::CONTAINER]);
        }
        let leaked = leftovers_under(&docker, &run_id);
        for item in leaked.iter().flatten() {
            eprintln!("leaked: {item}");
        }
        let removed = remove_runs_under(&docker, &run_id);
        let problems = verdict(&tally, cargo_ok, touched, leaked, removed);
        let (passed, failed) = tally.totals();
        println!("cargo xtask test: {passed} passed, {failed} failed");
        if !problems.is_empty() {
            bail!("{} (see the output above)", problems.join("; "));
        }
        Ok(())
    }
}

/// Why the suite failed, one phrase per check (empty: it passed): the binaries' results, cargo's
/// own exit status (a build error or a crash prints no result line), the sentinels, the leak
/// check and the removal of what leaked. A check that could not look is a failure, never a pass.
fn verdict(
    tally: &Tally,
    cargo_ok: bool,
    touched: Option<String>,
    leaked: Result<Vec<String>>,
    removed: Result<()>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let failures = tally.failures();
    if !failures.is_empty() {
        let s = if failures.len() == 1 { "y" } else { "ies" };
        problems.push(format!(
            "{} test binar{s} failed: {}",
            failures.len(),
            failures.join("; ")
        ));
    } else if !cargo_ok {
        problems.push("`cargo test` failed before or after running the tests".to_string());
    }
    if let Some(what) = touched {
        problems.push(format!(
            "the suite touched a person's own resources: {what}"
        ));
    }
    match leaked {
        Ok(left) if !left.is_empty() => {
            problems.push(format!("{} resource(s) with the run's label were left behind by the tests (listed above; now removed)", left.len()))
        }
        Ok(_) => {}
        Err(e) => problems.push(format!("the leak check could not look: {e:#}")),
    }
    if let Err(e) = removed {
        problems.push(format!("removing what the tests left behind failed: {e:#}"));
    }
    problems
}

/// What the suite needs beyond Rust and Docker: Chromium for the browser test, Compose for the
/// compose walkthrough (unless the plugin is there), and what the offline base image is built with
/// when it has still to be built.
fn needs(sh: &Shell) -> Vec<prereqs::Need> {
    let mut needs = vec![prereqs::CHROMIUM];
    if !prereqs::compose_present() {
        needs.push(prereqs::COMPOSE);
    }
    let docker = Docker::new(sh);
    let base_present = docker.image_exists(base::OFFICIAL)
        || base::local_tag().is_ok_and(|tag| docker.image_exists(&tag));
    if !base_present {
        needs.extend([prereqs::MMDEBSTRAP, prereqs::PIP]);
    }
    needs
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
        let started = person.output([
            "inspect",
            "-f",
            "{{.Id}} {{.State.StartedAt}}",
            name.as_str(),
        ])?;
        Ok(Sentinels {
            name,
            started,
            _guards: guards,
        })
    }

    /// What changed, if anything.
    fn check(&self, docker: &Docker) -> Option<String> {
        let name = self.name.as_str();
        let now = docker.probe(["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", name]);
        if now.as_deref() != Some(self.started.as_str()) {
            return Some(format!("container {name} was removed or restarted"));
        }
        if docker
            .probe(["exec", name, "cat", "/sentinel/marker"])
            .as_deref()
            != Some("mine")
        {
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
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("suite-{}-{secs}", std::process::id())
}

/// A resource that carries a run label.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub kind: &'static str,
    pub name: String,
    pub run: String,
}

/// Everything on the engine with a run label (any run). Any failure to look is an error: a leak
/// check or a sweep must never pass because it could not see.
pub fn labelled(docker: &Docker) -> Result<Vec<Labelled>> {
    let filter = format!("label={RUN_LABEL_KEY}");
    let mut found = Vec::new();
    for (kind, name_format) in KINDS {
        // On `ls`, `.Labels` is one joined string: `.Label "KEY"` is the accessor that works there.
        let format = format!("{name_format}\t{{{{.Label \"{RUN_LABEL_KEY}\"}}}}");
        for line in list(docker, kind, &filter, &format)? {
            if let Some((name, run)) = line.split_once('\t') {
                found.push(Labelled {
                    kind,
                    name: name.to_string(),
                    run: run.to_string(),
                });
            }
        }
    }
    found.extend(labelled_images(docker)?);
    Ok(found)
}

/// `image ls` has no `.Label` accessor: list the ids, then read each image's label and tags. The
/// shared base and series images are never a run's leftover, even if a build under a test run
/// stamped its id on them (a recipe label would not tell them apart: images inherit it); another
/// tag a test put on one is.
fn labelled_images(docker: &Docker) -> Result<Vec<Labelled>> {
    let mut ids = list(
        docker,
        "image",
        &format!("label={RUN_LABEL_KEY}"),
        "{{.ID}}",
    )?;
    ids.sort();
    ids.dedup();
    let format =
        format!("{{{{index .Config.Labels \"{RUN_LABEL_KEY}\"}}}}\t{{{{join .RepoTags \" \"}}}}");
    let mut found = Vec::new();
    for id in ids {
        let out = docker.status(["image", "inspect", "--format", format.as_str(), id.as_str()])?;
        if !out.ok() {
            if out.stderr.to_lowercase().contains("no such image") {
                continue; // removed since it was listed
            }
            bail!(
                "`docker image inspect {id}` failed: {}",
                last_message(&out.stderr)
            );
        }
        // An untagged image prints nothing after the tab (and the output is trimmed).
        let (run, tags) = out
            .stdout
            .split_once('\t')
            .unwrap_or((out.stdout.as_str(), ""));
        let tags: Vec<&str> = tags
            .split_whitespace()
            .filter(|t| *t != "<none>:<none>")
            .collect();
        if run.is_empty() || run == "<no value>" {
            continue;
        }
        // A shared tag keeps the image; any other tag on it is the run's (removing it only untags).
        let mut names: Vec<&str> = tags
            .iter()
            .copied()
            .filter(|t| !is_shared_image(t))
            .collect();
        if names.is_empty() {
            if !tags.is_empty() {
                continue; // only shared tags
            }
            names.push(&id);
        }
        found.extend(names.into_iter().map(|n| Labelled {
            kind: "image",
            name: n.to_string(),
            run: run.to_string(),
        }));
    }
    Ok(found)
}

/// The base (and its root filesystem, the MySQL stand-in: `jupyter-docker-xtask/...`) and the
/// series' images, which every run uses.
fn is_shared_image(tag: &str) -> bool {
    tag.starts_with("jupyter-docker-xtask/") || build::IMAGES.iter().any(|i| i.tag == tag)
}

/// The suite's run id or a private one made under it (`{run}-safety-...`).
fn is_under(run: &str, prefix: &str) -> bool {
    run == prefix
        || run
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// What carries the run's label or a private run id under it, as `kind name (run R)`.
pub fn leftovers_under(docker: &Docker, run_id: &str) -> Result<Vec<String>> {
    Ok(labelled(docker)?
        .into_iter()
        .filter(|l| is_under(&l.run, run_id))
        .map(|l| format!("{} {} (run {})", l.kind, l.name, l.run))
        .collect())
}

/// Removes what carries the run's label or a private run id under it.
pub fn remove_runs_under(docker: &Docker, run_id: &str) -> Result<()> {
    let found = labelled(docker)?;
    remove_runs(docker, &found, |run| is_under(run, run_id));
    Ok(())
}

/// Removes the runs `which` selects: containers first, then what they used, then the images.
fn remove_runs(docker: &Docker, found: &[Labelled], which: impl Fn(&str) -> bool) {
    let mut runs: Vec<&str> = found
        .iter()
        .map(|l| l.run.as_str())
        .filter(|r| which(r))
        .collect();
    runs.sort();
    runs.dedup();
    for run in &runs {
        remove_run(docker, run);
    }
    for image in found.iter().filter(|l| l.kind == "image" && which(&l.run)) {
        let _ = docker.probe(["image", "rm", image.name.as_str()]);
    }
}

/// Removes what earlier test runs left when they crashed or were killed: resources carrying a run
/// label whose run's process is gone. Never touches anything without a run label, the current
/// run's, a live run's, or the shared images.
fn sweep_crashed_runs(docker: &Docker, current: &str) -> Result<()> {
    let found = labelled(docker).context("looking for crashed test runs")?;
    let crashed = |run: &str| !is_under(run, current) && !run_is_alive(run);
    let mut runs: Vec<&str> = found
        .iter()
        .map(|l| l.run.as_str())
        .filter(|r| crashed(r))
        .collect();
    runs.sort();
    runs.dedup();
    for run in runs {
        progress::note(&format!(
            "removing what the crashed test run {run} left behind"
        ));
    }
    remove_runs(docker, &found, crashed);
    Ok(())
}

fn run_is_alive(run: &str) -> bool {
    // Only the suite's own ids (`suite-<pid>-<secs>`, and private ones under them) name a pid.
    let Some(rest) = run.strip_prefix("suite-") else {
        return true;
    };
    let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) => std::path::Path::new(&format!("/proc/{pid}")).exists(),
        None => true, // not ours to judge: leave it
    }
}

#[cfg(test)]
mod tests;
