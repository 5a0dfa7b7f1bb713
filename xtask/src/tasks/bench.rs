//! `cargo xtask bench`: every speed figure the issues ask for, measured in one run, each against
//! the plain docker commands doing the same work: the cold and no-op base builds, the image sizes,
//! warm `up`, the URL's detection latency, `up` when already running, each walkthrough in parallel
//! against one section after another, the database's time to accept connections, the test suite.
//! Writes target/bench/report.md, report.json and report.svg (median, min–max, number of runs).
//!
//! Everything it makes carries the project's labels plus a run label of its own, has a guard
//! (removed also on Ctrl-C), and what is left of the run's label at the end is swept.

mod report;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use regex::Regex;
use xshell::Shell;

use crate::engine::resources::{Guard, Resource};
use crate::engine::{self, RUN_ID_ENV};
use crate::images::{base, series as build};
use crate::tasks::up;
use crate::{paths, progress, walkthrough};
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
    /// The test suite, warm (only with --with-tests or --only tests).
    Tests,
}

const ALL: [Part; 7] = [Part::Noop, Part::Sizes, Part::Up, Part::Walkthrough, Part::Database, Part::Cold, Part::Tests];

#[derive(clap::Args, Debug)]
pub struct Bench {
    /// Runs of each quick figure (default 5, or 3 with --quick); the median is reported with min and max.
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
            .filter(|p| if self.only.is_empty() { *p != Part::Tests || self.with_tests } else { self.only.contains(p) })
            .filter(|p| !self.skip.contains(p))
            .collect()
    }

    pub fn run(self, sh: &Shell) -> Result<()> {
        let runs = self.runs.unwrap_or(if self.quick { 3 } else { 5 });
        if runs == 0 {
            bail!("--runs 0 measures nothing: give at least 1 (the default is 5)");
        }
        let heavy_runs = if self.quick { 1 } else { runs.min(3) };
        let parts = self.parts();
        if parts.is_empty() {
            bail!("--only and --skip leave nothing to measure");
        }
        let out = self.out.clone().unwrap_or_else(|| paths::root().join("target/bench"));
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        let engine = engine::require_engine(sh)?;

        // A run id of its own, on everything the bench and its children make, so that the sweep at
        // the end finds exactly that (never a test run's, never a person's).
        let run_id = format!("bench-{}-{}", std::process::id(), unix_now() as u64);
        std::env::set_var(RUN_ID_ENV, &run_id);

        let mut bench = Runner {
            sh,
            runs,
            heavy_runs,
            verbose: self.verbose,
            prefix: format!("jdx-bench-{}", std::process::id()),
            base: String::new(),
        };
        let mut report = Report {
            started: utc_text(unix_now()),
            host: format!("{} cores, Docker engine {engine}, run id {run_id}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
            runs,
            heavy_runs,
            figures: vec![],
        };
        progress::note(&format!("bench: {} ({runs} runs of the quick figures, {heavy_runs} of the heavy ones); report in {}", names(&parts), out.display()));

        let needs_base = parts.iter().any(|p| matches!(p, Part::Noop | Part::Sizes | Part::Up | Part::Walkthrough | Part::Tests));
        let needs_series = parts.iter().any(|p| matches!(p, Part::Up | Part::Walkthrough | Part::Tests));
        let mut failed = Vec::new();
        if needs_base {
            bench.base = base::ensure(sh, base::Source::Auto, false, self.verbose)?;
        }
        if needs_series {
            for image in build::IMAGES {
                build::ensure_image(sh, image, &bench.base, self.verbose)?;
            }
        }
        for part in parts {
            let result = match part {
                Part::Noop => bench.noop(),
                Part::Sizes => bench.sizes(),
                Part::Up => bench.up(),
                Part::Walkthrough => bench.walkthroughs(),
                Part::Database => bench.database(),
                Part::Cold => bench.cold(),
                Part::Tests => bench.tests(),
            };
            match result {
                Ok(figures) => report.figures.extend(figures),
                Err(e) => {
                    eprintln!("bench: {part:?} failed: {e:#}");
                    failed.push(format!("{part:?}"));
                    report.figures.push(Figure::new(&format!("{part:?}").to_lowercase(), &format!("{part:?}"), Unit::Seconds).note(format!("failed: {e:#}")));
                }
            }
            // Written after every part, so an interrupted run still leaves what it measured.
            write(&out, &report)?;
        }
        sweep(sh, &run_id);

        for f in &report.figures {
            if f.met() == Some(false) {
                progress::note(&format!("target missed: {} ({})", f.what, f.target.map(|t| format!("{t:?}")).unwrap_or_default()));
            }
        }
        println!("{}", report::markdown(&report));
        eprintln!("bench: report written to {}/report.{{md,json,svg}}", out.display());
        if !failed.is_empty() {
            bail!("part(s) {} failed (the report says why)", failed.join(", "));
        }
        Ok(())
    }
}

fn names(parts: &[Part]) -> String {
    parts.iter().map(|p| format!("{p:?}").to_lowercase()).collect::<Vec<_>>().join(", ")
}

fn write(out: &std::path::Path, report: &Report) -> Result<()> {
    std::fs::write(out.join("report.md"), report::markdown(report))?;
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&report::json(report))? + "\n")?;
    std::fs::write(out.join("report.svg"), report::svg(report))?;
    Ok(())
}

struct Runner<'a> {
    sh: &'a Shell,
    runs: usize,
    heavy_runs: usize,
    verbose: bool,
    /// Names of what the bench makes: `jdx-bench-<pid>-...`.
    prefix: String,
    /// The base image the series' images use.
    base: String,
}

impl Runner<'_> {
    /// The no-op `base` (nothing changed) against `docker image inspect` of the same image.
    fn noop(&self) -> Result<Vec<Figure>> {
        let step = progress::Step::start(format!("Timing the no-op `base` ({} runs each)", self.runs));
        let mut fig = Figure::new("base-noop", "no-op `cargo xtask base` (nothing changed)", Unit::Seconds)
            .against("docker image inspect")
            .target(Target::Below(2.0))
            .note("the xtask binary as `cargo xtask` runs it; cargo's own up-to-date check is the next line");
        let inspect = ["image", "inspect", "--format", "{{.Id}}", self.base.as_str()];
        // One untimed run of each, so the file cache is warm for both.
        timed(xtask(&["base"]))?;
        timed(duct::cmd("docker", inspect))?;
        for _ in 0..self.runs {
            fig.samples.push(timed(xtask(&["base"]))?.0);
            fig.baseline.push(timed(duct::cmd("docker", inspect))?.0);
        }
        let mut cargo = Figure::new("cargo-check", "cargo's up-to-date check (`cargo xtask --version`)", Unit::Seconds)
            .note("add it to the line above for the whole `cargo xtask base`");
        let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let cargo_cmd = || duct::cmd(&cargo_bin, ["xtask", "--version"]).dir(paths::root());
        timed(cargo_cmd())?;
        for _ in 0..self.runs {
            cargo.samples.push(timed(cargo_cmd())?.0);
        }
        step.done(&format!("{:.2}s median", report::Stats::of(&fig.samples).map(|s| s.median).unwrap_or(0.0)));
        Ok(vec![fig, cargo])
    }

    /// Sizes of the base images: the local stand-in, the official one where present, the image `up` runs.
    fn sizes(&self) -> Result<Vec<Figure>> {
        let size = |image: &str| -> Option<f64> {
            engine::probe(self.sh, ["image", "inspect", "--format", "{{.Size}}", image]).and_then(|s| s.parse::<f64>().ok()).map(|b| b / 1e6)
        };
        let local = base::local_tag()?;
        let mut fig = Figure::new("base-size", &format!("local base image {local}"), Unit::Megabytes).against(&format!("official {}", base::OFFICIAL));
        match size(&local) {
            Some(mb) => fig.samples.push(mb),
            None => fig = fig.note("the local base image is not built here (the official one is used)"),
        }
        match size(base::OFFICIAL) {
            Some(mb) => fig.baseline.push(mb),
            None => {
                let why = "the official image is not present and no registry answers here";
                fig.note = if fig.note.is_empty() { why.into() } else { format!("{}; {why}", fig.note) };
            }
        }
        let mut series = Figure::new("series-size", &format!("{} (what `up` runs)", up::DEFAULT_IMAGE), Unit::Megabytes);
        series.samples.extend(size(up::DEFAULT_IMAGE));
        Ok(vec![fig, series])
    }

    /// Warm `up` against `docker run` + a 50 ms `docker logs` poll; the URL's detection latency in
    /// both; `up` when already running against `docker logs` + a search for the token.
    fn up(&self) -> Result<Vec<Figure>> {
        let mut warm = Figure::new("up-warm", "warm `cargo xtask up` (image built, no container)", Unit::Seconds)
            .against("docker run + 50 ms poll of docker logs for the token")
            .target(Target::RatioAtMost(1.10));
        let mut latency = Figure::new("url-latency", "URL line printed -> `up` knows it", Unit::Millis)
            .against("the 50 ms poll")
            .target(Target::Below(50.0))
            .note("from the line's `docker logs -t` timestamp");
        let mut running = Figure::new("up-running", "`cargo xtask up` when already running", Unit::Seconds)
            .against("docker logs + search for the token")
            .target(Target::Below(0.5));
        let volume = format!("{}-vol", self.prefix);
        let mut args = vec!["volume".to_string(), "create".into()];
        args.extend(engine::resource_labels());
        args.push(volume.clone());
        engine::docker(self.sh, &args)?;
        let _volume = Guard::new(&crate::engine::Docker::new(self.sh), Resource::Volume(volume.clone()));
        let notebooks = paths::notebooks_dir();
        std::fs::create_dir_all(notebooks.join("outputs"))?;

        for i in 0..self.runs {
            let step = progress::Step::start(format!("Timing warm `up` and plain `docker run` (run {}/{})", i + 1, self.runs));
            // Alternate which goes first, so neither always meets a busier engine.
            for is_xtask in [i % 2 == 0, i % 2 != 0] {
                if is_xtask {
                    let name = format!("{}-up-{i}", self.prefix);
                    let container = Guard::new(&crate::engine::Docker::new(self.sh), Resource::Container(name.clone()));
                    let up_args = ["up", "--name", name.as_str(), "--volume", volume.as_str(), "--port", "0", "--json"];
                    let (secs, out) = timed(xtask(&up_args).env(up::MARK_URL_ENV, "1"))?;
                    warm.samples.push(secs);
                    let seen = String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .find_map(|l| l.strip_prefix("url-seen-at ").and_then(|t| t.trim().parse::<f64>().ok()))
                        .context("`up` did not say when it saw the URL")?;
                    latency.samples.push((seen - url_printed_at(&name)?) * 1000.0);
                    // The same container, already running.
                    timed(xtask(&up_args))?;
                    running.samples.push(timed(xtask(&up_args))?.0);
                    drop(container);
                } else {
                    let name = format!("{}-plain-{i}", self.prefix);
                    let container = Guard::new(&crate::engine::Docker::new(self.sh), Resource::Container(name.clone()));
                    let (secs, found) = plain_run(&name, &volume, &notebooks)?;
                    warm.baseline.push(secs);
                    latency.baseline.push((found - url_printed_at(&name)?) * 1000.0);
                    running.baseline.push(time(|| poll_token(&name).map(|_| ()))?);
                    drop(container);
                }
            }
            step.done(&format!("up {:.2}s, plain {:.2}s", warm.samples[i], warm.baseline[i]));
        }
        Ok(vec![warm, latency, running])
    }

    /// Each article's walkthrough, sections in parallel against one after another.
    fn walkthroughs(&self) -> Result<Vec<Figure>> {
        let mut figures = Vec::new();
        for article in walkthrough::ARTICLES {
            let mut fig = Figure::new(&format!("walkthrough-{}", article.short), &format!("`walkthrough {} --parallel`", article.short), Unit::Seconds)
                .against("the same sections one after another");
            for i in 0..self.heavy_runs {
                let step = progress::Step::start(format!("Timing `walkthrough {}` in parallel and one after another (run {}/{})", article.short, i + 1, self.heavy_runs));
                for parallel in [i % 2 == 0, i % 2 != 0] {
                    let mut args = vec!["walkthrough", article.short];
                    if parallel {
                        args.push("--parallel");
                    }
                    let secs = timed(xtask(&args))?.0;
                    if parallel { fig.samples.push(secs) } else { fig.baseline.push(secs) }
                }
                step.done(&format!("parallel {:.1}s, one after another {:.1}s", fig.samples[i], fig.baseline[i]));
            }
            figures.push(fig);
        }
        Ok(figures)
    }

    /// A cold local base build, once each: the xtask's (fresh root filesystem, `--no-cache`) against
    /// the hand commands (mmdebstrap, docker import, pip download, docker build --no-cache).
    /// Everything is tagged under throwaway tags, removed at the end with the layers built on them.
    fn cold(&self) -> Result<Vec<Figure>> {
        let mut fig = Figure::new("base-cold", "cold `cargo xtask base` (fresh root filesystem, --no-cache)", Unit::Seconds)
            .against("mmdebstrap + docker import + pip download + docker build --no-cache")
            .note("once each: it takes minutes");
        let tag = |what: &str| format!("jdx-bench/{what}:{}", self.prefix.trim_start_matches("jdx-bench-"));
        let (x_rootfs, x_base, p_rootfs, p_base) = (tag("xtask-rootfs"), tag("xtask-base"), tag("plain-rootfs"), tag("plain-base"));
        let _guards: Vec<Guard> = [&x_base, &x_rootfs, &p_base, &p_rootfs].iter().map(|t| Guard::new(&crate::engine::Docker::new(self.sh), Resource::Image(t.to_string()))).collect();
        let result = (|| -> Result<()> {
            let step = progress::Step::start("Timing a cold `base` (the xtask's way)");
            let secs = time(|| base::build_cold(self.sh, &x_rootfs, &x_base, self.verbose))?;
            step.done(&format!("{secs:.0}s"));
            fig.samples.push(secs);
            let step = progress::Step::start("Timing a cold base build by hand (mmdebstrap, import, pip download, build --no-cache)");
            let secs = time(|| self.plain_cold(&p_rootfs, &p_base))?;
            step.done(&format!("{secs:.0}s"));
            fig.baseline.push(secs);
            Ok(())
        })();
        // The layers built on the throwaway root filesystems (the first stage is left untagged).
        for image in [&x_base, &p_base] {
            let _ = engine::probe(self.sh, ["image", "rm", image.as_str()]);
        }
        for rootfs in [&x_rootfs, &p_rootfs] {
            remove_descendants(self.sh, rootfs);
        }
        result?;
        Ok(vec![fig])
    }

    fn plain_cold(&self, rootfs: &str, tag: &str) -> Result<()> {
        let dir = tempfile::Builder::new().prefix("bench-cold-").tempdir_in(paths::cache_dir())?;
        let tar = dir.path().join("rootfs.tar");
        let run = |expr: duct::Expression, what: &str| -> Result<()> {
            let out = expr.stderr_to_stdout().stdout_capture().unchecked().run()?;
            if !out.status.success() {
                bail!("{what} failed: {}", engine::tail(&String::from_utf8_lossy(&out.stdout), 10));
            }
            Ok(())
        };
        run(duct::cmd!("mmdebstrap", "--variant=minbase", format!("--include={}", base::ROOTFS_PACKAGES), base::SUITE, &tar), "mmdebstrap")?;
        run(duct::cmd!("docker", "import", "--change", format!("LABEL {}", engine::MANAGED), &tar, rootfs), "docker import")?;
        let wheels = paths::cache_dir().join("wheels");
        let lock = paths::docker_dir().join("base/requirements.lock");
        let mut pip: Vec<String> = ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--require-hashes", "-r"].map(String::from).to_vec();
        pip.extend([lock.display().to_string(), "-d".into(), wheels.display().to_string()]);
        pip.extend(base::WHEEL_PLATFORM.iter().map(|s| s.to_string()));
        run(duct::cmd("python3", pip), "pip download")?;
        let context = dir.path().join("context");
        run(duct::cmd!("cp", "-r", paths::docker_dir().join("base"), &context), "cp docker/base")?;
        run(duct::cmd!("cp", "-r", &wheels, context.join("wheels")), "cp wheels")?;
        let mut args = vec!["build".to_string(), "--no-cache".into(), "--force-rm".into(), "--build-arg".into(), format!("ROOTFS_IMAGE={rootfs}")];
        args.extend(engine::image_labels());
        args.extend(["-t".into(), tag.into(), context.display().to_string()]);
        run(duct::cmd("docker", args), "docker build")
    }

    /// `cargo xtask test` against `cargo test --workspace`, both warm (images built).
    fn tests(&self) -> Result<Vec<Figure>> {
        let mut fig = Figure::new("tests-warm", "`cargo xtask test` (images built)", Unit::Seconds)
            .against("cargo test --workspace")
            .note("once each: it takes minutes");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let step = progress::Step::start("Timing the test suite, `cargo xtask test` then `cargo test --workspace`");
        // The suite makes its own run id and sweeps it: never hand it the bench's.
        let suite = |args: &[&str]| duct::cmd(&cargo, args).dir(paths::root()).env_remove(RUN_ID_ENV);
        // A failing suite is still timed; the report says it failed (the bench is no test gate).
        let mut failures = Vec::new();
        for (args, samples) in [(&["xtask", "test"][..], &mut fig.samples), (&["test", "--workspace"][..], &mut fig.baseline)] {
            let started = Instant::now();
            let out = suite(args).stdout_capture().stderr_capture().unchecked().run()?;
            samples.push(started.elapsed().as_secs_f64());
            if !out.status.success() {
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("test ") && l.ends_with("FAILED")).collect();
                failures.push(format!("`cargo {}` failed: {}", args.join(" "), if failed.is_empty() { "see its output".to_string() } else { failed.join(", ") }));
            }
        }
        step.done(&format!("{:.0}s and {:.0}s", fig.samples[0], fig.baseline[0]));
        if !failures.is_empty() {
            eprintln!("bench: {}", failures.join("; "));
            fig.note = format!("{}; timings of a failing run: {}", fig.note, failures.join("; "));
        }
        Ok(vec![fig])
    }
}

impl Runner<'_> {
    /// The MySQL server of `walkthrough mysql` (first start, fresh data directory): `docker run` then
    /// the xtask's wait (`db::wait_ready`), against `docker run` then the usual shell loop
    /// `until docker exec db mysqladmin ping; do sleep 1; done`.
    fn database(&self) -> Result<Vec<Figure>> {
        let server = crate::images::mysql::ensure(self.sh)?;
        let runs = self.runs.min(3);
        let mut fig = Figure::new("database-ready", "database accepts connections (`docker run` -> the xtask's wait)", Unit::Seconds)
            .against("docker run + `until docker exec db mysqladmin ping; do sleep 1; done`")
            .note(if server.official { "the official MySQL image".to_string() } else { format!("the MariaDB stand-in {}", server.image) });
        let password = walkthrough::db::new_password();
        let ping = |name: &str| {
            engine::probe(self.sh, ["exec", name, "mysqladmin", "--protocol=tcp", "-h127.0.0.1", "-P3306", "--connect-timeout=2", "ping"]).is_some()
        };
        for i in 0..runs {
            let step = progress::Step::start(format!("Timing the database's start, the xtask's wait and a plain loop (run {}/{runs})", i + 1));
            for is_xtask in [i % 2 == 0, i % 2 != 0] {
                let name = format!("{}-db-{i}-{}", self.prefix, if is_xtask { "xtask" } else { "plain" });
                let _container = Guard::new(&crate::engine::Docker::new(self.sh), Resource::Container(name.clone()));
                let mut args = vec!["run".to_string(), "-d".into(), "--name".into(), name.clone(), "-e".into(), format!("MYSQL_ROOT_PASSWORD={password}")];
                args.extend(engine::resource_labels());
                args.push(server.image.clone());
                let started = Instant::now();
                engine::docker(self.sh, &args)?;
                if is_xtask {
                    walkthrough::db::wait_ready(&crate::engine::Docker::new(self.sh), &name, Duration::from_secs(180)).with_context(|| format!("{name} did not accept connections within 180s"))?;
                    fig.samples.push(started.elapsed().as_secs_f64());
                } else {
                    while !ping(&name) {
                        if started.elapsed() > Duration::from_secs(180) {
                            bail!("{name} did not accept connections within 180s");
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    fig.baseline.push(started.elapsed().as_secs_f64());
                }
            }
            step.done(&format!("xtask {:.1}s, plain {:.1}s", fig.samples[i], fig.baseline[i]));
        }
        Ok(vec![fig])
    }
}

/// The xtask itself (the binary `cargo xtask` runs), from the project root.
fn xtask(args: &[&str]) -> duct::Expression {
    duct::cmd(xtask_exe(), args).dir(paths::root())
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
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        bail!("a timed command failed (exit {:?}):\n{}", out.status.code(), engine::tail(&text, 15));
    }
    Ok((secs, out))
}

fn time(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64())
}

fn token_regex() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"token=[0-9a-f]{48}").unwrap())
}

/// `docker logs NAME` (both streams) contains a token: what a person's poll looks for.
fn poll_token(name: &str) -> Result<bool> {
    let out = std::process::Command::new("docker").args(["logs", name]).output().context("running docker logs")?;
    Ok(token_regex().is_match(&String::from_utf8_lossy(&out.stdout)) || token_regex().is_match(&String::from_utf8_lossy(&out.stderr)))
}

/// The plain way, by hand: the same `docker run` as `up`'s, then `docker logs` every 50 ms until the
/// token shows. Returns the seconds it took and the Unix time the token was found.
fn plain_run(name: &str, volume: &str, notebooks: &std::path::Path) -> Result<(f64, f64)> {
    let started = Instant::now();
    let mut args = vec!["run".to_string(), "-d".into(), "--name".into(), name.into()];
    args.extend(engine::resource_labels());
    args.extend(["-p".into(), "127.0.0.1::8888".into(), "--security-opt".into(), "no-new-privileges".into()]);
    args.extend(["-v".into(), format!("{volume}:{}", up::OUTPUTS)]);
    args.extend(["--mount".into(), format!("type=bind,source={},target={},readonly", notebooks.display(), up::WORKDIR)]);
    args.extend(["--user".into(), "1000:100".into(), up::DEFAULT_IMAGE.into()]);
    timed(duct::cmd("docker", args))?;
    loop {
        if poll_token(name)? {
            return Ok((started.elapsed().as_secs_f64(), unix_now()));
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("no token in the log of {name} within 120s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// When the server printed its URL: the `docker logs -t` timestamp of the first URL line.
fn url_printed_at(name: &str) -> Result<f64> {
    let out = duct::cmd!("docker", "logs", "-t", name).stderr_to_stdout().stdout_capture().unchecked().run()?;
    let log = String::from_utf8_lossy(&out.stdout);
    log.lines()
        .find_map(|line| {
            let (stamp, text) = line.split_once(' ')?;
            crate::jupyter::url::parse_line(&crate::jupyter::url::strip_ansi(text))?;
            parse_timestamp(stamp)
        })
        .with_context(|| format!("no URL line with a timestamp in the log of {name}"))
}

/// `2026-07-20T10:11:12.123456789Z` -> Unix seconds (UTC only, as `docker logs -t` prints).
pub fn parse_timestamp(stamp: &str) -> Option<f64> {
    let stamp = stamp.strip_suffix('Z')?;
    let (date, time) = stamp.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':');
    let (h, min) = (t.next()?.parse::<i64>().ok()?, t.next()?.parse::<i64>().ok()?);
    let secs: f64 = t.next()?.parse().ok()?;
    Some((days_from_civil(y, m, day) * 86400 + h * 3600 + min * 60) as f64 + secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn utc_text(unix: f64) -> String {
    let secs = unix as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let s = secs.rem_euclid(86400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}

/// Removes what still carries the bench's run label (a child killed half-way), and says so.
fn sweep(sh: &Shell, run_id: &str) {
    let docker = engine::Docker::new(sh);
    for item in crate::engine::resources::leftovers(&docker, run_id).unwrap_or_default() {
        eprintln!("bench: removing leftover {item}");
    }
    crate::engine::resources::remove_run(&docker, run_id);
}

/// Removes the untagged images built on `image` (children first), then `image`'s own tag.
/// Only descendants of the bench's own throwaway root filesystem are touched.
fn remove_descendants(sh: &Shell, image: &str) {
    let Some(root) = engine::probe(sh, ["image", "inspect", "--format", "{{.Id}}", image]) else { return };
    let Some(all) = engine::probe(sh, ["images", "-a", "-q", "--no-trunc"]) else { return };
    let ids: Vec<&str> = all.lines().collect();
    let Some(parents) = engine::probe(sh, [&["image", "inspect", "--format", "{{.Id}} {{.Parent}}"][..], &ids].concat()) else { return };
    let parent_of: Vec<(String, String)> =
        parents.lines().filter_map(|l| l.split_once(' ')).map(|(id, p)| (id.to_string(), p.to_string())).collect();
    // Breadth-first from the root: parents come before their children.
    let mut family = vec![root.clone()];
    let mut i = 0;
    while i < family.len() {
        let current = family[i].clone();
        family.extend(parent_of.iter().filter(|(_, p)| *p == current).map(|(id, _)| id.clone()));
        i += 1;
    }
    for id in family.iter().skip(1).rev() {
        let tags = engine::probe(sh, ["image", "inspect", "--format", "{{len .RepoTags}}", id.as_str()]);
        if tags.as_deref() == Some("0") {
            let _ = engine::probe(sh, ["image", "rm", id.as_str()]);
        }
    }
    let _ = engine::probe(sh, ["image", "rm", image]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1.5));
        let t = parse_timestamp("2026-07-20T10:11:12.123456789Z").unwrap();
        assert_eq!(utc_text(t), "2026-07-20 10:11:12 UTC");
        assert!((t.fract() - 0.123456789).abs() < 1e-6);
        assert_eq!(parse_timestamp("2026-07-20 10:11:12"), None);
        assert_eq!(utc_text(951_782_400.0), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn parts_follow_only_skip_and_with_tests() {
        let bench = |only: Vec<Part>, skip: Vec<Part>, with_tests: bool| Bench { runs: None, quick: false, only, skip, with_tests, out: None, verbose: false };
        assert!(!bench(vec![], vec![], false).parts().contains(&Part::Tests));
        assert!(bench(vec![], vec![], true).parts().contains(&Part::Tests));
        assert_eq!(bench(vec![Part::Noop], vec![], false).parts(), vec![Part::Noop]);
        assert_eq!(bench(vec![Part::Tests], vec![], false).parts(), vec![Part::Tests]);
        assert!(!bench(vec![], vec![Part::Cold], false).parts().contains(&Part::Cold));
    }
}
