//! Article 5's claims, keyed to the steps of its Markdown: the literal mode is the article replayed
//! in the sandbox, after the guide it builds on (article 4, which leaves its images), with these
//! checks. Docker Hub is the stand-in of `hub.rs`, the Linode a second sandbox engine whose console
//! (LISH) is a root shell on it; the notebook's cells run on the Linode, in its Jupyter container.
//!
//! Each check only looks: at what its step printed, and at the engines (inspect, ps, port, a read
//! in a container, an HTTP request from the local machine). None changes what its claim is about.

use super::linode::row_values;
use crate::jupyter::url::{find_url, strip_ansi};
use crate::walkthrough::markdown::claims::{seen, ClaimCheck, Observed, Probe};

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

// ---- small helpers ------------------------------------------------------------------------------

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

// ---- Docker Hub ----------------------------------------------------------------------------------

fn logs_in(p: &Probe) -> Observed {
    let out = printed(p);
    let succeeded = out.iter().any(|l| l.contains("Login Succeeded"));
    let config = p
        .local_shell("cat /root/.docker/config.json 2>/dev/null")
        .stdout;
    let stored = serde_json::from_str::<serde_json::Value>(&config)
        .ok()
        .is_some_and(|v| v["auths"]["https://index.docker.io/v1/"].is_object());
    seen(
        p.exit() == Some(0) && succeeded && stored,
        format!("exit {}; `Login Succeeded` printed: {succeeded}; the local CLI's ~/.docker/config.json holds a login for https://index.docker.io/v1/: {stored}", exit_of(p)),
    )
}

fn asks_passphrase(p: &Probe) -> Observed {
    let prompts: Vec<String> = printed(p)
        .iter()
        .filter_map(|l| l.split_once(':').map(|(q, _)| q.trim().to_string()))
        .filter(|q| {
            ["Username", "Password"].contains(&q.as_str())
                || q.to_lowercase().contains("passphrase")
        })
        .collect();
    seen(
        prompts
            .iter()
            .any(|q| q.to_lowercase().contains("passphrase")),
        format!(
            "the prompts shown: {}",
            if prompts.is_empty() {
                "none".into()
            } else {
                prompts.join(", ")
            }
        ),
    )
}

fn lists_images(p: &Probe) -> Observed {
    let out = printed(p);
    let row = |repo: &str| {
        out.iter()
            .find(|l| {
                l.split_whitespace().next() == Some(repo)
                    && l.split_whitespace().nth(1) == Some("latest")
            })
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let (jupyter, mysql) = (row(BUILT), row("mysql"));
    seen(
        jupyter.is_some() && mysql.is_some(),
        format!(
            "{BUILT} latest: {}; mysql latest: {} (sizes are the stand-ins')",
            jupyter.as_deref().unwrap_or("not listed"),
            mysql.as_deref().unwrap_or("not listed")
        ),
    )
}

fn same_id(p: &Probe) -> Observed {
    let repo = repository(p);
    let (original, tagged) = (image_id(p, BUILT), image_id(p, &repo));
    seen(
        original.is_some() && original == tagged,
        format!(
            "{BUILT}: {}; {repo}: {}",
            original.as_deref().unwrap_or("missing"),
            tagged.as_deref().unwrap_or("missing")
        ),
    )
}

fn pushed(p: &Probe) -> Observed {
    let out = printed(p);
    let repo = repository(p);
    let digest = pushed_digest(p).unwrap_or_default();
    let refers = line_starting(&out, "The push refers");
    seen(
        p.exit() == Some(0)
            && digest.starts_with("sha256:")
            && refers == format!("The push refers to repository [docker.io/{repo}]"),
        format!(
            "exit {}; repository line: {refers}; digest: {}",
            exit_of(p),
            if digest.is_empty() { "none" } else { &digest }
        ),
    )
}

fn only_custom_layers(p: &Probe) -> Observed {
    let out = printed(p);
    let layers = |name: &str| {
        p.local_docker(&[
            "image",
            "inspect",
            "--format",
            "{{len .RootFS.Layers}}",
            name,
        ])
        .stdout
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
    };
    let (base, all) = (layers(BASE), layers(&repository(p)));
    let count = |suffix: &str| out.iter().filter(|l| l.ends_with(suffix)).count();
    let (mounted, uploaded, existed) = (
        count("Mounted from jupyter/minimal-notebook"),
        count(": Pushed"),
        count("Layer already exists"),
    );
    seen(
        p.exit() == Some(0) && base > 0 && mounted + existed >= base && uploaded <= all.saturating_sub(base),
        format!("{uploaded} layer(s) pushed, {mounted} mounted from {BASE}, {existed} already there; the image has {all} layers, its base {BASE} {base}"),
    )
}

fn up_to_date(p: &Probe) -> Observed {
    let out = printed(p);
    let repo = repository(p);
    let status = line_starting(&out, "Status:");
    seen(
        p.exit() == Some(0) && status == format!("Status: Image is up to date for {repo}:latest"),
        format!("exit {}; status line: {status}", exit_of(p)),
    )
}

// ---- the test run on the local machine ----------------------------------------------------------

fn test_run_serves(p: &Probe) -> Observed {
    let out = printed(p);
    let url = find_url(&out.join("\n"));
    let container = p.container_of(&repository(p)).unwrap_or_default();
    let user = if container.is_empty() {
        String::new()
    } else {
        p.exec(&container, &["id", "-un"]).stdout.trim().to_string()
    };
    let serving = out
        .iter()
        .find(|l| l.contains("Serving notebooks from local directory"))
        .map(|l| l.trim().to_string());
    seen(
        url.is_some()
            && user == "jovyan"
            && serving.as_deref().is_some_and(|l| l.ends_with(": /work")),
        format!(
            "URL printed: {}; user in {}: {user:?}; {}",
            url.is_some(),
            if container.is_empty() {
                "no running container"
            } else {
                &container
            },
            serving.unwrap_or_else(|| "no `Serving notebooks` line".into())
        ),
    )
}

fn test_run_url_opens(p: &Probe) -> Observed {
    let Some(token) = token(p) else {
        return seen(false, "the test run printed no URL");
    };
    let code = p.http(8888, "/lab", Some(&token));
    let container = p.container_of(&repository(p)).unwrap_or_default();
    let ports = p
        .docker(&["port", &container])
        .stdout
        .trim()
        .replace('\n', ", ");
    seen(
        code == 200,
        format!("GET http://127.0.0.1:8888/lab with the token on the local machine: {}; ports published by {container}: {}", status(code), if ports.is_empty() { "none" } else { &ports }),
    )
}

fn test_run_left(p: &Probe) -> Observed {
    let Some(push) = p.earlier("docker push") else {
        return seen(false, "no push to find the repository by");
    };
    let repo = push
        .lines()
        .find_map(|l| l.split("refers to repository [docker.io/").nth(1))
        .map(|r| r.trim_end_matches(']').trim().to_string())
        .unwrap_or_default();
    let listed = p
        .local_docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("ancestor={repo}"),
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .stdout;
    let left: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let remove = left
        .first()
        .and_then(|l| l.split_whitespace().next())
        .map(|name| {
            p.local_docker(&["inspect", "--format", "{{.HostConfig.AutoRemove}}", name])
                .stdout
                .trim()
                .to_string()
        });
    seen(
        left.is_empty(),
        format!(
            "containers of {repo} on the local machine at the article's end (`docker ps -a`): {}{}",
            if left.is_empty() {
                "none".to_string()
            } else {
                left.join("; ")
            },
            remove
                .map(|r| format!("; removed when it stops (--rm): {r}"))
                .unwrap_or_default()
        ),
    )
}

// ---- the Linode ---------------------------------------------------------------------------------

fn mysql_pulled(p: &Probe) -> Observed {
    let out = printed(p);
    let last = out
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    let unable = out
        .iter()
        .any(|l| l.contains("Unable to find image 'mysql:latest' locally"));
    let downloaded = out
        .iter()
        .any(|l| l.contains("Downloaded newer image for mysql:latest"));
    seen(
        p.exit() == Some(0) && unable && downloaded && last.len() == 64 && last.bytes().all(|b| b.is_ascii_hexdigit()),
        format!("exit {}; `Unable to find image 'mysql:latest' locally`: {unable}; status: {}; last line: {last}", exit_of(p), line_starting(&out, "Status:")),
    )
}

fn mysql_volume(p: &Probe) -> Observed {
    let mounts = p
        .docker(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}\n{{end}}",
            DB,
        ])
        .stdout;
    // `TYPE NAME /var/lib/mysql`; an anonymous volume's name is its 64-hex id.
    let data: Option<(String, String)> = mounts
        .lines()
        .find(|l| l.ends_with(" /var/lib/mysql"))
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap_or("").to_string(),
                w.next().unwrap_or("").to_string(),
            )
        });
    let anonymous = |name: &str| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
    let named = data
        .as_ref()
        .is_some_and(|(kind, name)| kind == "volume" && !anonymous(name));
    let shown = data.map(|(kind, name)| match anonymous(&name) {
        true => format!("{kind} {} (anonymous: no name to find it by when the container is re-created) at /var/lib/mysql", &name[..12]),
        false => format!("{kind} {name} at /var/lib/mysql"),
    });
    let image = p
        .docker(&["inspect", "--format", "{{.Config.Image}}", DB])
        .stdout
        .trim()
        .to_string();
    let declared = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Volumes}}",
            &image,
        ])
        .stdout
        .trim()
        .to_string();
    seen(
        named,
        format!(
            "{DB}'s data folder: {}; the volumes its image {image} declares: {declared}",
            shown.unwrap_or_else(|| "on the container's own layer (no volume)".into())
        ),
    )
}

fn linode_pulls(p: &Probe) -> Observed {
    let out = printed(p);
    let repo = repository(p);
    let pulling = out
        .iter()
        .any(|l| l.contains(&format!("Pulling from {repo}")));
    seen(
        p.exit() == Some(0)
            && pulling
            && out
                .iter()
                .any(|l| l.contains("Status: Downloaded newer image")),
        format!(
            "exit {}; `Pulling from {repo}`: {pulling}; status: {}",
            exit_of(p),
            line_starting(&out, "Status:")
        ),
    )
}

fn pinned_by_digest(p: &Probe) -> Observed {
    let config = p
        .docker(&["inspect", "--format", "{{.Config.Image}}", JUPYTER])
        .stdout
        .trim()
        .to_string();
    let digest = pushed_digest(p).unwrap_or_default();
    seen(
        !digest.is_empty() && config == format!("{}@{digest}", repository(p)),
        format!(
            "{JUPYTER} runs {config:?}; the push printed digest {}",
            if digest.is_empty() { "none" } else { &digest }
        ),
    )
}

fn no_password_in_image(p: &Probe) -> Observed {
    let env = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            &repository(p),
        ])
        .stdout;
    let mysql: Vec<String> = env
        .lines()
        .filter(|l| l.starts_with("MYSQL_"))
        .map(|l| match l.split_once('=') {
            Some((name, value)) if name.contains("PASSWORD") && !value.is_empty() => {
                format!("{name}=<a value, redacted>")
            }
            _ => l.to_string(),
        })
        .collect();
    let baked = mysql.iter().any(|l| {
        l.starts_with("MYSQL_PASSWORD=<a value") || l.starts_with("MYSQL_ROOT_PASSWORD=<a value")
    });
    seen(
        !baked,
        format!(
            "MYSQL_ entries of the pulled image's config: {}",
            if mysql.is_empty() {
                "none".into()
            } else {
                mysql.join(" ")
            }
        ),
    )
}

fn logs_url(p: &Probe) -> Observed {
    let has = printed(p)
        .iter()
        .any(|l| l.contains("http://127.0.0.1:8888/lab?token="));
    seen(
        p.exit() == Some(0) && has,
        format!(
            "exit {}; a `http://127.0.0.1:8888/lab?token=` line in the log: {has}",
            exit_of(p)
        ),
    )
}

fn opens_at_linode(p: &Probe) -> Observed {
    let (Some(address), Some(token)) = (p.remote_address(), token(p)) else {
        return seen(false, "no Linode address, or no URL in the log");
    };
    let (lab, api) = (
        p.http_at(address, 8888, "/lab", Some(&token)),
        p.http_at(address, 8888, "/api/status", None),
    );
    seen(lab == 200 && api == 403, format!("from the local machine, http://LINODE_IP_ADDRESS:8888 ({address}): /lab with the token {}; /api/status without it {}", status(lab), status(api)))
}

fn not_public(p: &Probe) -> Observed {
    let Some(address) = p.remote_address() else {
        return seen(false, "no Linode address");
    };
    let (lab, api) = (
        p.http_at(address, 8888, "/lab", token(p).as_deref()),
        p.http_at(address, 8888, "/api/status", None),
    );
    let ports = p
        .docker(&["port", JUPYTER])
        .stdout
        .trim()
        .replace('\n', ", ");
    seen(lab == 0 && api == 0, format!("http://{address}:8888 from the local machine, plain HTTP: /lab with the token: {}; /api/status: {}; {JUPYTER} publishes {ports}", status(lab), status(api)))
}

// ---- the notebook, on the Linode -------------------------------------------------------------------

fn d1_writes(p: &Probe) -> Observed {
    let out = printed(p);
    let lines = p
        .exec(
            JUPYTER,
            &[
                "sh",
                "-c",
                "wc -l < outputs/Motorized-Foot-Scooter-Trips-2018.csv",
            ],
        )
        .stdout
        .trim()
        .to_string();
    seen(
        lines == "1001" && out.iter().any(|l| l == "connection successfully"),
        format!("lines in {JUPYTER}'s outputs/Motorized-Foot-Scooter-Trips-2018.csv (with its header): {lines:?}; the cell printed: {}", out.join(" / ")),
    )
}

fn d2_prints(p: &Probe) -> Observed {
    let out: Vec<String> = printed(p).into_iter().filter(|l| !l.is_empty()).collect();
    let expected = [
        "connection successfully",
        "You're connected to database:  ('scooter_trips',)",
        "Motorized_Foot_Scooter_Trips_2018 table created",
    ];
    seen(
        out == expected,
        format!("the cell printed: {}", out.join(" / ")),
    )
}

fn d3_rows(p: &Probe) -> Observed {
    let out = printed(p);
    let rows: Vec<(usize, usize)> = out.iter().filter_map(|l| row_values(l)).collect();
    seen(
        out.first().map(String::as_str) == Some("connection successfully")
            && rows.len() == 5
            && rows.iter().all(|(n, none)| *n == 7 && *none == 0),
        format!(
            "{} row(s) printed, as (values, of them None): {rows:?}",
            rows.len()
        ),
    )
}
