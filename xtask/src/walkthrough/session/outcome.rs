//! What a walkthrough's sections found: claims with their verdicts, transcript entries, and each
//! section's outcome.

use crate::walkthrough::names::Names;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The article's commands as written.
    Literal,
    /// The recipe that delivers what the article claims.
    Corrected,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Literal => "literal",
            Mode::Corrected => "corrected",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Claim {
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
