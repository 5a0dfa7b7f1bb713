//! The commands around `up`: down, status, url, logs, clean. They only ever act on what carries
//! the project's labels, and a named volume goes only when asked for and confirmed.

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::remote::HostArgs;
use crate::engine::resources::list;
use crate::engine::{self, ContainerState, Docker, MANAGED, OWNER};
use crate::jupyter::server::Server;
use crate::jupyter::tunnel;
use crate::jupyter::{DEFAULT_NAME, OUTPUTS, PORT, START_TIMEOUT_SECS, VOLUME_LABEL_KEY};
use crate::progress::say;

mod clean;

pub use clean::Clean;
use clean::{close_tunnel, confirm_loss};

#[derive(clap::Args, Debug)]
pub struct Down {
    /// The container to stop and remove (only one the project made).
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Also remove the container's own named volume (its data is lost), only if the project made
    /// it and no other container uses it: asks first, unless --yes. Nothing is removed if refused.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// With --volumes: do not ask before removing the volume.
    #[arg(long, requires = "volumes")]
    pub yes: bool,
    #[command(flatten)]
    pub target: HostArgs,
}

/// What `status` and `url` take: which container, on which engine, and whether to print JSON.
#[derive(clap::Args, Debug)]
pub struct Inquiry {
    /// The container to ask about (only one the project made).
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Print one JSON object instead of lines (its fields: see the command's help).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: HostArgs,
}

#[derive(clap::Args, Debug)]
pub struct Status {
    #[command(flatten)]
    pub of: Inquiry,
}

#[derive(clap::Args, Debug)]
pub struct Url {
    #[command(flatten)]
    pub of: Inquiry,
}

#[derive(clap::Args, Debug)]
pub struct Logs {
    /// The container whose log to print.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Keep following the log until the container stops (or Ctrl-C).
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines (then, with --follow, the new ones); default: the whole log.
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<u64>,
    #[command(flatten)]
    pub target: HostArgs,
}

/// The container, if it exists; it must be the project's.
fn owned_container(docker: &Docker, name: &str) -> Result<Option<ContainerState>> {
    engine::check_name("name", name)?;
    docker.require_engine()?;
    docker.owned_container_state(
        name,
        &format!("remove it yourself if you mean to (`docker rm -f {name}`)"),
    )
}

fn container_volume(docker: &Docker, name: &str) -> String {
    docker
        .label("container", name, VOLUME_LABEL_KEY)
        .unwrap_or_default()
}

impl Down {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.target.target(sh)?;
        let docker = target.docker;
        if owned_container(&docker, &self.name)?.is_none() {
            say(format_args!(
                "no container named {}: nothing to stop",
                self.name
            ));
            close_tunnel(target.ssh.as_ref(), &self.name)?;
            return Ok(());
        }
        let volume = container_volume(&docker, &self.name);
        // Every refusal comes before the container is touched: a refused `down -v` changes nothing.
        let remove_volume = self.volumes && !volume.is_empty() && docker.exists("volume", &volume);
        if remove_volume {
            self.check_volume_removable(&docker, &volume)?;
            if !self.yes && !confirm_loss(&format!("volume {volume}"), "its")? {
                bail!("volume {volume} kept: nothing was removed (pass --yes to remove it without asking)");
            }
        }
        docker.output(["stop", self.name.as_str()])?;
        docker.output(["rm", self.name.as_str()])?;
        say(format_args!("stopped and removed {}", self.name));
        close_tunnel(target.ssh.as_ref(), &self.name)?;
        if remove_volume {
            docker.output(["volume", "rm", volume.as_str()])?;
            say(format_args!("removed volume {volume} and its data"));
        } else if self.volumes && volume.is_empty() {
            say(format_args!(
                "{} had no named volume of its own: no volume removed",
                self.name
            ));
        } else if self.volumes {
            say(format_args!(
                "its volume {volume} was already gone: no volume removed"
            ));
        } else if !volume.is_empty() {
            say(format_args!("the named volume {volume} and its data are kept (`cargo xtask up` mounts it again; `down -v` removes it)"));
        }
        Ok(())
    }

    /// The volume must carry the project's labels and be used by no container but this one.
    fn check_volume_removable(&self, docker: &Docker, volume: &str) -> Result<()> {
        for label in [OWNER, MANAGED] {
            let (key, value) = label.split_once('=').unwrap_or((label, ""));
            if docker.label("volume", volume, key).as_deref() != Some(value) {
                bail!("volume {volume} was not made by this project (it lacks the label {label}): it is left alone and nothing was removed; run `cargo xtask down` without --volumes");
            }
        }
        let users = list(
            docker,
            "container",
            &format!("volume={volume}"),
            "{{.Names}}",
        )?;
        let others: Vec<&String> = users.iter().filter(|u| **u != self.name).collect();
        if !others.is_empty() {
            let others: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
            bail!("volume {volume} is also used by container(s) {}: it is kept and nothing was removed; remove those first, or run `cargo xtask down` without --volumes", others.join(", "));
        }
        Ok(())
    }
}

impl Status {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.of.target.target(sh)?;
        let docker = target.docker;
        let tunnel = target
            .ssh
            .as_ref()
            .and_then(|ssh| tunnel::find(ssh, &self.of.name));
        let Some(state) = owned_container(&docker, &self.of.name)? else {
            if self.of.json {
                say(serde_json::json!({"container": self.of.name, "exists": false}));
            } else {
                say(format_args!(
                    "{}: no such container (`cargo xtask up` starts one)",
                    self.of.name
                ));
            }
            return Ok(());
        };
        let health_format = "{{if .State.Health}}{{.State.Health.Status}}{{end}}";
        let health = docker
            .probe([
                "container",
                "inspect",
                "--format",
                health_format,
                self.of.name.as_str(),
            ])
            .unwrap_or_default();
        let port = docker.published_port(&self.of.name, PORT).ok();
        let volume = container_volume(&docker, &self.of.name);
        if self.of.json {
            say(serde_json::json!({
                "container": self.of.name, "exists": true, "status": state.status, "running": state.running,
                "health": health, "image": state.image, "volume": volume,
                "port": port.as_ref().map(|p| p.1), "address": port.as_ref().map(|p| p.0.clone()),
                "tunnel": tunnel.as_ref().map(|t| serde_json::json!({"local_port": t.local_port, "pid": t.pid})),
            }));
            return Ok(());
        }
        let health = if health.is_empty() {
            String::new()
        } else {
            format!(" ({health})")
        };
        say(format_args!(
            "container {}: {}{health}",
            self.of.name, state.status
        ));
        say(format_args!("image     {}", state.image));
        if let Some((ip, port)) = port {
            say(format_args!("port      {ip}:{port} -> {PORT}"));
        }
        match (&target.ssh, &tunnel) {
            (Some(ssh), Some(t)) => say(format_args!(
                "tunnel    127.0.0.1:{} here -> {}:{ip_port} (ssh, pid {})",
                t.local_port,
                ssh.shown(),
                t.pid,
                ip_port = t.remote_port
            )),
            (Some(_), None) => say("tunnel    none (`cargo xtask url --host ...` opens one)"),
            _ => {}
        }
        if !volume.is_empty() {
            say(format_args!("volume    {volume} -> {OUTPUTS}"));
        }
        Ok(())
    }
}

impl Url {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.of.target.target(sh)?;
        let docker = target.docker;
        let Some(state) = owned_container(&docker, &self.of.name)? else {
            bail!(
                "no container named {}: start one with `cargo xtask up`",
                self.of.name
            );
        };
        if !state.running {
            bail!(
                "{} is {}: start it with `cargo xtask up --name {}`",
                self.of.name,
                state.status,
                self.of.name
            );
        }
        // On a remote engine, through the recorded tunnel (a new one if it went).
        let forward = |port| match &target.ssh {
            Some(ssh) => Ok(tunnel::ensure(
                ssh,
                &self.of.name,
                tunnel::find(ssh, &self.of.name).map_or(0, |t| t.local_port),
                port,
            )?
            .local_port),
            None => Ok(port),
        };
        let running = Server::new(&docker, &self.of.name, START_TIMEOUT_SECS)
            .through(&forward)
            .live(&state)?;
        if self.of.json {
            say(running.to_json());
        } else {
            say(running.url);
        }
        Ok(())
    }
}

impl Logs {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = self.target.target(sh)?.docker;
        owned_container(&docker, &self.name)?
            .ok_or_else(|| anyhow::anyhow!("no container named {}", self.name))?;
        let tail = self.tail.map(|n| n.to_string());
        let mut args = vec!["logs"];
        if self.follow {
            args.push("-f");
        }
        if let Some(n) = &tail {
            args.extend(["--tail", n.as_str()]);
        }
        args.push(&self.name);
        // The server logs to stderr; a person reading (or piping) the log wants it on stdout.
        let out = docker.stream(args).stderr_to_stdout().unchecked().run()?;
        if !out.status.success() && !ended_by_a_closed_pipe(&out.status) {
            bail!("`docker logs {}` failed with {}", self.name, out.status);
        }
        Ok(())
    }
}

/// `docker logs | head`: the reader went away and SIGPIPE ended docker, which is no failure.
#[cfg(unix)]
fn ended_by_a_closed_pipe(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(13) || status.code() == Some(141)
}

#[cfg(not(unix))]
fn ended_by_a_closed_pipe(_: &std::process::ExitStatus) -> bool {
    false
}
