//! Messages that name the cause (issue 12): a paused container, a context pointing nowhere.

use super::*;

/// Issue 12: messages that name the cause: a context that does not exist, a paused container,
/// a mount point or folder deleted while the container was stopped.
#[test]
fn messages_name_the_cause() {
    let out = xtask().args(["up", "--port", "0", "--name", &unique("jdx-ctx")]).env("DOCKER_CONTEXT", "jdx-no-such-context").env_remove("DOCKER_HOST").output().unwrap();
    let error = the_error(&out);
    assert!(error.contains("DOCKER_CONTEXT") && error.contains("jdx-no-such-context") && error.contains("docker context ls"), "{error}");

    images();
    let (name, volume) = (unique("jdx-cause"), unique("jdx-cause-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let base = tempfile::tempdir().unwrap();
    chmod(base.path(), 0o755);
    let dir = base.path().join("nb");
    notebooks_in(&dir);
    let args = ["--name", &name, "--volume", &volume, "--port", "0", "--notebooks", dir.to_str().unwrap()];
    let url = stdout(succeeded(&up(&args)));
    let id = container_id(&name);

    docker_ok(&["pause", &name]);
    let out = up(&args);
    assert_eq!(stdout(succeeded(&out)), url);
    assert!(stderr(&out).contains(&format!("{name} was paused (`docker pause`): unpaused it")), "{}", stderr(&out));
    assert_eq!(docker_ok(&["inspect", "--format", "{{.State.Paused}}", &name]), "false");

    docker_ok(&["stop", &name]);
    std::fs::remove_dir(dir.join("outputs")).unwrap();
    succeeded(&up(&args));
    assert!(dir.join("outputs").is_dir() && container_id(&name) == id);

    docker_ok(&["stop", &name]);
    std::fs::remove_dir_all(&dir).unwrap();
    let error = the_error(&up(&args));
    assert!(error.contains(&format!("{} does not exist: create it or pass an existing one with --notebooks", dir.display())), "{error}");
    assert!(!dir.exists() && container_id(&name) == id, "the folder was made, or the container lost");
}

