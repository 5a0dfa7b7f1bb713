//! Faults: bad input, and the engine gone at a spawn.

use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::client::*;
use super::support::*;
use super::Hub;

#[test]
fn a_bad_user_name_is_one_error_and_nothing_is_made() {
    let hub = Hub::unique();
    for bad in ["Alice", "bob smith", "x/../y", "-v"] {
        let err = the_error(&hub.cmd(&["add-user", "--", bad]));
        assert!(err.contains("invalid user name"), "{err}");
    }
    // No hub, no volume, no network came of it.
    assert!(is_gone("container", &hub.name));
    assert!(is_gone("volume", &format!("{}-state", hub.name)));
    assert!(is_gone("network", &format!("{}-net", hub.name)));
    let err = the_error(&hub.cmd(&["add-user", "carol"]));
    assert!(
        err.contains("is not running") && err.contains("hub up"),
        "{err}"
    );
}

/// A unix socket in front of the engine's: while open it forwards each connection; while closed
/// it takes connections and drops them at once, which is the engine gone as a client sees it.
struct Gate {
    open: Arc<AtomicBool>,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Gate {
    fn new() -> Gate {
        let engine = std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|h| h.strip_prefix("unix://").map(String::from))
            .unwrap_or_else(|| "/var/run/docker.sock".into());
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let path = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let gate = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !gate.load(Ordering::SeqCst) {
                    continue;
                }
                if let Ok(upstream) = UnixStream::connect(&engine) {
                    pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    pipe(upstream, client);
                }
            }
        });
        Gate {
            open,
            path,
            _dir: dir,
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    fn set(&self, open: bool) {
        self.open.store(open, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` in a thread of its own; at the end, closes `to` for writing.
fn pipe(mut from: UnixStream, mut to: UnixStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

#[test]
fn the_engine_gone_at_a_spawn_is_one_line_and_nothing_half_made() {
    let gate = Gate::new();
    let mut hub = Hub::unique();
    hub.host = Some(gate.host());
    let port = hub.up("600");
    let password = add_user(&hub, "carol");
    let token = log_in(&hub, port, "carol", &password);

    gate.set(false);
    let path = "/hub/api/users/carol/server";
    let (code, body) = api(&hub, port, &token, "POST", path, "");
    assert!(code >= 400, "a spawn with no engine fails: {code} {body}");
    // The user's page learns why from the spawn's progress, in one line.
    let (_, progress) = api(&hub, port, &token, "GET", &format!("{path}/progress"), "");
    assert!(
        progress.contains("does not answer the hub"),
        "{body}\n{progress}"
    );
    let log = text(&docker(&["logs", &hub.name]));
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the Docker engine did not answer the hub"))
        .collect();
    assert_eq!(said.len(), 1, "one line in the hub's log:\n{log}");
    // Nothing half-made: no server, no volume.
    assert!(is_gone("container", &hub.server("carol")));
    assert!(is_gone("volume", &hub.volume("carol")));

    // The engine back: the same user starts their server.
    gate.set(true);
    start_server(&hub, port, "carol", &token);
    assert_eq!(
        write_file(&hub, port, &token, "carol", "c.txt", "back"),
        201
    );
}

#[test]
fn public_without_tls_is_one_error_and_nothing_is_made() {
    let hub = Hub::unique();
    let err = the_error(&hub.cmd(&["up", "--public"]));
    assert!(
        err.contains("--public") && err.contains("--ssl-cert FILE and --ssl-key FILE"),
        "{err}"
    );
    let err = the_error(&hub.cmd(&["up", "--ssl-cert", "/nonexistent.pem"]));
    assert!(err.contains("go together"), "{err}");
    let err = the_error(&hub.cmd(&[
        "up",
        "--public",
        "--ssl-cert",
        "/nonexistent.pem",
        "--ssl-key",
        "/nonexistent.key",
    ]));
    assert!(err.contains("/nonexistent.pem is not a file"), "{err}");
    assert!(is_gone("container", &hub.name));
    assert!(is_gone("volume", &format!("{}-state", hub.name)));
    assert!(is_gone("network", &format!("{}-net", hub.name)));
}
