//! The article a replay reads: found by path or by name in the series, its placeholders filled
//! (`--set` first), its length bounded, the guide it sends its reader to first, and the secrets
//! its transcript must never show.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use regex::Regex;

use super::super::prerequisite::{self, Prerequisite};
use super::super::steps::{Step, StepKind};
use super::super::text::re;
use super::super::{elsewhere, placeholders, reader, references, Values};

/// An article ready to replay: nothing of it has run yet.
pub(super) struct Article {
    pub path: PathBuf,
    /// The Markdown as written.
    pub text: String,
    pub slug: String,
    pub title: String,
    pub values: Values,
    /// Its steps, placeholders filled.
    pub steps: Vec<Step>,
    /// What each placeholder may stand for in an output, when compared.
    pub wildcards: Vec<String>,
    /// The guide it sends its reader to first, if any.
    pub first: Option<Prerequisite>,
    /// The values a transcript must never show (more are added once the sandbox is ready).
    pub secrets: Vec<String>,
}

impl Article {
    /// Reads `file` with `sets` given on the command line; refused when it has over `max_steps`.
    pub fn read(file: &Path, sets: &[String], max_steps: usize) -> Result<Article> {
        let path = resolve(file)?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the article {}", path.display()))?;
        let slug = reader::front_matter(&text, "slug").unwrap_or_else(|| {
            path.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        });
        let title = reader::front_matter(&text, "title").unwrap_or_else(|| slug.clone());
        let values = values_for(&slug, sets)?;
        let read = references::expand(&text, &slug, reader::read(&text));
        check_length(&path, read.len(), max_steps)?;
        let steps = placeholders::fill(&read, &values);
        let wildcards = placeholders::all(&read, &values);
        let first = prerequisite::find(&text, &steps, &path)
            .map(|(k, file)| Prerequisite::read(k, file))
            .transpose()?;
        let secrets = secrets_of(&values, &steps, first.as_ref());
        Ok(Article {
            path,
            text,
            slug,
            title,
            values,
            steps,
            wildcards,
            first,
            secrets,
        })
    }
}

/// The article's placeholder values: the run's Docker Hub user where it names one, then `--set`.
fn values_for(slug: &str, sets: &[String]) -> Result<Values> {
    let sets = parse_sets(sets)?;
    let mut values = Values::for_article(slug);
    for name in values.named_as(elsewhere::HUB_USER) {
        values.set(&name, &elsewhere::hub_user())?;
    }
    values.with(&sets)
}

/// The values' secrets, then the passwords the article (and its first guide) write out.
fn secrets_of(values: &Values, steps: &[Step], first: Option<&Prerequisite>) -> Vec<String> {
    let mut secrets = values.secrets();
    let written = written_passwords(steps)
        .into_iter()
        .chain(first.iter().flat_map(|p| written_passwords(&p.steps)));
    for written in written.collect::<Vec<_>>() {
        if !secrets.contains(&written) {
            secrets.push(written);
        }
    }
    secrets
}

/// An article longer than `max` steps is refused before anything runs.
fn check_length(path: &Path, steps: usize, max: usize) -> Result<()> {
    if steps > max {
        bail!("{} has {steps} steps, more than --max-steps {max}: if you mean to replay them all, give --max-steps {steps}", path.display());
    }
    Ok(())
}

/// Passwords an article writes out in its files and commands (`MYSQL_ROOT_PASSWORD: my-secret-pw`):
/// published in its text, yet what a container is given as its password is redacted all the same.
fn written_passwords(steps: &[Step]) -> Vec<String> {
    static ASSIGNED: OnceLock<Regex> = OnceLock::new();
    let assigned = re(
        &ASSIGNED,
        r#"[A-Z_]*PASSWORD[A-Z_]*\s*[:=]\s*["']?([^\s"',}]+)"#,
    );
    let mut found: Vec<String> = Vec::new();
    for step in steps {
        let text = match &step.kind {
            StepKind::File { content, .. } => content.as_str(),
            StepKind::Command { text, .. } => text.as_str(),
            _ => continue,
        };
        for c in assigned.captures_iter(text) {
            let value = c[1].to_string();
            if value.len() >= 4 && !value.starts_with('$') && !found.contains(&value) {
                found.push(value);
            }
        }
    }
    found
}

/// The article as given, else by name in the series folder beside the project.
pub(in crate::walkthrough::markdown) fn resolve(file: &Path) -> Result<PathBuf> {
    if file.is_file() {
        return Ok(file.to_path_buf());
    }
    let series = crate::paths::root().join("../shared/series");
    let named = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for candidate in [series.join(&named), series.join(format!("{named}.md"))] {
        if file.components().count() == 1 && candidate.is_file() {
            return Ok(candidate);
        }
    }
    let shown = file.display();
    match std::fs::metadata(file) {
        Ok(m) if m.is_dir() => bail!("the article {shown} is a folder, not a Markdown file: pass the path of the .md file inside it"),
        Ok(_) => bail!("the article {shown} is not a regular file (a FIFO, socket or device cannot be read as an article): pass the path of a Linode-docs Markdown file"),
        Err(_) => bail!("the article {shown} does not exist: pass the path of a Linode-docs Markdown file"),
    }
}

fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, String>> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            _ => bail!(
                "--set {s:?} is not NAME=VALUE: write it like --set CONTAINER_ID=my-container"
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::replay::DEFAULT_MAX_STEPS;

    #[test]
    fn sets_and_paths() {
        assert_eq!(parse_sets(&["A_B=x=y".into()]).unwrap()["A_B"], "x=y");
        assert!(parse_sets(&["novalue".into()])
            .unwrap_err()
            .to_string()
            .contains("NAME=VALUE"));
        let missing = resolve(Path::new("/nowhere/article.md"))
            .unwrap_err()
            .to_string();
        assert_eq!(missing, "the article /nowhere/article.md does not exist: pass the path of a Linode-docs Markdown file");
    }

    #[test]
    fn a_folder_or_a_fifo_is_no_article() {
        let dir = tempfile::tempdir().unwrap();
        let folder = resolve(dir.path()).unwrap_err().to_string();
        assert!(
            folder.ends_with(
                "is a folder, not a Markdown file: pass the path of the .md file inside it"
            ),
            "{folder}"
        );
        let fifo = dir.path().join("article.md");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let said = resolve(&fifo).unwrap_err().to_string();
        assert!(
            said.contains("is not a regular file")
                && said.contains("pass the path of a Linode-docs Markdown file"),
            "{said}"
        );
    }

    #[test]
    fn passwords_written_in_an_article_are_redacted_too() {
        let steps = reader::read("```file {title=\"docker-compose.yaml\"}\nservices:\n  db:\n    environment:\n      MYSQL_ROOT_PASSWORD: my-secret-pw\n      MYSQL_PASSWORD: ${PASSWORD:-x}\n```\n\n```command\ndocker run -e MYSQL_ROOT_PASSWORD=hunter22 mysql\n```\n");
        assert_eq!(written_passwords(&steps), ["my-secret-pw", "hunter22"]);
    }

    #[test]
    fn an_article_over_the_step_limit_is_refused_before_anything_runs() {
        assert!(check_length(Path::new("a.md"), 500, DEFAULT_MAX_STEPS).is_ok());
        let err = check_length(Path::new("a.md"), 501, DEFAULT_MAX_STEPS)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "a.md has 501 steps, more than --max-steps 500: if you mean to replay them all, give --max-steps 501");
    }
}
