//! A guide an article sends its reader to first ("Follow the instructions in our previous guide
//! [...](/docs/guides/SLUG/)"), replayed before the article in the same sandbox when its file is
//! beside the article.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use regex::Regex;

use super::executor::Executor;
use super::job::Place as SandboxPlace;
use super::play::play;
use super::steps::{Step, StepKind};
use super::text::re;
use super::{placeholders, reader, standin, Values};
use crate::sandbox::Sandbox;

/// The guide an article sends its reader to first, to set up what it builds on ("Follow the
/// instructions in our previous guide [...](/docs/guides/SLUG/) to set up the required examples"),
/// when that guide is beside the article: the step, and the guide's file.
pub fn find(article: &str, steps: &[Step], path: &Path) -> Option<(usize, PathBuf)> {
    static GUIDE: OnceLock<Regex> = OnceLock::new();
    let dir = path.parent()?;
    let lines: Vec<&str> = article.lines().collect();
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, StepKind::CannotRun { .. }))
        .find_map(|(k, step)| {
            let text = super::references::paragraph(&lines, step.line);
            if !text.to_lowercase().contains("follow the instructions") {
                return None;
            }
            re(&GUIDE, r"\]\(/docs/guides/([a-z0-9-]+)/?\)")
                .captures_iter(&text)
                .map(|c| dir.join(format!("{}.md", &c[1])))
                .find(|f| f.is_file())
                .map(|f| (k, f))
        })
}

/// A guide replayed before the article, in the same sandbox, as its reader followed it.
pub struct Prerequisite {
    pub step: usize,
    slug: String,
    article: String,
    pub steps: Vec<Step>,
    values: Values,
}

impl Prerequisite {
    pub fn read(step: usize, file: PathBuf) -> Result<Prerequisite> {
        let article = std::fs::read_to_string(&file)
            .with_context(|| format!("reading the guide {}", file.display()))?;
        let slug = reader::front_matter(&article, "slug").unwrap_or_else(|| {
            file.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        });
        let values = Values::for_article(&slug);
        let steps = placeholders::fill(
            &super::references::expand(&article, &slug, reader::read(&article)),
            &values,
        );
        Ok(Prerequisite {
            step,
            slug,
            article,
            steps,
            values,
        })
    }

    /// Replays it; what the article's step then says of it.
    pub fn replay(&self, sandbox: &Sandbox, place: &SandboxPlace) -> Result<String> {
        eprintln!("# first, the guide the article builds on: {}", self.slug);
        let local = super::local_machine::prepare(&sandbox.inner, place, &self.slug, &self.values)?;
        for note in &local {
            eprintln!("#   {note}");
        }
        let mut executor = Executor::new(
            place.clone(),
            &sandbox.inner,
            &self.steps,
            standin::uses_data(&self.article),
        );
        executor.asked = self.values.asked();
        play(&mut executor, sandbox, &self.steps, |_, _| {})
            .with_context(|| format!("replaying {}, the guide the article builds on", self.slug))?;
        let commands: Vec<_> = executor
            .results
            .iter()
            .flatten()
            .filter(|r| matches!(self.steps[r.step].kind, StepKind::Command { .. }))
            .collect();
        let failed: Vec<String> = commands
            .iter()
            .filter(|r| r.exit != Some(0))
            .map(|r| self.steps[r.step].line.to_string())
            .collect();
        Ok(format!(
            "the guide it sends the reader to first, {}, was replayed before this article's first step, as written, in this sandbox: {} commands ran, {} exited non-zero{}",
            self.slug,
            commands.len(),
            failed.len(),
            if failed.is_empty() { String::new() } else { format!(" (its lines {})", failed.join(", ")) }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guide_to_follow_first_is_found_beside_the_article() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("first-guide.md"),
            "---\nslug: first-guide\n---\n",
        )
        .unwrap();
        let article = "1.  Follow the instructions in our previous guide, [First Guide](/docs/guides/first-guide/) to set up the examples.\n\n1.  See [Missing](/docs/guides/missing/) and follow the instructions there.\n";
        let steps = reader::read(article);
        let found = find(article, &steps, &dir.path().join("article.md"));
        assert_eq!(
            found.map(|(k, f)| (steps[k].line, f)),
            Some((1, dir.path().join("first-guide.md")))
        );
        assert_eq!(
            find(
                &article[article.find("\n\n").unwrap() + 2..],
                &reader::read(&article[article.find("\n\n").unwrap() + 2..]),
                &dir.path().join("a.md")
            ),
            None,
            "a guide that is not beside the article"
        );
    }
}
