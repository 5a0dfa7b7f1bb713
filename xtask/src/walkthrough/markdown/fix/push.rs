//! The push rule: `docker push NAME` refused because NAME has no account namespace (Docker Hub
//! takes it as `library/NAME`, which no account may write) is tagged and pushed under the account
//! the guide logged in with at an earlier step that succeeded (`docker login -u ACCOUNT`, as the
//! guide writes it). With no such login, the step is left as written.

use super::super::steps::StepKind;
use super::super::StepResult;
use super::diff::Edit;
use super::rules::{exit_text, Finding, Rule, Seen};

/// The finding for step `r`, whose push of `image` was refused, after `before`.
pub fn namespace(seen: &Seen, r: &StepResult, before: &[StepResult], image: &str) -> Finding {
    let step = &seen.steps[r.step];
    let exit = exit_text(r);
    let saw = format!(
        "line {}: the push was refused (exit {exit}): {image} has no account namespace, so it went to library/{image}",
        step.line
    );
    let finding =
        |edit, said: String| Finding::on(Rule::Namespace, seen, r, edit, format!("{saw}; {said}"));
    let Some((account, at)) = logged_in_as(seen, before) else {
        let said = format!("left as written: no `docker login -u ACCOUNT` succeeded before it (tag it ACCOUNT/{image} and push that)");
        return finding(None, said);
    };
    let raw = seen.lines.get(step.line - 1).copied().unwrap_or("");
    let typed = format!("docker push {image}");
    if raw.trim() != typed {
        let said = format!("left as written: line {} is not `{typed}` alone", step.line);
        return finding(None, said);
    }
    let indent = &raw[..raw.len() - raw.trim_start().len()];
    let named = format!("{account}/{image}");
    let edit = Edit {
        start: step.line - 1,
        old: 1,
        new: vec![
            format!("{indent}docker tag {image} {named}"),
            format!("{indent}docker push {named}"),
        ],
    };
    finding(
        Some(edit),
        format!("the guide logged in as {account} at line {at}: written `docker tag {image} {named}` and `docker push {named}`"),
    )
}

/// The account of the last earlier `docker login -u ACCOUNT` (or `--username`) that succeeded, as
/// the article's line writes it (a placeholder stays one), and that step's line.
fn logged_in_as(seen: &Seen, before: &[StepResult]) -> Option<(String, usize)> {
    before
        .iter()
        .rev()
        .filter(|b| b.exit == Some(0))
        .find_map(|b| {
            let step = &seen.steps[b.step];
            let StepKind::Command { .. } = &step.kind else {
                return None;
            };
            let raw = seen.lines.get(step.line - 1)?;
            let words: Vec<&str> = raw.split_whitespace().collect();
            let login = words.windows(2).position(|w| w == ["docker", "login"])?;
            let rest = &words[login + 2..];
            let account = rest
                .iter()
                .enumerate()
                .find_map(|(i, w)| match w.split_once('=') {
                    Some(("--username", name)) => Some(name.to_string()),
                    _ if *w == "-u" || *w == "--username" => rest.get(i + 1).map(|n| n.to_string()),
                    _ => None,
                })?;
            Some((account.trim_matches(['"', '\'']).to_string(), step.line))
        })
}
