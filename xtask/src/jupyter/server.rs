//! The project's Jupyter container once it was started: its URL caught from the log the moment the
//! server prints it, rewritten for the port Docker published on the host and proved with
//! `/api/status`; a running one found again from the log of its current start; a failure told
//! with the log's last lines.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::http;
use super::token::{self, Secret};
use super::url::{find_url, ServerUrl, Token, UrlWatcher};
use super::{MARK_URL_ENV, PORT, VOLUME_LABEL_KEY};
use crate::engine::wait::{deadline, LogFollower};
use crate::engine::{tail, ContainerState, Docker};

/// A server that answers, as `up` reports it.
#[derive(Debug, Clone)]
pub struct Running {
    pub url: String,
    pub token: Option<String>,
    pub container: String,
    /// The named volume at /work/outputs, from the container's label (empty when it has none).
    pub volume: String,
    pub port: u16,
    pub image: String,
}

impl Running {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url, "token": self.token, "container": self.container,
            "volume": self.volume, "port": self.port, "image": self.image,
        })
    }
}

/// One Jupyter container on one engine.
pub struct Server<'a> {
    docker: &'a Docker,
    name: &'a str,
    /// Seconds to wait for the server's URL.
    timeout: u64,
    /// The token it was given (`up` with JUPYTER_TOKEN or --token-file), which its log hides.
    token: Option<Secret>,
    /// Where the published port is reached from here: an SSH tunnel's local end for a remote engine.
    through: Option<&'a dyn Fn(u16) -> Result<u16>>,
}

const EXITED: &str = "the container exited before the server printed its URL";

impl<'a> Server<'a> {
    pub fn new(docker: &'a Docker, name: &'a str, timeout: u64) -> Server<'a> {
        Server {
            docker,
            name,
            timeout,
            token: None,
            through: None,
        }
    }

    /// The token the server was given, when the caller knows it.
    pub fn with_token(self, token: Option<Secret>) -> Server<'a> {
        Server { token, ..self }
    }

    /// The published port is reached through `forward` (published port -> local port), e.g. a tunnel.
    pub fn through(self, forward: &'a dyn Fn(u16) -> Result<u16>) -> Server<'a> {
        Server {
            through: Some(forward),
            ..self
        }
    }

    /// A running container's live URL: from the lines of its current start (a restarted server
    /// has a new token, so older lines are stale), else from the lines still to come.
    pub fn live(&self, state: &ContainerState) -> Result<Running> {
        let log = self.docker.logs_since(self.name, &state.started_at)?;
        match find_url(&log) {
            Some(url) => self.confirm(url),
            None => self.wait(Some(&state.started_at)),
        }
    }

    /// Follows the log (from `since`) until the URL shows, the container exits, or the timeout passes.
    pub fn wait(&self, since: Option<&str>) -> Result<Running> {
        let deadline = deadline(self.timeout);
        let follow = LogFollower::start(self.docker, self.name, since)?;
        // Asked while the server boots, so that nothing but the HTTP check follows its URL.
        let facts = self.facts();
        let mut watcher = UrlWatcher::default();
        let mut last_check = Instant::now();
        loop {
            match follow.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(url) = watcher.feed(&line) {
                        mark_url_seen();
                        drop(follow);
                        return self.confirm_with(url, facts);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    // `logs -f` ended: the container stopped; give its state a moment to say so.
                    std::thread::sleep(Duration::from_millis(200));
                    return Err(self.failure(EXITED, &watcher));
                }
            }
            if Instant::now() > deadline {
                return Err(self.failure(&format!("no URL within {}s", self.timeout), &watcher));
            }
            if last_check.elapsed() > Duration::from_millis(500) {
                last_check = Instant::now();
                if self
                    .docker
                    .container_state(self.name)
                    .is_some_and(|s| !s.running)
                {
                    return Err(self.failure(EXITED, &watcher));
                }
            }
        }
    }

    /// Shows the log's last lines on stderr; the error names the state the container ended in.
    fn failure(&self, what: &str, watcher: &UrlWatcher) -> anyhow::Error {
        let state = self.docker.container_state(self.name);
        let state = state
            .map(|s| format!("state {}, exit code {}", s.status, s.exit_code))
            .unwrap_or_else(|| "container gone".into());
        let log = self
            .docker
            .logs_since(self.name, "0")
            .unwrap_or_else(|_| watcher.tail(30).join("\n"));
        eprintln!(
            "--- last log lines of {} ---\n{}\n---",
            self.name,
            tail(&log, 30)
        );
        anyhow!(
            "{} failed to start: {what} ({state}); the log is above",
            self.name
        )
    }

    /// The published host port, image and volume label of the started container, in one inspect.
    fn facts(&self) -> Option<Facts> {
        let format = format!("{{{{json .NetworkSettings.Ports}}}}|{{{{.Config.Image}}}}|{{{{index .Config.Labels \"{VOLUME_LABEL_KEY}\"}}}}");
        let found = self.docker.probe([
            "container",
            "inspect",
            "--format",
            format.as_str(),
            self.name,
        ])?;
        Facts::parse(&found)
    }

    /// Rewrites the URL for the published port and proves the token works.
    pub fn confirm(&self, url: ServerUrl) -> Result<Running> {
        self.confirm_with(url, None)
    }

    fn confirm_with(&self, url: ServerUrl, facts: Option<Facts>) -> Result<Running> {
        let name = self.name;
        let port = match &facts {
            Some(facts) => facts.port,
            None => self.docker.published_port(name, PORT).map(|(_, port)| port)
                .with_context(|| format!("{name} publishes no port {PORT}: remove it (`cargo xtask down --name {name}`) and run `up` again"))?,
        };
        let port = match self.through {
            Some(forward) => forward(port)?,
            None => port,
        };
        // A token given to the server (its log shows `token=...`): the one `up` was told, else
        // the one in the container's token file.
        let token = match &url.token {
            Token::Hex(t) => Some(t.clone()),
            Token::Configured => self
                .token
                .clone()
                .or_else(|| token::installed(self.docker, name))
                .map(|t| t.expose().to_string()),
            Token::None => None,
        };
        if url.token != Token::Configured || token.is_some() {
            answers(port, &url.path, token.as_deref())?;
        }
        let mut shown = url.on_host(port);
        if let (Token::Configured, Some(t)) = (&url.token, &token) {
            shown = format!("{shown}?token={t}");
        }
        // A reused container may run another image or volume than asked.
        let Facts { image, volume, .. } = facts.or_else(|| self.facts()).unwrap_or_default();
        Ok(Running {
            url: shown,
            token,
            container: name.into(),
            volume,
            port,
            image,
        })
    }
}

/// What one inspect of a started container tells `up`.
#[derive(Debug, Default, PartialEq)]
struct Facts {
    port: u16,
    image: String,
    volume: String,
}

impl Facts {
    /// `{"8888/tcp":[{"HostIp":"127.0.0.1","HostPort":"49153"}]}|image|volume` (`<no value>`: no label).
    fn parse(found: &str) -> Option<Facts> {
        let mut parts = found.splitn(3, '|');
        let ports: serde_json::Value = serde_json::from_str(parts.next()?).ok()?;
        let port = ports[format!("{PORT}/tcp")][0]["HostPort"]
            .as_str()?
            .parse()
            .ok()?;
        let image = parts.next()?.to_string();
        let volume = parts
            .next()
            .filter(|v| *v != "<no value>")
            .unwrap_or_default()
            .to_string();
        Some(Facts {
            port,
            image,
            volume,
        })
    }
}

/// `/api/status` answers 200 with the token (the server may need a moment after printing its URL).
fn answers(port: u16, url_path: &str, token: Option<&str>) -> Result<()> {
    let deadline = deadline(10);
    let path = format!("{}api/status", base_path(url_path));
    loop {
        match http::get_status(port, &path, token, Duration::from_secs(2)) {
            Ok(200) => return Ok(()),
            Ok(code) if Instant::now() > deadline => {
                bail!("the server answered {code} to /api/status with its token")
            }
            Err(e) if Instant::now() > deadline => {
                return Err(e.context(
                    "the server printed its URL but does not answer on the published port",
                ))
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// With [`MARK_URL_ENV`] set (by the bench): when the URL line was read, in Unix seconds, on stderr.
fn mark_url_seen() {
    if std::env::var_os(MARK_URL_ENV).is_some() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        eprintln!("url-seen-at {}.{:09}", t.as_secs(), t.subsec_nanos());
    }
}

/// `/x/lab` -> `/x/`: the server's base URL, under which `api/status` lives.
fn base_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    for suffix in ["/lab", "/tree"] {
        if let Some(base) = trimmed.strip_suffix(suffix) {
            return format!("{base}/");
        }
    }
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_of_one_inspect() {
        let found =
            r#"{"8888/tcp":[{"HostIp":"127.0.0.1","HostPort":"49153"}]}|img:tag|<no value>"#;
        assert_eq!(
            Facts::parse(found),
            Some(Facts {
                port: 49153,
                image: "img:tag".into(),
                volume: String::new()
            })
        );
        assert_eq!(
            Facts::parse(r#"{"8888/tcp":[{"HostIp":"127.0.0.1","HostPort":"9000"}]}|i|v"#)
                .unwrap()
                .volume,
            "v"
        );
        assert_eq!(
            Facts::parse("{}|i|v"),
            None,
            "no published port: asked again after the URL"
        );
    }

    #[test]
    fn base_paths() {
        for (path, base) in [
            ("/lab", "/"),
            ("/x/lab", "/x/"),
            ("/tree", "/"),
            ("/", "/"),
            ("/x", "/x/"),
        ] {
            assert_eq!(base_path(path), base, "{path}");
        }
    }
}
