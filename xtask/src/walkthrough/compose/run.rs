//! Article 4's one section, as corrected: the services started, checked, stopped and removed with
//! the compose tool.

use std::time::{Duration, SystemTime};

use anyhow::{bail, Result};

use super::attached;
use super::attached::Attached;
use super::{compose_file, list, stage_project, Spec, Tool, PASSWORD};
use crate::engine::cmdline::shell_quote;
use crate::engine::resources::Resource;
use crate::engine::wait;
use crate::walkthrough::cells::{
    connection_lines, section_d, sitting_worked, tuple_rows, TABLE_2018,
};
use crate::walkthrough::db::ReadyClock;
use crate::walkthrough::session::{Mode, Session};
use crate::walkthrough::{database, db};

/// The project name: the article's folder `jupyter`, suffixed like the other names, and again
/// when its network, volume or image exist already (someone's own `jupyter` project: never reused,
/// so the walkthrough removes only what it made).
pub(super) fn project_name(s: &Session, tool: &Tool) -> String {
    let base = format!("jupyter{}", s.names.suffix).to_lowercase();
    let taken = |p: &str| {
        s.docker.exists("network", &format!("{p}_default"))
            || s.docker.exists("volume", &format!("{p}_mysql-data"))
            || s.docker.image_exists(&tool.image_name(p, "jupyter"))
    };
    if taken(&base) {
        format!("{base}-wt{}", std::process::id())
    } else {
        base
    }
}

/// The corrected recipe (the literal mode is the article's replay: see `literal.rs`).
pub(super) fn compose(s: &mut Session) -> Result<()> {
    anyhow::ensure!(s.mode == Mode::Corrected, "the compose walkthrough's literal mode is the article's replay (`--literal`), not this section");
    let tool = Tool::find(&s.docker)?;
    // The article's root password: a credential of a running server, never shown.
    s.secret(PASSWORD);
    s.note(&format!("Compose is run as `{}`{}", tool.program, if tool.v1 { " (v1 from Debian's packages: no `docker compose` plugin here); v1 names the built image PROJECT_jupyter where v2 says PROJECT-jupyter" } else { " (the v2 plugin)" }));
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    super::super::steps::dockerfile_cache(s, "custom-jupyter-image:mysql-connected")?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;

    // Step 1: the article's clean-up.
    s.cmd("docker ps -q")?;
    s.note("`docker ps -q` only prints the running containers' IDs: it stops nothing (`docker stop $(docker ps -q)` would)");
    s.skip("docker system prune -a", "it removes every unused image, network, stopped container and the build cache on the whole engine, including what other people and projects own");

    // Steps 2-6: the project folder.
    let dir = s.project.path().to_path_buf();
    stage_project(&dir, s.mode)?;
    s.note("corrected: the password lives in .env (read by Compose, kept out of the image by .dockerignore); the Jupyter service gets it at run time, not as a build argument; mysql has a healthcheck and jupyter waits for `service_healthy`");
    let jupyter = s.name("container", "custom-jupyter-image");
    let db = s.names.db.clone();
    let labels = s.docker.resource_labels();
    let image_labels = s.docker.image_labels();
    let file = compose_file(&Spec {
        mode: s.mode,
        mysql_image: &server.image,
        base_image: &base,
        db: &db,
        jupyter: &jupyter,
        labels: &labels,
        image_labels: &image_labels,
    });
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
    let file = shell_quote(&dir.join("docker-compose.yaml").display().to_string());
    let compose = |command: &str| format!("{} -p {project} -f {file} {command}", tool.program);
    // How an attached `up` names the Jupyter service's lines: its container (v1, and the
    // article's output), or `SERVICE-1`/`SERVICE_1` (v2 without container_name).
    let prefixes = [
        jupyter.clone(),
        "jupyter-1".into(),
        "jupyter_1".into(),
        format!("{project}_jupyter_1"),
        format!("{project}-jupyter-1"),
    ];

    // Step 7: `up` attached, in the background as in the article's first terminal; the next
    // steps run as in its second. MySQL's start-up is timed on the side.
    let launched = SystemTime::now();
    let clock = ReadyClock::start(&s.docker, &db, 3306, launched, Duration::from_secs(900));
    let up = Attached::start(s, &compose("up"))?;
    let running =
        |s: &Session, name: &str| s.docker.container_state(name).is_some_and(|c| c.running);
    wait::poll(Duration::from_secs(900), Duration::from_millis(100), || {
        running(s, &jupyter) || up.ended()
    });
    let jupyter_at = db::seconds_since(launched);
    if !running(s, &jupyter) {
        let last = up.lines().into_iter().rev().take(3).collect::<Vec<_>>();
        up.finish(s, Duration::ZERO);
        bail!(
            "`{} up` ended before {jupyter} ran: {}",
            tool.program,
            last.join(" | ")
        );
    }

    // The notebook's first connection (article 3's cell N2), as soon as the Jupyter container runs.
    let first = database::first_connection(s, &jupyter, launched)?;
    let ready = clock.result();
    s.claim(
        "with `depends_on`, MySQL accepts the notebook's connection (cell N2) as soon as the Jupyter container runs",
        first.connected,
        true,
        format!("{jupyter} running by {jupyter_at:.1}s after `up` started; {}; {db} {}", first.describe("`up` started"), ready.describe()),
    );

    let both = running(s, &db) && running(s, &jupyter);
    let built = s.docker.image_exists(&image);
    s.claim(
        "`up` builds the Jupyter image and starts both containers",
        both && built,
        true,
        format!("image {image} built: {built}; containers {db} and {jupyter} running: {both}"),
    );
    let has_volume = s.docker.exists("volume", &volume);
    let has_network = s.docker.exists("network", &network);
    s.claim(
        "Compose creates the named volume mysql-data under a project-prefixed name, and a default network",
        has_volume && has_network,
        true,
        format!("volume {volume}: {has_volume}; network {network}: {has_network}"),
    );

    // The attached log: each line prefixed by the service's container, the URL among them.
    wait::poll(Duration::from_secs(180), Duration::from_millis(200), || {
        attached::url_line(&up.lines(), &prefixes).is_some() || up.ended()
    });
    let lines = up.lines();
    let prefixed = lines
        .iter()
        .filter(|l| {
            attached::split_prefix(l).is_some_and(|(name, _)| prefixes.iter().any(|p| p == name))
        })
        .count();
    let url = attached::url_line(&lines, &prefixes);
    s.claim(
        "attached, `up` prints the services' log lines prefixed by the container's name (`custom-jupyter-image  | ...`), the Jupyter URL among them",
        url.is_some(),
        true,
        format!("{prefixed} of {} line(s) so far prefixed `NAME |` with NAME one of {}; the URL line: {}", lines.len(), prefixes.join(", "), url.map(String::as_str).unwrap_or("none")),
    );

    let listing = s.cmd(&format!("docker exec {jupyter} ls -A /work"))?;
    let files: Vec<&str> = listing.output.lines().map(str::trim).collect();
    s.claim(
        "/work in the Jupyter container lacks Dockerfile and docker-compose.yaml (.dockerignore)",
        listing.ok()
            && !files.contains(&"Dockerfile")
            && !files.contains(&"docker-compose.yaml")
            && files.contains(&"computation.ipynb"),
        true,
        format!("/work: {}", files.join(" ")),
    );

    // Step 9: article 3's cells against the mysql service.
    if !first.connected {
        s.note("as a reader would, a while later: wait until MySQL accepts connections, then run the cells");
        database::wait_ready(s, &db)?;
    }
    let ran = database::run_cells(s, &jupyter, &[], &section_d(Mode::Corrected))?;
    let (connected, _, others) = connection_lines(&ran.output);
    let rows = tuple_rows(&ran.output);
    s.claim(
        "the notebook's cells (article 3) work against the mysql service, with the credentials the image or the environment gives",
        sitting_worked(&ran.output),
        true,
        format!("`connection successfully` {connected} time(s), {} rows of {:?} fields{}", rows.len(), rows.first(), if others.is_empty() { String::new() } else { format!("; errors: {}", others.join("; ")) }),
    );
    let config = s
        .docker
        .probe([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            &image,
        ])
        .unwrap_or_default();
    let history = s
        .docker
        .probe([
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            &image,
        ])
        .unwrap_or_default();
    let env: Vec<String> = serde_json::from_str::<Vec<String>>(&config)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.contains(PASSWORD))
        .collect();
    let steps: Vec<&str> = history
        .lines()
        .filter(|l| l.contains(PASSWORD))
        .map(str::trim)
        .collect();
    s.claim(
        "the root password stays out of the Jupyter image",
        env.is_empty() && steps.is_empty(),
        true,
        format!(
            "entries of {image}'s Config.Env holding it: {}; history steps holding it: {}",
            list(&env),
            list(&steps)
        ),
    );

    // Step 10, the second terminal: `docker ps`.
    database::health_within(s, &jupyter, Duration::from_secs(60));
    let rows = database::docker_ps(s, &[&jupyter, &db])?;
    let (jupyter_row, db_row) = (&rows[0], &rows[1]);
    s.claim(
        "`docker ps` shows the built image's container (healthy) with 8888 published, and mysql-db with 3306/tcp not published",
        jupyter_row.image == image && jupyter_row.status.contains("(healthy)") && jupyter_row.ports.contains("->8888/tcp") && db_row.ports.contains("3306/tcp") && !db_row.ports.contains("->"),
        true,
        rows.iter().map(|r| r.describe()).collect::<Vec<_>>().join("; "),
    );

    // Step 11: down keeps the volume and its data; the attached `up` ends with it.
    let down = s.cmd(&compose("down"))?;
    up.finish(s, Duration::from_secs(60));
    let containers_gone =
        !s.docker.exists("container", &db) && !s.docker.exists("container", &jupyter);
    let network_gone = !s.docker.exists("network", &network);
    let volume_kept = s.docker.exists("volume", &volume);
    s.claim(
        "`down` removes the containers and the network but keeps the named volume",
        down.ok() && containers_gone && network_gone && volume_kept,
        true,
        format!("`down` exit {}; containers gone: {containers_gone}; network {network} gone: {network_gone}; volume {volume} kept: {volume_kept}", down.exit),
    );
    s.cmd(&compose("up -d"))?;
    database::wait_ready(s, &db)?;
    let rows_after = db::count_rows(&s.docker, &db, PASSWORD, TABLE_2018);
    s.claim(
        "after `down` and `up` again, the data is still in the volume",
        rows_after == Some(1000),
        true,
        format!("rows in scooter_trips.{TABLE_2018} after down/up: {rows_after:?}"),
    );

    // Step 12: down -v removes the volume too.
    let down_v = s.cmd(&compose("down -v"))?;
    let volume_gone = !s.docker.exists("volume", &volume);
    s.claim(
        "`down -v` removes the named volume as well",
        down_v.ok() && volume_gone,
        true,
        format!(
            "`down -v` exit {}; volume {volume} exists afterwards: {}",
            down_v.exit, !volume_gone
        ),
    );
    for gone in [
        Resource::Container(jupyter.clone()),
        Resource::Container(db.clone()),
        Resource::Network(network),
        Resource::Volume(volume),
    ] {
        s.forget(&gone);
    }
    Ok(())
}
