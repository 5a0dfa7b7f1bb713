//! The checks of article 1's claims about the servers its images start: the URL and its token, the
//! images pulled, who runs the server, what a stopped one leaves.

use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

use super::READY;
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

pub(super) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid pattern"))
}

/// The token URL the step printed: (the URL with its token masked, the token).
pub(super) fn url(p: &Probe) -> Option<(String, String)> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let output = p.output();
    let found = re(&URL, r"http://127\.0\.0\.1:(\d+)(/lab)\?token=([0-9a-f]+)")
        .captures_iter(&output)
        .last()?;
    Some((
        format!(
            "http://127.0.0.1:{}{}?token=<{} hex>",
            &found[1],
            &found[2],
            found[3].len()
        ),
        found[3].to_string(),
    ))
}

pub(super) fn url_printed(p: &Probe) -> Observed {
    match url(p) {
        Some((shown, token)) => seen(
            shown.starts_with("http://127.0.0.1:8888/lab?") && token.len() == 48,
            format!("the log shows {shown}"),
        ),
        None => seen(
            false,
            format!(
                "no token URL in what the step printed ({} lines)",
                p.output().lines().count()
            ),
        ),
    }
}

/// The article's server answers on the sandbox's port 8888: with its token, without, and /lab.
pub(super) fn token_auth(p: &Probe) -> Observed {
    let Some((_, token)) = url(p) else {
        return seen(false, "no token URL in the log to try");
    };
    let (with, waited) = p.within(READY, || {
        Some(p.http(8888, "/api/status", Some(&token))).filter(|s| *s != 0)
    });
    let without = p.http(8888, "/api/status", None);
    let lab = p.http(8888, "/lab", None);
    seen(
        with == Some(200) && without == 403 && lab == 302,
        format!("port 8888 answered after {:.1}s: /api/status with the token {}, without {without}; /lab without it {lab} (302: to /login)", waited.as_secs_f64(), with.unwrap_or(0)),
    )
}

pub(super) fn pull_latest(p: &Probe) -> Observed {
    let out = p.output();
    let tag = out
        .lines()
        .find(|l| l.contains("default tag"))
        .unwrap_or("no `Using default tag` line")
        .trim()
        .to_string();
    let status = out
        .lines()
        .find(|l| l.starts_with("Status:"))
        .unwrap_or("no Status line")
        .trim()
        .to_string();
    seen(
        p.exit() == Some(0)
            && tag.ends_with("latest")
            && out.contains("continuumio/anaconda3:latest"),
        format!("exit {:?}: {tag}; {status}", p.exit()),
    )
}

pub(super) fn pulled_first(p: &Probe) -> Observed {
    let out = p.output();
    let line = |word: &str| {
        out.lines()
            .find(|l| l.contains(word))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let unable = line("Unable to find image");
    let pulling = line("Pulling from");
    seen(
        !unable.is_empty() && !pulling.is_empty(),
        format!("{:?}, then {:?}", unable, pulling),
    )
}

pub(super) fn shell_is_root(p: &Probe) -> Observed {
    let Some(c) = p.container_of("continuumio/anaconda3") else {
        return seen(false, "no running container of continuumio/anaconda3");
    };
    let (uid, gid) = (p.exec(&c, &["id", "-u"]), p.exec(&c, &["id", "-g"]));
    let configured = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            "continuumio/anaconda3",
        ])
        .stdout;
    seen(
        uid.stdout == "0" && gid.stdout == "0",
        format!(
            "id -u: {}, id -g: {} (the image's configured user: {:?})",
            uid.stdout, gid.stdout, configured
        ),
    )
}

/// What only anaconda3's own conda environment could show: the stand-in's conda says nothing of it.
pub(super) fn conda_only(p: &Probe, command: &str) -> Observed {
    Observed::NotCheckable(format!(
        "only the official image's conda environment could show it; `{command}` here ran the stand-in's conda script (exit {:?})",
        p.exit()
    ))
}

pub(super) fn needs_allow_root(p: &Probe) -> Observed {
    let Some(c) = p.container_of("continuumio/anaconda3") else {
        return seen(false, "no running container of continuumio/anaconda3");
    };
    // A second server, on another port, only to see it refuse; it changes nothing of the first.
    let refused = p.exec(
        &c,
        &[
            "timeout",
            "60",
            "jupyter-lab",
            "--ip=*",
            "--no-browser",
            "--port=8899",
        ],
    );
    let said = format!("{}{}", refused.stdout, refused.stderr);
    let why = said
        .lines()
        .rev()
        .find(|l| l.contains("root"))
        .unwrap_or("")
        .trim()
        .to_string();
    seen(
        !refused.ok() && said.contains("--allow-root"),
        format!("as root without --allow-root: exit {}: {why}", refused.code),
    )
}

pub(super) fn server_owner(p: &Probe, image: &str, user: &str) -> Observed {
    let Some(c) = p.container_of(image) else {
        return seen(false, format!("no running container of {image}"));
    };
    let (who, waited) = p.within(READY, || {
        Some(p.exec(&c, &["sh", "-c", super::super::SERVER_OWNER]).stdout)
            .filter(|w| !w.trim().is_empty())
    });
    let who = who.unwrap_or_default();
    seen(
        who.lines().any(|l| l.trim() == user),
        format!(
            "owner of the jupyter-lab process in {image}: {:?} (asked for {:.1}s)",
            who.trim(),
            waited.as_secs_f64()
        ),
    )
}

pub(super) fn gone(p: &Probe, image: &str) -> Observed {
    let listing = || {
        p.docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("ancestor={image}"),
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .stdout
    };
    let mut listed = String::new();
    let (left, waited) = p.within(Duration::from_secs(15), || {
        listed = listing();
        listed.is_empty().then_some(())
    });
    seen(
        left.is_some(),
        format!(
            "docker ps -a, containers of {image}, {:.1}s after it stopped: {}",
            waited.as_secs_f64(),
            if listed.is_empty() { "none" } else { &listed }
        ),
    )
}

pub(super) fn runtime_files(p: &Probe) -> Observed {
    let Some(c) = p.container_of("jupyter/datascience-notebook") else {
        return seen(
            false,
            "no running container of jupyter/datascience-notebook",
        );
    };
    let dir = "/home/jovyan/.local/share/jupyter/runtime/";
    let listing = p.exec(&c, &["ls", dir]);
    let servers = listing
        .stdout
        .lines()
        .filter(|l| l.starts_with("jpserver-"))
        .count();
    seen(
        listing.ok() && servers > 0,
        format!(
            "ls {dir}: exit {}, {servers} jpserver-* files",
            listing.code
        ),
    )
}
