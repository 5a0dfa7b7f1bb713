//! Talking to the walkthroughs' MySQL servers: readiness, queries, row counts, throwaway passwords.

use std::time::{Duration, Instant};

use xshell::Shell;

use crate::engine;

/// Polls until the server in `container` accepts TCP connections (not just its socket, which the
/// first-start initialisation opens early); the seconds it took, or None after `limit`.
pub fn wait_ready(sh: &Shell, container: &str, limit: Duration) -> Option<f64> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if accepts(sh, container) {
            return Some(started.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

/// Does the server in `container` answer on TCP 127.0.0.1:3306 now?
pub fn accepts(sh: &Shell, container: &str) -> bool {
    engine::probe(sh, ["exec", container, "mysqladmin", "--protocol=tcp", "-h127.0.0.1", "-P3306", "--connect-timeout=2", "ping"]).is_some()
}

/// `SQL` run by the root user inside `container` (password through MYSQL_PWD, not the command line);
/// its tab-separated output.
pub fn query(sh: &Shell, container: &str, password: &str, sql: &str) -> Option<String> {
    let pwd = format!("MYSQL_PWD={password}");
    engine::probe(sh, ["exec", "-e", pwd.as_str(), container, "mysql", "-uroot", "-N", "-B", "-e", sql])
}

/// Rows in `scooter_trips.TABLE`, or None when the table (or the server) is not there.
pub fn count_rows(sh: &Shell, container: &str, password: &str, table: &str) -> Option<u64> {
    query(sh, container, password, &format!("SELECT COUNT(*) FROM scooter_trips.{table}"))?.trim().parse().ok()
}

/// A throwaway password for one walkthrough (the articles' placeholders need a value).
pub fn new_password() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("wt-{}-{nanos:08x}", std::process::id())
}
