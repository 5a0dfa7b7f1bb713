//! Talking to the walkthroughs' MySQL servers: readiness, queries, row counts, throwaway passwords.

use std::time::Duration;

use crate::engine::{wait, Docker};

/// Polls until the server in `container` accepts TCP connections (not just its socket, which the
/// first-start initialisation opens early); the seconds it took, or None after `limit`.
pub fn wait_ready(docker: &Docker, container: &str, limit: Duration) -> Option<f64> {
    wait::poll(limit, Duration::from_millis(250), || accepts(docker, container)).map(|took| took.as_secs_f64())
}

/// Does the server in `container` answer on TCP 127.0.0.1:3306 now?
pub fn accepts(docker: &Docker, container: &str) -> bool {
    docker.probe(["exec", container, "mysqladmin", "--protocol=tcp", "-h127.0.0.1", "-P3306", "--connect-timeout=2", "ping"]).is_some()
}

/// `SQL` run by the root user inside `container` (password through MYSQL_PWD, not the command line);
/// its tab-separated output.
pub fn query(docker: &Docker, container: &str, password: &str, sql: &str) -> Option<String> {
    let pwd = format!("MYSQL_PWD={password}");
    docker.probe(["exec", "-e", pwd.as_str(), container, "mysql", "-uroot", "-N", "-B", "-e", sql])
}

/// Rows in `scooter_trips.TABLE`, or None when the table (or the server) is not there.
pub fn count_rows(docker: &Docker, container: &str, password: &str, table: &str) -> Option<u64> {
    query(docker, container, password, &format!("SELECT COUNT(*) FROM scooter_trips.{table}"))?.trim().parse().ok()
}

/// A throwaway password for one walkthrough (the articles' placeholders need a value).
pub fn new_password() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("wt-{}-{nanos:08x}", std::process::id())
}
