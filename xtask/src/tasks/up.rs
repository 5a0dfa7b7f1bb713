//! `cargo xtask up`: a running JupyterLab with its data handled right.
//! Outputs on a named volume at /work/outputs (where the notebook writes), notebooks bind-mounted
//! read-only at /work, the port on 127.0.0.1 only, the notebook user, no-new-privileges; then the
//! URL caught from the log the moment it is printed, rewritten for the host port, and checked.
//! An existing container is reused when it is what is asked, else recreated (its volume stays).

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use xshell::Shell;

use crate::engine::remote::HostArgs;
use crate::engine::resources::{self, Guard};
use crate::engine::{self, Docker, Mount};
use crate::jupyter::layout::Notebooks;
use crate::jupyter::server::Running;
use crate::jupyter::token::{self, Secret, TOKEN_ENV};
use crate::jupyter::{
    DEFAULT_IMAGE, DEFAULT_NAME, DEFAULT_VOLUME, PORT, START_TIMEOUT_SECS, WORKDIR,
};
use crate::{paths, progress};

mod create;
mod existing;
mod found;
mod remote;

#[derive(clap::Args, Debug, Clone)]
pub struct Up {
    /// Container name.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Named volume for the outputs (created if missing; one that was there is never removed).
    #[arg(long, default_value = DEFAULT_VOLUME)]
    pub volume: String,
    /// Host port on 127.0.0.1 (0: let Docker pick a free one).
    #[arg(long, default_value_t = PORT)]
    pub port: u16,
    /// Image to run (the series' images are built when missing or changed).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Notebooks folder to bind-mount at /work (default: the project's notebooks/); a link is
    /// followed, and the real folder is mounted.
    #[arg(long)]
    pub notebooks: Option<PathBuf>,
    /// Mount the notebooks read-write and run as the folder's owner, for editing in the browser.
    #[arg(long)]
    pub writable_notebooks: bool,
    /// Run from the image's own copy of the notebooks (no bind mount).
    #[arg(long, conflicts_with = "writable_notebooks")]
    pub no_bind: bool,
    /// Seconds to wait for the server's URL.
    #[arg(long, default_value_t = START_TIMEOUT_SECS)]
    pub timeout: u64,
    /// Print one JSON object (url, token, container, volume, port, image) instead of the URL.
    #[arg(long)]
    pub json: bool,
    /// Open the URL in a browser.
    #[arg(long)]
    pub open: bool,
    /// Install what building the offline base image needs (mmdebstrap, pip) without asking.
    #[arg(long)]
    pub yes: bool,
    /// Recreate the container even when it is what is asked (a changed port, notebooks folder,
    /// image, volume, user or token recreates it anyway); its volume and data stay.
    #[arg(long)]
    pub force_recreate: bool,
    /// A file holding the server's token, private to you (0600), so the URL stays the same across
    /// restarts; the JUPYTER_TOKEN environment variable does the same. Else a new one each start.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Refused: a token on the command line is shown to every user by `ps`.
    #[arg(long, hide = true)]
    pub token: Option<String>,
    /// Accepted for `docker run -d`'s sake: `up` always runs the server detached (in the background).
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub target: HostArgs,
    /// With --host: send the image through this registry (push here, pull there, with the logins
    /// in Docker's credential stores) instead of `docker save | docker load`.
    #[arg(long, value_name = "REG")]
    pub registry: Option<String>,
    /// Set on the `Up` that runs on a remote engine: how it is reached from here.
    #[arg(skip)]
    away: Option<remote::Away>,
}

/// What the checks before the first docker call found.
struct Plan {
    notebooks: Option<Notebooks>,
    /// The server's `uid:gid`: the notebook user, or the folder's owner for writable notebooks.
    user: (u32, u32),
    token: Option<Secret>,
    /// What the one inspect before `docker run` found (`None`: not asked, or not answered).
    found: Option<found::Found>,
}

/// A serving container, with what this run made for it: kept once its URL is printed.
pub struct Started {
    pub running: Running,
    guards: Vec<Guard>,
    /// Held until then: another `up` for this name waits, then finds this one's container.
    _lock: paths::Lock,
}

impl Up {
    pub fn run(self, sh: &Shell) -> Result<()> {
        crate::prereqs::assume_yes(self.yes);
        let target = self.target.target(sh)?;
        let started = match &target.ssh {
            Some(ssh) => {
                engine::remote::build_here();
                self.start_remote(&target.docker, ssh)
            }
            None if self.registry.is_some() => Err(anyhow!("--registry sends the image to a remote engine: use it with --host ssh://USER@HOST (here the image is already where it runs)")),
            None => self.start(&target.docker),
        };
        let started = match started {
            // The signal handler is removing what was made and says so: no error line besides.
            Err(_) if resources::interrupted() => resources::exit(130),
            other => other?,
        };
        let line = if self.json {
            started.running.to_json().to_string()
        } else {
            started.running.url.clone()
        };
        // The URL is printed and the container kept as one step: a signal gets both or neither.
        if !resources::commit(started.guards, || progress::say(&line)) {
            resources::exit(130);
        }
        if self.open {
            let _ = duct::cmd!("xdg-open", &started.running.url)
                .stdout_null()
                .stderr_null()
                .unchecked()
                .start();
        }
        Ok(())
    }

    /// Checks every input before the first docker call.
    fn validate(&self) -> Result<Plan> {
        engine::check_name("name", &self.name)?;
        engine::check_name("volume", &self.volume)?;
        engine::check_image_ref(&self.image)?;
        if self.timeout == 0 {
            bail!("--timeout 0 leaves no time for the server to start: give the seconds to wait, e.g. --timeout 120");
        }
        if self.token.is_some() {
            bail!("--token shows the token to every user of this machine (in `ps`): put it in {TOKEN_ENV}, or in a file only you can read and pass --token-file FILE");
        }
        let token = token::chosen(self.token_file.as_deref())?;
        let notebooks = match self.no_bind {
            true => None,
            false => Some(Notebooks::resolve(
                &self.notebooks.clone().unwrap_or_else(paths::notebooks_dir),
            )?),
        };
        if let Some(folder) = &notebooks {
            // A path Docker's --mount cannot carry (a newline) is refused now, before anything is made.
            Mount::bind(&folder.real, WORKDIR, true)
                .render()
                .context("--notebooks")?;
            folder.check_outputs()?;
        }
        let user = match (&notebooks, self.writable_notebooks) {
            (Some(folder), true) => folder.owner()?,
            (None, true) => bail!("--writable-notebooks needs the notebooks bind-mounted"),
            // The image's notebook user (jovyan 1000:100 on docker-stacks images), never root.
            (_, false) => (1000, 100),
        };
        Ok(Plan {
            notebooks,
            user,
            token,
            found: None,
        })
    }

    pub fn start(&self, docker: &Docker) -> Result<Started> {
        let mut plan = self.validate()?;
        if let Some(folder) = plan.notebooks.as_ref().filter(|f| f.through_link()) {
            progress::note(&format!(
                "--notebooks {} leads to {} (through a link): that folder is mounted",
                folder.named.display(),
                folder.real.display()
            ));
        }
        let lock = paths::exclusive(&format!("up-{}", self.name))?;
        // One inspect for the container, the volume and the image; when it gets no answer, the engine is asked why.
        plan.found = self.look(docker);
        if plan.found.is_none() {
            docker.require_engine()?;
        }
        let absent = plan
            .found
            .as_ref()
            .is_some_and(|f| !f.has_container(&self.name));
        if let Some(state) = if absent {
            None
        } else {
            docker.container_state(&self.name)
        } {
            if !docker.is_owned(&self.name) {
                bail!("a container named {} exists and was not made by this project: it is left alone; choose another --name", self.name);
            }
            let changed = self.changes(docker, &plan);
            if changed.is_empty() && !self.force_recreate {
                return Ok(Started {
                    running: self.reuse(docker, &plan, state)?,
                    guards: Vec::new(),
                    _lock: lock,
                });
            }
            let why = if changed.is_empty() {
                "--force-recreate".to_string()
            } else {
                changed.join("; ")
            };
            progress::note(&format!(
                "recreating {}: {why} (volumes and their data stay)",
                self.name
            ));
            docker.output(["rm", "-f", "-v", self.name.as_str()])?;
        }
        self.create(docker, &plan, lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        up: Up,
    }

    fn up() -> Up {
        Cli::parse_from(["up", "--port", "0", "--timeout", "10"]).up
    }

    #[test]
    fn bad_input_is_refused_before_docker() {
        let up = up();
        assert!(up.validate().is_ok());
        let err = |u: Up| u.validate().err().expect("refused").to_string();
        assert!(err(Up {
            name: "bad name".into(),
            ..up.clone()
        })
        .contains("--name"));
        assert!(err(Up {
            volume: "-v".into(),
            ..up.clone()
        })
        .contains("--volume"));
        assert!(err(Up {
            image: "Bad:Image".into(),
            ..up.clone()
        })
        .contains("lowercase"));
        assert!(err(Up {
            timeout: 0,
            ..up.clone()
        })
        .contains("--timeout"));
        assert!(err(Up {
            notebooks: Some("/no/such/dir".into()),
            ..up.clone()
        })
        .contains("does not exist"));
        assert!(err(Up {
            token: Some("0123456789abcdef".into()),
            ..up.clone()
        })
        .contains("--token-file"));
        // `-d` is docker's habit: accepted, and changes nothing.
        assert!(Cli::parse_from(["up", "-d"]).up.detach);
    }

    #[test]
    fn a_notebooks_path_cannot_add_mount_fields() {
        let base = tempfile::tempdir().unwrap();
        let comma = base.path().join("nb,source=elsewhere,readonly=false");
        std::fs::create_dir(&comma).unwrap();
        let up = Up {
            notebooks: Some(comma.clone()),
            ..up()
        };
        let plan = up.validate().unwrap();
        let rendered = up.run_spec(&plan).args(&[]).unwrap().join(" ");
        let dir = plan.notebooks.unwrap().real;
        assert!(
            rendered.contains(&format!(
                "\"source={}\",target=/work,readonly",
                dir.display()
            )),
            "{rendered}"
        );

        let newline = base.path().join("nb\nx");
        std::fs::create_dir(&newline).unwrap();
        let error = format!(
            "{:#}",
            Up {
                notebooks: Some(newline),
                ..up.clone()
            }
            .validate()
            .err()
            .unwrap()
        );
        assert!(
            error.starts_with("--notebooks")
                && error.contains("control character")
                && !error.contains('\n'),
            "{error}"
        );
    }

    #[test]
    fn a_huge_timeout_is_no_overflow() {
        let up = Up {
            timeout: u64::MAX,
            ..up()
        };
        assert!(up.validate().is_ok());
        assert!(engine::wait::deadline(up.timeout) > std::time::Instant::now());
    }

    #[test]
    fn a_token_goes_in_by_file_never_in_the_containers_config() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "0123456789abcdef0123").unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let up = Up {
            token_file: Some(file),
            ..up()
        };
        let plan = up.validate().unwrap();
        let args = up.run_spec(&plan).args(&[]).unwrap().join(" ");
        assert!(
            args.contains("-e JUPYTER_TOKEN_FILE=/run/jupyter-docker-xtask/token")
                && !args.contains("0123456789abcdef"),
            "{args}"
        );
    }
}
