//! `cargo xtask bench`: every speed figure the issues ask for, measured in one run, each against
//! the plain docker commands doing the same work: the cold and no-op base builds, the image sizes,
//! warm `up`, the URL's detection latency, `up` when already running, each walkthrough in parallel
//! against one section after another, the database's time to accept connections, each series
//! image in one commit against `docker build` of its Dockerfile, the test suite.
//! Writes target/bench/report.md, report.json and report.svg (median, min–max, number of runs).
//!
//! Everything it makes carries the project's labels plus a run label of its own (on its Docker
//! handle, and handed to the xtask processes it starts), has a guard (removed also on Ctrl-C), and
//! what is left of the run's label at the end is swept.

mod cold;
mod database;
mod images;
mod report;
mod up;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::engine::resources::{leftovers, remove_run};
use crate::engine::{tail, Docker, MANAGED, RUN_ID_ENV};
use crate::images::{base, series};
use crate::jupyter::DEFAULT_IMAGE;
use crate::progress::{self, say};
use crate::{paths, walkthrough};
use report::{Figure, Report, Target, Unit};

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
    /// The sandbox engine ready (warm), and each literal replay in it against the corrected mode.
    Sandbox,
    /// The test suite, warm (only with --with-tests or --only tests).
    Tests,
}

const ALL: [Part; 9] = [
    Part::Noop,
    Part::Sizes,
    Part::Up,
    Part::Walkthrough,
    Part::Database,
    Part::Images,
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
                    | Part::Sandbox
                    | Part::Tests
            )
        }) {
            self.base = base::ensure(self.sh, base::Source::Auto, false, verbose)?;
        }
        if parts.iter().any(|p| {
            matches!(
                p,
                Part::Up | Part::Walkthrough | Part::Sandbox | Part::Tests
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

    /// The no-op `base` (nothing changed) against `docker image inspect` of the same image.
    fn noop(&self) -> Result<Vec<Figure>> {
        let step =
            progress::Step::start(format!("Timing the no-op `base` ({} runs each)", self.runs));
        let mut fig = Figure::new("base-noop", "no-op `cargo xtask base` (nothing changed)", Unit::Seconds)
            .against("docker image inspect")
            .target(Target::Below(2.0))
            .note("the xtask binary as `cargo xtask` runs it; cargo's own up-to-date check is the next line");
        let inspect = || {
            self.docker.stream([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                self.base.as_str(),
            ])
        };
        // One untimed run of each, so the file cache is warm for both.
        timed(self.xtask(&["base"]))?;
        timed(inspect())?;
        for _ in 0..self.runs {
            fig.samples.push(timed(self.xtask(&["base"]))?.0);
            fig.baseline.push(timed(inspect())?.0);
        }
        let mut cargo = Figure::new(
            "cargo-check",
            "cargo's up-to-date check (`cargo xtask --version`)",
            Unit::Seconds,
        )
        .note("add it to the line above for the whole `cargo xtask base`");
        let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let cargo_cmd = || duct::cmd(&cargo_bin, ["xtask", "--version"]).dir(paths::root());
        timed(cargo_cmd())?;
        for _ in 0..self.runs {
            cargo.samples.push(timed(cargo_cmd())?.0);
        }
        step.done(&format!(
            "{:.2}s median",
            report::Stats::of(&fig.samples)
                .map(|s| s.median)
                .unwrap_or(0.0)
        ));
        Ok(vec![fig, cargo])
    }

    /// Sizes of the base images: the local stand-in, the official one where present, the image `up` runs.
    fn sizes(&self) -> Result<Vec<Figure>> {
        let size = |image: &str| -> Option<f64> {
            self.docker
                .probe(["image", "inspect", "--format", "{{.Size}}", image])
                .and_then(|s| s.parse::<f64>().ok())
                .map(|b| b / 1e6)
        };
        let local = base::local_tag()?;
        let mut fig = Figure::new(
            "base-size",
            &format!("local base image {local}"),
            Unit::Megabytes,
        )
        .against(&format!("official {}", base::OFFICIAL));
        match size(&local) {
            Some(mb) => fig.samples.push(mb),
            None => {
                fig = fig.note("the local base image is not built here (the official one is used)")
            }
        }
        match size(base::OFFICIAL) {
            Some(mb) => fig.baseline.push(mb),
            None => {
                let why = "the official image is not present and no registry answers here";
                fig.note = if fig.note.is_empty() {
                    why.into()
                } else {
                    format!("{}; {why}", fig.note)
                };
            }
        }
        let mut series = Figure::new(
            "series-size",
            &format!("{DEFAULT_IMAGE} (what `up` runs)"),
            Unit::Megabytes,
        );
        series.samples.extend(size(DEFAULT_IMAGE));
        Ok(vec![fig, series])
    }

    /// Each article's walkthrough, sections in parallel against one after another.
    fn walkthroughs(&self) -> Result<Vec<Figure>> {
        let mut figures = Vec::new();
        for article in walkthrough::ARTICLES {
            let mut fig = Figure::new(
                &format!("walkthrough-{}", article.short),
                &format!("`walkthrough {} --parallel`", article.short),
                Unit::Seconds,
            )
            .against("the same sections one after another");
            for i in 0..self.heavy_runs {
                let step = progress::Step::start(format!(
                    "Timing `walkthrough {}` in parallel and one after another (run {}/{})",
                    article.short,
                    i + 1,
                    self.heavy_runs
                ));
                for parallel in [i % 2 == 0, i % 2 != 0] {
                    let mut args = vec!["walkthrough", article.short];
                    if parallel {
                        args.push("--parallel");
                    }
                    let secs = timed(self.xtask(&args))?.0;
                    if parallel {
                        fig.samples.push(secs)
                    } else {
                        fig.baseline.push(secs)
                    }
                }
                step.done(&format!(
                    "parallel {:.1}s, one after another {:.1}s",
                    fig.samples[i], fig.baseline[i]
                ));
            }
            figures.push(fig);
        }
        Ok(figures)
    }

    /// The sandbox: `sandbox --check` warm (engine up, registry seeded, stand-ins checked) against
    /// a container of the same image that does nothing (the floor of any container's start); and
    /// each article's literal replay in it against its corrected mode on this engine (not the same
    /// recipe: the literal one runs the article as written, so read the ratio as a cost, not a race).
    fn sandbox(&self) -> Result<Vec<Figure>> {
        let image = crate::images::sandbox::ensure(&self.docker)?;
        // The first check warms what a person's second run finds: images built, registry seeded.
        let step = progress::Step::start("Warming the sandbox (images, registry)");
        timed(self.xtask(&["sandbox", "--check"]))?;
        step.done("warm");
        let mut ready = Figure::new(
            "sandbox-ready",
            "`sandbox --check`, warm (engine up, registry seeded)",
            Unit::Seconds,
        )
        .against("`docker run --rm` of the sandbox image doing nothing")
        .target(Target::Below(5.0));
        for i in 0..self.runs {
            let step = progress::Step::start(format!(
                "Timing a warm sandbox (run {}/{})",
                i + 1,
                self.runs
            ));
            ready
                .samples
                .push(timed(self.xtask(&["sandbox", "--check"]))?.0);
            let floor = self.docker.stream([
                "run",
                "--rm",
                "--label",
                MANAGED,
                "--entrypoint",
                "true",
                image.as_str(),
            ]);
            ready.baseline.push(timed(floor)?.0);
            step.done(&format!(
                "{:.1}s, the floor {:.1}s",
                ready.samples[i], ready.baseline[i]
            ));
        }
        let mut figures = vec![ready];
        for article in walkthrough::ARTICLES
            .iter()
            .filter(|a| !a.literal.is_empty())
        {
            let mut fig = Figure::new(
                &format!("literal-{}", article.short),
                &format!(
                    "`walkthrough {} --literal` (the replay, in the sandbox)",
                    article.short
                ),
                Unit::Seconds,
            )
            .against("`walkthrough` of the same article, corrected, on this engine")
            .note("once each: minutes");
            let step = progress::Step::start(format!(
                "Timing `walkthrough {}` literal (sandbox) and corrected (this engine)",
                article.short
            ));
            fig.samples
                .push(timed(self.xtask(&["walkthrough", article.short, "--literal"]))?.0);
            fig.baseline
                .push(timed(self.xtask(&["walkthrough", article.short, "--parallel"]))?.0);
            step.done(&format!(
                "literal {:.1}s, corrected {:.1}s",
                fig.samples[0], fig.baseline[0]
            ));
            figures.push(fig);
        }
        Ok(figures)
    }

    /// `cargo xtask test` against `cargo test --workspace`, both warm (images built).
    fn tests(&self) -> Result<Vec<Figure>> {
        let mut fig = Figure::new(
            "tests-warm",
            "`cargo xtask test` (images built)",
            Unit::Seconds,
        )
        .against("cargo test --workspace")
        .note("once each: it takes minutes");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let step = progress::Step::start(
            "Timing the test suite, `cargo xtask test` then `cargo test --workspace`",
        );
        // The suite makes its own run id and sweeps it: never hand it the bench's (or anyone's).
        let suite = |args: &[&str]| {
            duct::cmd(&cargo, args)
                .dir(paths::root())
                .env_remove(RUN_ID_ENV)
        };
        // A failing suite is still timed; the report says it failed (the bench is no test gate).
        let mut failures = Vec::new();
        for (args, samples) in [
            (&["xtask", "test"][..], &mut fig.samples),
            (&["test", "--workspace"][..], &mut fig.baseline),
        ] {
            let started = Instant::now();
            let out = suite(args)
                .stdout_capture()
                .stderr_capture()
                .unchecked()
                .run()?;
            samples.push(started.elapsed().as_secs_f64());
            if !out.status.success() {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                let failed: Vec<&str> = text
                    .lines()
                    .filter(|l| l.starts_with("test ") && l.ends_with("FAILED"))
                    .collect();
                failures.push(format!(
                    "`cargo {}` failed: {}",
                    args.join(" "),
                    if failed.is_empty() {
                        "see its output".to_string()
                    } else {
                        failed.join(", ")
                    }
                ));
            }
        }
        step.done(&format!(
            "{:.0}s and {:.0}s",
            fig.samples[0], fig.baseline[0]
        ));
        if !failures.is_empty() {
            eprintln!("bench: {}", failures.join("; "));
            fig.note = format!(
                "{}; timings of a failing run: {}",
                fig.note,
                failures.join("; ")
            );
        }
        Ok(vec![fig])
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
