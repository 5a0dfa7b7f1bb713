//! Talking to the walkthroughs' MySQL servers: when they became ready, queries, row counts (the
//! server's own readiness and passwords are its image's: `images::mysql`).

use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::engine::{wait, Docker};
use crate::images::mysql;

/// Seconds from `since` to now (0 when the clock went back).
pub fn seconds_since(since: SystemTime) -> f64 {
    since.elapsed().map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// When a server first accepted a TCP connection, in seconds from the moment it was started
/// (`docker run` or `up` returned or was launched): measured by probing on a thread, while the
/// article's steps go on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Readiness {
    /// The first probe that found the container running.
    pub running_at: Option<f64>,
    /// The last probe that was refused, if any (the server was not ready then).
    pub refused_at: Option<f64>,
    /// The first probe that was accepted, or None within the limit.
    pub accepted_at: Option<f64>,
}

impl Readiness {
    /// For a claim's evidence: `running by 0.3s, first accepted a TCP connection at 9.8s (the
    /// probe before, at 9.3s, was refused)`.
    pub fn describe(&self) -> String {
        let running = self
            .running_at
            .map(|t| format!("running by {t:.1}s"))
            .unwrap_or_else(|| "never seen running".into());
        let refused = self
            .refused_at
            .map(|t| format!(" (the probe before, at {t:.1}s, was refused)"))
            .unwrap_or_else(|| " (the first probe)".into());
        match self.accepted_at {
            Some(t) => format!("{running}, first accepted a TCP connection at {t:.1}s{refused}"),
            None => format!("{running}, accepted no TCP connection{refused}"),
        }
    }
}

/// Probes `container` every 250 ms from now until it accepts a TCP connection on `port` or
/// `limit` passes (a container that does not run yet counts as refused).
pub struct ReadyClock {
    probe: JoinHandle<Readiness>,
}

impl ReadyClock {
    pub fn start(
        docker: &Docker,
        container: &str,
        port: u16,
        since: SystemTime,
        limit: Duration,
    ) -> ReadyClock {
        let (docker, container) = (docker.clone(), container.to_string());
        let probe = std::thread::spawn(move || {
            let mut seen = Readiness::default();
            wait::poll(limit, Duration::from_millis(250), || {
                if seen.running_at.is_none() {
                    if !docker
                        .container_state(&container)
                        .is_some_and(|c| c.running)
                    {
                        seen.refused_at = Some(seconds_since(since));
                        return false;
                    }
                    seen.running_at = Some(seconds_since(since));
                }
                let accepted = mysql::accepts_on(&docker, &container, port);
                let at = seconds_since(since);
                if accepted {
                    seen.accepted_at = Some(at);
                } else {
                    seen.refused_at = Some(at);
                }
                accepted
            });
            seen
        });
        ReadyClock { probe }
    }

    /// Waits for the measurement to end.
    pub fn result(self) -> Readiness {
        self.probe.join().unwrap_or_default()
    }
}

/// `SQL` run by the root user inside `container` (password through MYSQL_PWD, not the command line);
/// its tab-separated output.
pub fn query(docker: &Docker, container: &str, password: &str, sql: &str) -> Option<String> {
    let pwd = format!("MYSQL_PWD={password}");
    docker.probe([
        "exec",
        "-e",
        pwd.as_str(),
        container,
        "mysql",
        "-uroot",
        "-N",
        "-B",
        "-e",
        sql,
    ])
}

/// Rows in `scooter_trips.TABLE`, or None when the table (or the server) is not there.
pub fn count_rows(docker: &Docker, container: &str, password: &str, table: &str) -> Option<u64> {
    query(
        docker,
        container,
        password,
        &format!("SELECT COUNT(*) FROM scooter_trips.{table}"),
    )?
    .trim()
    .parse()
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_says_what_the_probes_saw() {
        let ready = Readiness {
            running_at: Some(0.26),
            refused_at: Some(9.31),
            accepted_at: Some(9.8),
        };
        assert_eq!(ready.describe(), "running by 0.3s, first accepted a TCP connection at 9.8s (the probe before, at 9.3s, was refused)");
        assert_eq!(
            Readiness {
                running_at: Some(1.0),
                refused_at: None,
                accepted_at: Some(1.0)
            }
            .describe(),
            "running by 1.0s, first accepted a TCP connection at 1.0s (the first probe)"
        );
        assert_eq!(
            Readiness::default().describe(),
            "never seen running, accepted no TCP connection (the first probe)"
        );
    }
}
