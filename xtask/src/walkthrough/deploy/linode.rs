//! The Linode's half of article 5: a second sandbox engine behind an SSH server stands in for the
//! Linode (the article's LISH browser console is replaced by SSH: every command runs here with
//! `DOCKER_HOST=ssh://root@ADDRESS`), and its address on the sandbox network for LINODE_IP_ADDRESS.
//!
//! The corrected recipe (the literal mode is the article's replay, see `literal.rs`). The errata
//! that replay shows, fixed here: MySQL runs with no volume, so its data goes with the container
//! (here: a named volume); nothing waits for the database (here: a healthcheck the notebook waits
//! for); the credentials come baked into the pushed image (here: given at run time with
//! `--env-file`); the image runs by its tag (here: pinned by the digest `docker push` printed); D2
//! creates 9 columns and fills 7, so D3 prints 9 values per row where the article shows 7 (here:
//! the 7 columns filled); JupyterLab is served on the public address over plain HTTP (here: on the
//! Linode's loopback, reached through an `ssh -L` tunnel).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::super::database;
use super::super::session::Session;
use super::{wait_for_url, Hub, Pushed};
use crate::engine::Docker;
use crate::sandbox::{Remote, Sandbox};

mod cells;
mod tunnel;

pub(super) use cells::row_values;
use tunnel::{shown, Tunnel};

/// The article's root password on the Linode.
const PASSWORD: &str = "my-secret-pw";
const JUPYTER: &str = "custom-jupyter-container";
const DB: &str = "mysql-db";
const NETWORK: &str = "jupyter-mysql-net";

pub fn run(
    s: &mut Session,
    host: &Docker,
    local: &Sandbox,
    hub: &Hub,
    pushed: &Pushed,
) -> Result<()> {
    let remote = Remote::start(host)?;
    // A new Linode has no images: what an earlier run left in this stand-in's engine goes.
    remote.direct.output(["image", "prune", "-a", "-f"])?;
    // It pulls from Docker Hub (the stand-in), and the local machine reaches it on its network.
    hub.serve_remote(&remote)?;
    let address = remote.join(&local.network)?;
    let config = tempfile::Builder::new()
        .prefix("jdx-linode-config-")
        .tempdir()?;
    s.docker = remote.docker.with_config(config.path());
    s.note(&format!(
        "the Linode is the sandbox engine {} with an SSH server in front, at {} on the sandbox network (LINODE_IP_ADDRESS); the LISH console is replaced by SSH: its commands run here with DOCKER_HOST={} (a key made for this run), and the Linode's CLI has no Docker Hub login",
        remote.sandbox.container, address, remote.url
    ));
    let result = on_the_linode(s, &remote, &address, local, pushed);
    s.docker = local.inner.clone();
    result
}

/// `address`: the Linode's address on the local machine's network (LINODE_IP_ADDRESS).
fn on_the_linode(
    s: &mut Session,
    remote: &Remote,
    address: &str,
    local: &Sandbox,
    pushed: &Pushed,
) -> Result<()> {
    let password = crate::images::mysql::new_password();
    s.secret(PASSWORD);
    s.secret(&password);
    let (db_env, jupyter_env) = write_env_files(s, &password)?;
    // Steps 9-11.
    start_mysql(s, &db_env)?;
    start_jupyter(s, pushed, &jupyter_env)?;
    claim_no_password_in_the_image(s, pushed);
    // Step 12.
    let token = the_token_in_the_log(s)?;
    // Step 13: open the URL at the Linode's address, from the local machine.
    open_the_url(s, remote, address, local, &token)?;
    cells::run_the_cells(s)?;
    cells::recreate(s, &password, &db_env)
}

/// The passwords in two files only the person can read, for `--env-file`.
fn write_env_files(s: &mut Session, password: &str) -> Result<(PathBuf, PathBuf)> {
    let dir = s.project.path().to_path_buf();
    let (db_env, jupyter_env) = (dir.join("mysql.env"), dir.join("jupyter.env"));
    write_private(&db_env, &format!("MYSQL_ROOT_PASSWORD={password}\n"))?;
    write_private(
        &jupyter_env,
        &format!("MYSQL_USER=root\nMYSQL_PASSWORD={password}\n"),
    )?;
    s.note("corrected: the passwords are in two files only the person can read (mysql.env, jupyter.env), given with --env-file at run time; MySQL keeps its data on the named volume mysql-data and has a healthcheck; JupyterLab starts once MySQL is healthy, from the image pinned by the digest `docker push` printed, published on the Linode's loopback only");
    Ok((db_env, jupyter_env))
}

/// The network and MySQL, pulled on a fresh host, healthy before anything uses it.
fn start_mysql(s: &mut Session, db_env: &Path) -> Result<()> {
    s.cmd_ok(&format!("docker network create {NETWORK}"))?;
    let mysql = s.cmd(&mysql_line(db_env))?;
    let id_line = mysql.output.lines().last().unwrap_or("").trim().to_string();
    s.claim("fresh-host-pulls-mysql",
        mysql.ok() && mysql.output.contains("Unable to find image 'mysql:latest' locally") && mysql.output.contains("Downloaded newer image for mysql:latest") && id_line.len() == 64 && id_line.bytes().all(|b| b.is_ascii_hexdigit()),
        format!("exit {}; `Unable to find image 'mysql:latest' locally`: {}; status: {}; last line: {id_line}", mysql.exit, mysql.output.contains("Unable to find image 'mysql:latest' locally"), mysql.output.lines().find(|l| l.starts_with("Status:")).unwrap_or("none")));
    wait_healthy(s);
    Ok(())
}

/// The pushed image, pinned by its digest, pulled from Docker Hub and started.
fn start_jupyter(s: &mut Session, pushed: &Pushed, jupyter_env: &Path) -> Result<()> {
    let image = format!("{}@{}", pushed.repository, pushed.digest);
    let env_file = format!(" --env-file {}", jupyter_env.display());
    let publish = "127.0.0.1:8888:8888";
    let jupyter = s.cmd(&format!(
        "docker run -d -it -p {publish} --name {JUPYTER} --network {NETWORK}{env_file} {image}"
    ))?;
    s.claim(
        "linode-pulls-image",
        jupyter.ok()
            && jupyter
                .output
                .contains(&format!("Pulling from {}", pushed.repository))
            && jupyter.output.contains("Status: Downloaded newer image"),
        format!(
            "exit {}; `Pulling from {}`: {}; status: {}",
            jupyter.exit,
            pushed.repository,
            jupyter
                .output
                .contains(&format!("Pulling from {}", pushed.repository)),
            jupyter
                .output
                .lines()
                .find(|l| l.starts_with("Status:"))
                .unwrap_or("none")
        ),
    );
    if !jupyter.ok() {
        bail!("the Jupyter container did not start on the Linode");
    }
    let config_image = s
        .docker
        .probe(["inspect", "--format", "{{.Config.Image}}", JUPYTER])
        .unwrap_or_default();
    s.claim(
        "linode-runs-pushed-digest",
        config_image == format!("{}@{}", pushed.repository, pushed.digest),
        format!(
            "{JUPYTER} runs {config_image:?}; the push printed digest {}",
            pushed.digest
        ),
    );
    Ok(())
}

/// The pulled image's environment holds no database password.
fn claim_no_password_in_the_image(s: &mut Session, pushed: &Pushed) {
    let image = format!("{}@{}", pushed.repository, pushed.digest);
    let env = s
        .docker
        .probe([
            "image",
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            &image,
        ])
        .unwrap_or_default();
    let baked: Vec<&str> = env
        .lines()
        .filter(|l| l.starts_with("MYSQL_PASSWORD=") && *l != "MYSQL_PASSWORD=NOT_DEFINED")
        .collect();
    s.claim(
        "no-password-in-image",
        baked.is_empty(),
        format!(
            "MYSQL_ entries of the pulled image's config: {}",
            env.lines()
                .filter(|l| l.starts_with("MYSQL_"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );
}

/// The server's URL in `docker logs`, with its token.
fn the_token_in_the_log(s: &mut Session) -> Result<String> {
    let url = wait_for_url(s, JUPYTER, Duration::from_secs(120))?;
    let logs = s.cmd(&format!("docker logs {JUPYTER}"))?;
    s.claim(
        "logs-token-url",
        logs.output.contains("http://127.0.0.1:8888/lab?token="),
        format!(
            "a `http://127.0.0.1:8888/lab?token=` line in the log: {}",
            logs.output.contains("http://127.0.0.1:8888/lab?token=")
        ),
    );
    Ok(url.token().unwrap_or_default().to_string())
}

/// The URL opens through the `ssh -L` tunnel, with the token only, and not at the Linode's public
/// address.
fn open_the_url(
    s: &mut Session,
    remote: &Remote,
    address: &str,
    local: &Sandbox,
    token: &str,
) -> Result<()> {
    let public = |path: &str| local.http_status(&format!("http://{address}:8888{path}"));
    let (lab_public, api_public) = (
        public(&format!("/lab?token={token}")),
        public("/api/status"),
    );
    let tunnel = Tunnel::open(s, remote)?;
    let (with_token, without) = (
        tunnel.status(&format!("/lab?token={token}"), None),
        tunnel.status("/api/status", None),
    );
    let through = "through the `ssh -L` tunnel (http://127.0.0.1:PORT on the local machine)";
    s.claim(
        "url-opens-locally",
        with_token == 200 && without == 403,
        format!(
            "{through}: /lab?token=<redacted> {}; /api/status without the token {}",
            shown(with_token),
            shown(without)
        ),
    );
    let ports = s
        .docker
        .probe(["port", JUPYTER])
        .unwrap_or_default()
        .replace('\n', ", ");
    s.claim("not-public",
        lab_public == 0 && api_public == 0,
        format!("http://{address}:8888/lab?token=<redacted> from the local machine: {}; /api/status: {}; published: {ports}", shown(lab_public), shown(api_public)));
    drop(tunnel);
    Ok(())
}

/// The corrected `docker run ... mysql`: a named volume, the password from a file at run time, a
/// healthcheck.
fn mysql_line(db_env: &Path) -> String {
    format!(
        "docker run -d --name {DB} --network {NETWORK} -v mysql-data:/var/lib/mysql --env-file {} --health-cmd 'mysqladmin --protocol=tcp -h127.0.0.1 ping' --health-interval 1s --health-retries 120 mysql",
        db_env.display()
    )
}

/// The corrected recipe's wait: nothing uses the database before its healthcheck passes.
fn wait_healthy(s: &mut Session) {
    let health = database::health_within(s, DB, Duration::from_secs(180));
    s.record(&format!("until [ \"$(docker inspect -f '{{{{.State.Health.Status}}}}' {DB})\" = healthy ]; do sleep 1; done"), &format!("{DB}: {health}\n"), i32::from(health != "healthy"));
}

/// A file of secrets in the section's project folder (0700, made for this run: no one else can
/// open what is inside).
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
