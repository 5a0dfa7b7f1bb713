//! The hub's HTTP side as a browser and a script use it: curl on the host, with a cookie jar per
//! user, the request body (a password) on stdin.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::support::*;
use super::Hub;

/// curl on the host, its request body on stdin (a password never on a command line); the status
/// code and the body.
pub fn curl(jar: &std::path::Path, args: &[&str], body: &str) -> (u16, String) {
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
pub fn log_in(hub: &Hub, port: u16, user: &str, password: &str) -> String {
    let jar = hub.jar.path().join(user);
    let _ = std::fs::remove_dir_all(&jar);
    std::fs::create_dir_all(&jar).unwrap();
    let base = format!("http://{}:{port}", hub.addr);
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
pub fn api(
    hub: &Hub,
    port: u16,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
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
    args.push(format!("http://{}:{port}{path}", hub.addr));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&jar, &args, body)
}

/// Starts `user`'s server through the REST API and waits until the hub says it is ready.
pub fn start_server(hub: &Hub, port: u16, user: &str, token: &str) {
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

pub fn contents(user: &str, file: &str) -> String {
    format!("/user/{user}/api/contents/outputs/{file}")
}

pub fn write_file(hub: &Hub, port: u16, token: &str, user: &str, file: &str, text: &str) -> u16 {
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

pub fn read_file(hub: &Hub, port: u16, token: &str, user: &str, file: &str) -> (u16, String) {
    let (code, body) = api(hub, port, token, "GET", &contents(user, file), "");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    (
        code,
        json["content"].as_str().unwrap_or_default().to_string(),
    )
}

pub fn add_user(hub: &Hub, user: &str) -> String {
    let password = hub.ok(&["add-user", user]);
    assert_eq!(password.len(), 20, "one line: the password");
    password
}
