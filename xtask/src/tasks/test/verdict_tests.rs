//! The verdict: every check's failure is reported, and a run passes only when all pass.

use super::*;

/// The binaries' output as `cargo test` prints it, one binary a line: `NAME ok`, `NAME fail`
/// (a failing test) or `NAME crash` (no result line).
fn tally(binaries: &str) -> Tally {
    let now = std::time::Instant::now();
    let mut tally = Tally::default();
    for (name, outcome) in binaries
        .split_whitespace()
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| (c[0], c[1]))
    {
        tally.feed(
            &format!("Running tests/{name}.rs (target/debug/deps/{name}-0123abcd)"),
            now,
        );
        match outcome {
            "ok" => tally.feed("test result: ok. 2 passed; 0 failed; 0 ignored", now),
            "fail" => {
                tally.feed("test it_breaks ... FAILED", now);
                tally.feed("test result: FAILED. 1 passed; 1 failed; 0 ignored", now);
            }
            _ => tally.feed("error: test failed, to rerun pass `--test x`", now),
        }
    }
    tally.close(now);
    tally
}

fn verdict_of(
    binaries: &str,
    cargo_ok: bool,
    touched: Option<&str>,
    leaked: Result<Vec<&str>>,
    removed: Result<()>,
) -> Vec<String> {
    let leaked = leaked.map(|l| l.into_iter().map(String::from).collect());
    verdict(
        &tally(binaries),
        cargo_ok,
        touched.map(String::from),
        leaked,
        removed,
    )
}

#[test]
fn a_clean_run_passes_and_each_check_alone_fails_it() {
    assert!(verdict_of("up ok safety ok", true, None, Ok(vec![]), Ok(())).is_empty());
    // A filter that selects no test binary is no failure either.
    assert!(verdict_of("", true, None, Ok(vec![]), Ok(())).is_empty());
    a_failing_binary_alone_fails_it();
    a_failing_cargo_alone_fails_it();
    a_touched_or_leaked_resource_alone_fails_it();
    a_blind_leak_check_or_a_stuck_removal_alone_fails_it();
}

/// The only problem the verdict reports.
fn one(v: Vec<String>) -> String {
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap()
}

fn a_failing_binary_alone_fails_it() {
    let failed = one(verdict_of(
        "up ok safety fail",
        true,
        None,
        Ok(vec![]),
        Ok(()),
    ));
    assert_eq!(failed, "1 test binary failed: safety (it_breaks)");
    let crashed = one(verdict_of(
        "up crash safety ok",
        false,
        None,
        Ok(vec![]),
        Ok(()),
    ));
    assert_eq!(
        crashed,
        "1 test binary failed: up (no result: the binary crashed or was killed)"
    );
}

fn a_failing_cargo_alone_fails_it() {
    // cargo failed and printed no result line at all (a build error): no binary ran, and that fails.
    let unbuilt = one(verdict_of("", false, None, Ok(vec![]), Ok(())));
    assert!(unbuilt.contains("`cargo test` failed"), "{unbuilt}");
    // Every binary passed, and cargo failed after them (the doc-tests did not build, say).
    let after = one(verdict_of(
        "up ok safety ok",
        false,
        None,
        Ok(vec![]),
        Ok(()),
    ));
    assert!(after.contains("`cargo test` failed"), "{after}");
}

fn a_touched_or_leaked_resource_alone_fails_it() {
    let touched = one(verdict_of(
        "up ok",
        true,
        Some("volume v lost its data"),
        Ok(vec![]),
        Ok(()),
    ));
    assert!(
        touched.contains("a person's own resources: volume v lost its data"),
        "{touched}"
    );
    let leaked = one(verdict_of(
        "up ok",
        true,
        None,
        Ok(vec!["container c (run r)", "volume v (run r)"]),
        Ok(()),
    ));
    assert!(
        leaked.starts_with("2 resource(s) with the run's label were left behind"),
        "{leaked}"
    );
}

fn a_blind_leak_check_or_a_stuck_removal_alone_fails_it() {
    // The leak check fails closed: not seeing is not "nothing leaked".
    let blind = one(verdict_of(
        "up ok",
        true,
        None,
        Err(anyhow::anyhow!("engine trouble")),
        Ok(()),
    ));
    assert!(
        blind.contains("the leak check could not look: engine trouble"),
        "{blind}"
    );
    let stuck = one(verdict_of(
        "up ok",
        true,
        None,
        Ok(vec![]),
        Err(anyhow::anyhow!("engine trouble")),
    ));
    assert!(
        stuck.contains("removing what the tests left behind failed: engine trouble"),
        "{stuck}"
    );
}

#[test]
fn every_problem_is_reported_whichever_comes_first() {
    let all = verdict_of(
        "up fail safety crash",
        false,
        Some("network n was removed"),
        Err(anyhow::anyhow!("no look")),
        Err(anyhow::anyhow!("no rm")),
    );
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[0], "2 test binaries failed: up (it_breaks); safety (no result: the binary crashed or was killed)");
    assert!(
        all[1].contains("network n was removed")
            && all[2].contains("no look")
            && all[3].contains("no rm"),
        "{all:?}"
    );
}
