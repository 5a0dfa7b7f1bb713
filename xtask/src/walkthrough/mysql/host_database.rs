//! Sections B and C of article 3: the host's database (a MySQL server on the host's network,
//! set up as the article's prerequisite leaves it), the notebook on the host, then the Jupyter
//! container reaching that database through `host.docker.internal`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::super::cells::{cell_output, connection_lines, error_summary, program, with_port};
use super::super::session::{Mode, Session};
use super::super::{database, db};
use super::image_claims;
use crate::engine::cmdline::shell_quote;
use crate::engine::resources::Resource;
use crate::engine::RunSpec;
use crate::images::mysql::Server;

/// The article's own MySQL user on the host (its EXAMPLE_USERNAME / EXAMPLE_USER).
const HOST_USER: &str = "example_user";

/// The `--add-host` entry that makes `host.docker.internal` the host on a Linux engine.
const ADD_HOST: &str = "host.docker.internal:host-gateway";

/// The MySQL server playing the host's database.
struct HostDatabase {
    container: String,
    root_password: String,
    /// The docker bridge's gateway, where it listens besides 127.0.0.1.
    gateway: String,
    port: u16,
}

impl HostDatabase {
    /// `SQL` as its root, as a step.
    fn as_root(&self, s: &mut Session, sql: &str) -> Result<String> {
        as_root(s, &self.container, &self.root_password, sql)
    }

    /// The tables of its `scooter_trips`, comma-separated (empty when it cannot tell).
    fn tables(&self, s: &Session) -> String {
        db::query(
            &s.docker,
            &self.container,
            &self.root_password,
            "SHOW TABLES FROM scooter_trips",
        )
        .unwrap_or_default()
        .replace('\n', ", ")
    }

    fn count_rows(&self, s: &Session, table: &str) -> Option<u64> {
        db::count_rows(&s.docker, &self.container, &self.root_password, table)
    }
}

pub(super) fn run(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let root_password = crate::images::mysql::new_password();
    let password = format!("{}-user", crate::images::mysql::new_password());
    s.secret(&root_password);
    s.secret(&password);
    s.note(&format!("the placeholders EXAMPLE_USERNAME/EXAMPLE_USER and EXAMPLE_PASSWORD become {HOST_USER} and a password made for this run"));
    let host = start_host_database(s, &server, root_password, &password)?;

    // The image (the .env and .dockerignore are part of the folder it is built from).
    let tag = database::build_mysql_connected(s, HOST_USER, &password, false)?;
    s.note("corrected: no --build-arg for the credentials; the container gets them at run time with --env-file .env");
    let env_file = s.project.path().join(".env");
    notebook_on_the_host(s, &host, &tag, &env_file)?;
    image_claims(s, &tag, &password)?;

    // Section C.
    add_host_alone(s, &host, &tag, &env_file)?;
    let_the_bridge_in(s, &host, &password)?;
    let jupyter = start_jupyter(s, &host, &tag, env_file)?;
    let tables = cells_reach_the_host(s, &host, &jupyter)?;
    // Step 26: the Jupyter container goes; the host's data stays.
    remove_jupyter_keeping_the_data(s, &host, &jupyter, &tables)
}

/// The host's database: a MySQL server on the host's own network, set up as the article's
/// prerequisite (a MySQL installed on the host) leaves it, with its user of its own.
fn start_host_database(
    s: &mut Session,
    server: &Server,
    root_password: String,
    password: &str,
) -> Result<HostDatabase> {
    let gateway = host_gateway(s, server)?;
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
    let on_host = database::server_spec(server, &host_db, &root_password)
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
    let host = HostDatabase {
        container: host_db,
        root_password,
        gateway,
        port,
    };
    // The prerequisite's "Install and Configure MySQL": a user of one's own, on localhost.
    host.as_root(s, &format!("CREATE USER '{HOST_USER}'@'localhost' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO '{HOST_USER}'@'localhost'"))?;
    let setup = host.as_root(s, "SELECT CONCAT(user, '@', host) FROM mysql.user ORDER BY user, host; SELECT CONCAT('bind-address=', @@bind_address, ' port=', @@port, ' skip-name-resolve=', @@skip_name_resolve)")?;
    s.note(&format!(
        "no MySQL is installed on this host: container {} plays the host's database, on the host's network (`--network host`), configured like a MySQL installed on the host with the corrected recipe's bind-address: {}{}",
        host.container,
        setup.lines().map(str::trim).collect::<Vec<_>>().join(", "),
        if port == 3306 { "" } else { " (3306 is taken here, so the cells get `port=` added)" }
    ));
    Ok(host)
}

/// Section B, host-side notebook: played by a throwaway container sharing the host's network.
fn notebook_on_the_host(
    s: &mut Session,
    host: &HostDatabase,
    tag: &str,
    env_file: &Path,
) -> Result<()> {
    s.note("the host-side JupyterLab of section B (pip on the host) is played by a throwaway container of the same image on the host's network (`--network host`, so `localhost` is the host); python-dotenv is not in the image, so `--env-file .env` does what load_dotenv() does");
    let host_cells = program(Mode::Corrected, &["L1", "L2", "L3", "L4"])
        .replace("from dotenv import load_dotenv\nload_dotenv()\n", "");
    let host_side = RunSpec {
        env_file: Some(env_file.to_path_buf()),
        ..RunSpec::new(tag)
    }
    .rm()
    .network("host")
    .command(&[
        "python",
        "-c",
        &with_port(&host_cells, "localhost", host.port),
    ]);
    let ran = s.run(&host_side)?;
    let rows_2020 = host.count_rows(s, "Motorized_Foot_Scooter_Trips_2020");
    s.claim(
        "host-cells-create-table",
        ran.ok() && rows_2020 == Some(1000),
        format!(
            "cells exit {}; rows in the host's table: {rows_2020:?}",
            ran.exit
        ),
    );
    Ok(())
}

/// Not in the article: `--add-host` alone, before anything on the host's MySQL changes for the
/// docker bridge (its user is known only @localhost).
fn add_host_alone(s: &mut Session, host: &HostDatabase, tag: &str, env_file: &Path) -> Result<()> {
    s.note("not in the article: cell C2 (printing the error it catches) in a container with `--add-host=host.docker.internal:host-gateway` alone, the Linux fix, before the host's MySQL knows the user from the docker bridge");
    let alone = RunSpec {
        env_file: Some(env_file.to_path_buf()),
        add_host: vec![ADD_HOST.to_string()],
        ..RunSpec::new(tag)
    }
    .rm()
    .command(&[
        "python",
        "-c",
        &with_port(
            &program(Mode::Corrected, &["C2"]),
            "host.docker.internal",
            host.port,
        ),
    ]);
    let alone = s.run(&alone)?;
    let printed = cell_output(&alone.output, "C2");
    s.claim(
        "add-host-alone-reaches-host",
        printed.iter().any(|l| l == "connection successfully"),
        format!("the cell printed: {}", printed.join(" / ")),
    );
    Ok(())
}

/// Corrected: the host's MySQL lets the article's user in from the docker bridge's subnet.
fn let_the_bridge_in(s: &mut Session, host: &HostDatabase, password: &str) -> Result<()> {
    let subnet = bridge_subnet(s)?;
    let from_bridge = mysql_host_pattern(&subnet)?;
    s.note(&format!("corrected: the host's MySQL lets the article's user in from the docker bridge's subnet {subnet} (`docker network inspect bridge`), for scooter_trips only; it listens on {} as well as 127.0.0.1 (bind-address, above)", host.gateway));
    host.as_root(s, &format!("CREATE USER '{HOST_USER}'@'{from_bridge}' IDENTIFIED BY '{password}'; GRANT ALL ON scooter_trips.* TO '{HOST_USER}'@'{from_bridge}'"))?;
    Ok(())
}

/// The article's container, in which host.docker.internal names the host.
fn start_jupyter(
    s: &mut Session,
    host: &HostDatabase,
    tag: &str,
    env_file: PathBuf,
) -> Result<String> {
    let gateway = &host.gateway;
    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let mut run = database::jupyter_spec(tag, &jupyter);
    run.add_host.push(ADD_HOST.to_string());
    run.env_file = Some(env_file);
    s.note("`-it` becomes `-t` and `-p 8888:8888` becomes `-p 127.0.0.1::8888` (no terminal here; a free port on loopback)");
    s.run_ok(&run)?;
    let resolved = s.cmd(&format!(
        "docker exec {jupyter} getent hosts host.docker.internal"
    ))?;
    s.claim("host-docker-internal",
        resolved.ok() && resolved.output.contains(gateway.as_str()),
        format!("`getent hosts host.docker.internal` exit {}, printed: {:?}; the address host-gateway stands for: {gateway}", resolved.exit, resolved.output.trim()));
    Ok(jupyter)
}

/// Cells C1-C4 in the container: the CSV it writes, the host's MySQL reached, the 2021 table
/// beside the 2020 one. The host's tables, for the check after the container goes.
fn cells_reach_the_host(s: &mut Session, host: &HostDatabase, jupyter: &str) -> Result<String> {
    let code = with_port(
        &program(Mode::Corrected, &["C1", "C2", "C3", "C4"]),
        "host.docker.internal",
        host.port,
    );
    let ran = database::run_cells(s, jupyter, &[], &code)?;
    let csv = s.docker.probe([
        "exec",
        jupyter,
        "sh",
        "-c",
        "wc -l < outputs/Motorized-Foot-Scooter-Trips-2021.csv",
    ]);
    s.claim("c1-writes-csv",
        csv.as_deref().map(str::trim) == Some("1001"),
        format!("lines in /work/outputs/Motorized-Foot-Scooter-Trips-2021.csv (with the header): {csv:?}"));
    let (connected, class_only, others) = connection_lines(&ran.output);
    s.claim(
        "c2-connects",
        connected > 0,
        format!(
            "`connection successfully` printed {connected} time(s); errors: {}",
            error_summary(class_only, &others, &ran)
        ),
    );
    let tables = host.tables(s);
    let rows_2021 = host.count_rows(s, "Motorized_Foot_Scooter_Trips_2021");
    s.claim(
        "table-2021-on-host",
        rows_2021 == Some(1000) && tables.contains("Motorized_Foot_Scooter_Trips_2020"),
        format!(
            "tables in the host's scooter_trips: {tables}; rows in the 2021 table: {rows_2021:?}"
        ),
    );
    Ok(tables)
}

/// `docker stop` and `docker rm` of the Jupyter container leave the host's tables as they were.
fn remove_jupyter_keeping_the_data(
    s: &mut Session,
    host: &HostDatabase,
    jupyter: &str,
    tables: &str,
) -> Result<()> {
    s.cmd_ok(&format!("docker stop {jupyter}"))?;
    s.cmd_ok(&format!("docker rm {jupyter}"))?;
    s.forget(&Resource::Container(jupyter.to_string()));
    let after = host.tables(s);
    s.claim(
        "host-data-survives-rm",
        after == tables && !after.is_empty(),
        format!("tables after the container's removal: {after}"),
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
