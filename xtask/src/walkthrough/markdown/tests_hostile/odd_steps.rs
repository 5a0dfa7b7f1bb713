//! Hostile articles' odd steps: blanks in indents, bad steps, an unclosed fence, long outputs, and
//! the hostile fixture's steps.

use std::time::Duration;

use super::cpu_time;
use crate::walkthrough::markdown::compare::compare;
use crate::walkthrough::markdown::reader::read;
use crate::walkthrough::markdown::steps::{Step, StepKind};

pub(super) fn why(steps: &[Step], line: usize) -> String {
    match steps.iter().find(|s| s.line == line).map(|s| &s.kind) {
        Some(StepKind::CannotRun { why, .. }) => why.clone(),
        other => panic!("line {line}: {other:?}"),
    }
}

#[test]
fn odd_blanks_in_indents_are_text_not_a_crash() {
    for blank in [
        "\u{3000}",
        "\u{a0}",
        "  \u{3000}  ",
        "\u{a0}\u{a0}\u{a0}\u{a0}",
    ] {
        let md = format!("1.  Run:\n\n{blank}```command\n{blank}docker ps\n{blank}```\n\n{blank}    indented {blank}block\n\n    {{{{< output >}}}}\n{blank}ok\n{blank}{{{{< /output >}}}}\n");
        let steps = read(&md);
        assert!(
            steps
                .iter()
                .any(|s| s.text() == "docker ps" || s.text().ends_with("docker ps")),
            "{blank:?}: {steps:?}"
        );
    }
}

#[test]
fn a_bad_step_is_a_cannot_run_line_with_its_number() {
    let long = format!("echo {}", "x".repeat(200 * 1024));
    let md = format!("```command\necho a\0b\n{long}\ndocker ps\n```\n\n```file {{title=\"../../../etc/x\"}}\nx\n```\n\n```file {{title=\"~/.bashrc\"}}\nalias x=y\n```\n");
    let steps = read(&md);
    assert!(why(&steps, 2).contains("NUL byte"));
    assert!(why(&steps, 3).contains("more than the 131072"));
    assert!(
        matches!(&steps[2].kind, StepKind::Command { text, .. } if text == "docker ps"),
        "the block goes on: {:?}",
        steps[2]
    );
    assert!(why(&steps, 7).contains("leads out of the project folder"));
    assert!(
        matches!(&steps[4].kind, StepKind::File { name, .. } if name == "~/.bashrc"),
        "{:?}",
        steps[4]
    );
}

#[test]
fn an_unclosed_fence_never_runs_the_prose_after_it() {
    let md = "1.  Start:\n\n    ```command\n    docker run -d img\n\n1.  Now rm -rf the old folder by hand and reboot.\n\n    ```command\n    docker ps\n";
    let steps = read(md);
    assert!(why(&steps, 3).contains("never closed"), "{steps:?}");
    assert!(why(&steps, 8).contains("never closed"), "{steps:?}");
    assert!(
        steps
            .iter()
            .all(|s| !matches!(s.kind, StepKind::Command { .. })),
        "nothing runs: {steps:?}"
    );
    // A longer fence holds shorter runs: they are its content, not its end.
    let steps = read("````file {title=\"README.md\"}\n```command\nls\n```\n````\n");
    assert_eq!(steps.len(), 1);
    assert!(
        matches!(&steps[0].kind, StepKind::File { content, .. } if content == "```command\nls\n```")
    );
    let steps = read("{{< file \"a.txt\" >}}\nrm -rf /\n");
    assert!(
        why(&steps, 1).contains("never closed") && steps.len() == 1,
        "{steps:?}"
    );
}

#[test]
fn long_outputs_compare_in_bounded_time_and_memory() {
    // A 3 MB line with `...`: too big for a pattern, compared as written, no panic.
    let huge = format!("{}...{}", "a".repeat(1_500_000), "b".repeat(1_500_000));
    assert!(!compare(&huge, "ab", &[]).matches());
    assert!(compare(&huge, &huge, &["AAA".to_string()]).matches());
    // 100k lines in the article's block: too long to compare, said so at once.
    let block = "line\n".repeat(100_000);
    let started = cpu_time();
    match compare(&block, "line\n", &[]) {
        super::super::compare::Verdict::Differs { diff, at } => assert!(
            diff.contains("100000 lines: too long to compare") && at == 0,
            "{diff}"
        ),
        v => panic!("{v:?}"),
    }
    // 3000 lines each side, past the alignment table: `...` still swallows, a wrong line is found.
    let article = format!(
        "start\n...\n{}end",
        (0..2998).map(|n| format!("row {n}\n")).collect::<String>()
    );
    let real = format!(
        "start\nnoise\nnoise\n{}end",
        (0..2998).map(|n| format!("row {n}\n")).collect::<String>()
    );
    assert!(compare(&article, &real, &[]).matches());
    match compare(&article, &real.replace("row 1500\n", "row X\n"), &[]) {
        super::super::compare::Verdict::Differs { diff, at } => assert!(
            diff.contains("-row 1500\n+row X") && at == 1502,
            "{at} {diff}"
        ),
        v => panic!("{v:?}"),
    }
    assert!(
        cpu_time() - started < Duration::from_secs(20),
        "{:?}",
        cpu_time() - started
    );
}

/// The end-to-end test's hostile tutorial reads as that test expects (the sandbox aside).
#[test]
fn the_hostile_fixture_has_its_steps_where_the_replay_test_looks() {
    let text = include_str!("../../../../test_data/markdown/hostile.md");
    let steps = read(text);
    let at = |line: usize| {
        steps
            .iter()
            .find(|s| s.line == line)
            .unwrap_or_else(|| panic!("no step at line {line}: {steps:?}"))
    };
    assert!(at(12).text().starts_with("head -c 3000000"));
    assert!(at(18).text().starts_with("printf '````"));
    assert!(matches!(&at(23).kind, StepKind::File { name, .. } if name == "~/.replay-hostile"));
    assert_eq!(at(28).text(), "cat /root/.replay-hostile");
    assert!(matches!(
        at(31).kind,
        StepKind::Output {
            of_line: Some(28),
            ..
        }
    ));
    assert!(why(&steps, 37).contains("out of the project folder"));
    assert_eq!(at(42).text(), "ls /tmp/replay-hostile-escaped");
    assert!(why(&steps, 47).contains("never closed"));
    assert!(
        steps.iter().all(|s| !s.text().contains("rm -rf")),
        "{steps:?}"
    );
}
