//! The fixer's rules, each firing only on what the replay observed at one step: an output block
//! whose comparison failed shows today's output (the lines the mask counts equal kept as the
//! article wrote them); an option typed with a look-alike dash gets its `--` (or `-`). A rule that
//! cannot apply leaves the step as written and says why.

use std::sync::OnceLock;

use super::super::causes::{Cause, LookAlike, Mend, LOOK_ALIKE_DASH};
use super::super::lines::{dedent, indent_of};
use super::super::mask::mask;
use super::super::pattern::Pattern;
use super::super::steps::{expected_output, Step, StepKind};
use super::super::text::{re, redact};
use super::super::{StepResult, Verdict};
use super::diff::Edit;

/// What the rules read: the article's lines and steps, and what the replay kept secret.
pub struct Seen<'a> {
    pub lines: Vec<&'a str>,
    pub steps: &'a [Step],
    pub secrets: &'a [String],
    pub wildcards: &'a [String],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// An output block replaced by today's output.
    Output,
    /// A look-alike dash in an option.
    Dash,
    /// An ID from the author's machine, where the guide named the object.
    AuthorsId,
    /// A container name the guide's own earlier container still holds.
    NameTaken,
    /// A `cd` into a mounted volume's name instead of where it is mounted.
    Mount,
    /// A push of a name with no account namespace.
    Namespace,
    /// An erratum of a series article, mended as the corrected recipe has it.
    Erratum,
    /// A failure no rule of this slice mends.
    None,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Output => "output",
            Rule::Dash => "look-alike dash",
            Rule::AuthorsId => "author's ID",
            Rule::NameTaken => "name taken",
            Rule::Mount => "cd to a mount",
            Rule::Namespace => "push namespace",
            Rule::Erratum => "erratum",
            Rule::None => "none",
        }
    }
}

/// What a rule made of one step: its edit, or none (then `evidence` says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// Index of the step the replay observed (the command, for an output block).
    pub step: usize,
    /// Its line in the article.
    pub line: usize,
    pub edit: Option<Edit>,
    /// One line: the step's line, what the replay saw, why the change fixes it (or why none).
    pub evidence: String,
}

impl Finding {
    /// A finding of `rule` on the step `r` ran, at that step's line.
    pub fn on(
        rule: Rule,
        seen: &Seen,
        r: &StepResult,
        edit: Option<Edit>,
        evidence: String,
    ) -> Finding {
        let line = seen.steps[r.step].line;
        Finding {
            rule,
            step: r.step,
            line,
            edit,
            evidence,
        }
    }
}

/// A step's exit as evidence gives it: its code, or `none` (it never ended).
pub fn exit_text(r: &StepResult) -> String {
    r.exit.map_or("none".into(), |e| e.to_string())
}

/// Most lines of a real output written into an article.
const MAX_OUTPUT_LINES: usize = 1000;

/// Largest alignment table built for one output block.
const MAX_CELLS: usize = 4_000_000;

/// A differing output block of a step that succeeded, rewritten to today's output.
pub fn output(seen: &Seen, r: &StepResult) -> Option<Finding> {
    let Some(Verdict::Differs { diff, .. }) = &r.verdict else {
        return None;
    };
    let step = &seen.steps[r.step];
    let out = expected_output(seen.steps, r.step)?;
    let finding = |edit: Option<Edit>, said: String| Finding {
        rule: Rule::Output,
        step: r.step,
        line: step.line,
        edit,
        evidence: format!(
            "line {}: the output block at line {} {said}",
            step.line, out.line
        ),
    };
    let refuse = |why: String| Some(finding(None, format!("is left as written: {why}")));
    if r.exit != Some(0) {
        let exit = exit_text(r);
        return refuse(format!(
            "the step failed (exit {exit}), and an error is no output to show"
        ));
    }
    let Some((from, to)) = body_of(&seen.lines, out) else {
        return refuse("it is not a fenced block".into());
    };
    let real = match real_lines(&redact(&r.output, seen.secrets)) {
        Ok(real) => real,
        Err(why) => return refuse(why),
    };
    let indent = &seen.lines[from - 1][..indent_of(seen.lines[from - 1])];
    let old = &seen.lines[from..to];
    let (new, kept) = match rewrite(old, indent, &real, seen.wildcards) {
        Ok(new) => new,
        Err(why) => return refuse(why),
    };
    if new.iter().map(String::as_str).eq(old.iter().copied()) {
        return refuse("each of its lines matches a real one; they differ in order only".into());
    }
    let said = format!(
        "differs from what the step printed ({}): it now shows today's output, {kept} of its {} lines kept as written (the mask counts them equal)",
        redact(&first_change(diff), seen.secrets),
        old.len()
    );
    let edit = Edit {
        start: from,
        old: to - from,
        new,
    };
    Some(finding(Some(edit), said))
}

/// The 0-based range of an output block's body: after its opening fence, before its closing one.
fn body_of(lines: &[&str], out: &Step) -> Option<(usize, usize)> {
    let fence = |l: &str| {
        ["```", "~~~", "{{"]
            .iter()
            .any(|f| l.trim_start().starts_with(f))
    };
    let (open, close) = (out.line.checked_sub(1)?, out.end.checked_sub(1)?);
    (close > open && fence(lines.get(open)?) && fence(lines.get(close)?))
        .then_some((open + 1, close))
}

/// A real output as lines to write: trailing blanks cut, leading and trailing blank lines dropped.
fn real_lines(text: &str) -> Result<Vec<String>, String> {
    if text.contains("more bytes not kept") {
        return Err("the real output was cut short when kept".into());
    }
    let lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return Err("the step printed nothing".into());
    };
    let lines = lines[first..=last].to_vec();
    if lines.len() > MAX_OUTPUT_LINES {
        return Err(format!(
            "the real output has {} lines, over {MAX_OUTPUT_LINES}",
            lines.len()
        ));
    }
    let fence = |l: &String| {
        ["```", "~~~", "{{<", "{{%"]
            .iter()
            .any(|f| l.trim_start().starts_with(f))
    };
    if lines.iter().any(fence) {
        return Err("the real output holds a fence line, which would end the block early".into());
    }
    Ok(lines)
}

/// The block's new lines: the real output in order, where an article line the mask counts equal
/// to a real one (or a `...` standing for real ones) stays as written; and how many were kept.
fn rewrite(
    old: &[&str],
    indent: &str,
    real: &[String],
    wildcards: &[String],
) -> Result<(Vec<String>, usize), String> {
    let pats: Vec<Pattern> = old
        .iter()
        .map(|l| Pattern::new(dedent(l, indent.len()), wildcards))
        .collect();
    let masked: Vec<String> = real.iter().map(|l| mask(l)).collect();
    let (n, m) = (pats.len(), masked.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return Err("the block and the real output are too long to align".into());
    }
    let any = |i: usize| matches!(pats[i], Pattern::Any);
    // cost[i][j]: fewest lines dropped, added or changed aligning pats[i..] with masked[j..].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                (m - j) as u32
            } else if any(i) {
                cost[i + 1][j].min(if j < m { cost[i][j + 1] } else { u32::MAX })
            } else {
                let mut best = 1 + cost[i + 1][j];
                if j < m {
                    // A real line added, or one in place of the article's (a changed line).
                    best = best.min(1 + cost[i][j + 1]).min(1 + cost[i + 1][j + 1]);
                    if pats[i].matches(&masked[j]) {
                        best = best.min(cost[i + 1][j + 1]);
                    }
                }
                best
            };
        }
    }
    let (mut i, mut j, mut new, mut kept) = (0, 0, Vec::new(), 0);
    let written = |l: &str| {
        if l.is_empty() {
            String::new()
        } else {
            format!("{indent}{l}")
        }
    };
    while i < n || j < m {
        let here = cost[i][j];
        if i < n && any(i) {
            if cost[i + 1][j] == here {
                new.push(old[i].to_string());
                i += 1;
            } else {
                j += 1;
            }
        } else if i < n && j < m && pats[i].matches(&masked[j]) && cost[i + 1][j + 1] == here {
            new.push(old[i].to_string());
            kept += 1;
            (i, j) = (i + 1, j + 1);
        } else if i < n && j < m && 1 + cost[i + 1][j + 1] == here {
            new.push(written(&real[j]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && 1 + cost[i + 1][j] == here {
            i += 1;
        } else {
            new.push(written(&real[j]));
            j += 1;
        }
    }
    Ok((new, kept))
}

/// The first line the article has and the first the real output has, from a verdict's diff.
fn first_change(diff: &str) -> String {
    let short = |l: &str| {
        let l = l.trim();
        match l.char_indices().nth(60) {
            Some((at, _)) => format!("{}…", &l[..at]),
            None => l.to_string(),
        }
    };
    let article = diff.lines().find(|l| l.starts_with('-'));
    let real = diff.lines().find(|l| l.starts_with('+'));
    match (article, real) {
        (Some(a), Some(r)) => format!("`{}` where it printed `{}`", short(a), short(r)),
        (Some(a), None) => format!("`{}` that it did not print", short(a)),
        (None, Some(r)) => format!("no `{}` that it printed", short(r)),
        (None, None) => short(diff),
    }
}

/// A failed step whose cause is a look-alike dash: the option's dashes become `--` (or `-`) on
/// the step's own line.
pub fn dash(seen: &Seen, r: &StepResult, cause: &Cause) -> Option<Finding> {
    let Some(Mend::Dash(found)) = &cause.mend else {
        return None;
    };
    let step = &seen.steps[r.step];
    if !matches!(step.kind, StepKind::Command { .. }) {
        return None;
    }
    let exit = exit_text(r);
    let saw = format!(
        "line {}: the command failed (exit {exit}), and the replay named a look-alike dash in `{}{}`",
        step.line, found.dash, found.word
    );
    let raw = seen.lines.get(step.line - 1).copied().unwrap_or("");
    let (edit, said) = match mend_dashes(raw) {
        Some((fixed, mended)) => (
            Some(Edit {
                start: step.line - 1,
                old: 1,
                new: vec![fixed],
            }),
            format!("; written `{}`, the option the shell passes on as one", mended.join("`, `")),
        ),
        None => (None, format!("; left as written: no such dash on line {} as written (a placeholder's value or a continuation line)", step.line)),
    };
    Some(Finding::on(
        Rule::Dash,
        seen,
        r,
        edit,
        format!("{saw}{said}"),
    ))
}

/// `line` with each option written with a look-alike dash given its `--` (or `-`), and the
/// options as mended; None when it has none (a plain `-` or `--` is never touched).
pub fn mend_dashes(line: &str) -> Option<(String, Vec<String>)> {
    static DASH: OnceLock<regex::Regex> = OnceLock::new();
    let mut out = String::new();
    let mut mended = Vec::new();
    let mut at = 0;
    for c in re(&DASH, LOOK_ALIKE_DASH).captures_iter(line) {
        let (dash, word) = (c.get(1)?, &c[2]);
        let meant = LookAlike {
            dash: dash.as_str().to_string(),
            word: word.to_string(),
        }
        .meant();
        out.push_str(&line[at..dash.start()]);
        out.push_str(meant);
        at = dash.end();
        mended.push(format!("{meant}{word}"));
    }
    if mended.is_empty() {
        return None;
    }
    out.push_str(&line[at..]);
    Some((out, mended))
}

/// A failed step that no rule of this slice mends: said, and left as written.
pub fn unmended(seen: &Seen, r: &StepResult, cause: &Cause) -> Finding {
    let line = seen.steps[r.step].line;
    let exit = exit_text(r);
    Finding {
        rule: Rule::None,
        step: r.step,
        line,
        edit: None,
        evidence: format!(
            "line {line}: left as written: the step failed (exit {exit}), {}: {}; no rule of --fix mends that yet",
            cause.kind.name(),
            redact(&cause.why, seen.secrets)
        ),
    }
}
