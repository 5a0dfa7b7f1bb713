//! `up` hardened (issues 12 and 14): paths that would reach another folder, races for one name,
//! signals at any moment, linked folders, panics, volumes left by failures, messages that must be
//! true, a changed request, a chosen token. Each test failed before the fix it proves.

mod support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use support::*;

// The tests by what they are about, in files of their own (the binary is still `hardening`).
#[path = "hardening/changes.rs"]
mod changes;
#[path = "hardening/failures.rs"]
mod failures;
#[path = "hardening/messages.rs"]
mod messages;
#[path = "hardening/paths.rs"]
mod paths;
#[path = "hardening/signals.rs"]
mod signals;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// Whether it exists: only Docker saying "no such" counts as gone (an engine error fails the test).
fn exists(kind: &str, name: &str) -> bool {
    !is_gone(kind, name)
}

fn container_id(name: &str) -> String {
    docker_ok(&["inspect", "--format", "{{.Id}}", name])
}

fn mounts(name: &str) -> serde_json::Value {
    serde_json::from_str(&docker_ok(&[
        "inspect",
        "--format",
        "{{json .Mounts}}",
        name,
    ]))
    .unwrap()
}

fn mount_at<'a>(mounts: &'a serde_json::Value, target: &str) -> &'a serde_json::Value {
    mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == target)
        .unwrap_or_else(|| panic!("nothing mounted at {target}: {mounts}"))
}

/// `cargo xtask ARGS` as a child process, with the test run's id.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("xtask"));
    cmd.args(args)
        .env(RUN_ID_ENV, run_id())
        .env_remove("JUPYTER_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// `cargo xtask up ARGS`, whatever its exit.
fn up(args: &[&str]) -> Output {
    xtask()
        .arg("up")
        .args(args)
        .env_remove("JUPYTER_TOKEN")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn succeeded(out: &Output) -> &Output {
    assert!(out.status.success(), "up failed:\n{}", stderr(out));
    out
}

/// An empty temporary folder the container's user can enter.
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    dir
}

/// A folder holding the notebooks, readable by the container's user.
fn notebooks_in(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks/computation.ipynb"),
        dir.join("computation.ipynb"),
    )
    .unwrap();
    chmod(dir, 0o755);
}

/// Issue 12.3: five `up` for one name at once: one container, every one of them prints its URL,
/// one volume, kept; nothing else left.
#[test]
fn five_ups_for_one_name_make_one_container() {
    images();
    let name = unique("jdx-race");
    let _v = Guard::volume(&name);
    let _c = Guard::container(&name);
    let notebooks = notebooks_copy();
    let dir = notebooks.path().to_str().unwrap().to_string();
    let children: Vec<Child> = (0..5)
        .map(|_| {
            spawn(
                &[
                    "up",
                    "--name",
                    &name,
                    "--volume",
                    &name,
                    "--port",
                    "0",
                    "--notebooks",
                    &dir,
                ],
                &[],
            )
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut urls = Vec::new();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "an up failed:\n{}", stderr(out));
        urls.push(stdout(out));
    }
    urls.dedup();
    assert_eq!(urls.len(), 1, "different URLs: {urls:?}");
    let port: u16 = urls[0]
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        http_status(port, "/api/status", Some(&token_of(&urls[0]))),
        200
    );

    let filter = format!("label={RUN_LABEL_KEY}={}", run_id());
    let containers = docker_ok(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(containers, name, "stray containers");
    let volumes = docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &filter,
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(volumes, name, "the volume was lost, or others made");
}
