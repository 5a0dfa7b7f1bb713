//! Article 3's claims, keyed to the steps of its Markdown (the literal mode is its replay in the
//! sandbox, see `markdown::replay`). Section B's host-side JupyterLab and the host's MySQL do not
//! exist in the sandbox (the article installs them with `sudo apt`, pip and another guide), so the
//! claims only they could show say so; section C's container does run, on a Linux engine, where
//! `host.docker.internal` names nothing. Passwords never reach the evidence: a value is described
//! by its length, and server commands read the password from the container's own environment.

use std::time::Duration;

use crate::walkthrough::markdown::claims::{seen, ClaimCheck, Observed, Probe};
use crate::walkthrough::markdown::local_machine::MYSQL as LOCAL_MYSQL;

const HOST: &str = "Jupyter and MySQL on the host";
const CONTAINER: &str = "Jupyter container and the host's database";
const DATABASE: &str = "Database container, network and volume";

const JUPYTER: &str = "custom-jupyter-container-mysql";
const IMAGE: &str = "custom-jupyter-image:mysql-connected";
const DB: &str = "mysql-db";

// The steps, as the article writes them (the start of each is enough).
const BUILD: &str = "docker build";
const FIRST_JUPYTER: &str =
    "docker run -d -it -p 8888:8888 --name custom-jupyter-container-mysql custom-jupyter-image";
const L1: &str = "cell:import pandas as pd #1";
const L2: &str = "cell:# import neccessary libraries #1";
const L3: &str = "cell:# data = pd.read_csv('outputs/Motorized-Foot-Scooter-Trips-2020.csv')";
const L4: &str = "cell:# Read data from output folder";
const C1: &str = "cell:import pandas as pd #2";
const C2: &str = "cell:# import neccessary libraries #2";
const C3: &str =
    "cell:try: mydb_connection = mysql.connector.connect( host=\"host.docker.internal\"";
const C4: &str = "cell:#Read data from output folder";
/// Cell C2 by its text (for `earlier`, which takes no ordinal): it reads the credentials with os.environ.
const C2_TEXT: &str = "cell:# import neccessary libraries import mysql.connector from mysql.connector import Error import os # Reading enviroment variables mysql_user = os.environ";
const NETWORK: &str = "docker network create jupyter-mysql-net";
const FIRST_DB: &str = "docker run -d --name mysql-db --network jupyter-mysql-net -e";
const DOCKER_PS: &str = "docker ps";
const N1: &str = "cell:import pandas as pd #3";
const N2: &str = "cell:# import neccessary libraries #3";
const N3: &str = "cell:try: mydb_connection = mysql.connector.connect( host=\"mysql-db\" #1";
const N4: &str = "cell:try: mydb_connection = mysql.connector.connect( host=\"mysql-db\" #2";
const STOP_DB: &str = "docker stop mysql-db";
const RM_DB: &str = "docker rm mysql-db";
const DB_ON_VOLUME: &str = "docker run -d --name mysql-db --network jupyter-mysql-net -v mysqldata";

pub const CLAIMS: &[ClaimCheck] = &[
    // B. JupyterLab installed with pip on the host, MySQL installed on the host.
    ClaimCheck { section: HOST, after: L1, claim: "cell L1 writes outputs/Motorized-Foot-Scooter-Trips-2020.csv in the host's project folder", expected: true, check: l1_csv },
    ClaimCheck { section: HOST, after: L2, claim: "cell L2 connects to the host's MySQL on localhost (`connection successfully`) and creates scooter_trips", expected: true, check: l2_connects },
    ClaimCheck { section: HOST, after: L3, claim: "cell L3 prints `You're connected to database:  ('scooter_trips',)` and `Motorized_Foot_Scooter_Trips_2020 table created`", expected: true, check: l3_table },
    ClaimCheck { section: HOST, after: L4, claim: "cell L4 inserts the 2020 rows into the host's table and commits", expected: true, check: l4_inserts },
    // C. Jupyter in a container, MySQL on the host.
    ClaimCheck { section: CONTAINER, after: BUILD, claim: "`docker build` pulls jupyter/minimal-notebook first (the base is not local)", expected: true, check: build_pulls },
    ClaimCheck { section: CONTAINER, after: BUILD, claim: "the image's environment carries MYSQL_USER and MYSQL_PASSWORD from the build arguments (not NOT_DEFINED)", expected: true, check: env_from_build_args },
    ClaimCheck { section: CONTAINER, after: BUILD, claim: "the credentials stay out of the image (not in `docker image inspect`, not in `docker history`)", expected: false, check: credentials_out },
    ClaimCheck { section: CONTAINER, after: FIRST_JUPYTER, claim: "`.dockerignore` keeps `.env` out of the image: /work has no .env", expected: true, check: no_env_file },
    ClaimCheck { section: CONTAINER, after: FIRST_JUPYTER, claim: "COPY --chown=$NB_UID:$NB_GID makes the copied files 1000:100 (jovyan:users)", expected: true, check: chowned },
    ClaimCheck { section: CONTAINER, after: FIRST_JUPYTER, claim: "inside the container, host.docker.internal names the host", expected: false, check: host_docker_internal },
    ClaimCheck { section: CONTAINER, after: C1, claim: "cell C1 writes outputs/Motorized-Foot-Scooter-Trips-2021.csv (1,000 rows) in the container", expected: true, check: c1_csv },
    ClaimCheck { section: CONTAINER, after: C2, claim: "cell C2 reads MYSQL_USER and MYSQL_PASSWORD with os.environ (the image's ENV)", expected: true, check: c2_reads_env },
    ClaimCheck { section: CONTAINER, after: C2, claim: "cell C2 reaches the host's MySQL through host.docker.internal and prints `connection successfully`", expected: false, check: c2_connects },
    ClaimCheck { section: CONTAINER, after: C2, claim: "a failed connection prints why it failed", expected: false, check: failure_says_why },
    ClaimCheck { section: CONTAINER, after: C3, claim: "cell C3 prints `You're connected to database:  ('scooter_trips',)` and `Motorized_Foot_Scooter_Trips_2021 table created`", expected: false, check: c3_table },
    ClaimCheck { section: CONTAINER, after: C4, claim: "the 2021 table appears in the host's database next to the 2020 table", expected: false, check: host_tables },
    ClaimCheck { section: CONTAINER, after: "docker rm custom-jupyter-container-mysql", claim: "the host's data survives `docker rm` of the Jupyter container", expected: true, check: host_data_survives },
    // D. MySQL in a container on a user-defined network.
    ClaimCheck { section: DATABASE, after: NETWORK, claim: "`docker network create jupyter-mysql-net` makes a network `docker network ls` lists", expected: true, check: network_listed },
    ClaimCheck { section: DATABASE, after: FIRST_DB, claim: "`docker run ... mysql` finds no mysql image locally and pulls mysql:latest first", expected: true, check: mysql_pulled },
    ClaimCheck { section: DATABASE, after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container-mysql --network", claim: "`docker run -e MYSQL_USER=root -e MYSQL_PASSWORD=...` overrides the credentials the image carries", expected: true, check: env_overridden },
    ClaimCheck { section: DATABASE, after: DOCKER_PS, claim: "mysql-db runs the official MySQL server, exposing 3306/tcp and 33060/tcp", expected: true, check: official_server },
    ClaimCheck { section: DATABASE, after: N1, claim: "cell N1 writes /work/outputs/Motorized-Foot-Scooter-Trips-2018.csv", expected: true, check: n1_csv },
    ClaimCheck { section: DATABASE, after: N2, claim: "mysql-db accepts connections by the time cell N2 connects, though nothing in the article waits for it", expected: true, check: ready_for_n2 },
    ClaimCheck { section: DATABASE, after: N2, claim: "cell N2 reaches mysql-db by its container name on the user-defined network (`connection successfully`)", expected: true, check: n2_by_name },
    ClaimCheck { section: DATABASE, after: N3, claim: "cell N3 prints `You're connected to database:  ('scooter_trips',)` and creates the 2018 table", expected: true, check: n3_table },
    ClaimCheck { section: DATABASE, after: N4, claim: "cell N4 reads five rows of 7 strings back", expected: true, check: n4_rows },
    // Its health is measured once the cells have run: waiting for it at `docker ps` would hold up the
    // steps the article runs at once (and give mysql-db time the article does not give it).
    ClaimCheck { section: DATABASE, after: N4, claim: "`docker ps`: the Jupyter container is (healthy) with 8888 published; mysql-db shows 3306/tcp, not published to the host", expected: true, check: docker_ps },
    // Once the notebook has used the server: refused from the host while it serves the network.
    ClaimCheck { section: DATABASE, after: N4, claim: "the containerised database is not reachable from the host (no port published)", expected: true, check: not_reachable },
    ClaimCheck { section: DATABASE, after: N4, claim: "running the CREATE DATABASE cell (N2) again reports that scooter_trips exists (MySQL error 1007)", expected: false, check: create_again },
    ClaimCheck { section: DATABASE, after: STOP_DB, claim: "without a volume, mysql-db does not keep the data (its stopped container keeps no copy of scooter_trips)", expected: false, check: stopped_keeps },
    ClaimCheck { section: DATABASE, after: RM_DB, claim: "`docker rm mysql-db` leaves its anonymous volume (with the data) behind, orphaned", expected: true, check: orphaned },
    ClaimCheck { section: DATABASE, after: DB_ON_VOLUME, claim: "the re-created mysql-db no longer has scooter_trips: the data of the one without a volume did not outlive it", expected: true, check: recreated_lost },
    ClaimCheck { section: DATABASE, after: DB_ON_VOLUME, claim: "with `-v mysqldata:/var/lib/mysql` mysql-db keeps its data directory in the named volume mysqldata, which `docker volume ls` lists", expected: true, check: on_named_volume },
    ClaimCheck { section: DATABASE, after: DB_ON_VOLUME, claim: "the data survives `docker rm` and a new mysql-db with the same `-v mysqldata:/var/lib/mysql`", expected: true, check: survives_on_volume },
];

// ---- small helpers ------------------------------------------------------------------------------

/// stdout and stderr of a probe's command, trimmed, with its exit.
fn said(out: &crate::engine::Output) -> String {
    [out.stdout.trim(), out.stderr.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines of a step's output, joined with ` / ` (the first `n`).
fn lines(text: &str, n: usize) -> String {
    let all: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut shown = all.iter().take(n).copied().collect::<Vec<_>>().join(" / ");
    if all.len() > n {
        shown.push_str(&format!(" / ... ({} lines)", all.len()));
    }
    if shown.is_empty() {
        "nothing".into()
    } else {
        shown
    }
}

/// A host-side cell (section B) that did not run: why, from what the host's steps printed.
fn host_cell_not_run(p: &Probe) -> Option<Observed> {
    if p.exit().is_some() {
        return None;
    }
    let first = |after: &str| {
        p.earlier(after)
            .map(|o| lines(&o, 1))
            .unwrap_or_else(|| "not run".into())
    };
    Some(Observed::NotCheckable(format!(
        "the host-side JupyterLab never ran in the sandbox, so neither did this cell: `pip install ...` printed {:?} and `jupyter-lab` {:?} (the replay does not run `sudo apt install python3-pip`, and MySQL on the host is installed by another guide)",
        first("pip install"),
        first("jupyter-lab")
    )))
}

/// Lines a cell printed with only the exception class (the article's `except Error` handler).
fn class_only(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("Error while connecting to MySQL") && l.contains("<class "))
        .collect()
}

/// The lines of a CSV in the Jupyter container (with its header), as `wc -l` counts them.
fn csv_lines(p: &Probe, path: &str) -> (Option<usize>, String) {
    let Some(container) = p.container_of(IMAGE) else {
        return (None, format!("no running container of {IMAGE}"));
    };
    let out = p.exec(&container, &["sh", "-c", &format!("wc -l < {path}")]);
    (
        out.stdout.trim().parse().ok().filter(|_| out.ok()),
        format!(
            "`wc -l < {path}` in {container}: exit {}, {}",
            out.code,
            said(&out)
        ),
    )
}

/// `MYSQL_*` entries of an environment listing, values other than a user's described by length.
fn describe_env(env: &[String]) -> String {
    let shown: Vec<String> = env
        .iter()
        .filter(|e| e.starts_with("MYSQL_"))
        .map(|e| match e.split_once('=') {
            Some((k, v)) if k.contains("PASSWORD") && v != "NOT_DEFINED" => {
                format!("{k}=<{} characters>", v.chars().count())
            }
            _ => e.clone(),
        })
        .collect();
    if shown.is_empty() {
        "no MYSQL_ entries".into()
    } else {
        shown.join(" ")
    }
}

/// The Config.Env of an image or container.
fn config_env(p: &Probe, what: &str) -> Vec<String> {
    let out = p.docker(&["inspect", "--format", "{{json .Config.Env}}", what]);
    serde_json::from_str(&out.stdout).unwrap_or_default()
}

fn env_value<'e>(env: &'e [String], key: &str) -> Option<&'e str> {
    env.iter()
        .find_map(|e| e.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// SQL as root in mysql-db, the password from the container's own environment (never on a command line here).
fn as_root(p: &Probe, sql: &str) -> crate::engine::Output {
    let script = format!("MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysql -uroot -N -B -e \"{sql}\"");
    p.exec(DB, &["sh", "-c", &script])
}

/// How long mysql-db takes to answer a ping over TCP from now (mysqladmin answers 0 once the
/// server runs, even when it refuses the user; the first start's temporary server has no TCP).
fn db_ready(p: &Probe, limit: Duration) -> (bool, Duration) {
    let (ok, took) = p.within(limit, || {
        p.exec(
            DB,
            &[
                "mysqladmin",
                "--protocol=tcp",
                "-h127.0.0.1",
                "--connect-timeout=2",
                "ping",
            ],
        )
        .ok()
        .then_some(())
    });
    (ok.is_some(), took)
}

/// Seconds since a container started, by the sandbox's clock.
fn uptime(p: &Probe, container: &str) -> String {
    let started = p
        .docker(&["inspect", "--format", "{{.State.StartedAt}}", container])
        .stdout;
    if started.is_empty()
        || !started
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:-+".contains(c))
    {
        return format!("? (StartedAt {started:?})");
    }
    let out = p.shell(&format!(
        "echo $(( $(date +%s) - $(date -d '{started}' +%s) ))"
    ));
    if out.ok() {
        format!("{}s", out.stdout.trim())
    } else {
        format!("? ({})", said(&out))
    }
}

/// The volume on /var/lib/mysql of a container (running or stopped).
fn data_volume(p: &Probe, container: &str) -> String {
    let format = r#"{{range .Mounts}}{{if eq .Destination "/var/lib/mysql"}}{{.Type}} {{.Name}}{{end}}{{end}}"#;
    p.docker(&["container", "inspect", "--format", format, container])
        .stdout
}

/// What a volume's data folder holds, as the inner engine keeps it (the sandbox's /var/lib/inner, its rootless data).
fn volume_holds(p: &Probe, volume: &str, entry: &str) -> bool {
    p.shell(&format!(
        "test -d /var/lib/inner/volumes/{volume}/_data/{entry}"
    ))
    .ok()
}

fn short(volume: &str) -> &str {
    &volume[..volume.len().min(12)]
}

// ---- B: the host ---------------------------------------------------------------------------------

fn l1_csv(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.shell("wc -l < outputs/Motorized-Foot-Scooter-Trips-2020.csv");
    seen(
        out.ok() && out.stdout.trim() == "1001",
        format!(
            "cell exit {:?}; `wc -l` of the CSV: exit {}, {}",
            p.exit(),
            out.code,
            said(&out)
        ),
    )
}

fn l2_connects(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    seen(
        out.lines().any(|l| l.trim() == "connection successfully"),
        format!("the cell printed: {}", lines(&out, 3)),
    )
}

fn l3_table(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2020 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

fn l4_inserts(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    seen(
        p.exit() == Some(0) && out.trim().is_empty(),
        format!("cell exit {:?}, printed: {}", p.exit(), lines(&out, 3)),
    )
}

// ---- C: Jupyter in a container, MySQL on the host --------------------------------------------------

/// A step that should pull `image` first: holds when its output shows the pull. Every replay's
/// sandbox starts with the stand-ins' layers under warm-cache names only (`sandbox::warm_up`,
/// under a fresh overlay per run), and the host-side stand-ins keep their copies under names of
/// their own (`markdown::local_machine`): the article's names are never local before its steps,
/// warm cache or cold. A step that pulled nothing is the claim failing, with whether the engine
/// already had the image in the evidence, never a verdict of its own.
fn pulled_first(p: &Probe, image: &str, signs: &[&str]) -> Observed {
    let out = p.output();
    let pulled: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| signs.iter().any(|s| l.contains(s)))
        .collect();
    let shown = if pulled.is_empty() {
        let local = p.docker(&["image", "inspect", "--format", "{{.Id}}", image]);
        format!(
            "no pull in its output ({}); {image} in the engine afterwards: {}",
            lines(&out, 2),
            if local.ok() {
                short(local.stdout.trim().trim_start_matches("sha256:"))
            } else {
                "none"
            }
        )
    } else {
        pulled.join(" / ")
    };
    seen(
        p.exit() == Some(0) && !pulled.is_empty(),
        format!("exit {:?}; {shown}", p.exit()),
    )
}

/// The legacy builder's pull of the FROM image (BuildKit's `FROM docker.io/...` line shows
/// whether or not it pulled, so it is no sign).
fn build_pulls(p: &Probe) -> Observed {
    pulled_first(
        p,
        "jupyter/minimal-notebook",
        &[
            "Pulling from jupyter/minimal-notebook",
            "Downloaded newer image for jupyter/minimal-notebook",
        ],
    )
}

fn env_from_build_args(p: &Probe) -> Observed {
    let env = config_env(p, IMAGE);
    let set = |k: &str| env_value(&env, k).is_some_and(|v| v != "NOT_DEFINED" && !v.is_empty());
    seen(
        set("MYSQL_USER") && set("MYSQL_PASSWORD"),
        format!("Config.Env of {IMAGE}: {}", describe_env(&env)),
    )
}

fn credentials_out(p: &Probe) -> Observed {
    let env = config_env(p, IMAGE);
    let password =
        env_value(&env, "MYSQL_PASSWORD").filter(|v| *v != "NOT_DEFINED" && !v.is_empty());
    let history = p.docker(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", IMAGE]);
    let in_history = password
        .map(|pw| history.stdout.lines().filter(|l| l.contains(pw)).count())
        .unwrap_or(0);
    seen(
        password.is_none() && in_history == 0,
        format!("Config.Env: {}; `docker history --no-trunc`: exit {}, {in_history} step(s) carry that password", describe_env(&env), history.code),
    )
}

fn no_env_file(p: &Probe) -> Observed {
    let project = p.shell("ls -A");
    let work = p.exec(JUPYTER, &["ls", "-A", "/work"]);
    let listing: Vec<&str> = work.stdout.split_whitespace().collect();
    seen(
        work.ok()
            && project.stdout.split_whitespace().any(|f| f == ".env")
            && !listing.contains(&".env")
            && listing.contains(&"computation.ipynb"),
        format!(
            "project folder: {}; `ls -A /work` in {JUPYTER}: exit {}, {}",
            project
                .stdout
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            work.code,
            listing.join(" ")
        ),
    )
}

fn chowned(p: &Probe) -> Observed {
    let out = p.exec(
        JUPYTER,
        &["sh", "-c", "stat -c '%u:%g %n' /work/* /work/.dockerignore"],
    );
    let owners: Vec<&str> = out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    seen(
        out.ok() && !owners.is_empty() && owners.iter().all(|l| l.starts_with("1000:100 ")),
        format!(
            "`stat` in {JUPYTER}: exit {}, {}",
            out.code,
            owners.join("; ")
        ),
    )
}

fn host_docker_internal(p: &Probe) -> Observed {
    let out = p.exec(JUPYTER, &["getent", "hosts", "host.docker.internal"]);
    let os = p
        .docker(&["info", "--format", "{{.OperatingSystem}}"])
        .stdout;
    seen(out.ok() && !out.stdout.trim().is_empty(), format!("`getent hosts host.docker.internal` in {JUPYTER}: exit {}, printed {:?}; the engine: {os}", out.code, said(&out)))
}

fn c1_csv(p: &Probe) -> Observed {
    let (n, how) = csv_lines(p, "/work/outputs/Motorized-Foot-Scooter-Trips-2021.csv");
    seen(n == Some(1001), format!("cell exit {:?}; {how}", p.exit()))
}

fn c2_reads_env(p: &Probe) -> Observed {
    let out = p.output();
    seen(
        p.exit() == Some(0) && !out.contains("KeyError"),
        format!("cell exit {:?}, printed: {}", p.exit(), lines(&out, 3)),
    )
}

fn c2_connects(p: &Probe) -> Observed {
    let out = p.output();
    seen(
        out.lines().any(|l| l.trim() == "connection successfully"),
        format!("the cell printed: {}", lines(&out, 3)),
    )
}

fn failure_says_why(p: &Probe) -> Observed {
    let out = p.output();
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Error while connecting to MySQL"))
        .collect();
    if errors.is_empty() {
        return Observed::NotCheckable(format!(
            "cell C2 did not fail here, so it printed no error: {}",
            lines(&out, 2)
        ));
    }
    seen(
        class_only(&out).len() < errors.len(),
        format!("the failed connection printed: {}", errors.join(" / ")),
    )
}

fn c3_table(p: &Probe) -> Observed {
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2021 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

/// A query to the stand-in for the local machine's MySQL, as its root (the password read from
/// the container's own environment, never shown).
fn host_query(p: &Probe, sql: &str) -> crate::engine::Output {
    let script = format!("mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -N -e \"{sql}\"");
    p.exec(LOCAL_MYSQL, &["sh", "-c", &script])
}

fn host_tables(p: &Probe) -> Observed {
    let out = host_query(p, "SHOW TABLES FROM scooter_trips");
    let tables: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    let has = |year: &str| {
        tables
            .iter()
            .any(|t| *t == format!("Motorized_Foot_Scooter_Trips_{year}"))
    };
    seen(
        out.ok() && has("2020") && has("2021"),
        format!("tables of scooter_trips in the local machine's MySQL: exit {}, [{}]; cell C4 here: exit {:?}, {}", out.code, tables.join(", "), p.exit(), lines(&p.output(), 1)),
    )
}

fn host_data_survives(p: &Probe) -> Observed {
    let out = host_query(
        p,
        "SELECT COUNT(*) FROM scooter_trips.Motorized_Foot_Scooter_Trips_2020",
    );
    let rows: u64 = out.stdout.trim().parse().unwrap_or(0);
    seen(
        p.exit() == Some(0) && out.ok() && rows > 0,
        format!("`docker rm` exit {:?}; then the local machine's MySQL: the 2020 table has {rows} rows (exit {}{})", p.exit(), out.code, if out.ok() { String::new() } else { format!(": {}", said(&out)) }),
    )
}

// ---- D: MySQL in a container ------------------------------------------------------------------------

fn network_listed(p: &Probe) -> Observed {
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

fn mysql_pulled(p: &Probe) -> Observed {
    pulled_first(
        p,
        "mysql",
        &[
            "Unable to find image 'mysql:latest' locally",
            "Pulling from library/mysql",
        ],
    )
}

fn env_overridden(p: &Probe) -> Observed {
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

fn docker_ps(p: &Probe) -> Observed {
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

fn official_server(p: &Probe) -> Observed {
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

fn not_reachable(p: &Probe) -> Observed {
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

fn n1_csv(p: &Probe) -> Observed {
    let (n, how) = csv_lines(p, "/work/outputs/Motorized-Foot-Scooter-Trips-2018.csv");
    seen(n == Some(1001), format!("cell exit {:?}; {how}", p.exit()))
}

fn ready_for_n2(p: &Probe) -> Observed {
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

fn n2_by_name(p: &Probe) -> Observed {
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

fn n3_table(p: &Probe) -> Observed {
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2018 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

fn n4_rows(p: &Probe) -> Observed {
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
const CREATE_AGAIN: &str = r#"
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

fn create_again(p: &Probe) -> Observed {
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

fn stopped_keeps(p: &Probe) -> Observed {
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
    seen(!kept, format!("the stopped mysql-db has /var/lib/mysql on {} {}, which {} scooter_trips/; the image declares volumes {declared}", mount.split_whitespace().next().unwrap_or("no mount"), short(volume), if kept { "holds" } else { "does not hold" }))
}

fn orphaned(p: &Probe) -> Observed {
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
            dangling.lines().map(short).collect::<Vec<_>>().join(" "),
            with_data
                .iter()
                .map(|v| short(v))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    )
}

fn recreated_lost(p: &Probe) -> Observed {
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

fn on_named_volume(p: &Probe) -> Observed {
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

fn survives_on_volume(p: &Probe) -> Observed {
    Observed::NotCheckable(format!(
        "the article stops here: it stores nothing in mysqldata and never re-creates mysql-db on it again, and a check does not run those steps for it (mysql-db: {})",
        lines(&p.output(), 1)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::claims::step_of;
    use crate::walkthrough::markdown::{placeholders, read, StepKind, Values};

    /// Every claim names a step the article has, and the one meant (without a sandbox).
    #[test]
    fn every_claim_finds_its_step_in_the_article() {
        let slug = "persist-jupyter-data-mysql-docker";
        let path = crate::paths::root()
            .join("../shared/series")
            .join(format!("{slug}.md"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: the series is read from ../shared beside the project",
                path.display()
            )
        });
        let steps = placeholders::fill(&read(&text), &Values::for_article(slug));
        for c in CLAIMS {
            assert!(
                step_of(c.after, &steps).is_some(),
                "{:?} follows {:?}, which the article does not have",
                c.claim,
                c.after
            );
        }
        let code = |after: &str| match &steps[step_of(after, &steps).unwrap()].kind {
            StepKind::Cell { code, .. } => code.clone(),
            other => panic!("{after} is not a cell: {other:?}"),
        };
        for (after, url_or_table) in [
            (L1, "f3277b5838814277afa3275671e632e5"),
            (C1, "033311f71d5a4b98babaa2280b432a43"),
            (N1, "aaf4274109f34ffd93ac71267c5b276e"),
            (L2, "load_dotenv()"),
            (C2, "host.docker.internal"),
            (N2, "host=\"mysql-db\""),
            (N4, "limit 5"),
            (L4, "_2020"),
            (C4, "_2021"),
        ] {
            assert!(
                code(after).contains(url_or_table),
                "{after}: {}",
                code(after)
            );
        }
        assert_eq!(
            step_of(C2_TEXT, &steps),
            step_of(C2, &steps),
            "C2 by its text and by its order"
        );
        let first_db = step_of(FIRST_DB, &steps).unwrap();
        let on_volume = step_of(DB_ON_VOLUME, &steps).unwrap();
        assert!(
            first_db < step_of(N2, &steps).unwrap()
                && step_of(N4, &steps).unwrap() < step_of(STOP_DB, &steps).unwrap()
                && step_of(RM_DB, &steps).unwrap() < on_volume
        );
    }
}
