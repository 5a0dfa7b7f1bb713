//! The rules about names:
//! - an author's ID: a step that names an object by an ID from the author's machine (the engine
//!   knows no such object, and no output of the replay showed it) names it instead by the name the
//!   guide gave it: the last object of that kind an earlier step made under a name and that
//!   succeeded. With no such name, the step is left as written.
//! - a name taken: a step whose `--name` the guide's own earlier container still holds gets
//!   `docker rm -f NAME` on the line before it, in its block, so that the name is free again.

use super::super::causes::made;
use super::super::steps::{Step, StepKind};
use super::super::StepResult;
use super::diff::Edit;
use super::rules::{exit_text, Finding, Rule, Seen};

/// The finding for step `r`, failed on the ID `id` of an object of kind `of`, after `before`.
pub fn authors_id(
    seen: &Seen,
    r: &StepResult,
    before: &[StepResult],
    id: &str,
    of: &str,
) -> Finding {
    let step = &seen.steps[r.step];
    let exit = exit_text(r);
    let saw = format!(
        "line {}: the command failed (exit {exit}): the engine knows no {of} {id}, and no output of the replay showed it (an ID from the author's machine)",
        step.line
    );
    let finding =
        |edit, said: String| Finding::on(Rule::AuthorsId, seen, r, edit, format!("{saw}; {said}"));
    let Some((name, at)) = last_named(seen.steps, before, of) else {
        let article = if of.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let said =
            format!("left as written: no step before it that succeeded named {article} {of}");
        return finding(None, said);
    };
    let raw = seen.lines.get(step.line - 1).copied().unwrap_or("");
    if !raw.contains(id) {
        return finding(
            None,
            format!(
                "left as written: {id} is not on line {} as written",
                step.line
            ),
        );
    }
    let edit = Edit {
        start: step.line - 1,
        old: 1,
        new: vec![raw.replace(id, &name)],
    };
    finding(
        Some(edit),
        format!("written `{name}`, the {of} the guide named at line {at}, the last it named before this step"),
    )
}

/// The last name an earlier step that succeeded gave an object of kind `of` (any kind for
/// `object`, as `docker inspect` takes them all), and that step's line.
fn last_named(steps: &[Step], before: &[StepResult], of: &str) -> Option<(String, usize)> {
    before
        .iter()
        .rev()
        .filter(|b| b.exit == Some(0))
        .find_map(|b| {
            let StepKind::Command { text, .. } = &steps[b.step].kind else {
                return None;
            };
            let names = made(text);
            let (_, name) = names
                .iter()
                .rev()
                .find(|(k, _)| of == "object" || *k == of)?;
            Some((name.clone(), steps[b.step].line))
        })
}

/// The finding for step `r`, refused the container name `name` that the guide's step at line
/// `took` gave a container before: that container removed on a line of its own just before.
pub fn name_taken(seen: &Seen, r: &StepResult, name: &str, took: usize) -> Finding {
    let step = &seen.steps[r.step];
    let exit = exit_text(r);
    let raw = seen.lines.get(step.line - 1).copied().unwrap_or("");
    let indent = &raw[..raw.len() - raw.trim_start().len()];
    let removal = format!("docker rm -f {name}");
    let edit = Edit {
        start: step.line - 1,
        old: 0,
        new: vec![format!("{indent}{removal}")],
    };
    let evidence = format!(
        "line {}: the command failed (exit {exit}): the container the guide's step at line {took} named {name} still holds the name; `{removal}` added before it, so that the name is free again",
        step.line
    );
    Finding::on(Rule::NameTaken, seen, r, Some(edit), evidence)
}
