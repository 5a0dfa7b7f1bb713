//! The steps articles 3 and 4 share around a MySQL server and the notebook that talks to it:
//! the server's and the Jupyter container's `docker run`, waiting for the server, building the
//! article's image, and running a sitting of cells in the container. Free functions on the
//! section's [`Session`], so neither article reaches into the other.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::db;
use super::session::{Ran, Session};
use crate::engine::spec::{shell_quote, shown};
use crate::engine::{BuildSpec, Publish, RunSpec};
use crate::images::mysql::Server;

/// `docker run -d --name NAME -e MYSQL_ROOT_PASSWORD=... IMAGE` of a MySQL server; the caller adds
/// its network, ports or volume.
pub fn server_spec(server: &Server, name: &str, password: &str) -> RunSpec {
    RunSpec::detached(&server.image, name).env("MYSQL_ROOT_PASSWORD", password)
}

/// Starts a MySQL server as a step of the transcript (removed at the end unless `--keep`); the
/// moment `docker run` returned.
pub fn start(s: &mut Session, spec: &RunSpec) -> Result<Instant> {
    s.run_ok(spec)?;
    Ok(Instant::now())
}

/// Waits until the database accepts connections, as a reader would before running the cells.
pub fn wait_ready(s: &mut Session, name: &str) -> Result<f64> {
    let step = s.step(format!("Waiting for {name} to accept connections"));
    let waited = db::wait_ready(&s.docker, name, Duration::from_secs(180));
    drop(step);
    match waited {
        Some(secs) => {
            s.say(&format!("   {name} accepts connections ({secs:.1}s of waiting)"));
            Ok(secs)
        }
        None => {
            let log = s.docker.probe(["logs", "--tail", "15", name]).unwrap_or_default();
            bail!("{name} did not accept connections within 180s; its log ends: {}", log.replace('\n', " | "))
        }
    }
}

/// The article's `docker run -d -it -p 8888:8888 --name NAME IMAGE` of the Jupyter container, with
/// `-t` for `-it` (no terminal here) and the port on loopback with a free host port.
pub fn jupyter_spec(image: &str, name: &str) -> RunSpec {
    RunSpec { tty: true, ..RunSpec::detached(image, name) }.publish(Publish::loopback(None, 8888))
}

/// Runs a sitting of notebook cells in the Jupyter container, as pressing Run in JupyterLab would;
/// `env` overrides the container's environment for this sitting.
pub fn run_cells(s: &mut Session, container: &str, env: &[(&str, &str)], code: &str) -> Result<Ran> {
    let env: String = env.iter().map(|(key, value)| format!("-e {} ", shell_quote(&format!("{key}={value}")))).collect();
    s.cmd(&format!("docker exec {env}{container} python -c {}", shell_quote(code)))
}

/// The Dockerfile of `custom-jupyter-image:mysql-connected` built in the section's project folder
/// (with its `.env` and `.dockerignore`), under a tag of the section's own, as the article's step
/// shows it; literal mode passes the credentials as build arguments, as the article does.
pub fn build_mysql_connected(s: &mut Session, user: &str, password: &str, build_args: bool) -> Result<String> {
    // The project's own image first: it leaves every layer but the last ones cached.
    s.build_series_image("custom-jupyter-image:mysql-connected")?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;
    let project = s.project.path().to_path_buf();
    crate::images::series::stage_article_folder(&crate::paths::docker_dir().join("series/mysql-connected.Dockerfile"), &project)?;
    std::fs::write(project.join(".env"), format!("MYSQL_USER={user}\nMYSQL_PASSWORD={password}\n")).context("writing .env")?;
    let tag = s.name("image", "custom-jupyter-image:mysql-connected");
    let mut spec = BuildSpec::new(&project, &tag);
    if build_args {
        spec = spec.arg("USER", user).arg("PASSWORD", password);
    }
    spec = spec.arg("BASE_IMAGE", &base);
    s.made_image(&tag);
    let ran = s.cmd(&shown("docker", &spec.args(&s.docker.image_labels())))?;
    if !ran.ok() {
        bail!("building {tag} failed: {}", crate::engine::last_message(&ran.output));
    }
    Ok(tag)
}
