//! Every way `up` fails (issue 12): a failure after it made the volume removes what it made; a
//! container that fails at its next start is kept, and the message says so.

use super::*;

/// The images `up` fails with: a server that crashes at once, one that never prints its URL, and
/// one whose entrypoint does not exist.
fn build_failing_images(crash: &str, silent: &str, broken: &str) {
    build_image(
        crash,
        &format!("FROM {IMAGE}\nCMD [\"sh\", \"-c\", \"echo crashing on purpose >&2; exit 3\"]\n"),
    );
    build_image(silent, &format!("FROM {IMAGE}\nCMD [\"sleep\", \"600\"]\n"));
    build_image(
        broken,
        &format!("FROM {IMAGE}\nENTRYPOINT [\"/nonexistent-entrypoint\"]\n"),
    );
}

/// Issue 12: every way `up` fails after it made the volume removes the volume it made (and its
/// container); the error says so, and it is true.
#[test]
fn a_failed_up_removes_the_volume_it_made() {
    images();
    let tag = std::process::id();
    let (crash, silent, broken) = (
        format!("jdx-h-crash:{tag}"),
        format!("jdx-h-silent:{tag}"),
        format!("jdx-h-broken:{tag}"),
    );
    let _images = [
        Guard::image(&crash),
        Guard::image(&silent),
        Guard::image(&broken),
    ];
    build_failing_images(&crash, &silent, &broken);
    let base = open_dir();
    let folder = |name: &str| {
        let dir = base.path().join(name);
        notebooks_in(&dir);
        dir.to_str().unwrap().to_string()
    };
    let good = folder("good");
    let newline = folder("nb\nx");
    let root_owned = folder("root-owned");
    let outputs_file = folder("outputs-file");
    std::fs::write(Path::new(&outputs_file).join("outputs"), "a file").unwrap();
    let outputs_dangling = folder("outputs-dangling");
    std::os::unix::fs::symlink(
        base.path().join("nowhere"),
        Path::new(&outputs_dangling).join("outputs"),
    )
    .unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--notebooks", &newline], "control character"),
        (
            vec!["--notebooks", &root_owned, "--writable-notebooks"],
            "owned by root",
        ),
        (vec!["--notebooks", &outputs_file], "is a file"),
        (vec!["--notebooks", &outputs_dangling], "is a link"),
        (
            vec!["--notebooks", &good, "--image", &crash],
            "the container and the volume",
        ),
        (
            vec!["--notebooks", &good, "--image", &silent, "--timeout", "5"],
            "no URL within 5s",
        ),
        (
            vec!["--notebooks", &good, "--image", &broken],
            "nonexistent-entrypoint",
        ),
    ];
    for (args, says) in cases {
        let lab = Lab::new("jdx-hfail");
        let out = up(&lab.args(&args));
        let error = the_error(&out);
        assert!(error.contains(says), "{args:?}: {error}");
        assert!(
            !exists("volume", &lab.volume),
            "{args:?} left the volume it made: {error}"
        );
        assert!(
            !exists("container", &lab.name),
            "{args:?} left its container: {error}"
        );
    }
    assert!(
        !base.path().join("nowhere").exists() && !Path::new(&good).join("outputs").exists(),
        "a failed up left a folder it made"
    );
}

/// Issue 12: the project's stopped container whose server fails at its next start: the message
/// says it is kept and how to remove it, and it is kept.
#[test]
fn a_container_that_fails_to_start_again_is_kept_and_said_so() {
    images();
    let image = format!("jdx-h-once:{}", std::process::id());
    let _i = Guard::image(&image);
    let once = "if [ -e /tmp/started-once ]; then echo second start fails on purpose >&2; exit 4; fi; touch /tmp/started-once; exec start-notebook.py";
    build_image(
        &image,
        &format!("FROM {IMAGE}\nCMD [\"sh\", \"-c\", \"{once}\"]\n"),
    );
    let lab = Lab::new("jdx-once");
    let Lab { name, volume, .. } = &lab;
    let args = lab.up_args(&["--image", &image]);
    succeeded(&up(&args));
    docker_ok(&["stop", name]);
    let out = up(&args);
    let error = the_error(&out);
    assert!(
        error.contains("exit code 4")
            && error.contains("is kept")
            && error.contains(&format!("cargo xtask down --name {name}")),
        "{error}"
    );
    assert!(
        exists("container", name),
        "the message says kept, the container is gone"
    );
    xtask().args(["down", "--name", name]).assert().success();
    assert!(!exists("container", name) && exists("volume", volume));
}
