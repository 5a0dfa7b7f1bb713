//! The lanes against small shell scripts standing for test binaries.

use super::*;
use std::path::Path;

fn script(dir: &Path, name: &str, body: &str) -> Job {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    Job {
        name: name.to_string(),
        program: path,
        args: Vec::new(),
        dir: dir.to_path_buf(),
        env: Vec::new(),
    }
}

fn never() -> bool {
    false
}

/// Runs the jobs and returns what they printed, as one text.
fn run_jobs(jobs: Vec<Job>, lanes: usize) -> (Vec<Finished>, String) {
    let out = Mutex::new(Vec::<u8>::new());
    let finished = run(jobs, lanes, &out, &never);
    let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
    (finished, text)
}

#[test]
fn two_lanes_run_two_binaries_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // Each waits (up to 20 s) for the other to have started: only side by side do both see it.
    let wait_for = |other: &str| {
        format!("touch {0}.started; i=0; while [ ! -e {other}.started ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ -e {other}.started ] && echo saw {other}", "$(basename $0)")
    };
    let a = script(dir.path(), "a", &wait_for("b"));
    let b = script(dir.path(), "b", &wait_for("a"));
    let (finished, _) = run_jobs(vec![a, b], 2);
    assert_eq!(finished.len(), 2);
    assert!(finished.iter().all(|f| f.exited_ok), "{finished:?}");
    assert_eq!(finished[0].output, "saw b\n");
    assert_eq!(finished[1].output, "saw a\n");
}

#[test]
fn a_binary_that_must_run_alone_has_no_other_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    // `sandbox` (one of ALONE) looks whether `a` is running: whichever lane starts first, never.
    let a = script(dir.path(), "a", "touch a.started; sleep 0.5; touch a.ended");
    let alone = script(
        dir.path(),
        "sandbox",
        "if [ -e a.started ] && [ ! -e a.ended ]; then echo beside; else echo alone; fi",
    );
    let (finished, _) = run_jobs(vec![a, alone], 2);
    assert_eq!(finished[1].output, "alone\n");
}

#[test]
fn one_lane_runs_them_one_after_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let a = script(dir.path(), "a", "sleep 0.3; touch a.ended");
    let b = script(
        dir.path(),
        "b",
        "if [ -e a.ended ]; then echo after; else echo during; fi",
    );
    let (finished, _) = run_jobs(vec![a, b], 1);
    assert_eq!(finished[1].output, "after\n");
}

#[test]
fn each_output_is_printed_whole_under_its_header_and_stderr_is_kept_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let a = script(
        dir.path(),
        "a",
        "for i in 1 2 3; do echo a$i; echo a$i-err >&2; sleep 0.1; done",
    );
    let b = script(
        dir.path(),
        "b",
        "for i in 1 2 3; do echo b$i; sleep 0.1; done",
    );
    let (finished, text) = run_jobs(vec![a, b], 2);
    assert_eq!(finished[0].output, "a1\na1-err\na2\na2-err\na3\na3-err\n");
    let a_block = text.find("===== a (ok, ").expect(&text);
    let b_block = text.find("===== b (ok, ").expect(&text);
    let (first, second) = if a_block < b_block {
        (&text[a_block..b_block], &text[b_block..])
    } else {
        (&text[a_block..], &text[b_block..a_block])
    };
    assert!(
        first.contains("a1\na1-err\na2\na2-err\na3\na3-err\n"),
        "{text}"
    );
    assert!(
        second.contains("b1\nb2\nb3\n") || first.contains("b1\nb2\nb3\n"),
        "{text}"
    );
    assert_eq!(text.matches("=====").count(), 4, "{text}");
}

#[test]
fn a_crash_a_failure_and_a_missing_binary_are_not_ok() {
    let dir = tempfile::tempdir().unwrap();
    let crash = script(dir.path(), "crash", "echo 'running 2 tests'; kill -SEGV $$");
    let fails = script(
        dir.path(),
        "fails",
        "echo 'test result: FAILED. 1 passed; 1 failed;'; exit 101",
    );
    let mut missing = script(dir.path(), "missing", "");
    missing.program = dir.path().join("not-there");
    let (finished, text) = run_jobs(vec![crash, fails, missing], 2);
    assert!(finished.iter().all(|f| !f.exited_ok), "{finished:?}");
    assert!(
        finished[0]
            .output
            .contains("(the binary exited: signal: 11"),
        "{}",
        finished[0].output
    );
    assert!(finished[2].output.starts_with("could not start "), "{text}");
    assert!(text.contains("===== crash (FAILED, "), "{text}");
}

#[test]
fn the_environment_and_the_folder_are_the_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("pkg");
    std::fs::create_dir(&sub).unwrap();
    let mut job = script(dir.path(), "env", "pwd; echo \"$JDX_LANES_TEST\"");
    job.dir = sub.clone();
    job.env = vec![("JDX_LANES_TEST".into(), "given".into())];
    let (finished, _) = run_jobs(vec![job], 1);
    let sub = sub.canonicalize().unwrap();
    assert_eq!(finished[0].output, format!("{}\ngiven\n", sub.display()));
}

#[test]
fn a_stop_ends_the_running_binaries_and_what_they_started() {
    let dir = tempfile::tempdir().unwrap();
    // A binary that started a process of its own, which writes its pid and waits.
    let job = script(
        dir.path(),
        "long",
        "sh -c 'echo $$ > grandchild; sleep 60' & sleep 60",
    );
    let queued = script(dir.path(), "queued", "touch queued.ran");
    let started = Instant::now();
    let stop = || started.elapsed() > Duration::from_millis(500);
    let out = Mutex::new(Vec::<u8>::new());
    let finished = run(vec![job, queued], 1, &out, &stop);
    assert!(started.elapsed() < Duration::from_secs(20), "not ended");
    assert_eq!(
        finished.len(),
        1,
        "the queued binary was started after the stop"
    );
    assert!(!finished[0].exited_ok);
    assert!(!dir.path().join("queued.ran").exists());
    assert!(
        out.into_inner().unwrap().is_empty(),
        "a binary cut short by the stop was printed"
    );
    let grandchild = std::fs::read_to_string(dir.path().join("grandchild")).unwrap();
    let proc_dir = format!("/proc/{}", grandchild.trim());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&proc_dir).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Gone, or a zombie nobody reaped yet (its parent is init's now).
    let state = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
    assert!(state.is_empty() || state.contains(") Z "), "{state}");
}

#[test]
fn descendants_are_found_through_proc() {
    let mut child = std::process::Command::new("sh")
        .args(["-c", "sleep 30 & echo $!; wait"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let sleep: u32 = line.trim().parse().unwrap();
    let found = descendants(child.id());
    end_trees(&[child.id()]);
    let _ = child.wait();
    assert!(found.contains(&sleep), "{found:?} lacks {sleep}");
    assert!(!found.contains(&child.id()));
}

#[test]
fn the_parent_in_a_stat_line() {
    assert_eq!(parent_in_stat("123 (sh) S 45 123 45 0 -1"), Some(45));
    assert_eq!(parent_in_stat("124 (a (b) c) R 7 1 1"), Some(7));
    assert_eq!(parent_in_stat("garbage"), None);
}

#[test]
fn the_alone_ones_first_then_the_longest_known_and_unit_tests_last() {
    let job = |name: &str| Job {
        name: name.into(),
        program: PathBuf::from("x"),
        args: Vec::new(),
        dir: PathBuf::from("."),
        env: Vec::new(),
    };
    let names = [
        "xtask (src/lib.rs)",
        "foundation",
        "a_new_one",
        "habits",
        "doc-tests xtask",
        "walkthrough_deploy",
        "up",
        "sandbox",
    ];
    let ordered: Vec<String> = longest_first(names.iter().map(|n| job(n)).collect())
        .into_iter()
        .map(|j| j.name)
        .collect();
    assert_eq!(
        ordered,
        [
            "sandbox",
            "walkthrough_deploy",
            "up",
            "a_new_one",
            "habits",
            "foundation",
            "xtask (src/lib.rs)",
            "doc-tests xtask"
        ]
    );
}
