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

const SECTION: &str = "Docker Hub and the Linode";
const JUPYTER: &str = "custom-jupyter-container";
const DB: &str = "mysql-db";
/// The image article 4 leaves, by Compose v2's name.
const BUILT: &str = "jupyter-jupyter";
const BASE: &str = "jupyter/minimal-notebook";

pub const CLAIMS: &[ClaimCheck] = &[
    ClaimCheck { section: SECTION, after: "docker login", claim: "`docker login` (no server named) logs the CLI in to Docker Hub", expected: true, check: logs_in },
    ClaimCheck { section: SECTION, after: "docker login", claim: "`docker login` asks for the passphrase created in the previous step", expected: false, check: asks_passphrase },
    ClaimCheck { section: SECTION, after: "docker images", claim: "`docker images` lists jupyter-jupyter:latest and mysql:latest", expected: true, check: lists_images },
    ClaimCheck { section: SECTION, after: "docker tag jupyter-jupyter", claim: "`docker tag` adds a second name with the same image ID", expected: true, check: same_id },
    ClaimCheck { section: SECTION, after: "docker push", claim: "`docker push` uploads the image to Docker Hub and prints its digest", expected: true, check: pushed },
    ClaimCheck { section: SECTION, after: "docker push", claim: "`docker push` uploads only the custom layers; the base's are \"Mounted from jupyter/minimal-notebook\"", expected: true, check: only_custom_layers },
    ClaimCheck { section: SECTION, after: "docker pull", claim: "`docker pull` right after the push reports the image up to date", expected: true, check: up_to_date },
    ClaimCheck { section: SECTION, after: "docker run #1", claim: "the pulled image starts JupyterLab as jovyan, serving from /work", expected: true, check: test_run_serves },
    ClaimCheck { section: SECTION, after: "docker run #1", claim: "the URL the test run prints (http://127.0.0.1:8888/lab?token=...) opens on the local machine", expected: false, check: test_run_url_opens },
    ClaimCheck { section: SECTION, after: "end", claim: "the test run leaves nothing behind", expected: false, check: test_run_left },
    ClaimCheck { section: SECTION, after: "docker run -d --name mysql-db", claim: "on a fresh Docker host, `docker run ... mysql` pulls mysql:latest and prints the container's ID", expected: true, check: mysql_pulled },
    ClaimCheck { section: SECTION, after: "docker run -d --name mysql-db", claim: "mysql-db keeps its data on a named volume", expected: false, check: mysql_volume },
    ClaimCheck { section: SECTION, after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container", claim: "the Linode pulls the pushed image from Docker Hub (a public repository: no login there) and starts it", expected: true, check: linode_pulls },
    ClaimCheck { section: SECTION, after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container", claim: "the Linode runs exactly the image that was pushed (pinned by its digest)", expected: false, check: pinned_by_digest },
    ClaimCheck { section: SECTION, after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container", claim: "the image pushed to the public repository carries no database password", expected: false, check: no_password_in_image },
    ClaimCheck { section: SECTION, after: "docker logs custom-jupyter-container", claim: "`docker logs` shows the server's URL with its token (http://127.0.0.1:8888/lab?token=...)", expected: true, check: logs_url },
    ClaimCheck { section: SECTION, after: "docker logs custom-jupyter-container", claim: "the JupyterLab URL opens from the local machine with the token, and the server refuses the API without it", expected: true, check: opens_at_linode },
    ClaimCheck { section: SECTION, after: "docker logs custom-jupyter-container", claim: "JupyterLab is not served on the Linode's public address over plain HTTP", expected: false, check: not_public },
    ClaimCheck { section: SECTION, after: "cell:import pandas as pd", claim: "D1 writes outputs/Motorized-Foot-Scooter-Trips-2018.csv (/work/outputs is in the image) and prints `connection successfully`", expected: true, check: d1_writes },
    ClaimCheck { section: SECTION, after: "cell:try: #1", claim: "D2 prints `connection successfully`, `You're connected to database:  ('scooter_trips',)` and `Motorized_Foot_Scooter_Trips_2018 table created`", expected: true, check: d2_prints },
    ClaimCheck { section: SECTION, after: "cell:try: #2", claim: "D3 prints `connection successfully` and five rows of seven values, as the article shows", expected: false, check: d3_rows },
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
