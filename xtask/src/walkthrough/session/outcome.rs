//! What a walkthrough's sections found: claims with their verdicts, transcript entries, and each
//! section's outcome.

pub use crate::walkthrough::catalogue::Mode;
use crate::walkthrough::catalogue::{Catalogue, Observed, Verdict};
use crate::walkthrough::names::Names;

#[derive(Debug, Clone)]
pub struct Claim {
    /// Its row in the article's catalogue.
    pub id: String,
    pub section: String,
    /// What the article says.
    pub claim: String,
    /// What was observed: does it hold?
    pub holds: bool,
    /// What the project knows to be true in this mode (the claim, or its erratum).
    pub expected: bool,
    pub evidence: String,
    /// False when only the official image (or a registry) could show it: then holds and expected
    /// are both false and the evidence says why; it is never faked.
    pub checkable: bool,
}

impl Claim {
    /// The claim `id` of `catalogue` made in `section` under `mode`, given what its check saw.
    /// Where the check and the catalogue disagree (no such row, a claim the catalogue says is not
    /// made in this mode, or no verdict where it expects one), the claim counts as unexpected and
    /// its evidence says why. A `not checkable` row checked after all (the official image was
    /// there to show it) is expected to hold, as the article says.
    pub fn judge(
        catalogue: &Catalogue,
        mode: Mode,
        section: &str,
        id: &str,
        observed: Observed,
    ) -> Claim {
        let row = catalogue.find(id, section);
        let (holds, evidence, checkable) = match observed {
            Observed::Seen { holds, evidence } => (holds, evidence, true),
            Observed::NotCheckable(why) => (false, format!("not checkable here: {why}"), false),
        };
        let verdict = row.map(|r| r.verdict(mode));
        let disagrees = match (verdict, checkable) {
            (None, _) => Some(format!(
                "no row {id} for section {section:?} in {}'s claims.md",
                catalogue.article
            )),
            (Some(Verdict::Absent), _) => Some(format!(
                "claims.md says this claim is not made in {} mode",
                mode.name()
            )),
            (Some(Verdict::Holds | Verdict::Erratum), false) => Some(format!(
                "claims.md expects `{}`, and the check gave no verdict",
                verdict.map_or("", Verdict::word)
            )),
            _ => None,
        };
        let (expected, evidence) = match disagrees {
            Some(why) => (!holds, format!("{why}; {evidence}")),
            None => (
                verdict == Some(Verdict::Holds)
                    || (verdict == Some(Verdict::NotCheckable) && checkable),
                evidence,
            ),
        };
        Claim {
            id: id.to_string(),
            section: section.to_string(),
            claim: row.map_or(id, |r| r.claim.as_str()).to_string(),
            holds,
            expected,
            evidence,
            checkable,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub command: String,
    pub output: String,
    pub exit: i32,
}

#[derive(Debug)]
pub struct SectionOutcome {
    pub name: String,
    pub entries: Vec<Entry>,
    pub notes: Vec<String>,
    pub claims: Vec<Claim>,
    pub error: Option<String>,
    pub seconds: f64,
    pub names: Names,
    /// Other tutorial names the section used, as (tutorial's name, name used).
    pub picked: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Outcome {
    pub slug: &'static str,
    pub title: &'static str,
    pub mode: Mode,
    pub sections: Vec<SectionOutcome>,
    pub seconds: f64,
}

impl Outcome {
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.sections.iter().flat_map(|s| s.claims.iter())
    }
    pub fn unexpected(&self) -> Vec<&Claim> {
        self.claims().filter(|c| c.holds != c.expected).collect()
    }
    pub fn ok(&self) -> bool {
        self.unexpected().is_empty() && self.sections.iter().all(|s| s.error.is_none())
    }
}

pub fn verdict_line(c: &Claim) -> String {
    if !c.checkable {
        return format!("[NOT CHECKABLE HERE] {}\n        {}", c.claim, c.evidence);
    }
    let mark = match (c.holds, c.holds == c.expected) {
        (true, true) => "HOLDS",
        (false, true) => "FAILS (as expected: article erratum)",
        (true, false) => "HOLDS (unexpected!)",
        (false, false) => "FAILS (unexpected!)",
    };
    format!("[{mark}] {}\n        observed: {}", c.claim, c.evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::catalogue::{parse, seen};

    /// The verdict comes from what the check saw, held against the row; a check the catalogue
    /// does not know, or one it says is not made, never passes.
    #[test]
    fn a_claim_is_judged_against_its_row() {
        let c = parse(
            "t",
            "| up | One | it runs | erratum | holds | x |\n| real | One | the real one | absent | not checkable | x |\n",
        )
        .unwrap();
        let judge = |mode, id, observed| Claim::judge(&c, mode, "One", id, observed);
        let ok = |claim: &Claim| claim.holds == claim.expected;
        let held = judge(Mode::Corrected, "up", seen(true, "ran"));
        assert!(ok(&held) && held.claim == "it runs" && held.evidence == "ran");
        assert!(!ok(&judge(Mode::Corrected, "up", seen(false, "exit 1"))));
        assert!(ok(&judge(Mode::Literal, "up", seen(false, "exit 1"))));
        assert!(!ok(&judge(Mode::Literal, "up", seen(true, "ran"))));
        let unknown = judge(Mode::Literal, "down", seen(true, "gone"));
        assert!(
            !ok(&unknown)
                && unknown
                    .evidence
                    .starts_with("no row down for section \"One\" in t's claims.md")
        );
        let absent = judge(Mode::Literal, "real", seen(true, "seen"));
        assert!(!ok(&absent) && absent.evidence.contains("not made in literal mode"));
        let not_checkable = judge(
            Mode::Corrected,
            "real",
            Observed::NotCheckable("a stand-in".into()),
        );
        assert!(ok(&not_checkable) && !not_checkable.checkable);
        let missing = judge(
            Mode::Corrected,
            "up",
            Observed::NotCheckable("no engine".into()),
        );
        assert!(!ok(&missing) && missing.evidence.starts_with("claims.md expects `holds`"));
    }
}
