//! `cargo xtask bench`: every speed figure the issues ask for, measured in one run, each against
//! the plain docker commands doing the same work: the cold and no-op base builds, the image sizes,
//! warm `up`, the URL's detection latency, `up` when already running, each walkthrough in parallel
//! against one section after another, the database's time to accept connections, each series
//! image in one commit against `docker build` of its Dockerfile, a user's server through the hub
//! against `up` (and the memory of both), the test suite.
//! Writes target/bench/report.md, report.json and report.svg (median, min–max, number of runs).
//!
//! Everything it makes carries the project's labels plus a run label of its own (on its Docker
//! handle, and handed to the xtask processes it starts), has a guard (removed also on Ctrl-C), and
//! what is left of the run's label at the end is swept.

mod cold;
mod database;
mod hub;
mod images;
mod parts;
mod report;
mod up;

use report::{Figure, Report, Unit};

use std::path::PathBuf;
use std::process::Output;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::engine::resources::{leftovers, remove_run};
use crate::engine::{tail, Docker, RUN_ID_ENV};
use crate::images::{base, series};
use crate::paths;
use crate::progress::{self, say};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Cold local base build (once each; minutes).
    Cold,
    /// No-op `base` when nothing changed.
    Noop,
    /// Sizes of the base images.
    Sizes,
    /// Warm `up`, URL detection latency, `up` when already running.
    Up,
    /// Each walkthrough, --parallel against one section after another.
    Walkthrough,
    /// The database's time to accept connections.
    Database,
    /// Each series image in one commit against `docker build --no-cache` of its Dockerfile.
    Images,
    /// A user's server through the hub, login to ready, against warm `up`; the hub's memory per server.
    Hub,
    /// The sandbox engine ready (warm), and each literal replay in it against the corrected mode.
    Sandbox,
    /// The test suite, warm (only with --with-tests or --only tests).
    Tests,
}

const ALL: [Part; 10] = [
    Part::Noop,
    Part::Sizes,
    Part::Up,
    Part::Walkthrough,
    Part::Database,
    Part::Images,
    Part::Hub,
    Part::Sandbox,
    Part::Cold,
    Part::Tests,
];

#[derive(clap::Args, Debug)]
pub struct Bench {
    /// Runs of each quick figure (default 7, or 3 with --quick); the median is reported with min and max.
    #[arg(long)]
    pub runs: Option<usize>,
    /// Fewer runs: 3 of the quick figures, 1 of the walkthroughs.
    #[arg(long)]
    pub quick: bool,
    /// Measure only these parts (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Part>,
    /// Leave out these parts (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub skip: Vec<Part>,
    /// Also time the test suite, once (`cargo xtask test` against `cargo test --workspace`; many minutes).
    #[arg(long)]
    pub with_tests: bool,
    /// Folder for report.md, report.json and report.svg (default: target/bench).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Show the builds' output.
    #[arg(long)]
    pub verbose: bool,
}

impl Bench {
    fn parts(&self) -> Vec<Part> {
        ALL.into_iter()
            .filter(|p| {
                if self.only.is_empty() {
                    *p != Part::Tests || self.with_tests
                } else {
                    self.only.contains(p)
                }
            })
            .filter(|p| !self.skip.contains(p))
            .collect()
    }

    pub fn run(self, sh: &Shell) -> Result<()> {
        let runs = self.runs.unwrap_or(if self.quick { 3 } else { 7 });
        if runs == 0 {
            bail!("--runs 0 measures nothing: give at least 1 (the default is 7)");
        }
        let heavy_runs = if self.quick { 1 } else { runs.min(3) };
        let parts = self.parts();
        if parts.is_empty() {
            bail!("--only and --skip leave nothing to measure");
        }
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| paths::root().join("target/bench"));
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        let docker = Docker::new(sh);
        let engine = docker.require_engine()?;

        // A run id of its own, on everything the bench and its children make, so that the sweep at
        // the end finds exactly that (never a test run's, never a person's).
        let run_id = format!("bench-{}-{}", std::process::id(), unix_now() as u64);
        let mut bench = Runner {
            sh,
            docker: docker.with_run(Some(run_id.clone())),
            run_id: run_id.clone(),
            runs,
            heavy_runs,
            verbose: self.verbose,
            prefix: format!("jdx-bench-{}", std::process::id()),
            base: String::new(),
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut report = Report {
            started: utc_now(sh),
            host: format!("{cores} cores, Docker engine {engine}, run id {run_id}"),
            runs,
            heavy_runs,
            figures: vec![],
        };
        progress::note(&format!("bench: {} ({runs} runs of the quick figures, {heavy_runs} of the heavy ones); report in {}", names(&parts), out.display()));

        let failed = bench.measure(&parts, &mut report, &out, self.verbose);
        // What a child killed half-way left behind still carries the run's label.
        for item in leftovers(&bench.docker, &run_id).unwrap_or_default() {
            eprintln!("bench: removing leftover {item}");
        }
        remove_run(&bench.docker, &run_id);
        let failed = failed?;

        for f in &report.figures {
            if f.met() == Some(false) {
                progress::note(&format!(
                    "target missed: {} ({})",
                    f.what,
                    f.target.map(|t| format!("{t:?}")).unwrap_or_default()
                ));
            }
        }
        say(report::markdown(&report));
        eprintln!(
            "bench: report written to {}/report.{{md,json,svg}}",
            out.display()
        );
        if !failed.is_empty() {
            bail!("part(s) {} failed (the report says why)", failed.join(", "));
        }
        Ok(())
    }
}

fn names(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| format!("{p:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

fn write(out: &std::path::Path, report: &Report) -> Result<()> {
    std::fs::write(out.join("report.md"), report::markdown(report))?;
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report::json(report))? + "\n",
    )?;
    std::fs::write(out.join("report.svg"), report::svg(report))?;
    Ok(())
}

struct Runner<'a> {
    sh: &'a Shell,
    /// Labels what it makes with the bench's run id.
    docker: Docker,
    run_id: String,
    runs: usize,
    heavy_runs: usize,
    verbose: bool,
    /// Names of what the bench makes: `jdx-bench-<pid>-...`.
    prefix: String,
    /// The base image the series' images use.
    base: String,
}

impl Runner<'_> {
    /// Builds what the parts need, then measures each; the parts that failed (each is in the report
    /// with why). The report is written after every part, so an interrupted run leaves what it measured.
    fn measure(
        &mut self,
        parts: &[Part],
        report: &mut Report,
        out: &std::path::Path,
        verbose: bool,
    ) -> Result<Vec<String>> {
        if parts.iter().any(|p| {
            matches!(
                p,
                Part::Noop
                    | Part::Sizes
                    | Part::Up
                    | Part::Walkthrough
                    | Part::Images
                    | Part::Hub
                    | Part::Sandbox
                    | Part::Tests
            )
        }) {
            self.base = base::ensure(self.sh, base::Source::Auto, false, verbose)?;
        }
        if parts.iter().any(|p| {
            matches!(
                p,
                Part::Up | Part::Walkthrough | Part::Hub | Part::Sandbox | Part::Tests
            )
        }) {
            for image in series::IMAGES {
                series::ensure_image(self.sh, image, &self.base, verbose)?;
            }
        }
        let mut failed = Vec::new();
        for part in parts {
            let result = match part {
                Part::Noop => self.noop(),
                Part::Sizes => self.sizes(),
                Part::Up => self.up(),
                Part::Walkthrough => self.walkthroughs(),
                Part::Database => self.database(),
                Part::Images => self.images(),
                Part::Hub => self.hub(),
                Part::Sandbox => self.sandbox(),
                Part::Cold => self.cold(),
                Part::Tests => self.tests(),
            };
            match result {
                Ok(figures) => report.figures.extend(figures),
                Err(e) => {
                    eprintln!("bench: {part:?} failed: {e:#}");
                    failed.push(format!("{part:?}"));
                    report.figures.push(
                        Figure::new(
                            &format!("{part:?}").to_lowercase(),
                            &format!("{part:?}"),
                            Unit::Seconds,
                        )
                        .note(format!("failed: {e:#}")),
                    );
                }
            }
            write(out, report)?;
        }
        Ok(failed)
    }

    /// The xtask itself (the binary `cargo xtask` runs), from the project root, under the bench's run id.
    fn xtask(&self, args: &[&str]) -> duct::Expression {
        duct::cmd(xtask_exe(), args)
            .dir(paths::root())
            .env(RUN_ID_ENV, &self.run_id)
    }

    /// `cargo xtask ARGS` as a person types it (cargo's up-to-date check included), from the
    /// project root, under the bench's run id.
    fn cargo_xtask(&self, args: &[&str]) -> duct::Expression {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        duct::cmd(cargo, ["xtask"].iter().chain(args))
            .dir(paths::root())
            .env(RUN_ID_ENV, &self.run_id)
    }
}

/// This binary's path. When a concurrent `cargo build` replaced it, Linux names the running one
/// `... (deleted)`: the path itself then holds the new build.
fn xtask_exe() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|_| paths::root().join("target/debug/xtask"));
    match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(path) => PathBuf::from(path),
        None => exe,
    }
}

/// Runs a command to its end; its seconds and output. A failure is an error with its last lines.
fn timed(expr: duct::Expression) -> Result<(f64, Output)> {
    let started = Instant::now();
    let out = expr.stdout_capture().stderr_capture().unchecked().run()?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{}", tail(&text, 15));
        bail!(
            "a timed command failed (exit {:?}): its last lines are above",
            out.status.code()
        );
    }
    Ok((secs, out))
}

fn time(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64())
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// When the bench started, for the report's first line: `date -u`, else seconds since the epoch.
fn utc_now(sh: &Shell) -> String {
    let format = "+%Y-%m-%d %H:%M:%S UTC";
    cmd!(sh, "date -u {format}")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_else(|_| format!("{:.0} s after the Unix epoch", unix_now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_follow_only_skip_and_with_tests() {
        let bench = |only: Vec<Part>, skip: Vec<Part>, with_tests: bool| Bench {
            runs: None,
            quick: false,
            only,
            skip,
            with_tests,
            out: None,
            verbose: false,
        };
        assert!(!bench(vec![], vec![], false).parts().contains(&Part::Tests));
        assert!(bench(vec![], vec![], true).parts().contains(&Part::Tests));
        assert_eq!(
            bench(vec![Part::Noop], vec![], false).parts(),
            vec![Part::Noop]
        );
        assert_eq!(
            bench(vec![Part::Tests], vec![], false).parts(),
            vec![Part::Tests]
        );
        assert!(!bench(vec![], vec![Part::Cold], false)
            .parts()
            .contains(&Part::Cold));
    }

    #[test]
    fn the_start_is_told_in_utc() {
        let started = utc_now(&Shell::new().unwrap());
        assert!(
            started.ends_with(" UTC") && started.len() == "2026-07-20 10:11:12 UTC".len(),
            "{started}"
        );
    }
}
