//! The MySQL server of articles 3 and 4: the official image, pinned, where it is present or can
//! be pulled within a few seconds; otherwise a stand-in built here from Debian's packages (MariaDB,
//! see docker/mysql/), which keeps the official image's contract where the articles rely on it.

use std::time::Duration;

use anyhow::{Context, Result};
use xshell::Shell;

use crate::engine::{wait, BuildSpec, Docker};
use crate::images::recipe::RecipeHash;
use crate::paths;

pub const OFFICIAL: &str = "mysql:8.4";
const LOCAL_REPO: &str = "jupyter-docker-xtask/mysql";
/// Debian packages of the stand-in's root filesystem.
const PACKAGES: &str = "mariadb-server,mariadb-client";

#[derive(Debug, Clone)]
pub struct Server {
    pub image: String,
    pub official: bool,
}

impl Server {
    /// One line for the transcript: which server plays MySQL.
    pub fn describe(&self) -> String {
        if self.official {
            format!("the official MySQL image {}", self.image)
        } else {
            format!("{} (a stand-in built here: MariaDB from Debian's packages, since {OFFICIAL} cannot be pulled; same protocol, same MYSQL_ROOT_PASSWORD/VOLUME/3306 contract)", self.image)
        }
    }
}

/// The stand-in's tag carries a hash of its recipe (package list and docker/mysql/).
pub fn local_tag() -> Result<String> {
    let hash = RecipeHash::default()
        .text(&crate::images::base::rootfs_tag_for(PACKAGES))
        .tree(&paths::docker_dir().join("mysql"))?
        .short();
    Ok(format!("{LOCAL_REPO}:local-{hash}"))
}

/// Makes sure a MySQL server image exists: official when present or pullable, else the stand-in.
pub fn ensure(sh: &Shell) -> Result<Server> {
    // The machine's image, shared by every run: no run's label.
    let docker = Docker::new(sh).with_run(None);
    if docker.image_exists(OFFICIAL) {
        return Ok(Server {
            image: OFFICIAL.into(),
            official: true,
        });
    }
    let local = local_tag()?;
    if docker.image_exists(&local) {
        return Ok(Server {
            image: local,
            official: false,
        });
    }
    if crate::images::base::pull(sh, OFFICIAL, Some(Duration::from_secs(5))).is_ok() {
        return Ok(Server {
            image: OFFICIAL.into(),
            official: true,
        });
    }
    let _lock = paths::exclusive("mysql-standin")?;
    if !docker.image_exists(&local) {
        let rootfs = crate::images::base::ensure_rootfs_with(sh, PACKAGES)
            .context("making the MySQL stand-in's root filesystem")?;
        let spec =
            BuildSpec::new(paths::docker_dir().join("mysql"), &local).arg("ROOTFS_IMAGE", &rootfs);
        docker.build(
            &spec,
            &format!("Building the MySQL stand-in {local} (MariaDB; {OFFICIAL} cannot be pulled)"),
            false,
        )?;
    }
    Ok(Server {
        image: local,
        official: false,
    })
}

/// Polls until the server in `container` accepts TCP connections (not just its socket, which the
/// first-start initialisation opens early); the seconds it took, or None after `limit`.
pub fn wait_ready(docker: &Docker, container: &str, limit: Duration) -> Option<f64> {
    wait_ready_on(docker, container, 3306, limit)
}

/// [`wait_ready`] for a server on another port than 3306.
pub fn wait_ready_on(docker: &Docker, container: &str, port: u16, limit: Duration) -> Option<f64> {
    wait::poll(limit, Duration::from_millis(250), || {
        accepts_on(docker, container, port)
    })
    .map(|took| took.as_secs_f64())
}

/// Does the server in `container` answer on TCP 127.0.0.1:3306 now?
pub fn accepts(docker: &Docker, container: &str) -> bool {
    accepts_on(docker, container, 3306)
}

/// Does the server in `container` answer on TCP 127.0.0.1:`port` (its own loopback) now?
pub fn accepts_on(docker: &Docker, container: &str, port: u16) -> bool {
    let port = format!("-P{port}");
    docker
        .probe([
            "exec",
            container,
            "mysqladmin",
            "--protocol=tcp",
            "-h127.0.0.1",
            port.as_str(),
            "--connect-timeout=2",
            "ping",
        ])
        .is_some()
}

/// A throwaway password for one server (the articles' placeholders need a value).
pub fn new_password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("wt-{}-{nanos:08x}", std::process::id())
}
