//! Article 3's section D: MySQL in a container on a user-defined network with the Jupyter
//! container, and what its data survives (stop/start, re-creation, a named volume).

use std::time::{Duration, SystemTime};

use anyhow::{bail, Result};

use super::super::cells::{
    cell_output, connection_lines, error_summary, program, section_d, sitting_worked,
    started_after, tuple_rows, TABLE_2018,
};
use super::super::db::ReadyClock;
use super::super::session::{Mode, Ran, Session};
use super::super::{database, db};
use crate::engine::cmdline::shell_quote;
use crate::engine::resources::Resource;
use crate::engine::{wait, Health, RunSpec};
use crate::images::mysql::Server;

pub fn run(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let password = crate::images::mysql::new_password();
    s.secret(&password);
    let tag = database::build_mysql_connected(s, "root", &password, false)?;

    let network = create_the_network(s)?;
    let db_spec = database_spec(s, &server, &password, &network);
    let started = database::start(s, &db_spec)?;
    // Times the server's start-up on the side, while the article's steps go on.
    let db = s.names.db.clone();
    let clock = ReadyClock::start(&s.docker, &db, 3306, started, Duration::from_secs(180));
    let jupyter = start_jupyter(s, &tag, &network, &db)?;

    let ran = cells_once_healthy(s, &db, &jupyter, started, clock)?;
    claim_each_cell(s, &jupyter, &ran);
    create_the_database_again(s, &db, &jupyter, &password)?;
    claim_docker_ps(s, &jupyter, &db)?;
    a_wrong_password(s, &jupyter)?;
    persistence(s, &db_spec, &jupyter, &password)
}

/// `docker network create jupyter-mysql-net`, labelled, and listed.
fn create_the_network(s: &mut Session) -> Result<String> {
    let network = s.names.network.clone();
    s.made_network(&network);
    create_labelled(s, "network", &network)?;
    let listed = s.cmd_ok(&format!(
        "docker network ls --filter name=^{network}$ --format '{{{{.Name}}}} {{{{.Driver}}}}'"
    ))?;
    s.claim(
        "network-listed",
        listed.lines().any(|l| l == format!("{network} bridge")),
        format!("docker network ls: {listed}"),
    );
    Ok(network)
}

/// mysql-db on the network, with a healthcheck; its name as the notebook knows it stays
/// `mysql-db`.
fn database_spec(s: &mut Session, server: &Server, password: &str, network: &str) -> RunSpec {
    let db = s.names.db.clone();
    let mut db_spec = database::server_spec(server, &db, password).network(network);
    if db != "mysql-db" {
        db_spec.network_alias = Some("mysql-db".into());
        s.note(&format!("the container is named {db} (mysql-db is taken or this is a test run); `--network-alias mysql-db` keeps the notebook's host name"));
    }
    db_spec.health = Some(Health {
        command: "mysqladmin --protocol=tcp -h127.0.0.1 ping".into(),
        interval: "1s".into(),
        retries: 120,
    });
    // A ping that hangs counts as a failure after 3s, not Docker's default 30s.
    db_spec = db_spec.raw(&["--health-timeout", "3s"]);
    s.note("corrected: mysql-db gets a healthcheck (mysqladmin ping over TCP), and the notebook runs only once it is healthy");
    db_spec
}

/// The Jupyter container on the same network, its credentials from `.env`.
fn start_jupyter(s: &mut Session, tag: &str, network: &str, db: &str) -> Result<String> {
    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let mut run = database::jupyter_spec(tag, &jupyter).network(network);
    run.env_file = Some(s.project.path().join(".env"));
    s.run_ok(&run)?;
    s.cmd_ok(&format!("docker ps --filter 'name=^({db}|{jupyter})$'"))?;
    Ok(jupyter)
}

/// Section D's cells, once mysql-db is healthy: they work at the first try.
fn cells_once_healthy(
    s: &mut Session,
    db: &str,
    jupyter: &str,
    started: SystemTime,
    clock: ReadyClock,
) -> Result<Ran> {
    let sitting = section_d(Mode::Corrected);
    wait_healthy(s, db, Duration::from_secs(180))?;
    let healthy = db::seconds_since(started);
    let ran = database::run_cells(s, jupyter, &[], &sitting)?;
    let ready = clock.result();
    let (connected, _, _) = connection_lines(&ran.output);
    s.claim("cells-work-once-healthy",
        sitting_worked(&ran.output),
        format!(
            "healthy by {healthy:.1}s after `docker run ... mysql` returned; mysql-db {}; cell N2 started {} after it; `connection successfully` {connected} time(s), {} row(s) read back",
            ready.describe(),
            started_after(&ran.output, "N2", started).map(|t| format!("{t:.1}s")).unwrap_or_else(|| "?s".into()),
            tuple_rows(&ran.output).len()
        ));
    Ok(ran)
}

/// What each cell (N1-N4) did, from their output and the CSV N1 wrote.
fn claim_each_cell(s: &mut Session, jupyter: &str, ran: &Ran) {
    let (connected, class_only, others) = connection_lines(&ran.output);
    s.claim(
        "n2-reaches-db-by-name",
        connected >= 1,
        format!(
            "`connection successfully` printed {connected} time(s); errors: {}",
            error_summary(class_only, &others, ran)
        ),
    );
    s.claim(
        "n3-prints-table",
        ran.output
            .contains("You're connected to database:  ('scooter_trips',)")
            && ran
                .output
                .contains("Motorized_Foot_Scooter_Trips_2018 table created"),
        ran.output
            .lines()
            .filter(|l| l.starts_with("You're") || l.ends_with("table created"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    let rows = tuple_rows(&ran.output);
    s.claim(
        "n4-reads-rows",
        rows == vec![7; 5],
        format!("rows printed: {} with {:?} fields", rows.len(), rows),
    );
    let csv = s.docker.probe([
        "exec",
        jupyter,
        "sh",
        "-c",
        "wc -l < /work/outputs/Motorized-Foot-Scooter-Trips-2018.csv",
    ]);
    s.claim(
        "n1-writes-csv",
        csv.as_deref().map(str::trim) == Some("1001"),
        format!("lines with the header: {csv:?}"),
    );
}

/// Cell N2 again: CREATE DATABASE on a server that has the database.
fn create_the_database_again(
    s: &mut Session,
    db: &str,
    jupyter: &str,
    password: &str,
) -> Result<()> {
    let again = database::run_cells(s, jupyter, &[], &program(Mode::Corrected, &["N2"]))?;
    let printed = cell_output(&again.output, "N2");
    let on_server = db::query(
        &s.docker,
        db,
        password,
        "SHOW DATABASES LIKE 'scooter_trips'",
    )
    .unwrap_or_default();
    s.claim(
        "create-database-again",
        printed
            .iter()
            .any(|l| l.contains("1007") && l.contains("database exists")),
        format!(
            "the cell printed: {}; `SHOW DATABASES LIKE 'scooter_trips'` on {db}: {}",
            printed.join(" / "),
            if on_server.trim().is_empty() {
                "no row"
            } else {
                on_server.trim()
            }
        ),
    );
    Ok(())
}

/// `docker ps`: the Jupyter container is healthy with its port published; mysql-db's is not.
fn claim_docker_ps(s: &mut Session, jupyter: &str, db: &str) -> Result<()> {
    database::health_within(s, jupyter, Duration::from_secs(30));
    let rows = database::docker_ps(s, &[jupyter, db])?;
    let (jupyter_row, db_row) = (&rows[0], &rows[1]);
    s.claim(
        "ps-jupyter-healthy",
        jupyter_row.status.contains("(healthy)")
            && jupyter_row.ports.contains("->8888/tcp")
            && db_row.ports.contains("3306/tcp")
            && !db_row.ports.contains("->"),
        rows.iter()
            .map(|r| r.describe())
            .collect::<Vec<_>>()
            .join("; "),
    );
    Ok(())
}

/// Errors: the cell's own `except`, with a wrong password.
fn a_wrong_password(s: &mut Session, jupyter: &str) -> Result<()> {
    let wrong = database::run_cells(
        s,
        jupyter,
        &[("MYSQL_PASSWORD", "not-the-password")],
        &program(Mode::Corrected, &["N2"]),
    )?;
    let (_, class_only, others) = connection_lines(&wrong.output);
    let printed: Vec<String> = cell_output(&wrong.output, "N2");
    s.claim(
        "failure-says-why",
        others.iter().any(|l| l.contains("Access denied")),
        format!(
            "with a wrong password the cell printed: {} ({class_only} line(s) with only the class)",
            printed.join(" / ")
        ),
    );
    Ok(())
}

/// Steps around 36: what survives stop/start, re-creation, and re-creation with `-v mysqldata:/var/lib/mysql`.
fn persistence(s: &mut Session, db_spec: &RunSpec, jupyter: &str, password: &str) -> Result<()> {
    let anonymous = stop_and_start(s, db_spec, password)?;
    recreated_without_a_volume(s, db_spec, password, &anonymous)?;
    recreated_on_a_named_volume(s, db_spec, jupyter, password)
}

/// The rows of the 2018 table in `db` (None: no such table).
fn rows_2018(s: &Session, db: &str, password: &str) -> Option<u64> {
    db::count_rows(&s.docker, db, password, TABLE_2018)
}

/// `docker stop` and `docker start` without a volume; the anonymous volume it runs on.
fn stop_and_start(s: &mut Session, db_spec: &RunSpec, password: &str) -> Result<String> {
    let db = db_spec.name.clone().unwrap_or_default();
    s.cmd_ok(&format!("docker stop {db}"))?;
    s.cmd_ok(&format!("docker start {db}"))?;
    database::wait_ready(s, &db)?;
    let kept = rows_2018(s, &db, password);
    let anonymous = anonymous_volume(s, &db);
    let declared = s
        .docker
        .probe([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Volumes}}",
            &db_spec.image,
        ])
        .unwrap_or_default();
    s.claim("no-volume-no-data",
        kept != Some(1000),
        format!("after stop/start the 2018 table has {kept:?} rows; /var/lib/mysql is mounted from volume {anonymous}; the image's Config.Volumes: {declared}"));
    Ok(anonymous)
}

/// Re-created without a volume: the old anonymous volume orphaned, a new, empty data directory.
fn recreated_without_a_volume(
    s: &mut Session,
    db_spec: &RunSpec,
    password: &str,
    anonymous: &str,
) -> Result<()> {
    let db = db_spec.name.clone().unwrap_or_default();
    remove_database(s, &db)?;
    s.made_volume(anonymous);
    let orphaned = s.docker.exists("volume", anonymous);
    s.claim(
        "rm-leaves-anonymous-volume",
        orphaned,
        format!("volume {anonymous} exists after `docker rm`: {orphaned}"),
    );
    s.note("not in the article: mysql-db re-created without a volume, to show what it loses");
    database::start(s, db_spec)?;
    database::wait_ready(s, &db)?;
    let fresh = rows_2018(s, &db, password);
    let second = anonymous_volume(s, &db);
    s.claim("recreated-db-lost-data",
        fresh.is_none(),
        format!("2018 table in the new container: {}; its /var/lib/mysql is volume {second} (the old one: {anonymous})", fresh.map(|n| format!("{n} rows")).unwrap_or("not found (SELECT COUNT(*) failed)".into())));
    remove_database(s, &db)?;
    s.made_volume(&second);
    Ok(())
}

/// Step 36: the named volume; the data written on it survives `docker rm` and a new mysql-db.
fn recreated_on_a_named_volume(
    s: &mut Session,
    db_spec: &RunSpec,
    jupyter: &str,
    password: &str,
) -> Result<()> {
    let db = db_spec.name.clone().unwrap_or_default();
    let volume = s.name("volume", "mysqldata");
    s.made_volume(&volume);
    create_labelled(s, "volume", &volume)?;
    s.note(&format!("the volume {volume} is created first, with the project's labels (`docker run -v` would make it unlabelled)"));
    let with_volume = db_spec
        .clone()
        .raw(&["-v", &format!("{volume}:/var/lib/mysql")]);
    database::start(s, &with_volume)?;
    database::wait_ready(s, &db)?;
    let empty = rows_2018(s, &db, password);
    s.note(&format!("the new volume starts empty (2018 table: {}), so the article's earlier data is not in it; the walkthrough runs the cells N1-N3 again", empty.map(|n| format!("{n} rows")).unwrap_or("missing".into())));
    let ran = database::run_cells(
        s,
        jupyter,
        &[],
        &program(Mode::Corrected, &["N1", "N2", "N3"]),
    )?;
    let written = rows_2018(s, &db, password);
    if written != Some(1000) {
        bail!(
            "the cells did not store the rows in the volume-backed mysql-db ({written:?} rows): {}",
            crate::engine::tail(&ran.output, 3)
        );
    }
    remove_database(s, &db)?;
    database::start(s, &with_volume)?;
    database::wait_ready(s, &db)?;
    let survived = rows_2018(s, &db, password);
    s.cmd_ok(&format!("docker volume ls --filter name=^{volume}$"))?;
    s.claim("data-survives-rm",
        survived == Some(1000),
        format!("rows written: {written:?}; in the re-created mysql-db on volume {volume}: {survived:?}"));
    Ok(())
}

/// The article's `docker stop mysql-db` and `docker rm mysql-db`.
fn remove_database(s: &mut Session, db: &str) -> Result<()> {
    s.cmd_ok(&format!("docker stop {db}"))?;
    s.cmd_ok(&format!("docker rm {db}"))?;
    s.forget(&Resource::Container(db.to_string()));
    Ok(())
}

/// `docker network|volume create NAME` as a step, with the project's labels (the article's own
/// line would make it unlabelled).
fn create_labelled(s: &mut Session, kind: &str, name: &str) -> Result<String> {
    let labels: Vec<String> = crate::engine::label_args(s.docker.resource_labels())
        .iter()
        .map(|a| shell_quote(a))
        .collect();
    s.cmd_ok(&format!("docker {kind} create {} {name}", labels.join(" ")))
}

/// The anonymous volume on /var/lib/mysql of a container.
fn anonymous_volume(s: &Session, container: &str) -> String {
    s.docker
        .probe([
            "container",
            "inspect",
            "--format",
            r#"{{range .Mounts}}{{if eq .Destination "/var/lib/mysql"}}{{.Name}}{{end}}{{end}}"#,
            container,
        ])
        .unwrap_or_default()
}

/// Waits, with a progress line, until the container's healthcheck passes.
fn wait_healthy(s: &Session, container: &str, limit: Duration) -> Result<()> {
    let step = s.step(format!("Waiting for {container} to report healthy"));
    let status = wait::healthy(&s.docker, container, limit);
    drop(step);
    if let Err(status) = status {
        bail!(
            "{container} is not healthy after {}s (health: {status})",
            limit.as_secs()
        );
    }
    Ok(())
}
