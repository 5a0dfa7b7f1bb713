//! The commands around `up`: down, status, url, logs, clean. They only ever act on what carries
//! the project's labels.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::{self, MANAGED, OWNER};
use crate::tasks::up::{self, Up, DEFAULT_NAME, VOLUME_LABEL_KEY};

#[derive(clap::Args, Debug)]
pub struct Down {
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct Status {
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct Url {
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct Logs {
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

/// The container must exist and be the project's.
fn owned_container(sh: &Shell, name: &str) -> Result<Option<engine::ContainerState>> {
    engine::check_name("name", name)?;
    engine::require_engine(sh)?;
    let Some(state) = engine::container_state(sh, name) else { return Ok(None) };
    if !engine::is_owned(sh, name) {
        bail!("container {name} was not made by this project (it lacks the label {OWNER}): it is left alone; remove it yourself if you mean to (`docker rm -f {name}`)");
    }
    Ok(Some(state))
}

fn container_volume(sh: &Shell, name: &str) -> String {
    engine::container_label(sh, name, VOLUME_LABEL_KEY).unwrap_or_default()
}

impl Down {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let Some(_) = owned_container(sh, &self.name)? else {
            println!("no container named {}: nothing to stop", self.name);
            return Ok(());
        };
        let volume = container_volume(sh, &self.name);
        engine::docker(sh, ["stop", self.name.as_str()])?;
        engine::docker(sh, ["rm", self.name.as_str()])?;
        println!("stopped and removed {}", self.name);
        if !volume.is_empty() {
            println!("the named volume {volume} and its data are kept (`cargo xtask up` mounts it again)");
        }
        Ok(())
    }
}

impl Status {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let state = owned_container(sh, &self.name)?;
        let Some(state) = state else {
            if self.json {
                println!("{}", serde_json::json!({"container": self.name, "exists": false}));
            } else {
                println!("{}: no such container (`cargo xtask up` starts one)", self.name);
            }
            return Ok(());
        };
        let health = engine::probe(sh, ["container", "inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", self.name.as_str()]).unwrap_or_default();
        let port = engine::published_port(sh, &self.name, 8888).ok();
        let volume = container_volume(sh, &self.name);
        if self.json {
            println!(
                "{}",
                serde_json::json!({
                    "container": self.name, "exists": true, "status": state.status, "running": state.running,
                    "health": health, "image": state.image, "volume": volume,
                    "port": port.as_ref().map(|p| p.1), "address": port.as_ref().map(|p| p.0.clone()),
                })
            );
        } else {
            println!("container {}: {}{}", self.name, state.status, if health.is_empty() { String::new() } else { format!(" ({health})") });
            println!("image     {}", state.image);
            if let Some((ip, port)) = port {
                println!("port      {ip}:{port} -> 8888");
            }
            if !volume.is_empty() {
                println!("volume    {volume} -> {}", up::OUTPUTS);
            }
        }
        Ok(())
    }
}

impl Url {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let Some(state) = owned_container(sh, &self.name)? else {
            bail!("no container named {}: start one with `cargo xtask up`", self.name);
        };
        if !state.running {
            bail!("{} is {}: start it with `cargo xtask up --name {}`", self.name, state.status, self.name);
        }
        let up = Up { name: self.name.clone(), ..up_defaults() };
        println!("{}", up.reuse(sh, state)?.url);
        Ok(())
    }
}

fn up_defaults() -> Up {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        up: Up,
    }
    Wrapper::parse_from(["up"]).up
}

impl Logs {
    pub fn run(self, sh: &Shell) -> Result<()> {
        owned_container(sh, &self.name)?.ok_or_else(|| anyhow::anyhow!("no container named {}", self.name))?;
        let mut args = vec!["logs"];
        if self.follow {
            args.push("-f");
        }
        args.push(&self.name);
        // The server logs to stderr; a person reading (or piping) the log wants it on stdout.
        duct::cmd("docker", args).stderr_to_stdout().run()?;
        Ok(())
    }
}

impl Clean {
    pub fn run(self, sh: &Shell) -> Result<()> {
        engine::require_engine(sh)?;
        let owner = format!("label={OWNER}");
        // Under a test run, clean only that run's things: a developer's own volumes stay put.
        let run = std::env::var(engine::RUN_ID_ENV).ok().filter(|r| !r.is_empty()).map(|r| format!("label={}={r}", engine::RUN_LABEL_KEY));
        let list = |args: &[&str]| -> Vec<String> {
            let mut args: Vec<&str> = args.to_vec();
            if let Some(run) = &run {
                args.extend(["--filter", run.as_str()]);
            }
            engine::probe(sh, args).map(|s| s.lines().filter(|l| !l.is_empty()).map(String::from).collect()).unwrap_or_default()
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
            engine::docker(sh, ["rm", "-f", "-v", name.as_str()])?;
            println!("removed container {name}");
        }
        for name in &networks {
            engine::docker(sh, ["network", "rm", name.as_str()])?;
            println!("removed network {name}");
        }
        for name in &volumes {
            engine::docker(sh, ["volume", "rm", name.as_str()])?;
            println!("removed volume {name}");
        }
        for name in &images {
            match engine::docker(sh, ["image", "rm", name.as_str()]) {
                Ok(_) => println!("removed image {name}"),
                Err(e) => println!("kept image {name}: {e}"),
            }
        }
        if containers.is_empty() && networks.is_empty() && volumes.is_empty() && images.is_empty() {
            println!("nothing of the project's to remove");
        }
        if !self.volumes {
            let kept = list(&["volume", "ls", "--filter", &owner, "--format", "{{.Name}}"]);
            if !kept.is_empty() {
                println!("named volumes kept (remove them with --volumes): {}", kept.join(", "));
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
