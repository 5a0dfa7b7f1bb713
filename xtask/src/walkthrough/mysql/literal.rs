//! Article 3's claims, keyed to the steps of its Markdown (the literal mode is its replay in the
//! sandbox, see `markdown::replay`). Section B's host-side JupyterLab and the host's MySQL do not
//! exist in the sandbox (the article installs them with `sudo apt`, pip and another guide), so the
//! claims only they could show say so; section C's container does run, on a Linux engine, where
//! `host.docker.internal` names nothing. Passwords never reach the evidence: a value is described
//! by its length, and server commands read the password from the container's own environment.

use crate::walkthrough::markdown::claims::ClaimCheck;

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
