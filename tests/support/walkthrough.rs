//! Walkthrough reports, and claims pinned from the articles: a walkthrough sets `expected` in the
//! same code that observes `holds`, so its `ok: true` alone shows the code agreeing with itself.
//! Each test keeps a table of the verdicts the article (and STEPS*.md in shared/series, which
//! record what its exact commands did on a real engine) says every claim must get.

use serde_json::Value;

use super::xtask;

/// `cargo xtask walkthrough ARGS --json` (ARGS start with the article): its JSON report and output.
pub fn walkthrough(args: &[&str]) -> (Value, std::process::Output) {
    let out = xtask().arg("walkthrough").args(args).arg("--json").assert().get_output().clone();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}); stderr:\n{}", String::from_utf8_lossy(&out.stderr)));
    (json, out)
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

impl Pin {
    fn verdict(self) -> (bool, bool, bool) {
        match self {
            Pin::Holds => (true, true, true),
            Pin::Erratum => (false, false, true),
            Pin::NotCheckable => (false, false, false),
        }
    }
}

/// Every claim of the report gets the verdict its row pins (exactly one row's words must match
/// it), and every row matches at least one claim: a new or reworded claim fails until it is pinned.
pub fn assert_pinned(report: &Value, table: &[(&str, Pin)]) {
    let claims = report["claims"].as_array().expect("claims");
    assert!(!claims.is_empty(), "the report has no claims");
    let mut used = vec![0usize; table.len()];
    for c in claims {
        let text = c["claim"].as_str().unwrap();
        let rows: Vec<usize> = (0..table.len()).filter(|&i| text.contains(table[i].0)).collect();
        assert_eq!(rows.len(), 1, "claim {text:?} matches {} rows of the table", rows.len());
        let (words, pin) = table[rows[0]];
        used[rows[0]] += 1;
        let got = (c["holds"].as_bool().unwrap(), c["expected"].as_bool().unwrap(), c["checkable"].as_bool().expect("checkable"));
        assert_eq!(got, pin.verdict(), "{words:?} is pinned {pin:?}; the walkthrough said (holds, expected, checkable) = {got:?}: {}", c["evidence"]);
    }
    for (i, (words, _)) in table.iter().enumerate() {
        assert!(used[i] > 0, "no claim of the report matches the pinned row {words:?}");
    }
}
