//! Which engine a command talks to when it is not this machine's: `--host ssh://USER@HOST[:PORT]`,
//! `--context NAME`, or a `DOCKER_HOST`/`DOCKER_CONTEXT` already set. An engine reached over SSH is
//! remote: its published ports are on the remote's loopback, reached through an SSH tunnel, and
//! no path of this machine can be bind-mounted there. What SSH says when it fails becomes one line
//! naming the fix.

use anyhow::{bail, Result};
use xshell::Shell;

use super::{last_message, Docker};

/// `--host` / `--context`, shared by up, down, status, url, logs, run and clean.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HostArgs {
    /// The Docker engine of another machine, over SSH: ssh://USER@HOST[:PORT] (as DOCKER_HOST takes it).
    #[arg(long, value_name = "ssh://USER@HOST", conflicts_with = "context")]
    pub host: Option<String>,
    /// A Docker context (`docker context ls`) naming the engine.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// An SSH destination as the docker CLI reads `ssh://[USER@]HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl SshHost {
    /// Parses `ssh://[USER@]HOST[:PORT]`; anything else is refused with the form to use.
    pub fn parse(url: &str) -> Result<SshHost> {
        let fix = "write it as ssh://USER@HOST or ssh://USER@HOST:PORT (as DOCKER_HOST takes it)";
        let Some(rest) = url.strip_prefix("ssh://") else {
            bail!("{url:?} is not an SSH address: {fix}");
        };
        let (user, place) = match rest.rsplit_once('@') {
            Some((user, place)) => (Some(user.to_string()), place),
            None => (None, rest),
        };
        let (host, port) = match place.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
                let port: u16 =
                    port.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                        anyhow::anyhow!("{url:?} has no valid port after ':': {fix}")
                    })?;
                (
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    Some(port),
                )
            }
            _ => (place.to_string(), None),
        };
        let word = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        };
        let host_ok = word(&host)
            || (host.contains(':')
                && host
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.'));
        if !host_ok || user.as_deref().is_some_and(|u| !word(u)) || host.starts_with('-') {
            bail!("{url:?} is not an SSH address (a host name, IP address and user are letters, digits, '.', '_' and '-'; nothing after the host): {fix}");
        }
        Ok(SshHost { user, host, port })
    }

    /// `ssh` arguments selecting this destination (what the docker CLI passes too).
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        args.extend(["--".to_string(), self.host.clone()]);
        args
    }

    /// `USER@HOST:PORT`, for messages and file names.
    pub fn shown(&self) -> String {
        let user = self
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{user}{}{port}", self.host)
    }
}

/// The engine a command talks to, and whether it is reached over SSH.
pub struct Target {
    pub docker: Docker,
    pub ssh: Option<SshHost>,
}

impl HostArgs {
    /// The engine named by `--host`, `--context`, else the environment (DOCKER_HOST, DOCKER_CONTEXT).
    /// A malformed address is refused before any docker call.
    pub fn target(&self, sh: &Shell) -> Result<Target> {
        let docker = Docker::new(sh);
        if let Some(url) = &self.host {
            let ssh = SshHost::parse(url).map_err(|e| anyhow::anyhow!("--host {e}"))?;
            return Ok(Target {
                docker: docker.at_host(url),
                ssh: Some(ssh),
            });
        }
        let context = self.context.clone().or_else(|| {
            std::env::var("DOCKER_CONTEXT")
                .ok()
                .filter(|c| !c.is_empty())
        });
        if let (Some(name), true) = (context, std::env::var_os("DOCKER_HOST").is_none()) {
            let docker = Docker {
                target: vec!["--context".into(), name.clone()],
                ..docker
            };
            let endpoint = docker.status([
                "context",
                "inspect",
                "--format",
                "{{.Endpoints.docker.Host}}",
                name.as_str(),
            ])?;
            if !endpoint.ok() {
                let from = if self.context.is_some() {
                    "--context"
                } else {
                    "DOCKER_CONTEXT"
                };
                bail!("the Docker context {name:?} ({from}) cannot be used ({}): list the contexts with `docker context ls`", last_message(&endpoint.stderr));
            }
            let ssh = endpoint
                .stdout
                .starts_with("ssh://")
                .then(|| SshHost::parse(&endpoint.stdout))
                .transpose()?;
            return Ok(Target { docker, ssh });
        }
        match std::env::var("DOCKER_HOST") {
            Ok(url) if url.starts_with("ssh://") => {
                let ssh = SshHost::parse(&url).map_err(|e| anyhow::anyhow!("DOCKER_HOST {e}"))?;
                Ok(Target {
                    docker: docker.at_host(&url),
                    ssh: Some(ssh),
                })
            }
            _ => Ok(Target { docker, ssh: None }),
        }
    }
}

/// From now on `Docker::new` is this machine's engine: DOCKER_HOST or DOCKER_CONTEXT named the
/// remote, which has a handle of its own ([`Target`]); images are built here. Called first thing,
/// before any thread reads the environment.
pub fn build_here() {
    std::env::remove_var("DOCKER_HOST");
    std::env::remove_var("DOCKER_CONTEXT");
}

/// What a docker command over SSH said when it failed, as one line naming the fix; `None` when
/// the failure is not SSH's (the remote engine answered and refused something).
pub fn explain_ssh_failure(ssh: &SshHost, stderr: &str) -> Option<String> {
    let host = ssh.shown();
    let said = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("ssh: "))
        .collect::<Vec<_>>();
    let has = |w: &str| said.iter().any(|l| l.contains(w));
    let why = if has("Permission denied") {
        format!("SSH to {host} refused the login (Permission denied): give it your key (`ssh-copy-id {host}`), load it in your agent (`ssh-add`), or check the user name")
    } else if has("Host key verification failed") || has("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        format!("SSH to {host} does not trust the host's key: connect once with `ssh {host}` to check and accept it, then run again")
    } else if has("Could not resolve hostname") || has("Name or service not known") {
        format!("the host name {:?} (of ssh://{host}) does not resolve: check its spelling in --host (or DOCKER_HOST), or make it known (DNS, /etc/hosts, or a Host entry in ~/.ssh/config)", ssh.host)
    } else if has("Connection refused")
        || has("timed out")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Connection closed by")
    {
        // SSH's own words (the docker CLI wraps them in a long line of its own).
        let all = said.join(" ");
        let what = ["connect to host", "Connection"]
            .iter()
            .find_map(|w| all.find(w).map(|i| all[i..].trim_end_matches([')', '.'])))
            .unwrap_or("no answer");
        format!("the host {host} cannot be reached over SSH ({what}): check that it is up, its address, and that its SSH server runs (port {})", ssh.port.unwrap_or(22))
    } else if has("Cannot connect to the Docker daemon") || has("docker.sock") && has("connect:") {
        format!("the Docker engine on {host} is not running (SSH works, the engine does not answer): start it there (`ssh {host} systemctl start docker`)")
    } else if has("docker: command not found") || has("docker: not found") {
        format!("{host} has no docker CLI on its PATH for SSH logins: install Docker there")
    } else {
        return None;
    };
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_addresses() {
        let parsed = SshHost::parse("ssh://root@192.0.2.7:2222").unwrap();
        assert_eq!(
            parsed,
            SshHost {
                user: Some("root".into()),
                host: "192.0.2.7".into(),
                port: Some(2222)
            }
        );
        assert_eq!(
            parsed.args(),
            ["-l", "root", "-p", "2222", "--", "192.0.2.7"]
        );
        assert_eq!(
            SshHost::parse("ssh://box.example").unwrap().shown(),
            "box.example"
        );
        for bad in [
            "root@host",
            "ssh://",
            "ssh://root@",
            "ssh://root@host:x",
            "ssh://root@host:0",
            "ssh://root@host/path",
            "ssh://-oProxyCommand=x",
            "tcp://h:2375",
            "ssh://a b@h",
        ] {
            let error = SshHost::parse(bad).unwrap_err().to_string();
            assert!(
                error.contains("ssh://USER@HOST") && !error.contains('\n'),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn ssh_failures_name_the_fix() {
        let host = SshHost::parse("ssh://root@192.0.2.9").unwrap();
        let line = |stderr: &str| explain_ssh_failure(&host, stderr).unwrap_or_default();
        assert!(line("root@192.0.2.9: Permission denied (publickey).")
            .contains("ssh-copy-id root@192.0.2.9"));
        assert!(
            line("ssh: connect to host 192.0.2.9 port 22: Connection refused")
                .contains("cannot be reached")
        );
        let wrapped = "error during connect: Get \"http://x/v1.50/version\": command [ssh -- 192.0.2.9 docker system dial-stdio] has exited with exit status 255, make sure the URL is valid: stderr=ssh: connect to host 192.0.2.9 port 22: Connection refused";
        assert!(
            line(wrapped).contains("(connect to host 192.0.2.9 port 22: Connection refused)")
                && !line(wrapped).contains("dial-stdio"),
            "{}",
            line(wrapped)
        );
        assert!(
            line("ssh: connect to host 192.0.2.9 port 22: Connection timed out")
                .contains("cannot be reached")
        );
        assert!(line("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?").contains("not running"));
        assert!(line("Host key verification failed.").contains("accept it"));
        let unknown = "error during connect: Get \"http://docker.example.com/v1.50/version\": command [ssh -o ConnectTimeout=30 -T -l root -- nosuch.invalid docker system dial-stdio] has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=ssh: Could not resolve hostname nosuch.invalid: Name or service not known";
        let said = explain_ssh_failure(
            &SshHost::parse("ssh://root@nosuch.invalid").unwrap(),
            unknown,
        )
        .unwrap_or_default();
        assert!(said.starts_with("the host name \"nosuch.invalid\" (of ssh://root@nosuch.invalid) does not resolve: check its spelling in --host"), "{said}");
        assert_eq!(
            explain_ssh_failure(&host, "Error response from daemon: No such image: x"),
            None
        );
    }
}
