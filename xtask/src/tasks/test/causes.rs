//! Why each failing test failed, in the few lines a log's tail keeps: where it panicked and the
//! last lines of its `---- NAME stdout ----` section (an assertion's message, or the last error a
//! walkthrough printed). A long section (a whole replay's transcript) is otherwise cut in the
//! middle by whoever shows only part of the log.

/// Lines kept from the end of each failing test's section.
const LAST_LINES: usize = 6;
/// Characters kept of each line.
const WIDTH: usize = 240;

/// One failing test's name, where it panicked, and its section's last lines.
pub fn tails(output: &str) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut open = false;
    for line in output.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            found.push((name.to_string(), Vec::new()));
            open = true;
        } else if line == "failures:"
            || line.starts_with("test result: ")
            || line.starts_with("stack backtrace:")
        {
            // A backtrace's frames say nothing of why: the message above them does.
            open = false;
        } else if let (true, Some((_, lines))) = (open, found.last_mut()) {
            lines.push(line.to_string());
        }
    }
    found
        .into_iter()
        .map(|(name, lines)| (name, kept(&lines)))
        .collect()
}

/// The `panicked at` line and the last non-empty lines, each cut to [`WIDTH`].
fn kept(lines: &[String]) -> Vec<String> {
    let said: Vec<&String> = lines.iter().filter(|l| !l.trim().is_empty()).collect();
    let at = said.iter().find(|l| l.contains("panicked at "));
    let last = &said[said.len().saturating_sub(LAST_LINES)..];
    let mut kept: Vec<String> = at
        .filter(|a| !last.contains(a))
        .into_iter()
        .copied()
        .cloned()
        .collect();
    kept.extend(last.iter().copied().cloned());
    kept.into_iter()
        .map(|l| match l.char_indices().nth(WIDTH) {
            Some((i, _)) => format!("{} [...]", &l[..i]),
            None => l,
        })
        .collect()
}

/// The tails as printed before the suite's table.
pub fn render(binary: &str, tails: &[(String, Vec<String>)]) -> String {
    tails
        .iter()
        .map(|(test, lines)| {
            let body: String = lines.iter().map(|l| format!("  | {l}\n")).collect();
            format!("why {binary}::{test} failed (where it panicked, its last lines):\n{body}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panic_location_and_the_last_lines_of_each_failing_section() {
        let long: String = (1..=40).map(|i| format!("transcript line {i}\n")).collect();
        let output = format!(
            "running 2 tests\ntest a ... FAILED\ntest b ... FAILED\n\nfailures:\n\n---- a stdout ----\n\nthread 'a' (1) panicked at tests/x.rs:9:5:\n{long}error: the sandbox stopped\n\n---- b stdout ----\nthread 'b' (2) panicked at tests/y.rs:3:1:\nassertion failed\nstack backtrace:\n   0: __rustc::rust_begin_unwind\nnote: Some details are omitted\n\nfailures:\n    a\n    b\n\ntest result: FAILED. 0 passed; 2 failed\n"
        );
        let found = tails(&output);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "a");
        assert_eq!(found[0].1[0], "thread 'a' (1) panicked at tests/x.rs:9:5:");
        assert_eq!(found[0].1.last().unwrap(), "error: the sandbox stopped");
        assert_eq!(found[0].1.len(), 1 + LAST_LINES);
        assert_eq!(
            found[1].1,
            [
                "thread 'b' (2) panicked at tests/y.rs:3:1:",
                "assertion failed"
            ]
        );
        let shown = render("deploy", &found[1..]);
        assert!(shown.starts_with("why deploy::b failed"), "{shown}");
        assert!(shown.contains("  | assertion failed\n"), "{shown}");
    }

    #[test]
    fn long_lines_are_cut_and_a_passing_run_has_none() {
        let output = format!("---- a stdout ----\n{}\n\nfailures:\n", "x".repeat(1000));
        assert_eq!(tails(&output)[0].1[0].len(), WIDTH + " [...]".len());
        assert!(tails("running 1 test\ntest a ... ok\n").is_empty());
    }
}
