//! Warm `up`, the URL's detection latency, and `up` when already running, each against the plain
//! docker commands a person would type.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use regex::Regex;

use super::report::{Figure, Target, Unit};
use super::{time, timed, unix_now, Runner};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{Created, Mount, Publish, RunSpec};
use crate::jupyter::url::{parse_line, strip_ansi};
use crate::jupyter::{DEFAULT_IMAGE, MARK_URL_ENV, OUTPUTS, PORT, WORKDIR};
use crate::{paths, progress};

impl Runner<'_> {
    /// Warm `up` against `docker run` + a 50 ms `docker logs` poll; the URL's detection latency in
    /// both; `up` when already running against `docker logs` + a search for the token.
    pub(super) fn up(&self) -> Result<Vec<Figure>> {
        let (mut warm, mut latency, mut running) = up_figures();
        let fixture = self.up_fixture()?;
        let (image, volume) = (&fixture.image, &fixture.volume);
        let notebooks = paths::notebooks_dir();
        std::fs::create_dir_all(notebooks.join("outputs"))?;

        for i in 0..self.runs {
            let step = progress::Step::start(format!(
                "Timing warm `up` and plain `docker run` (run {}/{})",
                i + 1,
                self.runs
            ));
            // Alternate which goes first, so neither always meets a busier engine.
            for is_xtask in [i % 2 == 0, i % 2 != 0] {
                if is_xtask {
                    let up = self.time_xtask_up(i, image, volume, |_| Ok(()))?;
                    warm.samples.push(up.warm);
                    latency.samples.push(up.latency_ms);
                    running.samples.push(up.running);
                } else {
                    let plain = self.time_plain_up(i, image, volume, &notebooks)?;
                    warm.baseline.push(plain.warm);
                    latency.baseline.push(plain.latency_ms);
                    running.baseline.push(plain.running);
                }
            }
            step.done(&format!(
                "up {:.2}s, plain {:.2}s",
                warm.samples[i], warm.baseline[i]
            ));
        }
        Ok(vec![warm, latency, running])
    }

    /// What `up` runs in the bench: a tag of its own of the image `up` runs, so that a rebuild of
    /// the shared tag by someone else (another checkout, another base) cannot change the image
    /// between runs, and a volume; both removed when it drops.
    pub(super) fn up_fixture(&self) -> Result<UpFixture> {
        let image = format!(
            "jdx-bench/up:{}",
            self.prefix.trim_start_matches("jdx-bench-")
        );
        self.docker.output(["tag", DEFAULT_IMAGE, image.as_str()])?;
        let image_guard = Guard::new(&self.docker, Resource::Image(image.clone()));
        let volume = format!("{}-vol", self.prefix);
        let made = self.docker.create_volume(&volume, &[])?;
        let volume_guard = (made == Created::Now)
            .then(|| Guard::new(&self.docker, Resource::Volume(volume.clone())));
        Ok(UpFixture {
            image,
            volume,
            _volume: volume_guard,
            _image: image_guard,
        })
    }

    /// Run `i` of `cargo xtask up` in a container of its own: warm, the URL's latency, then again
    /// on the running container; then `while_running` on the container's name, before it goes.
    pub(super) fn time_xtask_up(
        &self,
        i: usize,
        image: &str,
        volume: &str,
        while_running: impl FnOnce(&str) -> Result<()>,
    ) -> Result<UpTimes> {
        let name = format!("{}-up-{i}", self.prefix);
        let _container = Guard::new(&self.docker, Resource::Container(name.clone()));
        let up_args = [
            "up",
            "--name",
            name.as_str(),
            "--volume",
            volume,
            "--image",
            image,
            "--port",
            "0",
            "--json",
        ];
        let (warm, out) = timed(self.cargo_xtask(&up_args).env(MARK_URL_ENV, "1"))?;
        let seen = String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| {
                l.strip_prefix("url-seen-at ")
                    .and_then(|t| t.trim().parse::<f64>().ok())
            })
            .context("`up` did not say when it saw the URL")?;
        let latency_ms = seconds_after(seen, self.url_printed_at(&name)?) * 1000.0;
        // The same container, already running.
        timed(self.xtask(&up_args))?;
        let running = timed(self.xtask(&up_args))?.0;
        while_running(&name)?;
        Ok(UpTimes {
            warm,
            latency_ms,
            running,
        })
    }

    /// Run `i` of the plain way in a container of its own: `docker run` and a poll of its logs,
    /// the URL's latency, then a search of the logs for the token.
    fn time_plain_up(
        &self,
        i: usize,
        image: &str,
        volume: &str,
        notebooks: &Path,
    ) -> Result<UpTimes> {
        let name = format!("{}-plain-{i}", self.prefix);
        let _container = Guard::new(&self.docker, Resource::Container(name.clone()));
        let (warm, found) = self.plain_run(image, &name, volume, notebooks)?;
        let latency_ms = seconds_after(found, self.url_printed_at(&name)?) * 1000.0;
        let running = time(|| self.poll_token(&name).map(|_| ()))?;
        Ok(UpTimes {
            warm,
            latency_ms,
            running,
        })
    }

    /// `docker logs NAME` (both streams) contains a token: what a person's poll looks for.
    fn poll_token(&self, name: &str) -> Result<bool> {
        static TOKEN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let token = TOKEN.get_or_init(|| Regex::new(r"token=[0-9a-f]{48}").expect("valid regex"));
        let out = self
            .docker
            .status(["logs", name])
            .context("running docker logs")?;
        Ok(token.is_match(&out.stdout) || token.is_match(&out.stderr))
    }

    /// The plain way, by hand: the same `docker run` as `up`'s, then `docker logs` every 50 ms until
    /// the token shows. Returns the seconds it took and the Unix time the token was found.
    fn plain_run(
        &self,
        image: &str,
        name: &str,
        volume: &str,
        notebooks: &Path,
    ) -> Result<(f64, f64)> {
        let started = Instant::now();
        let spec = RunSpec::detached(image, name)
            .publish(Publish::loopback(None, PORT))
            .no_new_privileges()
            .mount(Mount::volume(volume, OUTPUTS))
            .mount(Mount::bind(notebooks, WORKDIR, true))
            .user("1000:100");
        self.docker.run(&spec)?;
        loop {
            if self.poll_token(name)? {
                return Ok((started.elapsed().as_secs_f64(), unix_now()));
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("no token in the log of {name} within 120s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// When the server printed its URL, in seconds after midnight (UTC): the `docker logs -t`
    /// timestamp of the first URL line.
    fn url_printed_at(&self, name: &str) -> Result<f64> {
        let out = self
            .docker
            .stream(["logs", "-t", name])
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()?;
        let log = String::from_utf8_lossy(&out.stdout);
        log.lines()
            .find_map(|line| {
                let (stamp, text) = line.split_once(' ')?;
                parse_line(&strip_ansi(text))?;
                seconds_of_day(stamp)
            })
            .with_context(|| format!("no URL line with a timestamp in the log of {name}"))
    }
}

/// `2026-07-20T10:11:12.123456789Z` -> seconds after that day's midnight (UTC, as `docker logs -t`
/// prints). The date is not needed: the gaps measured are far shorter than a day.
fn seconds_of_day(stamp: &str) -> Option<f64> {
    let (_, time) = stamp.strip_suffix('Z')?.split_once('T')?;
    let mut parts = time.splitn(3, ':');
    let (hours, minutes) = (
        parts.next()?.parse::<u32>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
    );
    let seconds: f64 = parts.next()?.parse().ok()?;
    Some(f64::from(hours * 3600 + minutes * 60) + seconds)
}

/// How long after `printed` (seconds after midnight) the Unix time `later` is, for gaps under
/// half a day, across midnight too.
fn seconds_after(later: f64, printed: f64) -> f64 {
    const DAY: f64 = 86_400.0;
    let gap = (later.rem_euclid(DAY) - printed).rem_euclid(DAY);
    if gap > DAY / 2.0 {
        gap - DAY
    } else {
        gap
    }
}

/// One run's times, by `up` or by the plain commands.
pub(super) struct UpTimes {
    /// Warm `up` (or `docker run`) to the URL.
    pub(super) warm: f64,
    latency_ms: f64,
    running: f64,
}

/// The image tag and volume `up` runs with in the bench (the volume first to go).
pub(super) struct UpFixture {
    pub(super) image: String,
    pub(super) volume: String,
    _volume: Option<Guard>,
    _image: Guard,
}

/// The three figures `up` fills: warm, the URL's latency, already running.
fn up_figures() -> (Figure, Figure, Figure) {
    let warm = Figure::new("up-warm", "warm `cargo xtask up` (image built, no container)", Unit::Seconds)
        .against("docker run + 50 ms poll of docker logs for the token")
        .target(Target::RatioAtMost(1.10))
        .note("as a person runs it: `cargo xtask up`, cargo's up-to-date check included; both on a tag of their own of the image `up` runs (a rebuild of the shared tag by another checkout cannot change it between runs)");
    let latency = Figure::new(
        "url-latency",
        "URL line printed -> `up` knows it",
        Unit::Millis,
    )
    .against("the 50 ms poll")
    .target(Target::Below(50.0))
    .note("from the line's `docker logs -t` timestamp");
    let running = Figure::new(
        "up-running",
        "`cargo xtask up` when already running",
        Unit::Seconds,
    )
    .against("docker logs + search for the token")
    .target(Target::Below(0.5));
    (warm, latency, running)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_timestamps() {
        assert_eq!(seconds_of_day("1970-01-01T00:00:01.5Z"), Some(1.5));
        let t = seconds_of_day("2026-07-20T10:11:12.123456789Z").unwrap();
        assert!((t - 36_672.123456789).abs() < 1e-6);
        assert_eq!(seconds_of_day("2026-07-20 10:11:12"), None);
    }

    #[test]
    fn gaps_across_midnight() {
        // 2026-07-20 10:11:12.5 UTC is 1784542272.5 Unix seconds.
        assert!((seconds_after(1_784_542_272.5, 36_672.0) - 0.5).abs() < 1e-6);
        assert!((seconds_after(1_784_542_272.0, 36_672.5) + 0.5).abs() < 1e-6);
        // Printed at 23:59:59.9, seen at 00:00:00.1 the next day.
        assert!((seconds_after(1_784_592_000.1, 86_399.9) - 0.2).abs() < 1e-6);
    }
}
