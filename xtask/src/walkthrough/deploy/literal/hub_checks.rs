//! The checks of article 5's claims about Docker Hub and the test run on the local machine: the
//! login, the pushed image and its layers, the test run's server.

use super::{image_id, line_starting, pushed_digest, repository, status, BASE, BUILT};
use crate::jupyter::url::find_url;
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

pub(super) fn logs_in(p: &Probe) -> Observed {
    let out = p.lines();
    let succeeded = out.iter().any(|l| l.contains("Login Succeeded"));
    let config = p
        .local_shell("cat /root/.docker/config.json 2>/dev/null")
        .stdout;
    let stored = serde_json::from_str::<serde_json::Value>(&config)
        .ok()
        .is_some_and(|v| v["auths"]["https://index.docker.io/v1/"].is_object());
    seen(
        p.exit() == Some(0) && succeeded && stored,
        format!("exit {}; `Login Succeeded` printed: {succeeded}; the local CLI's ~/.docker/config.json holds a login for https://index.docker.io/v1/: {stored}", p.exit_text()),
    )
}

pub(super) fn asks_passphrase(p: &Probe) -> Observed {
    let prompts: Vec<String> = p
        .lines()
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

pub(super) fn lists_images(p: &Probe) -> Observed {
    let out = p.lines();
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

pub(super) fn same_id(p: &Probe) -> Observed {
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

pub(super) fn pushed(p: &Probe) -> Observed {
    let out = p.lines();
    let repo = repository(p);
    let digest = pushed_digest(p).unwrap_or_default();
    let refers = line_starting(&out, "The push refers");
    seen(
        p.exit() == Some(0)
            && digest.starts_with("sha256:")
            && refers == format!("The push refers to repository [docker.io/{repo}]"),
        format!(
            "exit {}; repository line: {refers}; digest: {}",
            p.exit_text(),
            if digest.is_empty() { "none" } else { &digest }
        ),
    )
}

pub(super) fn only_custom_layers(p: &Probe) -> Observed {
    let out = p.lines();
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

pub(super) fn up_to_date(p: &Probe) -> Observed {
    let out = p.lines();
    let repo = repository(p);
    let status = line_starting(&out, "Status:");
    seen(
        p.exit() == Some(0) && status == format!("Status: Image is up to date for {repo}:latest"),
        format!("exit {}; status line: {status}", p.exit_text()),
    )
}

pub(super) fn test_run_serves(p: &Probe) -> Observed {
    let out = p.lines();
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

pub(super) fn test_run_url_opens(p: &Probe) -> Observed {
    let Some(token) = p.token() else {
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

pub(super) fn test_run_left(p: &Probe) -> Observed {
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
