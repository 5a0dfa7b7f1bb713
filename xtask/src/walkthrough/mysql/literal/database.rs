//! The checks of article 3's claims about D, MySQL in a container: its network, the official image,
//! its data on the container's layer or on a volume.

use crate::engine::names::short_id;
use std::time::Duration;

use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::probes::{
    as_root, class_only, config_env, csv_lines, data_volume, db_ready, env_value, lines, said,
    uptime, volume_holds,
};

use super::host::pulled_first;
use super::{C2_TEXT, DB, DOCKER_PS, IMAGE, JUPYTER};

pub(super) fn network_listed(p: &Probe) -> Observed {
    let out = p.docker(&[
        "network",
        "ls",
        "--filter",
        "name=^jupyter-mysql-net$",
        "--format",
        "{{.Name}} {{.Driver}}",
    ]);
    seen(
        p.exit() == Some(0) && out.stdout.lines().any(|l| l == "jupyter-mysql-net bridge"),
        format!(
            "create exit {:?}; `docker network ls`: {}",
            p.exit(),
            said(&out)
        ),
    )
}

pub(super) fn mysql_pulled(p: &Probe) -> Observed {
    pulled_first(
        p,
        "mysql",
        &[
            "Unable to find image 'mysql:latest' locally",
            "Pulling from library/mysql",
        ],
    )
}

pub(super) fn env_overridden(p: &Probe) -> Observed {
    let image = config_env(p, IMAGE);
    let container = config_env(p, JUPYTER);
    let server = config_env(p, DB);
    let user = env_value(&container, "MYSQL_USER");
    let same = env_value(&container, "MYSQL_PASSWORD").is_some()
        && env_value(&container, "MYSQL_PASSWORD") == env_value(&server, "MYSQL_ROOT_PASSWORD");
    // The article writes EXAMPLE_PASSWORD for both the build argument and `-e`: the user shows the override.
    let as_image = env_value(&container, "MYSQL_PASSWORD") == env_value(&image, "MYSQL_PASSWORD");
    seen(
        user == Some("root") && env_value(&image, "MYSQL_USER") != Some("root") && same,
        format!(
            "MYSQL_USER in {JUPYTER}: {user:?} (the image: {:?}); its MYSQL_PASSWORD equals mysql-db's MYSQL_ROOT_PASSWORD: {same} (and the image's, both being the article's EXAMPLE_PASSWORD: {as_image})",
            env_value(&image, "MYSQL_USER")
        ),
    )
}

pub(super) fn docker_ps(p: &Probe) -> Observed {
    let out = p.earlier(DOCKER_PS).unwrap_or_default();
    let row = |name: &str| {
        out.lines()
            .find(|l| l.trim_end().ends_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let (healthy, took) = p.within(Duration::from_secs(120), || {
        (p.docker(&["inspect", "--format", "{{.State.Health.Status}}", JUPYTER])
            .stdout
            == "healthy")
            .then_some(())
    });
    let ports = |c: &str| {
        p.docker(&[
            "ps",
            "--filter",
            &format!("name=^{c}$"),
            "--format",
            "{{.Ports}}",
        ])
        .stdout
    };
    let (jp, dp) = (ports(JUPYTER), ports(DB));
    seen(
        healthy.is_some() && jp.contains("0.0.0.0:8888->8888/tcp") && dp.contains("3306/tcp") && !dp.contains("->"),
        format!(
            "`docker ps` showed: {} | {}; after cell N4, {JUPYTER} (up {}) {} after {:.1}s more; ports: {JUPYTER} {jp:?}, mysql-db {dp:?}",
            row(JUPYTER),
            row(DB),
            uptime(p, JUPYTER),
            if healthy.is_some() { "healthy" } else { "still not healthy" },
            took.as_secs_f64()
        ),
    )
}

pub(super) fn official_server(p: &Probe) -> Observed {
    let version = p.exec(DB, &["mysqld", "--version"]);
    let exposed = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.ExposedPorts}}",
            "mysql",
        ])
        .stdout;
    Observed::NotCheckable(format!(
        "the sandbox serves a MariaDB stand-in under the name mysql: only the official image shows its server and its 33060 (X Protocol) port; the stand-in's `mysqld --version`: {:?}; it exposes {exposed}",
        said(&version)
    ))
}

pub(super) fn not_reachable(p: &Probe) -> Observed {
    // What answers on the host's port 3306 is the host's own MySQL, if it has one (article 3's
    // reader installed it): the question is whether Docker forwards any host port to mysql-db.
    let published = p.docker(&["port", DB]);
    let listening = p.shell("ss -ltnpH 'sport = :3306' 2>&1");
    let forwarded = listening.stdout.contains("docker-proxy");
    let listeners: Vec<&str> = listening
        .stdout
        .lines()
        .filter_map(|l| l.split("users:").nth(1))
        .collect();
    seen(
        published.stdout.trim().is_empty() && !forwarded,
        format!(
            "while cell N4 read rows from it: `docker port mysql-db`: {:?}; listening on the sandbox's host port 3306: {}{}",
            published.stdout.trim(),
            if listeners.is_empty() { "nothing".to_string() } else { listeners.join(", ") },
            if forwarded { " (a docker-proxy: Docker forwards the port)" } else { " (no docker-proxy)" }
        ),
    )
}

pub(super) fn n1_csv(p: &Probe) -> Observed {
    let (n, how) = csv_lines(p, "/work/outputs/Motorized-Foot-Scooter-Trips-2018.csv");
    seen(n == Some(1001), format!("cell exit {:?}; {how}", p.exit()))
}

pub(super) fn ready_for_n2(p: &Probe) -> Observed {
    // Nothing in the article waits for MySQL: whether it is ready when the first cell connects
    // is the reader's pace. The replay goes at a reader's pace (it lets what was started finish
    // starting before a cell: the step's note says how long), so it cannot show a fast reader's
    // failure either way; it measures how long the server needed.
    let up = uptime(p, DB);
    let (ready, took) = db_ready(p, Duration::from_secs(180));
    Observed::NotCheckable(format!(
        "the reader's pace decides it, and the replay waits as a reader does; measured after cell N2 (which printed: {}): mysql-db, up {up}, answered a TCP ping {}after {:.1}s more",
        lines(&p.output(), 2),
        if ready { "" } else { "not even " },
        took.as_secs_f64()
    ))
}

pub(super) fn n2_by_name(p: &Probe) -> Observed {
    let out = p.output();
    let resolved = p.exec(JUPYTER, &["getent", "hosts", DB]);
    seen(
        out.lines().any(|l| l.trim() == "connection successfully"),
        format!(
            "the cell printed: {}; `getent hosts mysql-db` in {JUPYTER}: exit {}, {}",
            lines(&out, 2),
            resolved.code,
            said(&resolved)
        ),
    )
}

pub(super) fn n3_table(p: &Probe) -> Observed {
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2018 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

pub(super) fn n4_rows(p: &Probe) -> Observed {
    let out = p.output();
    let rows: Vec<usize> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("('") && l.ends_with(')'))
        .map(|l| l.matches("', '").count() + 1)
        .collect();
    let strings = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('('))
        .all(|l| l.starts_with("('") && l.ends_with("')"));
    seen(
        rows == vec![7; 5] && strings,
        format!(
            "{} row(s) printed, fields {rows:?}; first: {}",
            rows.len(),
            out.lines().find(|l| l.starts_with('(')).unwrap_or("none")
        ),
    )
}

/// CREATE DATABASE scooter_trips again on mysql-db, from the Jupyter container with its own
/// credentials, issued only when the server already has the database (so it cannot create it).
pub(super) const CREATE_AGAIN: &str = r#"
import os, mysql.connector
c = mysql.connector.connect(host="mysql-db", user=os.environ["MYSQL_USER"], password=os.environ["MYSQL_PASSWORD"])
k = c.cursor()
k.execute("SHOW DATABASES LIKE 'scooter_trips'")
if not k.fetchall():
    print("no scooter_trips on the server")
else:
    try:
        k.execute("CREATE DATABASE scooter_trips")
        print("created again")
    except mysql.connector.Error as e:
        print(e)
"#;

pub(super) fn create_again(p: &Probe) -> Observed {
    let server = p.exec(JUPYTER, &["python", "-c", CREATE_AGAIN]);
    let answer = said(&server);
    let exists = answer.contains("1007") && answer.contains("database exists");
    let handler = p.earlier(C2_TEXT).unwrap_or_default();
    let hidden = class_only(&handler);
    seen(
        exists && hidden.is_empty(),
        format!(
            "issued again on mysql-db, CREATE DATABASE scooter_trips gets: {answer}; the cells' `except Error` prints {}",
            hidden.first().map(|l| format!("only the class instead, as cell C2 showed: {l}")).unwrap_or_else(|| "the error (cell C2 printed no class-only line)".into())
        ),
    )
}

pub(super) fn stopped_keeps(p: &Probe) -> Observed {
    let mount = data_volume(p, DB);
    let volume = mount.split_whitespace().nth(1).unwrap_or("");
    let kept = !volume.is_empty() && volume_holds(p, volume, "scooter_trips");
    let declared = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Volumes}}",
            "mysql",
        ])
        .stdout;
    seen(!kept, format!("the stopped mysql-db has /var/lib/mysql on {} {}, which {} scooter_trips/; the image declares volumes {declared}", mount.split_whitespace().next().unwrap_or("no mount"), short_id(volume), if kept { "holds" } else { "does not hold" }))
}

pub(super) fn orphaned(p: &Probe) -> Observed {
    let dangling = p
        .docker(&["volume", "ls", "-q", "--filter", "dangling=true"])
        .stdout;
    let with_data: Vec<&str> = dangling
        .lines()
        .filter(|v| volume_holds(p, v, "scooter_trips"))
        .collect();
    seen(
        p.exit() == Some(0) && !with_data.is_empty(),
        format!(
            "`docker rm` exit {:?}; dangling volumes: {}; with scooter_trips/: {}",
            p.exit(),
            dangling.lines().map(short_id).collect::<Vec<_>>().join(" "),
            with_data
                .iter()
                .map(|v| short_id(v))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    )
}

pub(super) fn recreated_lost(p: &Probe) -> Observed {
    let (ready, took) = db_ready(p, Duration::from_secs(180));
    if !ready {
        return seen(
            false,
            format!(
                "mysql-db did not answer a TCP ping within {:.0}s of `docker run`",
                took.as_secs_f64()
            ),
        );
    }
    let listed = as_root(p, "SHOW DATABASES");
    let names: Vec<&str> = listed.stdout.split_whitespace().collect();
    seen(
        listed.ok() && !names.contains(&"scooter_trips"),
        format!(
            "mysql-db answered a TCP ping after {:.1}s; SHOW DATABASES: exit {}, {}",
            took.as_secs_f64(),
            listed.code,
            names.join(" ")
        ),
    )
}

pub(super) fn on_named_volume(p: &Probe) -> Observed {
    let mount = data_volume(p, DB);
    let listed = p
        .docker(&[
            "volume",
            "ls",
            "--filter",
            "name=^mysqldata$",
            "--format",
            "{{.Name}} {{.Driver}}",
        ])
        .stdout;
    let system = volume_holds(p, "mysqldata", "mysql");
    seen(
        mount.trim() == "volume mysqldata" && listed.lines().any(|l| l == "mysqldata local") && system,
        format!("/var/lib/mysql of mysql-db: {mount:?}; `docker volume ls`: {listed:?}; the volume holds the server's mysql/ folder: {system}"),
    )
}

pub(super) fn survives_on_volume(p: &Probe) -> Observed {
    Observed::NotCheckable(format!(
        "the article stops here: it stores nothing in mysqldata and never re-creates mysql-db on it again, and a check does not run those steps for it (mysql-db: {})",
        lines(&p.output(), 1)
    ))
}
