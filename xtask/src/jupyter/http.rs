//! A minimal HTTP/1.0 GET over loopback, enough to ask a Jupyter server `/api/status` (no TLS).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// How long a claim's probe waits for a server's answer: a loaded 2-core machine's first answers
/// take many seconds, and a timeout is no answer, not a refusal.
pub const CLAIM_WAIT: Duration = Duration::from_secs(30);

/// [`get_status`] for a claim's evidence: the status, or None when no answer came in [`CLAIM_WAIT`].
/// A refused or reset connection is asked again until then (a published port can refuse for a
/// moment while the container's network settles): only an HTTP answer is a verdict.
pub fn status_for_claim(port: u16, path: &str, token: Option<&str>) -> Option<u16> {
    let deadline = std::time::Instant::now() + CLAIM_WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match get_status(port, path, token, left.max(Duration::from_millis(100))) {
            Ok(code) => return Some(code),
            Err(_) if left > Duration::from_millis(250) => {
                std::thread::sleep(Duration::from_millis(250))
            }
            Err(_) => return None,
        }
    }
}

/// Status code of `GET path` on `127.0.0.1:port`, with `token` as Jupyter's Authorization header.
pub fn get_status(port: u16, path: &str, token: Option<&str>, timeout: Duration) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout)
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let auth = token
        .map(|t| format!("Authorization: token {t}\r\n"))
        .unwrap_or_default();
    // One write: `write!` on an unbuffered stream sends each piece of the format separately.
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    parse_status(&String::from_utf8_lossy(&head[..n]))
}

/// `HTTP/1.1 403 Forbidden` -> 403.
pub fn parse_status(head: &str) -> Result<u16> {
    let mut parts = head.split_whitespace();
    match (parts.next(), parts.next().and_then(|c| c.parse().ok())) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ => bail!("not an HTTP response: {head:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status("HTTP/1.1 200 OK\r\nServer: x").unwrap(), 200);
        assert_eq!(parse_status("HTTP/1.0 403 Forbidden").unwrap(), 403);
        assert!(parse_status("SSH-2.0-OpenSSH").is_err());
    }

    #[test]
    fn talks_to_a_real_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            // Read up to the blank line that ends the headers, however the bytes arrive.
            let mut request = String::new();
            let mut buf = [0u8; 512];
            while !request.contains("\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            request
        });
        assert_eq!(
            get_status(port, "/api/status", Some("abc"), Duration::from_secs(2)).unwrap(),
            200
        );
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /api/status HTTP/1.0"));
        assert!(request.contains("Authorization: token abc"));
    }
}
