use std::sync::Arc;

use super::diff::{self, Edit};
use super::rules::{mend_dashes, Rule};
use super::*;
use crate::walkthrough::markdown::steps::expected_output;
use crate::walkthrough::markdown::{compare, reader, StepResult};

/// Lines 1-16: a command whose sample output says `hullo` (line 9) beside an ID line, then a
/// command typed with an en dash (line 15).
const ARTICLE: &str = "1.  Say hello:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run --rm img echo hello\n    ```\n\n    ```output\n    Container 0123456789ab says\n    hullo\n    ```\n\n1.  Run it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run \u{2013}rm img true\n    ```\n";

pub(super) fn ran(step: usize, exit: i32, output: &str) -> StepResult {
    StepResult {
        step,
        exit: Some(exit),
        output: output.into(),
        ..Default::default()
    }
}

/// A replay of `article` with `results`, their verdicts compared as the replay does.
pub(super) fn replayed(article: &str, mut results: Vec<StepResult>, secrets: &[&str]) -> Replayed {
    let steps = reader::read(article);
    for r in &mut results {
        if let Some(out) = expected_output(&steps, r.step) {
            r.verdict = Some(compare(out.text(), &r.output, &[]));
        }
    }
    Replayed {
        path: "a.md".into(),
        title: "A".into(),
        article: article.into(),
        steps,
        results,
        transcript: vec![],
        notes: vec![],
        claims: vec![],
        wildcards: vec![],
        sandbox: "s".into(),
        secrets: Arc::new(secrets.iter().map(|s| s.to_string()).collect()),
        stopped: None,
    }
}

const FAILED_DASH: &str = "docker: invalid reference format.\nSee 'docker run --help'.";

#[test]
fn the_diff_writer_makes_hunks_with_three_lines_of_context() {
    let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    let edit = |line: usize, new: &str| Edit {
        start: line - 1,
        old: 1,
        new: vec![new.into()],
    };
    let (near, far) = (edit(10, "ten"), edit(18, "eighteen"));
    let first = edit(2, "two");
    let diff = diff::unified("f.md", &text, &[&first, &near, &far]);
    assert_eq!(
        diff,
        "--- a/f.md\n+++ b/f.md\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+ten\n line 11\n line 12\n line 13\n@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+eighteen\n line 19\n line 20\n"
    );
    assert_eq!(diff::unified("f.md", &text, &[]), "");
    // Six unchanged lines between two changes: one hunk.
    let closer = edit(17, "seventeen");
    let merged = diff::unified("f.md", &text, &[&near, &closer]);
    assert_eq!(merged.matches("\n@@ ").count(), 1, "{merged}");
    assert!(merged.contains("@@ -7,14 +7,14 @@\n"), "{merged}");
    let applied = diff::apply(&text, &[&first, &near]);
    assert!(applied.starts_with("line 1\ntwo\nline 3\n") && applied.contains("\nten\n"));
    // A block replaced whole shows the lines it keeps as context; a line added changes the counts.
    let block = Edit {
        start: 1,
        old: 3,
        new: vec![
            "line 2".into(),
            "new".into(),
            "line 3".into(),
            "more".into(),
        ],
    };
    let diff = diff::unified("f.md", "line 1\nline 2\nold\nline 3\nline 5", &[&block]);
    assert_eq!(
        diff,
        "--- a/f.md\n+++ b/f.md\n@@ -1,5 +1,6 @@\n line 1\n line 2\n-old\n+new\n line 3\n+more\n line 5\n\\ No newline at end of file\n"
    );
}

#[test]
fn a_look_alike_dash_is_mended_and_a_plain_one_is_not() {
    for (line, want, mended) in [
        (
            "docker run \u{2013}name web img",
            "docker run --name web img",
            "--name",
        ),
        ("docker run \u{2014}rm img", "docker run --rm img", "--rm"),
        ("docker run \u{2013}-rm img", "docker run --rm img", "--rm"),
        ("    docker ps \u{2013}a", "    docker ps -a", "-a"),
        (
            "docker run \u{2212}p 80:80 img",
            "docker run -p 80:80 img",
            "-p",
        ),
    ] {
        let (fixed, said) = mend_dashes(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!((fixed.as_str(), said), (want, vec![mended.to_string()]));
    }
    for line in [
        "docker run --rm -p 8888:8888 img",
        "docker run -it img",
        "echo 1 \u{2013} 2",
        "pages 2\u{2013}3",
    ] {
        assert_eq!(mend_dashes(line), None, "{line}");
    }
}

#[test]
fn the_dash_rule_fires_on_a_failed_step_only() {
    let fails = replayed(
        ARTICLE,
        vec![
            ran(0, 0, "Container ba9876543210 says\nhullo"),
            ran(2, 125, FAILED_DASH),
        ],
        &[],
    );
    let plan = plan(&fails);
    assert_eq!(plan.findings.len(), 1, "{:?}", plan.findings);
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.line), (Rule::Dash, 15));
    assert_eq!(
        f.edit.as_ref().unwrap().new,
        ["    docker run --rm img true"]
    );
    assert!(
        f.evidence
            .starts_with("line 15: the command failed (exit 125)")
            && f.evidence.contains("`--rm`"),
        "{}",
        f.evidence
    );
    // The same dash in a step that ran: not touched.
    let ran_fine = replayed(
        ARTICLE,
        vec![
            ran(0, 0, "Container ba9876543210 says\nhullo"),
            ran(2, 0, ""),
        ],
        &[],
    );
    assert!(plan_of(&ran_fine).findings.is_empty());
    // A plain `--` in a failed step: no dash to mend, said and left as written.
    let plain = ARTICLE.replace('\u{2013}', "--");
    let failed = replayed(&plain, vec![ran(2, 125, FAILED_DASH)], &[]);
    let findings = plan_of(&failed).findings;
    assert_eq!(findings.len(), 1);
    assert!(findings[0].edit.is_none() && findings[0].rule == Rule::None);
    assert!(findings[0].evidence.contains("left as written"));
}

fn plan_of(r: &Replayed) -> Plan {
    plan(r)
}

#[test]
fn the_output_rule_writes_todays_output_keeping_what_the_mask_counts_equal() {
    let r = replayed(
        ARTICLE,
        vec![ran(0, 0, "Container ba9876543210 says\nhello\n\n")],
        &[],
    );
    let plan = plan(&r);
    assert_eq!(plan.findings.len(), 1, "{:?}", plan.findings);
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.line), (Rule::Output, 4));
    assert_eq!(
        f.evidence,
        "line 4: the output block at line 7 differs from what the step printed (`-hullo` where it printed `+hello`): it now shows today's output, 1 of its 2 lines kept as written (the mask counts them equal)"
    );
    assert_eq!(
        plan.diff("a.md", ARTICLE),
        "--- a/a.md\n+++ b/a.md\n@@ -6,7 +6,7 @@\n \n     ```output\n     Container 0123456789ab says\n-    hullo\n+    hello\n     ```\n \n 1.  Run it:\n"
    );
    let fixed = plan.apply(ARTICLE);
    assert_eq!(fixed, ARTICLE.replace("hullo", "hello"));
    // Replayed again as written, the output matches: nothing more to fix.
    let again = replayed(
        &fixed,
        vec![ran(0, 0, "Container ba9876543210 says\nhello")],
        &[],
    );
    let second = plan_of(&again);
    assert_eq!(second.diff("a.md", &fixed), "");
    assert_eq!(second.text(""), "no changes: every step ran as written\n");
    assert_eq!(
        plan.recheck(&again)[0].said,
        "line 4: its output now matches the article's"
    );
}

#[test]
fn the_output_rule_leaves_a_matching_or_failed_block_and_never_writes_a_secret() {
    let matches = replayed(
        ARTICLE,
        vec![ran(0, 0, "Container ba9876543210 says\nhullo")],
        &[],
    );
    assert!(plan_of(&matches).findings.is_empty());
    let failed = replayed(ARTICLE, vec![ran(0, 1, "no such image")], &[]);
    let findings = plan_of(&failed).findings;
    let output = findings.iter().find(|f| f.rule == Rule::Output).unwrap();
    assert!(output.edit.is_none(), "{output:?}");
    assert!(
        output
            .evidence
            .contains("is left as written: the step failed (exit 1)"),
        "{}",
        output.evidence
    );
    let secret = replayed(
        ARTICLE,
        vec![ran(0, 0, "Container ba9876543210 says\npw hunter22")],
        &["hunter22"],
    );
    let plan = plan(&secret);
    let diff = plan.diff("a.md", ARTICLE);
    assert!(
        diff.contains("+    pw <redacted>") && !diff.contains("hunter22"),
        "{diff}"
    );
    assert!(plan
        .findings
        .iter()
        .all(|f| !f.evidence.contains("hunter22")));
}

#[test]
fn an_elision_stays_and_both_rules_make_one_patch() {
    let article = ARTICLE.replace("    hullo\n", "    ...\n    hullo\n");
    let r = replayed(
        &article,
        vec![
            ran(
                0,
                0,
                "Container ba9876543210 says\nstarting\nwarming up\nhello",
            ),
            ran(2, 125, FAILED_DASH),
        ],
        &[],
    );
    let plan = plan(&r);
    let fixed = plan.apply(&article);
    assert!(
        fixed.contains("    ...\n    hello\n    ```") && !fixed.contains("starting"),
        "{fixed}"
    );
    assert!(fixed.contains("docker run --rm img true"), "{fixed}");
    let text = plan.text(&plan.diff("a.md", &article));
    let (evidence, diff) = text.split_once("\n\n--- a/a.md").unwrap();
    assert_eq!(evidence.lines().count(), 2, "{text}");
    assert_eq!(
        diff.matches("\n@@ ").count(),
        1,
        "one hunk: the changes are 6 lines apart"
    );
    // The output block kept its length: the command after it is where it was.
    assert_eq!(plan.moved(16), 16);
}

#[test]
fn lines_after_a_longer_block_move_down() {
    let r = replayed(
        ARTICLE,
        vec![ran(0, 0, "Container ba9876543210 says\nhello\nworld")],
        &[],
    );
    let plan = plan(&r);
    assert_eq!((plan.moved(4), plan.moved(9), plan.moved(15)), (4, 9, 16));
}

#[test]
fn the_fixtures_dash_is_on_its_commands_own_line() {
    let fixture = include_str!("../../../../test_data/markdown/fixable.md");
    let steps = reader::read(fixture);
    let dashed = steps
        .iter()
        .find(|s| s.text().contains('\u{2013}'))
        .unwrap();
    let line = fixture.lines().nth(dashed.line - 1).unwrap();
    assert_eq!(dashed.line, 23);
    assert_eq!(
        mend_dashes(line).unwrap().0,
        "    docker run --rm jupyter/minimal-notebook true"
    );
}
