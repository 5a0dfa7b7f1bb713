//! The series' errata: where the replay of a series article saw an erratum claim fail (a claim
//! the article's own commands are known to break), the line the corrected recipe changes gets that
//! change, as the article's `fixes.md` gives it. A line that no longer writes what the fix expects
//! is left as written, and said.

use super::super::claims::Observed;
use super::super::replay::Checked;
use super::super::text::redact;
use super::diff::Edit;
use super::rules::{Finding, Rule, Seen};
use crate::walkthrough::catalogue::Fix;

/// Longest part of a claim's evidence quoted in a finding.
const EVIDENCE_CHARS: usize = 160;

/// A finding for each fix one of whose errata the replay saw fail.
pub fn errata(seen: &Seen, claims: &[Checked], fixes: &[Fix]) -> Vec<Finding> {
    fixes
        .iter()
        .filter_map(|fix| mend(seen, claims, fix))
        .collect()
}

fn mend(seen: &Seen, claims: &[Checked], fix: &Fix) -> Option<Finding> {
    let failed: Vec<(&Checked, &str)> = claims
        .iter()
        .filter(|c| fix.mends.contains(&c.check.row.id))
        .filter_map(|c| match &c.observed {
            Observed::Seen {
                holds: false,
                evidence,
            } => Some((c, evidence.as_str())),
            _ => None,
        })
        .collect();
    let (first, evidence) = *failed.first()?;
    let ids: Vec<&str> = failed.iter().map(|(c, _)| c.check.row.id).collect();
    let evidence: String = redact(evidence, seen.secrets)
        .chars()
        .take(EVIDENCE_CHARS)
        .collect();
    let saw = format!(
        "line {}: {} failed, as the article's commands make it ({evidence})",
        fix.line,
        ids.join(", ")
    );
    let finding = |edit, said: String| Finding {
        rule: Rule::Erratum,
        step: first.step.unwrap_or(0),
        line: fix.line,
        edit,
        evidence: format!("{saw}; {said}"),
    };
    let raw = seen.lines.get(fix.line - 1).copied().unwrap_or("");
    if !raw.contains(fix.written) {
        let said = format!(
            "left as written: line {} no longer writes `{}`",
            fix.line, fix.written
        );
        return Some(finding(None, said));
    }
    let indent = &raw[..raw.len() - raw.trim_start().len()];
    let mut new = vec![raw.replacen(fix.written, fix.corrected[0], 1)];
    new.extend(fix.corrected[1..].iter().map(|l| format!("{indent}{l}")));
    let said = format!(
        "written `{}`, as the corrected recipe has it",
        fix.corrected.join("` and `")
    );
    let edit = Edit {
        start: fix.line - 1,
        old: 1,
        new,
    };
    Some(finding(Some(edit), said))
}
