//! Finds the access URL and token in a Jupyter server's log, in every format the servers print
//! (jupyter_server 1.x/2.x, classic notebook 5.x/6.x, ANSI colour, `-t` line endings), and
//! rewrites it for the port Docker published on the host.

use std::sync::OnceLock;

use regex::Regex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A generated token: 48 lowercase hex characters.
    Hex(String),
    /// Set from config or JUPYTER_TOKEN: the log shows `token=...`, the value is not printed.
    Configured,
    /// Authentication by token is off (or a password is used).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// base_url + default_url, e.g. `/lab` or `/x/lab` or `/`.
    pub path: String,
    pub token: Token,
}

impl ServerUrl {
    /// The URL a person on the host opens: loopback and the host port Docker published.
    pub fn on_host(&self, host_port: u16) -> String {
        let mut url = format!("{}://127.0.0.1:{host_port}{}", self.scheme, self.path);
        if let Token::Hex(token) = &self.token {
            url.push_str("?token=");
            url.push_str(token);
        }
        url
    }

    pub fn token(&self) -> Option<&str> {
        match &self.token {
            Token::Hex(t) => Some(t),
            _ => None,
        }
    }
}

/// Removes ANSI escapes (colour and curses' `ESC ( B` charset resets) and carriage returns.
pub fn strip_ansi(line: &str) -> String {
    static ANSI: OnceLock<Regex> = OnceLock::new();
    let re =
        ANSI.get_or_init(|| Regex::new(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]").unwrap());
    re.replace_all(line, "").replace('\r', "")
}

/// The URL on one log line, if the line's message *is* a server URL (not a file:// link, not a
/// sentence that mentions one).
pub fn parse_line(raw: &str) -> Option<ServerUrl> {
    static LINE: OnceLock<Regex> = OnceLock::new();
    let re = LINE.get_or_init(|| {
        Regex::new(concat!(
            r"^\s*(?:\[[A-Z] [^\]]*\]\s*)?", // optional `[I 2025-... ServerApp]` prefix
            r"(?:or\s+)?",                   // ` or http://127.0.0.1...` continuation
            r"(?P<scheme>https?)://",
            r"(?P<host>\[[^\]]+\]|\([^)]*\)|[^\s:/?]+)", // [::1], (host or 127.0.0.1), name
            r"(?::(?P<port>[0-9]+))?",
            r"(?P<path>/[^\s?]*)?",
            r"(?:\?(?P<query>\S*))?\s*$",
        ))
        .unwrap()
    });
    let line = strip_ansi(raw);
    let caps = re.captures(&line)?;
    let query = caps.name("query").map(|m| m.as_str()).unwrap_or("");
    Some(ServerUrl {
        scheme: caps["scheme"].to_string(),
        host: caps["host"].to_string(),
        port: caps.name("port").and_then(|p| p.as_str().parse().ok()),
        path: caps
            .name("path")
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string()),
        token: token_in(query),
    })
}

fn token_in(query: &str) -> Token {
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix("token=") {
            if value.len() == 48
                && value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Token::Hex(value.to_string());
            }
            if value.starts_with("...") {
                return Token::Configured;
            }
        }
    }
    Token::None
}

/// Watches log lines as they arrive; `feed` returns the URL once it is known.
/// Prefers the loopback line, but never waits for one: every line of a block carries the same token.
#[derive(Default)]
pub struct UrlWatcher {
    seen: Vec<String>,
}

impl UrlWatcher {
    pub fn feed(&mut self, line: &str) -> Option<ServerUrl> {
        let clean = strip_ansi(line);
        self.seen.push(clean.clone());
        parse_line(&clean)
    }

    /// The last lines seen, for error messages.
    pub fn tail(&self, n: usize) -> Vec<String> {
        self.seen[self.seen.len().saturating_sub(n)..].to_vec()
    }
}

/// The URL in a whole log (the last one printed: a restarted server prints a new one).
pub fn find_url(log: &str) -> Option<ServerUrl> {
    let mut found: Option<ServerUrl> = None;
    for line in log.lines() {
        if let Some(url) = parse_line(line) {
            let loopback = url.host == "127.0.0.1" || url.host == "[::1]";
            let replaces = match &found {
                None => true,
                Some(prev) => prev.token != url.token || loopback,
            };
            if replaces {
                found = Some(url);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "8c71703997602d092f14881b8ed9a01ec8c1f0d93765d81e";

    /// Golden files: each `test_data/logs/NAME.log` is a recorded or reconstructed server log (the
    /// README there says which) and `expected.txt` names what the parser must find in it: the URL
    /// for host port 49153, the kind of token and the container port the server printed.
    #[test]
    fn golden_logs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/logs");
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut checked = Vec::new();
        for line in expected
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (file, want) = line.split_once(" => ").unwrap();
            let file = file.trim();
            let log = std::fs::read_to_string(dir.join(file)).unwrap();
            let found = find_url(&log);
            let mut want = want.split(" ; ");
            let got = found
                .as_ref()
                .map(|u| u.on_host(49153))
                .unwrap_or_else(|| "none".into());
            assert_eq!(got, want.next().unwrap().trim(), "{file}");
            let details: Vec<&str> = want.collect();
            if let Some(url) = &found {
                let kind = match url.token {
                    Token::Hex(_) => "hex",
                    Token::Configured => "configured",
                    Token::None => "none",
                };
                assert_eq!(
                    details,
                    [
                        format!("token={kind}"),
                        format!(
                            "port={}",
                            url.port.map(|p| p.to_string()).unwrap_or_default()
                        )
                    ],
                    "{file}"
                );
            } else {
                assert!(
                    details.is_empty(),
                    "{file}: nothing found, yet {details:?} expected"
                );
            }
            assert!(
                readme.contains(&format!("`{file}`")),
                "{file} is not in test_data/logs/README.md (recorded or reconstructed?)"
            );
            checked.push(file.to_string());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".log") || checked.contains(&name),
                "{name} is not in expected.txt"
            );
        }
        assert!(checked.len() >= 18, "only {} golden logs", checked.len());
    }

    /// A token the person configured and no token at all print the same URL: the kind tells them apart.
    #[test]
    fn configured_and_disabled_tokens_differ() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/logs");
        let kind = |file: &str| {
            find_url(&std::fs::read_to_string(dir.join(file)).unwrap())
                .unwrap()
                .token
        };
        assert_eq!(kind("token-configured.log"), Token::Configured);
        assert_eq!(kind("token-disabled.log"), Token::None);
    }

    #[test]
    fn lines_that_are_not_urls() {
        for line in [
            "[I 2026-11-26 14:56:44.210 ServerApp] Serving notebooks from local directory: /home/jovyan",
            "        file:///home/jovyan/.local/share/jupyter/runtime/jpserver-6-open.html",
            "[W 2026 ServerApp] WARNING: The Jupyter server is listening on all IP addresses",
            "see http://example.org/docs for more",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }

    #[test]
    fn ansi_and_crlf() {
        let line = format!("\x1b[32m[I 10:00:00.123 ServerApp]\x1b(B\x1b[m     http://127.0.0.1:8888/lab?token={TOKEN}\r");
        let url = parse_line(&line).unwrap();
        assert_eq!(url.token, Token::Hex(TOKEN.into()));
        assert_eq!(
            url.on_host(8888),
            format!("http://127.0.0.1:8888/lab?token={TOKEN}")
        );
    }

    #[test]
    fn short_or_uppercase_tokens_are_not_tokens() {
        assert_eq!(
            parse_line("http://127.0.0.1:8888/lab?token=abc")
                .unwrap()
                .token,
            Token::None
        );
        let upper = TOKEN.to_uppercase();
        assert_eq!(
            parse_line(&format!("http://127.0.0.1:8888/lab?token={upper}"))
                .unwrap()
                .token,
            Token::None
        );
    }

    #[test]
    fn watcher_keeps_a_tail() {
        let mut w = UrlWatcher::default();
        for i in 0..40 {
            assert!(w.feed(&format!("line {i}")).is_none());
        }
        assert_eq!(w.tail(30).len(), 30);
        assert_eq!(w.tail(30)[29], "line 39");
        assert!(w
            .feed(&format!("    http://localhost:8888/lab?token={TOKEN}"))
            .is_some());
    }
}
