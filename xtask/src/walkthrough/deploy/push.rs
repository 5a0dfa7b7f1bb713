//! The local machine's steps 2-7 of article 5: `docker login`, `images`, `tag`, `push`, `pull`,
//! and the test run of the pulled image.

use std::time::Duration;

use anyhow::Result;

use super::super::session::{Ran, Session};
use super::hub::Hub;
use super::test_run::test_run;
use super::{terminal, Pushed};
use crate::engine::cmdline::shown;
use crate::sandbox::Sandbox;

#[allow(clippy::too_many_arguments)]
pub(super) fn registry_half(
    s: &mut Session,
    sandbox: &Sandbox,
    hub: &Hub,
    image: &str,
    user: &str,
    password: &str,
    config: &std::path::Path,
) -> Result<Pushed> {
    // Step 2.
    login(s, hub, user, password, config)?;
    // Step 3.
    list_images(s, image)?;
    // Step 4.
    let repository = tag(s, hub, image)?;
    // Step 5.
    let digest = push(s, image, &repository)?;
    // Step 6.
    pull(s, &repository)?;
    // Step 7: the test run, in the foreground as in the article (here in the background, its
    // output collected), ended with Ctrl+C once the server is up.
    test_run(s, sandbox, &repository)?;
    Ok(Pushed { repository, digest })
}

/// `docker login`, typed at its prompts: logged in to Docker Hub, with no passphrase asked.
fn login(
    s: &mut Session,
    hub: &Hub,
    user: &str,
    password: &str,
    config: &std::path::Path,
) -> Result<()> {
    let argv: Vec<String> = std::iter::once("docker".to_string())
        .chain(
            s.docker
                .argv(["login"])
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect();
    let typed = terminal::run(
        &argv,
        &[("Username", user), ("Password", password)],
        Duration::from_secs(60),
    )?;
    s.record(
        &format!(
            "{}    # in a terminal: the username and password typed at its prompts",
            shown(&argv[0], &argv[1..])
        ),
        &typed.screen,
        typed.exit,
    );
    let stored = std::fs::read_to_string(config.join("config.json")).unwrap_or_default();
    let logged_in = serde_json::from_str::<serde_json::Value>(&stored)
        .ok()
        .is_some_and(|v| v["auths"]["https://index.docker.io/v1/"].is_object());
    s.claim("login-docker-hub",
        typed.exit == 0 && typed.screen.contains("Login Succeeded") && logged_in,
        format!("exit {}; `Login Succeeded` printed: {}; the CLI's config.json holds a login for https://index.docker.io/v1/: {logged_in}; the registry reached: {} at registry-1.docker.io", typed.exit, typed.screen.contains("Login Succeeded"), hub.container));
    let prompts: Vec<&str> = typed
        .screen
        .lines()
        .filter_map(|l| l.split_once(':').map(|(p, _)| p.trim()))
        .filter(|p| ["Username", "Password"].contains(p) || p.to_lowercase().contains("passphrase"))
        .collect();
    s.claim(
        "login-asks-passphrase",
        prompts
            .iter()
            .any(|p| p.to_lowercase().contains("passphrase")),
        format!("the prompts shown: {}", prompts.join(", ")),
    );
    Ok(())
}

/// `docker images` lists the project's image and MySQL's.
fn list_images(s: &mut Session, image: &str) -> Result<()> {
    let listed = s.cmd_ok("docker images")?;
    s.cmd_ok("docker images --no-trunc")?;
    let row = |repo: &str| {
        listed
            .lines()
            .find(|l| {
                l.split_whitespace().next() == Some(repo)
                    && l.split_whitespace().nth(1) == Some("latest")
            })
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let (jupyter_row, mysql_row) = (row(image), row("mysql"));
    s.claim("images-listed",
        jupyter_row.is_some() && mysql_row.is_some(),
        format!("jupyter-jupyter latest: {}; mysql latest: {} (sizes are the stand-ins', not the article's 2.78GB and 577MB)", jupyter_row.as_deref().unwrap_or("not listed"), mysql_row.as_deref().unwrap_or("not listed")));
    Ok(())
}

/// `docker tag` names the image for the Hub's repository; that name.
fn tag(s: &mut Session, hub: &Hub, image: &str) -> Result<String> {
    let repository = hub.repository();
    s.cmd_ok(&format!("docker tag {image} {repository}"))?;
    let id = |name: &str| {
        s.docker
            .probe(["image", "inspect", "--format", "{{.Id}}", name])
    };
    let (original, tagged) = (id(image), id(&repository));
    s.claim(
        "tag-same-id",
        original.is_some() && original == tagged,
        format!(
            "{image}: {}; {repository}: {}",
            original.as_deref().unwrap_or("missing"),
            tagged.as_deref().unwrap_or("missing")
        ),
    );
    Ok(repository)
}

/// `docker push` uploads the image, its base's layers mounted, and prints the digest it returns.
fn push(s: &mut Session, image: &str, repository: &str) -> Result<String> {
    let push = s.cmd(&format!("docker push {repository}"))?;
    let digest = push
        .output
        .lines()
        .find_map(|l| l.split("digest: ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    s.claim(
        "pushed",
        push.ok()
            && digest.starts_with("sha256:")
            && push.output.contains(&format!(
                "The push refers to repository [docker.io/{repository}]"
            )),
        format!(
            "exit {}; repository line: {}; digest: {}",
            push.exit,
            push.output
                .lines()
                .find(|l| l.starts_with("The push refers"))
                .unwrap_or("none"),
            if digest.is_empty() { "none" } else { &digest }
        ),
    );
    claim_only_custom_layers_pushed(s, image, &push);
    Ok(digest)
}

/// Only the layers above jupyter/minimal-notebook were uploaded.
fn claim_only_custom_layers_pushed(s: &mut Session, image: &str, push: &Ran) {
    let layers = |name: &str| {
        s.docker
            .probe([
                "image",
                "inspect",
                "--format",
                "{{len .RootFS.Layers}}",
                name,
            ])
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let (base, all) = (layers("jupyter/minimal-notebook"), layers(image));
    let count = |suffix: &str| {
        push.output
            .lines()
            .filter(|l| l.trim_end().ends_with(suffix))
            .count()
    };
    let (mounted, uploaded, existed) = (
        count("Mounted from jupyter/minimal-notebook"),
        count(": Pushed"),
        count("Layer already exists"),
    );
    s.claim("only-custom-layers",
        push.ok() && base > 0 && mounted + existed >= base && uploaded <= all - base,
        format!("{uploaded} layer(s) pushed, {mounted} mounted from jupyter/minimal-notebook, {existed} already there; the image has {all} layers, its base jupyter/minimal-notebook {base}"));
}

/// `docker pull` right after the push has nothing to fetch.
fn pull(s: &mut Session, repository: &str) -> Result<()> {
    let pull = s.cmd(&format!("docker pull {repository}"))?;
    s.claim(
        "pull-up-to-date",
        pull.ok()
            && pull.output.contains(&format!(
                "Status: Image is up to date for {repository}:latest"
            )),
        format!(
            "exit {}; status line: {}",
            pull.exit,
            pull.output
                .lines()
                .find(|l| l.starts_with("Status:"))
                .unwrap_or("none")
        ),
    );
    Ok(())
}
