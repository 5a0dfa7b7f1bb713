//! The parts a bench measures beyond the commands' own timings: a no-op's cost, image sizes, the
//! walkthroughs, the sandbox, the tests.

use std::time::Instant;

use anyhow::Result;

use super::report;
use super::report::{Figure, Target, Unit};
use super::{timed, Runner};
use crate::engine::{MANAGED, RUN_ID_ENV};
use crate::images::base;
use crate::jupyter::DEFAULT_IMAGE;
use crate::progress::{self};
use crate::{paths, walkthrough};

impl Runner<'_> {
    /// The no-op `base` (nothing changed) against `docker image inspect` of the same image.
    pub(super) fn noop(&self) -> Result<Vec<Figure>> {
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
    pub(super) fn sizes(&self) -> Result<Vec<Figure>> {
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
    pub(super) fn walkthroughs(&self) -> Result<Vec<Figure>> {
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
    pub(super) fn sandbox(&self) -> Result<Vec<Figure>> {
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
    pub(super) fn tests(&self) -> Result<Vec<Figure>> {
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
