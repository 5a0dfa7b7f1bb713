//! `hub up --public`: the hub on every interface of the machine, over TLS only, with the
//! certificate given (here a self-signed one for `localhost`, made for the test).

use std::process::Command;

use super::support::*;
use super::Hub;

/// A self-signed certificate and key for `localhost` in a private folder.
fn certificate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .output()
        .expect("openssl on the host");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    dir
}

fn curl_status(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn public_serves_https_only_with_the_certificate_given() {
    let tls = certificate();
    let cert = tls.path().join("cert.pem").display().to_string();
    let key = tls.path().join("key.pem").display().to_string();
    let hub = Hub::unique();
    let url = hub.ok(&[
        "up",
        "--volume-prefix",
        &hub.prefix,
        "--public",
        "--ssl-cert",
        &cert,
        "--ssl-key",
        &key,
    ]);
    let url = url.lines().last().unwrap().to_string();
    assert!(
        url.starts_with("https://") && url.ends_with("/hub/"),
        "{url}"
    );
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/hub/")
        .to_string();
    // Every interface, not only loopback.
    let bindings = docker_ok(&["port", &hub.name, "8000/tcp"]);
    assert!(
        bindings.lines().any(|l| l.starts_with("0.0.0.0:")),
        "{bindings}"
    );
    // The certificate served is the one given: verified against it, by the name it carries.
    let api = format!("https://localhost:{port}/hub/api");
    assert_eq!(curl_status(&["--cacert", &cert, &api]), "200");
    // No plain HTTP.
    assert_ne!(
        curl_status(&[&format!("http://127.0.0.1:{port}/hub/api")]),
        "200"
    );
    // The key is in no log and no `docker inspect`.
    let secret = std::fs::read_to_string(tls.path().join("key.pem")).unwrap();
    let body = secret.lines().nth(1).unwrap();
    let logs = text(&docker(&["logs", &hub.name]));
    assert!(!logs.contains(body) && !docker_ok(&["inspect", &hub.name]).contains(body));
}
