//! Article 3's claims, keyed to the steps of its Markdown (the literal mode is its replay in the
//! sandbox, see `markdown::replay`). Section B's host-side JupyterLab and the host's MySQL do not
//! exist in the sandbox (the article installs them with `sudo apt`, pip and another guide), so the
//! claims only they could show say so; section C's container does run, on a Linux engine, where
//! `host.docker.internal` names nothing. Passwords never reach the evidence: a value is described
//! by its length, and server commands read the password from the container's own environment.

use crate::walkthrough::markdown::claims::{check, ClaimCheck};

mod database;
mod host;
mod probes;

use database::{
    create_again, docker_ps, env_overridden, mysql_pulled, n1_csv, n2_by_name, n3_table, n4_rows,
    network_listed, not_reachable, official_server, on_named_volume, orphaned, ready_for_n2,
    recreated_lost, stopped_keeps, survives_on_volume,
};
use host::{
    build_pulls, c1_csv, c2_connects, c2_reads_env, c3_table, chowned, credentials_out,
    env_from_build_args, failure_says_why, host_data_survives, host_docker_internal, host_tables,
    l1_csv, l2_connects, l3_table, l4_inserts, no_env_file,
};

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
    check("l1-writes-csv", L1, l1_csv),
    check("l2-connects", L2, l2_connects),
    check("l3-prints-table", L3, l3_table),
    check("l4-inserts", L4, l4_inserts),
    // C. Jupyter in a container, MySQL on the host.
    check("build-pulls-base", BUILD, build_pulls),
    check("env-from-build-args", BUILD, env_from_build_args),
    check("credentials-out-of-image", BUILD, credentials_out),
    check("dockerignore-keeps-env-out", FIRST_JUPYTER, no_env_file),
    check("copy-chown", FIRST_JUPYTER, chowned),
    check("host-docker-internal", FIRST_JUPYTER, host_docker_internal),
    check("c1-writes-csv", C1, c1_csv),
    check("c2-reads-env", C2, c2_reads_env),
    check("c2-connects", C2, c2_connects),
    check("failure-says-why", C2, failure_says_why),
    check("c3-prints-table", C3, c3_table),
    check("table-2021-on-host", C4, host_tables),
    check(
        "host-data-survives-rm",
        "docker rm custom-jupyter-container-mysql",
        host_data_survives,
    ),
    // D. MySQL in a container on a user-defined network.
    check("network-listed", NETWORK, network_listed),
    check("mysql-pulled", FIRST_DB, mysql_pulled),
    check(
        "run-e-overrides-credentials",
        "docker run -d -it -p 8888:8888 --name custom-jupyter-container-mysql --network",
        env_overridden,
    ),
    check("official-mysql-server", DOCKER_PS, official_server),
    check("n1-writes-csv", N1, n1_csv),
    check("db-ready-for-n2", N2, ready_for_n2),
    check("n2-reaches-db-by-name", N2, n2_by_name),
    check("n3-prints-table", N3, n3_table),
    check("n4-reads-rows", N4, n4_rows),
    // Its health is measured once the cells have run: waiting for it at `docker ps` would hold up the
    // steps the article runs at once (and give mysql-db time the article does not give it).
    check("ps-jupyter-healthy", N4, docker_ps),
    // Once the notebook has used the server: refused from the host while it serves the network.
    check("db-not-reachable-from-host", N4, not_reachable),
    check("create-database-again", N4, create_again),
    check("no-volume-no-data", STOP_DB, stopped_keeps),
    check("rm-leaves-anonymous-volume", RM_DB, orphaned),
    check(
        "recreated-db-no-scooter-trips",
        DB_ON_VOLUME,
        recreated_lost,
    ),
    check("data-in-mysqldata", DB_ON_VOLUME, on_named_volume),
    check("data-survives-rm", DB_ON_VOLUME, survives_on_volume),
];

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
                c.id,
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
