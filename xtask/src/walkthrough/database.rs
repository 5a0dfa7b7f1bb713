//! The steps articles 3 and 4 share around a MySQL server and the notebook that talks to it:
//! the server's and the Jupyter container's `docker run`, waiting for the server, building the
//! article's image, and running a sitting of cells in the container. Free functions on the
//! section's [`Session`], so neither article reaches into the other.

use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use super::cells::{cell_output, program, started_after};
use super::session::{Ran, Session};
use crate::engine::cmdline::{shell_quote, shown};
use crate::engine::{wait, BuildSpec, Publish, RunSpec};
use crate::images::mysql::Server;

/// `docker run -d --name NAME -e MYSQL_ROOT_PASSWORD=... IMAGE` of a MySQL server; the caller adds
/// its network, ports or volume.
pub fn server_spec(server: &Server, name: &str, password: &str) -> RunSpec {
    RunSpec::detached(&server.image, name).env("MYSQL_ROOT_PASSWORD", password)
}

/// Starts a MySQL server as a step of the transcript (removed at the end unless `--keep`); the
/// moment `docker run` returned (a wall-clock time: the cells' own clock is compared with it).
pub fn start(s: &mut Session, spec: &RunSpec) -> Result<SystemTime> {
    s.run_ok(spec)?;
    Ok(SystemTime::now())
}

/// Waits until the database accepts connections, as a reader would before running the cells.
pub fn wait_ready(s: &mut Session, name: &str) -> Result<f64> {
    wait_ready_on(s, name, 3306)
}

/// [`wait_ready`] for a server listening on another port (one on the host's network).
pub fn wait_ready_on(s: &mut Session, name: &str, port: u16) -> Result<f64> {
    let step = s.step(format!("Waiting for {name} to accept connections"));
    let waited =
        crate::images::mysql::wait_ready_on(&s.docker, name, port, Duration::from_secs(180));
    drop(step);
    match waited {
        Some(secs) => {
            s.say(&format!(
                "   {name} accepts connections ({secs:.1}s of waiting)"
            ));
            Ok(secs)
        }
        None => {
            let log = s
                .docker
                .probe(["logs", "--tail", "15", name])
                .unwrap_or_default();
            bail!(
                "{name} did not accept connections within 180s; its log ends: {}",
                log.replace('\n', " | ")
            )
        }
    }
}

/// What the notebook's first connection showed: article 3's cell N2, run alone.
pub struct FirstConnection {
    pub connected: bool,
    /// What the cell printed.
    pub printed: Vec<String>,
    /// When it started, in seconds after the moment it is timed from.
    pub started: Option<f64>,
}

impl FirstConnection {
    /// `started 0.8s after X and printed: ...`.
    pub fn describe(&self, after: &str) -> String {
        let started = self
            .started
            .map(|t| format!("{t:.1}s"))
            .unwrap_or_else(|| "?s".into());
        format!(
            "cell N2 started {started} after {after} and printed: {}",
            self.printed.join(" / ")
        )
    }
}

/// Runs cell N2 (connect, CREATE DATABASE) alone in `container`, timed from `since`.
pub fn first_connection(
    s: &mut Session,
    container: &str,
    since: SystemTime,
) -> Result<FirstConnection> {
    let ran = run_cells(s, container, &[], &program(s.mode, &["N2"]))?;
    let printed = cell_output(&ran.output, "N2");
    Ok(FirstConnection {
        connected: printed.iter().any(|l| l == "connection successfully"),
        started: started_after(&ran.output, "N2", since),
        printed,
    })
}

/// The container's health once it is healthy, or after `limit`: an unhealthy container may still
/// recover (a check that timed out on a busy machine passes again later), so it is not final.
pub fn health_within(s: &Session, container: &str, limit: Duration) -> String {
    let mut status = String::new();
    wait::poll(limit, Duration::from_millis(250), || {
        status = s
            .docker
            .probe([
                "container",
                "inspect",
                "--format",
                "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
                container,
            ])
            .unwrap_or_else(|| "gone".into());
        matches!(status.as_str(), "healthy" | "none" | "gone")
    });
    status
}

/// One line of `docker ps`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PsRow {
    pub name: String,
    pub image: String,
    pub status: String,
    pub ports: String,
}

impl PsRow {
    /// `name: image, status, ports` for a claim's evidence.
    pub fn describe(&self) -> String {
        let ports = if self.ports.is_empty() {
            "no ports"
        } else {
            &self.ports
        };
        format!(
            "{}: image {}, {}, {ports}",
            self.name, self.image, self.status
        )
    }
}

/// The article's `docker ps`, as a step, limited to `names`: a row for each of `names`, in their
/// order (status `not listed` for a container `docker ps` does not show).
pub fn docker_ps(s: &mut Session, names: &[&str]) -> Result<Vec<PsRow>> {
    let filter = format!("name=^({})$", names.join("|"));
    let listed = parse_ps(&s.cmd_ok(&format!("docker ps --filter {} --format '{{{{.Names}}}}\t{{{{.Image}}}}\t{{{{.Status}}}}\t{{{{.Ports}}}}'", shell_quote(&filter)))?);
    let row = |name: &&str| {
        listed
            .iter()
            .find(|row| row.name == *name)
            .cloned()
            .unwrap_or_else(|| PsRow {
                name: name.to_string(),
                status: "not listed".into(),
                ..PsRow::default()
            })
    };
    Ok(names.iter().map(row).collect())
}

fn parse_ps(listed: &str) -> Vec<PsRow> {
    listed
        .lines()
        .map(|line| {
            let mut fields = line.split('\t').map(|f| f.trim().to_string());
            let mut next = || fields.next().unwrap_or_default();
            PsRow {
                name: next(),
                image: next(),
                status: next(),
                ports: next(),
            }
        })
        .collect()
}

/// The article's `docker run -d -it -p 8888:8888 --name NAME IMAGE` of the Jupyter container, with
/// `-t` for `-it` (no terminal here) and the port on loopback with a free host port.
pub fn jupyter_spec(image: &str, name: &str) -> RunSpec {
    RunSpec {
        tty: true,
        ..RunSpec::detached(image, name)
    }
    .publish(Publish::loopback(None, 8888))
}

/// Runs a sitting of notebook cells in the Jupyter container, as pressing Run in JupyterLab would;
/// `env` overrides the container's environment for this sitting.
pub fn run_cells(
    s: &mut Session,
    container: &str,
    env: &[(&str, &str)],
    code: &str,
) -> Result<Ran> {
    let env: String = env
        .iter()
        .map(|(key, value)| format!("-e {} ", shell_quote(&format!("{key}={value}"))))
        .collect();
    s.cmd(&format!(
        "docker exec {env}{container} python -c {}",
        shell_quote(code)
    ))
}

/// The Dockerfile of `custom-jupyter-image:mysql-connected` built in the section's project folder
/// (with its `.env` and `.dockerignore`), under a tag of the section's own, as the article's step
/// shows it; literal mode passes the credentials as build arguments, as the article does.
pub fn build_mysql_connected(
    s: &mut Session,
    user: &str,
    password: &str,
    build_args: bool,
) -> Result<String> {
    // The Dockerfile built once before: every layer but the last ones is cached.
    super::steps::dockerfile_cache(s, "custom-jupyter-image:mysql-connected")?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;
    let project = s.project.path().to_path_buf();
    crate::images::series::stage_article_folder(
        &crate::paths::docker_dir().join("series/mysql-connected.Dockerfile"),
        &project,
    )?;
    std::fs::write(
        project.join(".env"),
        format!("MYSQL_USER={user}\nMYSQL_PASSWORD={password}\n"),
    )
    .context("writing .env")?;
    let tag = s.name("image", "custom-jupyter-image:mysql-connected");
    let mut spec = BuildSpec::new(&project, &tag);
    if build_args {
        spec = spec.arg("USER", user).arg("PASSWORD", password);
    }
    spec = spec.arg("BASE_IMAGE", &base);
    s.made_image(&tag);
    let ran = s.cmd(&shown("docker", &spec.args(&s.docker.build_labels(&tag))))?;
    if !ran.ok() {
        bail!(
            "building {tag} failed: {}",
            crate::engine::last_message(&ran.output)
        );
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_ps_lines_become_rows() {
        let listed = "mysql-db\tmysql:8.4\tUp 3 minutes\t3306/tcp, 33060/tcp\nj\tjupyter-jupyter\tUp 3 minutes (healthy)\t127.0.0.1:49153->8888/tcp\nk\ti\tUp 1 second\t";
        let rows = parse_ps(listed);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            PsRow {
                name: "j".into(),
                image: "jupyter-jupyter".into(),
                status: "Up 3 minutes (healthy)".into(),
                ports: "127.0.0.1:49153->8888/tcp".into()
            }
        );
        assert_eq!(rows[2].ports, "");
        assert_eq!(rows[2].describe(), "k: image i, Up 1 second, no ports");
    }
}
