//! Article 3, "Advanced Jupyter Data Persistence with MySQL and Docker" (persist-jupyter-data-mysql-docker).
//! Its errata, which the corrected mode fixes: nothing waits for the database to accept connections
//! before the notebook connects; the credentials are baked into the image (build args -> ENV); every
//! cell prints the exception class instead of the error; and on a Linux engine `host.docker.internal`
//! needs `--add-host=host.docker.internal:host-gateway`.
//! The notebook's cells run inside the Jupyter container (`docker exec ... python -c`), on the
//! bundled synthetic samples instead of the unreachable ArcGIS Hub URLs.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::db;
use crate::images::mysql::Server;
use super::session::{Mode, Ran, Session};
use super::{Article, Section};
use crate::engine::resources::Resource;

pub const ARTICLE: Article = Article {
    slug: "persist-jupyter-data-mysql-docker",
    short: "mysql",
    title: "Advanced Jupyter Data Persistence with MySQL and Docker",
    sections: &[
        Section { name: "Jupyter container and the host's database", run: host_database },
        Section { name: "Database container, network and volume", run: database_container },
    ],
};

/// The ArcGIS Hub downloads of the article and the bundled samples used in their place.
const DATA: &[(&str, &str)] = &[
    ("https://opendata.arcgis.com/api/v3/datasets/f3277b5838814277afa3275671e632e5_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2020.csv"),
    ("https://opendata.arcgis.com/api/v3/datasets/033311f71d5a4b98babaa2280b432a43_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2021.csv"),
    ("https://opendata.arcgis.com/api/v3/datasets/aaf4274109f34ffd93ac71267c5b276e_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1", "data/Motorized-Foot-Scooter-Trips-2018.csv"),
];

const ERROR_AS_WRITTEN: &str = "except Error:\n    print(\"Error while connecting to MySQL\", Error)";
const ERROR_CORRECTED: &str = "except Error as e:\n    print(\"Error while connecting to MySQL:\", e)";

// The article's cells, as written. Section B: JupyterLab on the host, MySQL on the host.
const L1: &str = r#"import pandas as pd
# data url in ArcGIS Hub
data_url = "https://opendata.arcgis.com/api/v3/datasets/f3277b5838814277afa3275671e632e5_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
dataframe = pd.read_csv(data_url, index_col=0, nrows=1000)
dataframe.to_csv("outputs/Motorized-Foot-Scooter-Trips-2020.csv", index=False)
"#;
const L2: &str = r#"# import neccessary libraries
import mysql.connector
from mysql.connector import Error
import os
from dotenv import load_dotenv
load_dotenv()

# Reading enviroment variables
mysql_user = os.getenv('MYSQL_USER')
mysql_password = os.getenv('MYSQL_PASSWORD')

# Creating MYSQL connection
try:
    mydb_connection = mysql.connector.connect(
    host="localhost",
    user=mysql_user,
    password=mysql_password)
    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        # Create database
        database_name = "scooter_trips"
        mycursor.execute(f"CREATE DATABASE {database_name}")
except Error:
    print("Error while connecting to MySQL", Error)
"#;
const L3: &str = r#"# data = pd.read_csv('outputs/Motorized-Foot-Scooter-Trips-2020.csv')
try:
    mydb_connection = mysql.connector.connect(
    host="localhost",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT database();")
        record = mycursor.fetchone()
        print("You're connected to database: ", record)
        table_name = "Motorized_Foot_Scooter_Trips_2020"
        mycursor.execute("CREATE TABLE Motorized_Foot_Scooter_Trips_2020 (TripID VARCHAR(255), TripDuration VARCHAR(255), TripDistance VARCHAR(255), StartTime VARCHAR(255), EndTime VARCHAR(255), StartCenterlineID VARCHAR(255), StartCenterlineType VARCHAR(255), EndCenterlineID VARCHAR(255), EndCenterlineType VARCHAR(255))")
        print(f"{table_name} table created")

except Error:
    print("Error while connecting to MySQL", Error)
"#;
const L4: &str = r#"# Read data from output folder
data = pd.read_csv('outputs/Motorized-Foot-Scooter-Trips-2020.csv')

# Check connection
if mydb_connection.is_connected():
    for index, row in data.iterrows():
        sql = "INSERT INTO scooter_trips.Motorized_Foot_Scooter_Trips_2020 (TripID, TripDuration, TripDistance, StartTime, EndTime, StartCenterlineID, StartCenterlineType, EndCenterlineID, EndCenterlineType) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        mycursor.execute(sql, list(row))
        # the connection is not auto committed by default, so we must commit to save our changes
    mydb_connection.commit()
"#;

// Section C: JupyterLab in a container, MySQL on the host.
const C1: &str = r#"import pandas as pd
# data url in ArcGIS Hub
data_url ="https://opendata.arcgis.com/api/v3/datasets/033311f71d5a4b98babaa2280b432a43_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
data = pd.read_csv(data_url, index_col=0, nrows=1000)
filled_data = data.fillna(0.0)
filled_data.to_csv("outputs/Motorized-Foot-Scooter-Trips-2021.csv", index=False)
"#;
const C2: &str = r#"# import neccessary libraries
import mysql.connector
from mysql.connector import Error
import os

# Reading enviroment variables
mysql_user = os.environ['MYSQL_USER']
mysql_password = os.environ['MYSQL_PASSWORD']

# Creating MYSQL connection
try:
    mydb_connection = mysql.connector.connect(
    host="host.docker.internal",
    user=mysql_user,
    password=mysql_password)
    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")

except Error:
    print("Error while connecting to MySQL", Error)
"#;
const C3: &str = r#"try:
    mydb_connection = mysql.connector.connect(
    host="host.docker.internal",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT database();")
        record = mycursor.fetchone()
        print("You're connected to database: ", record)
        table_name = "Motorized_Foot_Scooter_Trips_2021"
        mycursor.execute("CREATE TABLE Motorized_Foot_Scooter_Trips_2021 (TripID VARCHAR(255), TripDuration VARCHAR(255), TripDistance VARCHAR(255), StartTime VARCHAR(255), EndTime VARCHAR(255), StartCenterlineID VARCHAR(255), StartCenterlineType VARCHAR(255), EndCenterlineID VARCHAR(255), EndCenterlineType VARCHAR(255))")
        print(f"{table_name} table created")

except Error:
    print("Error while connecting to MySQL", Error)
"#;
const C4: &str = r#"#Read data from output folder
data = pd.read_csv('outputs/Motorized-Foot-Scooter-Trips-2021.csv')

# Check connection
if mydb_connection.is_connected():
    for index, row in data.iterrows():
        sql = "INSERT INTO scooter_trips.Motorized_Foot_Scooter_Trips_2021 (TripID, TripDuration, TripDistance, StartTime, EndTime, StartCenterlineID, StartCenterlineType, EndCenterlineID, EndCenterlineType) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        mycursor.execute(sql, list(row))
        # the connection is not auto committed by default, so we must commit to save our changes
        mydb_connection.commit()
"#;

// Section D: JupyterLab and MySQL in containers on one network (article 4 runs these again).
pub const N1: &str = r#"import pandas as pd
# data url in ArcGIS Hub
data_url ="https://opendata.arcgis.com/api/v3/datasets/aaf4274109f34ffd93ac71267c5b276e_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
data = pd.read_csv(data_url, index_col=0, nrows=1000)
data.to_csv("outputs/Motorized-Foot-Scooter-Trips-2018.csv", index=False)
"#;
pub const N2: &str = r#"# import neccessary libraries
import mysql.connector
from mysql.connector import Error
import os

# Reading enviroment variables
mysql_user = os.getenv('MYSQL_USER')
mysql_password = os.getenv('MYSQL_PASSWORD')

# Creating MYSQL connection
try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password)
    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        # Create database
        database_name = "scooter_trips"
        mycursor.execute(f"CREATE DATABASE {database_name}")
except Error:
    print("Error while connecting to MySQL", Error)
"#;
pub const N3: &str = r#"try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT database();")
        record = mycursor.fetchone()
        print("You're connected to database: ", record)
        table_name = "Motorized_Foot_Scooter_Trips_2018"
        mycursor.execute(f"CREATE TABLE {table_name} (TripID VARCHAR(255), TripDuration VARCHAR(255), TripDistance VARCHAR(255), StartTime VARCHAR(255), EndTime VARCHAR(255), StartCenterlineID VARCHAR(255), EndCenterlineID VARCHAR(255))")
        print(f"{table_name} table created")
        for index, row in data.iterrows():
            sql = f"INSERT INTO scooter_trips.Motorized_Foot_Scooter_Trips_2018 (TripID, TripDuration, TripDistance, StartTime, EndTime, StartCenterlineID, EndCenterlineID) VALUES (%s,%s,%s,%s,%s,%s,%s)"
            mycursor.execute(sql, list(row))
            # the connection is not auto committed by default, so we must commit to save our changes
            mydb_connection.commit()

except Error:
    print("Error while connecting to MySQL", Error)
"#;
pub const N4: &str = r#"try:
    mydb_connection = mysql.connector.connect(
    host="mysql-db",
    user=mysql_user,
    password=mysql_password,
    database="scooter_trips") # Added the created database to the connection

    # Check connection
    if mydb_connection.is_connected():
        print("connection successfully")
        mycursor = mydb_connection.cursor()
        mycursor.execute("SELECT * FROM Motorized_Foot_Scooter_Trips_2018 limit 5")
        myresult = mycursor.fetchall()
        for x in myresult:
            print(x)
except Error:
    print("Error while connecting to MySQL", Error)
"#;

pub const TABLE_2018: &str = "Motorized_Foot_Scooter_Trips_2018";
pub const CLASS_ONLY: &str = "Error while connecting to MySQL <class 'mysql.connector.errors.Error'>";

/// The cells of one sitting as one Python program run in the container: each cell announced by a
/// `# cell NAME` line, the data URLs replaced by the bundled samples, and, in corrected mode, each
/// `except` printing the error it caught.
pub fn program(mode: Mode, cells: &[(&str, &str)]) -> String {
    let mut code = String::new();
    for (name, cell) in cells {
        code.push_str(&format!("print('# cell {name}')\n{cell}\n"));
    }
    for (url, sample) in DATA {
        code = code.replace(url, sample);
    }
    if mode == Mode::Corrected {
        code = code.replace(ERROR_AS_WRITTEN, ERROR_CORRECTED);
    }
    code
}

/// Adds `port=N` where the cells connect to `host` (when the host's MySQL is not on 3306).
fn with_port(code: &str, host: &str, port: u16) -> String {
    if port == 3306 {
        return code.to_string();
    }
    code.replace(&format!("host=\"{host}\","), &format!("host=\"{host}\", port={port},"))
}

/// The rows printed as Python tuples, as their number of fields: `('1', '2')` -> 2.
pub fn tuple_rows(output: &str) -> Vec<usize> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("('") && l.ends_with("')"))
        .map(|l| l.split("', '").count())
        .collect()
}

/// What the sitting printed about connections: (successes, class-only errors, other error lines).
pub fn connection_lines(output: &str) -> (usize, usize, Vec<String>) {
    let ok = output.lines().filter(|l| l.trim() == "connection successfully").count();
    let class_only = output.lines().filter(|l| l.trim() == CLASS_ONLY).count();
    let others = output.lines().filter(|l| l.starts_with("Error while connecting to MySQL") && l.trim() != CLASS_ONLY).map(|l| l.trim().to_string()).collect();
    (ok, class_only, others)
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Session {
    /// Runs a sitting of notebook cells in the Jupyter container, as pressing Run in JupyterLab would.
    pub fn run_cells(&mut self, container: &str, env: &[String], code: &str) -> Result<Ran> {
        let mut all = args(&["exec"]);
        for e in env {
            all.extend(["-e".to_string(), e.clone()]);
        }
        all.extend(args(&[container, "python", "-c", code]));
        self.docker(&all)
    }

    /// `docker run -d ...` of a MySQL server; registered for removal before it exists.
    pub fn run_database(&mut self, server: &Server, name: &str, flags: &[String], password: &str) -> Result<Instant> {
        let mut run = args(&["run", "-d", "--name", name]);
        run.extend(flags.iter().cloned());
        run.extend(args(&["-e", &format!("MYSQL_ROOT_PASSWORD={password}")]));
        run.extend(self.labels());
        run.push(server.image.clone());
        self.made_container(name);
        self.docker_ok(&run)?;
        Ok(Instant::now())
    }

    /// Waits until the database accepts connections, as a reader would before running the cells.
    pub fn wait_database(&mut self, name: &str) -> Result<f64> {
        let step = self.step(format!("Waiting for {name} to accept connections"));
        let waited = db::wait_ready(&self.sh, name, Duration::from_secs(180));
        drop(step);
        match waited {
            Some(secs) => {
                self.say(&format!("   {name} accepts connections ({secs:.1}s of waiting)"));
                Ok(secs)
            }
            None => {
                let log = self.inspect(&["logs", "--tail", "15", name]).unwrap_or_default();
                bail!("{name} did not accept connections within 180s; its log ends: {}", log.replace('\n', " | "))
            }
        }
    }

    /// The Dockerfile of `custom-jupyter-image:mysql-connected` built in the section's project folder
    /// (with its `.env` and `.dockerignore`), under a tag of the section's own; literal mode passes
    /// the credentials as build arguments, as the article does.
    pub fn build_mysql_connected(&mut self, user: &str, password: &str, build_args: bool) -> Result<String> {
        // The project's own image first: it leaves every layer but the last ones cached.
        self.build_series_image("custom-jupyter-image:mysql-connected")?;
        let base = crate::images::base::ensure(&self.sh, crate::images::base::Source::Auto, false, false)?;
        let project = self.project.path().to_path_buf();
        crate::images::series::stage_article_folder(&crate::paths::docker_dir().join("series/mysql-connected.Dockerfile"), &project)?;
        std::fs::write(project.join(".env"), format!("MYSQL_USER={user}\nMYSQL_PASSWORD={password}\n")).context("writing .env")?;
        let tag = self.name("image", "custom-jupyter-image:mysql-connected");
        let mut build = args(&["build", "--force-rm"]);
        if build_args {
            build.extend(args(&["--build-arg", &format!("USER={user}"), "--build-arg", &format!("PASSWORD={password}")]));
        }
        build.extend(args(&["--build-arg", &format!("BASE_IMAGE={base}")]));
        build.extend(crate::engine::image_labels());
        build.extend(args(&["-t", &tag, &project.display().to_string()]));
        self.made_image(&tag);
        let ran = self.docker(&build)?;
        if !ran.ok() {
            bail!("building {tag} failed: {}", crate::engine::last_message(&ran.output));
        }
        Ok(tag)
    }

    /// `docker run -d -t ... --name NAME FLAGS IMAGE` of a Jupyter container, port on loopback.
    pub fn run_jupyter(&mut self, name: &str, flags: &[String], image: &str) -> Result<()> {
        let mut run = args(&["run", "-d", "-t", "-p", "127.0.0.1::8888", "--name", name]);
        run.extend(flags.iter().cloned());
        run.extend(self.labels());
        run.push(image.to_string());
        self.made_container(name);
        self.docker_ok(&run)?;
        Ok(())
    }
}

/// Where the password shows in the image: its config (`docker image inspect`) and history.
fn password_in_image(s: &mut Session, tag: &str, password: &str) -> Result<Vec<&'static str>> {
    s.docker_ok(&args(&["image", "inspect", "--format", "{{json .Config.Env}}", tag]))?;
    let history = s.docker_ok(&args(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag]))?;
    let inspect = s.inspect(&["image", "inspect", tag]).unwrap_or_default();
    let mut found = Vec::new();
    if inspect.contains(password) {
        found.push("docker image inspect");
    }
    if history.contains(password) {
        found.push("docker history");
    }
    Ok(found)
}

/// Checks every image claim of the article's build: `.env` kept out, jovyan-owned /work, credentials.
fn image_claims(s: &mut Session, tag: &str, password: &str) -> Result<()> {
    let mut look = args(&["run", "--rm"]);
    look.extend(s.labels());
    look.extend(args(&[tag, "sh", "-c", "ls -A /work; stat -c '%u:%g %n' /work/computation.ipynb /work/outputs"]));
    let seen = s.docker(&look)?;
    let listing: Vec<&str> = seen.output.lines().filter(|l| !l.contains(' ') && !l.contains("start.sh")).collect();
    s.claim(
        "`.dockerignore` keeps `.env` out of the image: /work has no .env",
        seen.ok() && !listing.contains(&".env") && listing.contains(&"computation.ipynb"),
        true,
        format!("/work holds: {}", listing.join(" ")),
    );
    let owners: Vec<&str> = seen.output.lines().filter(|l| l.split_once(' ').is_some_and(|(o, p)| o.bytes().all(|b| b.is_ascii_digit() || b == b':') && p.starts_with("/work/"))).collect();
    s.claim(
        "COPY --chown=$NB_UID:$NB_GID makes the copied files 1000:100 (jovyan:users)",
        owners.len() == 2 && owners.iter().all(|l| l.starts_with("1000:100 ")),
        true,
        owners.join("; "),
    );
    let found = password_in_image(s, tag, password)?;
    s.claim(
        "the credentials stay out of the image (not in `docker image inspect`, not in `docker history`)",
        found.is_empty(),
        s.mode == Mode::Corrected,
        if found.is_empty() {
            "the password appears in neither; the image's ENV holds MYSQL_USER/MYSQL_PASSWORD=NOT_DEFINED and the container gets them at run time".to_string()
        } else {
            format!("the password passed with --build-arg PASSWORD appears in: {} (ARG -> ENV bakes it into the image)", found.join(", "))
        },
    );
    Ok(())
}

/// The address `--add-host=...:host-gateway` gives containers (the docker0 bridge's, by default).
fn host_gateway(s: &Session, server: &Server) -> Result<String> {
    let mut ask = args(&["run", "--rm", "--add-host=host.docker.internal:host-gateway"]);
    ask.extend(s.labels());
    ask.extend(args(&[&server.image, "getent", "hosts", "host.docker.internal"]));
    let out = crate::engine::docker(&s.sh, &ask).context("asking the engine which address host-gateway stands for")?;
    out.split_whitespace().next().map(String::from).context("the engine gave host.docker.internal no address: is --add-host ...:host-gateway supported (Docker 20.10 or later)?")
}

/// The engine answers host.docker.internal by itself only on Docker Desktop.
fn desktop(s: &Session) -> bool {
    s.inspect(&["info", "--format", "{{.OperatingSystem}}"]).is_some_and(|os| os.contains("Docker Desktop"))
}

fn host_database(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let password = db::new_password();
    s.note("the placeholders EXAMPLE_USERNAME/EXAMPLE_USER and EXAMPLE_PASSWORD become root and a password made for this run");

    // The host's database: a MySQL container publishing its port on the host.
    let gateway = host_gateway(s, &server)?;
    // Choosing a port and publishing it is one step across processes: two walkthroughs at once
    // (parallel tests) would otherwise both see 3306 free and the second would fail to bind it.
    let port_lock = crate::paths::exclusive("walkthrough-host-database-port")?;
    let port = if port_free(&gateway, 3306) && port_free("127.0.0.1", 3306) { 3306 } else { free_port()? };
    let host_db = s.name("container", "host-mysql");
    s.note(&format!(
        "no MySQL is installed on this host: container {host_db} plays the host's database; its 3306 is published on the host at {gateway}:{port} (the docker0 address, which host.docker.internal points to) and 127.0.0.1:{port}, so it is reached exactly as a MySQL installed on the host and listening there would be{}",
        if port == 3306 { "" } else { " (3306 is taken here, so the cells get `port=` added)" }
    ));
    s.run_database(&server, &host_db, &args(&["-p", &format!("{gateway}:{port}:3306"), "-p", &format!("127.0.0.1:{port}:3306")]), &password)?;
    drop(port_lock);
    s.wait_database(&host_db)?;

    // The image (the .env and .dockerignore are part of the folder it is built from).
    let tag = s.build_mysql_connected("root", &password, s.mode == Mode::Literal)?;
    if s.mode == Mode::Corrected {
        s.note("corrected: no --build-arg for the credentials; the container gets them at run time with --env-file .env");
    }

    // Section B, host-side notebook: played by a throwaway container sharing the host's network.
    s.note("the host-side JupyterLab of section B (pip on the host) is played by a throwaway container of the same image on the host's network (`--network host`, so `localhost` is the host); python-dotenv is not in the image, so `--env-file .env` does what load_dotenv() does");
    let host_cells = program(s.mode, &[("L1", L1), ("L2", &L2.replace("from dotenv import load_dotenv\nload_dotenv()\n", "")), ("L3", L3), ("L4", L4)]);
    let mut host_side = args(&["run", "--rm", "--network", "host", "--env-file", &s.project.path().join(".env").display().to_string()]);
    host_side.extend(s.labels());
    host_side.extend(args(&[&tag, "python", "-c", &with_port(&host_cells, "localhost", port)]));
    let ran = s.docker(&host_side)?;
    let rows_2020 = db::count_rows(&s.sh, &host_db, &password, "Motorized_Foot_Scooter_Trips_2020");
    s.claim(
        "on the host, the cells create database scooter_trips and table Motorized_Foot_Scooter_Trips_2020 with the 1,000 rows",
        ran.ok() && rows_2020 == Some(1000),
        true,
        format!("cells exit {}; rows in the host's table: {rows_2020:?}", ran.exit),
    );

    image_claims(s, &tag, &password)?;

    // Section C: the Jupyter container talks to the host's database.
    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let env_file = s.project.path().join(".env").display().to_string();
    let flags = match s.mode {
        Mode::Literal => Vec::new(),
        Mode::Corrected => args(&["--add-host=host.docker.internal:host-gateway", "--env-file", &env_file]),
    };
    s.note("`-it` becomes `-t` and `-p 8888:8888` becomes `-p 127.0.0.1::8888` (no terminal here; a free port on loopback)");
    s.run_jupyter(&jupyter, &flags, &tag)?;
    let resolved = s.docker(&args(&["exec", &jupyter, "getent", "hosts", "host.docker.internal"]))?;
    s.claim(
        "inside the container, host.docker.internal names the host",
        resolved.ok() && resolved.output.contains(&gateway),
        s.mode == Mode::Corrected || desktop(s),
        if resolved.ok() {
            format!("getent: {} (the docker0 gateway is {gateway})", resolved.output.trim())
        } else {
            "getent finds no host.docker.internal: only Docker Desktop defines it; a Linux engine needs --add-host=host.docker.internal:host-gateway".to_string()
        },
    );
    let code = with_port(&program(s.mode, &[("C1", C1), ("C2", C2), ("C3", C3), ("C4", C4)]), "host.docker.internal", port);
    let ran = s.run_cells(&jupyter, &[], &code)?;
    let csv = s.inspect(&["exec", &jupyter, "sh", "-c", "wc -l < outputs/Motorized-Foot-Scooter-Trips-2021.csv"]);
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
        s.mode == Mode::Corrected || desktop(s),
        format!("`connection successfully` printed {connected} time(s); errors: {}", error_summary(class_only, &others, &ran)),
    );
    let tables = db::query(&s.sh, &host_db, &password, "SHOW TABLES FROM scooter_trips").unwrap_or_default().replace('\n', ", ");
    let rows_2021 = db::count_rows(&s.sh, &host_db, &password, "Motorized_Foot_Scooter_Trips_2021");
    s.claim(
        "the 2021 table appears in the host's database next to the 2020 table",
        rows_2021 == Some(1000) && tables.contains("Motorized_Foot_Scooter_Trips_2020"),
        s.mode == Mode::Corrected || desktop(s),
        format!("tables in the host's scooter_trips: {tables}; rows in the 2021 table: {rows_2021:?}"),
    );

    // Step 26: the Jupyter container goes; the host's data stays.
    s.docker_ok(&args(&["stop", &jupyter]))?;
    s.docker_ok(&args(&["rm", &jupyter]))?;
    s.forget(&Resource::Container(jupyter.clone()));
    let after = db::query(&s.sh, &host_db, &password, "SHOW TABLES FROM scooter_trips").unwrap_or_default().replace('\n', ", ");
    s.claim(
        "the host's data survives `docker rm` of the Jupyter container",
        after == tables && !after.is_empty(),
        true,
        format!("tables after the container's removal: {after}"),
    );
    Ok(())
}

fn error_summary(class_only: usize, others: &[String], ran: &Ran) -> String {
    let mut parts = Vec::new();
    if class_only > 0 {
        parts.push(format!("{class_only}x `{CLASS_ONLY}` (the class, not the error)"));
    }
    parts.extend(others.iter().cloned());
    if let Some(line) = ran.output.lines().rev().find(|l| l.contains("Error:") && !l.starts_with("Error while")) {
        parts.push(format!("then {}", line.trim()));
    }
    if parts.is_empty() { "none".to_string() } else { parts.join("; ") }
}

fn database_container(s: &mut Session) -> Result<()> {
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    let password = db::new_password();
    let tag = s.build_mysql_connected("root", &password, s.mode == Mode::Literal)?;

    let network = s.names.network.clone();
    let mut create = args(&["network", "create"]);
    create.extend(s.labels());
    create.push(network.clone());
    s.made_network(&network);
    s.docker_ok(&create)?;
    let listed = s.docker_ok(&args(&["network", "ls", "--filter", &format!("name=^{network}$"), "--format", "{{.Name}} {{.Driver}}"]))?;
    s.claim("`docker network create jupyter-mysql-net` makes a network `docker network ls` lists", listed.lines().any(|l| l == format!("{network} bridge")), true, format!("docker network ls: {listed}"));

    // mysql-db on the network; its name as the notebook knows it stays `mysql-db`.
    let db = s.names.db.clone();
    let mut db_flags = args(&["--network", &network]);
    if db != "mysql-db" {
        db_flags.extend(args(&["--network-alias", "mysql-db"]));
        s.note(&format!("the container is named {db} (mysql-db is taken or this is a test run); `--network-alias mysql-db` keeps the notebook's host name"));
    }
    if s.mode == Mode::Corrected {
        db_flags.extend(args(&["--health-cmd", "mysqladmin --protocol=tcp -h127.0.0.1 ping", "--health-interval", "1s", "--health-timeout", "3s", "--health-retries", "120"]));
        s.note("corrected: mysql-db gets a healthcheck (mysqladmin ping over TCP), and the notebook runs only once it is healthy");
    }
    let started = s.run_database(&server, &db, &db_flags, &password)?;
    let at_once = db::accepts(&s.sh, &db);
    // Times the server's start-up on the side, while the article's steps go on.
    let probe = {
        let (sh, name) = (s.sh.clone(), db.clone());
        std::thread::spawn(move || db::wait_ready(&sh, &name, Duration::from_secs(180)).map(|_| started.elapsed().as_secs_f64()))
    };

    let jupyter = s.name("container", "custom-jupyter-container-mysql");
    let env_file = s.project.path().join(".env").display().to_string();
    let mut flags = args(&["--network", &network]);
    match s.mode {
        Mode::Literal => flags.extend(args(&["-e", "MYSQL_USER=root", "-e", &format!("MYSQL_PASSWORD={password}")])),
        Mode::Corrected => flags.extend(args(&["--env-file", &env_file])),
    }
    s.run_jupyter(&jupyter, &flags, &tag)?;
    s.docker_ok(&args(&["ps", "--filter", &format!("name=^({db}|{jupyter})$")]))?;

    let sitting = program(s.mode, &[("N1", N1), ("N2", N2), ("N3", N3), ("N4", N4)]);
    let ran = match s.mode {
        Mode::Literal => {
            // The article runs the cells without waiting for the server: whether it is ready by then is a race.
            let first = s.run_cells(&jupyter, &[], &sitting)?;
            let secs = started.elapsed().as_secs_f64();
            let (connected, class_only, others) = connection_lines(&first.output);
            if connected == 3 && tuple_rows(&first.output).len() == 5 {
                s.note(&format!("this time the server was ready when the cells connected, {secs:.1}s after `docker run`: the article leaves this race to chance"));
                first
            } else {
                s.note(&format!(
                    "the cells ran {secs:.1}s after `docker run`, before the server was ready: {}; as a reader would, a while later: wait until mysql-db accepts connections, then run the cells again",
                    error_summary(class_only, &others, &first)
                ));
                s.wait_database(&db)?;
                s.run_cells(&jupyter, &[], &sitting)?
            }
        }
        Mode::Corrected => {
            let healthy = wait_healthy(s, &db, Duration::from_secs(180))?;
            s.say(&format!("   {db} is healthy {healthy:.1}s after `docker run`"));
            let ran = s.run_cells(&jupyter, &[], &sitting)?;
            let (connected, _, _) = connection_lines(&ran.output);
            s.claim(
                "once mysql-db is healthy, the cells work at the first try",
                connected == 3 && tuple_rows(&ran.output).len() == 5,
                true,
                format!("run {:.1}s after `docker run ... mysql`, when the healthcheck passed: `connection successfully` {connected} time(s)", started.elapsed().as_secs_f64()),
            );
            ran
        }
    };
    let accepted = probe.join().ok().flatten().map(|t| format!("{t:.1}s")).unwrap_or_else(|| "never, within 180s".into());
    s.claim(
        "the database accepts connections as soon as `docker run ... mysql` returns",
        at_once,
        false,
        format!("{}; it accepted the first TCP connection {accepted} after `docker run` (a first start initialises the data directory with networking off)", if at_once { "it accepted at once" } else { "refused right after `docker run`" }),
    );

    let (connected, class_only, others) = connection_lines(&ran.output);
    s.claim(
        "cell N2 reaches mysql-db by its container name on the user-defined network (`connection successfully`)",
        connected >= 1,
        true,
        format!("`connection successfully` printed {connected} time(s); errors: {}", error_summary(class_only, &others, &ran)),
    );
    s.claim(
        "cell N3 prints `You're connected to database:  ('scooter_trips',)` and creates the 2018 table",
        ran.output.contains("You're connected to database:  ('scooter_trips',)") && ran.output.contains("Motorized_Foot_Scooter_Trips_2018 table created"),
        true,
        ran.output.lines().filter(|l| l.starts_with("You're") || l.ends_with("table created")).collect::<Vec<_>>().join("; "),
    );
    let rows = tuple_rows(&ran.output);
    s.claim("cell N4 reads five rows of 7 strings back", rows == vec![7; 5], true, format!("rows printed: {} with {:?} fields", rows.len(), rows));
    let csv = s.inspect(&["exec", &jupyter, "sh", "-c", "wc -l < /work/outputs/Motorized-Foot-Scooter-Trips-2018.csv"]);
    s.claim("cell N1 writes /work/outputs/Motorized-Foot-Scooter-Trips-2018.csv", csv.as_deref().map(str::trim) == Some("1001"), true, format!("lines with the header: {csv:?}"));

    // `docker ps`: mysql-db's port is not published; the Jupyter container is healthy.
    let published = s.inspect(&["port", &db]).unwrap_or_default();
    let health = wait_health_status(s, &jupyter, Duration::from_secs(30));
    s.docker_ok(&args(&["ps", "--filter", &format!("name=^({db}|{jupyter})$"), "--format", "{{.Names}}\t{{.Status}}\t{{.Ports}}"]))?;
    s.claim(
        "`docker ps`: the Jupyter container is (healthy); mysql-db publishes no port to the host",
        health == "healthy" && published.trim().is_empty(),
        true,
        format!("Jupyter health: {health}; `docker port {db}`: {}", if published.trim().is_empty() { "nothing published" } else { published.trim() }),
    );

    // Errors: the cell's own `except`, with a wrong password.
    let wrong = s.run_cells(&jupyter, &["MYSQL_PASSWORD=not-the-password".to_string()], &program(s.mode, &[("N2", N2)]))?;
    let (_, class_only, others) = connection_lines(&wrong.output);
    s.claim(
        "a failed connection prints why it failed",
        others.iter().any(|l| l.contains("Access denied")),
        s.mode == Mode::Corrected,
        format!("with a wrong password the cell prints: {}", if class_only > 0 { CLASS_ONLY.to_string() } else { others.join("; ") }),
    );

    persistence(s, &server, &db, &db_flags, &jupyter, &password)
}

/// Steps around 36: what survives stop/start, re-creation, and re-creation with `-v mysqldata:/var/lib/mysql`.
fn persistence(s: &mut Session, server: &Server, db: &str, db_flags: &[String], jupyter: &str, password: &str) -> Result<()> {
    let count = |s: &Session| db::count_rows(&s.sh, db, password, TABLE_2018);
    s.docker_ok(&args(&["stop", db]))?;
    s.docker_ok(&args(&["start", db]))?;
    s.wait_database(db)?;
    let kept = count(s);
    let anonymous = anonymous_volume(s, db);
    s.claim(
        "without a volume, mysql-db does not keep the data (even across `docker stop` / `docker start`)",
        kept != Some(1000),
        false,
        format!("after stop/start the 2018 table has {kept:?} rows: the image's VOLUME /var/lib/mysql gave the container the anonymous volume {anonymous}, which stays with it"),
    );

    // Re-created without a volume: a new, empty data directory.
    s.docker_ok(&args(&["stop", db]))?;
    s.docker_ok(&args(&["rm", db]))?;
    s.forget(&Resource::Container(db.to_string()));
    s.made_volume(&anonymous);
    let orphaned = s.inspect(&["volume", "inspect", "--format", "{{.Name}}", &anonymous]).is_some();
    s.claim(
        "`docker rm mysql-db` leaves its anonymous volume (with the data) behind, orphaned",
        orphaned,
        true,
        format!("volume {anonymous} exists after `docker rm`: {orphaned}"),
    );
    s.note("not in the article: mysql-db re-created without a volume, to show what it loses");
    s.run_database(server, db, db_flags, password)?;
    s.wait_database(db)?;
    let fresh = count(s);
    let second = anonymous_volume(s, db);
    s.claim("a re-created mysql-db without a volume has lost the data", fresh.is_none(), true, format!("2018 table in the new container: {}", fresh.map(|n| format!("{n} rows")).unwrap_or("missing (new data directory)".into())));
    s.docker_ok(&args(&["stop", db]))?;
    s.docker_ok(&args(&["rm", db]))?;
    s.forget(&Resource::Container(db.to_string()));
    s.made_volume(&second);

    // Step 36: the named volume.
    let volume = s.name("volume", "mysqldata");
    let mut create = args(&["volume", "create"]);
    create.extend(s.labels());
    create.push(volume.clone());
    s.made_volume(&volume);
    s.docker_ok(&create)?;
    s.note(&format!("the volume {volume} is created first, with the project's labels (`docker run -v` would make it unlabelled)"));
    let mut with_volume = db_flags.to_vec();
    with_volume.extend(args(&["-v", &format!("{volume}:/var/lib/mysql")]));
    s.run_database(server, db, &with_volume, password)?;
    s.wait_database(db)?;
    let empty = count(s);
    s.note(&format!("the new volume starts empty (2018 table: {}), so the article's earlier data is not in it; the walkthrough runs the cells N1-N3 again", empty.map(|n| format!("{n} rows")).unwrap_or("missing".into())));
    let ran = s.run_cells(jupyter, &[], &program(s.mode, &[("N1", N1), ("N2", N2), ("N3", N3)]))?;
    let written = count(s);
    if written != Some(1000) {
        bail!("the cells did not store the rows in the volume-backed mysql-db ({written:?} rows): {}", crate::engine::tail(&ran.output, 3));
    }
    s.docker_ok(&args(&["stop", db]))?;
    s.docker_ok(&args(&["rm", db]))?;
    s.forget(&Resource::Container(db.to_string()));
    s.run_database(server, db, &with_volume, password)?;
    s.wait_database(db)?;
    let survived = count(s);
    s.docker_ok(&args(&["volume", "ls", "--filter", &format!("name=^{volume}$")]))?;
    s.claim(
        "with `-v mysqldata:/var/lib/mysql` the data survives `docker rm` and a new mysql-db",
        survived == Some(1000),
        true,
        format!("rows written: {written:?}; in the re-created mysql-db on volume {volume}: {survived:?}"),
    );
    Ok(())
}

/// The anonymous volume on /var/lib/mysql of a container.
fn anonymous_volume(s: &Session, container: &str) -> String {
    s.inspect(&["container", "inspect", "--format", r#"{{range .Mounts}}{{if eq .Destination "/var/lib/mysql"}}{{.Name}}{{end}}{{end}}"#, container]).unwrap_or_default()
}

/// Polls the container's health until healthy; the seconds it took.
pub fn wait_healthy(s: &Session, container: &str, limit: Duration) -> Result<f64> {
    let started = Instant::now();
    let step = s.step(format!("Waiting for {container} to report healthy"));
    let status = wait_health_status(s, container, limit);
    drop(step);
    if status != "healthy" {
        bail!("{container} is not healthy after {}s (health: {status})", limit.as_secs());
    }
    Ok(started.elapsed().as_secs_f64())
}

fn wait_health_status(s: &Session, container: &str, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        let status = s.inspect(&["inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", container]).unwrap_or_else(|| "gone".into());
        if status == "healthy" || status == "none" || status == "gone" || started.elapsed() > limit {
            return status;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn port_free(ip: &str, port: u16) -> bool {
    std::net::TcpListener::bind((ip, port)).is_ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_the_bundled_samples_and_corrected_ones_print_the_error() {
        let literal = program(Mode::Literal, &[("N1", N1), ("N2", N2)]);
        assert!(!literal.contains("https://"), "{literal}");
        assert!(literal.contains("data_url =\"data/Motorized-Foot-Scooter-Trips-2018.csv\""));
        assert!(literal.contains(ERROR_AS_WRITTEN) && literal.starts_with("print('# cell N1')\n"));
        let corrected = program(Mode::Corrected, &[("L2", L2), ("L3", L3), ("C2", C2), ("C3", C3), ("N3", N3), ("N4", N4)]);
        assert!(!corrected.contains(ERROR_AS_WRITTEN));
        assert_eq!(corrected.matches(ERROR_CORRECTED).count(), 6);
        for cell in [L1, C1, N1] {
            assert!(!program(Mode::Literal, &[("x", cell)]).contains("opendata"), "{cell}");
        }
    }

    #[test]
    fn ports_are_added_only_off_3306() {
        assert_eq!(with_port(C2, "host.docker.internal", 3306), C2);
        let moved = with_port(C3, "host.docker.internal", 13306);
        assert!(moved.contains("host=\"host.docker.internal\", port=13306,"), "{moved}");
    }

    #[test]
    fn printed_rows_and_connection_lines() {
        let out = "# cell N4\nconnection successfully\n('154744', '256', '1108', '2018/07/10 12:00:00+00', '2018/07/10 12:00:00+00', '16914', '16914')\n('a', 'b')\n";
        assert_eq!(tuple_rows(out), vec![7, 2]);
        let errors = format!("{CLASS_ONLY}\nError while connecting to MySQL: 1045 (28000): Access denied for user 'root'\nconnection successfully\n");
        let (ok, class_only, others) = connection_lines(&errors);
        assert_eq!((ok, class_only), (1, 1));
        assert_eq!(others, vec!["Error while connecting to MySQL: 1045 (28000): Access denied for user 'root'".to_string()]);
    }
}
