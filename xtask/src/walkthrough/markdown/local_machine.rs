//! The "local machine" an article takes as set up by other guides, played in the sandbox by
//! stand-ins the transcript names. Article 3 has its reader install MySQL (another guide, line 27),
//! pip (`sudo apt install python3-pip`) and JupyterLab with pip, then run its first cells in that
//! JupyterLab against that MySQL. None of that can be installed here (no network), so:
//! - MySQL: the registry's `mysql` stand-in on the sandbox's own network (`--network host`), set up
//!   as a MySQL installed on a desktop is: it listens on 127.0.0.1 only, and its root is the
//!   article's `.env` user (root) with the article's password, at localhost only;
//! - Python: the registry's Jupyter stand-in (which carries what the article's `pip install` names)
//!   as one long-running container on the sandbox's network with its home folder shared, behind
//!   `pip` and `jupyter-lab` commands on the sandbox's PATH.
//!
//! The images are pulled under names of their own, so the article's own pulls still happen.

use std::time::Duration;

use anyhow::{Context, Result};

use super::job::Place;
use super::placeholders::Values;
use crate::engine::Docker;

/// What a replayed article's local machine is taken to have.
struct Needs {
    slug: &'static str,
    /// Where the article says it (the prose the stand-ins stand in for).
    lines: &'static str,
    /// The placeholder holding the password of the local MySQL's root.
    mysql_password: &'static str,
}

const ARTICLES: &[Needs] = &[Needs {
    slug: "persist-jupyter-data-mysql-docker",
    lines: "lines 27, 34 and 40",
    mysql_password: "EXAMPLE_PASSWORD",
}];

/// The name of the container standing in for the local machine's Python and JupyterLab.
pub const PYTHON: &str = "local-machine-jupyter";
/// The name of the container standing in for the local machine's MySQL.
pub const MYSQL: &str = "local-machine-mysql";

const PIP: &str = "#!/bin/sh\n# Stand-in: the local machine's pip, in the container playing its Python.\nexec docker exec -i -w \"$PWD\" local-machine-jupyter pip \"$@\"\n";
const JUPYTER_LAB: &str = "#!/bin/sh\n# Stand-in: the local machine's JupyterLab, in the container playing its Python (as root there, hence --allow-root).\nexec docker exec -it -w \"$PWD\" local-machine-jupyter jupyter-lab --allow-root --no-browser \"$@\"\n";

/// Sets up the stand-ins `slug` needs (none for most articles); the notes that name them.
pub fn prepare(inner: &Docker, place: &Place, slug: &str, values: &Values) -> Result<Vec<String>> {
    let Some(needs) = ARTICLES.iter().find(|n| n.slug == slug) else {
        return Ok(Vec::new());
    };
    let python = own_copy(
        inner,
        "jupyter/minimal-notebook",
        "jdx-local-machine/python",
    )?;
    inner
        .output([
            "run",
            "-d",
            "--name",
            PYTHON,
            "--network",
            "host",
            "--user",
            "root",
            "-e",
            "HOME=/root",
            "-v",
            "/root:/root",
            "-w",
            "/root",
            "--entrypoint",
            "sleep",
            &python,
            "infinity",
        ])
        .context("starting the stand-in for the local machine's Python")?;
    for (path, script) in [
        ("/usr/local/bin/pip", PIP),
        ("/usr/local/bin/jupyter-lab", JUPYTER_LAB),
    ] {
        place.install(path, script.as_bytes())?;
    }
    let mysql = own_copy(inner, "mysql", "jdx-local-machine/mysql")?;
    let password = values.get(needs.mysql_password).unwrap_or_default();
    let env = format!("MYSQL_ROOT_PASSWORD={password}");
    inner
        .output([
            "run",
            "-d",
            "--name",
            MYSQL,
            "--network",
            "host",
            "-e",
            &env,
            &mysql,
            "--bind-address=127.0.0.1",
            "--skip-name-resolve=OFF",
        ])
        .context("starting the stand-in for the local machine's MySQL")?;
    // A desktop install's root logs in from this machine only: the image's root@'%' goes.
    let ready =
        crate::engine::wait::poll(Duration::from_secs(120), Duration::from_millis(500), || {
            inner
                .status([
                    "exec",
                    MYSQL,
                    "sh",
                    "-c",
                    "mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e \"DROP USER IF EXISTS 'root'@'%'\"",
                ])
                .is_ok_and(|o| o.ok())
        });
    anyhow::ensure!(
        ready.is_some(),
        "the stand-in for the local machine's MySQL did not accept connections within 120 s"
    );
    Ok(vec![
        format!("stand-in for the local machine's MySQL ({}): container {MYSQL} of the sandbox's `mysql` stand-in on the sandbox's own network, listening on 127.0.0.1:3306, root at localhost only with {}", needs.lines, needs.mysql_password),
        format!("stand-in for the local machine's pip and JupyterLab ({}): `pip` and `jupyter-lab` on the sandbox's PATH run in container {PYTHON} (the sandbox's Jupyter stand-in, which already has what the article installs: nothing is downloaded), on the sandbox's network, sharing its home folder", needs.lines),
    ])
}

/// `image` pulled from the sandbox's registry and kept under `name` only: the article's own
/// `docker pull` or `FROM` of `image` still finds it missing, and pulls.
fn own_copy(inner: &Docker, image: &str, name: &str) -> Result<String> {
    inner
        .output(["pull", "-q", image])
        .with_context(|| format!("pulling {image} from the sandbox's registry for a stand-in"))?;
    inner.output(["tag", image, name])?;
    inner.output(["rmi", image])?;
    Ok(name.to_string())
}
