//! `run` and `url`: what `run` says for each way a notebook can fail to run (a cell raising, a
//! folder, a name that reads as an option), a person's container or a paused one refused, and
//! `url --json` the same server as `up --json`.

use super::support::*;
use super::{labelled, start};

#[test]
fn run_refuses_a_persons_container_and_says_how_to_unpause() {
    images();
    let (persons, paused) = (unique("jdx-run-person"), unique("jdx-run-paused"));
    let _c = (Guard::container(&persons), Guard::container(&paused));
    start(&persons, &[], None);
    start(&paused, &labelled(&labels(), &[]), None);
    docker_ok(&["pause", &paused]);

    let out = xtask().args(["run", "--name", &persons]).assert().code(1);
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!("container {persons} was not made by this project"))
            && error.contains("left alone"),
        "{error}"
    );
    assert!(
        !docker(&["exec", &persons, "test", "-e", "/tmp/executed"]).ok(),
        "a notebook was executed in a person's container"
    );

    let out = xtask().args(["run", "--name", &paused]).assert().code(1);
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!(
            "{paused} is paused: unpause it with `docker unpause {paused}`"
        )),
        "{error}"
    );
    docker_ok(&["unpause", &paused]);
}

/// A notebook of cells given as sources (a Markdown cell first, so cell numbers count it).
fn notebook(cells: &[&str]) -> String {
    let mut all = vec![
        serde_json::json!({"cell_type": "markdown", "id": "m0", "metadata": {}, "source": ["# A title"]}),
    ];
    for (i, source) in cells.iter().enumerate() {
        all.push(serde_json::json!({"cell_type": "code", "execution_count": null, "id": format!("c{i}"), "metadata": {}, "outputs": [], "source": [source]}));
    }
    serde_json::json!({
        "cells": all,
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5
    })
    .to_string()
}

#[test]
fn url_json_and_what_run_says_for_each_kind_of_notebook() {
    let lab = Lab::new("jdx-habits");
    let name = &lab.name;
    write_the_notebooks(lab.notebooks.path());
    let up = lab.up();

    assert_url_json_is_the_server_up_gave(name, &up);
    assert_a_raising_cell_stops_the_cells_after_it(name);
    assert_a_folder_named_like_a_notebook_is_said_so(name);
    assert_option_like_names_are_refused_and_dot_slash_runs_them(name);
}

/// A notebook whose third cell raises, a folder named like a notebook with one inside, and a
/// notebook named like an option.
fn write_the_notebooks(dir: &std::path::Path) {
    let write =
        |path: &str, cells: &[&str]| std::fs::write(dir.join(path), notebook(cells)).unwrap();
    write(
        "three-cells.ipynb",
        &[
            "open('outputs/before.txt', 'w').write('1')",
            "raise ValueError('boom in cell 3')",
            "open('outputs/after.txt', 'w').write('3')",
        ],
    );
    std::fs::create_dir(dir.join("folder.ipynb")).unwrap();
    chmod(&dir.join("folder.ipynb"), 0o755);
    // The kernel starts in the notebook's folder, as in JupyterLab.
    write(
        "folder.ipynb/inner.ipynb",
        &["open('/work/outputs/inner.txt', 'w').write('in')"],
    );
    write(
        "--output-dir=x.ipynb",
        &["open('outputs/option-named.txt', 'w').write('ok')"],
    );
}

/// url --json: the same server as up --json.
fn assert_url_json_is_the_server_up_gave(name: &str, up: &serde_json::Value) {
    let url: serde_json::Value = serde_json::from_slice(
        &xtask()
            .args(["url", "--json", "--name", name])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    for key in ["url", "token", "port", "container"] {
        assert_eq!(url[key], up[key], "{key}");
    }
    assert_eq!(
        http_status(
            url["port"].as_u64().unwrap() as u16,
            "/api/status",
            url["token"].as_str()
        ),
        200
    );
}

/// A cell raising: its number (the Markdown cell counts), its first line, the exception; the
/// cells after it do not run, as in Run All.
fn assert_a_raising_cell_stops_the_cells_after_it(name: &str) {
    let out = xtask()
        .args(["run", "three-cells.ipynb", "--name", name])
        .assert()
        .code(1);
    assert_eq!(
        the_error(out.get_output()),
        "error: cell 3 of three-cells.ipynb (`raise ValueError('boom in cell 3')`) raised ValueError: boom in cell 3: fix the cell and run again"
    );
    assert!(
        docker(&["exec", name, "test", "-f", "/work/outputs/before.txt"]).ok(),
        "the cell before did not run"
    );
    assert!(
        !docker(&["exec", name, "test", "-e", "/work/outputs/after.txt"]).ok(),
        "a cell after the failing one ran"
    );
}

/// A folder named like a notebook: said so, with a notebook inside it; that one runs.
fn assert_a_folder_named_like_a_notebook_is_said_so(name: &str) {
    let out = xtask()
        .args(["run", "folder.ipynb", "--name", name])
        .assert()
        .code(1);
    assert_eq!(
        the_error(out.get_output()),
        "error: folder.ipynb is a folder, not a notebook file: pass a notebook inside it, e.g. `cargo xtask run folder.ipynb/inner.ipynb`"
    );
    xtask()
        .args(["run", "folder.ipynb/inner.ipynb", "--name", name])
        .assert()
        .success();
    assert!(docker(&["exec", name, "test", "-f", "/work/outputs/inner.txt"]).ok());
}

/// Names that read as options are refused before anything runs; ./NAME runs the file.
fn assert_option_like_names_are_refused_and_dot_slash_runs_them(name: &str) {
    for option_like in ["--output-dir=x.ipynb", "-h"] {
        let out = xtask()
            .args(["run", "--name", name, "--", option_like])
            .assert()
            .code(1);
        let error = the_error(out.get_output());
        assert!(
            error.contains(&format!("{option_like:?} starts with '-'"))
                && error.contains(&format!("./{option_like}")),
            "{error}"
        );
    }
    assert!(!docker(&["exec", name, "test", "-e", "/work/outputs/option-named.txt"]).ok());
    xtask()
        .args(["run", "./--output-dir=x.ipynb", "--name", name])
        .assert()
        .success();
    assert_eq!(
        docker_ok(&["exec", name, "cat", "/work/outputs/option-named.txt"]),
        "ok"
    );
}
