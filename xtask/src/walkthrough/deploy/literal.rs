//! Article 5's claims, keyed to the steps of its Markdown: the literal mode is the article replayed
//! in the sandbox, after the guide it builds on (article 4, which leaves its images), with these
//! checks. Docker Hub is the stand-in of `hub.rs`, the Linode a second sandbox engine whose console
//! (LISH) is a root shell on it; the notebook's cells run on the Linode, in its Jupyter container.
//!
//! Each check only looks: at what its step printed, and at the engines (inspect, ps, port, a read
//! in a container, an HTTP request from the local machine). None changes what its claim is about.

use crate::jupyter::url::{find_url, strip_ansi};
use crate::walkthrough::markdown::claims::{ClaimCheck, Probe};

mod hub_checks;
mod linode_checks;

use hub_checks::{
    asks_passphrase, lists_images, logs_in, only_custom_layers, pushed, same_id, test_run_left,
    test_run_serves, test_run_url_opens, up_to_date,
};
use linode_checks::{
    d1_writes, d2_prints, d3_rows, linode_pulls, logs_url, mysql_pulled, mysql_volume,
    no_password_in_image, not_public, opens_at_linode, pinned_by_digest,
};

const JUPYTER: &str = "custom-jupyter-container";
const DB: &str = "mysql-db";
/// The image article 4 leaves, by Compose v2's name.
const BUILT: &str = "jupyter-jupyter";
const BASE: &str = "jupyter/minimal-notebook";

pub const CLAIMS: &[ClaimCheck] = &[
    ClaimCheck {
        id: "login-docker-hub",
        after: "docker login",
        check: logs_in,
    },
    ClaimCheck {
        id: "login-asks-passphrase",
        after: "docker login",
        check: asks_passphrase,
    },
    ClaimCheck {
        id: "images-listed",
        after: "docker images",
        check: lists_images,
    },
    ClaimCheck {
        id: "tag-same-id",
        after: "docker tag jupyter-jupyter",
        check: same_id,
    },
    ClaimCheck {
        id: "pushed",
        after: "docker push",
        check: pushed,
    },
    ClaimCheck {
        id: "only-custom-layers",
        after: "docker push",
        check: only_custom_layers,
    },
    ClaimCheck {
        id: "pull-up-to-date",
        after: "docker pull",
        check: up_to_date,
    },
    ClaimCheck {
        id: "test-run-serves-work",
        after: "docker run #1",
        check: test_run_serves,
    },
    ClaimCheck {
        id: "test-run-url-opens",
        after: "docker run #1",
        check: test_run_url_opens,
    },
    ClaimCheck {
        id: "test-run-leaves-nothing",
        after: "end",
        check: test_run_left,
    },
    ClaimCheck {
        id: "fresh-host-pulls-mysql",
        after: "docker run -d --name mysql-db",
        check: mysql_pulled,
    },
    ClaimCheck {
        id: "data-on-named-volume",
        after: "docker run -d --name mysql-db",
        check: mysql_volume,
    },
    ClaimCheck {
        id: "linode-pulls-image",
        after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        check: linode_pulls,
    },
    ClaimCheck {
        id: "linode-runs-pushed-digest",
        after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        check: pinned_by_digest,
    },
    ClaimCheck {
        id: "no-password-in-image",
        after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        check: no_password_in_image,
    },
    ClaimCheck {
        id: "logs-token-url",
        after: "docker logs custom-jupyter-container",
        check: logs_url,
    },
    ClaimCheck {
        id: "url-opens-locally",
        after: "docker logs custom-jupyter-container",
        check: opens_at_linode,
    },
    ClaimCheck {
        id: "not-public",
        after: "docker logs custom-jupyter-container",
        check: not_public,
    },
    ClaimCheck {
        id: "d1-writes-csv",
        after: "cell:import pandas as pd",
        check: d1_writes,
    },
    ClaimCheck {
        id: "d2-creates-table",
        after: "cell:try: #1",
        check: d2_prints,
    },
    ClaimCheck {
        id: "d3-prints-rows",
        after: "cell:try: #2",
        check: d3_rows,
    },
];

fn printed(p: &Probe) -> Vec<String> {
    p.output()
        .lines()
        .map(|l| strip_ansi(l).trim_end().to_string())
        .collect()
}

fn exit_of(p: &Probe) -> String {
    p.exit()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "none (still running)".into())
}

/// The repository the step names last (`USER/project_jupyter`, the placeholder filled).
fn repository(p: &Probe) -> String {
    p.command()
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// The first line starting with `start`, or "none".
fn line_starting(lines: &[String], start: &str) -> String {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(start))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "none".into())
}

fn image_id(p: &Probe, name: &str) -> Option<String> {
    let out = p.local_docker(&["image", "inspect", "--format", "{{.Id}}", name]);
    out.ok().then(|| out.stdout.trim().to_string())
}

/// `HTTP 200`, or `no answer` for 0.
fn status(code: u16) -> String {
    if code == 0 {
        "no answer".into()
    } else {
        format!("HTTP {code}")
    }
}

/// The token of the server's URL in the output of the step.
fn token(p: &Probe) -> Option<String> {
    find_url(&printed(p).join("\n")).and_then(|u| u.token().map(String::from))
}

/// The digest `docker push` printed.
fn pushed_digest(p: &Probe) -> Option<String> {
    let push = p.earlier("docker push")?;
    push.lines()
        .find_map(|l| l.split("digest: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .map(String::from)
}
