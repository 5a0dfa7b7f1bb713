//! Article 4's claims, keyed to the steps of its Markdown: the literal mode is the article replayed
//! in the sandbox (its own compose file, written from its Markdown, run by `docker compose` as
//! written) with these checks. In the sandbox `docker compose` is a stand-in plugin handing over to
//! Compose v1: v1 names the built image `PROJECT_SERVICE` where the article's v2 shows
//! `PROJECT-SERVICE`, and pulls an image only when the engine lacks it.
//!
//! Each check only looks: at what its step printed, and at the sandbox's engine (inspect, ps,
//! logs, a read in a container). None starts, stops or changes what its claim is about.

use std::time::Duration;

use super::attached::url_line;
use crate::walkthrough::markdown::claims::{check, ClaimCheck, Probe};

mod detached;
mod start;

use detached::{
    detached, down_keeps_volume, down_removes, down_v_removes, file_browser, lab_opens, logs_url,
    ps_jupyter, ps_mysql, ps_mysqlx,
};
use start::{
    both_running, builds_image, network_and_volume, password_in_image, prefixed_url, pulls_images,
    reaches_db, ready_with_jupyter, stops_all, work_listing,
};

/// The article's names: the project folder, its containers, what Compose prefixes with the folder.
const JUPYTER: &str = "custom-jupyter-image";
const DB: &str = "mysql-db";
const NETWORK: &str = "jupyter_default";
const VOLUME: &str = "jupyter_mysql-data";
/// The compose file's root password: never shown in evidence.
const PASSWORD: &str = "my-secret-pw";

pub const CLAIMS: &[ClaimCheck] = &[
    check("ps-q-stops-all", "docker ps -q", stops_all),
    check("up-pulls-images", "docker compose up", pulls_images),
    check("up-builds-jupyter", "docker compose up", builds_image),
    check(
        "up-creates-network-volume",
        "docker compose up",
        network_and_volume,
    ),
    check("up-starts-containers", "docker compose up", both_running),
    check("attached-log-prefixed", "docker compose up", prefixed_url),
    check(
        "depends-on-db-ready",
        "docker compose up",
        ready_with_jupyter,
    ),
    check("work-lacks-build-files", "docker compose up", work_listing),
    check("jupyter-reaches-mysql", "docker compose up", reaches_db),
    check(
        "password-out-of-image",
        "docker compose up",
        password_in_image,
    ),
    check("up-d-detached", "docker compose up -d", detached),
    check(
        "logs-token-url",
        "docker logs custom-jupyter-image",
        logs_url,
    ),
    check(
        "token-link-opens",
        "docker logs custom-jupyter-image",
        lab_opens,
    ),
    check(
        "file-browser-lists",
        "docker logs custom-jupyter-image",
        file_browser,
    ),
    check("ps-lists-jupyter", "docker ps #2", ps_jupyter),
    check("ps-lists-mysql", "docker ps #2", ps_mysql),
    check("ps-lists-x-port", "docker ps #2", ps_mysqlx),
    check(
        "down-removes-containers",
        "docker compose down",
        down_removes,
    ),
    check(
        "down-keeps-volume",
        "docker compose down",
        down_keeps_volume,
    ),
    check(
        "down-v-removes-volume",
        "docker compose down -v",
        down_v_removes,
    ),
];

/// The attached `up` keeps running, and the replay moves on from it after a bounded wait, maybe
/// while it still pulls or builds: a claim about what it does waits (up to `UP_LIMIT`) until its
/// Jupyter container printed the URL, or `up` ended; how long it waited goes in the evidence.
fn up_done(p: &Probe) -> String {
    let (_, waited) = p.within(UP_LIMIT, || {
        (p.exit().is_some() || url_line(&p.lines(), &[JUPYTER.to_string()]).is_some()).then_some(())
    });
    format!("[waited {:.1}s for `up`'s URL line] ", waited.as_secs_f64())
}

const UP_LIMIT: Duration = Duration::from_secs(600);

/// A Jupyter token (or the password) never goes into evidence.
fn masked(text: &str) -> String {
    crate::jupyter::token::redact(text, &[PASSWORD.to_string()])
}

/// `docker ps` of the sandbox's engine: `NAME\tIMAGE\tSTATUS\tPORTS` lines.
fn running(p: &Probe) -> String {
    p.docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}",
    ])
    .stdout
    .trim()
    .to_string()
}

fn is_up(listing: &str, name: &str) -> bool {
    listing.lines().any(|l| {
        l.split('\t').next() == Some(name)
            && l.split('\t').nth(2).is_some_and(|s| s.starts_with("Up"))
    })
}

/// The image Compose built for the service `jupyter` of the project `jupyter`: `jupyter-jupyter`
/// (v2, as the article shows) or `jupyter_jupyter` (v1, which the sandbox's stand-in plugin runs).
fn built_image(p: &Probe) -> Option<&'static str> {
    ["jupyter-jupyter", "jupyter_jupyter"]
        .into_iter()
        .find(|i| {
            p.docker(&["image", "inspect", "--format", "{{.Id}}", i])
                .ok()
        })
}

/// The compose version that ran: the stand-in plugin says so in its version.
fn compose_version(p: &Probe) -> String {
    let out = p.shell(
        "docker compose version --short 2>/dev/null; docker compose version 2>&1 | head -n 1",
    );
    out.stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Seconds since the epoch of an RFC 3339 UTC time as docker prints it (`2026-11-27T14:40:29.12Z`).
fn epoch_seconds(stamp: &str) -> Option<f64> {
    let (date, time) = stamp.trim().trim_end_matches('Z').split_once('T')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), as in H. Hinnant's algorithm.
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let fraction: f64 = format!("0.{frac}").parse().ok()?;
    Some((days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) as f64 + fraction)
}

/// A MySQL log line saying the server listens on 3306 (not the X plugin's 33060).
fn listens_on_3306(line: &str) -> bool {
    line.match_indices("port: 3306")
        .any(|(at, m)| !line[at + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// The row of a `docker ps` table (as the step printed it) whose last column is `name`.
fn ps_row(lines: &[String], name: &str) -> Option<String> {
    lines
        .iter()
        .find(|l| l.split_whitespace().last() == Some(name))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::claims::step_of;
    use crate::walkthrough::markdown::reader::read;

    #[test]
    fn every_claim_finds_its_step_in_the_article() {
        let path = crate::paths::root()
            .join("../shared/series/multi-container-orchestration-docker-compose.md");
        let Ok(article) = std::fs::read_to_string(&path) else {
            return;
        };
        let steps = read(&article);
        for c in CLAIMS {
            assert!(
                step_of(c.after, &steps).is_some(),
                "{} -> {}",
                c.id,
                c.after
            );
        }
        let line = |after: &str| steps[step_of(after, &steps).unwrap()].line;
        assert!(
            line("docker ps #2") > line("docker logs custom-jupyter-image"),
            "the second terminal's docker ps, not the note's docker ps -q"
        );
        assert!(line("docker compose up") < line("docker compose up -d"));
    }

    #[test]
    fn docker_times_and_rows() {
        let a = epoch_seconds("2026-11-27T14:40:29.5Z").unwrap();
        let b = epoch_seconds("2026-11-27T14:40:33.123456789Z").unwrap();
        assert!((b - a - 3.623456789).abs() < 1e-6, "{}", b - a);
        assert_eq!(epoch_seconds("1970-01-02T00:00:00Z"), Some(86_400.0));
        assert_eq!(epoch_seconds("yesterday"), None);
        let lines = ["CONTAINER ID   IMAGE   NAMES".to_string(), "63a0fa58d201   mysql   \"docker-entrypoint.s…\"   Up 3 minutes   3306/tcp, 33060/tcp   mysql-db".to_string()];
        assert_eq!(
            ps_row(&lines, "mysql-db").unwrap(),
            "63a0fa58d201 mysql \"docker-entrypoint.s…\" Up 3 minutes 3306/tcp, 33060/tcp mysql-db"
        );
        assert!(listens_on_3306(
            "Version: '10.11'  socket: '/run/mysqld/mysqld.sock'  port: 3306  Debian 12"
        ));
        assert!(!listens_on_3306(
            "X Plugin ready for connections. Bind-address: '::' port: 33060"
        ));
        assert!(!listens_on_3306(
            "Version: '10.11'  socket: '/run/mysqld/mysqld.sock'  port: 0  Debian 12"
        ));
        assert_eq!(
            masked("x token=6760f5aa6f3395aed5f773401e869babc0e4bb02f9ea8a4f my-secret-pw"),
            "x token=<redacted> <redacted>"
        );
    }
}
