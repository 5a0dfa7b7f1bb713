//! Article 5's test run on the local machine, as corrected, and the wait for a server's URL it
//! shares with the Linode half.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::engine::wait;
use crate::jupyter::url::{find_url, ServerUrl};
use crate::sandbox::Sandbox;
use crate::walkthrough::compose::attached::Attached;
use crate::walkthrough::session::Session;
use crate::walkthrough::steps;

pub(super) fn test_run(s: &mut Session, sandbox: &Sandbox, repository: &str) -> Result<()> {
    s.note("corrected: the test run removes itself (`--rm`) and publishes its port, on the local machine's loopback only");
    let line = format!("docker run --rm -p 127.0.0.1:8888:8888 {repository}");
    let before = s
        .docker
        .probe(["ps", "-aq", "--filter", &format!("ancestor={repository}")])
        .unwrap_or_default();
    let run = Attached::start(s, &line)?;
    wait::poll(Duration::from_secs(120), Duration::from_millis(250), || {
        find_url(&run.lines().join("\n")).is_some() || run.ended()
    });
    let log = run.lines().join("\n");
    let url = find_url(&log);
    let container = s
        .docker
        .probe(["ps", "--latest", "--format", "{{.Names}}"])
        .unwrap_or_default();
    starts_as_jovyan(s, &container, &log, url.as_ref());
    the_url_opens_locally(s, sandbox, &container, url.as_ref());
    run.interrupt()?;
    run.finish(s, Duration::from_secs(60));
    s.record("^C    # Ctrl+C at the test run's terminal", "", 0);
    leaves_nothing_behind(s, repository, &before, &container);
    Ok(())
}

/// The user in the container and the `Serving notebooks` line of its log.
fn starts_as_jovyan(s: &mut Session, container: &str, log: &str, url: Option<&ServerUrl>) {
    let user = s
        .docker
        .probe(["exec", container, "id", "-un"])
        .unwrap_or_default();
    let serving = log
        .lines()
        .find(|l| l.contains("Serving notebooks from local directory"))
        .map(|l| l.trim().to_string());
    s.claim(
        "test-run-serves-work",
        url.is_some()
            && user == "jovyan"
            && serving.as_deref().is_some_and(|l| l.ends_with(": /work")),
        format!(
            "URL printed: {}; user in {container}: {user:?}; {}",
            url.is_some(),
            serving.unwrap_or_else(|| "no `Serving notebooks` line".into())
        ),
    );
}

/// The printed URL, with its token, asked for from the local machine.
fn the_url_opens_locally(
    s: &mut Session,
    sandbox: &Sandbox,
    container: &str,
    url: Option<&ServerUrl>,
) {
    let token = url
        .and_then(|u| u.token().map(String::from))
        .unwrap_or_default();
    let status = sandbox.http_status(&format!("http://127.0.0.1:8888/lab?token={token}"));
    s.claim("test-run-url-opens",
        status == 200,
        format!("GET http://127.0.0.1:8888/lab?token=<redacted> on the local machine: {}; ports of {container}: {}", if status == 0 { "no answer".to_string() } else { format!("HTTP {status}") }, s.docker.probe(["port", container]).filter(|p| !p.is_empty()).unwrap_or_else(|| "none published".into())));
}

/// No container of `repository` beyond those listed `before`; one left is removed.
fn leaves_nothing_behind(s: &mut Session, repository: &str, before: &str, container: &str) {
    let left: Vec<String> = s
        .docker
        .probe([
            "ps",
            "-a",
            "--filter",
            &format!("ancestor={repository}"),
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    let new: Vec<&String> = left
        .iter()
        .filter(|l| !before.lines().any(|id| l.contains(id)))
        .collect();
    s.claim(
        "test-run-leaves-nothing",
        new.is_empty(),
        format!(
            "containers of {repository} after Ctrl+C (`docker ps -a`): {}",
            if new.is_empty() {
                "none".to_string()
            } else {
                new.iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        ),
    );
    if !new.is_empty() {
        let _ = s.docker.probe(["rm", "-f", container]);
    }
}

/// Polls `docker logs NAME` until the server's URL shows (a container running detached).
pub fn wait_for_url(
    s: &Session,
    name: &str,
    limit: Duration,
) -> Result<crate::jupyter::url::ServerUrl> {
    let docker = s.docker.clone();
    let (url, log) = steps::wait_url(limit, || {
        docker
            .status(["logs", name])
            .map(|o| format!("{}\n{}", o.stdout, o.stderr))
            .unwrap_or_default()
    });
    match url {
        Some(url) => Ok(url),
        None => bail!(
            "{name} printed no URL within {}s; its log ends: {}",
            limit.as_secs(),
            s.redact(&crate::engine::tail(&log, 5))
        ),
    }
}
