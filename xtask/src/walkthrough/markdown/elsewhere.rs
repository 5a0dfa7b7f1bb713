//! What an article reaches beyond the local machine, played by stand-ins the transcript names:
//! - Docker Hub, when a step logs in to it (`docker login` naming no server): the stand-in of
//!   `deploy::hub` (a registry at Docker Hub's names, with an account made for the run). The
//!   account's username fills the placeholder the article's table marks `@hub-user`, and the
//!   replay types the username and password at the login's prompts, as the reader does.
//! - A remote host, when a step runs in its console (a "LISH Console" block): a second sandbox
//!   engine (`sandbox::Remote`). The console is a root shell on that host, as LISH is, so those
//!   steps run in a shell inside it, talking to its own engine; it pulls Docker Hub's images from
//!   the same stand-in, anonymously.

use anyhow::Result;

use super::commands::logs_in_to_hub;
use super::job::Place;
use super::steps::{Place as StepPlace, Step, StepKind};
use crate::engine::Docker;
use crate::sandbox::{Remote, Sandbox};
use crate::walkthrough::deploy::hub::{self, Hub};

/// Why a remote console's steps cannot run (no remote host stands in for this replay).
pub const REMOTE_WHY: &str = "no remote host stands in for this replay";

/// The value a table gives a placeholder to be filled with the stand-in Docker Hub's username.
pub const HUB_USER: &str = "@hub-user";

/// The run's account at the stand-in Docker Hub.
pub struct HubAccount {
    pub user: String,
    pub password: String,
    _hub: Hub,
}

/// The remote host: where its console's shells run, its engine, its address.
pub struct RemoteHost {
    pub place: Place,
    pub inner: Docker,
    pub address: String,
    _remote: Remote,
}

#[derive(Default)]
pub struct Elsewhere {
    pub hub: Option<HubAccount>,
    pub remote: Option<RemoteHost>,
    pub notes: Vec<String>,
}

/// The username the run's Docker Hub account has (known before the stand-in starts, so the
/// article's placeholders can be filled first).
pub fn hub_user() -> String {
    hub::username()
}

/// Starts what `steps` reach beyond the local machine (nothing, for most articles). Before any
/// step runs: the Docker Hub stand-in restarts the sandbox's engine to trust its certificate.
pub fn prepare(sandbox: &Sandbox, steps: &[Step], secrets: &mut Vec<String>) -> Result<Elsewhere> {
    let mut elsewhere = Elsewhere::default();
    let commands = || {
        steps.iter().filter_map(|s| match &s.kind {
            StepKind::Command { place, text } => Some((place, text.as_str())),
            _ => None,
        })
    };
    if commands().any(|(_, text)| logs_in_to_hub(text)) {
        let user = hub_user();
        let password = crate::images::mysql::new_password();
        secrets.push(password.clone());
        let step = crate::progress::Step::start(
            "Starting the stand-in Docker Hub (the sandbox's engine restarts to trust its CA)",
        );
        let hub = Hub::start(sandbox, &crate::images::sandbox::tag()?, &user, &password)?;
        step.done("serving");
        elsewhere.notes.push(format!(
            "stand-in for Docker Hub: Debian's docker-registry (distribution 2.8) with htpasswd, at Docker Hub's names {} (container {}, TLS from a CA made for this run that the sandbox's engine trusts), on a copy of the sandbox registry's storage made for this run, which it also serves anonymously and read-only (the remote host's mirror), so what is pushed can be pulled as from Docker Hub; the account {user} is made for this run, and its username and password are typed at `docker login`'s prompts",
            hub::NAMES.join(" and "),
            hub.container
        ));
        elsewhere.hub = Some(HubAccount {
            user,
            password,
            _hub: hub,
        });
    }
    if commands().any(|(place, _)| *place == StepPlace::Remote) {
        let step = crate::progress::Step::start("Starting the remote host's engine");
        let remote = Remote::start(sandbox.host())?;
        step.done("answering");
        // A new host has no images: what an earlier run left in this stand-in's engine goes.
        remote.direct.output(["image", "prune", "-a", "-f"])?;
        if let Some(account) = &elsewhere.hub {
            account._hub.serve_remote(&remote)?;
        }
        // The reader's machine reaches the Linode: on the sandbox's network, at its address there.
        let address = remote.join(&sandbox.network)?;
        let place = Place {
            host: sandbox.host().clone(),
            container: remote.sandbox.container.clone(),
            secrets: std::sync::Arc::new(secrets.clone()),
        };
        elsewhere.notes.push(format!(
            "stand-in for the remote host (its LISH console): the sandbox engine {}, at {} on the sandbox network (LINODE_IP_ADDRESS); the console's steps run in a root shell on it, talking to its own engine, which starts with no images and pulls Docker Hub's from the stand-in",
            remote.sandbox.container, address
        ));
        elsewhere.remote = Some(RemoteHost {
            place,
            inner: remote.direct.clone(),
            address,
            _remote: remote,
        });
    }
    Ok(elsewhere)
}
