//! `cargo xtask hub`, end to end against the real engine: two users log in through the hub's
//! login form as a browser does, get a token from the hub's REST API with that session, start their
//! servers, write into their outputs through the proxy and cannot read or write the other's; the
//! hub goes down (the volumes stay) and comes up again, both find their data; an idle server is
//! stopped by the culler and its volume kept; bad input leaves nothing behind.

mod support;

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;

/// One hub of this test run, removed with all its volumes when dropped (also on panic).
struct Hub {
    name: String,
    prefix: String,
    jar: tempfile::TempDir,
    /// `DOCKER_HOST` for the xtask (a gate's socket), else the environment's.
    host: Option<String>,
}

impl Hub {
    fn new() -> Hub {
        Hub {
            name: unique("jdx-hub"),
            prefix: unique("jdx-hubvol"),
            jar: tempfile::tempdir().unwrap(),
            host: None,
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = xtask();
        if let Some(host) = &self.host {
            cmd.env("DOCKER_HOST", host);
        }
        cmd.args(["hub", "--name", &self.name])
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "hub {args:?} failed:\n{stderr}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `hub up`; the port of the URL it prints.
    fn up(&self, cull_timeout: &str) -> u16 {
        let url = self.ok(&[
            "up",
            "--volume-prefix",
            &self.prefix,
            "--cull-timeout",
            cull_timeout,
            "--memory",
            "1g",
        ]);
        let url = url.lines().last().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/hub/"),
            "{url}"
        );
        url["http://127.0.0.1:".len()..url.len() - "/hub/".len()]
            .parse()
            .unwrap()
    }

    fn volume(&self, user: &str) -> String {
        format!("{}-{user}", self.prefix)
    }

    fn server(&self, user: &str) -> String {
        format!("{}-{user}", self.name)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if keep_requested() {
            eprintln!("keeping hub {} ({KEEP_ENV} is set)", self.name);
            return;
        }
        let _ = self.cmd(&["down", "-v", "--yes"]);
    }
}

/// curl on the host, its request body on stdin (a password never on a command line); the status
/// code and the body.
fn curl(jar: &std::path::Path, args: &[&str], body: &str) -> (u16, String) {
    let out_file = jar.join("body");
    let mut child = Command::new("curl")
        .args(["-s", "-o"])
        .arg(&out_file)
        .args(["-w", "%{http_code}", "-c"])
        .arg(jar.join("cookies"))
        .arg("-b")
        .arg(jar.join("cookies"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl on the host");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let code = String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0);
    (code, std::fs::read_to_string(out_file).unwrap_or_default())
}

/// Logs in through the login form, as a browser posts it, then asks the REST API for a token with
/// that session (the Referer a browser sends); the token.
fn log_in(hub: &Hub, port: u16, user: &str, password: &str) -> String {
    let jar = hub.jar.path().join(user);
    let _ = std::fs::remove_dir_all(&jar);
    std::fs::create_dir_all(&jar).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let (code, _) = curl(&jar, &[&format!("{base}/hub/login")], "");
    assert_eq!(code, 200, "the login page");
    let form = format!("username={user}&password={password}");
    let (code, _) = curl(
        &jar,
        &["--data-binary", "@-", &format!("{base}/hub/login")],
        &form,
    );
    assert_eq!(
        code, 302,
        "{user}'s login is accepted (a redirect to their server)"
    );
    let (code, body) = curl(
        &jar,
        &[
            "-H",
            &format!("Referer: {base}/hub/token"),
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@-",
            &format!("{base}/hub/api/users/{user}/tokens"),
        ],
        r#"{"note": "hub test", "expires_in": 3600}"#,
    );
    assert_eq!(code, 201, "a token for {user}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["token"].as_str().unwrap().to_string()
}

/// A request with a token (as a script or the JupyterLab client sends it); status and body.
fn api(hub: &Hub, port: u16, token: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let jar = hub.jar.path().join("api");
    std::fs::create_dir_all(&jar).unwrap();
    let _ = std::fs::remove_file(jar.join("cookies"));
    let mut args = vec![
        "-X".to_string(),
        method.to_string(),
        "-H".into(),
        format!("Authorization: token {token}"),
    ];
    if !body.is_empty() {
        args.extend(["--data-binary".into(), "@-".into()]);
    }
    args.push(format!("http://127.0.0.1:{port}{path}"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&jar, &args, body)
}

/// Starts `user`'s server through the REST API and waits until the hub says it is ready.
fn start_server(hub: &Hub, port: u16, user: &str, token: &str) {
    let path = format!("/hub/api/users/{user}/server");
    let (code, body) = api(hub, port, token, "POST", &path, "");
    assert!(
        code == 201 || code == 202,
        "starting {user}'s server: {code} {body}"
    );
    wait_until(
        Duration::from_secs(120),
        &format!("{user}'s server ready"),
        || {
            let (_, body) = api(
                hub,
                port,
                token,
                "GET",
                &format!("/hub/api/users/{user}"),
                "",
            );
            let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            json["servers"][""]["ready"].as_bool() == Some(true)
        },
    );
}

fn contents(user: &str, file: &str) -> String {
    format!("/user/{user}/api/contents/outputs/{file}")
}

fn write_file(hub: &Hub, port: u16, token: &str, user: &str, file: &str, text: &str) -> u16 {
    let body = serde_json::json!({"type": "file", "format": "text", "content": text});
    api(
        hub,
        port,
        token,
        "PUT",
        &contents(user, file),
        &body.to_string(),
    )
    .0
}

fn read_file(hub: &Hub, port: u16, token: &str, user: &str, file: &str) -> (u16, String) {
    let (code, body) = api(hub, port, token, "GET", &contents(user, file), "");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    (
        code,
        json["content"].as_str().unwrap_or_default().to_string(),
    )
}

fn add_user(hub: &Hub, user: &str) -> String {
    let password = hub.ok(&["add-user", user]);
    assert_eq!(password.len(), 20, "one line: the password");
    password
}

#[test]
fn two_users_each_with_their_own_server_and_volume() {
    let hub = Hub::new();
    let port = hub.up("600");
    let users = ["alice", "bob"];
    let passwords: Vec<String> = users.iter().map(|u| add_user(&hub, u)).collect();
    assert_ne!(passwords[0], passwords[1]);
    let err = the_error(&hub.cmd(&["add-user", "alice"]));
    assert!(err.contains("user alice exists"), "{err}");
    // A wrong password is refused like an unknown user: no redirect to a server.
    let jar = hub.jar.path().join("wrong");
    std::fs::create_dir_all(&jar).unwrap();
    let login = format!("http://127.0.0.1:{port}/hub/login");
    let (code, _) = curl(
        &jar,
        &["--data-binary", "@-", &login],
        "username=alice&password=nope",
    );
    assert_ne!(code, 302, "a wrong password logs nobody in");

    let tokens: Vec<String> = users
        .iter()
        .zip(&passwords)
        .map(|(u, p)| log_in(&hub, port, u, p))
        .collect();
    for (user, token) in users.iter().zip(&tokens) {
        start_server(&hub, port, user, token);
        let text = format!("{user}'s result");
        assert_eq!(
            write_file(&hub, port, token, user, &format!("{user}.txt"), &text),
            201
        );
        assert_eq!(
            read_file(&hub, port, token, user, &format!("{user}.txt")),
            (200, text)
        );
    }
    // Neither reaches the other's server: no reading, no writing.
    let (alice, bob) = (&tokens[0], &tokens[1]);
    assert_eq!(read_file(&hub, port, alice, "bob", "bob.txt").0, 403);
    assert_eq!(
        write_file(&hub, port, alice, "bob", "x.txt", "intruder"),
        403
    );
    assert_eq!(read_file(&hub, port, bob, "alice", "alice.txt").0, 403);
    // And alice's server has only her own volume.
    assert_eq!(read_file(&hub, port, alice, "alice", "bob.txt").0, 404);

    check_server_contract(&hub, "alice");
    // On each user's own volume, with the project's labels and this run's.
    for user in users {
        let out = docker_ok(&[
            "run",
            "--rm",
            "-v",
            &format!("{}:/o", hub.volume(user)),
            "--entrypoint",
            "cat",
            &hub_image(&hub),
            &format!("/o/{user}.txt"),
        ]);
        assert_eq!(out, format!("{user}'s result"));
        let labels = docker_ok(&[
            "volume",
            "inspect",
            "-f",
            "{{json .Labels}}",
            &hub.volume(user),
        ]);
        assert!(
            labels.contains(&format!("\"{MANAGED}\"").replace('=', "\":\"")),
            "{labels}"
        );
        assert!(labels.contains(run_id()), "{labels}");
    }

    // Down without -v: the servers and the hub go, every volume stays.
    let said = hub.ok(&["down"]);
    assert!(said.contains("kept"), "{said}");
    for user in users {
        assert!(is_gone("container", &hub.server(user)));
        assert!(
            !is_gone("volume", &hub.volume(user)),
            "{user}'s volume stays"
        );
    }
    assert!(is_gone("container", &hub.name));
    assert!(!is_gone("volume", &format!("{}-state", hub.name)));

    // Up again, with a short idle timeout: both log in with the same password and find their data.
    let port = hub.up("30");
    let tokens: Vec<String> = users
        .iter()
        .zip(&passwords)
        .map(|(u, p)| log_in(&hub, port, u, p))
        .collect();
    for (user, token) in users.iter().zip(&tokens) {
        start_server(&hub, port, user, token);
        let got = read_file(&hub, port, token, user, &format!("{user}.txt"));
        assert_eq!(got, (200, format!("{user}'s result")));
    }
    // Idle: the culler stops the servers, the volumes stay.
    wait_until(Duration::from_secs(150), "the idle servers stopped", || {
        users.iter().all(|u| is_gone("container", &hub.server(u)))
    });
    for user in users {
        assert!(
            !is_gone("volume", &hub.volume(user)),
            "{user}'s volume stays"
        );
    }

    // -v with no terminal and no --yes removes nothing.
    let err = the_error(&hub.cmd(&["down", "-v"]));
    assert!(err.contains("pass --yes"), "{err}");
    assert!(!is_gone("volume", &hub.volume("alice")));
    hub.ok(&["down", "-v", "--yes"]);
    for user in users {
        assert!(is_gone("volume", &hub.volume(user)));
    }
    assert!(is_gone("volume", &format!("{}-state", hub.name)));
    assert!(is_gone("network", &format!("{}-net", hub.name)));
}

/// The image of the hub's container (to read a volume with: it has `cat`).
fn hub_image(hub: &Hub) -> String {
    docker_ok(&["inspect", "-f", "{{.Config.Image}}", &hub.name])
}

/// `up`'s contract on a user's server: the notebook user, no-new-privileges, limits, the
/// notebooks read-only, the hub's network only.
fn check_server_contract(hub: &Hub, user: &str) {
    let server = hub.server(user);
    let format = "{{.Config.User}}|{{.HostConfig.SecurityOpt}}|{{.HostConfig.Memory}}|{{.HostConfig.CpuQuota}}|{{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}|{{range $n, $_ := .NetworkSettings.Networks}}{{$n}}{{end}}";
    let got = docker_ok(&["inspect", "-f", format, &server]);
    let [user_id, security, memory, quota, mounts, networks]: [&str; 6] =
        got.split('|').collect::<Vec<_>>().try_into().unwrap();
    assert_eq!(user_id, "1000:100");
    assert!(security.contains("no-new-privileges"), "{security}");
    assert_eq!(memory, (1u64 << 30).to_string());
    assert_eq!(quota, "100000", "one CPU");
    assert!(
        mounts.contains("/work:false") && mounts.contains("/work/outputs:true"),
        "{mounts}"
    );
    assert_eq!(networks, format!("{}-net", hub.name));
    let bindings = docker_ok(&["port", &hub.name]);
    assert!(
        bindings.lines().all(|l| l.contains("127.0.0.1:")),
        "{bindings}"
    );
}

#[test]
fn a_bad_user_name_is_one_error_and_nothing_is_made() {
    let hub = Hub::new();
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
    let mut hub = Hub::new();
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
