use super::plan::{plan, BaseConfig};
use super::*;

fn stand_in() -> BaseConfig {
    BaseConfig::from_json(
        r#"{"User":"1000","Env":["NB_UID=1000","NB_GID=100"],
            "Entrypoint":["tini","-g","--","start.sh"],"Cmd":["start-notebook.py"],
            "WorkingDir":"/home/jovyan"}"#,
    )
    .unwrap()
}

fn series(name: &str) -> Plan {
    let text =
        std::fs::read_to_string(crate::paths::docker_dir().join("series").join(name)).unwrap();
    plan(
        &text,
        &[("BASE_IMAGE".into(), "base:1".into())],
        &stand_in(),
    )
    .unwrap()
}

fn labels() -> Vec<(String, String)> {
    vec![
        ("jupyter-docker-xtask.managed".into(), "true".into()),
        ("jupyter-docker-xtask.built-as".into(), "img:t".into()),
        ("jupyter-docker-xtask.recipe".into(), "abc123".into()),
    ]
}

#[test]
fn the_changes_put_back_the_bases_entrypoint_then_its_command_and_label_last() {
    let plan = series("anon-volume.Dockerfile");
    assert_eq!(
        changes(&plan, &stand_in(), &labels()),
        [
            "EXPOSE 8888",
            "VOLUME [\"/project/outputs\"]",
            "USER 1000",
            "WORKDIR /work",
            "ENTRYPOINT [\"tini\",\"-g\",\"--\",\"start.sh\"]",
            "CMD [\"start-notebook.py\"]",
            "LABEL jupyter-docker-xtask.managed=true",
            "LABEL jupyter-docker-xtask.built-as=img:t",
            "LABEL jupyter-docker-xtask.recipe=abc123",
        ]
    );
    // mysql-connected's ENV defaults come before what the container changed is put back.
    let mysql = changes(&series("mysql-connected.Dockerfile"), &stand_in(), &[]);
    assert_eq!(
        mysql[..4],
        [
            "EXPOSE 8888",
            "ENV MYSQL_USER=NOT_DEFINED",
            "ENV MYSQL_PASSWORD=NOT_DEFINED",
            "USER 1000"
        ]
    );
    // A base with no entrypoint keeps none (the container's is empty); its command is cleared.
    let bare = BaseConfig {
        shell: vec!["/bin/sh".into(), "-c".into()],
        ..BaseConfig::default()
    };
    let plain = changes(&series("preload.Dockerfile"), &bare, &[]);
    assert!(
        !plain
            .iter()
            .any(|c| c.starts_with("ENTRYPOINT") || c.starts_with("USER")),
        "{plain:?}"
    );
    assert_eq!(plain.last().unwrap(), "CMD []");
    // A label value with a space stays one value.
    let spaced = changes(&plan, &stand_in(), &[("k".into(), "a b".into())]);
    assert_eq!(spaced.last().unwrap(), "LABEL k=\"a b\"");
}

#[test]
fn the_container_has_no_entrypoint_the_workdir_and_the_labels() {
    let plan = series("named-volume.Dockerfile");
    let args = create_args("jdx-build-1", &plan, &labels(), "SCRIPT");
    assert_eq!(
        args.join(" "),
        "create --name jdx-build-1 --label jupyter-docker-xtask.managed=true \
         --label jupyter-docker-xtask.built-as=img:t --label jupyter-docker-xtask.recipe=abc123 \
         --entrypoint  --workdir /work base:1 /bin/sh -c SCRIPT"
    );
    let at = args.iter().position(|a| a == "--entrypoint").unwrap();
    assert_eq!(args[at + 1], "", "--entrypoint takes an empty value");
    assert!(
        !args
            .iter()
            .any(|a| a.contains("jupyter-docker-xtask.owner")),
        "an image never carries the owner label, and the commit keeps the container's"
    );
}

#[test]
fn the_script_runs_each_step_in_its_folder_and_stops_at_a_failure() {
    let plan = series("named-volume.Dockerfile");
    let text = script("custom-jupyter-image:named-volume", &plan);
    assert!(
        text.starts_with(
            ": jupyter-docker-xtask.built-as=custom-jupyter-image:named-volume COPY . in /work ; "
        ),
        "{text}"
    );
    assert!(
        text.contains("(cd /home/jovyan && exec /bin/sh -c 'pip install geopandas') || exit $?"),
        "{text}"
    );
    assert_eq!(text.matches("|| exit $?").count(), 2);

    // It really runs so: each step in its folder, with its ENV, the first failure ends it.
    let dir = tempfile::tempdir().unwrap();
    let mut two = plan.clone();
    two.runs[0].argv = vec![
        "/bin/sh".into(),
        "-c".into(),
        "pwd > out; echo $GREETING >> out".into(),
    ];
    two.runs[0].dir = dir.path().display().to_string();
    two.runs[0].env = vec![("GREETING".into(), "hi there".into())];
    two.runs[1].argv = vec!["/bin/sh".into(), "-c".into(), "exit 7".into()];
    two.runs[1].dir = "/".into();
    two.runs.push(two.runs[0].clone());
    let text = script("t", &two);
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", &text])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7), "{text}");
    let out = std::fs::read_to_string(dir.path().join("out")).unwrap();
    assert_eq!(
        out.lines().count(),
        2,
        "the step after the failure ran: {out}"
    );
    assert!(out.ends_with("hi there\n"), "{out}");
}

#[test]
fn the_commit_names_the_tag_and_passes_every_change() {
    let args = commit_args("c", "img:t", &["EXPOSE 8888".into(), "USER 1000".into()]);
    assert_eq!(
        args,
        [
            "commit",
            "--message",
            "jupyter-docker-xtask: img:t in one commit",
            "--change",
            "EXPOSE 8888",
            "--change",
            "USER 1000",
            "c",
            "img:t"
        ]
    );
    assert!(container_name().starts_with("jdx-build-"));
    assert_ne!(container_name(), container_name());
}

#[test]
fn the_history_step_names_its_own_tag_only() {
    let plan = series("named-volume.Dockerfile");
    let tag = "custom-jupyter-image:named-volume";
    // `docker history` shows the container's command: `/bin/sh -c SCRIPT`.
    let step = format!("/bin/sh -c {}", script(tag, &plan));
    assert!(is_step_of(&step, tag));
    assert!(
        !is_step_of(&step, "custom-jupyter-image:named"),
        "a prefix of the tag"
    );
    assert!(!is_step_of(
        &format!(
            "/bin/sh -c {}",
            script("custom-jupyter-image:named-volume-2", &plan)
        ),
        tag
    ));
    // A child's own step on top, or a person's `RUN : ...` of another form, is not the build's.
    assert!(!is_step_of("/bin/sh -c #(nop)  ENV B=1", tag));
    assert!(!is_step_of(
        &format!("/bin/bash -c {}", script(tag, &plan)),
        tag
    ));
}
