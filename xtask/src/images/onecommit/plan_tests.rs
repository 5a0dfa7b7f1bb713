use super::*;
use crate::paths;

fn stand_in() -> BaseConfig {
    BaseConfig::from_json(
        r#"{"User":"1000","Env":["NB_UID=1000","NB_GID=100","PATH=/usr/bin"],
            "Entrypoint":["tini","-g","--","start.sh"],"Cmd":["start-notebook.py"],
            "WorkingDir":"/home/jovyan"}"#,
    )
    .unwrap()
}

fn series(name: &str) -> String {
    std::fs::read_to_string(paths::docker_dir().join("series").join(name)).unwrap()
}

fn base_arg() -> Vec<(String, String)> {
    vec![("BASE_IMAGE".into(), "base:1".into())]
}

#[test]
fn the_base_config_is_read_with_the_default_shell() {
    let base = stand_in();
    assert_eq!(base.user, "1000");
    assert_eq!(base.workdir, "/home/jovyan");
    assert_eq!(base.shell, ["/bin/sh", "-c"]);
    assert_eq!(base.env[0], ("NB_UID".to_string(), "1000".to_string()));
    assert_eq!(
        base.cmd.as_deref(),
        Some(&["start-notebook.py".to_string()][..])
    );
    let bare = BaseConfig::from_json(r#"{"Shell":["/bin/bash","-o","pipefail","-c"]}"#).unwrap();
    assert_eq!(bare.entrypoint, None);
    assert_eq!(bare.shell.len(), 4);
}

#[test]
fn named_volume_is_two_runs_a_chowned_copy_and_the_port() {
    let plan = plan(&series("named-volume.Dockerfile"), &base_arg(), &stand_in()).unwrap();
    assert_eq!(plan.base, "base:1");
    assert_eq!(plan.runs.len(), 2);
    assert_eq!(
        plan.runs[0].argv,
        ["/bin/sh", "-c", "pip install geopandas"]
    );
    assert_eq!(
        plan.runs[0].dir, "/home/jovyan",
        "RUN runs in the base's folder"
    );
    assert!(plan.runs[1].argv[2].starts_with("if command -v conda"));
    assert_eq!(plan.workdir.as_deref(), Some("/work"));
    assert_eq!(
        plan.copies,
        [CopyStep {
            dest: "/work".into(),
            owner: (1000, 100)
        }]
    );
    assert_eq!(plan.changes, ["EXPOSE 8888"]);
}

#[test]
fn anon_volume_copies_as_root_and_declares_the_volume() {
    let plan = plan(&series("anon-volume.Dockerfile"), &base_arg(), &stand_in()).unwrap();
    assert_eq!(plan.copies[0].owner, (0, 0));
    assert_eq!(
        plan.changes,
        ["EXPOSE 8888", "VOLUME [\"/project/outputs\"]"]
    );
    let chown = plan_of("anon-volume-chown.Dockerfile");
    assert_eq!(chown.copies[0].owner, (1000, 100));
    assert_eq!(chown.changes, plan.changes);
}

fn plan_of(name: &str) -> Plan {
    plan(&series(name), &base_arg(), &stand_in()).unwrap()
}

#[test]
fn mysql_connected_gets_its_defaults_and_never_a_given_password_in_a_run() {
    let read = plan_of("mysql-connected.Dockerfile");
    assert_eq!(read.runs.len(), 3);
    assert_eq!(
        read.changes,
        [
            "EXPOSE 8888",
            "ENV MYSQL_USER=NOT_DEFINED",
            "ENV MYSQL_PASSWORD=NOT_DEFINED"
        ]
    );
    // Given as build arguments, they become the ENV defaults (as the article's build does).
    let mut args = base_arg();
    args.push(("USER".into(), "reader".into()));
    let given = plan(&series("mysql-connected.Dockerfile"), &args, &stand_in()).unwrap();
    assert_eq!(given.changes[1], "ENV MYSQL_USER=reader");
}

#[test]
fn every_series_dockerfile_is_read() {
    for image in crate::images::series::IMAGES {
        let plan = plan(&series(image.dockerfile), &base_arg(), &stand_in())
            .unwrap_or_else(|e| panic!("{}: {e:#}", image.dockerfile));
        assert_eq!(plan.copies.len(), 1, "{}", image.dockerfile);
        assert!(!plan.runs.is_empty(), "{}", image.dockerfile);
    }
}

#[test]
fn env_before_a_run_reaches_it_and_values_are_quoted_for_the_change() {
    let text = "FROM b\nENV A=\"x y\" B=$NB_UID\nRUN [\"echo\", \"hi\"]\nLABEL org.k=v\n";
    let plan = plan(text, &[], &stand_in()).unwrap();
    assert_eq!(plan.runs[0].argv, ["echo", "hi"]);
    assert_eq!(
        plan.runs[0].env,
        [("A".into(), "x y".into()), ("B".into(), "1000".into())]
    );
    assert_eq!(
        plan.changes,
        ["ENV A=\"x y\"", "ENV B=1000", "LABEL org.k=v"]
    );
    let legacy = plan_text("FROM b\nENV GREETING hello world\n");
    assert_eq!(legacy.changes, ["ENV GREETING=\"hello world\""]);
    let continued = plan_text("FROM b\nRUN echo a \\\n  # a comment inside\n  && echo b\n");
    assert_eq!(continued.runs[0].argv[2], "echo a && echo b");
}

fn plan_text(text: &str) -> Plan {
    plan(text, &[], &stand_in()).unwrap()
}

#[test]
fn what_is_not_read_is_an_error_naming_it() {
    let refused = |text: &str, wanted: &str| {
        let error = format!("{:#}", plan(text, &base_arg(), &stand_in()).unwrap_err());
        assert!(error.contains(wanted), "{text:?}: {error}");
    };
    refused(
        "FROM b\nUSER root\n",
        "USER is not read by the one-commit build",
    );
    refused("FROM b\nADD x /x\n", "ADD is not read");
    refused(
        "FROM b\nWORKDIR /w\nCOPY . /w\nRUN true\n",
        "a RUN after COPY",
    );
    refused(
        "FROM b\nWORKDIR /w\nCOPY --chown=jovyan . /w\n",
        "only numeric",
    );
    refused(
        "FROM b\nWORKDIR /w\nCOPY --chmod=700 . /w\n",
        "only --chown",
    );
    refused(
        "FROM b\nWORKDIR /w\nCOPY a.txt /w/\n",
        "only `COPY . WORKDIR`",
    );
    refused("FROM b\nCOPY . /w\n", "only `COPY . WORKDIR`");
    refused("FROM b\nWORKDIR rel\n", "one absolute WORKDIR");
    refused("FROM b\nWORKDIR /a\nWORKDIR /b\n", "one absolute WORKDIR");
    refused("RUN true\nFROM b\n", "only ARG may come before FROM");
    refused("FROM b\nFROM c\n", "a second FROM");
    refused("FROM b\nARG P=x\nRUN true\n", "build argument in scope");
    refused("ARG B\n", "no FROM line");
    refused("FROM b\nRUN a \\\n", "ends inside a continued line");
    refused("# escape=`\nFROM b\n", "escape directive");
    // The line is named.
    refused("FROM b\n\nUSER root\n", "line 3: USER root");
}
