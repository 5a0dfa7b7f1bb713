//! Faults and bad input: each gives one clear error, a non-zero exit, nothing half-made, and the
//! named volume's earlier data still reads back byte for byte.

mod support;

use std::path::Path;

use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// A labelled volume holding `earlier.txt`; returns its sha256.
fn volume_with_earlier_data(volume: &str) -> String {
    let mut create = vec!["volume", "create"];
    let labels = labels();
    create.extend(labels.iter().map(String::as_str));
    create.push(volume);
    docker_ok(&create);
    // Owned by the notebook user, as a volume that an earlier `up` made would be.
    volume_read(volume, "head -c 4096 /dev/urandom > /o/earlier.txt && chown -R 1000:100 /o && sha256sum /o/earlier.txt")
}

/// Runs a shell script in a throwaway container with the volume at /o; the first word of its last line.
fn volume_read(volume: &str, script: &str) -> String {
    let mount = format!("{volume}:/o");
    let out = docker_ok(&["run", "--rm", "--label", MANAGED, "--user", "0", "--entrypoint", "sh", "-v", &mount, IMAGE, "-c", script]);
    out.lines().last().unwrap().split_whitespace().next().unwrap().to_string()
}

fn earlier_sha(volume: &str) -> String {
    volume_read(volume, "sha256sum /o/earlier.txt")
}

fn write_notebook(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap();
}

fn notebook_raising(message: &str) -> String {
    notebook_with(&format!("raise ValueError({message:?})"))
}

/// A one-cell Python notebook.
fn notebook_with(source: &str) -> String {
    serde_json::json!({
        "cells": [{"cell_type": "code", "execution_count": null, "id": "a1", "metadata": {}, "outputs": [],
                   "source": [source]}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5
    })
    .to_string()
}

#[test]
fn the_docker_cli_missing_from_path() {
    let empty = tempfile::tempdir().unwrap();
    let out = xtask().args(["up", "--port", "0", "--name", &unique("jdx-nocli")]).env("PATH", empty.path()).assert().get_output().clone();
    let error = the_error(&out);
    assert!(error.contains("docker CLI was not found on PATH") && error.contains("install Docker"), "{error}");
}

#[test]
fn the_engine_unreachable() {
    let name = unique("jdx-noengine");
    let out = xtask().args(["up", "--port", "0", "--name", &name]).env("DOCKER_HOST", "tcp://127.0.0.1:1").assert().get_output().clone();
    let error = the_error(&out);
    assert!(error.contains("does not answer") && error.contains("DOCKER_HOST"), "{error}");
    assert!(docker(&["container", "inspect", &name]).status.code() != Some(0));
}

#[test]
fn a_server_that_crashes_before_its_url_is_reported_and_removed() {
    images();
    let (name, volume, image) = (unique("jdx-crash"), unique("jdx-crash-vol"), format!("jdx-crash-image:{}", std::process::id()));
    let _v = Guard::volume(&volume);
    let _i = Guard::image(&image);
    let _c = Guard::container(&name);
    let before = volume_with_earlier_data(&volume);
    // An image whose server dies at once, saying why on stderr.
    let dockerfile = format!("FROM {IMAGE}\nCMD [\"sh\", \"-c\", \"echo 'server crashing on purpose' >&2; exit 3\"]\n");
    let mut build = std::process::Command::new("docker")
        .args(["build", "-q", "--label", MANAGED, "-t", &image, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    build.stdin.take().unwrap().write_all(dockerfile.as_bytes()).unwrap();
    assert!(build.wait().unwrap().success());

    let notebooks = notebooks_copy();
    let out = xtask()
        .args(["up", "--port", "0", "--name", &name, "--volume", &volume, "--image", &image, "--timeout", "60"])
        .args(["--notebooks", notebooks.path().to_str().unwrap()])
        .assert()
        .get_output()
        .clone();
    let error = the_error(&out);
    assert!(error.contains("exited before the server printed its URL") && error.contains("exit code 3"), "{error}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("server crashing on purpose"), "the log tail is shown");
    assert!(docker(&["container", "inspect", &name]).status.code() != Some(0), "the failed container was left");
    assert_eq!(earlier_sha(&volume), before);
}

#[test]
fn notebooks_that_are_broken_or_raise() {
    images();
    let (name, volume) = (unique("jdx-nb"), unique("jdx-nb-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let before = volume_with_earlier_data(&volume);
    let notebooks = notebooks_copy();
    write_notebook(notebooks.path(), "broken.ipynb", "{ this is not json");
    write_notebook(notebooks.path(), "raises.ipynb", &notebook_raising("boom from the cell"));
    up_json(&["--port", "0", "--name", &name, "--volume", &volume, "--notebooks", notebooks.path().to_str().unwrap()]);

    let out = xtask().args(["run", "broken.ipynb", "--name", &name]).assert().get_output().clone();
    let error = the_error(&out);
    assert!(error.contains("broken.ipynb is not a valid notebook (not JSON)"), "{error}");

    let out = xtask().args(["run", "raises.ipynb", "--name", &name]).assert().get_output().clone();
    let error = the_error(&out);
    assert!(error.contains("raised ValueError: boom from the cell"), "{error}");

    let out = xtask().args(["run", "missing.ipynb", "--name", &name]).assert().get_output().clone();
    assert!(the_error(&out).contains("was not found"));

    // The good notebook still runs, and the earlier data is intact.
    xtask().args(["run", "--name", &name]).assert().success();
    assert_eq!(earlier_sha(&volume), before);
}

#[test]
fn the_container_killed_while_the_notebook_writes() {
    images();
    let (name, volume) = (unique("jdx-kill"), unique("jdx-kill-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let before = volume_with_earlier_data(&volume);
    let notebooks = notebooks_copy();
    // A cell that writes its output slowly, line by line, so the kill lands mid-write.
    let slow = "import time\nwith open('outputs/slow.csv', 'w') as out:\n    for i in range(600):\n        out.write(f'{i},row\\n')\n        out.flush()\n        time.sleep(0.05)\n";
    write_notebook(notebooks.path(), "slow-writer.ipynb", &notebook_with(slow));
    let dir = notebooks.path().to_str().unwrap().to_string();
    up_json(&["--port", "0", "--name", &name, "--volume", &volume, "--notebooks", &dir]);

    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let runner = std::process::Command::new(bin)
        .args(["run", "slow-writer.ipynb", "--name", &name])
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the container once the cell has started writing its file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !docker(&["exec", &name, "test", "-s", "/work/outputs/slow.csv"]).status.success() {
        assert!(std::time::Instant::now() < deadline, "the cell never started writing");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    docker_ok(&["kill", &name]);
    let out = runner.wait_with_output().unwrap();
    let error = the_error(&out);
    assert!(error.contains("container stopped while slow-writer.ipynb ran"), "{error}");

    // `up` starts the same container again; the earlier data is intact.
    up_json(&["--port", "0", "--name", &name, "--volume", &volume, "--notebooks", &dir]);
    assert_eq!(earlier_sha(&volume), before);
    xtask().args(["run", "--name", &name]).assert().success();
}

#[test]
fn a_full_outputs_volume() {
    images();
    let (name, volume) = (unique("jdx-full"), unique("jdx-full-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    // A 64 KiB tmpfs volume: smaller than the CSV the notebook writes (about 90 KiB).
    let mut create = vec!["volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=64k"];
    let labels = labels();
    create.extend(labels.iter().map(String::as_str));
    create.push(&volume);
    docker_ok(&create);
    let notebooks = notebooks_copy();
    up_json(&["--port", "0", "--name", &name, "--volume", &volume, "--notebooks", notebooks.path().to_str().unwrap()]);
    // Earlier data, written in this container's life (a tmpfs volume lives as long as its mount).
    docker_ok(&["exec", &name, "sh", "-c", "head -c 2048 /dev/urandom > /work/outputs/earlier.bin"]);
    let before = docker_ok(&["exec", &name, "sha256sum", "/work/outputs/earlier.bin"]);

    let out = xtask().args(["run", "--name", &name]).assert().get_output().clone();
    let error = the_error(&out);
    assert!(error.contains("No space left on device") && error.contains("outputs volume is full"), "{error}");
    assert_eq!(docker_ok(&["exec", &name, "sha256sum", "/work/outputs/earlier.bin"]), before);
}

#[test]
fn bad_input_keeps_the_volumes_earlier_data() {
    images();
    let (name, volume) = (unique("jdx-badvol"), unique("jdx-badvol-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let before = volume_with_earlier_data(&volume);
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port().to_string();
    for args in [
        vec!["--port", busy.as_str()],
        vec!["--image", "jdx-no-such-image:never", "--port", "0"],
        vec!["--notebooks", "/nonexistent/notebooks", "--port", "0"],
        vec!["--timeout", "0", "--port", "0"],
    ] {
        let out = xtask().args(["up", "--name", &name, "--volume", &volume]).args(&args).assert().get_output().clone();
        the_error(&out);
        assert!(docker(&["container", "inspect", &name]).status.code() != Some(0), "{args:?} left a container");
        assert_eq!(earlier_sha(&volume), before, "{args:?}");
    }
}

#[test]
fn ctrl_c_while_up_waits_leaves_no_container_and_keeps_the_volume() {
    images();
    let (name, volume, image) = (unique("jdx-intr"), unique("jdx-intr-vol"), format!("jdx-silent-image:{}", std::process::id()));
    let _v = Guard::volume(&volume);
    let _i = Guard::image(&image);
    let _c = Guard::container(&name);
    let before = volume_with_earlier_data(&volume);
    // A server that never prints its URL, so `up` is still waiting when interrupted.
    let mut build = std::process::Command::new("docker")
        .args(["build", "-q", "--label", MANAGED, "-t", &image, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    build.stdin.take().unwrap().write_all(format!("FROM {IMAGE}\nCMD [\"sleep\", \"600\"]\n").as_bytes()).unwrap();
    assert!(build.wait().unwrap().success());

    let notebooks = notebooks_copy();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .args(["up", "--port", "0", "--name", &name, "--volume", &volume, "--image", &image, "--timeout", "300"])
        .args(["--notebooks", notebooks.path().to_str().unwrap()])
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while docker(&["container", "inspect", &name]).status.code() != Some(0) {
        assert!(std::time::Instant::now() < deadline, "up never made its container");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(docker(&["container", "inspect", &name]).status.code() != Some(0), "the container was left");
    assert_eq!(earlier_sha(&volume), before, "the volume and its data stay");
}
