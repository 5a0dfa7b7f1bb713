//! Article 3, "Advanced Jupyter Data Persistence with MySQL and Docker" (persist-jupyter-data-mysql-docker).
//! Its errata, which the corrected mode fixes: nothing waits for the database to accept connections
//! before the notebook connects; the credentials are baked into the image (build args -> ENV); every
//! cell prints the exception class instead of the error; and on a Linux engine `host.docker.internal`
//! needs `--add-host=host.docker.internal:host-gateway`, and the host's MySQL must listen on the
//! bridge's gateway and let the user in from the bridge's subnet (a host install listens on
//! 127.0.0.1 and knows the user @localhost only).
//! The notebook's cells (data/mysql/cells.md) run inside the Jupyter container (`docker exec ... python -c`),
//! on the bundled synthetic samples instead of the unreachable ArcGIS Hub URLs. This file plays
//! sections B and C (the host's database); `database_container.rs` plays section D.

mod database_container;
mod literal;

use anyhow::{Context, Result};

use super::cells::{cell_output, connection_lines, error_summary, program, with_port};
use super::session::{Mode, Session};
use super::Section;
use super::{database, db};
use crate::engine::cmdline::shell_quote;
use crate::engine::resources::Resource;
use crate::engine::RunSpec;
use crate::images::mysql::Server;

pub const SECTIONS: &[Section] = &[
    Section {
        name: "Jupyter container and the host's database",
        run: host_database,
    },
    Section {
        name: "Database container, network and volume",
        run: database_container::run,
    },
];

/// What the image shows of the credentials: the MYSQL_ entries of its config's environment
/// (`docker image inspect`) and the history steps that carry the password.
struct InImage {
    env: Vec<String>,
    history: Vec<String>,
}

fn credentials_in_image(s: &mut Session, tag: &str, password: &str) -> Result<InImage> {
    let env = s.cmd_ok(&format!(
        "docker image inspect --format '{{{{json .Config.Env}}}}' {tag}"
    ))?;
    let history = s.cmd_ok(&format!(
        "docker history --no-trunc --format '{{{{.CreatedBy}}}}' {tag}"
    ))?;
    let env = serde_json::from_str::<Vec<String>>(&env)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.starts_with("MYSQL_"))
        .collect();
    let history = history
        .lines()
        .filter(|l| l.contains(password))
        .map(|l| l.trim().to_string())
        .collect();
    Ok(InImage { env, history })
}

/// Checks every image claim of the article's build: `.env` kept out, jovyan-owned /work, credentials.
fn image_claims(s: &mut Session, tag: &str, password: &str) -> Result<()> {
    let look = RunSpec::new(tag).rm().command(&[
        "sh",
        "-c",
        "ls -A /work; stat -c '%u:%g %n' /work/computation.ipynb /work/outputs",
    ]);
    let seen = s.run(&look)?;
    let listing: Vec<&str> = seen
        .output
        .lines()
        .filter(|l| !l.contains(' ') && !l.contains("start.sh"))
        .collect();
    s.claim(
        "`.dockerignore` keeps `.env` out of the image: /work has no .env",
        seen.ok() && !listing.contains(&".env") && listing.contains(&"computation.ipynb"),
        true,
        format!("/work holds: {}", listing.join(" ")),
    );
    let owners: Vec<&str> = seen
        .output
        .lines()
        .filter(|l| {
            l.split_once(' ').is_some_and(|(o, p)| {
                o.bytes().all(|b| b.is_ascii_digit() || b == b':') && p.starts_with("/work/")
            })
        })
        .collect();
    s.claim(
        "COPY --chown=$NB_UID:$NB_GID makes the copied files 1000:100 (jovyan:users)",
        owners.len() == 2 && owners.iter().all(|l| l.starts_with("1000:100 ")),
        true,
        owners.join("; "),
    );
    let seen = credentials_in_image(s, tag, password)?;
    let in_config = seen.env.iter().any(|e| e.contains(password));
    s.claim(
        "the credentials stay out of the image (not in `docker image inspect`, not in `docker history`)",
        !in_config && seen.history.is_empty(),
        true,
        // Redacted where the password shows: `MYSQL_PASSWORD=<redacted>`.
        format!("the image's Config.Env has {}; {} history step(s) carry the password{}", seen.env.join(" "), seen.history.len(), seen.history.first().map(|l| format!(", e.g. {l}")).unwrap_or_default()),
    );
    Ok(())
}

/// The address `--add-host=...:host-gateway` gives containers (the docker0 bridge's, by default).
fn host_gateway(s: &Session, server: &Server) -> Result<String> {
    let mut ask =
        RunSpec::new(&server.image)
            .rm()
            .command(&["getent", "hosts", "host.docker.internal"]);
    ask.add_host
        .push("host.docker.internal:host-gateway".into());
    let out = s
        .docker
        .run(&ask)
        .context("asking the engine which address host-gateway stands for")?;
    out.split_whitespace().next().map(String::from).context("the engine gave host.docker.internal no address: is --add-host ...:host-gateway supported (Docker 20.10 or later)?")
}

/// The article's own MySQL user on the host (its EXAMPLE_USERNAME / EXAMPLE_USER).
const HOST_USER: &str = "example_user";

fn host_database(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let root_password = db::new_password();
    let password = format!("{}-user", db::new_password());
    s.secret(&root_password);
    s.secret(&password);
    s.note(&format!("the placeholders EXAMPLE_USERNAME/EXAMPLE_USER and EXAMPLE_PASSWORD become {HOST_USER} and a password made for this run"));

    // The host's database: a MySQL server on the host's own network, set up as the article's
    // prerequisite (a MySQL installed on the host) leaves it.
    let gateway = host_gateway(s, &server)?;
    // Choosing a port and listening on it is one step across processes: two walkthroughs at once
    // (parallel tests) would otherwise both see 3306 free and the second would fail to bind it.
    let port_lock = crate::paths::exclusive("walkthrough-host-database-port")?;
    let port = if port_free(&gateway, 3306) && port_free("127.0.0.1", 3306) {
        3306
    } else {
        free_port()?
    };
    let host_db = s.name("container", "host-mysql");
    // A stock install listens on 127.0.0.1 only; the corrected recipe adds the bridge's gateway.
    let bind = format!("127.0.0.1,{gateway}");
    let on_host = database::server_spec(&server, &host_db, &root_password)
        .env("MYSQL_ROOT_HOST", "localhost")
        .network("host")
        .command(&[
            format!("--bind-address={bind}"),
            format!("--port={port}"),
            "--skip-name-resolve=OFF".into(),
        ]);
    database::start(s, &on_host)?;
    database::wait_ready_on(s, &host_db, port)?;
    drop(port_lock);
    // The prerequisite's "Install and Configure MySQL": a user of one's own, on localhost.
    as_root(s, &host_db, &root_password, &format!("CREATE USER '{HOST_USER}'@'localhost' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO '{HOST_USER}'@'localhost'"))?;
    let setup = as_root(s, &host_db, &root_password, "SELECT CONCAT(user, '@', host) FROM mysql.user ORDER BY user, host; SELECT CONCAT('bind-address=', @@bind_address, ' port=', @@port, ' skip-name-resolve=', @@skip_name_resolve)")?;
    s.note(&format!(
        "no MySQL is installed on this host: container {host_db} plays the host's database, on the host's network (`--network host`), configured like a MySQL installed on the host with the corrected recipe's bind-address: {}{}",
        setup.lines().map(str::trim).collect::<Vec<_>>().join(", "),
        if port == 3306 { "" } else { " (3306 is taken here, so the cells get `port=` added)" }
    ));

    // The image (the .env and .dockerignore are part of the folder it is built from).
    let tag = database::build_mysql_connected(s, HOST_USER, &password, false)?;
    s.note("corrected: no --build-arg for the credentials; the container gets them at run time with --env-file .env");

    // Section B, host-side notebook: played by a throwaway container sharing the host's network.
    s.note("the host-side JupyterLab of section B (pip on the host) is played by a throwaway container of the same image on the host's network (`--network host`, so `localhost` is the host); python-dotenv is not in the image, so `--env-file .env` does what load_dotenv() does");
    let host_cells = program(Mode::Corrected, &["L1", "L2", "L3", "L4"])
        .replace("from dotenv import load_dotenv\nload_dotenv()\n", "");
    let env_file = s.project.path().join(".env");
    let host_side = RunSpec {
        env_file: Some(env_file.clone()),
        ..RunSpec::new(&tag)
    }
    .rm()
    .network("host")
    .command(&["python", "-c", &with_port(&host_cells, "localhost", port)]);
    let ran = s.run(&host_side)?;
    let rows_2020 = db::count_rows(
        &s.docker,
        &host_db,
        &root_password,
        "Motorized_Foot_Scooter_Trips_2020",
    );
    s.claim(
        "on the host, the cells create database scooter_trips and table Motorized_Foot_Scooter_Trips_2020 with the 1,000 rows",
        ran.ok() && rows_2020 == Some(1000),
        true,
        format!("cells exit {}; rows in the host's table: {rows_2020:?}", ran.exit),
    );

    image_claims(s, &tag, &password)?;

    // Section C. Not in the article: `--add-host` alone, before anything on the host's MySQL
    // changes for the docker bridge (its user is known only @localhost).
    let add_host = "host.docker.internal:host-gateway".to_string();
    s.note("not in the article: cell C2 (printing the error it catches) in a container with `--add-host=host.docker.internal:host-gateway` alone, the Linux fix, before the host's MySQL knows the user from the docker bridge");
    let alone = RunSpec {
        env_file: Some(env_file.clone()),
        add_host: vec![add_host.clone()],
        ..RunSpec::new(&tag)
    }
    .rm()
    .command(&[
        "python",
        "-c",
        &with_port(
            &program(Mode::Corrected, &["C2"]),
            "host.docker.internal",
            port,
        ),
    ]);
    let alone = s.run(&alone)?;
    let printed = cell_output(&alone.output, "C2");
    s.claim(
        "with `--add-host=host.docker.internal:host-gateway` alone, a container reaches the host's MySQL (user@localhost, as installed)",
        printed.iter().any(|l| l == "connection successfully"),
        false,
        format!("the cell printed: {}", printed.join(" / ")),
    );
    {
        let subnet = bridge_subnet(s)?;
        let from_bridge = mysql_host_pattern(&subnet)?;
        s.note(&format!("corrected: the host's MySQL lets the article's user in from the docker bridge's subnet {subnet} (`docker network inspect bridge`), for scooter_trips only; it listens on {gateway} as well as 127.0.0.1 (bind-address, above)"));
        as_root(s, &host_db, &root_password, &format!("CREATE USER '{HOST_USER}'@'{from_bridge}' IDENTIFIED BY '{password}'; GRANT ALL ON scooter_trips.* TO '{HOST_USER}'@'{from_bridge}'"))?;
    }

    // The article's container.
    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let mut run = database::jupyter_spec(&tag, &jupyter);
    run.add_host.push(add_host);
    run.env_file = Some(env_file);
    s.note("`-it` becomes `-t` and `-p 8888:8888` becomes `-p 127.0.0.1::8888` (no terminal here; a free port on loopback)");
    s.run_ok(&run)?;
    let resolved = s.cmd(&format!(
        "docker exec {jupyter} getent hosts host.docker.internal"
    ))?;
    s.claim(
        "inside the container, host.docker.internal names the host",
        resolved.ok() && resolved.output.contains(&gateway),
        true,
        format!("`getent hosts host.docker.internal` exit {}, printed: {:?}; the address host-gateway stands for: {gateway}", resolved.exit, resolved.output.trim()),
    );
    let code = with_port(
        &program(Mode::Corrected, &["C1", "C2", "C3", "C4"]),
        "host.docker.internal",
        port,
    );
    let ran = database::run_cells(s, &jupyter, &[], &code)?;
    let csv = s.docker.probe([
        "exec",
        &jupyter,
        "sh",
        "-c",
        "wc -l < outputs/Motorized-Foot-Scooter-Trips-2021.csv",
    ]);
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
        true,
        format!("`connection successfully` printed {connected} time(s); errors: {}", error_summary(class_only, &others, &ran)),
    );
    let tables = db::query(
        &s.docker,
        &host_db,
        &root_password,
        "SHOW TABLES FROM scooter_trips",
    )
    .unwrap_or_default()
    .replace('\n', ", ");
    let rows_2021 = db::count_rows(
        &s.docker,
        &host_db,
        &root_password,
        "Motorized_Foot_Scooter_Trips_2021",
    );
    s.claim(
        "the 2021 table appears in the host's database next to the 2020 table",
        rows_2021 == Some(1000) && tables.contains("Motorized_Foot_Scooter_Trips_2020"),
        true,
        format!(
            "tables in the host's scooter_trips: {tables}; rows in the 2021 table: {rows_2021:?}"
        ),
    );

    // Step 26: the Jupyter container goes; the host's data stays.
    s.cmd_ok(&format!("docker stop {jupyter}"))?;
    s.cmd_ok(&format!("docker rm {jupyter}"))?;
    s.forget(&Resource::Container(jupyter.clone()));
    let after = db::query(
        &s.docker,
        &host_db,
        &root_password,
        "SHOW TABLES FROM scooter_trips",
    )
    .unwrap_or_default()
    .replace('\n', ", ");
    s.claim(
        "the host's data survives `docker rm` of the Jupyter container",
        after == tables && !after.is_empty(),
        true,
        format!("tables after the container's removal: {after}"),
    );
    Ok(())
}

/// `SQL` as the host MySQL's root (the socket, as `sudo mysql` on the host would), as a step.
fn as_root(s: &mut Session, container: &str, root_password: &str, sql: &str) -> Result<String> {
    s.cmd_ok(&format!(
        "docker exec -e MYSQL_PWD={root_password} {container} mysql -uroot -N -B -e {}",
        shell_quote(sql)
    ))
}

/// The IPv4 subnet of the default bridge, which containers without `--network` use.
fn bridge_subnet(s: &Session) -> Result<String> {
    let subnets = s.docker.output([
        "network",
        "inspect",
        "--format",
        "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
        "bridge",
    ])?;
    subnets.split_whitespace().find(|net| !net.contains(':')).map(String::from).with_context(|| format!("the default bridge network has no IPv4 subnet (`docker network inspect bridge`: {subnets:?})"))
}

/// A MySQL account host for a subnet: `172.17.0.0/16` -> `172.17.0.0/255.255.0.0` (the form
/// both MySQL and MariaDB accept).
fn mysql_host_pattern(subnet: &str) -> Result<String> {
    let (address, bits) = subnet
        .split_once('/')
        .with_context(|| format!("{subnet:?} is not a subnet (ADDRESS/BITS)"))?;
    let address: std::net::Ipv4Addr = address
        .parse()
        .with_context(|| format!("{subnet:?} is not an IPv4 subnet"))?;
    let bits: u32 = bits
        .parse()
        .ok()
        .filter(|b| *b <= 32)
        .with_context(|| format!("{subnet:?} has no prefix length from 0 to 32"))?;
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    Ok(format!(
        "{}/{}",
        std::net::Ipv4Addr::from(u32::from(address) & mask),
        std::net::Ipv4Addr::from(mask)
    ))
}

fn port_free(ip: &str, port: u16) -> bool {
    std::net::TcpListener::bind((ip, port)).is_ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The claims of the literal mode, at the steps of the article they follow (`mysql/literal.rs`).
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_become_mysql_account_hosts() {
        assert_eq!(
            mysql_host_pattern("172.17.0.0/16").unwrap(),
            "172.17.0.0/255.255.0.0"
        );
        assert_eq!(
            mysql_host_pattern("192.168.65.7/24").unwrap(),
            "192.168.65.0/255.255.255.0"
        );
        assert_eq!(mysql_host_pattern("10.0.0.0/0").unwrap(), "0.0.0.0/0.0.0.0");
        for bad in ["172.17.0.0", "fd00::/64", "172.17.0.0/33"] {
            assert!(mysql_host_pattern(bad).is_err(), "{bad}");
        }
    }
}
