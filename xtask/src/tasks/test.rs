//! `cargo xtask test`: the README's test command. Sweeps what crashed earlier runs left, checks
//! the code's format and clippy (`test/style.rs`), builds every test binary, sets up what the tests need (engine check, base and series images, the
//! sandbox image and its warm cache), runs the binaries two at a time (a lane per core, each
//! binary's output printed whole when it ends) with one run id labelled on everything the tests
//! make, prints a table (binary, passed, failed, seconds) and the wall time, then fails if any
//! binary failed, if a person's own resources were touched, or if anything carrying the run's
//! label (or a private run id under it) remains. `--quick` runs the unit tests and the end-to-end
//! binaries that need no sandbox; other trailing arguments than `--test NAME` go to one `cargo test`.

use std::io::{BufRead, BufReader};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::resources::{Guard, Resource};
use crate::engine::{Docker, Mount, RunSpec, RUN_ID_ENV};
use crate::images::{base, series as build};
use crate::{paths, prereqs, progress, sandbox};

mod artifacts;
mod causes;
mod lanes;
mod plan;
mod style;
mod sweep;
mod tally;

use plan::{Plan, Selection};
use sweep::sweep_crashed_runs;
pub use sweep::{labelled, leftovers_under, remove_runs_under, Labelled};
pub use tally::{binary_started, parse_result_line, Binary, Tally};

#[derive(clap::Args, Debug)]
pub struct Test {
    /// Install what the tests need on the host (mmdebstrap, pip, Chromium, Compose) without asking.
    #[arg(long)]
    pub yes: bool,
    /// The inner loop (about 3 minutes warm): the unit tests and the end-to-end binaries that need
    /// no sandbox; it names the binaries it leaves out.
    #[arg(long)]
    pub quick: bool,
    /// How many test binaries run at once (default: one per core; 1 runs them one at a time).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub lanes: Option<u16>,
    /// `--test NAME` (repeatable) runs those binaries in lanes; anything else (a test name filter,
    /// `--lib`) goes to one `cargo test --workspace --no-fail-fast`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub cargo_args: Vec<String>,
}

impl Test {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let wall = Instant::now();
        let plan = plan::plan(self.quick, &self.cargo_args)?;
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
        prereqs::ensure(&needs(sh, &plan))?;
        let style = style::check();
        let built = build_binaries(&plan)?;
        // The suite leaves the machine's registry as it found it (its volume, the seeded stand-ins, stays).
        let registry_was_running = docker
            .container_state(sandbox::registry::CONTAINER)
            .is_some_and(|s| s.running);
        let base = prepare(sh, needs_sandbox(&plan))?;
        // A person's own things, unlabelled, present for the whole suite: they must come out unchanged.
        let sentinels = Sentinels::create(&docker, &base)?;
        let tests_started = Instant::now();
        progress::note(&format!("running the tests with run id {run_id}"));
        let (tally, runner_ok) = match (&plan, built) {
            (Plan::Lanes(selection), Some(built)) => {
                let jobs = plan::jobs(&built, selection, &run_id, &paths::root())?;
                run_lanes(jobs, self.lanes)
            }
            _ => {
                if self.lanes.is_some() {
                    progress::note("--lanes takes whole binaries (`--test NAME`): with these arguments the tests run in one `cargo test`");
                }
                run_cargo(&self.cargo_args, &run_id)?
            }
        };
        if crate::engine::resources::interrupted() {
            // The handler removes the sentinels and ends the process; the binaries were ended, and
            // what they left carries a run id whose process is gone: the next run sweeps it.
            crate::engine::resources::exit(130);
        }
        println!("\n{}", tally.table());
        let tests_seconds = tests_started.elapsed().as_secs_f64();

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
        let problems = [style, verdict(&tally, runner_ok, touched, leaked, removed)].concat();
        let (passed, failed) = tally.totals();
        println!(
            "wall time: {} (the tests {}, before them {})",
            clock(wall.elapsed().as_secs_f64()),
            clock(tests_seconds),
            clock(tests_started.duration_since(wall).as_secs_f64())
        );
        if plan == Plan::Lanes(Selection::Quick) {
            plan::say_left_out();
        }
        println!("cargo xtask test: {passed} passed, {failed} failed");
        if !problems.is_empty() {
            bail!("{} (see the output above)", problems.join("; "));
        }
        Ok(())
    }
}

/// Every test binary the lanes will run, built before anything else is prepared (a build error
/// ends the run at once). Nothing for one `cargo test`, which builds its own.
fn build_binaries(plan: &Plan) -> Result<Option<artifacts::Built>> {
    let Plan::Lanes(selection) = plan else {
        return Ok(None);
    };
    let step = progress::Step::start_lines("Building the test binaries");
    let built = artifacts::build(&paths::root(), &selection.build_args())?;
    step.done(&format!("{} built", built.executables.len()));
    Ok(Some(built))
}

fn needs_sandbox(plan: &Plan) -> bool {
    match plan {
        Plan::Lanes(selection) => selection.needs_sandbox(),
        Plan::Cargo(_) => true,
    }
}

/// What the tests use, made before any of them runs (so that no test's timeout includes a
/// build): the base and series images, and, when a test may start a sandbox, the sandbox image,
/// the stand-ins in the machine's registry and the sandboxes' warm cache. One line per step.
/// Returns the base image.
fn prepare(sh: &Shell, sandbox: bool) -> Result<String> {
    let step = progress::Step::start_lines("Preparing (1/3): the base image");
    let base = base::ensure(sh, base::Source::Auto, false, false)?;
    step.done(&base);
    let step = progress::Step::start_lines(format!(
        "Preparing (2/3): the series' {} images",
        build::IMAGES.len()
    ));
    for image in build::IMAGES {
        build::ensure_image(sh, image, &base, false)?;
    }
    step.done("ready");
    if !sandbox {
        progress::note("Preparing (3/3): no sandbox (no test here starts one)");
        return Ok(base);
    }
    let step = progress::Step::start_lines(
        "Preparing (3/3): the sandbox (its image, the stand-ins in the registry, its warm cache)",
    );
    // A sandbox started and removed at once, as `cargo xtask sandbox --check` does: under no run
    // id (what it keeps is the machine's, shared by every run).
    match sandbox::Sandbox::for_articles(sh) {
        Ok((sandbox, _)) => {
            drop(sandbox);
            step.done("ready");
        }
        // The tests that need it fail on their own, saying why; the others still run.
        Err(e) => step.done(&format!(
            "FAILED: {}; the tests that start a sandbox will fail",
            crate::engine::one_line(&format!("{e:#}"))
        )),
    }
    Ok(base)
}

/// The jobs on `lanes` lanes (default: one per core), longest first; the table in their order.
fn run_lanes(jobs: Vec<lanes::Job>, lanes: Option<u16>) -> (Tally, bool) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let lanes = lanes.map_or(cores, usize::from).min(jobs.len()).max(1);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    progress::note(&format!(
        "{} on {}; each one's output follows when it ends",
        plural(jobs.len(), "test binary", "test binaries"),
        plural(lanes, "lane", "lanes")
    ));
    let order: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let out = Mutex::new(std::io::stdout());
    let stop = crate::engine::resources::interrupted;
    let mut finished = lanes::run(lanes::longest_first(jobs), lanes, &out, &stop);
    finished.sort_by_key(|f| order.iter().position(|n| *n == f.name));
    let mut tally = Tally::default();
    let mut all_ok = true;
    for f in finished {
        all_ok &= f.exited_ok;
        print!("{}", causes::render(&f.name, &causes::tails(&f.output)));
        tally.push(Binary::from_run(&f.name, &f.output, f.seconds, f.exited_ok));
    }
    (tally, all_ok)
}

/// One `cargo test --workspace --no-fail-fast ARGS`, its output streamed and tallied.
fn run_cargo(cargo_args: &[String], run_id: &str) -> Result<(Tally, bool)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // --no-fail-fast: every test binary runs, and every failure is reported, not just the first.
    let mut args = vec![
        "test".to_string(),
        "--workspace".into(),
        "--no-fail-fast".into(),
    ];
    args.extend(cargo_args.iter().cloned());
    let reader = duct::cmd(cargo, args)
        .env(RUN_ID_ENV, run_id)
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
    Ok((tally, cargo_ok))
}

/// `75.3` -> `1m 15s`; `9.6` -> `9.6s`.
fn clock(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = seconds.round() as u64;
        format!("{}m {:02}s", whole / 60, whole % 60)
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
        problems.push(
            "`cargo test` failed before or after running the tests (or a test binary exited with a failure)"
                .to_string(),
        );
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
/// compose walkthrough (unless the plugin is there; `--quick` does not run it), and what the
/// offline base image is built with when it has still to be built.
fn needs(sh: &Shell, plan: &Plan) -> Vec<prereqs::Need> {
    let mut needs = vec![prereqs::CHROMIUM];
    if *plan != Plan::Lanes(Selection::Quick) && !prereqs::compose_present() {
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
        // The container goes before the volume and network it uses, both on Drop (a Vec drops
        // first to last; locals last to first) and on a signal (the handler removes the newest
        // guard first): its guard is the last made, the first in the Vec.
        person.create_volume(&name, &[])?;
        let volume = Guard::new(&person, Resource::Volume(name.clone()));
        person.create_network(&name)?;
        let network = Guard::new(&person, Resource::Network(name.clone()));
        let container = Guard::new(&person, Resource::Container(name.clone()));
        let guards = vec![container, network, volume];
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod verdict_tests;
