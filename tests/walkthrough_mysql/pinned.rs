//! Every claim's verdict looked at again with this test's own docker calls on what `--keep` left
//! (see the note above `mod pinned` in walkthrough_mysql.rs).

use super::*;

/// The kept container of `base` (renamed with its section's slug).
fn kept(report: &Value, section_name: &str, base: &str) -> String {
    let s = section(report, section_name);
    let name = s["names"]
        .get(base)
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| s["db"].as_str().unwrap().to_string());
    format!("{name}-{}", slug(s["name"].as_str().unwrap()))
}

/// `SQL` as root in a kept server (the root password from its own environment).
fn as_root(container: &str, sql: &str) -> String {
    let env = docker_ok(&[
        "inspect",
        "--format",
        "{{range .Config.Env}}{{println .}}{{end}}",
        container,
    ]);
    let password = env
        .lines()
        .find_map(|l| l.strip_prefix("MYSQL_ROOT_PASSWORD="))
        .expect("the server's root password");
    let pwd = format!("MYSQL_PWD={password}");
    docker_ok(&[
        "exec", "-e", &pwd, container, "mysql", "-uroot", "-N", "-B", "-e", sql,
    ])
}

/// This test's own look at what `--keep` left (`mode`: `corrected` or `literal`): the host's
/// database, the section's image, and the database container's section.
pub fn look_for_ourselves(report: &Value, mode: &str) {
    let corrected = mode == "corrected";
    // The host's database: configured like a host install, no root@'%'.
    let host_db = kept(report, "Jupyter container", "host-mysql");
    let tag = section(report, "Jupyter container")["names"]["custom-jupyter-image:mysql-connected"]
        .as_str()
        .unwrap()
        .to_string();
    let labels = labels();
    the_host_databases_accounts(&host_db, &tag, &labels, corrected);
    the_host_databases_tables(&host_db, corrected);

    // The section's image: /work, its owners, the credentials in its config.
    the_sections_image(&tag, &labels, corrected);

    // The database container's section: the network, the CSV, docker ps's health and ports.
    the_database_containers_section(report);
}

/// `docker run --rm` with this run's labels, for more arguments.
fn run_rm(labels: &[String]) -> Vec<&str> {
    let mut args = vec!["run", "--rm"];
    args.extend(labels.iter().map(String::as_str));
    args
}

/// The host's database's accounts (none from anywhere; the example user at localhost, and from
/// the bridge when corrected) and where it listens (also at the gateway when corrected).
fn the_host_databases_accounts(host_db: &str, tag: &str, labels: &[String], corrected: bool) {
    let accounts = as_root(host_db, "SELECT CONCAT(user, '@', host) FROM mysql.user");
    assert!(
        !accounts.lines().any(|a| a.ends_with("@%")),
        "no account from anywhere: {accounts}"
    );
    let example: Vec<&str> = accounts
        .lines()
        .filter(|a| a.starts_with("example_user@"))
        .collect();
    let bridge = docker_ok(&[
        "network",
        "inspect",
        "--format",
        "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
        "bridge",
    ]);
    let subnet = bridge
        .split_whitespace()
        .find(|n| !n.contains(':'))
        .unwrap();
    let gateway = host_gateway(tag, labels);
    let bind = as_root(host_db, "SELECT @@bind_address");
    if corrected {
        assert_eq!(
            example.len(),
            2,
            "the user @localhost and from the bridge ({subnet}): {accounts}"
        );
        assert!(
            example.contains(&"example_user@localhost")
                && example.iter().any(|a| a.contains("/255.")),
            "{accounts}"
        );
        assert_eq!(bind, format!("127.0.0.1,{gateway}"));
    } else {
        assert_eq!(example, vec!["example_user@localhost"]);
        assert_eq!(bind, "127.0.0.1");
    }
}

/// The address `--add-host host.docker.internal:host-gateway` gives the name in a container of
/// `tag`.
fn host_gateway(tag: &str, labels: &[String]) -> String {
    let getent = run_rm(labels);
    let with_host: Vec<&str> = getent
        .iter()
        .copied()
        .chain([
            "--add-host",
            "host.docker.internal:host-gateway",
            tag,
            "getent",
            "hosts",
            "host.docker.internal",
        ])
        .collect();
    let named = docker_ok(&with_host);
    named
        .split_whitespace()
        .next()
        .expect("--add-host ...:host-gateway names host.docker.internal")
        .to_string()
}

/// The host's database holds the 2020 table (1000 rows), and the 2021 one only when corrected.
fn the_host_databases_tables(host_db: &str, corrected: bool) {
    let tables = as_root(host_db, "SHOW TABLES FROM scooter_trips");
    assert!(
        tables.contains("Motorized_Foot_Scooter_Trips_2020"),
        "{tables}"
    );
    assert_eq!(
        as_root(
            host_db,
            "SELECT COUNT(*) FROM scooter_trips.Motorized_Foot_Scooter_Trips_2020"
        ),
        "1000"
    );
    assert_eq!(
        tables.contains("Motorized_Foot_Scooter_Trips_2021"),
        corrected,
        "{tables}"
    );
    if corrected {
        assert_eq!(
            as_root(
                host_db,
                "SELECT COUNT(*) FROM scooter_trips.Motorized_Foot_Scooter_Trips_2021"
            ),
            "1000"
        );
    }
}

/// The section's image: /work, its owners, the credentials in its config, and no
/// host.docker.internal without --add-host.
fn the_sections_image(tag: &str, labels: &[String], corrected: bool) {
    let mut args = run_rm(labels);
    args.extend([
        tag,
        "sh",
        "-c",
        "ls -A /work; stat -c '%u:%g' /work/computation.ipynb /work/outputs",
    ]);
    let work = docker_ok(&args);
    assert!(
        !work.lines().any(|l| l.trim() == ".env")
            && work.lines().filter(|l| l.trim() == "1000:100").count() == 2,
        "{work}"
    );
    let env = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{range .Config.Env}}{{println .}}{{end}}",
        tag,
    ]);
    assert_eq!(
        env.lines().any(|l| l == "MYSQL_PASSWORD=NOT_DEFINED"),
        corrected,
        "{}",
        env.lines()
            .filter(|l| l.starts_with("MYSQL_USER"))
            .collect::<String>()
    );
    // host.docker.internal: unknown to a container on this (Linux) engine unless --add-host.
    let mut getent = run_rm(labels);
    getent.extend([tag, "getent", "hosts", "host.docker.internal"]);
    let desktop =
        docker_ok(&["info", "--format", "{{.OperatingSystem}}"]).contains("Docker Desktop");
    assert_eq!(
        docker(&getent).ok(),
        desktop,
        "without --add-host only Docker Desktop names host.docker.internal"
    );
}

/// The database container's section: the network, the CSV, docker ps's health and ports.
fn the_database_containers_section(report: &Value) {
    let d = section(report, "Database container");
    docker_ok(&["network", "inspect", d["network"].as_str().unwrap()]);
    let jupyter = kept(
        report,
        "Database container",
        "custom-jupyter-container-mysql",
    );
    assert_eq!(
        docker_ok(&[
            "exec",
            &jupyter,
            "sh",
            "-c",
            "wc -l < /work/outputs/Motorized-Foot-Scooter-Trips-2018.csv"
        ]),
        "1001"
    );
    // Healthy within a minute (a check that timed out on a busy machine passes again later).
    let health = || docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", &jupyter]);
    let healthy = (0..60).any(|_| {
        let now = health() == "healthy";
        if !now {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        now
    });
    assert!(healthy, "the kept Jupyter container is {}", health());
    assert_eq!(
        docker_ok(&["port", &kept(report, "Database container", "mysql-db")]),
        "",
        "mysql-db publishes no port"
    );
}
