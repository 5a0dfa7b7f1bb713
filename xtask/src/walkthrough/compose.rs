//! Article 4, "Simplify Multi-Container Orchestration with Docker Compose"
//! (multi-container-orchestration-docker-compose). Its errata, which the corrected mode fixes: a bare
//! `depends_on` only orders the start, so the notebook may connect before MySQL accepts connections
//! (corrected: a healthcheck and `condition: service_healthy`); the root password travels as a build
//! argument into the image (corrected: run-time environment from `.env`, kept out of the image).
//! Its `docker system prune -a` is never run.

use std::time::Instant;

use anyhow::{bail, Result};

use super::db;
use super::mysql::{connection_lines, program, tuple_rows, N1, N2, N3, N4, TABLE_2018};
use super::session::{Mode, Session};
use super::{Article, Section};
use crate::engine::resources::Resource;

pub const ARTICLE: Article = Article {
    slug: "multi-container-orchestration-docker-compose",
    short: "compose",
    title: "Simplify Multi-Container Orchestration with Docker Compose",
    sections: &[Section { name: "Docker Compose", run: compose }],
};

/// The article's root password (its compose file sets it in the clear).
const PASSWORD: &str = "my-secret-pw";

/// What runs Compose here: the v2 plugin where present, else Debian's docker-compose v1.
pub struct Tool {
    pub program: &'static str,
    pub prefix: Vec<String>,
    pub v1: bool,
}

impl Tool {
    pub fn find(sh: &xshell::Shell) -> Result<Tool> {
        if crate::engine::probe(sh, ["compose", "version"]).is_some() {
            return Ok(Tool { program: "docker", prefix: vec!["compose".into()], v1: false });
        }
        if duct::cmd!("docker-compose", "version").stdout_null().stderr_null().unchecked().run().is_ok_and(|o| o.status.success()) {
            return Ok(Tool { program: "docker-compose", prefix: vec![], v1: true });
        }
        bail!("neither `docker compose` nor `docker-compose` is installed: install one (Debian: `apt-get install docker-compose`)")
    }

    pub fn shown(&self) -> String {
        std::iter::once(self.program.to_string()).chain(self.prefix.iter().cloned()).collect::<Vec<_>>().join(" ")
    }

    /// The image Compose builds for a service: `PROJECT_SERVICE` (v1) or `PROJECT-SERVICE` (v2).
    pub fn image_name(&self, project: &str, service: &str) -> String {
        format!("{project}{}{service}", if self.v1 { "_" } else { "-" })
    }
}

/// Everything the compose file needs to know.
pub struct Spec<'a> {
    pub mode: Mode,
    pub mysql_image: &'a str,
    pub base_image: &'a str,
    pub db: &'a str,
    pub jupyter: &'a str,
    pub labels: &'a [String],
    pub image_labels: &'a [String],
}

/// `--label k=v --label ...` -> YAML mapping lines at `indent`.
fn label_lines(labels: &[String], indent: &str) -> String {
    labels
        .iter()
        .filter(|l| *l != "--label")
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| format!("{indent}{k}: \"{v}\"\n"))
        .collect()
}

/// The article's docker-compose.yaml, with the project's labels, the locally available images, the
/// Jupyter port on loopback and, in corrected mode, a healthcheck and run-time credentials.
pub fn compose_file(spec: &Spec) -> String {
    let corrected = spec.mode == Mode::Corrected;
    let mut y = String::from("version: '3.8'\nservices:\n  mysql:\n");
    y += &format!("    image: '{}'\n    container_name: '{}'\n", spec.mysql_image, spec.db);
    y += "    volumes:\n      - mysql-data:/var/lib/mysql\n    environment:\n";
    y += if corrected { "      MYSQL_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD}\n" } else { "      MYSQL_ROOT_PASSWORD: my-secret-pw\n" };
    if corrected {
        y += "    healthcheck:\n      test: [\"CMD\", \"mysqladmin\", \"--protocol=tcp\", \"-h127.0.0.1\", \"ping\"]\n      interval: 1s\n      timeout: 3s\n      retries: 120\n";
    }
    if spec.db != "mysql-db" {
        y += "    networks:\n      default:\n        aliases:\n          - mysql-db\n";
    }
    y += &format!("    labels:\n{}", label_lines(spec.labels, "      "));
    y += "  jupyter:\n    build:\n      context: .\n      # Looks for a Dockerfile in the current directory to build the image\n      args:\n";
    y += &format!("        BASE_IMAGE: '{}'\n", spec.base_image);
    if !corrected {
        y += "        # Adding image build time arguments\n        USER: root\n        PASSWORD: my-secret-pw\n";
    }
    y += &format!("      labels:\n{}", label_lines(spec.image_labels, "        "));
    y += &format!("    container_name: '{}'\n    ports:\n      - '127.0.0.1::8888'\n", spec.jupyter);
    if corrected {
        y += "    environment:\n      MYSQL_USER: root\n      MYSQL_PASSWORD: ${MYSQL_ROOT_PASSWORD}\n";
    }
    y += "    # Enabling iterative mode\n    stdin_open: true\n    tty: true\n    depends_on:\n";
    y += if corrected { "      mysql:\n        condition: service_healthy\n" } else { "      - mysql\n" };
    y += &format!("    labels:\n{}", label_lines(spec.labels, "      "));
    y += "volumes:\n  # Specify the named volume\n  mysql-data:\n";
    y += &format!("    labels:\n{}", label_lines(spec.labels, "      "));
    y += &format!("networks:\n  default:\n    labels:\n{}", label_lines(spec.labels, "      "));
    y
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The project name: the article's folder `jupyter`, suffixed like the other names, and again
/// when its network, volume or image exist already (someone's own `jupyter` project: never reused,
/// so the walkthrough removes only what it made).
fn project_name(s: &Session, tool: &Tool) -> String {
    let base = format!("jupyter{}", s.names.suffix).to_lowercase();
    let taken = |p: &str| {
        s.inspect(&["network", "inspect", &format!("{p}_default")]).is_some()
            || s.inspect(&["volume", "inspect", &format!("{p}_mysql-data")]).is_some()
            || crate::engine::image_exists(&s.sh, &tool.image_name(p, "jupyter"))
    };
    if taken(&base) { format!("{base}-wt{}", std::process::id()) } else { base }
}

fn compose(s: &mut Session) -> Result<()> {
    let tool = Tool::find(&s.sh)?;
    s.note(&format!("Compose is run as `{}`{}", tool.shown(), if tool.v1 { " (v1 from Debian's packages: no `docker compose` plugin here); v1 names the built image PROJECT_jupyter where v2 says PROJECT-jupyter" } else { " (the v2 plugin)" }));
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    s.build_series_image("custom-jupyter-image:mysql-connected")?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;

    // Step 1: the article's clean-up.
    s.docker(&args(&["ps", "-q"]))?;
    s.note("`docker ps -q` only prints the running containers' IDs: it stops nothing (`docker stop $(docker ps -q)` would)");
    s.skip("docker system prune -a", "it removes every unused image, network, stopped container and the build cache on the whole engine, including what other people and projects own");

    // Steps 2-6: the project folder.
    let dir = s.project.path().to_path_buf();
    crate::images::series::stage_article_folder(&crate::paths::docker_dir().join("series/mysql-connected.Dockerfile"), &dir)?;
    let ignore = if s.mode == Mode::Corrected { "Dockerfile\ndocker-compose.yaml\n.env\n" } else { "Dockerfile\ndocker-compose.yaml\n" };
    std::fs::write(dir.join(".dockerignore"), ignore)?;
    if s.mode == Mode::Corrected {
        std::fs::write(dir.join(".env"), format!("MYSQL_ROOT_PASSWORD={PASSWORD}\n"))?;
        s.note("corrected: the password lives in .env (read by Compose, kept out of the image by .dockerignore); the Jupyter service gets it at run time, not as a build argument; mysql has a healthcheck and jupyter waits for `service_healthy`");
    }
    let jupyter = s.name("container", "custom-jupyter-image");
    let db = s.names.db.clone();
    let labels = s.labels();
    let image_labels = crate::engine::image_labels();
    let file = compose_file(&Spec { mode: s.mode, mysql_image: &server.image, base_image: &base, db: &db, jupyter: &jupyter, labels: &labels, image_labels: &image_labels });
    std::fs::write(dir.join("docker-compose.yaml"), &file)?;
    s.say(&format!("$ cat docker-compose.yaml\n{file}"));
    s.note("departures from the article's compose file: the locally available images (MySQL server as above, the notebook base as BASE_IMAGE), the project's labels on containers, volume, network and image, the port on 127.0.0.1 with a free host port, and `mysql-db` as a network alias when the container name is suffixed");

    let project = project_name(s, &tool);
    let image = tool.image_name(&project, "jupyter");
    let volume = format!("{project}_mysql-data");
    let network = format!("{project}_default");
    s.record_name("jupyter", &project);
    s.record_name("jupyter-jupyter", &image);
    // Registered before they exist, newest removed first: containers, then network and volume, then the image.
    s.made_image(&image);
    s.made_volume(&volume);
    s.made_network(&network);
    s.made_container(&db);
    s.made_container(&jupyter);
    let compose_args = |more: &[&str]| {
        let mut all = tool.prefix.clone();
        all.extend(args(&["-p", &project, "-f", &dir.join("docker-compose.yaml").display().to_string()]));
        all.extend(args(more));
        all
    };

    // Step 7: up.
    let started = Instant::now();
    let up = s.command(tool.program, &compose_args(&["up", "-d"]))?;
    if !up.ok() {
        bail!("`{} up -d` failed (exit {}): {}", tool.shown(), up.exit, crate::engine::last_message(&up.output));
    }
    let up_secs = started.elapsed().as_secs_f64();
    let at_once = db::accepts(&s.sh, &db);
    let running = |s: &Session, name: &str| crate::engine::container_state(&s.sh, name).is_some_and(|c| c.running);
    let both = running(s, &db) && running(s, &jupyter);
    let built = crate::engine::image_exists(&s.sh, &image);
    s.claim(
        "`up` builds the Jupyter image and starts both containers",
        both && built,
        true,
        format!("image {image} built: {built}; containers {db} and {jupyter} running: {both}; `up -d` took {up_secs:.1}s"),
    );
    let has_volume = s.inspect(&["volume", "inspect", &volume]).is_some();
    let has_network = s.inspect(&["network", "inspect", &network]).is_some();
    s.claim(
        "Compose creates the named volume mysql-data under a project-prefixed name, and a default network",
        has_volume && has_network,
        true,
        format!("volume {volume}: {has_volume}; network {network}: {has_network}"),
    );
    s.claim(
        "MySQL accepts connections when `up` returns",
        at_once,
        s.mode == Mode::Corrected,
        if at_once { "it answered at once: `up` waited for the healthcheck before starting jupyter".into() } else { format!("refused right after `up` ({up_secs:.1}s): a bare depends_on only orders the start, MySQL is still initialising") },
    );

    let listing = s.docker(&args(&["exec", &jupyter, "ls", "-A", "/work"]))?;
    let files: Vec<&str> = listing.output.lines().map(str::trim).collect();
    s.claim(
        "/work in the Jupyter container lacks Dockerfile and docker-compose.yaml (.dockerignore)",
        listing.ok() && !files.contains(&"Dockerfile") && !files.contains(&"docker-compose.yaml") && files.contains(&"computation.ipynb"),
        true,
        format!("/work: {} (the .dockerignore itself is copied in)", files.join(" ")),
    );

    // Step 9: article 3's cells against the mysql service.
    let sitting = program(s.mode, &[("N1", N1), ("N2", N2), ("N3", N3), ("N4", N4)]);
    let mut ran = s.run_cells(&jupyter, &[], &sitting)?;
    let (connected, _, _) = connection_lines(&ran.output);
    if connected != 3 || tuple_rows(&ran.output).len() != 5 {
        if s.mode == Mode::Corrected {
            bail!("the cells failed although mysql was healthy: {}", crate::engine::tail(&ran.output, 4));
        }
        s.note(&format!("the cells ran {:.1}s after `up`, before MySQL was ready; as a reader would, a while later: wait, then run them again", started.elapsed().as_secs_f64() - up_secs));
        s.wait_database(&db)?;
        ran = s.run_cells(&jupyter, &[], &sitting)?;
    }
    let (connected, _, others) = connection_lines(&ran.output);
    let rows = tuple_rows(&ran.output);
    s.claim(
        "the notebook's cells (article 3) work against the mysql service, with the credentials the image or the environment gives",
        connected == 3 && rows == vec![7; 5],
        true,
        format!("`connection successfully` {connected} time(s), {} rows of {:?} fields{}", rows.len(), rows.first(), if others.is_empty() { String::new() } else { format!("; errors: {}", others.join("; ")) }),
    );
    let config = s.inspect(&["image", "inspect", &image]).unwrap_or_default();
    let history = s.inspect(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", &image]).unwrap_or_default();
    let baked: Vec<&str> = [("docker image inspect", &config), ("docker history", &history)].iter().filter(|(_, t)| t.contains(PASSWORD)).map(|(n, _)| *n).collect();
    s.claim(
        "the root password stays out of the Jupyter image",
        baked.is_empty(),
        s.mode == Mode::Corrected,
        if baked.is_empty() { format!("{PASSWORD} is in neither `docker image inspect` nor `docker history` of {image}") } else { format!("{PASSWORD} (a build argument) is in: {}", baked.join(", ")) },
    );

    // Step 11: down keeps the volume and its data.
    let down = s.command(tool.program, &compose_args(&["down"]))?;
    let containers_gone = s.inspect(&["container", "inspect", &db]).is_none() && s.inspect(&["container", "inspect", &jupyter]).is_none();
    let network_gone = s.inspect(&["network", "inspect", &network]).is_none();
    let volume_kept = s.inspect(&["volume", "inspect", &volume]).is_some();
    s.claim(
        "`down` removes the containers and the network but keeps the named volume",
        down.ok() && containers_gone && network_gone && volume_kept,
        true,
        format!("containers gone: {containers_gone}; network {network} gone: {network_gone}; volume {volume} kept: {volume_kept}"),
    );
    s.command(tool.program, &compose_args(&["up", "-d"]))?;
    s.wait_database(&db)?;
    let rows_after = db::count_rows(&s.sh, &db, PASSWORD, TABLE_2018);
    s.claim(
        "after `down` and `up` again, the data is still in the volume",
        rows_after == Some(1000),
        true,
        format!("rows in scooter_trips.{TABLE_2018} after down/up: {rows_after:?}"),
    );

    // Step 12: down -v removes the volume too.
    let down_v = s.command(tool.program, &compose_args(&["down", "-v"]))?;
    let volume_gone = s.inspect(&["volume", "inspect", &volume]).is_none();
    s.claim("`down -v` removes the named volume as well", down_v.ok() && volume_gone, true, format!("volume {volume} exists afterwards: {}", !volume_gone));
    for gone in [Resource::Container(jupyter.clone()), Resource::Container(db.clone()), Resource::Network(network), Resource::Volume(volume)] {
        s.forget(&gone);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Mode, db: &'static str) -> String {
        let labels = vec!["--label".to_string(), "jupyter-docker-xtask.managed=true".to_string(), "--label".to_string(), "jupyter-docker-xtask.owner=xtask".to_string()];
        let image_labels = vec!["--label".to_string(), "jupyter-docker-xtask.managed=true".to_string()];
        compose_file(&Spec { mode, mysql_image: "mysql:8.4", base_image: "base:1", db, jupyter: "custom-jupyter-image", labels: &labels, image_labels: &image_labels })
    }

    #[test]
    fn literal_file_is_the_articles_with_labels() {
        let y = spec(Mode::Literal, "mysql-db");
        for line in ["version: '3.8'", "      - mysql-data:/var/lib/mysql", "      MYSQL_ROOT_PASSWORD: my-secret-pw", "        USER: root", "        PASSWORD: my-secret-pw", "      - mysql", "    stdin_open: true", "  mysql-data:"] {
            assert!(y.lines().any(|l| l == line), "missing {line:?} in\n{y}");
        }
        assert!(!y.contains("healthcheck") && !y.contains("aliases"));
        assert_eq!(y.matches("jupyter-docker-xtask.owner: \"xtask\"").count(), 4, "{y}");
        assert_eq!(y.matches("jupyter-docker-xtask.managed: \"true\"").count(), 5, "{y}");
    }

    #[test]
    fn corrected_file_waits_and_bakes_nothing() {
        let y = spec(Mode::Corrected, "mysql-db-suite-1-p2");
        assert!(y.contains("condition: service_healthy") && y.contains("healthcheck:"));
        assert!(!y.contains("my-secret-pw") && !y.contains("PASSWORD: my"));
        assert!(y.contains("          - mysql-db\n"), "alias for a suffixed name:\n{y}");
    }

    #[test]
    fn image_names_per_compose_version() {
        let v1 = Tool { program: "docker-compose", prefix: vec![], v1: true };
        let v2 = Tool { program: "docker", prefix: vec!["compose".into()], v1: false };
        assert_eq!(v1.image_name("jupyter", "jupyter"), "jupyter_jupyter");
        assert_eq!(v2.image_name("jupyter", "jupyter"), "jupyter-jupyter");
        assert_eq!(v2.shown(), "docker compose");
    }
}
