//! The checks of article 3's claims about MySQL on the host: B, Jupyter and MySQL on the host; C,
//! Jupyter in a container, MySQL on the host.

use crate::engine::names::short_id;
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};
use crate::walkthrough::markdown::local_machine::MYSQL as LOCAL_MYSQL;

use super::probes::{
    class_only, config_env, csv_lines, describe_env, env_value, host_cell_not_run, lines, said,
};
use super::{IMAGE, JUPYTER};

pub(super) fn l1_csv(p: &Probe) -> Observed {
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

pub(super) fn l2_connects(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    seen(
        out.lines().any(|l| l.trim() == "connection successfully"),
        format!("the cell printed: {}", lines(&out, 3)),
    )
}

pub(super) fn l3_table(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2020 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

pub(super) fn l4_inserts(p: &Probe) -> Observed {
    if let Some(not) = host_cell_not_run(p) {
        return not;
    }
    let out = p.output();
    seen(
        p.exit() == Some(0) && out.trim().is_empty(),
        format!("cell exit {:?}, printed: {}", p.exit(), lines(&out, 3)),
    )
}

/// A step that should pull `image` first: holds when its output shows the pull. Every replay's
/// sandbox starts with the stand-ins' layers under warm-cache names only (`sandbox::warm_up`,
/// copied afresh for each run), and the host-side stand-ins keep their copies under names of
/// their own (`markdown::local_machine`): the article's names are never local before its steps,
/// warm cache or cold. A step that pulled nothing is the claim failing, with whether the engine
/// already had the image in the evidence, never a verdict of its own.
pub(super) fn pulled_first(p: &Probe, image: &str, signs: &[&str]) -> Observed {
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
                short_id(local.stdout.trim().trim_start_matches("sha256:"))
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
pub(super) fn build_pulls(p: &Probe) -> Observed {
    pulled_first(
        p,
        "jupyter/minimal-notebook",
        &[
            "Pulling from jupyter/minimal-notebook",
            "Downloaded newer image for jupyter/minimal-notebook",
        ],
    )
}

pub(super) fn env_from_build_args(p: &Probe) -> Observed {
    let env = config_env(p, IMAGE);
    let set = |k: &str| env_value(&env, k).is_some_and(|v| v != "NOT_DEFINED" && !v.is_empty());
    seen(
        set("MYSQL_USER") && set("MYSQL_PASSWORD"),
        format!("Config.Env of {IMAGE}: {}", describe_env(&env)),
    )
}

pub(super) fn credentials_out(p: &Probe) -> Observed {
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

pub(super) fn no_env_file(p: &Probe) -> Observed {
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

pub(super) fn chowned(p: &Probe) -> Observed {
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

pub(super) fn host_docker_internal(p: &Probe) -> Observed {
    let out = p.exec(JUPYTER, &["getent", "hosts", "host.docker.internal"]);
    let os = p
        .docker(&["info", "--format", "{{.OperatingSystem}}"])
        .stdout;
    seen(out.ok() && !out.stdout.trim().is_empty(), format!("`getent hosts host.docker.internal` in {JUPYTER}: exit {}, printed {:?}; the engine: {os}", out.code, said(&out)))
}

pub(super) fn c1_csv(p: &Probe) -> Observed {
    let (n, how) = csv_lines(p, "/work/outputs/Motorized-Foot-Scooter-Trips-2021.csv");
    seen(n == Some(1001), format!("cell exit {:?}; {how}", p.exit()))
}

pub(super) fn c2_reads_env(p: &Probe) -> Observed {
    let out = p.output();
    seen(
        p.exit() == Some(0) && !out.contains("KeyError"),
        format!("cell exit {:?}, printed: {}", p.exit(), lines(&out, 3)),
    )
}

pub(super) fn c2_connects(p: &Probe) -> Observed {
    let out = p.output();
    seen(
        out.lines().any(|l| l.trim() == "connection successfully"),
        format!("the cell printed: {}", lines(&out, 3)),
    )
}

pub(super) fn failure_says_why(p: &Probe) -> Observed {
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

pub(super) fn c3_table(p: &Probe) -> Observed {
    let out = p.output();
    let holds = out.contains("You're connected to database:  ('scooter_trips',)")
        && out.contains("Motorized_Foot_Scooter_Trips_2021 table created");
    seen(holds, format!("the cell printed: {}", lines(&out, 4)))
}

/// A query to the stand-in for the local machine's MySQL, as its root (the password read from
/// the container's own environment, never shown).
pub(super) fn host_query(p: &Probe, sql: &str) -> crate::engine::Output {
    let script = format!("mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -N -e \"{sql}\"");
    p.exec(LOCAL_MYSQL, &["sh", "-c", &script])
}

pub(super) fn host_tables(p: &Probe) -> Observed {
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

pub(super) fn host_data_survives(p: &Probe) -> Observed {
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
