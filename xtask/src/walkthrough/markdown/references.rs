//! Prose that sends the reader to another section of the same article for a step ("stop and
//! remove the container using the instructions in the [Manually Removing Containers](...) section")
//! becomes that section's commands, run where the prose stands. The section is found by the link's
//! text, which names it, before its anchor (an article's anchors can be wrong: article 2 links
//! "Manually Removing Containers" to `#writing-data`). Links to other guides stay cannot-run.

use std::sync::OnceLock;

use regex::Regex;

use super::steps::{Step, StepKind};
use super::text::re;

/// A heading outside fences: (1-based line, level, text).
fn headings(article: &str) -> Vec<(usize, usize, String)> {
    let mut in_fence = false;
    let mut found = Vec::new();
    for (n, line) in article.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        let level = line.chars().take_while(|c| *c == '#').count();
        if !in_fence && level > 0 && line[level..].starts_with(' ') {
            found.push((n + 1, level, line[level..].trim().to_string()));
        }
    }
    found
}

fn words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines (first, last) of the section a link names, by its text, else by its anchor.
fn section_of(
    headings: &[(usize, usize, String)],
    text: &str,
    href: &str,
    total: usize,
) -> Option<(usize, usize)> {
    let wanted = words(text);
    let anchor = href
        .rsplit_once('#')
        .map(|(_, a)| a.to_lowercase())
        .unwrap_or_default();
    let by_text = headings
        .iter()
        .enumerate()
        .filter(|(_, h)| !words(&h.2).is_empty() && wanted.contains(&words(&h.2)))
        .max_by_key(|(_, h)| h.2.len());
    let (i, (line, level, _)) = by_text.or_else(|| {
        headings
            .iter()
            .enumerate()
            .find(|(_, h)| !anchor.is_empty() && words(&h.2).replace(' ', "-") == anchor)
    })?;
    let end = headings[i + 1..]
        .iter()
        .find(|h| h.1 <= *level)
        .map_or(total, |h| h.0 - 1);
    Some((*line, end))
}

/// References followed in one article, and commands one brings: past these, an article is
/// hostile (each would search every heading, and copy a section's commands again).
const MAX_REFERENCES: usize = 200;
const MAX_COMMANDS: usize = 50;

/// `steps` with each same-article reference replaced by the commands of the sections it names.
pub fn expand(article: &str, slug: &str, steps: Vec<Step>) -> Vec<Step> {
    static LINK: OnceLock<Regex> = OnceLock::new();
    let heads = headings(article);
    let lines: Vec<&str> = article.lines().collect();
    let total = lines.len();
    let mut followed = 0;
    let mut out = Vec::with_capacity(steps.len());
    for step in &steps {
        if !matches!(step.kind, StepKind::CannotRun { .. }) || followed >= MAX_REFERENCES {
            out.push(step.clone());
            continue;
        }
        // The prose as written (the reader's text has its links flattened): its paragraph.
        let text = paragraph(&lines, step.line);
        let text = &text;
        let asks = text.to_lowercase().contains("instructions in");
        let same_article =
            |href: &str| href.starts_with('#') || href.contains(&format!("/{slug}/#"));
        let sections: Vec<(usize, usize)> = if asks {
            re(&LINK, r"\[([^\]]+)\]\(([^)\s]+)\)")
                .captures_iter(text)
                .filter(|c| same_article(&c[2]))
                .take(10)
                .filter_map(|c| section_of(&heads, &c[1], &c[2], total))
                .collect()
        } else {
            Vec::new()
        };
        followed += usize::from(asks);
        let commands: Vec<Step> = sections
            .iter()
            .flat_map(|(a, b)| in_lines(&steps, *a, *b))
            .filter(|s| matches!(s.kind, StepKind::Command { .. }))
            .take(MAX_COMMANDS + 1)
            .map(|s| Step {
                line: step.line,
                end: step.end,
                column: step.column,
                kind: s.kind.clone(),
            })
            .collect();
        if commands.is_empty() || commands.len() > MAX_COMMANDS {
            out.push(step.clone());
        } else {
            out.extend(commands);
        }
    }
    out
}

/// The paragraph starting at 1-based `line`, its lines joined (its first 40: a list of items
/// with no blank line between them is one paragraph, which each item's step would read again).
pub fn paragraph(lines: &[&str], line: usize) -> String {
    let from = line.saturating_sub(1).min(lines.len());
    lines[from..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .take(40)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The steps on lines `first..=last` (steps come in line order: a binary search finds them).
fn in_lines(steps: &[Step], first: usize, last: usize) -> &[Step] {
    let from = steps.partition_point(|s| s.line < first);
    let to = steps.partition_point(|s| s.line <= last).max(from);
    &steps[from..to]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::read;

    const ARTICLE: &str = "## Writing Data\n\n1.  Write:\n\n    ```command\n    echo data\n    ```\n\n#### Removing Containers\n\n1.  Stop it:\n\n    ```command\n    docker stop web\n    ```\n\n1.  Remove it:\n\n    ```command\n    docker rm web\n    ```\n\n## Later\n\n1.  First, stop and remove the container using the instructions in the [Manually Removing Containers](/docs/guides/demo/#writing-data) section.\n\n1.  See the [other guide](/docs/guides/elsewhere/#removing-containers) for the instructions in it.\n";

    #[test]
    fn a_reference_runs_the_commands_of_the_section_its_text_names() {
        let steps = expand(ARTICLE, "demo", read(ARTICLE));
        let at = |line: usize| {
            steps
                .iter()
                .filter(|s| s.line == line)
                .map(|s| s.text().to_string())
                .collect::<Vec<_>>()
        };
        // By the link's text (Removing Containers), not its wrong anchor (#writing-data).
        assert_eq!(at(25), ["docker stop web", "docker rm web"]);
        // Another guide's section is not this article's: still cannot-run.
        assert!(
            steps
                .iter()
                .any(|s| s.line == 27 && matches!(s.kind, StepKind::CannotRun { .. })),
            "{steps:?}"
        );
        assert_eq!(steps.iter().filter(|s| s.text() == "echo data").count(), 1);
    }
}
