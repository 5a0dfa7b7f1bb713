//! The commands around `up`: down, status, url, logs, clean. They only ever act on what carries
//! the project's labels.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, ContainerState, Docker, MANAGED, OWNER, RUN_LABEL_KEY};
use crate::jupyter::server::Server;
use crate::jupyter::{DEFAULT_NAME, OUTPUTS, PORT, START_TIMEOUT_SECS, VOLUME_LABEL_KEY};
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Down {
    /// The container to stop and remove (only one the project made).
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct Status {
    /// The container to describe.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Print one JSON object (container, exists, status, running, health, image, volume, port, address).
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct Url {
    /// The running container whose URL to print.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct Logs {
    /// The container whose log to print.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Keep following the log.
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(clap::Args, Debug)]
pub struct Clean {
    /// Also remove the project's named volumes (their data is lost): asks first, unless --yes.
    #[arg(long)]
    pub volumes: bool,
    /// Also remove the images the project built.
    #[arg(long)]
    pub images: bool,
    /// Do not ask before removing volumes.
    #[arg(long)]
    pub yes: bool,
}

/// The container, if it exists; it must be the project's.
fn owned_container(docker: &Docker, name: &str) -> Result<Option<ContainerState>> {
    engine::check_name("name", name)?;
    docker.require_engine()?;
    let Some(state) = docker.container_state(name) else { return Ok(None) };
    if !docker.is_owned(name) {
        bail!("container {name} was not made by this project (it lacks the label {OWNER}): it is left alone; remove it yourself if you mean to (`docker rm -f {name}`)");
    }
    Ok(Some(state))
}

fn container_volume(docker: &Docker, name: &str) -> String {
    docker.label("container", name, VOLUME_LABEL_KEY).unwrap_or_default()
}

impl Down {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        if owned_container(&docker, &self.name)?.is_none() {
            say(format_args!("no container named {}: nothing to stop", self.name));
            return Ok(());
        }
        let volume = container_volume(&docker, &self.name);
        docker.output(["stop", self.name.as_str()])?;
        docker.output(["rm", self.name.as_str()])?;
        say(format_args!("stopped and removed {}", self.name));
        if !volume.is_empty() {
            say(format_args!("the named volume {volume} and its data are kept (`cargo xtask up` mounts it again)"));
        }
        Ok(())
    }
}

impl Status {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        let Some(state) = owned_container(&docker, &self.name)? else {
            if self.json {
                say(serde_json::json!({"container": self.name, "exists": false}));
            } else {
                say(format_args!("{}: no such container (`cargo xtask up` starts one)", self.name));
            }
            return Ok(());
        };
        let health_format = "{{if .State.Health}}{{.State.Health.Status}}{{end}}";
        let health = docker.probe(["container", "inspect", "--format", health_format, self.name.as_str()]).unwrap_or_default();
        let port = docker.published_port(&self.name, PORT).ok();
        let volume = container_volume(&docker, &self.name);
        if self.json {
            say(serde_json::json!({
                "container": self.name, "exists": true, "status": state.status, "running": state.running,
                "health": health, "image": state.image, "volume": volume,
                "port": port.as_ref().map(|p| p.1), "address": port.as_ref().map(|p| p.0.clone()),
            }));
            return Ok(());
        }
        let health = if health.is_empty() { String::new() } else { format!(" ({health})") };
        say(format_args!("container {}: {}{health}", self.name, state.status));
        say(format_args!("image     {}", state.image));
        if let Some((ip, port)) = port {
            say(format_args!("port      {ip}:{port} -> {PORT}"));
        }
        if !volume.is_empty() {
            say(format_args!("volume    {volume} -> {OUTPUTS}"));
        }
        Ok(())
    }
}

impl Url {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        let Some(state) = owned_container(&docker, &self.name)? else {
            bail!("no container named {}: start one with `cargo xtask up`", self.name);
        };
        if !state.running {
            bail!("{} is {}: start it with `cargo xtask up --name {}`", self.name, state.status, self.name);
        }
        say(Server::new(&docker, &self.name, START_TIMEOUT_SECS).live(&state)?.url);
        Ok(())
    }
}

impl Logs {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        owned_container(&docker, &self.name)?.ok_or_else(|| anyhow::anyhow!("no container named {}", self.name))?;
        let mut args = vec!["logs"];
        if self.follow {
            args.push("-f");
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

impl Clean {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        docker.require_engine()?;
        let owner = format!("label={OWNER}");
        // Under a test run, clean only that run's things: a developer's own volumes stay put.
        let run = docker.run_id().map(|r| format!("label={RUN_LABEL_KEY}={r}"));
        let list = |args: &[&str]| -> Vec<String> {
            let mut args: Vec<&str> = args.to_vec();
            if let Some(run) = &run {
                args.extend(["--filter", run.as_str()]);
            }
            docker.probe(args).map(|s| s.lines().filter(|l| !l.is_empty()).map(String::from).collect()).unwrap_or_default()
        };
        let containers = list(&["ps", "-a", "--filter", &owner, "--format", "{{.Names}}"]);
        let networks = list(&["network", "ls", "--filter", &owner, "--format", "{{.Name}}"]);
        let volumes = if self.volumes { list(&["volume", "ls", "--filter", &owner, "--format", "{{.Name}}"]) } else { vec![] };
        let images = if self.images {
            list(&["image", "ls", "--filter", &format!("label={MANAGED}"), "--format", "{{.Repository}}:{{.Tag}}"])
                .into_iter()
                .filter(|i| !i.contains("<none>"))
                .collect()
        } else {
            vec![]
        };
        if !volumes.is_empty() && !self.yes && !confirm(&volumes)? {
            bail!("volumes kept: nothing was removed (pass --yes to remove them without asking)");
        }
        for name in &containers {
            docker.output(["rm", "-f", "-v", name.as_str()])?;
            say(format_args!("removed container {name}"));
        }
        for name in &networks {
            docker.output(["network", "rm", name.as_str()])?;
            say(format_args!("removed network {name}"));
        }
        for name in &volumes {
            docker.output(["volume", "rm", name.as_str()])?;
            say(format_args!("removed volume {name}"));
        }
        for name in &images {
            match docker.output(["image", "rm", name.as_str()]) {
                Ok(_) => say(format_args!("removed image {name}")),
                Err(e) => say(format_args!("kept image {name}: {e}")),
            }
        }
        if containers.is_empty() && networks.is_empty() && volumes.is_empty() && images.is_empty() {
            say("nothing of the project's to remove");
        }
        if !self.volumes {
            let kept = list(&["volume", "ls", "--filter", &owner, "--format", "{{.Name}}"]);
            if !kept.is_empty() {
                say(format_args!("named volumes kept (remove them with --volumes): {}", kept.join(", ")));
            }
        }
        Ok(())
    }
}

fn confirm(volumes: &[String]) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("removing volumes {} loses their data: pass --yes to confirm (no terminal to ask on)", volumes.join(", "));
    }
    eprint!("Remove the volumes {} and all their data? [y/N] ", volumes.join(", "));
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
