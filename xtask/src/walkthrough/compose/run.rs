//! Article 4's one section, as corrected: the services started, checked, stopped and removed with
//! the compose tool.

use std::time::{Duration, SystemTime};

use anyhow::{bail, Result};

use super::attached;
use super::attached::Attached;
use super::project::{stage, Project};
use super::{list, Tool, PASSWORD};
use crate::engine::resources::Resource;
use crate::engine::wait;
use crate::walkthrough::cells::{
    connection_lines, section_d, sitting_worked, tuple_rows, TABLE_2018,
};
use crate::walkthrough::database::FirstConnection;
use crate::walkthrough::db::{Readiness, ReadyClock};
use crate::walkthrough::session::{Mode, Session};
use crate::walkthrough::{database, db};

/// The corrected recipe (the literal mode is the article's replay: see `literal.rs`).
pub(super) fn compose(s: &mut Session) -> Result<()> {
    anyhow::ensure!(s.mode == Mode::Corrected, "the compose walkthrough's literal mode is the article's replay (`--literal`), not this section");
    let tool = Tool::find(&s.docker)?;
    let (server_image, base) = prepare(s, &tool)?;
    clean_up(s)?;
    let p = stage(s, tool, &server_image, &base)?;

    // Step 7: `up` attached, in the background as in the article's first terminal; the next
    // steps run as in its second. MySQL's start-up is timed on the side.
    let launched = SystemTime::now();
    let clock = ReadyClock::start(&s.docker, &p.db, 3306, launched, Duration::from_secs(900));
    let up = Attached::start(s, &p.command("up"))?;
    let (up, jupyter_at) = jupyter_runs(s, &p, up, launched)?;
    // The notebook's first connection (article 3's cell N2), as soon as the Jupyter container runs.
    let first = database::first_connection(s, &p.jupyter, launched)?;
    let ready = clock.result();
    claim_up_made_the_project(s, &p, &first, &ready, jupyter_at);
    claim_the_attached_log(s, &p, &up);
    claim_the_work_folder(s, &p)?;

    // Step 9: article 3's cells against the mysql service.
    run_the_cells(s, &p, first.connected)?;
    claim_the_password_kept_out(s, &p);
    // Step 10, the second terminal: `docker ps`.
    claim_docker_ps(s, &p)?;
    // Step 11: down keeps the volume and its data; the attached `up` ends with it.
    down_keeps_the_volume(s, &p, up)?;
    // Step 12: down -v removes the volume too.
    down_v_removes_the_volume(s, &p)?;
    for gone in [
        Resource::Container(p.jupyter.clone()),
        Resource::Container(p.db.clone()),
        Resource::Network(p.network),
        Resource::Volume(p.volume),
    ] {
        s.forget(&gone);
    }
    Ok(())
}

/// The images the project builds from, and the notes on what stands in for the article's.
fn prepare(s: &mut Session, tool: &Tool) -> Result<(String, String)> {
    // The article's root password: a credential of a running server, never shown.
    s.secret(PASSWORD);
    s.note(&format!("Compose is run as `{}`{}", tool.program, if tool.v1 { " (v1 from Debian's packages: no `docker compose` plugin here); v1 names the built image PROJECT_jupyter where v2 says PROJECT-jupyter" } else { " (the v2 plugin)" }));
    let server = crate::images::mysql::ensure(&s.sh)?;
    s.note(&format!("MySQL server: {}", server.describe()));
    super::super::steps::dockerfile_cache(s, "custom-jupyter-image:mysql-connected")?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;
    Ok((server.image, base))
}

/// Step 1: the article's clean-up.
fn clean_up(s: &mut Session) -> Result<()> {
    s.cmd("docker ps -q")?;
    s.note("`docker ps -q` only prints the running containers' IDs: it stops nothing (`docker stop $(docker ps -q)` would)");
    s.skip("docker system prune -a", "it removes every unused image, network, stopped container and the build cache on the whole engine, including what other people and projects own");
    Ok(())
}

fn running(s: &Session, name: &str) -> bool {
    s.docker.container_state(name).is_some_and(|c| c.running)
}

/// Waits for the Jupyter container to run (or `up` to end: then the error says its last lines);
/// the seconds it took.
fn jupyter_runs(
    s: &mut Session,
    p: &Project,
    up: Attached,
    launched: SystemTime,
) -> Result<(Attached, f64)> {
    wait::poll(Duration::from_secs(900), Duration::from_millis(100), || {
        running(s, &p.jupyter) || up.ended()
    });
    let jupyter_at = db::seconds_since(launched);
    if !running(s, &p.jupyter) {
        let last = up.lines().into_iter().rev().take(3).collect::<Vec<_>>();
        up.finish(s, Duration::ZERO);
        bail!(
            "`{} up` ended before {} ran: {}",
            p.tool.program,
            p.jupyter,
            last.join(" | ")
        );
    }
    Ok((up, jupyter_at))
}

/// What `up` made: the first connection as soon as Jupyter runs, the image and both containers,
/// the volume and network.
fn claim_up_made_the_project(
    s: &mut Session,
    p: &Project,
    first: &FirstConnection,
    ready: &Readiness,
    jupyter_at: f64,
) {
    let (db, jupyter, image) = (&p.db, &p.jupyter, &p.image);
    let (volume, network) = (&p.volume, &p.network);
    s.claim(
        "db-ready-for-n2",
        first.connected,
        format!(
            "{jupyter} running by {jupyter_at:.1}s after `up` started; {}; {db} {}",
            first.describe("`up` started"),
            ready.describe()
        ),
    );

    let both = running(s, db) && running(s, jupyter);
    let built = s.docker.image_exists(image);
    s.claim(
        "up-builds-and-starts",
        both && built,
        format!("image {image} built: {built}; containers {db} and {jupyter} running: {both}"),
    );
    let has_volume = s.docker.exists("volume", volume);
    let has_network = s.docker.exists("network", network);
    s.claim(
        "volume-project-prefixed",
        has_volume && has_network,
        format!("volume {volume}: {has_volume}; network {network}: {has_network}"),
    );
}

/// The attached log: each line prefixed by the service's container, the URL among them.
fn claim_the_attached_log(s: &mut Session, p: &Project, up: &Attached) {
    let prefixes = &p.prefixes;
    wait::poll(Duration::from_secs(180), Duration::from_millis(200), || {
        attached::url_line(&up.lines(), prefixes).is_some() || up.ended()
    });
    let lines = up.lines();
    let prefixed = lines
        .iter()
        .filter(|l| {
            attached::split_prefix(l).is_some_and(|(name, _)| prefixes.iter().any(|p| p == name))
        })
        .count();
    let url = attached::url_line(&lines, prefixes);
    s.claim("attached-logs-prefixed",
        url.is_some(),
        format!("{prefixed} of {} line(s) so far prefixed `NAME |` with NAME one of {}; the URL line: {}", lines.len(), prefixes.join(", "), url.map(String::as_str).unwrap_or("none")));
}

/// .dockerignore kept the Dockerfile and compose file out of the image's /work.
fn claim_the_work_folder(s: &mut Session, p: &Project) -> Result<()> {
    let listing = s.cmd(&format!("docker exec {} ls -A /work", p.jupyter))?;
    let files: Vec<&str> = listing.output.lines().map(str::trim).collect();
    s.claim(
        "work-lacks-build-files",
        listing.ok()
            && !files.contains(&"Dockerfile")
            && !files.contains(&"docker-compose.yaml")
            && files.contains(&"computation.ipynb"),
        format!("/work: {}", files.join(" ")),
    );
    Ok(())
}

/// Article 3's cells against the mysql service, once it accepts connections.
fn run_the_cells(s: &mut Session, p: &Project, connected_first: bool) -> Result<()> {
    if !connected_first {
        s.note("as a reader would, a while later: wait until MySQL accepts connections, then run the cells");
        database::wait_ready(s, &p.db)?;
    }
    let ran = database::run_cells(s, &p.jupyter, &[], &section_d(Mode::Corrected))?;
    let (connected, _, others) = connection_lines(&ran.output);
    let rows = tuple_rows(&ran.output);
    s.claim(
        "cells-work",
        sitting_worked(&ran.output),
        format!(
            "`connection successfully` {connected} time(s), {} rows of {:?} fields{}",
            rows.len(),
            rows.first(),
            if others.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", others.join("; "))
            }
        ),
    );
    Ok(())
}

/// Neither the image's environment nor its history holds the root password.
fn claim_the_password_kept_out(s: &mut Session, p: &Project) {
    let image = &p.image;
    let config = s
        .docker
        .probe([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            image,
        ])
        .unwrap_or_default();
    let history = s
        .docker
        .probe(["history", "--no-trunc", "--format", "{{.CreatedBy}}", image])
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
        "password-out-of-image",
        env.is_empty() && steps.is_empty(),
        format!(
            "entries of {image}'s Config.Env holding it: {}; history steps holding it: {}",
            list(&env),
            list(&steps)
        ),
    );
}

/// `docker ps`: Jupyter healthy with 8888 published, MySQL's 3306 not published.
fn claim_docker_ps(s: &mut Session, p: &Project) -> Result<()> {
    database::health_within(s, &p.jupyter, Duration::from_secs(60));
    let rows = database::docker_ps(s, &[&p.jupyter, &p.db])?;
    let (jupyter_row, db_row) = (&rows[0], &rows[1]);
    s.claim(
        "ps-healthy",
        jupyter_row.image == p.image
            && jupyter_row.status.contains("(healthy)")
            && jupyter_row.ports.contains("->8888/tcp")
            && db_row.ports.contains("3306/tcp")
            && !db_row.ports.contains("->"),
        rows.iter()
            .map(|r| r.describe())
            .collect::<Vec<_>>()
            .join("; "),
    );
    Ok(())
}

/// `down` ends the attached `up` and removes containers and network, not the volume: after
/// `up -d` the data is still there.
fn down_keeps_the_volume(s: &mut Session, p: &Project, up: Attached) -> Result<()> {
    let (db, jupyter) = (&p.db, &p.jupyter);
    let (volume, network) = (&p.volume, &p.network);
    let down = s.cmd(&p.command("down"))?;
    up.finish(s, Duration::from_secs(60));
    let containers_gone =
        !s.docker.exists("container", db) && !s.docker.exists("container", jupyter);
    let network_gone = !s.docker.exists("network", network);
    let volume_kept = s.docker.exists("volume", volume);
    s.claim("down-keeps-named-volume",
        down.ok() && containers_gone && network_gone && volume_kept,
        format!("`down` exit {}; containers gone: {containers_gone}; network {network} gone: {network_gone}; volume {volume} kept: {volume_kept}", down.exit));
    s.cmd(&p.command("up -d"))?;
    database::wait_ready(s, db)?;
    let rows_after = db::count_rows(&s.docker, db, PASSWORD, TABLE_2018);
    s.claim(
        "data-survives-down-up",
        rows_after == Some(1000),
        format!("rows in scooter_trips.{TABLE_2018} after down/up: {rows_after:?}"),
    );
    Ok(())
}

/// `down -v` removes the named volume as well.
fn down_v_removes_the_volume(s: &mut Session, p: &Project) -> Result<()> {
    let volume = &p.volume;
    let down_v = s.cmd(&p.command("down -v"))?;
    let volume_gone = !s.docker.exists("volume", volume);
    s.claim(
        "down-v-removes-named-volume",
        down_v.ok() && volume_gone,
        format!(
            "`down -v` exit {}; volume {volume} exists afterwards: {}",
            down_v.exit, !volume_gone
        ),
    );
    Ok(())
}
