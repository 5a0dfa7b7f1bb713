//! The literal mode: the article replayed from its Markdown in the sandbox, its claims checked at
//! their steps, and what this test saw in the sandbox's engine.

use super::*;

/// This test's own look at the sandbox's engine while the replay ran (tests/support/watch.rs), for
/// the sections that use it, each agreeing with the walkthrough's verdict. (The first section,
/// Jupyter and MySQL on the host, runs no container: the engine has nothing of it to show.)
fn the_sandbox_showed(report: &Value, seen: &watch::Seen) {
    let holds = |words: &str| claim(report, words)["holds"].as_bool().unwrap();
    // Jupyter container and the host's database: the build arguments are in the image's
    // environment (names only here: the values are secrets), and the container was given no
    // host.docker.internal.
    let image = seen
        .image("custom-jupyter-image:mysql-connected")
        .expect("the mysql-connected image, seen in the sandbox");
    let env: Vec<&str> = image["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str()?.split_once('=').map(|(k, _)| k))
        .collect();
    assert!(
        env.contains(&"MYSQL_USER") && env.contains(&"MYSQL_PASSWORD"),
        "{env:?}"
    );
    assert!(!holds("credentials-out-of-image"));
    let jupyter = seen.containers_of("custom-jupyter-image:mysql-connected");
    assert!(!jupyter.is_empty(), "{}", seen.summary());
    let extra_hosts: Vec<&Value> = jupyter
        .iter()
        .map(|c| &c["HostConfig"]["ExtraHosts"])
        .collect();
    assert!(
        extra_hosts
            .iter()
            .all(|h| !h.to_string().contains("host.docker.internal")),
        "{extra_hosts:?}"
    );
    assert!(!holds("host-docker-internal"));
    // Database container, network and volume: mysql-db on jupyter-mysql-net, 3306 published
    // nowhere, and (re-created) its data directory on the volume mysqldata, which fills.
    let db = seen.containers_of("mysql");
    assert!(
        db.iter().all(|c| c["HostConfig"]["PortBindings"]
            .as_object()
            .is_none_or(|p| p.is_empty())),
        "mysql-db publishes nothing"
    );
    assert!(db
        .iter()
        .any(|c| c["NetworkSettings"]["Networks"]["jupyter-mysql-net"].is_object()));
    assert!(holds("db-not-reachable-from-host"));
    let on_mysqldata = seen
        .mounts()
        .into_iter()
        .any(|(_, _, m)| m["Name"] == "mysqldata" && m["Destination"] == "/var/lib/mysql");
    let files = seen.files_in("mysqldata");
    assert!(on_mysqldata && files.len() > 3, "mysqldata: {files:?}");
    assert!(holds("data-in-mysqldata"));
    eprintln!(
        "seen in the sandbox's engine: the mysql-connected image's environment names {env:?}; no \
         host.docker.internal given; mysql-db on jupyter-mysql-net publishing nothing; mysqldata \
         at /var/lib/mysql holding {} entries",
        files.len()
    );
}

/// The literal mode is the article replayed from its Markdown in the sandbox (which goes with the
/// run), with its claims checked at the steps they follow; the evidence shows what the sandbox's
/// engine answered.
#[test]
fn literal_mode_replays_the_article_and_checks_its_claims_at_their_steps() {
    let (report, out, seen) = walkthrough_seen(&["mysql", "--literal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (
            report["article"].as_str(),
            report["mode"].as_str(),
            report["ok"].as_bool()
        ),
        (
            Some("persist-jupyter-data-mysql-docker"),
            Some("literal"),
            Some(true)
        )
    );
    assert_claims(&report, "mysql");
    assert_commands_replayed(&report, "persist-jupyter-data-mysql-docker");
    the_sandbox_showed(&report, &seen);

    the_engines_answers_are_quoted(&report);
    readiness_is_measured(&report);
    no_password_in_the_report(&report, &out);
}

/// The evidence of the claim `words`.
fn evidence(report: &Value, words: &str) -> String {
    claim(report, words)["evidence"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The verdicts' evidence quotes what the engine answered, and what the local machine's stand-ins
/// did.
fn the_engines_answers_are_quoted(report: &Value) {
    // The verdicts come from the engine: its own answers are quoted.
    assert!(
        evidence(report, "host-docker-internal").contains(
            "`getent hosts host.docker.internal` in custom-jupyter-container-mysql: exit 2"
        ),
        "{}",
        evidence(report, "host-docker-internal")
    );
    assert!(evidence(report, "failure-says-why").contains("<class 'mysql.connector.errors.Error'>"));
    let again = evidence(report, "create-database-again");
    assert!(
        again.contains("1007")
            && again.contains("database exists")
            && again.contains("only the class"),
        "{again}"
    );
    assert!(
        evidence(report, "n4-reads-rows").starts_with("5 row(s) printed, fields [7, 7, 7, 7, 7]")
    );
    // The local machine's stand-ins: its JupyterLab ran the host cells against its MySQL, which
    // then holds the 2020 table only (the container's cells never reached it).
    assert!(
        evidence(report, "l1-writes-csv").ends_with(", 1001"),
        "{}",
        evidence(report, "l1-writes-csv")
    );
    assert!(
        evidence(report, "table-2021-on-host").contains("[Motorized_Foot_Scooter_Trips_2020]"),
        "{}",
        evidence(report, "table-2021-on-host")
    );
    assert!(
        evidence(report, "host-data-survives-rm").contains("the 2020 table has 1000 rows"),
        "{}",
        evidence(report, "host-data-survives-rm")
    );
    assert!(
        evidence(report, "db-not-reachable-from-host").contains("`docker port mysql-db`: \"\""),
        "{}",
        evidence(report, "db-not-reachable-from-host")
    );
    let orphaned = evidence(report, "rm-leaves-anonymous-volume");
    assert!(
        regex::Regex::new(r"with scooter_trips/: [0-9a-f]{12}")
            .unwrap()
            .is_match(&orphaned),
        "{orphaned}"
    );
}

/// Readiness is a measured time, never a probe that can only fail.
fn readiness_is_measured(report: &Value) {
    let timed = regex::Regex::new(r"after \d+\.\ds").unwrap();
    for words in [
        "db-ready-for-n2",
        "recreated-db-no-scooter-trips",
        "ps-jupyter-healthy",
    ] {
        assert!(
            timed.is_match(&evidence(report, words)),
            "{words}: {}",
            evidence(report, words)
        );
    }
}

/// No password anywhere in the report (lengths only), and the transcript shows the root password
/// redacted.
fn no_password_in_the_report(report: &Value, out: &std::process::Output) {
    // No password anywhere in the report: lengths only.
    assert!(
        evidence(report, "credentials-out-of-image").contains("MYSQL_PASSWORD=<"),
        "{}",
        evidence(report, "credentials-out-of-image")
    );
    let text = report.to_string();
    for line in String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("MYSQL_ROOT_PASSWORD="))
    {
        assert!(line.contains("MYSQL_ROOT_PASSWORD=<redacted>"), "{line}");
    }
    assert!(
        !text.contains("MYSQL_PASSWORD=example")
            && !regex::Regex::new(r"MYSQL_(ROOT_)?PASSWORD=[A-Za-z0-9]{8}")
                .unwrap()
                .is_match(&text),
        "a password in the report"
    );
}
