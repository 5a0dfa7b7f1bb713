//! Walkthrough reports, and claims pinned from the articles: a walkthrough sets `expected` in the
//! same code that observes `holds`, so its `ok: true` alone shows the code agreeing with itself.
//! Each test keeps a table of the verdicts the article (and STEPS*.md in shared/series, which
//! record what its exact commands did on a real engine) says every claim must get.

use serde_json::Value;

use super::{images, xtask};

/// `cargo xtask walkthrough ARGS --json` (ARGS start with the article): its JSON report and output.
pub fn walkthrough(args: &[&str]) -> (Value, std::process::Output) {
    let out = xtask().arg("walkthrough").args(args).arg("--json").assert().get_output().clone();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}); stderr:\n{}", String::from_utf8_lossy(&out.stderr)));
    (json, out)
}

/// Builds the series' images, then `walkthrough ARGS --json` (ARGS with `--keep`), with `guards`
/// taken at once over what it kept; it must exit 0. Its report, its output and the guards.
pub fn kept_walkthrough<G>(args: &[&str], guards: impl FnOnce(&Value) -> G) -> (Value, std::process::Output, G) {
    images();
    let (report, out) = walkthrough(args);
    let guards = guards(&report);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (report, out, guards)
}

/// The report's claim whose wording contains `words`.
pub fn claim<'a>(report: &'a Value, words: &str) -> &'a Value {
    report["claims"].as_array().unwrap().iter().find(|c| c["claim"].as_str().unwrap().contains(words)).unwrap_or_else(|| panic!("no claim with {words:?}"))
}

/// The report's section whose name starts with `name`.
pub fn section<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["name"].as_str().unwrap().starts_with(name)).unwrap_or_else(|| panic!("no section {name:?}"))
}

/// The verdict a claim must get, from the article and what its commands are known to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// The article's claim holds: (holds, expected) = (true, true).
    Holds,
    /// An erratum: the claim fails, as the article's commands are known to make it fail: (false, false).
    Erratum,
    /// Only the official images could show it: not checkable here, (false, false), `checkable: false`.
    NotCheckable,
}

pub const HOLDS: Option<Pin> = Some(Pin::Holds);
pub const ERRATUM: Option<Pin> = Some(Pin::Erratum);
pub const NOT_CHECKABLE: Option<Pin> = Some(Pin::NotCheckable);
/// The claim is not made in this mode.
pub const ABSENT: Option<Pin> = None;

/// One pinned claim: (section name's start, words of the claim, its verdict in literal mode, in
/// corrected mode).
pub type Row = (&'static str, &'static str, Option<Pin>, Option<Pin>);

impl Pin {
    fn verdict(self) -> (bool, bool, bool) {
        match self {
            Pin::Holds => (true, true, true),
            Pin::Erratum => (false, false, true),
            Pin::NotCheckable => (false, false, false),
        }
    }
}

/// Every claim of the report gets the verdict its row pins for the report's mode (exactly one row
/// of its section must match its words), and every row pinned for this mode, of a section the
/// report ran, matches a claim: a new, lost or reworded claim fails until the table says so.
pub fn assert_pinned(report: &Value, table: &[Row]) {
    let literal = match report["mode"].as_str() {
        Some("literal") => true,
        Some("corrected") => false,
        other => panic!("unknown mode {other:?}"),
    };
    let claims = report["claims"].as_array().expect("claims");
    assert!(!claims.is_empty(), "the report has no claims");
    let mut used = vec![0usize; table.len()];
    for c in claims {
        let (section, text) = (c["section"].as_str().unwrap(), c["claim"].as_str().unwrap());
        let rows: Vec<usize> = (0..table.len()).filter(|&i| section.starts_with(table[i].0) && text.contains(table[i].1)).collect();
        assert_eq!(rows.len(), 1, "claim {text:?} of section {section:?} matches {} rows of the table", rows.len());
        let (_, words, in_literal, in_corrected) = table[rows[0]];
        let pin = if literal { in_literal } else { in_corrected };
        let pin = pin.unwrap_or_else(|| panic!("{words:?} is pinned as not made in this mode, yet the report has it"));
        used[rows[0]] += 1;
        let got = (c["holds"].as_bool().unwrap(), c["expected"].as_bool().unwrap(), c["checkable"].as_bool().expect("checkable"));
        assert_eq!(got, pin.verdict(), "{words:?} is pinned {pin:?}; the walkthrough said (holds, expected, checkable) = {got:?}: {}", c["evidence"]);
    }
    let ran: Vec<&str> = report["sections"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for (i, (section, words, in_literal, in_corrected)) in table.iter().enumerate() {
        let pinned = if literal { in_literal } else { in_corrected };
        if pinned.is_some() && ran.iter().any(|s| s.starts_with(section)) {
            assert!(used[i] > 0, "no claim of section {section:?} matches the pinned row {words:?}");
        }
    }
}

/// A claim pinned by its words alone: (words of the claim, its verdict in literal mode, in
/// corrected mode, where the verdict comes from).
pub type WordsRow = (&'static str, Option<Pin>, Option<Pin>, &'static str);

/// Every claim of the report matches exactly one row and gets the (holds, expected) of the row's
/// verdict for `mode` (`literal` or `corrected`), and every row pinned for `mode` matches a claim.
pub fn assert_pinned_words(report: &Value, mode: &str, table: &[WordsRow]) {
    let pick = |row: &WordsRow| if mode == "literal" { row.1 } else { row.2 };
    let claims = report["claims"].as_array().unwrap();
    for c in claims {
        let text = c["claim"].as_str().unwrap();
        let rows: Vec<_> = table.iter().filter(|row| text.contains(row.0)).collect();
        assert_eq!(rows.len(), 1, "{mode}: claim {text:?} must match one pinned row, matches {}", rows.len());
        let (holds, expected, _) = pick(rows[0]).unwrap_or_else(|| panic!("{mode}: claim {text:?} is pinned as not made in this mode")).verdict();
        assert_eq!((c["holds"].as_bool(), c["expected"].as_bool()), (Some(holds), Some(expected)), "{mode}: {text} ({}): {}", rows[0].3, c["evidence"]);
    }
    for row in table.iter().filter(|row| pick(row).is_some()) {
        assert!(claims.iter().any(|c| c["claim"].as_str().unwrap().contains(row.0)), "{mode}: no claim {:?} in the report", row.0);
    }
}
