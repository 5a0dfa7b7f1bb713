//! The docker CLI behind one handle: which engine it talks to, the labels it stamps on what it
//! makes, typed run/build specs ([`spec`]), guards and label sweeps ([`resources`]), and waits
//! ([`wait`]). Every docker command line of the project is assembled here.
//! One-shot commands go through xshell; their stderr is captured so failures become one-line errors.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Result};
use xshell::{cmd, Shell};

pub mod cmdline;
mod container;
mod messages;
pub mod names;
mod objects;
pub mod registry;
pub mod remote;
pub mod resources;
pub mod spec;
pub mod wait;

pub use container::{fields, parse_port_line, ContainerState};
pub use messages::{last_message, one_line, tail};
pub use names::{check_image_ref, check_name};
pub use objects::{exec_line, Created};
pub use spec::{volume_mount_labelled, BuildSpec, Health, Mount, Publish, RunSpec};

/// Every container, volume, network and image the project creates carries this label.
pub const MANAGED: &str = "jupyter-docker-xtask.managed=true";
pub const MANAGED_KEY: &str = "jupyter-docker-xtask.managed";
/// Put only on what the project *runs* (containers, volumes, networks), never on images: image
/// labels are inherited by every container of the image, including ones a person starts by hand,
/// so `clean` selects containers by this label and cannot touch a person's own containers.
pub const OWNER: &str = "jupyter-docker-xtask.owner=xtask";
pub const OWNER_KEY: &str = "jupyter-docker-xtask.owner";
/// Tests set this so that everything made during one test run can be found and swept.
pub const RUN_ID_ENV: &str = "JUPYTER_DOCKER_XTASK_RUN_ID";
pub const RUN_LABEL_KEY: &str = "jupyter-docker-xtask.run";
pub const RECIPE_LABEL_KEY: &str = "jupyter-docker-xtask.recipe";
/// On the images the project builds (and imports): the reference it built the image as. A child
/// image a person builds `FROM` one inherits it, with the `managed` label, but is tagged otherwise,
/// and its own last build step is not the one that set it: `clean --images` tells the two apart.
pub const BUILT_AS_LABEL_KEY: &str = "jupyter-docker-xtask.built-as";
/// Which process made a resource: labels are fixed at creation, so this tells a volume or
/// container this process created from one that was there already (or that a racing process made).
pub const CREATOR_LABEL_KEY: &str = "jupyter-docker-xtask.creator";

/// This process's creator id: `<pid>-<nanoseconds at first use>`.
pub fn creator_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{}-{nanos:09}", std::process::id())
    })
}

/// A docker CLI bound to one engine, stamping the project's labels (and a test run's) on what it makes.
#[derive(Clone)]
pub struct Docker {
    sh: Shell,
    /// Put before every command: `-H HOST` or `--context NAME`; empty for the environment's engine.
    target: Vec<String>,
    run: Option<String>,
    /// False only for a handle standing in for a person (the tests' sentinels): it labels nothing.
    stamp: bool,
    /// Set on every docker process: a remote's `PATH`, whose `ssh` carries that remote's options.
    env: Vec<(String, String)>,
    /// A sandbox's socket: used only while it is a socket at that very path, in a folder of this
    /// user that is no link (checked before every command: a sandbox must not redirect the host).
    guarded: Option<PathBuf>,
}

/// What one command did, whatever its exit status.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

impl Docker {
    /// The engine the environment names (DOCKER_HOST, DOCKER_CONTEXT or the default), with the
    /// test run id `cargo xtask test` hands to the processes it starts.
    pub fn new(sh: &Shell) -> Docker {
        let run = std::env::var(RUN_ID_ENV).ok().filter(|r| !r.is_empty());
        Docker {
            sh: sh.clone(),
            target: Vec::new(),
            run,
            stamp: true,
            env: Vec::new(),
            guarded: None,
        }
    }

    /// The same engine, labelling what it makes with another run id.
    pub fn with_run(&self, run: Option<String>) -> Docker {
        Docker {
            run,
            ..self.clone()
        }
    }

    /// Another engine: `-H HOST` (`unix://...`, `ssh://user@host`, `tcp://...`).
    pub fn at_host(&self, host: &str) -> Docker {
        Docker {
            target: vec!["-H".into(), host.into()],
            guarded: None,
            ..self.clone()
        }
    }

    /// A sandbox's engine at `socket`, checked before every command (see `guarded`).
    pub fn at_guarded_socket(&self, socket: &Path) -> Docker {
        Docker {
            guarded: Some(socket.to_path_buf()),
            ..self.at_host(&format!("unix://{}", socket.display()))
        }
    }

    /// Fails when the guarded socket is not what this process made it: a link, not a socket, or in
    /// a folder that is a link or not this user's own.
    fn check_socket(&self) -> Result<()> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let Some(socket) = &self.guarded else {
            return Ok(());
        };
        let folder = socket.parent().unwrap_or(Path::new("/"));
        let dir = std::fs::symlink_metadata(folder).ok();
        let dir_ok = dir.is_some_and(|m| {
            m.is_dir() && m.uid() == crate::paths::current_uid() && m.mode() & 0o077 == 0
        });
        let sock_ok = std::fs::symlink_metadata(socket).is_ok_and(|m| m.file_type().is_socket());
        if !dir_ok || !sock_ok {
            bail!("the sandbox's socket {} is not the socket the sandbox made (a link, another file, or its folder changed): nothing is sent to it; run again", socket.display());
        }
        Ok(())
    }

    /// The same engine with `KEY=VALUE` in every docker process's environment.
    pub fn with_env(&self, key: &str, value: &str) -> Docker {
        let mut env: Vec<_> = self.env.iter().filter(|(k, _)| k != key).cloned().collect();
        env.push((key.into(), value.into()));
        Docker {
            env,
            ..self.clone()
        }
    }

    /// What [`Docker::with_env`] added to the docker processes' environment.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The same engine acting as a person would by hand: nothing it makes carries a label.
    pub fn unlabelled(&self) -> Docker {
        Docker {
            stamp: false,
            ..self.clone()
        }
    }

    pub fn sh(&self) -> &Shell {
        &self.sh
    }

    pub fn run_id(&self) -> Option<&str> {
        self.run.as_deref()
    }

    /// The flags that select this handle's engine (empty for the environment's).
    pub fn target(&self) -> &[String] {
        &self.target
    }

    /// The same engine with the CLI's own configuration (its logins) in `dir` instead of
    /// `~/.docker`: `docker --config DIR ...`, as a second machine's client would have.
    pub fn with_config(&self, dir: &std::path::Path) -> Docker {
        let mut target = self.target.clone();
        target.extend(["--config".to_string(), dir.display().to_string()]);
        Docker {
            target,
            ..self.clone()
        }
    }

    /// Labels for what the project runs: containers, volumes, networks.
    pub fn resource_labels(&self) -> Vec<(String, String)> {
        if !self.stamp {
            return Vec::new();
        }
        let mut labels = self.image_labels();
        labels.insert(1, (OWNER_KEY.into(), "xtask".into()));
        labels.push((CREATOR_LABEL_KEY.into(), creator_id().into()));
        labels
    }

    /// Labels for images (never the owner label: containers inherit image labels).
    pub fn image_labels(&self) -> Vec<(String, String)> {
        if !self.stamp {
            return Vec::new();
        }
        let mut labels = vec![(MANAGED_KEY.to_string(), "true".to_string())];
        if let Some(run) = &self.run {
            labels.push((RUN_LABEL_KEY.into(), run.clone()));
        }
        labels
    }

    /// Labels for an image the project builds as `tag`: [`Docker::image_labels`] and the tag it is
    /// built as ([`BUILT_AS_LABEL_KEY`]).
    pub fn build_labels(&self, tag: &str) -> Vec<(String, String)> {
        let mut labels = self.image_labels();
        if self.stamp {
            labels.push((BUILT_AS_LABEL_KEY.into(), tag.into()));
        }
        labels
    }

    /// The whole argument list for `docker ARGS` on this engine.
    pub fn argv<I, S>(&self, args: I) -> Vec<OsString>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.target
            .iter()
            .map(OsString::from)
            .chain(args.into_iter().map(|a| a.as_ref().to_owned()))
            .collect()
    }

    /// `docker ARGS` as a duct expression, for commands whose output is streamed.
    pub fn stream<I, S>(&self, args: I) -> duct::Expression
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        if self.check_socket().is_err() {
            // A command that fails at once, sending nothing anywhere.
            return duct::cmd!(
                "sh",
                "-c",
                "echo 'the sandbox socket changed: nothing was sent to it' >&2; exit 1"
            );
        }
        self.env
            .iter()
            .fold(duct::cmd("docker", self.argv(args)), |e, (k, v)| {
                e.env(k, v)
            })
    }

    /// Runs `docker ARGS` whatever its exit status (a missing CLI is still an error).
    pub fn status<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.check_socket()?;
        let argv = self.argv(args);
        let command = self
            .env
            .iter()
            .fold(cmd!(self.sh, "docker {argv...}"), |c, (k, v)| c.env(k, v));
        let out = command
            .quiet()
            .ignore_status()
            .output()
            .map_err(|_| missing_cli())?;
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Runs `docker ARGS`, returns its trimmed stdout; on failure the error is docker's own message.
    pub fn output<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.status(&args)?;
        if !out.ok() {
            let shown = args
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ");
            bail!("`docker {shown}` failed: {}", last_message(&out.stderr));
        }
        Ok(out.stdout)
    }

    /// Like [`Docker::output`], but a failure is `None` (for probes such as "does this image exist?").
    pub fn probe<I, S>(&self, args: I) -> Option<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.status(args).ok().filter(Output::ok).map(|o| o.stdout)
    }

    /// Fails with a one-line error naming the fix when the CLI is missing or the engine does not answer.
    pub fn require_engine(&self) -> Result<String> {
        let out = self.status(["version", "--format", "{{.Server.Version}}"])?;
        if out.ok() {
            return Ok(out.stdout);
        }
        if let Some(line) = self.ssh_failure(&out.stderr) {
            bail!("{line}");
        }
        let why = last_message(&out.stderr);
        if let (None, Ok(context)) = (self.target.get(1), std::env::var("DOCKER_CONTEXT")) {
            if why.contains("context") {
                bail!("the Docker context {context:?} named by DOCKER_CONTEXT cannot be used ({why}): list the contexts with `docker context ls`, or unset DOCKER_CONTEXT");
            }
        }
        let place = match (self.target.get(1), std::env::var("DOCKER_HOST")) {
            (Some(host), _) => format!(" at {host}"),
            (None, Ok(host)) => format!(" at DOCKER_HOST={host}"),
            _ => String::new(),
        };
        bail!("the Docker engine{place} does not answer ({why}): start it (`dockerd &` or `systemctl start docker`) or point DOCKER_HOST at a running one")
    }

    /// What SSH said, as one line naming the fix, when this handle's engine is `-H ssh://...` and
    /// SSH (not the engine) failed: an unknown host name is no engine to start.
    fn ssh_failure(&self, stderr: &str) -> Option<String> {
        let host = match &self.target[..] {
            [flag, host, ..] if flag == "-H" => remote::SshHost::parse(host).ok()?,
            _ => return None,
        };
        remote::explain_ssh_failure(&host, stderr)
    }
}

fn missing_cli() -> anyhow::Error {
    anyhow::anyhow!("the docker CLI was not found on PATH: install Docker (Debian: `apt-get install docker.io`)")
}

/// `--label KEY=VALUE` pairs.
pub fn label_args(labels: Vec<(String, String)>) -> Vec<String> {
    labels
        .into_iter()
        .flat_map(|(k, v)| ["--label".to_string(), format!("{k}={v}")])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The host sends nothing to a sandbox's socket once it is not the socket in the folder it made.
    #[test]
    fn a_guarded_socket_is_refused_once_a_link_or_an_open_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let socket = dir.path().join("docker.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let docker = Docker::new(&Shell::new().unwrap()).at_guarded_socket(&socket);
        assert!(docker.check_socket().is_ok());

        // The folder opened to others.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(docker.check_socket().is_err());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();

        // The socket replaced by a link to another socket (the host's engine, say).
        let elsewhere = dir.path().join("elsewhere.sock");
        let _other = std::os::unix::net::UnixListener::bind(&elsewhere).unwrap();
        std::fs::rename(&socket, dir.path().join("moved.sock")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &socket).unwrap();
        let refused = docker.check_socket().unwrap_err().to_string();
        assert!(
            refused.contains("not the socket the sandbox made"),
            "{refused}"
        );
        let status = docker.status(["version"]).unwrap_err().to_string();
        assert!(status.contains("nothing is sent"), "{status}");
        // A plain file there is no socket either.
        std::fs::remove_file(&socket).unwrap();
        std::fs::write(&socket, "").unwrap();
        assert!(docker.check_socket().is_err());
    }
}
