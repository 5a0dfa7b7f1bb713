//! What `cargo test --no-fail-fast` said, binary by binary: read from its merged output as it
//! streams, timed from the stream (a binary's seconds run from its `Running` line to its
//! `test result:` line).

use std::time::Instant;

/// One test binary's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    /// `xtask (src/lib.rs)`, `foundation`, `doc-tests xtask`.
    pub name: String,
    pub passed: u64,
    pub failed: u64,
    pub seconds: f64,
    /// False when the binary printed no `test result:` line (it crashed or was killed).
    pub finished: bool,
    /// Names of its tests that printed `... FAILED`.
    pub failures: Vec<String>,
}

impl Binary {
    pub fn failed(&self) -> bool {
        !self.finished || self.failed > 0
    }

    /// A binary run on its own: its whole output, how long it ran, and whether it exited with
    /// success. Its last `test result:` line counts; a binary that printed none, or that said all
    /// passed and then exited with a failure (a crash at exit), has no result.
    pub fn from_run(name: &str, output: &str, seconds: f64, exited_ok: bool) -> Binary {
        let mut binary = Binary {
            name: name.to_string(),
            passed: 0,
            failed: 0,
            seconds,
            finished: false,
            failures: Vec::new(),
        };
        for line in output.lines().map(str::trim) {
            if let Some((passed, failed)) = parse_result_line(line) {
                (binary.passed, binary.failed, binary.finished) = (passed, failed, true);
            } else if let Some(test) = failed_test(line) {
                binary.failures.push(test.to_string());
            }
        }
        if !exited_ok && binary.failed == 0 {
            binary.finished = false;
        }
        binary
    }
}

#[derive(Debug, Default)]
pub struct Tally {
    pub binaries: Vec<Binary>,
    /// When the binary being run now started (its `Running` line), until its result line.
    open: Option<Instant>,
}

impl Tally {
    /// One line of cargo's output, received at `now`.
    pub fn feed(&mut self, line: &str, now: Instant) {
        let line = line.trim();
        if let Some(name) = binary_started(line) {
            self.close(now);
            self.binaries.push(Binary {
                name,
                passed: 0,
                failed: 0,
                seconds: 0.0,
                finished: false,
                failures: Vec::new(),
            });
            self.open = Some(now);
        } else if let Some((passed, failed)) = parse_result_line(line) {
            if let (Some(started), Some(binary)) = (self.open.take(), self.binaries.last_mut()) {
                binary.passed = passed;
                binary.failed = failed;
                binary.finished = true;
                binary.seconds = now.duration_since(started).as_secs_f64();
            }
        } else if let Some(test) = failed_test(line) {
            if let (Some(_), Some(binary)) = (self.open, self.binaries.last_mut()) {
                binary.failures.push(test.to_string());
            }
        }
    }

    /// The stream ended (or the next binary started): a binary still open never printed its result.
    pub fn close(&mut self, now: Instant) {
        if let (Some(started), Some(binary)) = (self.open.take(), self.binaries.last_mut()) {
            binary.seconds = now.duration_since(started).as_secs_f64();
        }
    }

    /// A binary run on its own (see [`Binary::from_run`]).
    pub fn push(&mut self, binary: Binary) {
        self.close(std::time::Instant::now());
        self.binaries.push(binary);
    }

    pub fn totals(&self) -> (u64, u64) {
        self.binaries
            .iter()
            .fold((0, 0), |(p, f), b| (p + b.passed, f + b.failed))
    }

    /// The binaries that failed, with their failing tests: `foundation (doctor_reports_the_machine)`.
    pub fn failures(&self) -> Vec<String> {
        self.binaries
            .iter()
            .filter(|b| b.failed())
            .map(|b| match (b.finished, b.failures.is_empty()) {
                (false, _) => format!("{} (no result: the binary crashed or was killed)", b.name),
                (true, true) => format!("{} ({} failed)", b.name, b.failed),
                (true, false) => format!("{} ({})", b.name, b.failures.join(", ")),
            })
            .collect()
    }

    /// binary, passed, failed, seconds: one row per test binary, then the totals.
    pub fn table(&self) -> String {
        let width = self
            .binaries
            .iter()
            .map(|b| b.name.len())
            .chain([6])
            .max()
            .unwrap_or(6);
        let mut text = format!(
            "{:<width$}  {:>6}  {:>6}  {:>8}\n",
            "binary", "passed", "failed", "seconds"
        );
        for b in &self.binaries {
            let (passed, failed) = if b.finished {
                (b.passed.to_string(), b.failed.to_string())
            } else {
                ("-".into(), "crashed".into())
            };
            text.push_str(&format!(
                "{:<width$}  {passed:>6}  {failed:>6}  {:>8.1}\n",
                b.name, b.seconds
            ));
        }
        let (passed, failed) = self.totals();
        let seconds: f64 = self.binaries.iter().map(|b| b.seconds).sum();
        text.push_str(&format!(
            "{:<width$}  {passed:>6}  {failed:>6}  {seconds:>8.1}\n",
            "total"
        ));
        text
    }
}

/// `Running unittests src/lib.rs (target/debug/deps/xtask-6540be18c6ced706)` -> `xtask (src/lib.rs)`;
/// `Running ../tests/up.rs (target/debug/deps/up-bdbf042c86c86ac1)` -> `up`; `Doc-tests xtask` -> `doc-tests xtask`.
pub fn binary_started(line: &str) -> Option<String> {
    if let Some(krate) = line.strip_prefix("Doc-tests ") {
        return Some(format!("doc-tests {}", krate.trim()));
    }
    let rest = line.strip_prefix("Running ")?;
    let (source, path) = rest.rsplit_once(" (")?;
    let file = path.strip_suffix(')')?.rsplit(['/', '\\']).next()?;
    let file = file.strip_suffix(".exe").unwrap_or(file);
    let name = match file.rsplit_once('-') {
        Some((name, hash)) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => file,
    };
    Some(match source.strip_prefix("unittests ") {
        Some(src) => format!("{name} ({src})"),
        None => name.to_string(),
    })
}

/// `test some_test ... FAILED` -> `some_test`.
fn failed_test(line: &str) -> Option<&str> {
    line.strip_prefix("test ")?.strip_suffix(" ... FAILED")
}

/// `test result: ok. 28 passed; 0 failed; ...` -> (28, 0).
pub fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<u64> {
        let i = rest.find(word)?;
        rest[..i]
            .trim_end()
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    Some((number_before(" passed")?, number_before(" failed")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Feeds a recorded output, one line per 100 ms.
    fn tally_of(output: &str) -> Tally {
        let start = Instant::now();
        let mut tally = Tally::default();
        let mut now = start;
        for line in output.lines() {
            now += Duration::from_millis(100);
            tally.feed(line, now);
        }
        tally.close(now + Duration::from_millis(100));
        tally
    }

    #[test]
    fn result_lines() {
        assert_eq!(parse_result_line("test result: ok. 28 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s"), Some((28, 0)));
        assert_eq!(
            parse_result_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_result_line("running 3 tests"), None);
    }

    #[test]
    fn binary_names() {
        assert_eq!(
            binary_started(
                "Running unittests src/lib.rs (target/debug/deps/xtask-6540be18c6ced706)"
            )
            .as_deref(),
            Some("xtask (src/lib.rs)")
        );
        assert_eq!(binary_started("Running ../tests/walkthrough_mysql.rs (target/debug/deps/walkthrough_mysql-67c862ddc2967420)").as_deref(), Some("walkthrough_mysql"));
        assert_eq!(
            binary_started("Doc-tests xtask").as_deref(),
            Some("doc-tests xtask")
        );
        assert_eq!(binary_started("running 1 test"), None);
        assert_eq!(binary_started("Running"), None);
    }

    /// Recorded: `cargo test --workspace --no-fail-fast -- doctor_reports_the_machine` with the
    /// engine unreachable, so that foundation's test fails and every other binary still runs.
    #[test]
    fn a_recorded_run_with_one_failing_binary() {
        let recorded = include_str!("../../../test_data/cargo/no-fail-fast-one-failure.txt");
        let tally = tally_of(recorded);
        let names: Vec<&str> = tally.binaries.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "xtask (src/lib.rs)",
                "xtask (src/main.rs)",
                "bench",
                "browser",
                "faults",
                "foundation",
                "safety",
                "up",
                "walkthrough_compose",
                "walkthrough_manage_data",
                "walkthrough_mysql",
                "walkthrough_setup",
                "doc-tests xtask",
            ]
        );
        let foundation = tally
            .binaries
            .iter()
            .find(|b| b.name == "foundation")
            .unwrap();
        assert_eq!(
            (foundation.passed, foundation.failed, foundation.finished),
            (0, 1, true)
        );
        assert_eq!(foundation.failures, ["doctor_reports_the_machine"]);
        // From its Running line (33) to its result line (66) of the recording, 100 ms a line.
        assert!(
            (foundation.seconds - 3.3).abs() < 1e-9,
            "{}",
            foundation.seconds
        );
        let bench = tally.binaries.iter().find(|b| b.name == "bench").unwrap();
        assert!((bench.seconds - 0.4).abs() < 1e-9, "{}", bench.seconds);
        assert_eq!(tally.totals(), (0, 1));
        assert_eq!(
            tally.failures(),
            ["foundation (doctor_reports_the_machine)"]
        );
        assert!(tally
            .binaries
            .iter()
            .filter(|b| b.name != "foundation")
            .all(|b| b.finished && !b.failed()));

        let table = tally.table();
        let row = table
            .lines()
            .find(|l| l.starts_with("foundation "))
            .unwrap();
        assert_eq!(
            row.split_whitespace().collect::<Vec<_>>(),
            ["foundation", "0", "1", "3.3"]
        );
        assert!(table.starts_with("binary "), "{table}");
        assert_eq!(
            table
                .lines()
                .last()
                .unwrap()
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>(),
            ["total", "0", "1"]
        );
        assert_eq!(table.lines().count(), 1 + 13 + 1);
    }

    #[test]
    fn a_binary_that_crashed_has_no_result_and_fails() {
        let output = "     Running ../tests/up.rs (target/debug/deps/up-bdbf042c86c86ac1)\n\nrunning 5 tests\n\
                      test bad_input_is_refused_and_leaves_nothing ... ok\n\
                      error: test failed, to rerun pass `--test up`\n\nCaused by:\n  process didn't exit successfully: `/w/target/debug/deps/up-bdbf042c86c86ac1` (signal: 6, SIGABRT: process abort signal)\n\
                      \x20    Running ../tests/safety.rs (target/debug/deps/safety-007441a888e7bf5d)\n\nrunning 4 tests\n\
                      test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 70.10s\n";
        let tally = tally_of(output);
        assert_eq!(tally.binaries.len(), 2);
        let up = &tally.binaries[0];
        assert!(!up.finished && up.failed());
        // Until the next binary's Running line: 8 lines later.
        assert!((up.seconds - 0.8).abs() < 1e-9, "{}", up.seconds);
        assert_eq!(
            tally.failures(),
            ["up (no result: the binary crashed or was killed)"]
        );
        assert_eq!(tally.totals(), (4, 0));
        assert!(
            tally
                .table()
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["up", "-", "crashed", "0.8"]),
            "{}",
            tally.table()
        );
    }

    #[test]
    fn binaries_run_on_their_own() {
        let passed = "\nrunning 2 tests\ntest a ... ok\ntest b ... ok\n\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s\n\n";
        let b = Binary::from_run("up", passed, 1.5, true);
        assert_eq!(
            (b.passed, b.failed, b.finished, b.seconds),
            (2, 0, true, 1.5)
        );
        assert!(!b.failed());

        let failing = "running 2 tests\ntest a ... ok\ntest b ... FAILED\n\nfailures:\n\n---- b stdout ----\nboom\n\ntest result: FAILED. 1 passed; 1 failed; 0 ignored\n";
        let b = Binary::from_run("safety", failing, 3.0, false);
        assert_eq!((b.passed, b.failed, b.finished), (1, 1, true));
        assert_eq!(b.failures, ["b"]);

        // Killed mid-run: no result line.
        let b = Binary::from_run("habits", "running 4 tests\ntest a ... ok\n", 9.0, false);
        assert!(!b.finished && b.failed());
        // All passed, then a crash on the way out: no result either.
        let b = Binary::from_run("faults", passed, 2.0, false);
        assert!(!b.finished && b.failed(), "{b:?}");
        // A result line and a clean exit, but not the last line: still the binary's result.
        let b = Binary::from_run("doc-tests xtask", "   Doc-tests xtask\n\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored\n\n", 4.0, true);
        assert!(b.finished && !b.failed());

        let mut tally = Tally::default();
        tally.push(Binary::from_run("up", passed, 1.5, true));
        tally.push(Binary::from_run("habits", "running 4 tests\n", 9.0, false));
        tally.push(Binary::from_run("safety", failing, 3.0, false));
        assert_eq!(tally.totals(), (3, 1));
        assert_eq!(
            tally.failures(),
            [
                "habits (no result: the binary crashed or was killed)",
                "safety (b)"
            ]
        );
        let rows: Vec<Vec<String>> = tally
            .table()
            .lines()
            .map(|l| l.split_whitespace().map(String::from).collect())
            .collect();
        assert_eq!(rows[1], ["up", "2", "0", "1.5"]);
        assert_eq!(rows[2], ["habits", "-", "crashed", "9.0"]);
        assert_eq!(rows[4], ["total", "3", "1", "13.5"]);
    }
}
