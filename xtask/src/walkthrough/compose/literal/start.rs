//! The checks of article 4's claims about starting the services: the images pulled and built, the
//! network and volume, both containers up, Jupyter reaching MySQL.

use std::time::Duration;

use super::{
    built_image, compose_version, epoch_seconds, is_up, listens_on_3306, masked, running, up_done,
    DB, JUPYTER, NETWORK, PASSWORD, VOLUME,
};
use crate::walkthrough::compose::attached::{split_prefix, url_line};
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

pub(super) fn stops_all(p: &Probe) -> Observed {
    let listing = running(p);
    Observed::NotCheckable(format!(
        "no container runs in the sandbox's fresh engine when the note's step comes (docker ps -a: {}), so whether it would stop one cannot be seen; `docker ps -q` only prints IDs (exit {}, {} line(s)): STEPS inconsistency 1",
        if listing.is_empty() { "empty".to_string() } else { listing.replace('\t', " ").replace('\n', "; ") },
        p.exit_text(),
        p.output().lines().count()
    ))
}

/// Compose (and the build) pull only what the engine lacks, and every replay's sandbox lacks
/// both: it starts with the stand-ins' layers under warm-cache names only (`sandbox::warm_up`,
/// copied afresh for each run) and nothing of the article pulls them before `up`. So a pull not seen
/// is the claim failing, warm cache or cold, never a verdict of its own.
pub(super) fn pulls_images(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = p.lines();
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

pub(super) fn builds_image(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = p.lines();
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

pub(super) fn network_and_volume(p: &Probe) -> Observed {
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

pub(super) fn both_running(p: &Probe) -> Observed {
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

pub(super) fn prefixed_url(p: &Probe) -> Observed {
    let up = up_done(p);
    let lines = p.lines();
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

pub(super) fn ready_with_jupyter(p: &Probe) -> Observed {
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

pub(super) fn work_listing(p: &Probe) -> Observed {
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

pub(super) fn reaches_db(p: &Probe) -> Observed {
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

pub(super) fn password_in_image(p: &Probe) -> Observed {
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
