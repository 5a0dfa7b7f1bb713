//! The SSH tunnel to a Jupyter server on a remote engine: `ssh -N -L 127.0.0.1:LOCAL:127.0.0.1:REMOTE`,
//! from a loopback port here to the port the container published on the remote's loopback (never
//! on its public address). It outlives `up`; its PID and ports are recorded in the runtime folder
//! (0700), so `down`, `url` and `status` find it, and `down` ends that process only, after checking
//! that the PID is still that very `ssh` (its command line names the two ports).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::engine::remote::{explain_ssh_failure, SshHost};
use crate::paths;

/// A running tunnel, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    pub pid: u32,
    pub local_port: u16,
    pub remote_port: u16,
}

impl Tunnel {
    /// The `-L` argument, which also identifies the process in /proc.
    fn forward(local: u16, remote: u16) -> String {
        format!("127.0.0.1:{local}:127.0.0.1:{remote}")
    }

    /// Whether the recorded PID is still this tunnel's `ssh`.
    pub fn alive(&self) -> bool {
        let Ok(cmdline) = std::fs::read(format!("/proc/{}/cmdline", self.pid)) else {
            return false;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let forward = Tunnel::forward(self.local_port, self.remote_port);
        args.first().is_some_and(|a| a.ends_with(b"ssh")) && args.contains(&forward.as_bytes())
    }

    /// Ends the tunnel's process (only when it is still that `ssh`) and waits until it is gone.
    fn end(&self) {
        if !self.alive() {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.pid.to_string())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where the tunnel of one container on one remote is recorded.
fn record(ssh: &SshHost, container: &str) -> Result<PathBuf> {
    let safe: String = format!("{}-{container}", ssh.shown())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(paths::runtime_dir()?.join(format!("tunnel-{safe}")))
}

/// The recorded tunnel of a container, if its `ssh` still runs.
pub fn find(ssh: &SshHost, container: &str) -> Option<Tunnel> {
    let text = std::fs::read_to_string(record(ssh, container).ok()?).ok()?;
    let mut numbers = text.split_whitespace().map(|w| w.parse::<u32>().ok());
    let tunnel = Tunnel {
        pid: numbers.next()??,
        local_port: u16::try_from(numbers.next()??).ok()?,
        remote_port: u16::try_from(numbers.next()??).ok()?,
    };
    tunnel.alive().then_some(tunnel)
}

/// Ends the recorded tunnel of a container; whether there was one running.
pub fn close(ssh: &SshHost, container: &str) -> Result<bool> {
    let found = find(ssh, container);
    if let Some(tunnel) = &found {
        tunnel.end();
    }
    let _ = std::fs::remove_file(record(ssh, container)?);
    Ok(found.is_some())
}

/// Fails with one line when a local port is taken (0: any free port will do).
pub fn check_local_port(port: u16) -> Result<()> {
    if port != 0 && TcpListener::bind(("127.0.0.1", port)).is_err() {
        bail!("local port {port} (the tunnel's end on this machine) is already in use: choose another with --port, or --port 0 for a free one");
    }
    Ok(())
}

/// The tunnel of a container to `remote_port` on the remote's loopback: the recorded one when it
/// still forwards there (and to `local_port`, unless that is 0), else a new one (the old one ended).
pub fn ensure(ssh: &SshHost, container: &str, local_port: u16, remote_port: u16) -> Result<Tunnel> {
    if let Some(tunnel) = find(ssh, container) {
        if tunnel.remote_port == remote_port && (local_port == 0 || tunnel.local_port == local_port)
        {
            return Ok(tunnel);
        }
        tunnel.end();
    }
    open(ssh, container, local_port, remote_port)
}

/// Starts `ssh -N -L ...` and waits until its local end accepts connections; a failure is SSH's
/// own reason, as one line. The process is this run's: nothing else is ever ended.
fn open(ssh: &SshHost, container: &str, local_port: u16, remote_port: u16) -> Result<Tunnel> {
    check_local_port(local_port)?;
    let local_port = match local_port {
        0 => TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port(),
        port => port,
    };
    let forward = Tunnel::forward(local_port, remote_port);
    let errors = tempfile::NamedTempFile::new_in(paths::runtime_dir()?)?;
    // Its own connection (no ControlMaster sharing: ending this process must end the forward).
    let mut child = Command::new("ssh")
        .args(["-N", "-T", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes", "-o", "ControlPath=none"])
        .args(["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3", "-L", &forward])
        .args(ssh.args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(errors.reopen()?)
        .spawn()
        .context("the ssh client was not found on PATH: install it (Debian: `apt-get install openssh-client`)")?;
    let tunnel = Tunnel {
        pid: child.id(),
        local_port,
        remote_port,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait()? {
            let said = std::fs::read_to_string(errors.path()).unwrap_or_default();
            if said.contains("Address already in use") || said.contains("cannot listen to port") {
                bail!("local port {local_port} (the tunnel's end on this machine) is already in use: choose another with --port, or --port 0 for a free one");
            }
            let why = explain_ssh_failure(ssh, &said).unwrap_or_else(|| {
                format!(
                    "ssh ended ({status}): {}",
                    crate::engine::last_message(&said)
                )
            });
            bail!(
                "the SSH tunnel to {} could not be opened: {why}",
                ssh.shown()
            );
        }
        if TcpStream::connect_timeout(
            &([127, 0, 0, 1], local_port).into(),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            break;
        }
        if Instant::now() > deadline {
            tunnel.end();
            bail!("the SSH tunnel to {} did not open within 30s: check that `ssh {}` works without a password prompt", ssh.shown(), ssh.shown());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let file = record(ssh, container)?;
    std::fs::write(
        &file,
        format!(
            "{} {} {}\n",
            tunnel.pid, tunnel.local_port, tunnel.remote_port
        ),
    )?;
    Ok(tunnel)
}
