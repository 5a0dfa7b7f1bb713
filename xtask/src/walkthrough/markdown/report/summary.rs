//! The one-screen summary of a replay: what ran, matched, differed or could not run, counted and
//! listed by line.

use std::fmt::Write as _;

use super::{difference_line_in, Claim, Report};
use crate::walkthrough::markdown::compare::Verdict;
use crate::walkthrough::markdown::placeholders::NEEDS_A_VALUE;
use crate::walkthrough::markdown::steps::{expected_output, StepKind};

impl Report<'_> {
    pub(super) fn counts(&self) -> Counts {
        let verdicts: Vec<&Verdict> = self
            .results
            .iter()
            .filter_map(|r| r.verdict.as_ref())
            .collect();
        let claims: Vec<&Claim> = self.results.iter().flat_map(|r| &r.claims).collect();
        Counts {
            runnable: self.steps.iter().filter(|s| s.runs()).count(),
            run: self.results.iter().filter(|r| r.exit.is_some()).count(),
            failed: self
                .results
                .iter()
                .filter(|r| r.exit.is_some_and(|c| c != 0))
                .count(),
            outputs: verdicts.len(),
            outputs_matching: verdicts.iter().filter(|v| v.matches()).count(),
            cannot_run: self
                .steps
                .iter()
                .filter(|s| matches!(s.kind, StepKind::CannotRun { .. }))
                .count(),
            needs_value: self
                .steps
                .iter()
                .filter(|s| matches!(&s.kind, StepKind::CannotRun { why, .. } if why.starts_with(NEEDS_A_VALUE)))
                .count(),
            claims: claims.len(),
            claims_holding: claims.iter().filter(|c| c.holds).count(),
        }
    }

    /// One screen: what ran, what failed, which outputs differ, what cannot run and why.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let mut text = format!(
            "{}: {} of {} steps run, {} failed; outputs matching: {} of {}; claims holding: {} of {}; cannot run: {}",
            self.title, c.run, c.runnable, c.failed, c.outputs_matching, c.outputs, c.claims_holding, c.claims, c.cannot_run
        );
        if c.needs_value > 0 {
            let _ = write!(text, " ({} of them needing a value)", c.needs_value);
        }
        if let Some(why) = self.stopped {
            let _ = write!(text, "\n  STOPPED before the article's end: {why}");
        }
        list(&mut text, "failed", &self.failed_steps());
        list(&mut text, "outputs differing", &self.differing_outputs());
        list(&mut text, "claims not holding", &self.failing_claims());
        self.write_cannot_run(&mut text);
        list(&mut text, "not run", &self.not_run_steps());
        self.redact(&text)
    }

    /// `line N (exit E)`, with the cause found, for each step that exited non-zero.
    fn failed_steps(&self) -> Vec<String> {
        self.results
            .iter()
            .filter(|r| r.exit.is_some_and(|e| e != 0))
            .map(|r| {
                let cause = self
                    .cause(r)
                    .map_or(String::new(), |c| format!(": {}", c.kind.name()));
                format!(
                    "line {} (exit {}){cause}",
                    self.line(r),
                    r.exit.unwrap_or_default()
                )
            })
            .collect()
    }

    /// `line N`: the article's line where each differing output first differs.
    fn differing_outputs(&self) -> Vec<String> {
        let lines: Vec<&str> = self.article.lines().collect();
        self.results
            .iter()
            .filter_map(
                |r| match (&r.verdict, expected_output(self.steps, r.step)) {
                    (Some(Verdict::Differs { at, .. }), Some(out)) => {
                        Some(format!("line {}", difference_line_in(&lines, out, *at)))
                    }
                    _ => None,
                },
            )
            .collect()
    }

    /// `line N: claim` for each claim that does not hold.
    fn failing_claims(&self) -> Vec<String> {
        self.results
            .iter()
            .flat_map(|r| {
                r.claims
                    .iter()
                    .filter(|c| !c.holds)
                    .map(move |c| format!("line {}: {}", self.line(r), c.text))
            })
            .collect()
    }

    /// Cannot-run steps grouped by why, in the order they first appear.
    fn write_cannot_run(&self, text: &mut String) {
        let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
        for s in self.steps {
            if let StepKind::CannotRun { why, .. } = &s.kind {
                match groups.iter_mut().find(|(w, _)| w == why) {
                    Some((_, lines)) => lines.push(s.line.to_string()),
                    None => groups.push((why, vec![s.line.to_string()])),
                }
            }
        }
        for (why, lines) in groups {
            let label = if lines.len() == 1 { "line" } else { "lines" };
            let _ = write!(text, "\n  cannot run ({label} {}): {why}", lines.join(", "));
        }
    }

    /// `line N (why)` for each step that was not run; the lines that share a why (all those a
    /// stopped sandbox kept from running) once, as `lines N, M (why)`.
    fn not_run_steps(&self) -> Vec<String> {
        let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
        for r in self.results.iter().filter(|r| r.exit.is_none()) {
            let why = r.note.as_deref().unwrap_or("no reason given");
            let line = self.line(r).to_string();
            match groups.last_mut() {
                Some((w, lines)) if *w == why => lines.push(line),
                _ => groups.push((why, vec![line])),
            }
        }
        groups
            .into_iter()
            .map(|(why, lines)| {
                let label = if lines.len() == 1 { "line" } else { "lines" };
                let shown = lines.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
                let more = match lines.len().saturating_sub(8) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!("{label} {shown}{more} ({why})")
            })
            .collect()
    }
}

pub(super) struct Counts {
    pub(super) runnable: usize,
    pub(super) run: usize,
    pub(super) failed: usize,
    pub(super) outputs: usize,
    pub(super) outputs_matching: usize,
    pub(super) cannot_run: usize,
    /// Of the cannot-run steps, those only a placeholder's value keeps from running.
    pub(super) needs_value: usize,
    pub(super) claims: usize,
    pub(super) claims_holding: usize,
}

/// "label: a, b, c" on its own line, at most 8 items.
pub(super) fn list(text: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let shown = items.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    let more = if items.len() > 8 {
        format!(" and {} more", items.len() - 8)
    } else {
        String::new()
    };
    let _ = write!(text, "\n  {label}: {shown}{more}");
}
