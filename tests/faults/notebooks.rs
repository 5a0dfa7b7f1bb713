//! Notebooks that are broken or raise, a container killed while a notebook writes, a full outputs
//! volume.

use std::path::Path;

use super::*;

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
fn notebooks_that_are_broken_or_raise() {
    let f = Fixture::new("jdx-nb");
    let name = f.name.clone();
    write_notebook(f.notebooks.path(), "broken.ipynb", "{ this is not json");
    write_notebook(
        f.notebooks.path(),
        "raises.ipynb",
        &notebook_raising("boom from the cell"),
    );
    f.up();

    for (notebook, says) in [
        (
            "broken.ipynb",
            "broken.ipynb is not a valid notebook (not JSON)",
        ),
        ("raises.ipynb", "raised ValueError: boom from the cell"),
        ("missing.ipynb", "was not found"),
        ("new\nline.ipynb", "new\\nline.ipynb was not found in /work"),
    ] {
        let error = xtask_error(&["run", notebook, "--name", &name]);
        assert!(error.contains(says), "{error}");
    }

    // The good notebook still runs, and the earlier data is intact.
    xtask().args(["run", "--name", &name]).assert().success();
    f.earlier_data_intact();
}

#[test]
fn the_container_killed_while_the_notebook_writes() {
    let f = Fixture::new("jdx-kill");
    let name = f.name.clone();
    // A cell that writes its output slowly, line by line, so the kill lands mid-write.
    let slow = "import time\nwith open('outputs/slow.csv', 'w') as out:\n    for i in range(600):\n        out.write(f'{i},row\\n')\n        out.flush()\n        time.sleep(0.05)\n";
    write_notebook(
        f.notebooks.path(),
        "slow-writer.ipynb",
        &notebook_with(slow),
    );
    f.up();

    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let runner = std::process::Command::new(bin)
        .args(["run", "slow-writer.ipynb", "--name", &name])
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the container once the cell has started writing its file.
    wait_until(
        std::time::Duration::from_secs(60),
        "the cell never started writing",
        || docker(&["exec", &name, "test", "-s", "/work/outputs/slow.csv"]).ok(),
    );
    docker_ok(&["kill", &name]);
    let out = runner.wait_with_output().unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("container stopped while slow-writer.ipynb ran"),
        "{error}"
    );

    // `up` starts the same container again; the earlier data is intact.
    f.up();
    f.earlier_data_intact();
    xtask().args(["run", "--name", &name]).assert().success();
}

#[test]
fn a_full_outputs_volume() {
    let lab = Lab::new("jdx-full");
    let name = &lab.name;
    // A 64 KiB tmpfs volume: smaller than the CSV the notebook writes (about 90 KiB).
    create_volume(
        &lab.volume,
        &[
            "--driver",
            "local",
            "--opt",
            "type=tmpfs",
            "--opt",
            "device=tmpfs",
            "--opt",
            "o=size=64k",
        ],
    );
    lab.up();
    // Earlier data, written in this container's life (a tmpfs volume lives as long as its mount).
    docker_ok(&[
        "exec",
        name,
        "sh",
        "-c",
        "head -c 2048 /dev/urandom > /work/outputs/earlier.bin",
    ]);
    let before = docker_ok(&["exec", name, "sha256sum", "/work/outputs/earlier.bin"]);

    let error = xtask_error(&["run", "--name", name]);
    assert!(
        error.contains("No space left on device") && error.contains("outputs volume is full"),
        "{error}"
    );
    assert_eq!(
        docker_ok(&["exec", name, "sha256sum", "/work/outputs/earlier.bin"]),
        before
    );
}
