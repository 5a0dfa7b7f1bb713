//! `cargo xtask hub`, end to end against the real engine: two users log in through the hub's
//! login form as a browser does, get a token from the hub's REST API with that session, start their
//! servers, write into their outputs through the proxy and cannot read or write the other's; the
//! hub goes down (the volumes stay) and comes up again, both find their data; an idle server is
//! stopped by the culler and its volume kept; bad input leaves nothing behind.

mod support;

use std::time::Duration;

use support::*;

// The HTTP client and the fault tests, in files of their own (the binary is still `hub`).
#[path = "hub/client.rs"]
mod client;
#[path = "hub/faults.rs"]
mod faults;
#[path = "hub/public.rs"]
mod public;
#[path = "hub/swarm.rs"]
mod swarm;

use client::*;

/// One hub of this test run, removed with all its volumes when dropped (also on panic).
pub struct Hub {
    pub name: String,
    pub prefix: String,
    pub jar: tempfile::TempDir,
    /// `DOCKER_HOST` for the xtask (a gate's socket), else the environment's.
    pub host: Option<String>,
    /// The engine the hub lives on, for the clean-up (a swarm's manager), else the environment's.
    pub home: Option<String>,
    /// Where the tests reach the hub's port (a swarm manager's forward, else this machine).
    pub addr: String,
}

impl Hub {
    pub fn unique() -> Hub {
        Hub {
            name: unique("jdx-hub"),
            prefix: unique("jdx-hubvol"),
            jar: tempfile::tempdir().unwrap(),
            host: None,
            home: None,
            addr: "127.0.0.1".into(),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = xtask();
        if let Some(host) = &self.host {
            cmd.env("DOCKER_HOST", host);
        }
        cmd.args(["hub", "--name", &self.name])
            .args(args)
            .output()
            .unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "hub {args:?} failed:\n{stderr}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `hub up`; the port of the URL it prints.
    pub fn up(&self, cull_timeout: &str) -> u16 {
        self.up_with(cull_timeout, &["--memory", "1g"])
    }

    /// `hub up` with more options.
    pub fn up_with(&self, cull_timeout: &str, more: &[&str]) -> u16 {
        let mut args = vec![
            "up",
            "--volume-prefix",
            &self.prefix,
            "--cull-timeout",
            cull_timeout,
        ];
        args.extend(more);
        let url = self.ok(&args);
        let url = url.lines().last().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/hub/"),
            "{url}"
        );
        url["http://127.0.0.1:".len()..url.len() - "/hub/".len()]
            .parse()
            .unwrap()
    }

    pub fn volume(&self, user: &str) -> String {
        format!("{}-{user}", self.prefix)
    }

    pub fn server(&self, user: &str) -> String {
        format!("{}-{user}", self.name)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if keep_requested() {
            eprintln!("keeping hub {} ({KEEP_ENV} is set)", self.name);
            return;
        }
        // Straight to the engine: a test that failed may have left its gate closed.
        self.host = self.home.clone();
        let _ = self.cmd(&["down", "-v", "--yes"]);
    }
}

const USERS: [&str; 2] = ["alice", "bob"];

#[test]
fn two_users_each_with_their_own_server_and_volume() {
    let hub = Hub::unique();
    let port = hub.up("600");
    // Asked again the same: the same hub, the same URL.
    assert_eq!(hub.up("600"), port, "an unchanged `hub up` keeps the hub");
    let passwords = accounts(&hub, port);
    let tokens: Vec<String> = USERS
        .iter()
        .zip(&passwords)
        .map(|(u, p)| log_in(&hub, port, u, p))
        .collect();
    for (user, token) in USERS.iter().zip(&tokens) {
        start_server(&hub, port, user, token);
        let text = format!("{user}'s result");
        let file = format!("{user}.txt");
        assert_eq!(write_file(&hub, port, token, user, &file, &text), 201);
        assert_eq!(read_file(&hub, port, token, user, &file), (200, text));
    }
    // Neither reaches the other's server: no reading, no writing.
    let (alice, bob) = (&tokens[0], &tokens[1]);
    assert_eq!(read_file(&hub, port, alice, "bob", "bob.txt").0, 403);
    let intruder = write_file(&hub, port, alice, "bob", "x.txt", "intruder");
    assert_eq!(intruder, 403);
    assert_eq!(read_file(&hub, port, bob, "alice", "alice.txt").0, 403);
    // And alice's server has only her own volume.
    assert_eq!(read_file(&hub, port, alice, "alice", "bob.txt").0, 404);
    check_server_contract(&hub, "alice");
    check_volumes(&hub);
    check_no_password_shows(&hub, &passwords);

    // Down without -v: the servers and the hub go, every volume stays.
    let said = hub.ok(&["down"]);
    assert!(said.contains("kept"), "{said}");
    for user in USERS {
        assert!(is_gone("container", &hub.server(user)));
        assert!(!is_gone("volume", &hub.volume(user)), "{user}'s volume");
    }
    assert!(is_gone("container", &hub.name));
    assert!(!is_gone("volume", &format!("{}-state", hub.name)));

    restart_find_data_and_cull(&hub, &passwords);
    down_with_volumes(&hub);
}

/// Two accounts; a name taken and a wrong password refused. Their passwords.
fn accounts(hub: &Hub, port: u16) -> Vec<String> {
    let passwords: Vec<String> = USERS.iter().map(|u| add_user(hub, u)).collect();
    assert_ne!(passwords[0], passwords[1]);
    let err = the_error(&hub.cmd(&["add-user", "alice"]));
    assert!(err.contains("user alice exists"), "{err}");
    // A wrong password is refused like an unknown user: no redirect to a server.
    let jar = hub.jar.path().join("wrong");
    std::fs::create_dir_all(&jar).unwrap();
    let login = format!("http://{}:{port}/hub/login", hub.addr);
    let wrong = "username=alice&password=nope";
    let (code, _) = curl(&jar, &["--data-binary", "@-", &login], wrong);
    assert_ne!(code, 302, "a wrong password logs nobody in");
    passwords
}

/// The passwords are in no log (the hub's, the servers') and no `docker inspect`.
fn check_no_password_shows(hub: &Hub, passwords: &[String]) {
    for container in [hub.name.clone(), hub.server("alice"), hub.server("bob")] {
        let log = text(&docker(&["logs", &container]));
        let inspect = docker_ok(&["inspect", &container]);
        assert!(log.len() > 100, "{container} logged something");
        for password in passwords {
            assert!(
                !log.contains(password.as_str()),
                "a password in {container}'s log"
            );
            assert!(
                !inspect.contains(password.as_str()),
                "a password in {container}"
            );
        }
    }
}

/// Each user's file on their own volume, which carries the project's labels and this run's.
fn check_volumes(hub: &Hub) {
    for user in USERS {
        let mount = format!("{}:/o", hub.volume(user));
        let file = format!("/o/{user}.txt");
        let image = hub_image(hub);
        let out = docker_ok(&[
            "run",
            "--rm",
            "-v",
            &mount,
            "--entrypoint",
            "cat",
            &image,
            &file,
        ]);
        assert_eq!(out, format!("{user}'s result"));
        let format = "{{json .Labels}}";
        let labels = docker_ok(&["volume", "inspect", "-f", format, &hub.volume(user)]);
        assert!(
            labels.contains("\"jupyter-docker-xtask.managed\":\"true\""),
            "{labels}"
        );
        assert!(labels.contains(run_id()), "{labels}");
    }
}

/// Up again with a short idle timeout: both log in with the same password and find their data;
/// then the culler stops the idle servers, and the volumes stay.
fn restart_find_data_and_cull(hub: &Hub, passwords: &[String]) {
    let port = hub.up("30");
    let tokens: Vec<String> = USERS
        .iter()
        .zip(passwords)
        .map(|(u, p)| log_in(hub, port, u, p))
        .collect();
    for (user, token) in USERS.iter().zip(&tokens) {
        start_server(hub, port, user, token);
        let got = read_file(hub, port, token, user, &format!("{user}.txt"));
        assert_eq!(got, (200, format!("{user}'s result")));
    }
    wait_until(Duration::from_secs(150), "the idle servers stopped", || {
        USERS.iter().all(|u| is_gone("container", &hub.server(u)))
    });
    for user in USERS {
        assert!(!is_gone("volume", &hub.volume(user)), "{user}'s volume");
    }
}

/// -v with no terminal and no --yes removes nothing; with --yes, everything.
fn down_with_volumes(hub: &Hub) {
    let err = the_error(&hub.cmd(&["down", "-v"]));
    assert!(err.contains("pass --yes"), "{err}");
    assert!(!is_gone("volume", &hub.volume("alice")));
    hub.ok(&["down", "-v", "--yes"]);
    for user in USERS {
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
