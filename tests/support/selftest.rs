//! The test support library's own unit tests, in a binary of their own (the library is compiled
//! into every test binary; its tests run once, here). No engine is needed: where a helper drives
//! the docker CLI, a fake `docker` on the handle's PATH answers as the engine would.

#[path = "mod.rs"]
mod support;

use support::watch::{in_containers, Seen};
use support::*;
use xtask::walkthrough::catalogue::{self, Catalogue};

/// A `docker` that answers every `inspect` with `stderr` and exit status `code`.
fn fake_engine(stderr: &str, code: i32) -> (tempfile::TempDir, Docker) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("docker");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' '{stderr}' >&2\nexit {code}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sh = xshell::Shell::new().unwrap();
    sh.set_var(
        "PATH",
        format!(
            "{}:{}",
            dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    (dir, Docker::new(&sh))
}

/// "Gone" is Docker's own "No such ..." for each kind; anything else (an engine that does not
/// answer, a permission error) is no proof and fails the test that asked.
#[test]
fn gone_means_docker_says_no_such() {
    for (kind, said) in [
        (
            "container",
            "Error response from daemon: No such container: x",
        ),
        (
            "volume",
            "Error response from daemon: get x: no such volume",
        ),
        ("network", "Error response from daemon: network x not found"),
        (
            "image",
            "Error response from daemon: No such image: x:latest",
        ),
    ] {
        let (_dir, docker) = fake_engine(said, 1);
        assert!(is_gone_on(&docker, kind, "x"), "{kind}: {said}");
    }
    let (_dir, present) = fake_engine("", 0);
    assert!(
        !is_gone_on(&present, "image", "x"),
        "a present image is not gone"
    );
    // Another kind's "no such" is not this kind's, and another network's "not found" not this one's.
    for (kind, said) in [
        ("container", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"),
        ("volume", "permission denied while trying to connect to the Docker daemon socket"),
        ("container", "Error response from daemon: No such image: x"),
        ("network", "Error response from daemon: network y not found"),
    ] {
        let (_dir, docker) = fake_engine(said, 1);
        let verdict = std::panic::catch_unwind(|| is_gone_on(&docker, kind, "x"));
        assert!(verdict.is_err(), "{kind}: {said:?} was taken for `gone`");
    }
}

/// The literal replays' command check: an article's placeholder stands for one token, nothing else differs.
#[test]
fn placeholders_stand_for_one_token() {
    assert!(same_tokens(
        "docker logs CONTAINER_ID_OR_NAME",
        "docker logs web"
    ));
    assert!(same_tokens(
        "docker run -it  --rm \\ img",
        "docker run -it --rm img"
    ));
    assert!(same_tokens("sudo docker ps", "docker ps"));
    assert!(!same_tokens(
        "docker run -p 8888:8888 img",
        "docker run -p 127.0.0.1::8888 img"
    ));
    assert!(!same_tokens("docker logs CONTAINER_ID", "docker logs"));
    assert!(!same_tokens(
        "docker logs CONTAINER_ID",
        "docker logs web extra"
    ));
    // A lowercase word is no placeholder: it must be there as written.
    assert!(!same_tokens("docker logs web", "docker logs db"));
}

/// A watcher's look at an engine is read section by section: the image's own ENV defaults are no
/// secret, nor is what a classic builder's ENV step carries; a run-time password is, and so is a
/// 48-hex token from a log (a short one is not).
#[test]
fn a_look_is_read_by_its_sections() {
    let look = "#jdx# containers\n[{\"Name\":\"/a\",\"Image\":\"sha256:1\",\"Config\":{\"Image\":\"x:1\",\"Env\":[\"MYSQL_PASSWORD=NOT_DEFINED\",\"MYSQL_ROOT_PASSWORD=s3cret-pw\"]}},{\"Name\":\"/step\",\"Id\":\"b\",\"Image\":\"sha256:0\",\"Config\":{\"Image\":\"sha256:0\",\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) \",\"ENV MYSQL_PASSWORD=NOT_DEFINED\"],\"Env\":[\"MYSQL_PASSWORD=NOT_DEFINED\"]}}]\n#jdx# volumes\n#jdx# images\n[{\"Id\":\"sha256:1\",\"RepoTags\":[\"x:1\"],\"Config\":{\"Env\":[\"MYSQL_PASSWORD=NOT_DEFINED\"]}}]\n#jdx# files\nvol 1000:100 644 a.csv\n#jdx# logs\ntoken=0123456789abcdef0123456789abcdef0123456789abcdef\ntoken=abc\n";
    let seen = Seen::from_look("e", look);
    assert_eq!(seen.containers_of("x:").len(), 1);
    assert_eq!(seen.containers_in("e").len(), 2, "two containers, by id");
    assert!(seen.image("x:1").is_some());
    let file = (
        "1000:100".to_string(),
        "644".to_string(),
        "a.csv".to_string(),
    );
    assert_eq!(seen.files_in("vol").into_iter().collect::<Vec<_>>(), [file]);
    // A rootless sandbox engine's ids, as its containers see them.
    assert_eq!(in_containers("jdx-sandbox-r-1", "1000:100999"), "0:1000");
    assert_eq!(in_containers("host", "1000:100"), "1000:100");
    let secrets: Vec<&str> = seen.secrets.iter().map(String::as_str).collect();
    assert_eq!(
        secrets,
        [
            "0123456789abcdef0123456789abcdef0123456789abcdef",
            "s3cret-pw"
        ]
    );
}

/// An article of three lines and a STEPS list of items 1 and 4, for the citation checks.
fn tiny_sources() -> Sources {
    Sources {
        article: "tiny.md".into(),
        lines: vec![
            "# Tiny".into(),
            "    docker volume create named-data-volume".into(),
            "    docker ps".into(),
        ],
        steps_word: "STEPS",
        steps_items: vec![1, 4],
    }
}

fn tiny_table(source: &str) -> Catalogue {
    let text = format!(
        "| id | section | claim | literal | corrected | source |\n|---|---|---|---|---|---|\n| volume-made | Volumes | a volume is made | holds | holds | {source} |\n"
    );
    catalogue::parse("tiny", Box::leak(text.into_boxed_str())).unwrap()
}

/// Right citations pass: a line holding its fragment, an item the STEPS list has, several at once.
#[test]
fn citations_that_check() {
    for good in [
        "L2 `docker volume create`",
        "L3 `docker ps`",
        "STEPS 4",
        "L2 `named-data-volume`; STEPS 1; L3 `ps`",
    ] {
        let errors = citation_errors(&tiny_table(good), &tiny_sources());
        assert!(errors.is_empty(), "{good}: {errors:?}");
    }
}

/// A wrong citation is one error naming the row: a line past the end or 0, a fragment not on its
/// line (though on another), a STEPS item that does not exist or of another file, no source, prose
/// instead of a citation, a fragment too long to be a name.
#[test]
fn wrong_citations_name_the_row() {
    for (bad, why) in [
        ("L9 `docker ps`", "has no line 9"),
        ("L0 `docker ps`", "has no line 0"),
        (
            "L2 `docker ps`",
            "line 2 of tiny.md does not hold `docker ps`",
        ),
        ("STEPS 3", "lists no item 3"),
        ("STEPS-manage-data 1", "cited as `STEPS <n>`"),
        ("", "no source"),
        ("the article says so", "is no citation"),
        ("L2 docker ps", "is no citation"),
        ("L3 `docker ps`; STEPS 7", "lists no item 7"),
    ] {
        let errors = citation_errors(&tiny_table(bad), &tiny_sources());
        assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
        assert!(
            errors[0].starts_with("row volume-made (\"a volume is made\"): ")
                && errors[0].contains(why),
            "{bad:?}: {}",
            errors[0]
        );
        assert!(!errors[0].contains('\n'), "one line: {}", errors[0]);
    }
    let long = format!("L2 `{}`", "x".repeat(MAX_FRAGMENT + 1));
    let errors = citation_errors(&tiny_table(&long), &tiny_sources());
    assert!(
        errors.len() == 1 && errors[0].contains("over 60 characters"),
        "{errors:?}"
    );
    // The test that reads a catalogue fails on it, with the row in its one-line message.
    let failed = std::panic::catch_unwind(|| {
        let errors = citation_errors(&tiny_table("L9 `docker ps`"), &tiny_sources());
        assert!(errors.is_empty(), "pinned source: {}", errors[0]);
    });
    assert!(failed.is_err());
}

/// STEPS.md's items are its article's numbered inconsistencies, not its steps or another article's.
#[test]
fn steps_items_are_the_articles_inconsistencies() {
    let steps = "## 1. One\n### Steps\n1. a step\n2. another\n### Inconsistencies\n1. first\n   2. an indented line\n3. third\n### Images\n4. not one\n## 3. Three\n### Inconsistencies\n7. seven\n";
    assert_eq!(steps_inconsistencies(steps, 1), vec![1, 3]);
    assert_eq!(steps_inconsistencies(steps, 3), vec![7]);
    assert!(steps_inconsistencies(steps, 2).is_empty());
}

/// Every row of the five claim catalogues cites its article's lines and STEPS items correctly
/// (the walkthrough tests check it too, before their verdicts; this needs no engine).
#[test]
fn the_catalogues_cite_their_articles() {
    for short in ["setup", "manage-data", "mysql", "compose", "deploy"] {
        let sources = sources_of(short);
        assert!(sources.lines.len() > 200 && !sources.steps_items.is_empty());
        let errors = citation_errors(catalogue::of(short), &sources);
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            sources.article,
            errors.join("\n")
        );
    }
}
