//! The MySQL server of articles 3 and 4: the official image, pinned, where it is present or can
//! be pulled within a few seconds; otherwise a stand-in built here from Debian's packages (MariaDB,
//! see docker/mysql/), which keeps the official image's contract where the articles rely on it.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use xshell::Shell;

use crate::docker::{self, image_exists};
use crate::{paths, recipe::RecipeHash};

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
    let hash = RecipeHash::default().text(&crate::base::rootfs_tag_for(PACKAGES)).tree(&paths::docker_dir().join("mysql"))?.short();
    Ok(format!("{LOCAL_REPO}:local-{hash}"))
}

/// Makes sure a MySQL server image exists: official when present or pullable, else the stand-in.
pub fn ensure(sh: &Shell) -> Result<Server> {
    if image_exists(sh, OFFICIAL) {
        return Ok(Server { image: OFFICIAL.into(), official: true });
    }
    let local = local_tag()?;
    if image_exists(sh, &local) {
        return Ok(Server { image: local, official: false });
    }
    if crate::base::pull(sh, OFFICIAL, Some(Duration::from_secs(5))).is_ok() {
        return Ok(Server { image: OFFICIAL.into(), official: true });
    }
    let _lock = paths::exclusive("mysql-standin")?;
    if !image_exists(sh, &local) {
        let rootfs = crate::base::ensure_rootfs_with(sh, PACKAGES).context("making the MySQL stand-in's root filesystem")?;
        let mut args = vec!["build".to_string(), "--force-rm".into(), "--build-arg".into(), format!("ROOTFS_IMAGE={rootfs}")];
        args.extend(docker::image_labels());
        args.extend(["-t".into(), local.clone(), paths::docker_dir().join("mysql").display().to_string()]);
        crate::build::run_build(&format!("Building the MySQL stand-in {local} (MariaDB; {OFFICIAL} cannot be pulled)"), &args, false)?;
    }
    Ok(Server { image: local, official: false })
}

/// Polls until the server in `container` accepts TCP connections (not just its socket, which the
/// first-start initialisation opens early); the seconds it took, or None after `limit`.
pub fn wait_ready(sh: &Shell, container: &str, limit: Duration) -> Option<f64> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if accepts(sh, container) {
            return Some(started.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

/// Does the server in `container` answer on TCP 127.0.0.1:3306 now?
pub fn accepts(sh: &Shell, container: &str) -> bool {
    docker::probe(sh, ["exec", container, "mysqladmin", "--protocol=tcp", "-h127.0.0.1", "-P3306", "--connect-timeout=2", "ping"]).is_some()
}

/// `SQL` run by the root user inside `container` (password through MYSQL_PWD, not the command line);
/// its tab-separated output.
pub fn query(sh: &Shell, container: &str, password: &str, sql: &str) -> Option<String> {
    let pwd = format!("MYSQL_PWD={password}");
    docker::probe(sh, ["exec", "-e", pwd.as_str(), container, "mysql", "-uroot", "-N", "-B", "-e", sql])
}

/// Rows in `scooter_trips.TABLE`, or None when the table (or the server) is not there.
pub fn count_rows(sh: &Shell, container: &str, password: &str, table: &str) -> Option<u64> {
    query(sh, container, password, &format!("SELECT COUNT(*) FROM scooter_trips.{table}"))?.trim().parse().ok()
}

/// A throwaway password for one walkthrough (the articles' placeholders need a value).
pub fn new_password() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("wt-{}-{nanos:08x}", std::process::id())
}
