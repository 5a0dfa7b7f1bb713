//! Article 5, "Deploy a Docker Multi-Container Application to Linode" (deploy-jupyter-docker-linode),
//! in the sandbox: the local machine is a sandbox engine, Docker Hub is the stand-in of `hub.rs`,
//! and the Linode is a second sandbox engine behind an SSH server (`linode.rs`), driven with
//! `DOCKER_HOST=ssh://root@ADDRESS` where the article types into the LISH browser console.
//! This file plays the local machine's half: article 4's project built with Compose, `docker login`,
//! `images`, `tag`, `push`, `pull` and the test run of the pulled image.
//!
//! This is the corrected recipe. The literal mode is the article replayed from its Markdown (after
//! article 4's, in the same sandbox), with the claims of `literal.rs` at the steps they follow.
//! The errata it shows, fixed here: the test run publishes no port (its URL cannot be opened) and
//! leaves a stopped container behind (here: `--rm -p 127.0.0.1:8888:8888`); the pushed image
//! carries the database password (here: article 4's corrected build, the credentials given at run
//! time); and on the Linode (see `linode.rs`).

pub mod hub;
mod linode;
mod literal;
mod push;
mod terminal;
mod test_run;

use hub::Hub;
use push::registry_half;
pub use test_run::wait_for_url;

use anyhow::{bail, Result};

use super::compose::{compose_file, stage_project, Spec, Tool};
use super::session::{Mode, Session};
use super::Section;
use crate::engine::cmdline::shown;
use crate::sandbox::Sandbox;

pub const SECTIONS: &[Section] = &[Section {
    name: "Docker Hub and the Linode",
    run: deploy,
}];

/// What the local half hands the Linode: the repository and the digest `docker push` printed.
pub struct Pushed {
    pub repository: String,
    pub digest: String,
}

fn deploy(s: &mut Session) -> Result<()> {
    anyhow::ensure!(s.mode == Mode::Corrected, "the deploy walkthrough's literal mode is the article's replay (`--literal`), not this section");
    let (sandbox, stand_ins) = Sandbox::for_articles(&s.sh)?;
    s.note(&format!("the local machine is the sandbox engine {} (an engine of its own; `docker` below talks to it); images the article pulls come from its registry", sandbox.container));
    for stand_in in &stand_ins {
        s.note(&format!(
            "stand-in for {}: {}",
            stand_in.pulled_as,
            stand_in.described()
        ));
    }
    if s.keep() {
        s.note(
            "--keep keeps nothing here: both sandbox engines, and what runs in them, go at the end",
        );
    }
    // What an earlier run built or tagged here goes (a name at a time: one image may carry several),
    // so Compose builds this mode's image afresh.
    let listed = sandbox
        .inner
        .output(["images", "--format", "{{.Repository}}:{{.Tag}}"])?;
    for name in listed.lines().filter(|n| {
        !n.contains("<none>")
            && !stand_ins
                .iter()
                .any(|i| n.strip_suffix(":latest") == Some(i.pulled_as))
    }) {
        sandbox.inner.output(["rmi", name])?;
    }
    let host = std::mem::replace(&mut s.docker, sandbox.inner.clone());
    let result = both_halves(s, &sandbox, &host);
    s.docker = host;
    result
}

fn both_halves(s: &mut Session, sandbox: &Sandbox, host: &crate::engine::Docker) -> Result<()> {
    let image = build_project(s, sandbox)?;
    let password = crate::images::mysql::new_password();
    s.secret(&password);
    let user = hub::username();
    let hub = Hub::start(sandbox, &crate::images::sandbox::tag()?, &user, &password)?;
    s.note(&format!(
        "Docker Hub is a stand-in: Debian's docker-registry (distribution 2.8) with htpasswd authentication, at Docker Hub's names {} (aliases on the network {}, which the local engine joins), over TLS with a certificate from a CA made for this run that the local engine trusts; it holds a copy of the sandbox registry's storage made for this run, and serves it anonymously and read-only as the Linode's registry mirror, as a public repository is pulled",
        hub::NAMES.join(" and "),
        hub.network
    ));
    s.note(&format!(
        "YOUR_DOCKER_HUB_USERNAME is {user}, an account made for this run (its password too)"
    ));
    let login_config = tempfile::Builder::new()
        .prefix("jdx-docker-config-")
        .tempdir()?;
    s.docker = sandbox.inner.with_config(login_config.path());
    s.note("the local docker CLI keeps its login in a configuration folder of this run (`--config`), never in ~/.docker");
    let pushed = registry_half(
        s,
        sandbox,
        &hub,
        &image,
        &user,
        &password,
        login_config.path(),
    )?;
    // The hub goes after the Linode pulled from it (its storage, the pushed repository with it, then).
    let result = linode::run(s, host, sandbox, &hub, &pushed);
    drop(hub);
    result
}

/// Article 4's project in the local engine: its compose file, `up --no-start` (build the Jupyter
/// image, pull mysql) and `down`, as finishing article 4 leaves the machine. The image's name.
fn build_project(s: &mut Session, sandbox: &Sandbox) -> Result<String> {
    let tool = Tool::find(&s.docker)?;
    let dir = s.project.path().join("jupyter");
    std::fs::create_dir(&dir)?;
    stage_project(&dir, s.mode)?;
    let labels = s.docker.resource_labels();
    let image_labels = s.docker.image_labels();
    let file = compose_file(&Spec {
        mode: s.mode,
        mysql_image: "mysql",
        base_image: "jupyter/minimal-notebook",
        db: "mysql-db",
        jupyter: "custom-jupyter-image",
        labels: &labels,
        image_labels: &image_labels,
    });
    std::fs::write(dir.join("docker-compose.yaml"), file)?;
    s.note(&format!(
        "article 4 finished: its project ({} docker-compose.yaml) built with `{}` in the local engine, `up --no-start` then `down`, which leaves its images: the Jupyter image and mysql",
        s.mode.name(),
        tool.program
    ));
    let file = dir.join("docker-compose.yaml").display().to_string();
    let engine = s.docker.target().get(1).cloned().unwrap_or_default();
    for command in [&["up", "--no-start"][..], &["down"]] {
        let mut args: Vec<String> = ["-p", "jupyter", "-f", file.as_str()]
            .iter()
            .chain(command)
            .map(|a| a.to_string())
            .collect();
        if !tool.v1 {
            args.insert(0, "compose".into());
        }
        let since = crate::sandbox::log_mark();
        let mut ran = compose(s, &tool, &engine, &args)?;
        let trouble = sandbox.pull_trouble(since);
        if !ran.ok() && trouble.is_some() {
            // Setting the stage, not a claim: a pull the registry's mirror failed on a loaded
            // machine is tried once more, and said so.
            s.note(&format!(
                "the pull through the sandbox's registry failed ({}): once more",
                trouble.as_deref().unwrap_or_default()
            ));
            ran = compose(s, &tool, &engine, &args)?;
        }
        if !ran.ok() {
            let why = sandbox
                .pull_trouble(since)
                .map(|t| format!("; the engine's log: {t}"))
                .unwrap_or_default();
            bail!(
                "Compose failed on article 4's project (exit {}): {}{why}",
                ran.exit,
                crate::engine::last_message(&ran.output)
            );
        }
    }
    let built = tool.image_name("jupyter", "jupyter");
    if built != "jupyter-jupyter" {
        s.note(&format!("Compose v1 names the image {built}; v2 (the article's Docker Desktop) names it jupyter-jupyter: tagged so, for the article's commands"));
        s.cmd_ok(&format!("docker tag {built} jupyter-jupyter"))?;
    }
    Ok("jupyter-jupyter".into())
}

/// One Compose command on the local engine: v1 with `DOCKER_HOST`, v2 as `docker compose`.
fn compose(
    s: &mut Session,
    tool: &Tool,
    engine: &str,
    args: &[String],
) -> Result<super::session::Ran> {
    if tool.v1 {
        s.command_with_env(&[("DOCKER_HOST", engine)], "docker-compose", args)
    } else {
        s.cmd(&shown("docker", args))
    }
}

/// The claims of the literal mode, at the steps of the article they follow.
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;
