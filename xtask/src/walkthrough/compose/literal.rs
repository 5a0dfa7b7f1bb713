//! Article 4's claims, keyed to the steps of its Markdown: the literal mode is the article replayed
//! in the sandbox (its own compose file, written from its Markdown, run by `docker compose` as
//! written) with these checks. In the sandbox `docker compose` is a stand-in plugin handing over to
//! Compose v1: v1 names the built image `PROJECT_SERVICE` where the article's v2 shows
//! `PROJECT-SERVICE`, and pulls an image only when the engine lacks it.
//!
//! Each check only looks: at what its step printed, and at the sandbox's engine (inspect, ps,
//! logs, a read in a container). None starts, stops or changes what its claim is about.

use std::time::Duration;

use super::attached::{split_prefix, url_line};
use crate::jupyter::url::{find_url, strip_ansi};
use crate::walkthrough::markdown::claims::{seen, ClaimCheck, Observed, Probe};

const START: &str = "Start Services with Docker Compose";
const STOP: &str = "Stop Services with Docker Compose";

/// The article's names: the project folder, its containers, what Compose prefixes with the folder.
const JUPYTER: &str = "custom-jupyter-image";
const DB: &str = "mysql-db";
const NETWORK: &str = "jupyter_default";
const VOLUME: &str = "jupyter_mysql-data";
/// The compose file's root password: never shown in evidence.
const PASSWORD: &str = "my-secret-pw";

pub const CLAIMS: &[ClaimCheck] = &[
    ClaimCheck { section: "Before You Begin", after: "docker ps -q", claim: "`docker ps -q` stops all containers (\"First stop all containers\")", expected: false, check: stops_all },
    ClaimCheck { section: START, after: "docker compose up", claim: "`docker compose up` pulls the images it needs (mysql, and jupyter/minimal-notebook for the build)", expected: true, check: pulls_images },
    ClaimCheck { section: START, after: "docker compose up", claim: "`docker compose up` builds the Jupyter image, named after the project folder and the service (jupyter-jupyter)", expected: true, check: builds_image },
    ClaimCheck { section: START, after: "docker compose up", claim: "`docker compose up` creates the default network jupyter_default and the named volume as jupyter_mysql-data", expected: true, check: network_and_volume },
    ClaimCheck { section: START, after: "docker compose up", claim: "`docker compose up` starts the containers mysql-db and custom-jupyter-image", expected: true, check: both_running },
    ClaimCheck { section: START, after: "docker compose up", claim: "attached, `up` prints the Jupyter container's log lines prefixed `custom-jupyter-image  |`, the token URL among them", expected: true, check: prefixed_url },
    ClaimCheck { section: START, after: "docker compose up", claim: "with `depends_on`, MySQL accepts connections as soon as the Jupyter container runs", expected: false, check: ready_with_jupyter },
    ClaimCheck { section: START, after: "docker compose up", claim: "/work in the Jupyter container lacks Dockerfile and docker-compose.yaml (.dockerignore)", expected: true, check: work_listing },
    ClaimCheck { section: START, after: "docker compose up", claim: "the Jupyter container reaches MySQL by the name mysql-db with the credentials the build arguments baked in", expected: true, check: reaches_db },
    ClaimCheck { section: START, after: "docker compose up", claim: "the root password stays out of the Jupyter image", expected: false, check: password_in_image },
    ClaimCheck { section: START, after: "docker compose up -d", claim: "`docker compose up -d` runs the services detached and gives the terminal back", expected: true, check: detached },
    ClaimCheck { section: START, after: "docker logs custom-jupyter-image", claim: "`docker logs custom-jupyter-image` shows the Jupyter token URL", expected: true, check: logs_url },
    ClaimCheck { section: START, after: "docker logs custom-jupyter-image", claim: "the http://127.0.0.1:8888/lab?token=XXXX link opens JupyterLab", expected: true, check: lab_opens },
    ClaimCheck { section: START, after: "docker logs custom-jupyter-image", claim: "JupyterLab's file browser lists the outputs folder and computation.ipynb", expected: false, check: file_browser },
    ClaimCheck { section: STOP, after: "docker ps #2", claim: "`docker ps` lists custom-jupyter-image, of image jupyter-jupyter, (healthy) with 0.0.0.0:8888->8888/tcp", expected: true, check: ps_jupyter },
    ClaimCheck { section: STOP, after: "docker ps #2", claim: "`docker ps` lists mysql-db, of image mysql, with 3306/tcp not published", expected: true, check: ps_mysql },
    ClaimCheck { section: STOP, after: "docker ps #2", claim: "`docker ps` lists mysql-db's X protocol port 33060/tcp", expected: false, check: ps_mysqlx },
    ClaimCheck { section: STOP, after: "docker compose down", claim: "`docker compose down` removes both containers and the network jupyter_default", expected: true, check: down_removes },
    ClaimCheck { section: STOP, after: "docker compose down", claim: "`docker compose down` keeps the named volume jupyter_mysql-data and MySQL's data in it", expected: true, check: down_keeps_volume },
    ClaimCheck { section: STOP, after: "docker compose down -v", claim: "`docker compose down -v` removes the named volume as well", expected: true, check: down_v_removes },
];

// ---- small helpers ------------------------------------------------------------------------------

/// The step's output, as its terminal showed it: ANSI escapes and carriage returns gone.
fn printed(p: &Probe) -> Vec<String> {
    p.output().lines().map(strip_ansi).collect()
}

/// The attached `up` keeps running, and the replay moves on from it after a bounded wait, maybe
/// while it still pulls or builds: a claim about what it does waits (up to `UP_LIMIT`) until its
/// Jupyter container printed the URL, or `up` ended; how long it waited goes in the evidence.
fn up_done(p: &Probe) -> String {
    let (_, waited) = p.within(UP_LIMIT, || {
        (p.exit().is_some() || url_line(&printed(p), &[JUPYTER.to_string()]).is_some())
            .then_some(())
    });
    format!("[waited {:.1}s for `up`'s URL line] ", waited.as_secs_f64())
}

const UP_LIMIT: Duration = Duration::from_secs(600);

/// A Jupyter token (or the password) never goes into evidence.
fn masked(text: &str) -> String {
    let token = regex::Regex::new(r"token=[0-9a-f]{32,}").expect("a valid pattern");
    token
        .replace_all(text, "token=<48 hex>")
        .replace(PASSWORD, "<redacted>")
}

fn exit_of(p: &Probe) -> String {
    p.exit()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "none (still running)".into())
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

// ---- the checks ---------------------------------------------------------------------------------

fn stops_all(p: &Probe) -> Observed {
    let listing = running(p);
    Observed::NotCheckable(format!(
        "no container runs in the sandbox's fresh engine when the note's step comes (docker ps -a: {}), so whether it would stop one cannot be seen; `docker ps -q` only prints IDs (exit {}, {} line(s)): STEPS inconsistency 1",
        if listing.is_empty() { "empty".to_string() } else { listing.replace('\t', " ").replace('\n', "; ") },
        exit_of(p),
        p.output().lines().count()
    ))
}

/// Compose (and the build) pull only what the engine lacks, and every replay's sandbox lacks
/// both: it starts with the stand-ins' layers under warm-cache names only (`sandbox::warm_up`,
/// a fresh overlay per run) and nothing of the article pulls them before `up`. So a pull not seen
/// is the claim failing, warm cache or cold, never a verdict of its own.
fn pulls_images(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = printed(p);
    // The mysql service's image, and the build's FROM.
    let images = [
        ("mysql", "library/mysql"),
        ("jupyter/minimal-notebook", "jupyter/minimal-notebook"),
    ];
    let pulls: Vec<Vec<&String>> = images
        .iter()
        .map(|(image, repo)| {
            lines
                .iter()
                .filter(|l| {
                    l.contains(&format!("Pulling from {repo}"))
                        || l.contains(&format!("newer image for {image}"))
                        || l.contains(&format!("Pulling {image} "))
                })
                .collect()
        })
        .collect();
    let present: Vec<bool> = images
        .iter()
        .map(|(image, _)| {
            p.docker(&["image", "inspect", "--format", "{{.Id}}", image])
                .ok()
        })
        .collect();
    let said = |k: usize| {
        if pulls[k].is_empty() {
            "no pull".to_string()
        } else {
            pulls[k]
                .iter()
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" | ")
        }
    };
    seen(
        pulls.iter().all(|l| !l.is_empty()) && present.iter().all(|p| *p),
        format!("{up}`up` printed for mysql: {}; for jupyter/minimal-notebook (the build's FROM): {}; in the engine afterwards: mysql {}, jupyter/minimal-notebook {}", said(0), said(1), present[0], present[1]),
    )
}

fn builds_image(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = printed(p);
    let built: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.starts_with("Building ")
                || l.contains("Successfully tagged")
                || l.contains("naming to")
        })
        .collect();
    let image = built_image(p);
    let version = compose_version(p);
    let v1 = image == Some("jupyter_jupyter");
    seen(
        image.is_some() && !built.is_empty(),
        format!(
            "{up}`up` printed: {}; image in the engine: {}{}",
            if built.is_empty() {
                "no build".to_string()
            } else {
                built
                    .iter()
                    .map(|l| l.trim())
                    .collect::<Vec<_>>()
                    .join(" | ")
            },
            image.unwrap_or("neither jupyter-jupyter nor jupyter_jupyter"),
            if v1 {
                format!(" (Compose v1's PROJECT_SERVICE: `docker compose` here is the sandbox's stand-in plugin handing over to Compose v1, version {version}; v2 names it jupyter-jupyter)")
            } else {
                String::new()
            }
        ),
    )
}

fn network_and_volume(p: &Probe) -> Observed {
    let up = up_done(p);
    let project = |kind: &str, name: &str| {
        let out = p.docker(&[
            kind,
            "inspect",
            "--format",
            "{{index .Labels \"com.docker.compose.project\"}}",
            name,
        ]);
        out.ok().then(|| out.stdout.trim().to_string())
    };
    let (network, volume) = (project("network", NETWORK), project("volume", VOLUME));
    let says = |what: &Option<String>| {
        what.as_ref()
            .map(|p| format!("exists (compose project {p:?})"))
            .unwrap_or_else(|| "missing".into())
    };
    seen(
        network.is_some() && volume.is_some(),
        format!(
            "{up}network {NETWORK}: {}; volume {VOLUME}: {}",
            says(&network),
            says(&volume)
        ),
    )
}

fn both_running(p: &Probe) -> Observed {
    let up = up_done(p);
    let listing = running(p);
    seen(
        is_up(&listing, DB) && is_up(&listing, JUPYTER),
        format!(
            "{up}docker ps -a: {}",
            listing.replace('\t', " ").replace('\n', "; ")
        ),
    )
}

fn prefixed_url(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = printed(p);
    let prefixed = lines
        .iter()
        .filter(|l| split_prefix(l).is_some_and(|(name, _)| name == JUPYTER))
        .count();
    let url = url_line(&lines, &[JUPYTER.to_string()]);
    seen(
        url.is_some(),
        format!(
            "{up}{prefixed} of {} line(s) prefixed `{JUPYTER} |`; the URL line: {}",
            lines.len(),
            url.map(|l| masked(l.trim()))
                .unwrap_or_else(|| "none".into())
        ),
    )
}

fn ready_with_jupyter(p: &Probe) -> Observed {
    let up = up_done(p);
    let started = p
        .docker(&["inspect", "--format", "{{.State.StartedAt}}", JUPYTER])
        .stdout
        .trim()
        .to_string();
    // The server's own line once it listens on 3306 (an initialising entrypoint's temporary server says port 0).
    let ready_line = || {
        let logs = p.docker(&["logs", "--timestamps", DB]);
        format!("{}\n{}", logs.stdout, logs.stderr)
            .lines()
            .find(|l| listens_on_3306(l))
            .map(str::to_string)
    };
    let (line, waited) = p.within(Duration::from_secs(300), ready_line);
    let (Some(line), Some(start)) = (line, epoch_seconds(&started)) else {
        return seen(false, format!("{up}{JUPYTER} started {started:?}; no `port: 3306` line in {DB}'s log within {:.0}s", waited.as_secs_f64()));
    };
    let stamp = line.split_whitespace().next().unwrap_or("");
    let Some(ready) = epoch_seconds(stamp) else {
        return seen(false, format!("{up}unreadable log time {stamp:?}"));
    };
    let gap = ready - start;
    seen(
        gap <= 0.0,
        format!("{up}{JUPYTER} started at {started}; {DB} logged it listens on 3306 at {stamp}: {gap:+.2}s after (the log line seen after {:.1}s of asking): {}", waited.as_secs_f64(), line.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")),
    )
}

fn work_listing(p: &Probe) -> Observed {
    let up = up_done(p);
    let out = p.exec(JUPYTER, &["ls", "-A", "/work"]);
    let files: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    let lacks =
        out.ok() && !files.contains(&"Dockerfile") && !files.contains(&"docker-compose.yaml");
    seen(
        lacks,
        format!(
            "{up}`ls -A /work` in {JUPYTER} (exit {}): {}",
            out.code,
            files.join(" ")
        ),
    )
}

fn reaches_db(p: &Probe) -> Observed {
    let up = up_done(p);
    let script = "import os, mysql.connector as m\nc = m.connect(host='mysql-db', user=os.environ['MYSQL_USER'], password=os.environ['MYSQL_PASSWORD'])\nprint('connected as', os.environ['MYSQL_USER'], 'to', c.get_server_info())";
    let mut last = String::new();
    let (said, waited) = p.within(Duration::from_secs(120), || {
        let out = p.exec(JUPYTER, &["python", "-c", script]);
        let said = if out.ok() {
            out.stdout.clone()
        } else {
            format!("{}\n{}", out.stdout, out.stderr)
        };
        last = said
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("")
            .to_string();
        out.ok().then(|| last.clone())
    });
    let env = p
        .exec(JUPYTER, &["sh", "-c", "env | grep ^MYSQL_ | sort"])
        .stdout;
    let env = masked(&env.lines().collect::<Vec<_>>().join(" "));
    match said {
        Some(said) => seen(true, format!("{up}from {JUPYTER}, host mysql-db with its environment ({env}): {} after {:.1}s", masked(&said), waited.as_secs_f64())),
        None => seen(false, format!("{up}from {JUPYTER}, host mysql-db with its environment ({env}): no connection within {:.0}s; last: {}", waited.as_secs_f64(), masked(&last))),
    }
}

fn password_in_image(p: &Probe) -> Observed {
    let up = up_done(p);
    let Some(image) = built_image(p) else {
        return seen(
            false,
            format!("{up}no image jupyter-jupyter or jupyter_jupyter to inspect"),
        );
    };
    let env = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            image,
        ])
        .stdout;
    let holding: Vec<String> = env
        .lines()
        .filter(|e| e.contains(PASSWORD))
        .map(masked)
        .collect();
    seen(
        holding.is_empty(),
        format!(
            "{up}{image}'s Config.Env entries holding the compose file's root password: {}",
            if holding.is_empty() {
                "none".into()
            } else {
                holding.join("; ")
            }
        ),
    )
}

fn detached(p: &Probe) -> Observed {
    let listing = running(p);
    let said = printed(p)
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    seen(
        p.exit() == Some(0) && is_up(&listing, DB) && is_up(&listing, JUPYTER),
        format!(
            "ended, exit {}: {said}; docker ps -a: {}",
            exit_of(p),
            listing.replace('\t', " ").replace('\n', "; ")
        ),
    )
}

fn logs_url(p: &Probe) -> Observed {
    let lines = printed(p);
    let url: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("http://127.0.0.1:8888/lab?token="))
        .map(|l| masked(l.trim()))
        .collect();
    seen(
        p.exit() == Some(0) && !url.is_empty(),
        format!(
            "exit {}, {} line(s); loopback URL lines: {}",
            exit_of(p),
            lines.len(),
            if url.is_empty() {
                "none".into()
            } else {
                url.join(" | ")
            }
        ),
    )
}

/// The token the step's log printed.
fn token(p: &Probe) -> Option<String> {
    find_url(&printed(p).join("\n")).and_then(|u| u.token().map(String::from))
}

fn lab_opens(p: &Probe) -> Observed {
    let Some(token) = token(p) else {
        return seen(false, "no token URL in the log to open");
    };
    let (with, without) = (
        p.http(8888, "/lab", Some(&token)),
        p.http(8888, "/lab", None),
    );
    seen(with == 200, format!("GET http://127.0.0.1:8888/lab in the sandbox: {with} with the log's token (<48 hex>), {without} without it"))
}

fn file_browser(p: &Probe) -> Observed {
    let Some(token) = token(p) else {
        return seen(false, "no token URL in the log to open");
    };
    let status = |path: &str| p.http(8888, &format!("/api/contents/{path}"), Some(&token));
    let (notebook, outputs) = (status("computation.ipynb"), status("outputs"));
    let listing = p
        .exec(JUPYTER, &["ls", "-A", "/work"])
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    seen(
        notebook == 200 && outputs == 200,
        format!("Jupyter's contents API (what the file browser lists), with the token: computation.ipynb {notebook}, outputs {outputs}; the server's folder /work holds: {listing} (the notebook's file block is titled `computation,ipynb`: STEPS inconsistency 4)"),
    )
}

fn ps_jupyter(p: &Probe) -> Observed {
    let Some(row) = ps_row(&printed(p), JUPYTER) else {
        return seen(
            false,
            format!("no row for {JUPYTER} in: {}", p.output().trim()),
        );
    };
    let image = row.split_whitespace().nth(1).unwrap_or("");
    let named = image == "jupyter-jupyter" || image == "jupyter_jupyter";
    let holds = named && row.contains("(healthy)") && row.contains("0.0.0.0:8888->8888/tcp");
    let v1 = if image == "jupyter_jupyter" {
        " (jupyter_jupyter: Compose v1's naming, run by the sandbox's stand-in `docker compose` plugin)"
    } else {
        ""
    };
    seen(holds, format!("exit {}; row: {row}{v1}", exit_of(p)))
}

fn ps_mysql(p: &Probe) -> Observed {
    let Some(row) = ps_row(&printed(p), DB) else {
        return seen(false, format!("no row for {DB} in: {}", p.output().trim()));
    };
    let image = row.split_whitespace().nth(1).unwrap_or("");
    seen(
        image == "mysql" && row.contains("3306/tcp") && !row.contains("->3306"),
        format!("exit {}; row: {row}", exit_of(p)),
    )
}

fn ps_mysqlx(p: &Probe) -> Observed {
    let exposed = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{range $k, $v := .Config.ExposedPorts}}{{$k}} {{end}}",
            "mysql",
        ])
        .stdout;
    Observed::NotCheckable(format!(
        "33060 is the official mysql image's X protocol port; the sandbox's mysql is the MariaDB stand-in, which exposes {} (its row: {})",
        exposed.trim(),
        ps_row(&printed(p), DB).unwrap_or_else(|| "none".into())
    ))
}

fn down_removes(p: &Probe) -> Observed {
    let listing = running(p);
    let gone = |name: &str| !listing.lines().any(|l| l.split('\t').next() == Some(name));
    let network = p
        .docker(&["network", "inspect", "--format", "{{.Name}}", NETWORK])
        .ok();
    seen(
        p.exit() == Some(0) && gone(DB) && gone(JUPYTER) && !network,
        format!(
            "exit {}; docker ps -a: {}; network {NETWORK} exists: {network}",
            exit_of(p),
            if listing.is_empty() {
                "empty".to_string()
            } else {
                listing.replace('\t', " ").replace('\n', "; ")
            }
        ),
    )
}

fn down_keeps_volume(p: &Probe) -> Observed {
    let at = p.docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", VOLUME]);
    if !at.ok() {
        return seen(false, format!("volume {VOLUME}: {}", at.stderr.trim()));
    }
    let files = p
        .shell(&format!(
            "ls -A {}",
            crate::engine::cmdline::shell_quote(at.stdout.trim())
        ))
        .stdout;
    let files: Vec<&str> = files.split_whitespace().collect();
    seen(
        files.contains(&"mysql") && files.iter().any(|f| f.starts_with("ibdata")),
        format!(
            "volume {VOLUME} kept; its data directory ({} entries): {}",
            files.len(),
            files.iter().take(12).copied().collect::<Vec<_>>().join(" ")
        ),
    )
}

fn down_v_removes(p: &Probe) -> Observed {
    let volume = p.docker(&["volume", "inspect", "--format", "{{.Name}}", VOLUME]);
    let said = printed(p)
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    seen(
        p.exit() == Some(0) && !volume.ok(),
        format!(
            "exit {}: {said}; volume {VOLUME} exists afterwards: {}",
            exit_of(p),
            volume.ok()
        ),
    )
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
                c.claim,
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
            "x token=<48 hex> <redacted>"
        );
    }
}
