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

use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::super::cells::{cell, cell_output, program_of, TABLE_2018};
use super::super::database;
use super::super::db;
use super::super::session::Session;
use super::{wait_for_url, Hub, Pushed};
use crate::engine::Docker;
use crate::sandbox::{Remote, Sandbox};

mod tunnel;

use tunnel::{shown, Tunnel};

const D1: &str = include_str!("../data/deploy/D1.py");
const D2: &str = include_str!("../data/deploy/D2.py");
/// Cell D3 is article 3's N4, byte for byte.
fn d3() -> &'static str {
    cell("N4")
}
/// The two columns D2 creates and never fills.
const UNFILLED: [&str; 2] = [
    ", StartCenterlineType VARCHAR(255)",
    ", EndCenterlineType VARCHAR(255)",
];
/// The article's root password on the Linode.
const PASSWORD: &str = "my-secret-pw";
const JUPYTER: &str = "custom-jupyter-container";
const DB: &str = "mysql-db";
const NETWORK: &str = "jupyter-mysql-net";

/// What a cell sitting needs from the notebook's kernel when it runs in a new process (the
/// variables D1 set in the article's one kernel).
const KERNEL_STATE: &str = "import mysql.connector\nfrom mysql.connector import Error\nimport os\nmysql_user = os.getenv('MYSQL_USER')\nmysql_password = os.getenv('MYSQL_PASSWORD')\n";

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
    let password = db::new_password();
    s.secret(PASSWORD);
    s.secret(&password);
    let dir = s.project.path().to_path_buf();
    let (db_env, jupyter_env) = (dir.join("mysql.env"), dir.join("jupyter.env"));
    write_private(&db_env, &format!("MYSQL_ROOT_PASSWORD={password}\n"))?;
    write_private(
        &jupyter_env,
        &format!("MYSQL_USER=root\nMYSQL_PASSWORD={password}\n"),
    )?;
    s.note("corrected: the passwords are in two files only the person can read (mysql.env, jupyter.env), given with --env-file at run time; MySQL keeps its data on the named volume mysql-data and has a healthcheck; JupyterLab starts once MySQL is healthy, from the image pinned by the digest `docker push` printed, published on the Linode's loopback only");

    // Steps 9-11.
    s.cmd_ok(&format!("docker network create {NETWORK}"))?;
    let mysql = s.cmd(&mysql_line(&db_env))?;
    let id_line = mysql.output.lines().last().unwrap_or("").trim().to_string();
    s.claim(
        "on a fresh Docker host, `docker run ... mysql` pulls mysql:latest and prints the container's ID",
        mysql.ok() && mysql.output.contains("Unable to find image 'mysql:latest' locally") && mysql.output.contains("Downloaded newer image for mysql:latest") && id_line.len() == 64 && id_line.bytes().all(|b| b.is_ascii_hexdigit()),
        true,
        format!("exit {}; `Unable to find image 'mysql:latest' locally`: {}; status: {}; last line: {id_line}", mysql.exit, mysql.output.contains("Unable to find image 'mysql:latest' locally"), mysql.output.lines().find(|l| l.starts_with("Status:")).unwrap_or("none")),
    );
    wait_healthy(s);
    let image = format!("{}@{}", pushed.repository, pushed.digest);
    let env_file = format!(" --env-file {}", jupyter_env.display());
    let publish = "127.0.0.1:8888:8888";
    let jupyter = s.cmd(&format!(
        "docker run -d -it -p {publish} --name {JUPYTER} --network {NETWORK}{env_file} {image}"
    ))?;
    s.claim(
        "the Linode pulls the pushed image from Docker Hub (a public repository: no login there) and starts it",
        jupyter.ok() && jupyter.output.contains(&format!("Pulling from {}", pushed.repository)) && jupyter.output.contains("Status: Downloaded newer image"),
        true,
        format!("exit {}; `Pulling from {}`: {}; status: {}", jupyter.exit, pushed.repository, jupyter.output.contains(&format!("Pulling from {}", pushed.repository)), jupyter.output.lines().find(|l| l.starts_with("Status:")).unwrap_or("none")),
    );
    if !jupyter.ok() {
        bail!("the Jupyter container did not start on the Linode");
    }
    let config_image = s
        .docker
        .probe(["inspect", "--format", "{{.Config.Image}}", JUPYTER])
        .unwrap_or_default();
    s.claim(
        "the Linode runs exactly the image that was pushed (pinned by its digest)",
        config_image == format!("{}@{}", pushed.repository, pushed.digest),
        true,
        format!(
            "{JUPYTER} runs {config_image:?}; the push printed digest {}",
            pushed.digest
        ),
    );
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
        "the image pushed to the public repository carries no database password",
        baked.is_empty(),
        true,
        format!(
            "MYSQL_ entries of the pulled image's config: {}",
            env.lines()
                .filter(|l| l.starts_with("MYSQL_"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );

    // Step 12.
    let url = wait_for_url(s, JUPYTER, Duration::from_secs(120))?;
    let logs = s.cmd(&format!("docker logs {JUPYTER}"))?;
    s.claim(
        "`docker logs` shows the server's URL with its token (http://127.0.0.1:8888/lab?token=...)",
        logs.output.contains("http://127.0.0.1:8888/lab?token="),
        true,
        format!(
            "a `http://127.0.0.1:8888/lab?token=` line in the log: {}",
            logs.output.contains("http://127.0.0.1:8888/lab?token=")
        ),
    );
    let token = url.token().unwrap_or_default().to_string();

    // Step 13: open the URL at the Linode's address, from the local machine.
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
        "the JupyterLab URL opens from the local machine with the token, and the server refuses the API without it",
        with_token == 200 && without == 403,
        true,
        format!("{through}: /lab?token=<redacted> {}; /api/status without the token {}", shown(with_token), shown(without)),
    );
    let ports = s
        .docker
        .probe(["port", JUPYTER])
        .unwrap_or_default()
        .replace('\n', ", ");
    s.claim(
        "JupyterLab is not served on the Linode's public address over plain HTTP",
        lab_public == 0 && api_public == 0,
        true,
        format!("http://{address}:8888/lab?token=<redacted> from the local machine: {}; /api/status: {}; published: {ports}", shown(lab_public), shown(api_public)),
    );
    drop(tunnel);

    // Steps 14-16: the three cells in one sitting, as soon as the page opened.
    let d2 = UNFILLED
        .iter()
        .fold(D2.to_string(), |cell, column| cell.replace(column, ""));
    s.note("corrected: D2 creates the 7 columns it fills (without StartCenterlineType and EndCenterlineType)");
    let code = program_of(s.mode, &[("D1", D1), ("D2", &d2), ("D3", d3())]);
    let mut ran = database::run_cells(s, JUPYTER, &[], &code)?;
    if !cell_output(&ran.output, "D1")
        .iter()
        .any(|l| l == "connection successfully")
    {
        s.note("D1 did not connect: as a reader would, a while later, once MySQL accepts connections, the cells run again");
        database::wait_ready(s, DB)?;
        ran = database::run_cells(s, JUPYTER, &[], &code)?;
    }
    let (d1, d2_out, d3) = (
        cell_output(&ran.output, "D1"),
        cell_output(&ran.output, "D2"),
        cell_output(&ran.output, "D3"),
    );
    let csv = s
        .docker
        .probe([
            "exec",
            JUPYTER,
            "sh",
            "-c",
            "wc -l < outputs/Motorized-Foot-Scooter-Trips-2018.csv",
        ])
        .unwrap_or_default();
    s.claim(
        "D1 writes outputs/Motorized-Foot-Scooter-Trips-2018.csv (/work/outputs is in the image) and prints `connection successfully`",
        csv.trim() == "1001" && d1.iter().any(|l| l == "connection successfully"),
        true,
        format!("lines in the CSV (with its header): {:?}; D1 printed: {}", csv.trim(), d1.join(" / ")),
    );
    let expected_d2 = [
        "connection successfully",
        "You're connected to database:  ('scooter_trips',)",
        "Motorized_Foot_Scooter_Trips_2018 table created",
    ];
    s.claim(
        "D2 prints `connection successfully`, `You're connected to database:  ('scooter_trips',)` and `Motorized_Foot_Scooter_Trips_2018 table created`",
        d2_out == expected_d2,
        true,
        format!("D2 printed: {}", d2_out.join(" / ")),
    );
    let rows: Vec<(usize, usize)> = d3.iter().filter_map(|l| row_values(l)).collect();
    s.claim(
        "D3 prints `connection successfully` and five rows of seven values, as the article shows",
        d3.first().map(String::as_str) == Some("connection successfully")
            && rows.len() == 5
            && rows.iter().all(|(n, none)| *n == 7 && *none == 0),
        true,
        format!(
            "{} row(s) printed, as (values, of them None): {rows:?}",
            rows.len()
        ),
    );

    recreate(s, &password, &db_env)
}

/// The database container re-created (an upgrade, a reboot without restart policy, a mistake):
/// the notebook's next query, right away, then what the data became.
fn recreate(s: &mut Session, password: &str, db_env: &std::path::Path) -> Result<()> {
    let before = db::count_rows(&s.docker, DB, password, TABLE_2018);
    s.note("not in the article: mysql-db is re-created (as an upgrade or a mistake would), and the notebook's last cell runs again");
    s.cmd_ok(&format!("docker rm -f {DB}"))?;
    s.cmd_ok(&mysql_line(db_env))?;
    wait_healthy(s);
    let code = format!("{KERNEL_STATE}{}", program_of(s.mode, &[("D3", d3())]));
    let ran = database::run_cells(s, JUPYTER, &[], &code)?;
    let printed = cell_output(&ran.output, "D3");
    s.claim(
        "right after mysql-db is re-created, the notebook's next query connects",
        printed.first().map(String::as_str) == Some("connection successfully"),
        true,
        format!("D3 printed: {}", printed.join(" / ")),
    );
    database::wait_ready(s, DB)?;
    let after = db::count_rows(&s.docker, DB, password, TABLE_2018);
    s.claim(
        "the data survives re-creating the mysql-db container",
        after.is_some() && after == before,
        true,
        format!("rows in scooter_trips.{TABLE_2018}: {before:?} before, {after:?} after"),
    );
    Ok(())
}

/// The corrected `docker run ... mysql`: a named volume, the password from a file at run time, a
/// healthcheck.
fn mysql_line(db_env: &std::path::Path) -> String {
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

/// A row printed as a Python tuple: (its values, how many are None).
pub(super) fn row_values(line: &str) -> Option<(usize, usize)> {
    let inner = line.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<&str> = inner.split(", ").collect();
    (values.len() > 1).then(|| {
        (
            values.len(),
            values.iter().filter(|v| **v == "None").count(),
        )
    })
}

/// A file of secrets in the section's project folder (0700, made for this run: no one else can
/// open what is inside).
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::session::Mode;

    #[test]
    fn rows_and_their_empty_values() {
        let printed = [
            ("('154744', '256', '1108', '2018/07/10 12:00:00+00', '2018/07/10 12:00:00+00', '16914', '16914')", Some((7, 0))),
            ("('1', '2', '3', '4', '5', '6', None, '7', None)", Some((9, 2))),
            ("connection successfully", None),
        ];
        for (line, values) in printed {
            assert_eq!(row_values(line), values, "{line}");
        }
    }

    #[test]
    fn the_cells_are_the_articles() {
        assert!(
            D1.contains("host=\"mysql-db\",") && D1.contains("aaf4274109f34ffd93ac71267c5b276e")
        );
        assert_eq!(D2.matches("VARCHAR(255)").count(), 9);
        assert_eq!(D2.matches("%s").count(), 7);
        let fixed = UNFILLED
            .iter()
            .fold(D2.to_string(), |cell, column| cell.replace(column, ""));
        assert_eq!(fixed.matches("VARCHAR(255)").count(), 7);
        assert!(!program_of(Mode::Literal, &[("D1", D1)]).contains("https://"));
    }
}
