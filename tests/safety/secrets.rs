//! No secret baked into an image, and no token in a walkthrough's report.

use super::*;

/// No password or token in any of the project's images: their config, their history, and the
/// files their build steps put in (a `.env` copied in with the project folder is the usual leak).
/// Every one of them (the base and the five series images) is present and checked, and a probe
/// image with a secret in a copied file shows the check can see one.
#[test]
fn no_secret_is_baked_into_an_image() {
    images();
    let base = base_image();
    let all = [
        base.as_str(),
        "custom-jupyter-image:anon-volume",
        "custom-jupyter-image:anon-volume-chown",
        IMAGE,
        "custom-jupyter-image:preload",
        "custom-jupyter-image:mysql-connected",
    ];
    let mut checked = Vec::new();
    for image in all {
        assert!(
            !is_gone("image", image),
            "{image} is missing: `cargo xtask build` makes it"
        );
        let found = secrets_in(image);
        assert!(found.is_empty(), "{image} carries {found:?}");
        checked.push(image);
    }
    assert_eq!(checked, all);

    // The control: a secret only in a copied file (not in the config, not in the history) is found.
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join(".env"),
        "MYSQL_USER=reader\nMYSQL_PASSWORD=probe-pw-in-a-layer\n",
    )
    .unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        format!("FROM {IMAGE}\nCOPY .env /work/project/.env\n"),
    )
    .unwrap();
    let probe = unique("jdx-secret-probe").to_lowercase() + ":1";
    let _probe = Guard::image(&probe);
    engine()
        .build(
            &BuildSpec::new(context.path(), &probe),
            "building the probe",
            false,
        )
        .unwrap();
    let found = secrets_in(&probe);
    assert!(
        found.contains(
            &"mysql_password=probe-pw-in-a-layer in the files at /work/project/.env".to_string()
        ),
        "the probe's secret was not found: {found:?}"
    );
    assert!(
        found
            .iter()
            .all(|f| f.starts_with("mysql_password=probe-pw-in-a-layer in the files at ")),
        "{found:?}"
    );
}

/// What looks like a secret in `image`: a secret-named setting holding a value (only a placeholder
/// may be there: the article's `NOT_DEFINED` default) or a 48-hex-digit token, in the config, the
/// history, or the files under each COPY/ADD destination and the working folder.
fn secrets_in(image: &str) -> Vec<String> {
    let setting = regex::Regex::new(
        r#"([a-z_]*(?:password|passwd|token|secret)[a-z_]*)=([^ \t\n",\]\x00]*)"#,
    )
    .unwrap();
    // A token is exactly 48 hex digits; layer digests (64) are not tokens.
    let hex48 = regex::Regex::new(r"\b[0-9a-f]{48}\b").unwrap();
    let config = docker_ok(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Env}} {{json .Config.Labels}} {{json .Config.Cmd}}",
        image,
    ]);
    let history = docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", image]);
    let base = base_image();
    // The base is one `docker import` (no build step, so no CreatedBy); a built image has its steps.
    assert!(
        config.contains("PATH=") && (image == base || !history.trim().is_empty()),
        "{image}: nothing to search in\n{config}\n{history}"
    );
    let mut texts = vec![
        ("the config".to_string(), config),
        ("the history".to_string(), history.clone()),
    ];
    texts.extend(files_under(image, &copied_folders(image, &history)));
    let mut found = Vec::new();
    for (place, text) in &texts {
        for caps in setting.captures_iter(&text.to_lowercase()) {
            let value = &caps[2];
            // Placeholders: none, the article's default, an expansion, a `...` in a comment.
            if !(value.is_empty()
                || value == "not_defined"
                || value.starts_with("${")
                || value.starts_with("..."))
            {
                found.push(format!("{}={value} in {place}", &caps[1]));
            }
        }
        if let Some(m) = hex48.find(text) {
            found.push(format!(
                "something like a token ({}…) in {place}",
                &m.as_str()[..8]
            ));
        }
    }
    found
}

/// Where the build steps put files (`COPY ... in /work`, `ADD ... in DEST`), and the working folder.
fn copied_folders(image: &str, history: &str) -> Vec<String> {
    let copy = regex::Regex::new(r"(?:COPY|ADD) .* in (/\S*)").unwrap();
    let mut dirs: Vec<String> = copy
        .captures_iter(history)
        .map(|c| c[1].trim_end_matches('/').to_string())
        .collect();
    let workdir = docker_ok(&["image", "inspect", "-f", "{{.Config.WorkingDir}}", image]);
    dirs.extend((!workdir.is_empty()).then_some(workdir));
    dirs.sort();
    dirs.dedup();
    dirs
}

/// The files under each of `dirs` in `image` as text (a tar stream of them: names and contents),
/// read from one created (never started) container: only those files, not the whole image, so it
/// stays fast.
fn files_under(image: &str, dirs: &[String]) -> Vec<(String, String)> {
    let name = unique("jdx-secret-scan");
    let _container = Guard::container(&name);
    let mut create = vec!["create".to_string(), "--name".into(), name.clone()];
    create.extend(xtask::engine::label_args(engine().resource_labels()));
    create.push(image.into());
    docker_ok(&create.iter().map(String::as_str).collect::<Vec<_>>());
    dirs.iter()
        .map(|dir| {
            let out = std::process::Command::new("docker")
                .args(["cp", &format!("{name}:{dir}"), "-"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "docker cp {name}:{dir}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (
                format!("the files at {dir}"),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .collect()
}

/// A walkthrough's report shows the server's log but never its token.
#[test]
fn reports_never_hold_the_token() {
    images();
    let report = tempfile::NamedTempFile::new().unwrap();
    xtask()
        .args([
            "walkthrough",
            "manage-data",
            "--section",
            "volume",
            "--report",
            report.path().to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(report.path()).unwrap();
    assert!(
        text.contains("token=<redacted>"),
        "the log lines are in the report"
    );
    assert!(!regex::Regex::new(r"token=[0-9a-f]{48}")
        .unwrap()
        .is_match(&text));
}
