//! `cargo xtask hub down` and `hub status`: they act only on what carries the project's label
//! and the hub's name; the users' volumes (their data) and the hub's state volume (the accounts)
//! go only with -v, confirmed.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use xshell::Shell;

use super::{hub_state, hub_url, swarm, Names, HUB_LABEL_KEY};
use crate::engine::resources::list;
use crate::engine::{Docker, MANAGED_KEY};
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct HubDown {
    /// Also remove every user's volume and the hub's state volume (accounts and data are lost):
    /// asks first, unless --yes.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// With -v: do not ask.
    #[arg(long, requires = "volumes")]
    pub yes: bool,
}

#[derive(clap::Args, Debug)]
pub struct HubStatus {}

/// The project's `kind`s (containers, volumes) that the hub `names` made for its users.
fn of_hub(docker: &Docker, kind: &str, names: &Names) -> Result<Vec<String>> {
    let filter = format!("label={HUB_LABEL_KEY}={}", names.hub);
    let format = match kind {
        "container" => "{{.Names}}\t{{.Label \"jupyter-docker-xtask.managed\"}}",
        _ => "{{.Name}}\t{{.Label \"jupyter-docker-xtask.managed\"}}",
    };
    Ok(list(docker, kind, &filter, format)?
        .into_iter()
        .filter_map(|line| {
            let (name, managed) = line.split_once('\t')?;
            (managed == "true" && name != names.hub).then(|| name.to_string())
        })
        .collect())
}

impl HubDown {
    pub fn run(self, sh: &Shell, names: &Names) -> Result<()> {
        let docker = Docker::new(sh);
        docker.require_engine()?;
        let hub = hub_state(&docker, names)?;
        // On a swarm the users' volumes are on the nodes that ran their servers: a job removes them there.
        let on_swarm = swarm::is_manager(&docker);
        let job_image = swarm::users_image(&docker, names);
        let mut volumes = Vec::new();
        if self.volumes {
            if on_swarm && job_image.is_none() {
                bail!("on a swarm, -v removes the users' volumes on every node with the hub's image: start the hub (cargo xtask hub up --swarm{}), then run down -v", super::name_flag(names));
            }
            // On a swarm the job below removes the users' volumes, the manager's among them.
            if !on_swarm {
                volumes = of_hub(&docker, "volume", names)?;
            }
            if docker.label("volume", &names.state, MANAGED_KEY).is_some() {
                volumes.push(names.state.clone());
            }
            if on_swarm {
                volumes.push(format!(
                    "every user volume of the hub {} on every swarm node",
                    names.hub
                ));
            }
            if !volumes.is_empty() && !self.yes && !confirm(&volumes)? {
                bail!("nothing removed: the volumes and the hub stay");
            }
        }
        // The users' servers first: they are on the hub's network, which goes last.
        for service in swarm::services(&docker, names)? {
            docker.output(["service", "rm", &service])?;
            say(format!("removed {service}"));
        }
        let servers = of_hub(&docker, "container", names)?;
        for server in servers.iter().filter(|s| docker.is_owned(s)) {
            docker.output(["rm", "-f", server])?;
            say(format!("removed {server}"));
        }
        if self.volumes {
            if let Some(image) = job_image.filter(|_| on_swarm) {
                for line in swarm::remove_volumes_everywhere(&docker, names, &image)? {
                    say(line);
                }
            }
        }
        if hub.is_some() {
            docker.output(["rm", "-f", &names.hub])?;
            say(format!("removed {}", names.hub));
        }
        remove_network(&docker, &names.network)?;
        for volume in volumes.iter().filter(|v| !v.starts_with("every ")) {
            docker.output(["volume", "rm", volume])?;
            say(format!("removed volume {volume}"));
        }
        if !self.volumes && on_swarm {
            say(format!("kept the hub's state volume {} and every user volume on the swarm's nodes (cargo xtask hub down -v removes them)", names.state));
        } else if !self.volumes {
            let kept = of_hub(&docker, "volume", names)?;
            say(format!(
                "kept the hub's state volume {} and {} user volume(s){} (cargo xtask hub down -v removes them)",
                names.state,
                kept.len(),
                if kept.is_empty() { String::new() } else { format!(": {}", kept.join(", ")) }
            ));
        }
        Ok(())
    }
}

/// Removes the hub's network (if it is the project's) once the removed services' tasks have left
/// it: a removed service's tasks leave a moment later, and a swarm network can still be listed for
/// a moment after `network rm` succeeded, so it is done once the network is gone.
fn remove_network(docker: &Docker, network: &str) -> Result<()> {
    if docker.label("network", network, MANAGED_KEY).is_none() {
        return Ok(());
    }
    let limit = std::time::Duration::from_secs(30);
    let gone = || docker.label("network", network, MANAGED_KEY).is_none();
    let removed = || {
        let _ = docker.probe(["network", "rm", network]);
        gone()
    };
    if crate::engine::wait::poll(limit, std::time::Duration::from_millis(500), removed).is_none() {
        docker.output(["network", "rm", network])?;
    }
    Ok(())
}

/// Asks on the terminal; with no terminal, refuses (pass --yes).
fn confirm(volumes: &[String]) -> Result<bool> {
    let what = volumes.join(", ");
    if !std::io::stdin().is_terminal() {
        bail!("removing the volumes {what} loses every user's data and the accounts: pass --yes to confirm (no terminal to ask on)");
    }
    eprint!("Remove the volumes {what} with every user's data and the accounts? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

impl HubStatus {
    pub fn run(self, sh: &Shell, names: &Names) -> Result<()> {
        let docker = Docker::new(sh);
        docker.require_engine()?;
        match hub_state(&docker, names)? {
            None => say(format!(
                "hub {}: not there (cargo xtask hub up starts it)",
                names.hub
            )),
            Some(state) => {
                say(format!("hub {}: {}", names.hub, state.status));
                if let Some(url) = hub_url(&docker, names).filter(|_| state.running) {
                    say(format!("url: {url}"));
                }
            }
        }
        say(format!("state volume: {}", names.state));
        let mut servers = of_hub(&docker, "container", names)?;
        servers.extend(swarm::services(&docker, names)?);
        say(format!("servers running: {}", servers.join(", ")));
        let volumes = of_hub(&docker, "volume", names)?;
        say(format!("user volumes: {}", volumes.join(", ")));
        Ok(())
    }
}
