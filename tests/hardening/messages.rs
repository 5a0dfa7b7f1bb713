//! Messages that name the cause (issue 12): a paused container, a context pointing nowhere.

use super::*;

/// Issue 12: messages that name the cause: a context that does not exist, a paused container,
/// a mount point or folder deleted while the container was stopped.
#[test]
fn messages_name_the_cause() {
    let out = xtask()
        .args(["up", "--port", "0", "--name", &unique("jdx-ctx")])
        .env("DOCKER_CONTEXT", "jdx-no-such-context")
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("DOCKER_CONTEXT")
            && error.contains("jdx-no-such-context")
            && error.contains("docker context ls"),
        "{error}"
    );

    let lab = Lab::new("jdx-cause");
    let name = &lab.name;
    let base = open_dir();
    let dir = base.path().join("nb");
    notebooks_in(&dir);
    let args = lab.args(&["--notebooks", dir.to_str().unwrap()]);
    let url = stdout(succeeded(&up(&args)));
    let id = container_id(name);

    docker_ok(&["pause", name]);
    let out = up(&args);
    assert_eq!(stdout(succeeded(&out)), url);
    assert!(
        stderr(&out).contains(&format!("{name} was paused (`docker pause`): unpaused it")),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        docker_ok(&["inspect", "--format", "{{.State.Paused}}", name]),
        "false"
    );

    docker_ok(&["stop", name]);
    std::fs::remove_dir(dir.join("outputs")).unwrap();
    succeeded(&up(&args));
    assert!(dir.join("outputs").is_dir() && container_id(name) == id);

    docker_ok(&["stop", name]);
    std::fs::remove_dir_all(&dir).unwrap();
    let error = the_error(&up(&args));
    assert!(
        error.contains(&format!(
            "{} does not exist: create it or pass an existing one with --notebooks",
            dir.display()
        )),
        "{error}"
    );
    assert!(
        !dir.exists() && container_id(name) == id,
        "the folder was made, or the container lost"
    );
}

/// Issue 12: `--section ''` matched every section, and an unusable `--report` failed only after the
/// whole run: both are refused before anything runs, naming what to give.
#[test]
fn a_walkthroughs_empty_section_and_unusable_report_are_refused_first() {
    let out = xtask()
        .args(["walkthrough", "manage-data", "--section", ""])
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("--section needs a section's name") && error.contains("Named volumes"),
        "{error}"
    );

    let folder = tempfile::tempdir().unwrap();
    let out = xtask()
        .args([
            "walkthrough",
            "manage-data",
            "--report",
            folder.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("is a folder") && error.contains("report.md"),
        "{error}"
    );
    let missing = folder.path().join("no/such/report.md");
    let out = xtask()
        .args([
            "walkthrough",
            "manage-data",
            "--report",
            missing.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("does not exist") && error.contains("no/such/report.md"),
        "{error}"
    );
    assert!(!missing.exists());
}

/// Issue 12.2: a volume that was there before a create call (a person's, holding data) is never
/// adopted: the create says it existed, and a guard armed for it removes nothing.
#[test]
fn a_volume_that_was_there_is_never_adopted_or_removed() {
    images();
    let name = unique("jdx-adopt");
    let _v = Guard::volume(&name);
    docker_ok(&["volume", "create", &name]); // a person's: no labels
    docker_ok(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "--user",
        "0",
        "-v",
        &format!("{name}:/v"),
        "--entrypoint",
        "sh",
        IMAGE,
        "-c",
        "echo mine > /v/marker",
    ]);

    let docker = engine();
    assert_eq!(docker.create_volume(&name, &[]).unwrap(), Created::Existed);
    let mut guard =
        xtask::engine::resources::Guard::before_create(&docker, Resource::Volume(name.clone()));
    guard.created();
    drop(guard);
    assert!(
        !is_gone("volume", &name),
        "the guard removed a volume this process did not create"
    );
    let marker = docker_ok(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "-v",
        &format!("{name}:/v"),
        "--entrypoint",
        "cat",
        IMAGE,
        "/v/marker",
    ]);
    assert_eq!(marker, "mine");
}
