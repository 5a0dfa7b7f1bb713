//! The SSH tunnel from the local machine to the Linode's Jupyter server, and how an HTTP status
//! through it is shown.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::engine::wait;
use crate::sandbox::Remote;
use crate::walkthrough::session::Session;

/// `ssh -N -L PORT:127.0.0.1:8888 root@ADDRESS` in the background: the Linode's loopback port on
/// the local machine's. Ended (by its PID) when dropped.
pub(super) struct Tunnel {
    pub(super) port: u16,
    pub(super) child: std::process::Child,
}

impl Tunnel {
    pub(super) fn open(s: &mut Session, remote: &Remote) -> Result<Tunnel> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let forward = format!("127.0.0.1:{port}:127.0.0.1:8888");
        let target = format!("root@{}", remote.address);
        let args = [
            "-N",
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
            "-o",
            "ExitOnForwardFailure=yes",
            "-L",
            forward.as_str(),
            target.as_str(),
        ];
        let child = std::process::Command::new("ssh")
            .env("PATH", remote.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting the ssh tunnel")?;
        let mut tunnel = Tunnel { port, child };
        s.record(
            &format!(
                "ssh -N -L {port}:127.0.0.1:8888 root@{}    # in the background: the tunnel",
                remote.address
            ),
            "",
            0,
        );
        let up = wait::poll(Duration::from_secs(20), Duration::from_millis(100), || {
            crate::jupyter::http::get_status(
                tunnel.port,
                "/api/status",
                None,
                Duration::from_secs(2),
            )
            .is_ok()
                || matches!(tunnel.child.try_wait(), Ok(Some(_)))
        });
        if up.is_none() || matches!(tunnel.child.try_wait(), Ok(Some(_))) {
            bail!(
                "the ssh tunnel to {} did not open within 20s",
                remote.address
            );
        }
        Ok(tunnel)
    }

    /// The status of `GET path` through the tunnel (0: no answer).
    pub(super) fn status(&self, path: &str, token: Option<&str>) -> u16 {
        crate::jupyter::http::status_for_claim(self.port, path, token).unwrap_or(0)
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `HTTP 200`, or `no answer` for 0.
pub(super) fn shown(status: u16) -> String {
    if status == 0 {
        "no answer".into()
    } else {
        format!("HTTP {status}")
    }
}
