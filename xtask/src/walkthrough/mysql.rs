//! Article 3, "Advanced Jupyter Data Persistence with MySQL and Docker" (persist-jupyter-data-mysql-docker).
//! Its errata, which the corrected mode fixes: nothing waits for the database to accept connections
//! before the notebook connects; the credentials are baked into the image (build args -> ENV); every
//! cell prints the exception class instead of the error; and on a Linux engine `host.docker.internal`
//! needs `--add-host=host.docker.internal:host-gateway`.
//! The notebook's cells (data/mysql/*.py) run inside the Jupyter container (`docker exec ... python -c`),
//! on the bundled synthetic samples instead of the unreachable ArcGIS Hub URLs. This file plays
//! sections B and C (the host's database); `database_container.rs` plays section D.

mod database_container;

use anyhow::{Context, Result};

use super::cells::{connection_lines, error_summary, program, with_port, C1, C2, C3, C4, L1, L2, L3, L4};
use super::session::{Mode, Session};
use super::{database, db};
use super::{Article, Section};
use crate::engine::resources::Resource;
use crate::engine::{Publish, RunSpec};
use crate::images::mysql::Server;

pub const ARTICLE: Article = Article {
    slug: "persist-jupyter-data-mysql-docker",
    short: "mysql",
    title: "Advanced Jupyter Data Persistence with MySQL and Docker",
    sections: &[
        Section { name: "Jupyter container and the host's database", run: host_database },
        Section { name: "Database container, network and volume", run: database_container::run },
    ],
};

/// Where the password shows in the image: its config (`docker image inspect`) and history.
fn password_in_image(s: &mut Session, tag: &str, password: &str) -> Result<Vec<&'static str>> {
    s.cmd_ok(&format!("docker image inspect --format '{{{{json .Config.Env}}}}' {tag}"))?;
    let history = s.cmd_ok(&format!("docker history --no-trunc --format '{{{{.CreatedBy}}}}' {tag}"))?;
    let inspect = s.docker.probe(["image", "inspect", tag]).unwrap_or_default();
    let mut found = Vec::new();
    if inspect.contains(password) {
        found.push("docker image inspect");
    }
    if history.contains(password) {
        found.push("docker history");
    }
    Ok(found)
}

/// Checks every image claim of the article's build: `.env` kept out, jovyan-owned /work, credentials.
fn image_claims(s: &mut Session, tag: &str, password: &str) -> Result<()> {
    let look = RunSpec::new(tag).rm().command(&["sh", "-c", "ls -A /work; stat -c '%u:%g %n' /work/computation.ipynb /work/outputs"]);
    let seen = s.run(&look)?;
    let listing: Vec<&str> = seen.output.lines().filter(|l| !l.contains(' ') && !l.contains("start.sh")).collect();
    s.claim(
        "`.dockerignore` keeps `.env` out of the image: /work has no .env",
        seen.ok() && !listing.contains(&".env") && listing.contains(&"computation.ipynb"),
        true,
        format!("/work holds: {}", listing.join(" ")),
    );
    let owners: Vec<&str> = seen.output.lines().filter(|l| l.split_once(' ').is_some_and(|(o, p)| o.bytes().all(|b| b.is_ascii_digit() || b == b':') && p.starts_with("/work/"))).collect();
    s.claim(
        "COPY --chown=$NB_UID:$NB_GID makes the copied files 1000:100 (jovyan:users)",
        owners.len() == 2 && owners.iter().all(|l| l.starts_with("1000:100 ")),
        true,
        owners.join("; "),
    );
    let found = password_in_image(s, tag, password)?;
    s.claim(
        "the credentials stay out of the image (not in `docker image inspect`, not in `docker history`)",
        found.is_empty(),
        s.mode == Mode::Corrected,
        if found.is_empty() {
            "the password appears in neither; the image's ENV holds MYSQL_USER/MYSQL_PASSWORD=NOT_DEFINED and the container gets them at run time".to_string()
        } else {
            format!("the password passed with --build-arg PASSWORD appears in: {} (ARG -> ENV bakes it into the image)", found.join(", "))
        },
    );
    Ok(())
}

/// The address `--add-host=...:host-gateway` gives containers (the docker0 bridge's, by default).
fn host_gateway(s: &Session, server: &Server) -> Result<String> {
    let mut ask = RunSpec::new(&server.image).rm().command(&["getent", "hosts", "host.docker.internal"]);
    ask.add_host.push("host.docker.internal:host-gateway".into());
    let out = s.docker.run(&ask).context("asking the engine which address host-gateway stands for")?;
    out.split_whitespace().next().map(String::from).context("the engine gave host.docker.internal no address: is --add-host ...:host-gateway supported (Docker 20.10 or later)?")
}

/// The engine answers host.docker.internal by itself only on Docker Desktop.
fn desktop(s: &Session) -> bool {
    s.docker.probe(["info", "--format", "{{.OperatingSystem}}"]).is_some_and(|os| os.contains("Docker Desktop"))
}

fn host_database(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let password = db::new_password();
    s.secret(&password);
    s.note("the placeholders EXAMPLE_USERNAME/EXAMPLE_USER and EXAMPLE_PASSWORD become root and a password made for this run");

    // The host's database: a MySQL container publishing its port on the host.
    let gateway = host_gateway(s, &server)?;
    // Choosing a port and publishing it is one step across processes: two walkthroughs at once
    // (parallel tests) would otherwise both see 3306 free and the second would fail to bind it.
    let port_lock = crate::paths::exclusive("walkthrough-host-database-port")?;
    let port = if port_free(&gateway, 3306) && port_free("127.0.0.1", 3306) { 3306 } else { free_port()? };
    let host_db = s.name("container", "host-mysql");
    s.note(&format!(
        "no MySQL is installed on this host: container {host_db} plays the host's database; its 3306 is published on the host at {gateway}:{port} (the docker0 address, which host.docker.internal points to) and 127.0.0.1:{port}, so it is reached exactly as a MySQL installed on the host and listening there would be{}",
        if port == 3306 { "" } else { " (3306 is taken here, so the cells get `port=` added)" }
    ));
    let on_host = database::server_spec(&server, &host_db, &password)
        .publish(Publish { ip: Some(gateway.clone()), host: Some(port), container: 3306 })
        .publish(Publish::loopback(Some(port), 3306));
    database::start(s, &on_host)?;
    drop(port_lock);
    database::wait_ready(s, &host_db)?;

    // The image (the .env and .dockerignore are part of the folder it is built from).
    let tag = database::build_mysql_connected(s, "root", &password, s.mode == Mode::Literal)?;
    if s.mode == Mode::Corrected {
        s.note("corrected: no --build-arg for the credentials; the container gets them at run time with --env-file .env");
    }

    // Section B, host-side notebook: played by a throwaway container sharing the host's network.
    s.note("the host-side JupyterLab of section B (pip on the host) is played by a throwaway container of the same image on the host's network (`--network host`, so `localhost` is the host); python-dotenv is not in the image, so `--env-file .env` does what load_dotenv() does");
    let host_cells = program(s.mode, &[("L1", L1), ("L2", &L2.replace("from dotenv import load_dotenv\nload_dotenv()\n", "")), ("L3", L3), ("L4", L4)]);
    let env_file = s.project.path().join(".env");
    let host_side = RunSpec { env_file: Some(env_file.clone()), ..RunSpec::new(&tag) }.rm().network("host").command(&["python", "-c", &with_port(&host_cells, "localhost", port)]);
    let ran = s.run(&host_side)?;
    let rows_2020 = db::count_rows(&s.docker, &host_db, &password, "Motorized_Foot_Scooter_Trips_2020");
    s.claim(
        "on the host, the cells create database scooter_trips and table Motorized_Foot_Scooter_Trips_2020 with the 1,000 rows",
        ran.ok() && rows_2020 == Some(1000),
        true,
        format!("cells exit {}; rows in the host's table: {rows_2020:?}", ran.exit),
    );

    image_claims(s, &tag, &password)?;

    // Section C: the Jupyter container talks to the host's database.
    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let mut run = database::jupyter_spec(&tag, &jupyter);
    if s.mode == Mode::Corrected {
        run.add_host.push("host.docker.internal:host-gateway".into());
        run.env_file = Some(env_file);
    }
    s.note("`-it` becomes `-t` and `-p 8888:8888` becomes `-p 127.0.0.1::8888` (no terminal here; a free port on loopback)");
    s.run_ok(&run)?;
    let resolved = s.cmd(&format!("docker exec {jupyter} getent hosts host.docker.internal"))?;
    s.claim(
        "inside the container, host.docker.internal names the host",
        resolved.ok() && resolved.output.contains(&gateway),
        s.mode == Mode::Corrected || desktop(s),
        if resolved.ok() {
            format!("getent: {} (the docker0 gateway is {gateway})", resolved.output.trim())
        } else {
            "getent finds no host.docker.internal: only Docker Desktop defines it; a Linux engine needs --add-host=host.docker.internal:host-gateway".to_string()
        },
    );
    let code = with_port(&program(s.mode, &[("C1", C1), ("C2", C2), ("C3", C3), ("C4", C4)]), "host.docker.internal", port);
    let ran = database::run_cells(s, &jupyter, &[], &code)?;
    let csv = s.docker.probe(["exec", &jupyter, "sh", "-c", "wc -l < outputs/Motorized-Foot-Scooter-Trips-2021.csv"]);
    s.claim(
        "cell C1 writes outputs/Motorized-Foot-Scooter-Trips-2021.csv (1,000 rows) in the container",
        csv.as_deref().map(str::trim) == Some("1001"),
        true,
        format!("lines in /work/outputs/Motorized-Foot-Scooter-Trips-2021.csv (with the header): {csv:?}"),
    );
    let (connected, class_only, others) = connection_lines(&ran.output);
    s.claim(
        "cell C2 reaches the host's MySQL through host.docker.internal and prints `connection successfully`",
        connected > 0,
        s.mode == Mode::Corrected || desktop(s),
        format!("`connection successfully` printed {connected} time(s); errors: {}", error_summary(class_only, &others, &ran)),
    );
    let tables = db::query(&s.docker, &host_db, &password, "SHOW TABLES FROM scooter_trips").unwrap_or_default().replace('\n', ", ");
    let rows_2021 = db::count_rows(&s.docker, &host_db, &password, "Motorized_Foot_Scooter_Trips_2021");
    s.claim(
        "the 2021 table appears in the host's database next to the 2020 table",
        rows_2021 == Some(1000) && tables.contains("Motorized_Foot_Scooter_Trips_2020"),
        s.mode == Mode::Corrected || desktop(s),
        format!("tables in the host's scooter_trips: {tables}; rows in the 2021 table: {rows_2021:?}"),
    );

    // Step 26: the Jupyter container goes; the host's data stays.
    s.cmd_ok(&format!("docker stop {jupyter}"))?;
    s.cmd_ok(&format!("docker rm {jupyter}"))?;
    s.forget(&Resource::Container(jupyter.clone()));
    let after = db::query(&s.docker, &host_db, &password, "SHOW TABLES FROM scooter_trips").unwrap_or_default().replace('\n', ", ");
    s.claim(
        "the host's data survives `docker rm` of the Jupyter container",
        after == tables && !after.is_empty(),
        true,
        format!("tables after the container's removal: {after}"),
    );
    Ok(())
}

fn port_free(ip: &str, port: u16) -> bool {
    std::net::TcpListener::bind((ip, port)).is_ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
