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
    ClaimCheck {
        id: "l1-writes-csv",
        after: L1,
        check: l1_csv,
    },
    ClaimCheck {
        id: "l2-connects",
        after: L2,
        check: l2_connects,
    },
    ClaimCheck {
        id: "l3-prints-table",
        after: L3,
        check: l3_table,
    },
    ClaimCheck {
        id: "l4-inserts",
        after: L4,
        check: l4_inserts,
    },
    // C. Jupyter in a container, MySQL on the host.
    ClaimCheck {
        id: "build-pulls-base",
        after: BUILD,
        check: build_pulls,
    },
    ClaimCheck {
        id: "env-from-build-args",
        after: BUILD,
        check: env_from_build_args,
    },
    ClaimCheck {
        id: "credentials-out-of-image",
        after: BUILD,
        check: credentials_out,
    },
    ClaimCheck {
        id: "dockerignore-keeps-env-out",
        after: FIRST_JUPYTER,
        check: no_env_file,
    },
    ClaimCheck {
        id: "copy-chown",
        after: FIRST_JUPYTER,
        check: chowned,
    },
    ClaimCheck {
        id: "host-docker-internal",
        after: FIRST_JUPYTER,
        check: host_docker_internal,
    },
    ClaimCheck {
        id: "c1-writes-csv",
        after: C1,
        check: c1_csv,
    },
    ClaimCheck {
        id: "c2-reads-env",
        after: C2,
        check: c2_reads_env,
    },
    ClaimCheck {
        id: "c2-connects",
        after: C2,
        check: c2_connects,
    },
    ClaimCheck {
        id: "failure-says-why",
        after: C2,
        check: failure_says_why,
    },
    ClaimCheck {
        id: "c3-prints-table",
        after: C3,
        check: c3_table,
    },
    ClaimCheck {
        id: "table-2021-on-host",
        after: C4,
        check: host_tables,
    },
    ClaimCheck {
        id: "host-data-survives-rm",
        after: "docker rm custom-jupyter-container-mysql",
        check: host_data_survives,
    },
    // D. MySQL in a container on a user-defined network.
    ClaimCheck {
        id: "network-listed",
        after: NETWORK,
        check: network_listed,
    },
    ClaimCheck {
        id: "mysql-pulled",
        after: FIRST_DB,
        check: mysql_pulled,
    },
    ClaimCheck {
        id: "run-e-overrides-credentials",
        after: "docker run -d -it -p 8888:8888 --name custom-jupyter-container-mysql --network",
        check: env_overridden,
    },
    ClaimCheck {
        id: "official-mysql-server",
        after: DOCKER_PS,
        check: official_server,
    },
    ClaimCheck {
        id: "n1-writes-csv",
        after: N1,
        check: n1_csv,
    },
    ClaimCheck {
        id: "db-ready-for-n2",
        after: N2,
        check: ready_for_n2,
    },
    ClaimCheck {
        id: "n2-reaches-db-by-name",
        after: N2,
        check: n2_by_name,
    },
    ClaimCheck {
        id: "n3-prints-table",
        after: N3,
        check: n3_table,
    },
    ClaimCheck {
        id: "n4-reads-rows",
        after: N4,
        check: n4_rows,
    },
    // Its health is measured once the cells have run: waiting for it at `docker ps` would hold up the
    // steps the article runs at once (and give mysql-db time the article does not give it).
    ClaimCheck {
        id: "ps-jupyter-healthy",
        after: N4,
        check: docker_ps,
    },
    // Once the notebook has used the server: refused from the host while it serves the network.
    ClaimCheck {
        id: "db-not-reachable-from-host",
        after: N4,
        check: not_reachable,
    },
    ClaimCheck {
        id: "create-database-again",
        after: N4,
        check: create_again,
    },
    ClaimCheck {
        id: "no-volume-no-data",
        after: STOP_DB,
        check: stopped_keeps,
    },
    ClaimCheck {
        id: "rm-leaves-anonymous-volume",
        after: RM_DB,
        check: orphaned,
    },
    ClaimCheck {
        id: "recreated-db-no-scooter-trips",
        after: DB_ON_VOLUME,
        check: recreated_lost,
    },
    ClaimCheck {
        id: "data-in-mysqldata",
        after: DB_ON_VOLUME,
        check: on_named_volume,
    },
    ClaimCheck {
        id: "data-survives-rm",
        after: DB_ON_VOLUME,
        check: survives_on_volume,
    },
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
