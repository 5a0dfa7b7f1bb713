//! Waiting for a container: one vocabulary for "until this shows or the deadline passes".

use std::io::{BufRead, BufReader};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Docker;

/// Polls `ready` every `every` until it holds (the time it took) or `limit` passes (`None`).
pub fn poll(limit: Duration, every: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if ready() {
            return Some(started.elapsed());
        }
        if started.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// A deadline `seconds` from now, saturating instead of overflowing for absurd values.
pub fn deadline(seconds: u64) -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(seconds))
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Until the container's healthcheck reports `healthy`: the time it took, or the last status seen.
pub fn healthy(
    docker: &Docker,
    container: &str,
    limit: Duration,
) -> std::result::Result<Duration, String> {
    let mut last = String::new();
    let format = "{{if .State.Health}}{{.State.Health.Status}}{{else}}no healthcheck{{end}}";
    poll(limit, Duration::from_millis(250), || {
        last = docker
            .probe(["container", "inspect", "--format", format, container])
            .unwrap_or_else(|| "gone".into());
        last == "healthy" || last == "unhealthy" || last == "gone"
    })
    .filter(|_| last == "healthy")
    .ok_or(last)
}

/// Until no container of that name exists.
pub fn gone(docker: &Docker, container: &str, limit: Duration) -> bool {
    poll(limit, Duration::from_millis(200), || {
        !docker.exists("container", container)
    })
    .is_some()
}

/// `docker logs -f` on a thread, its lines on a channel; the process is killed on Drop.
pub struct LogFollower {
    handle: Arc<duct::ReaderHandle>,
    pub lines: mpsc::Receiver<String>,
}

impl LogFollower {
    /// Follows the log of `container` (both streams), from `since` when given.
    pub fn start(docker: &Docker, container: &str, since: Option<&str>) -> Result<LogFollower> {
        let mut args = vec!["logs", "-f"];
        if let Some(since) = since {
            args.extend(["--since", since]);
        }
        args.push(container);
        let handle = Arc::new(
            docker
                .stream(args)
                .stderr_to_stdout()
                .unchecked()
                .reader()?,
        );
        let (tx, lines) = mpsc::channel();
        let reader = handle.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(&*reader).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(LogFollower { handle, lines })
    }
}

impl Drop for LogFollower {
    fn drop(&mut self) {
        let _ = self.handle.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_until_ready_or_the_limit() {
        let mut n = 0;
        assert!(poll(Duration::from_secs(1), Duration::from_millis(1), || {
            n += 1;
            n == 3
        })
        .is_some());
        assert_eq!(n, 3);
        assert!(
            poll(Duration::from_millis(20), Duration::from_millis(5), || {
                false
            })
            .is_none()
        );
        assert!(deadline(u64::MAX) > Instant::now());
    }
}
