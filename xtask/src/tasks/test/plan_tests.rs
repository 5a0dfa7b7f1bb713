use super::*;
use std::path::PathBuf;

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

#[test]
fn what_each_command_line_runs() {
    assert_eq!(plan(false, &[]).unwrap(), Plan::Lanes(Selection::All));
    assert_eq!(plan(true, &[]).unwrap(), Plan::Lanes(Selection::Quick));
    assert_eq!(
        plan(false, &args("--test foundation --test=up")).unwrap(),
        Plan::Lanes(Selection::Named(args("foundation up")))
    );
    // A name filter, `--lib`, or anything after `--`: one `cargo test`, as before.
    for other in [
        "doctor_reports",
        "--test foundation doctor_reports",
        "--lib",
        "--test",
        "--test --lib",
        "--test foundation -- --nocapture",
    ] {
        assert_eq!(
            plan(false, &args(other)).unwrap(),
            Plan::Cargo(args(other)),
            "{other}"
        );
    }
    let error = plan(true, &args("--test up")).unwrap_err().to_string();
    assert!(
        error.contains("`--quick` picks its own test binaries: drop `--test up`"),
        "{error}"
    );
}

#[test]
fn what_each_selection_builds_and_whether_it_needs_a_sandbox() {
    assert_eq!(Selection::All.build_args(), ["--workspace"]);
    let quick = Selection::Quick.build_args().join(" ");
    assert!(
        quick.starts_with("--workspace --lib --bins --test support --test foundation"),
        "{quick}"
    );
    assert_eq!(
        Selection::Named(args("up habits")).build_args(),
        args("--workspace --test up --test habits")
    );
    assert!(Selection::All.needs_sandbox());
    assert!(!Selection::Quick.needs_sandbox());
    assert!(!Selection::Named(args("support foundation")).needs_sandbox());
    assert!(Selection::Named(args("support walkthrough_mysql")).needs_sandbox());
}

fn built() -> Built {
    let exe = |name: &str, target: &str, unit: bool| Executable {
        name: name.into(),
        target: target.into(),
        unit,
        path: PathBuf::from(format!("/t/deps/{target}-1")),
        package_dir: PathBuf::from("/w/xtask"),
    };
    Built {
        executables: vec![
            exe("xtask (src/lib.rs)", "xtask", true),
            exe("xtask (src/main.rs)", "xtask", true),
            exe("foundation", "foundation", false),
            exe("habits", "habits", false),
            exe("support", "support", false),
        ],
        bins: vec![
            (
                PathBuf::from("/w/xtask"),
                "xtask".into(),
                PathBuf::from("/t/xtask"),
            ),
            (
                PathBuf::from("/w/other"),
                "other".into(),
                PathBuf::from("/t/other"),
            ),
        ],
        doctest_libs: vec![(PathBuf::from("/w/xtask"), "xtask".into())],
        success: true,
    }
}

fn names(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(|j| j.name.as_str()).collect()
}

#[test]
fn the_jobs_of_each_selection() {
    let root = Path::new("/w");
    let all = jobs(&built(), &Selection::All, "suite-1-2", root).unwrap();
    assert_eq!(
        names(&all),
        [
            "xtask (src/lib.rs)",
            "xtask (src/main.rs)",
            "foundation",
            "habits",
            "support",
            "doc-tests xtask"
        ]
    );
    let doc = all.last().unwrap();
    assert_eq!(doc.args, args("test --doc -p xtask"));
    assert_eq!(doc.dir, root);
    let quick = jobs(&built(), &Selection::Quick, "r", root).unwrap();
    assert_eq!(
        names(&quick),
        [
            "xtask (src/lib.rs)",
            "xtask (src/main.rs)",
            "foundation",
            "support"
        ]
    );
    let named = jobs(&built(), &Selection::Named(args("habits")), "r", root).unwrap();
    assert_eq!(names(&named), ["habits"]);
    let error = jobs(&built(), &Selection::Named(args("nope")), "r", root)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "there is no test binary named `nope`: pick one of foundation, habits, support"
    );
}

#[test]
fn each_binary_gets_what_cargo_test_gives_it() {
    let all = jobs(&built(), &Selection::All, "suite-1-2", Path::new("/w")).unwrap();
    let foundation = all.iter().find(|j| j.name == "foundation").unwrap();
    assert_eq!(foundation.program, Path::new("/t/deps/foundation-1"));
    assert!(foundation.args.is_empty());
    assert_eq!(foundation.dir, Path::new("/w/xtask"));
    let env: Vec<(&str, &str)> = foundation
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            (RUN_ID_ENV, "suite-1-2"),
            ("CARGO_MANIFEST_DIR", "/w/xtask"),
            ("CARGO_MANIFEST_PATH", "/w/xtask/Cargo.toml"),
            // Only its own package's binaries.
            ("CARGO_BIN_EXE_xtask", "/t/xtask"),
        ]
    );
}

#[test]
fn the_test_targets_in_cargo_metadata() {
    let json = r#"{"packages":[{"name":"xtask","targets":[
        {"kind":["lib"],"name":"xtask"},{"kind":["bin"],"name":"xtask"},
        {"kind":["test"],"name":"foundation"},{"kind":["test"],"name":"habits"}]}]}"#;
    assert_eq!(test_targets(json).unwrap(), ["foundation", "habits"]);
    assert!(test_targets("not json").is_err());
}
