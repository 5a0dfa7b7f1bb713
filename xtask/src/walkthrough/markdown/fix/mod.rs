//! `--fix`: the Markdown changes that mend what a replay observed, as a unified diff with one
//! evidence line per change, and after `--write`, whether the steps it touched now hold.
//!
//! Reads the replay's data only (`Replayed`, its steps, results, verdicts and causes); the replay
//! knows nothing of it. Six rules (see `rules`, `names`, `mounts` and `push`): a differing output
//! block shows today's output, an option typed with a look-alike dash gets its `--`, an ID from the
//! author's machine becomes the name the guide gave that object, a container name the guide's own
//! earlier container holds is freed just before, a `cd` into a mounted volume's name goes where it
//! is mounted, a push with no account namespace goes under the account the guide logged in as. A step the replay did not see failing or differing is never touched.

pub mod diff;
mod errata;
mod mounts;
mod names;
mod push;
pub mod rules;

use serde_json::{json, Value};

use super::causes::Mend;
use super::claims::Observed;
use super::replay::Replayed;
use super::steps::StepKind;
use super::text::redact;
use super::Verdict;
use crate::walkthrough::catalogue::Fix;
use diff::Edit;
use rules::{Finding, Rule, Seen};

/// What `--fix` makes of one replay: every finding, with its edit or why it has none.
pub struct Plan {
    pub findings: Vec<Finding>,
    /// A series fix's line and the errata it mends, for the recheck.
    pub mends: Vec<(usize, Vec<&'static str>)>,
}

/// Whether a step the fix touched holds in the replay of the fixed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recheck {
    /// The step's line in the fixed file.
    pub line: usize,
    pub holds: bool,
    pub said: String,
}

/// The plan for `replayed`: each rule at each step it observed, by line.
pub fn plan(replayed: &Replayed) -> Plan {
    plan_with(replayed, &[])
}

/// The same, with a series article's `fixes`, each made where the replay saw an erratum it mends.
pub fn plan_with(replayed: &Replayed, fixes: &[Fix]) -> Plan {
    let report = replayed.report();
    let seen = Seen {
        lines: diff::lines(&replayed.article).0,
        steps: &replayed.steps,
        secrets: &replayed.secrets,
        wildcards: &replayed.wildcards,
    };
    let mut findings = Vec::new();
    for (at, r) in replayed.results.iter().enumerate() {
        let before = &replayed.results[..at];
        let cause = report.cause(r);
        match cause.as_ref().map(|c| (c, &c.mend)) {
            Some((c, Some(Mend::Dash(_)))) => findings.extend(rules::dash(&seen, r, c)),
            Some((_, Some(Mend::AuthorsId { id, of }))) => {
                findings.push(names::authors_id(&seen, r, before, id, of))
            }
            Some((_, Some(Mend::NameTaken { name, line }))) => {
                findings.push(names::name_taken(&seen, r, name, *line))
            }
            Some((c, Some(Mend::NoSuchPath { path }))) => findings.push(
                mounts::cd_to_mount(&seen, r, before, path)
                    .unwrap_or_else(|| rules::unmended(&seen, r, c)),
            ),
            Some((_, Some(Mend::NoNamespace { image }))) => {
                findings.push(push::namespace(&seen, r, before, image))
            }
            Some((c, None)) => findings.push(rules::unmended(&seen, r, c)),
            None => {}
        }
        findings.extend(rules::output(&seen, r));
    }
    findings.extend(errata::errata(&seen, &replayed.claims, fixes));
    let mends = fixes.iter().map(|f| (f.line, f.mends.clone())).collect();
    findings.sort_by_key(|f| f.edit.as_ref().map_or(f.line, |e| e.start + 1));
    Plan {
        mends,
        ..Plan::from(findings, replayed.article.contains("\r\n"))
    }
}

impl Plan {
    /// `findings` with no two edits on one line (the later one refused), in CRLF where the file is.
    pub fn from(mut findings: Vec<Finding>, crlf: bool) -> Plan {
        let mut end = 0;
        for f in &mut findings {
            let Some(e) = &mut f.edit else { continue };
            if e.start < end {
                f.edit = None;
                f.evidence
                    .push_str("; left as written: another change takes these lines");
                continue;
            }
            end = e.start + e.old;
            if crlf {
                e.new.iter_mut().for_each(|l| l.push('\r'));
            }
        }
        Plan {
            findings,
            mends: Vec::new(),
        }
    }

    pub fn edits(&self) -> Vec<&Edit> {
        self.findings
            .iter()
            .filter_map(|f| f.edit.as_ref())
            .collect()
    }

    /// The unified diff of `article` (named `path` in its headers): empty when nothing changes.
    pub fn diff(&self, path: &str, article: &str) -> String {
        diff::unified(path, article, &self.edits())
    }

    pub fn apply(&self, article: &str) -> String {
        diff::apply(article, &self.edits())
    }

    /// What `--fix` prints: one evidence line per finding (ignored by `patch` and `git apply`,
    /// which read from `--- a/`), then the diff; or that there is nothing to change.
    pub fn text(&self, diff: &str) -> String {
        let evidence: String = self
            .findings
            .iter()
            .map(|f| format!("{}\n", f.evidence))
            .collect();
        if !diff.is_empty() {
            return format!("{evidence}\n{diff}");
        }
        if self.findings.is_empty() {
            "no changes: every step ran as written\n".into()
        } else {
            format!("no changes: nothing the replay saw has a fix here\n{evidence}")
        }
    }

    pub fn json(&self, diff: &str) -> Value {
        let changes: Vec<Value> = self
            .findings
            .iter()
            .map(|f| json!({"line": f.line, "rule": f.rule.name(), "changed": f.edit.is_some(), "evidence": f.evidence}))
            .collect();
        json!({"diff": diff, "changes": changes})
    }

    /// Where line `line` (1-based) of the article is once the edits are made.
    pub fn moved(&self, line: usize) -> usize {
        self.edits()
            .iter()
            .filter(|e| e.start + e.old < line)
            .fold(line, |l, e| l + e.new.len() - e.old)
    }

    /// Each step the fix changed, in `again` (the fixed file replayed): whether it now holds.
    pub fn recheck(&self, again: &Replayed) -> Vec<Recheck> {
        self.findings
            .iter()
            .filter(|f| f.edit.is_some())
            .map(|f| match f.rule {
                Rule::Erratum => self.recheck_erratum(f, again),
                _ => recheck_one(f, self.moved(f.line), again),
            })
            .collect()
    }
}

impl Plan {
    /// An erratum's fix holds when every claim it mends holds in the fixed file's replay.
    fn recheck_erratum(&self, f: &Finding, again: &Replayed) -> Recheck {
        let line = self.moved(f.line);
        let ids = self
            .mends
            .iter()
            .find(|(at, _)| *at == f.line)
            .map_or(&[][..], |(_, ids)| ids.as_slice());
        let verdicts: Vec<(&str, bool)> = again
            .claims
            .iter()
            .filter(|c| ids.contains(&c.check.row.id))
            .map(|c| {
                let holds = matches!(c.observed, Observed::Seen { holds: true, .. });
                (c.check.row.id, holds)
            })
            .collect();
        let holds = !verdicts.is_empty() && verdicts.iter().all(|(_, h)| *h);
        let said: Vec<String> = verdicts
            .iter()
            .map(|(id, h)| format!("{id} {}", if *h { "holds" } else { "still fails" }))
            .collect();
        Recheck {
            line,
            holds,
            said: format!(
                "line {line}: {}",
                if said.is_empty() {
                    "its claims were not checked".into()
                } else {
                    said.join(", ")
                }
            ),
        }
    }
}

fn recheck_one(f: &Finding, line: usize, again: &Replayed) -> Recheck {
    let step = again
        .steps
        .iter()
        .position(|s| s.line == line && matches!(s.kind, StepKind::Command { .. }));
    let result = step.and_then(|k| again.results.iter().find(|r| r.step == k));
    let Some(r) = result else {
        return Recheck {
            line,
            holds: false,
            said: format!("line {line}: not run in the fixed file's replay"),
        };
    };
    let exit = rules::exit_text(r);
    let (holds, said) = match f.rule {
        Rule::Output => match &r.verdict {
            Some(Verdict::Matches) => (true, "its output now matches the article's".to_string()),
            Some(Verdict::Differs { diff, .. }) => (
                false,
                format!(
                    "its output still differs: {}",
                    redact(first_line(diff), &again.secrets)
                ),
            ),
            None => (false, "its output was not compared".to_string()),
        },
        _ if r.exit == Some(0) => (true, "now succeeds".to_string()),
        _ => (false, format!("still fails (exit {exit})")),
    };
    Recheck {
        line,
        holds,
        said: format!("line {line}: {said}"),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod errata_tests;
#[cfg(test)]
mod names_tests;
#[cfg(test)]
mod tests;
