//! `cargo xtask clean`: what the project made, removed after the user confirms any loss of data.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use xshell::Shell;

use crate::engine::remote::{HostArgs, SshHost};
use crate::engine::resources::own_images;
use crate::engine::{Docker, OWNER, RUN_LABEL_KEY};
use crate::jupyter::tunnel;
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Clean {
    /// Also remove the project's named volumes (their data is lost): asks first, unless --yes.
    #[arg(long)]
    pub volumes: bool,
    /// Also remove the images the project built itself (never one a person built FROM them, nor
    /// a tag a person added): asks first, unless --yes.
    #[arg(long)]
    pub images: bool,
    /// Do not ask before removing volumes or images.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub target: HostArgs,
}

impl Clean {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let target = self.target.target(sh)?;
        let docker = target.docker;
        docker.require_engine()?;
        let owner = format!("label={OWNER}");
        // Under a test run, clean only that run's things: a developer's own volumes stay put.
        let run = docker
            .run_id()
            .map(|r| format!("label={RUN_LABEL_KEY}={r}"));
        let list = |args: &[&str]| list(&docker, run.as_deref(), args);
        let found = Removable {
            containers: list(&["ps", "-a", "--filter", &owner, "--format", "{{.Names}}"]),
            networks: list(&["network", "ls", "--filter", &owner, "--format", "{{.Name}}"]),
            volumes: if self.volumes {
                list(&["volume", "ls", "--filter", &owner, "--format", "{{.Name}}"])
            } else {
                vec![]
            },
            // Image labels are inherited: only the project's own builds, never a person's child image.
            images: if self.images {
                own_images(&docker, run.as_slice())?
            } else {
                vec![]
            },
        };
        self.confirm_losses(&found)?;
        found.remove(&docker, target.ssh.as_ref())?;
        if !self.volumes {
            let kept = list(&["volume", "ls", "--filter", &owner, "--format", "{{.Name}}"]);
            if !kept.is_empty() {
                say(format_args!(
                    "named volumes kept (remove them with --volumes): {}",
                    kept.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Asks before volumes (their data) or images (a rebuild) go, unless --yes.
    fn confirm_losses(&self, found: &Removable) -> Result<()> {
        let (volumes, images) = (&found.volumes, &found.images);
        if !volumes.is_empty()
            && !self.yes
            && !confirm_loss(&format!("volumes {}", volumes.join(", ")), "their")?
        {
            bail!("volumes kept: nothing was removed (pass --yes to remove them without asking)");
        }
        let shown = images.join(", ");
        if !images.is_empty()
            && !self.yes
            && !confirm(
                &format!("Remove the images {shown}?"),
                &format!("removing the images {shown} means building them again (minutes)"),
            )?
        {
            bail!("images kept: nothing was removed (pass --yes to remove them without asking)");
        }
        Ok(())
    }
}

/// What the project made and this clean removes.
struct Removable {
    containers: Vec<String>,
    networks: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
}

impl Removable {
    /// Removes it all, saying each; containers first (with their tunnels), images last.
    fn remove(&self, docker: &Docker, ssh: Option<&SshHost>) -> Result<()> {
        let Removable {
            containers,
            networks,
            volumes,
            images,
        } = self;
        for name in containers {
            // A paused sandbox is thawed first: removing it frozen can hang the engine.
            let _ = docker.probe(["unpause", name.as_str()]);
            docker.output(["rm", "-f", "-v", name.as_str()])?;
            say(format_args!("removed container {name}"));
            close_tunnel(ssh, name)?;
        }
        for name in networks {
            docker.output(["network", "rm", name.as_str()])?;
            say(format_args!("removed network {name}"));
        }
        for name in volumes {
            docker.output(["volume", "rm", name.as_str()])?;
            say(format_args!("removed volume {name}"));
        }
        for name in images {
            match docker.output(["image", "rm", name.as_str()]) {
                Ok(_) => say(format_args!("removed image {name}")),
                Err(e) => say(format_args!("kept image {name}: {e}")),
            }
        }
        if containers.is_empty() && networks.is_empty() && volumes.is_empty() && images.is_empty() {
            say("nothing of the project's to remove");
        }
        Ok(())
    }
}

/// The names `docker ARGS` lists, one a line, only this test run's under one.
fn list(docker: &Docker, run: Option<&str>, args: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = args.to_vec();
    if let Some(run) = run {
        args.extend(["--filter", run]);
    }
    docker
        .probe(args)
        .map(|s| {
            s.lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Ends the SSH tunnel `up --host` opened for the container, and says so.
pub(super) fn close_tunnel(ssh: Option<&SshHost>, name: &str) -> Result<()> {
    if let Some(ssh) = ssh {
        if tunnel::close(ssh, name)? {
            say(format_args!("closed the SSH tunnel to {}", ssh.shown()));
        }
    }
    Ok(())
}

/// Asks on the terminal whether `what` (`volume X`, `volumes X, Y`) may go with `whose` data; with
/// no terminal to ask on, refuses.
pub(super) fn confirm_loss(what: &str, whose: &str) -> Result<bool> {
    confirm(
        &format!("Remove the {what} and all {whose} data?"),
        &format!("removing {what} loses {whose} data"),
    )
}

/// Asks `question` on the terminal; with no terminal to ask on, refuses, saying what `loss` it
/// would be.
pub(super) fn confirm(question: &str, loss: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("{loss}: pass --yes to confirm (no terminal to ask on)");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
