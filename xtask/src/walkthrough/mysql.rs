//! Article 3, "Advanced Jupyter Data Persistence with MySQL and Docker" (persist-jupyter-data-mysql-docker).
//! Its errata, which the corrected mode fixes: nothing waits for the database to accept connections
//! before the notebook connects; the credentials are baked into the image (build args -> ENV); every
//! cell prints the exception class instead of the error; and on a Linux engine `host.docker.internal`
//! needs `--add-host=host.docker.internal:host-gateway`, and the host's MySQL must listen on the
//! bridge's gateway and let the user in from the bridge's subnet (a host install listens on
//! 127.0.0.1 and knows the user @localhost only).
//! The notebook's cells (data/mysql/cells.md) run inside the Jupyter container (`docker exec ... python -c`),
//! on the bundled synthetic samples instead of the unreachable ArcGIS Hub URLs. `host_database.rs`
//! plays sections B and C (the host's database); `database_container.rs` plays section D.

mod database_container;
mod host_database;
mod literal;

use anyhow::Result;

use super::session::Session;
use super::Section;
use crate::engine::RunSpec;

pub const SECTIONS: &[Section] = &[
    Section {
        name: "Jupyter container and the host's database",
        run: host_database::run,
    },
    Section {
        name: "Database container, network and volume",
        run: database_container::run,
    },
];

/// What the image shows of the credentials: the MYSQL_ entries of its config's environment
/// (`docker image inspect`) and the history steps that carry the password.
struct InImage {
    env: Vec<String>,
    history: Vec<String>,
}

fn credentials_in_image(s: &mut Session, tag: &str, password: &str) -> Result<InImage> {
    let env = s.cmd_ok(&format!(
        "docker image inspect --format '{{{{json .Config.Env}}}}' {tag}"
    ))?;
    let history = s.cmd_ok(&format!(
        "docker history --no-trunc --format '{{{{.CreatedBy}}}}' {tag}"
    ))?;
    let env = serde_json::from_str::<Vec<String>>(&env)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.starts_with("MYSQL_"))
        .collect();
    let history = history
        .lines()
        .filter(|l| l.contains(password))
        .map(|l| l.trim().to_string())
        .collect();
    Ok(InImage { env, history })
}

/// Checks every image claim of the article's build: `.env` kept out, jovyan-owned /work, credentials.
fn image_claims(s: &mut Session, tag: &str, password: &str) -> Result<()> {
    let look = RunSpec::new(tag).rm().command(&[
        "sh",
        "-c",
        "ls -A /work; stat -c '%u:%g %n' /work/computation.ipynb /work/outputs",
    ]);
    let seen = s.run(&look)?;
    let listing: Vec<&str> = seen
        .output
        .lines()
        .filter(|l| !l.contains(' ') && !l.contains("start.sh"))
        .collect();
    s.claim(
        "dockerignore-keeps-env-out",
        seen.ok() && !listing.contains(&".env") && listing.contains(&"computation.ipynb"),
        format!("/work holds: {}", listing.join(" ")),
    );
    let owners: Vec<&str> = seen
        .output
        .lines()
        .filter(|l| {
            l.split_once(' ').is_some_and(|(o, p)| {
                o.bytes().all(|b| b.is_ascii_digit() || b == b':') && p.starts_with("/work/")
            })
        })
        .collect();
    s.claim(
        "copy-chown",
        owners.len() == 2 && owners.iter().all(|l| l.starts_with("1000:100 ")),
        owners.join("; "),
    );
    let seen = credentials_in_image(s, tag, password)?;
    let in_config = seen.env.iter().any(|e| e.contains(password));
    s.claim(
        "credentials-out-of-image",
        !in_config && seen.history.is_empty(),
        // Redacted where the password shows: `MYSQL_PASSWORD=<redacted>`.
        format!(
            "the image's Config.Env has {}; {} history step(s) carry the password{}",
            seen.env.join(" "),
            seen.history.len(),
            seen.history
                .first()
                .map(|l| format!(", e.g. {l}"))
                .unwrap_or_default()
        ),
    );
    Ok(())
}

/// The claims of the literal mode, at the steps of the article they follow (`mysql/literal.rs`).
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;
