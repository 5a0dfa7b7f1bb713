//! Article 1, "How to Set Up Jupyter with Docker" (jupyter-docker-setup-guide).
//! The literal mode is the article replayed from its Markdown in the sandbox (`literal.rs` holds
//! its claims, keyed to the steps they follow); the sections below are the corrected recipe.
//! No registry can be reached here, so the images it pulls are played by stand-ins: the sandbox's
//! anaconda3 stand-in (root, tini then bash, by its own configuration) for `continuumio/anaconda3`,
//! the project's Jupyter base as is (jovyan) for `jupyter/datascience-notebook`. What only the official images could show (conda's output,
//! the Julia and R kernels, a pull) is reported as not checkable here, never faked.
//! Its errata: `WORKDIR /work` is a new folder, not the stacks' `work` folder; the root-owned
//! `COPY . /work` leaves the notebook user unable to write there (article 2's PermissionError),
//! which the corrected mode fixes with `COPY --chown=$NB_UID:$NB_GID`; today's stacks images log
//! `start-notebook.py`, not `jupyter lab`.

mod literal;
mod own_image;

use own_image::{own_image, preload};

use std::time::Duration;

use anyhow::Result;

use super::session::Session;
use super::steps::{self, wait_url};
use super::Section;
use crate::engine::resources::Resource;
use crate::engine::wait;
use crate::jupyter::url::{ServerUrl, Token};

pub const SECTIONS: &[Section] = &[
    Section {
        name: "Anaconda base image",
        run: anaconda,
    },
    Section {
        name: "Jupyter Docker Stacks image",
        run: stacks,
    },
    Section {
        name: "Own image from a Dockerfile",
        run: own_image,
    },
    Section {
        name: "Image with pre-loaded files",
        run: preload,
    },
];

const NO_REGISTRY: &str =
    "no container registry can be reached from this engine, so the official image cannot be had";

/// How long a server may take to print its URL.
const URL_WAIT: Duration = Duration::from_secs(90);

/// Who owns the jupyter-lab process in a container (one user name per line).
/// Who owns the jupyter-lab process. The pattern cannot match this script's own command line
/// (`l[a]b`), and the loop ends with `true`: the last /proc entry not matching is no failure.
const SERVER_OWNER: &str = "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'bin/jupyter-l[a]b' && stat -c %U $p; done; true";

fn base(s: &Session) -> Result<String> {
    crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)
}

/// The anaconda3 stand-in the sandbox serves, built here on the base (it runs as root by its own USER).
fn anaconda_stand_in(s: &Session) -> Result<String> {
    let base = base(s)?;
    crate::images::sandbox::anaconda_stand_in(&s.docker, &base)
}

/// The article's `docker run -it --rm -p 8888:8888 IMAGE`, detached with a terminal (there is none
/// here to attach), on the section's container name.
fn run_server(s: &mut Session, image: &str) -> Result<String> {
    let name = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &name, &["-t", "--rm"]))?;
    Ok(name)
}

/// The server's log so far (`docker logs`), for [`wait_url`].
fn log_of(s: &Session, container: &str) -> impl FnMut() -> String {
    let (docker, container) = (s.docker.clone(), container.to_string());
    move || docker.logs_since(&container, "0").unwrap_or_default()
}

/// The token URL claim and the token claim for a running server.
fn server_claims(
    s: &mut Session,
    container: &str,
    url: Option<&ServerUrl>,
    log: &str,
) -> Result<Option<(u16, String)>> {
    let hex48 = url.is_some_and(|u| matches!(&u.token, Token::Hex(t) if t.len() == 48));
    let shown = url.map(|u| {
        format!(
            "{}://{}:{}{}?token=<{} hex>",
            u.scheme,
            u.host,
            u.port.unwrap_or(0),
            u.path,
            u.token().map(str::len).unwrap_or(0)
        )
    });
    s.claim(
        "token-url-printed",
        hex48 && url.is_some_and(|u| u.path == "/lab" && u.port == Some(8888)),
        shown.unwrap_or_else(|| format!("no URL in the log ({} lines)", log.lines().count())),
    );
    let Some(token) = url.and_then(|u| u.token()).map(str::to_string) else {
        return Ok(None);
    };
    let port = s.docker.published_port(container, 8888)?.1;
    let get =
        |path: &str, token: Option<&str>| crate::jupyter::http::status_for_claim(port, path, token);
    let with = get("/api/status", Some(&token));
    let lab = get("/lab", None);
    let without = get("/api/status", None);
    s.claim("token-auth",
        with == Some(200) && lab == Some(302) && without == Some(403),
        format!("on 127.0.0.1:{port}: /api/status with the token {with:?}, without {without:?}; /lab without the token {lab:?} (a redirect to /login)"));
    Ok(Some((port, token)))
}

/// `docker stop` (the article's Ctrl+C) and the `--rm` claim.
fn stop_removes(s: &mut Session, container: &str) -> Result<()> {
    s.cmd_ok(&format!("docker stop {container}"))?;
    wait::gone(&s.docker, container, Duration::from_secs(15));
    let listed = s.cmd_ok(&format!(
        "docker ps -a --filter 'name=^{container}$' --format '{{{{.Names}}}}'"
    ))?;
    s.forget(&Resource::Container(container.to_string()));
    s.claim(
        "rm-container-gone",
        listed.is_empty(),
        format!(
            "docker ps -a: {}",
            if listed.is_empty() {
                "nothing"
            } else {
                &listed
            }
        ),
    );
    Ok(())
}

fn anaconda(s: &mut Session) -> Result<()> {
    let image = anaconda_stand_in(s)?;
    s.not_checkable("pull-latest", NO_REGISTRY);
    s.note(&format!("continuumio/anaconda3 is played by the stand-in {image}: the project's Jupyter base configured as anaconda3 is (USER root, tini then bash), with a conda stand-in script"));
    let c = s.names.container.clone();
    // No --user or --entrypoint here: who the shell runs as is the image's own configuration.
    s.run_ok(&steps::jupyter(&image, &c, &["-it", "--rm"]))?;
    the_shell_runs_as_root(s, &c, &image)?;
    conda_is_not_checkable(s, &c)?;
    root_needs_allow_root(s, &c)?;
    the_server_runs_as_root(s, &c)?;
    stop_removes(s, &c)
}

/// `id -u`, `id -g` in the container, beside the user the stand-in image is configured with.
fn the_shell_runs_as_root(s: &mut Session, c: &str, image: &str) -> Result<()> {
    let id = s.cmd(&format!("docker exec {c} id -u"))?;
    let gid = s.cmd(&format!("docker exec {c} id -g"))?;
    let configured = s
        .docker
        .probe(["image", "inspect", "--format", "{{.Config.User}}", image])
        .unwrap_or_default();
    s.claim(
        "shell-as-root",
        id.output.trim() == "0" && gid.output.trim() == "0",
        format!(
            "id -u: {}, id -g: {} (the stand-in's configured user: {:?})",
            id.output.trim(),
            gid.output.trim(),
            configured.trim()
        ),
    );
    Ok(())
}

/// `conda info` runs the stand-in's script: anaconda3's environment cannot be shown here.
fn conda_is_not_checkable(s: &mut Session, c: &str) -> Result<()> {
    let conda = s.cmd(&format!("docker exec {c} conda info"))?;
    let answered = if conda.ok() {
        "the stand-in's conda script answered, which says nothing of anaconda3's environment"
            .to_string()
    } else {
        format!("`conda info` exit {}", conda.exit)
    };
    s.not_checkable("conda-info", &format!("{NO_REGISTRY}; {answered}"));
    s.not_checkable(
        "conda-list",
        "only continuumio/anaconda3's own conda environment could show it",
    );
    Ok(())
}

/// Without --allow-root the server refuses to run as root: why the article passes it.
fn root_needs_allow_root(s: &mut Session, c: &str) -> Result<()> {
    let refused = s.cmd(&format!(
        "docker exec {c} timeout 60 jupyter-lab '--ip=*' --no-browser"
    ))?;
    s.claim(
        "needs-allow-root",
        !refused.ok() && refused.output.contains("--allow-root"),
        format!(
            "without it: exit {}: {}",
            refused.exit,
            refused
                .output
                .lines()
                .rev()
                .find(|l| l.contains("root"))
                .unwrap_or("")
                .trim()
        ),
    );
    Ok(())
}

/// The server started with `docker exec -d ... --allow-root`: its URL, then who owns its process.
fn the_server_runs_as_root(s: &mut Session, c: &str) -> Result<()> {
    s.note("the server's log goes to /tmp/jupyter.log, since `docker exec -d` has no terminal to print to");
    s.cmd_ok(&format!(r#"docker exec -d {c} sh -c 'jupyter-lab --ip="*" --no-browser --allow-root > /tmp/jupyter.log 2>&1'"#))?;
    let docker = s.docker.clone();
    let (url, log) = wait_url(URL_WAIT, || {
        docker
            .probe(["exec", c, "cat", "/tmp/jupyter.log"])
            .unwrap_or_default()
    });
    s.cmd(&format!("docker exec {c} tail -n 8 /tmp/jupyter.log"))?;
    server_claims(s, c, url.as_ref(), &log)?;
    let who = s
        .docker
        .probe(["exec", c, "sh", "-c", SERVER_OWNER])
        .unwrap_or_default();
    s.claim(
        "server-as-root",
        who.lines().any(|l| l.trim() == "root"),
        format!("owner of the jupyter-lab process: {}", who.trim()),
    );
    Ok(())
}

fn stacks(s: &mut Session) -> Result<()> {
    let image = base(s)?;
    s.not_checkable("pulled-first", NO_REGISTRY);
    s.note(&format!("jupyter/datascience-notebook is played by the project's base image {image}, which keeps the stacks' contract (jovyan, start.sh, JupyterLab started by itself)"));
    let c = run_server(s, &image)?;
    let (url, log) = wait_url(URL_WAIT, log_of(s, &c));
    s.cmd(&format!("docker logs --tail 8 {c}"))?;
    server_claims(s, &c, url.as_ref(), &log)?;
    let who = s.cmd(&format!("docker exec {c} whoami"))?;
    s.claim(
        "stacks-as-jovyan",
        who.output.trim() == "jovyan",
        format!("whoami: {}", who.output.trim()),
    );
    let runtime = s
        .docker
        .probe([
            "exec",
            c.as_str(),
            "sh",
            "-c",
            "ls /home/jovyan/.local/share/jupyter/runtime/",
        ])
        .unwrap_or_default();
    s.claim(
        "runtime-files",
        runtime.lines().any(|l| l.starts_with("jpserver-")),
        format!("runtime folder: {}", runtime.replace('\n', " ")),
    );
    let home = s.cmd(&format!("docker exec {c} ls /home/jovyan"))?;
    s.claim(
        "work-folder-shown",
        home.output.lines().any(|l| l.trim() == "work"),
        format!("ls /home/jovyan: {}", home.output.trim().replace('\n', " ")),
    );
    let kernels = s
        .docker
        .probe(["exec", c.as_str(), "jupyter", "kernelspec", "list"])
        .unwrap_or_default();
    s.not_checkable(
        "kernels",
        &format!(
            "only jupyter/datascience-notebook has them; the stand-in's kernels: {}",
            kernels
                .lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().next())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    stop_removes(s, &c)
}

/// The literal mode: the article replayed from its Markdown, with these claims at their steps.
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;
