//! The errata rule: a series fix is made where the replay saw one of its errata fail, and only
//! there; a line that no longer writes what the fix expects is left as written.

use super::rules::Rule;
use super::tests::{ran, replayed};
use super::*;
use crate::walkthrough::catalogue::{self, seen, Observed};
use crate::walkthrough::markdown::claims::{Placed, Probe};
use crate::walkthrough::markdown::replay::Checked;

/// A Dockerfile whose VOLUME line (line 6) is the erratum, then its build (line 12).
const ARTICLE: &str = "1.  Write the Dockerfile:\n\n    ```file {title=\"Dockerfile\"}\n    FROM img\n    WORKDIR /work\n    VOLUME [\"/project/outputs\"]\n    ```\n\n1.  Build it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker build -t app .\n    ```\n";

fn volume_fix() -> Fix {
    Fix {
        line: 6,
        written: "VOLUME [\"/project/outputs\"]",
        corrected: vec!["VOLUME [\"/work/outputs\"]"],
        mends: vec!["data-in-volume"],
    }
}

/// The manage-data claim `data-in-volume` as its check saw it.
fn checked(observed: Observed) -> Checked {
    let row = catalogue::of("manage-data")
        .rows
        .iter()
        .find(|r| r.id == "data-in-volume")
        .unwrap();
    let never: fn(&Probe) -> Observed = |_| unreachable!("the check's verdict is given");
    let check = Placed {
        row,
        section: row.section,
        after: "docker build",
        check: never,
    };
    Checked {
        check,
        step: Some(1),
        observed,
    }
}

fn plan_of(article: &str, observed: Observed) -> Plan {
    let mut r = replayed(article, vec![ran(1, 0, "")], &[]);
    r.claims = vec![checked(observed)];
    plan_with(&r, &[volume_fix()])
}

#[test]
fn an_erratum_seen_failing_gets_the_corrected_line() {
    let plan = plan_of(ARTICLE, seen(false, "volume at /project/outputs holds []"));
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.line), (Rule::Erratum, 6));
    assert_eq!(plan.edits()[0].new, ["    VOLUME [\"/work/outputs\"]"]);
    assert_eq!(
        f.evidence,
        "line 6: data-in-volume failed, as the article's commands make it (volume at /project/outputs holds []); written `VOLUME [\"/work/outputs\"]`, as the corrected recipe has it"
    );
    assert_eq!(plan.mends, [(6, vec!["data-in-volume"])]);
}

#[test]
fn an_erratum_that_held_or_a_line_that_moved_is_left_as_written() {
    let held = plan_of(ARTICLE, seen(true, "the CSV is in the volume"));
    assert!(held.findings.is_empty(), "{:?}", held.findings);
    let unseen = plan_of(ARTICLE, Observed::NotCheckable("no engine".into()));
    assert!(unseen.findings.is_empty(), "{:?}", unseen.findings);
    let moved = ARTICLE.replace("    FROM img\n", "");
    let plan = plan_of(&moved, seen(false, "not in the volume"));
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.edit.is_some()), (Rule::Erratum, false));
    assert!(
        f.evidence
            .ends_with("left as written: line 6 no longer writes `VOLUME [\"/project/outputs\"]`"),
        "{}",
        f.evidence
    );
}

/// After `--write`, an erratum's change holds when the claims it mends hold in the fixed file's
/// replay, and says which still fail.
#[test]
fn the_recheck_asks_the_claims_the_fix_mends() {
    let plan = plan_of(ARTICLE, seen(false, "not in the volume"));
    let again = |observed| {
        let mut r = replayed(&plan.apply(ARTICLE), vec![ran(1, 0, "")], &[]);
        r.claims = vec![checked(observed)];
        plan.recheck(&r)
    };
    let held = again(seen(true, "in the volume"));
    assert_eq!(
        (held[0].line, held[0].holds, held[0].said.as_str()),
        (6, true, "line 6: data-in-volume holds")
    );
    let failed = again(seen(false, "still not"));
    assert_eq!(
        (failed[0].holds, failed[0].said.as_str()),
        (false, "line 6: data-in-volume still fails")
    );
}
