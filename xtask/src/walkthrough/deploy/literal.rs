//! Article 5's claims, keyed to the steps of its Markdown: the literal mode is the article replayed
//! in the sandbox, after the guide it builds on (article 4, which leaves its images), with these
//! checks. Docker Hub is the stand-in of `hub.rs`, the Linode a second sandbox engine whose console
//! (LISH) is a root shell on it; the notebook's cells run on the Linode, in its Jupyter container.
//!
//! Each check only looks: at what its step printed, and at the engines (inspect, ps, port, a read
//! in a container, an HTTP request from the local machine). None changes what its claim is about.

use crate::walkthrough::markdown::claims::{check, ClaimCheck, Probe};

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
    check("login-docker-hub", "docker login", logs_in),
    check("login-asks-passphrase", "docker login", asks_passphrase),
    check("images-listed", "docker images", lists_images),
    check("tag-same-id", "docker tag jupyter-jupyter", same_id),
    check("pushed", "docker push", pushed),
    check("only-custom-layers", "docker push", only_custom_layers),
    check("pull-up-to-date", "docker pull", up_to_date),
    check("test-run-serves-work", "docker run #1", test_run_serves),
    check("test-run-url-opens", "docker run #1", test_run_url_opens),
    check("test-run-leaves-nothing", "end", test_run_left),
    check(
        "fresh-host-pulls-mysql",
        "docker run -d --name mysql-db",
        mysql_pulled,
    ),
    check(
        "data-on-named-volume",
        "docker run -d --name mysql-db",
        mysql_volume,
    ),
    check(
        "linode-pulls-image",
        "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        linode_pulls,
    ),
    check(
        "linode-runs-pushed-digest",
        "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        pinned_by_digest,
    ),
    check(
        "no-password-in-image",
        "docker run -d -it -p 8888:8888 --name custom-jupyter-container",
        no_password_in_image,
    ),
    check(
        "logs-token-url",
        "docker logs custom-jupyter-container",
        logs_url,
    ),
    check(
        "url-opens-locally",
        "docker logs custom-jupyter-container",
        opens_at_linode,
    ),
    check(
        "not-public",
        "docker logs custom-jupyter-container",
        not_public,
    ),
    check("d1-writes-csv", "cell:import pandas as pd", d1_writes),
    check("d2-creates-table", "cell:try: #1", d2_prints),
    check("d3-prints-rows", "cell:try: #2", d3_rows),
];

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

/// The digest `docker push` printed.
fn pushed_digest(p: &Probe) -> Option<String> {
    let push = p.earlier("docker push")?;
    push.lines()
        .find_map(|l| l.split("digest: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .map(String::from)
}
