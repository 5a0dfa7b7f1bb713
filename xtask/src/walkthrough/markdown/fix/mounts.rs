//! The mount rule: `cd PATH` failed because PATH does not exist, where an earlier step mounted a
//! volume or folder named PATH at another place in the container (`-v example_data:/data`, then
//! `cd example_data` in its shell): the step goes to the mount's destination instead. With no such
//! mount, the step is left as written.

use super::super::steps::StepKind;
use super::super::StepResult;
use super::diff::Edit;
use super::rules::{exit_text, Finding, Rule, Seen};

/// The finding for step `r`, which failed on `path`, after `before`; None when the step is not a
/// `cd` (the rule mends only those).
pub fn cd_to_mount(
    seen: &Seen,
    r: &StepResult,
    before: &[StepResult],
    path: &str,
) -> Option<Finding> {
    let step = &seen.steps[r.step];
    let StepKind::Command { text, .. } = &step.kind else {
        return None;
    };
    let typed = format!("cd {path}");
    if !text.split(['&', ';', '|']).any(|part| part.trim() == typed) {
        return None;
    }
    let exit = exit_text(r);
    let saw = format!(
        "line {}: `{typed}` failed (exit {exit}): no {path} there",
        step.line
    );
    let finding =
        |edit, said: String| Finding::on(Rule::Mount, seen, r, edit, format!("{saw}; {said}"));
    let Some((destination, at)) = mounted_at(seen, before, path) else {
        let said = format!("left as written: no step before it mounted {path}");
        return Some(finding(None, said));
    };
    let raw = seen.lines.get(step.line - 1).copied().unwrap_or("");
    if !raw.contains(&typed) {
        let said = format!(
            "left as written: `{typed}` is not on line {} as written",
            step.line
        );
        return Some(finding(None, said));
    }
    let edit = Edit {
        start: step.line - 1,
        old: 1,
        new: vec![raw.replacen(&typed, &format!("cd {destination}"), 1)],
    };
    Some(finding(
        Some(edit),
        format!(
            "the step at line {at} mounted {path} at {destination}: written `cd {destination}`"
        ),
    ))
}

/// Where the last earlier step that did not fail mounted a source named like `path` (the same
/// last component), and that step's line.
fn mounted_at(seen: &Seen, before: &[StepResult], path: &str) -> Option<(String, usize)> {
    let last = |p: &str| {
        p.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let wanted = last(path);
    before
        .iter()
        .rev()
        .filter(|b| b.exit.is_none_or(|c| c == 0))
        .find_map(|b| {
            let StepKind::Command { text, .. } = &seen.steps[b.step].kind else {
                return None;
            };
            let (_, destination) = mounts(text)
                .into_iter()
                .rev()
                .find(|(s, _)| last(s) == wanted)?;
            Some((destination, seen.steps[b.step].line))
        })
}

/// The (source, destination) of each `-v`/`--volume` and `--mount` in a command.
pub fn mounts(text: &str) -> Vec<(String, String)> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.replace(['"', '\''], ""))
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let value = match w.as_str() {
            "-v" | "--volume" | "--mount" => words.get(i + 1).cloned(),
            _ => ["-v=", "--volume=", "--mount="]
                .iter()
                .find_map(|f| w.strip_prefix(f).map(String::from)),
        };
        let Some(value) = value else { continue };
        let mount = w.starts_with("--mount");
        let pair = if mount {
            let field = |keys: &[&str]| {
                value.split(',').find_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    keys.contains(&k).then(|| v.to_string())
                })
            };
            field(&["source", "src"]).zip(field(&["target", "destination", "dst"]))
        } else {
            let mut parts = value.split(':');
            parts
                .next()
                .zip(parts.next())
                .map(|(s, d)| (s.to_string(), d.to_string()))
        };
        out.extend(pair.filter(|(s, d)| !s.is_empty() && d.starts_with('/')));
    }
    out
}
