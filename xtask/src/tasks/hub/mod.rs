//! `cargo xtask hub`: JupyterHub for a team on one engine. The hub (with its proxy) in one
//! container, its state (database, cookie secret) on a named volume of its own, the proxy on
//! 127.0.0.1; each user's server a container of the project's image on the hub's own network, with
//! that user's named volume at the outputs path (docker/hub/jupyterhub_config.py says the rest).

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, Docker};

mod down;
mod swarm;
mod up;
mod users;

/// The label the hub puts on each user's container and volume: the hub's name.
pub const HUB_LABEL_KEY: &str = "jupyter-docker-xtask.hub";
/// Where the hub's state volume is mounted in the hub's container.
const STATE_DIR: &str = "/srv/jupyterhub/data";
/// The proxy's port inside the hub's container.
const PROXY_PORT: u16 = 8000;

#[derive(clap::Args, Debug)]
pub struct Hub {
    /// The hub's name: its container; `NAME-state` its state volume, `NAME-net` its network,
    /// `NAME-USER` each user's server.
    #[arg(long, global = true, default_value = "jupyterhub")]
    pub name: String,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Start the hub (building its images when missing) and print its URL.
    Up(up::HubUp),
    /// Stop the hub and every user's server; the volumes stay (unless -v, confirmed).
    Down(down::HubDown),
    /// The hub's state, URL, users' servers and volumes.
    Status(down::HubStatus),
    /// Make an account and print its one-time password, once (only the admin sees it).
    AddUser(users::AddUser),
}

impl Hub {
    pub fn run(self, sh: &Shell) -> Result<()> {
        engine::check_name("--name", &self.name)?;
        let names = Names::of(&self.name);
        match self.action {
            Action::Up(task) => task.run(sh, &names),
            Action::Down(task) => task.run(sh, &names),
            Action::Status(task) => task.run(sh, &names),
            Action::AddUser(task) => task.run(sh, &names),
        }
    }
}

/// The names of what one hub is made of.
#[derive(Debug, Clone)]
pub struct Names {
    pub hub: String,
    pub state: String,
    pub network: String,
}

impl Names {
    pub fn of(hub: &str) -> Names {
        Names {
            hub: hub.to_string(),
            state: format!("{hub}-state"),
            network: format!("{hub}-net"),
        }
    }
}

/// The value of `key` in the hub container's environment (what `hub up` started it with).
fn hub_env(docker: &Docker, names: &Names, key: &str) -> Option<String> {
    let format = "{{range .Config.Env}}{{println .}}{{end}}";
    let env = docker.probe(["inspect", "-f", format, &names.hub])?;
    let prefix = format!("{key}=");
    env.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::to_string)
}

/// The hub's published port on 127.0.0.1 and its URL, when its container runs.
fn hub_url(docker: &Docker, names: &Names) -> Option<String> {
    let (ip, port) = docker.published_port(&names.hub, PROXY_PORT).ok()?;
    let scheme = match hub_env(docker, names, "HUB_TLS").as_deref() == Some("1") {
        true => "https",
        false => "http",
    };
    // Published on every interface (`--public`): the machine's name, which the certificate names.
    let host = match ip.as_str() {
        "127.0.0.1" => "127.0.0.1".to_string(),
        _ => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into()),
    };
    Some(format!("{scheme}://{host}:{port}/hub/"))
}

/// The hub's container state, failing on a container of that name the project did not make.
fn hub_state(docker: &Docker, names: &Names) -> Result<Option<engine::ContainerState>> {
    docker.owned_container_state(&names.hub, "choose another name with --name for the hub")
}

/// Fails unless the hub runs (what `add-user` needs).
fn require_running(docker: &Docker, names: &Names) -> Result<()> {
    match hub_state(docker, names)? {
        Some(state) if state.running => Ok(()),
        _ => bail!(
            "the hub {} is not running: start it with cargo xtask hub up{}",
            names.hub,
            name_flag(names)
        ),
    }
}

/// ` --name X` when the hub is not the default one (for the commands a message suggests).
fn name_flag(names: &Names) -> String {
    if names.hub == "jupyterhub" {
        String::new()
    } else {
        format!(" --name {}", names.hub)
    }
}
