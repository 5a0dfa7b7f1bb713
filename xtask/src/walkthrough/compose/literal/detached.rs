//! The checks of article 4's claims about the services started detached and stopped: the logs' URL,
//! JupyterLab opening, `docker ps`, and what `down` removes or keeps.

use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::{is_up, masked, ps_row, running, DB, JUPYTER, NETWORK, VOLUME};

pub(super) fn detached(p: &Probe) -> Observed {
    let listing = running(p);
    let said = p
        .lines()
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    seen(
        p.exit() == Some(0) && is_up(&listing, DB) && is_up(&listing, JUPYTER),
        format!(
            "ended, exit {}: {said}; docker ps -a: {}",
            p.exit_text(),
            listing.replace('\t', " ").replace('\n', "; ")
        ),
    )
}

pub(super) fn logs_url(p: &Probe) -> Observed {
    let lines = p.lines();
    let url: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("http://127.0.0.1:8888/lab?token="))
        .map(|l| masked(l.trim()))
        .collect();
    seen(
        p.exit() == Some(0) && !url.is_empty(),
        format!(
            "exit {}, {} line(s); loopback URL lines: {}",
            p.exit_text(),
            lines.len(),
            if url.is_empty() {
                "none".into()
            } else {
                url.join(" | ")
            }
        ),
    )
}

pub(super) fn lab_opens(p: &Probe) -> Observed {
    let Some(token) = p.token() else {
        return seen(false, "no token URL in the log to open");
    };
    let (with, without) = (
        p.http(8888, "/lab", Some(&token)),
        p.http(8888, "/lab", None),
    );
    seen(with == 200, format!("GET http://127.0.0.1:8888/lab in the sandbox: {with} with the log's token (<48 hex>), {without} without it"))
}

pub(super) fn file_browser(p: &Probe) -> Observed {
    let Some(token) = p.token() else {
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

pub(super) fn ps_jupyter(p: &Probe) -> Observed {
    let Some(row) = ps_row(&p.lines(), JUPYTER) else {
        return seen(
            false,
            format!("no row for {JUPYTER} in: {}", p.output().trim()),
        );
    };
    let image = row.split_whitespace().nth(1).unwrap_or("");
    let named = image == "jupyter-jupyter" || image == "jupyter_jupyter";
    let published = row.contains("0.0.0.0:8888->8888/tcp");
    let v1 = if image == "jupyter_jupyter" {
        " (jupyter_jupyter: Compose v1's naming, run by the sandbox's stand-in `docker compose` plugin)"
    } else {
        ""
    };
    let (healthy, later) = match row.contains("(healthy)") {
        true => (true, String::new()),
        false => health_within(p, CLAIM_HEALTH_WAIT),
    };
    let holds = named && published && healthy;
    seen(
        holds,
        format!("exit {}; row: {row}{v1}{later}", p.exit_text()),
    )
}

/// How long a health the row did not show yet may take: the image's check allows 1 s, which a
/// loaded machine can miss three times in a row (unhealthy), and the next pass makes it healthy.
const CLAIM_HEALTH_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether the Jupyter container turns healthy within `limit` of the row that did not say so,
/// and what the engine said meanwhile (its health checks' last output when it did not).
fn health_within(p: &Probe, limit: std::time::Duration) -> (bool, String) {
    let started = std::time::Instant::now();
    let format = "{{.State.Health.Status}}";
    loop {
        let status = p
            .docker(&["inspect", "-f", format, JUPYTER])
            .stdout
            .trim()
            .to_string();
        if status == "healthy" {
            let after = started.elapsed().as_secs_f64();
            return (
                true,
                format!("; healthy {after:.1}s after that row (`docker inspect`)"),
            );
        }
        if started.elapsed() >= limit {
            let log = "{{range .State.Health.Log}}{{.ExitCode}}: {{.Output}} | {{end}}";
            let checks = p.docker(&["inspect", "-f", log, JUPYTER]).stdout;
            let checks = checks.trim().replace('\n', " ");
            return (
                false,
                format!(
                    "; still {status} {}s later, its last checks: {checks}",
                    limit.as_secs()
                ),
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

pub(super) fn ps_mysql(p: &Probe) -> Observed {
    let Some(row) = ps_row(&p.lines(), DB) else {
        return seen(false, format!("no row for {DB} in: {}", p.output().trim()));
    };
    let image = row.split_whitespace().nth(1).unwrap_or("");
    seen(
        image == "mysql" && row.contains("3306/tcp") && !row.contains("->3306"),
        format!("exit {}; row: {row}", p.exit_text()),
    )
}

pub(super) fn ps_mysqlx(p: &Probe) -> Observed {
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
        ps_row(&p.lines(), DB).unwrap_or_else(|| "none".into())
    ))
}

pub(super) fn down_removes(p: &Probe) -> Observed {
    let listing = running(p);
    let gone = |name: &str| !listing.lines().any(|l| l.split('\t').next() == Some(name));
    let network = p
        .docker(&["network", "inspect", "--format", "{{.Name}}", NETWORK])
        .ok();
    seen(
        p.exit() == Some(0) && gone(DB) && gone(JUPYTER) && !network,
        format!(
            "exit {}; docker ps -a: {}; network {NETWORK} exists: {network}",
            p.exit_text(),
            if listing.is_empty() {
                "empty".to_string()
            } else {
                listing.replace('\t', " ").replace('\n', "; ")
            }
        ),
    )
}

pub(super) fn down_keeps_volume(p: &Probe) -> Observed {
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

pub(super) fn down_v_removes(p: &Probe) -> Observed {
    let volume = p.docker(&["volume", "inspect", "--format", "{{.Name}}", VOLUME]);
    let said = p
        .lines()
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    seen(
        p.exit() == Some(0) && !volume.ok(),
        format!(
            "exit {}: {said}; volume {VOLUME} exists afterwards: {}",
            p.exit_text(),
            volume.ok()
        ),
    )
}
