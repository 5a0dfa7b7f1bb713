//! A stand-in for a remote Docker host: a sandbox engine with an SSH server in front, reached the
//! way people reach a remote engine, `DOCKER_HOST=ssh://root@ADDRESS`.
//!
//! The docker CLI runs `ssh` from PATH with arguments of its own (`-o ConnectTimeout=30 -T -l
//! root -- HOST docker system dial-stdio`) and no way to add options, and OpenSSH reads its user
//! config from the home directory in the password database, not `$HOME`. So each run gets a
//! private folder (0700) in the runtime folder holding its own key pair, the remote's host key in a
//! `known_hosts` of its own, an `ssh_config` naming both, and `bin/ssh`, two lines that run the
//! real `ssh -F ssh_config "$@"`. Putting `bin/` first on PATH ([`Remote::path`]) makes every
//! `ssh` the CLI (or a person's shell, or `ssh -L`) starts use this run's key and trust only this
//! run's host key; the person's own `~/.ssh` is never read or written. Nothing in the folder is
//! ever printed; it goes when the [`Remote`] is dropped, with the sandbox container.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Sandbox;
use crate::engine::{wait, Docker};
use crate::{images, paths};

/// A running remote stand-in. Dropping it ends this run's SSH connections, removes its key
/// folder and its container; its data volume (the remote engine's images) stays for the next run.
pub struct Remote {
    /// The remote's address on the sandbox network.
    pub address: String,
    /// `ssh://root@ADDRESS`.
    pub url: String,
    /// This run's private key (0600) and the `known_hosts` holding only the remote's host key.
    pub key: PathBuf,
    pub known_hosts: PathBuf,
    /// The `ssh_config` naming both, and the folder whose `ssh` runs `ssh -F ssh_config`.
    pub ssh_config: PathBuf,
    pub bin: PathBuf,
    /// The remote engine through SSH (`-H ssh://root@ADDRESS`, PATH with `bin` first).
    pub docker: Docker,
    /// The same engine through the sandbox's private socket, for checks and clean-up that must not
    /// depend on SSH (a test that breaks SSH on purpose still reaches it this way).
    pub direct: Docker,
    /// The sandbox under it (its container, data volume, network, registry).
    pub sandbox: Sandbox,
    dir: PathBuf,
}

impl Remote {
    /// Builds the sandbox image if needed, makes this run's keys, starts the remote and waits until
    /// `docker -H ssh://root@ADDRESS` answers.
    pub fn start(host: &Docker) -> Result<Remote> {
        Remote::start_with(host, "remote", &[])
    }

    /// A remote whose engine keeps its images on a tmpfs of `size` (`400m`): a disk that fills.
    /// Its data is gone with its container.
    pub fn with_small_disk(host: &Docker, size: &str) -> Result<Remote> {
        let size = format!("o=size={size}");
        Remote::start_with(
            host,
            "remote-small",
            &[
                "--opt",
                "type=tmpfs",
                "--opt",
                "device=tmpfs",
                "--opt",
                size.as_str(),
            ],
        )
    }

    fn start_with(host: &Docker, role: &str, data: &[&str]) -> Result<Remote> {
        host.require_engine()?;
        let real_ssh = find_on_path("ssh").context("the ssh client was not found on PATH: install it (Debian: `apt-get install openssh-client`)")?;
        let image = images::sandbox::ensure(host)?;
        let dir = private_dir()?;
        let made = (|| -> Result<Remote> {
            let key = dir.join("id_ed25519");
            let into_remote = dir.join("in");
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&into_remote)?;
            keygen(&key)?;
            keygen(&into_remote.join("host_key"))?;
            std::fs::copy(
                key.with_extension("pub"),
                into_remote.join("authorized_keys"),
            )?;
            let sandbox = Sandbox::start_as(host, &image, role, Some(&into_remote), data)?;
            let address = sandbox.address()?;
            let host_key = std::fs::read_to_string(into_remote.join("host_key.pub"))?;
            let known_hosts = dir.join("known_hosts");
            write_private(
                &known_hosts,
                &format!(
                    "{address} {}\n",
                    host_key
                        .split_whitespace()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )?;
            let ssh_config = dir.join("ssh_config");
            write_private(&ssh_config, &config(&key, &known_hosts, &dir))?;
            let bin = dir.join("bin");
            std::fs::DirBuilder::new().mode(0o700).create(&bin)?;
            let wrapper = format!("#!/bin/sh\n# ssh with one remote stand-in's key and host key (made by cargo xtask; see sandbox/remote.rs)\nexec {} -F {} \"$@\"\n", quote(&real_ssh), quote(&ssh_config));
            write_private(&bin.join("ssh"), &wrapper)?;
            std::fs::set_permissions(bin.join("ssh"), std::fs::Permissions::from_mode(0o700))?;
            let url = format!("ssh://root@{address}");
            let path = path_with(&bin);
            let docker = host.at_host(&url).with_env("PATH", &path);
            let direct = sandbox.inner.with_run(host.run_id().map(String::from));
            // sshd starts beside the engine, which Sandbox::start already waited for.
            let answered = wait::poll(Duration::from_secs(30), Duration::from_millis(200), || {
                docker
                    .probe(["version", "--format", "{{.Server.Version}}"])
                    .is_some()
            });
            if answered.is_none() {
                let why = docker
                    .status(["version"])
                    .map(|o| crate::engine::last_message(&o.stderr))
                    .unwrap_or_default();
                bail!(
                    "the remote stand-in {} does not answer over SSH within 30s ({why})",
                    sandbox.container
                );
            }
            Ok(Remote {
                address,
                url,
                key,
                known_hosts,
                ssh_config,
                bin,
                docker,
                direct,
                sandbox,
                dir: dir.clone(),
            })
        })();
        if made.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        made
    }

    /// PATH with this run's `ssh` first: for a process (the xtask, a shell) that should reach the
    /// remote as a person whose SSH is set up for it would.
    pub fn path(&self) -> String {
        path_with(&self.bin)
    }

    /// The environment a shell needs to drive the remote as `docker` (`DOCKER_HOST`, `PATH`).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DOCKER_HOST".into(), self.url.clone()),
            ("PATH".into(), self.path()),
        ]
    }

    /// Stops the remote's engine, leaving its SSH server up (a remote whose engine is down).
    /// Puts the remote on `network` too (a sandbox's own, so the reader's machine reaches it); its
    /// address there.
    pub fn join(&self, network: &str) -> Result<String> {
        let host = self.sandbox.host();
        host.output([
            "network",
            "connect",
            network,
            self.sandbox.container.as_str(),
        ])?;
        let format = format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}");
        host.output([
            "container",
            "inspect",
            "--format",
            format.as_str(),
            self.sandbox.container.as_str(),
        ])
    }

    pub fn stop_engine(&self) -> Result<()> {
        self.sandbox.exec(&["sandbox-dockerd", "stop-engine"])?;
        Ok(())
    }

    /// Starts the remote's engine again and waits until it answers.
    pub fn start_engine(&self) -> Result<()> {
        let container = self.sandbox.container.as_str();
        self.sandbox
            .host()
            .output(["exec", "-d", container, "sandbox-dockerd", "engine"])?;
        let up = wait::poll(Duration::from_secs(30), Duration::from_millis(100), || {
            self.direct.probe(["version"]).is_some()
        });
        up.map(drop)
            .context("the remote's engine did not start again within 30s")
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // The shared connection (ControlPersist) ends now rather than when it times out.
        let _ = std::process::Command::new("ssh")
            .env("PATH", self.path())
            .args(["-O", "exit", &format!("root@{}", self.address)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The options every `ssh` of this run uses: its key only, its remote's host key only, no
/// password prompt, one shared connection per destination (the CLI opens several per command).
fn config(key: &Path, known_hosts: &Path, dir: &Path) -> String {
    format!(
        "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  \
         BatchMode yes\n  PasswordAuthentication no\n  KbdInteractiveAuthentication no\n  ConnectTimeout 10\n  \
         ControlMaster auto\n  ControlPath {}/%C\n  ControlPersist 30\n  LogLevel ERROR\n",
        quote_config(key),
        quote_config(known_hosts),
        quote_config(dir)
    )
}

/// A fresh folder of this run in the runtime folder (0700; short, as a socket path lives in it).
fn private_dir() -> Result<PathBuf> {
    for n in 0..100 {
        let dir = paths::runtime_dir()?.join(format!("ssh-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!(
        "no free folder for this run's SSH keys in {}: remove the old ssh-* folders there",
        paths::runtime_dir()?.display()
    )
}

/// An ed25519 key pair without a passphrase at `path` (private 0600) and `path.pub`.
fn keygen(path: &Path) -> Result<()> {
    let out = duct::cmd!("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jupyter-docker-xtask remote", "-f", path)
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .context("ssh-keygen was not found: install the ssh client (Debian: `apt-get install openssh-client`)")?;
    if !out.status.success() {
        bail!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Writes a file only this user can read (created 0600, never through an existing link).
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The first executable `name` on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// PATH with `first` in front.
fn path_with(first: &Path) -> String {
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", first.display())
}

/// A path for sh, single-quoted.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// A path for ssh_config, double-quoted (ssh_config has no escape for `"`; the runtime folder has none).
fn quote_config(path: &Path) -> String {
    format!("\"{}\"", path.display())
}
