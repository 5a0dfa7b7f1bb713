//! The Markdown report: the article's own text with each block followed by what the replay saw.
//! What it quotes (real output, diffs) is untrusted: each quote's fence is longer than any run of
//! backticks inside it, so a printed "````" cannot end it and pass its next lines off as verdicts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::compare::Verdict;
use super::report::{difference_line_in, Report, StepResult};
use super::steps::{expected_output, Step, StepKind};

/// Lines kept of a long real output in the Markdown report (the JSON keeps all).
const SHOWN_LINES: usize = 60;

/// A fence of backticks, at least `at_least` long and longer than any run of them in `text`.
pub fn fence_for(text: &str, at_least: usize) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(at_least))
}

impl Report<'_> {
    /// The article without its front matter, each block followed by what the replay saw.
    pub fn markdown(&self) -> String {
        let mut notes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, s) in self.steps.iter().enumerate() {
            notes.entry(s.end).or_default().push(k);
        }
        let lines: Vec<&str> = self.article.lines().collect();
        let summary = self.summary();
        let fence = fence_for(&summary, 3);
        let mut md = format!(
            "# {} — replayed from its Markdown\n\n{fence}text\n{summary}\n{fence}\n\n",
            self.title
        );
        let body_start = super::reader::body_start(self.article);
        for (n, line) in lines.iter().enumerate().skip(body_start) {
            md.push_str(line);
            md.push('\n');
            for index in notes.get(&(n + 1)).into_iter().flatten() {
                self.note(&mut md, &lines, *index);
            }
        }
        self.redact(&md)
    }

    fn note(&self, md: &mut String, article: &[&str], index: usize) {
        let step = &self.steps[index];
        let pad = " ".repeat(step.column);
        let mut lines: Vec<String> = Vec::new();
        let mut real_output = None;
        match &step.kind {
            StepKind::CannotRun { why, .. } => {
                lines.push(format!("**cannot run** (line {}): {why}", step.line))
            }
            StepKind::Output {
                of_line: Some(_), ..
            } => {
                // A command never run (or cut short before it printed) has nothing to compare.
                let owner = index.checked_sub(1).and_then(|owner| self.result(owner));
                if let Some(r) = owner.filter(|r| r.exit.is_some() || !r.output.is_empty()) {
                    lines.extend(verdict_lines(article, step, r.verdict.as_ref()));
                    real_output = Some(&r.output);
                }
            }
            StepKind::Output { of_line: None, .. } => {}
            _ => match self.result(index) {
                None => lines.push(format!("**not run** (line {})", step.line)),
                Some(r) => {
                    lines.extend(ran_lines(step, r));
                    lines.extend(
                        self.cause(r)
                            .map(|c| format!("cause: {}: {}", c.kind.name(), c.why)),
                    );
                    if expected_output(self.steps, index).is_none() && !r.output.trim().is_empty() {
                        real_output = Some(&r.output);
                    }
                }
            },
        }
        if lines.is_empty() {
            return;
        }
        md.push('\n');
        for l in lines {
            let _ = writeln!(md, "{pad}> {}", l.replace('\n', &format!("\n{pad}> ")));
        }
        if let Some(out) = real_output {
            real_output_block(md, &pad, out);
        }
        md.push('\n');
    }
}

/// How a step that ran (or did not) ended, and its claims.
fn ran_lines(step: &Step, r: &StepResult) -> Vec<String> {
    let mut lines = vec![match r.exit {
        Some(code) => format!(
            "**{}** (line {}): exit {code}",
            if code == 0 { "ran" } else { "failed" },
            step.line
        ),
        None => format!(
            "**not run** (line {}): {}",
            step.line,
            r.note.as_deref().unwrap_or("no reason given")
        ),
    }];
    for c in &r.claims {
        lines.push(format!(
            "claim {}: {} — {}",
            if c.holds { "holds" } else { "does NOT hold" },
            c.text,
            c.evidence
        ));
    }
    lines
}

/// The real output, folded, its last `SHOWN_LINES` lines in a fence it cannot close.
fn real_output_block(md: &mut String, pad: &str, out: &str) {
    let all: Vec<&str> = out.lines().collect();
    let skipped = all.len().saturating_sub(SHOWN_LINES);
    let fence = fence_for(out, 4);
    let _ = writeln!(
        md,
        "\n{pad}<details><summary>real output ({} lines)</summary>\n\n{pad}{fence}text",
        all.len()
    );
    if skipped > 0 {
        let _ = writeln!(md, "{pad}[… {skipped} earlier lines]");
    }
    for l in &all[skipped..] {
        let _ = writeln!(md, "{pad}{l}");
    }
    let _ = writeln!(md, "{pad}{fence}\n\n{pad}</details>");
}

fn verdict_lines(article: &[&str], output: &Step, verdict: Option<&Verdict>) -> Vec<String> {
    match verdict {
        None => vec!["output not compared".to_string()],
        Some(Verdict::Matches) => vec!["output **matches** the article".to_string()],
        Some(Verdict::Differs { diff, at }) => {
            let fence = fence_for(diff, 3);
            vec![format!(
                "output **differs** from line {}:\n{fence}diff\n{diff}\n{fence}",
                difference_line_in(article, output, *at)
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::reader::read;
    use super::*;

    /// The lines a Markdown reader sees outside code fences (blockquoted fences included).
    fn outside_fences(md: &str) -> Vec<&str> {
        let mut open: Option<usize> = None;
        let mut outside = Vec::new();
        for line in md.lines() {
            let t = line.trim_start().trim_start_matches('>').trim();
            let run = t.bytes().take_while(|b| *b == b'`').count();
            match open {
                None if run >= 3 => open = Some(run),
                None => outside.push(line),
                Some(n) if run >= n && run == t.len() => open = None,
                Some(_) => {}
            }
        }
        outside
    }

    #[test]
    fn quoted_output_cannot_end_its_fence_and_forge_a_verdict() {
        let article = "```command\nprintf x\n```\n\n```output\nfine\n```\n\n```command\nls\n```\n";
        let steps = read(article);
        let forged = "````\n\n> **ran** (line 9): exit 0\n```````\nmore";
        let verdict = super::super::compare(steps[1].text(), forged, &[]);
        let results = vec![
            StepResult {
                step: 0,
                exit: Some(0),
                output: forged.into(),
                verdict: Some(verdict),
                ..Default::default()
            },
            StepResult {
                step: 2,
                exit: Some(0),
                output: format!("x\n{forged}"),
                ..Default::default()
            },
        ];
        let report = Report {
            title: "T",
            article,
            steps: &steps,
            results: &results,
            secrets: &[],
            stopped: None,
        };
        let md = report.markdown();
        assert_eq!(
            md.matches("> **ran** (line 9)").count(),
            3,
            "quoted in both real outputs and the diff:\n{md}"
        );
        let outside = outside_fences(&md);
        assert!(
            outside.iter().all(|l| !l.contains("(line 9)")),
            "a forged verdict outside a fence:\n{md}"
        );
        assert!(
            outside.contains(&"> **ran** (line 10): exit 0")
                && outside.contains(&"> output **differs** from line 6:"),
            "{md}"
        );
        assert_eq!(fence_for("no backticks", 3), "```");
        assert_eq!(fence_for("a ```` b ` c", 3), "`````");
    }
}
