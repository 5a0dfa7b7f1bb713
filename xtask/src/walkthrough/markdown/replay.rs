//! `cargo xtask walkthrough --from-markdown FILE`: an article replayed from its own Markdown, in a
//! sandbox engine, each step exactly as written (placeholders filled), with a transcript on stderr,
//! a one-screen summary, and on request the maintainer's Markdown report and JSON.
//!
//! Exit status: 0 when the replay reached the article's end, whatever the steps did: a step that
//! fails, an output that differs or a step that cannot run is a finding, counted in the summary
//! and reports, not an error of the replay. 1 on operational errors (no article, bad `--set`, the
//! sandbox cannot start or fails mid-way).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context, Result};
use regex::Regex;
use serde_json::{json, Value};
use xshell::Shell;

use super::commands::re;
use super::executor::Executor;
use super::job::Place as SandboxPlace;
use super::steps::{expected_output, Place, Step, StepKind};
use super::{compare, placeholders, reader, standin, Report, Values};
use crate::sandbox::Sandbox;

/// Why the LISH console's steps are not replayed yet.
pub const REMOTE_WHY: &str = "the remote engine is not built yet";

/// Replays `file` and prints or writes what it found.
pub fn run(sh: &Shell, file: &Path, sets: &[String], report: Option<&Path>, json_out: bool) -> Result<()> {
    let path = resolve(file)?;
    let article = std::fs::read_to_string(&path).with_context(|| format!("reading the article {}", path.display()))?;
    let slug = reader::front_matter(&article, "slug").unwrap_or_else(|| path.file_stem().unwrap_or_default().to_string_lossy().into_owned());
    let title = reader::front_matter(&article, "title").unwrap_or_else(|| slug.clone());
    let values = Values::for_article(&slug).with(&parse_sets(sets)?)?;
    if let Some(report) = report {
        crate::walkthrough::check_report_path(report)?;
    }
    let read = reader::read(&article);
    let steps = prepare(placeholders::fill(&read, &values));
    let wildcards = placeholders::all(&read, &values);
    let secrets = Arc::new(values.secrets());

    let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
    let host = sandbox.host().clone();
    eprintln!("# replaying {} in the sandbox {} (its own engine; images the article pulls come from its registry):", path.display(), sandbox.container);
    for s in &stand_ins {
        eprintln!("#   stand-in for {}: {} ({})", s.pulled_as, s.image, s.about);
    }

    let place = SandboxPlace { host: host.clone(), container: sandbox.container.clone(), secrets: secrets.clone() };
    let mut executor = Executor::new(place, &sandbox.inner, &steps, standin::uses_data(&article));
    let mut outcome = Ok(());
    for k in 0..steps.len() {
        outcome = executor.step(k);
        if outcome.is_err() {
            break;
        }
    }
    executor.finish();
    outcome.context("the replay stopped before the article's end")?;

    let mut results: Vec<_> = executor.results.iter().flatten().cloned().collect();
    for r in &mut results {
        if let (Some(out), Some(real)) = (expected_output(&steps, r.step), &executor.compared[r.step]) {
            r.verdict = Some(compare(out.text(), real, &wildcards));
        }
    }
    let report_of = Report { title: &title, article: &article, steps: &steps, results: &results, secrets: &secrets };
    let mut notes: Vec<String> = stand_ins.iter().map(|s| format!("stand-in for {}: {} ({})", s.pulled_as, s.image, s.about)).collect();
    notes.extend(executor.notes.iter().cloned());
    let summary = report_of.summary();
    if let Some(report) = report {
        let md = format!("{}\n{}", report_of.markdown(), notes_markdown(&notes, &steps, &results, &secrets));
        std::fs::write(report, md).with_context(|| format!("writing the report {}", report.display()))?;
        eprintln!("report written to {}", report.display());
    }
    if json_out {
        let mut v = report_of.json();
        v["article"] = json!(path.display().to_string());
        v["sandbox"] = json!(sandbox.container);
        v["notes"] = redact_json(json!(notes), &secrets);
        v["transcript"] = redact_json(Value::Array(executor.transcript.clone()), &secrets);
        eprintln!("{summary}");
        println!("{v}");
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// The article as given, else by name in the series folder beside the project.
fn resolve(file: &Path) -> Result<PathBuf> {
    if file.is_file() {
        return Ok(file.to_path_buf());
    }
    let series = crate::paths::root().join("../shared/series");
    let named = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for candidate in [series.join(&named), series.join(format!("{named}.md"))] {
        if file.components().count() == 1 && candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("the article {} does not exist: pass the path of a Linode-docs Markdown file", file.display())
}

fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, String>> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            _ => bail!("--set {s:?} is not NAME=VALUE: write it like --set CONTAINER_ID=my-container"),
        })
        .collect()
}

/// The steps as the replay takes them: the remote console's commands are not run yet.
fn prepare(steps: Vec<Step>) -> Vec<Step> {
    steps
        .into_iter()
        .map(|s| match &s.kind {
            StepKind::Command { place: Place::Remote, text } => Step { kind: StepKind::CannotRun { text: text.clone(), why: REMOTE_WHY.into() }, ..s },
            _ => s,
        })
        .collect()
}

/// The notes section of the Markdown report: stand-ins, then each step's note by line.
fn notes_markdown(notes: &[String], steps: &[Step], results: &[super::StepResult], secrets: &[String]) -> String {
    let mut md = String::from("## Replay notes\n\n");
    for n in notes {
        md.push_str(&format!("- {n}\n"));
    }
    for r in results {
        if let Some(note) = &r.note {
            md.push_str(&format!("- line {}: {note}\n", steps[r.step].line));
        }
    }
    redact(&md, secrets)
}

/// `text` with the secrets and any Jupyter token replaced by `<redacted>`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    let text = re(&TOKEN, r"token=[0-9a-f]{32,}").replace_all(text, "token=<redacted>");
    secrets.iter().filter(|s| !s.is_empty()).fold(text.into_owned(), |t, s| t.replace(s.as_str(), "<redacted>"))
}

fn redact_json(value: Value, secrets: &[String]) -> Value {
    match value {
        Value::String(s) => Value::String(redact(&s, secrets)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| redact_json(v, secrets)).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, redact_json(v, secrets))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_paths() {
        assert_eq!(parse_sets(&["A_B=x=y".into()]).unwrap()["A_B"], "x=y");
        assert!(parse_sets(&["novalue".into()]).unwrap_err().to_string().contains("NAME=VALUE"));
        let missing = resolve(Path::new("/nowhere/article.md")).unwrap_err().to_string();
        assert_eq!(missing, "the article /nowhere/article.md does not exist: pass the path of a Linode-docs Markdown file");
    }

    #[test]
    fn remote_steps_cannot_run_yet_and_secrets_are_redacted() {
        let steps = prepare(reader::read("```command {title=\"LISH Console\"}\ndocker ps\n```\n"));
        assert!(matches!(&steps[0].kind, StepKind::CannotRun { why, .. } if why == REMOTE_WHY));
        let text = "http://127.0.0.1:8888/lab?token=13f6290e9454f435fee306e8a448d8ceb1a8867c6ee76815 pw hunter22";
        assert_eq!(redact(text, &["hunter22".into()]), "http://127.0.0.1:8888/lab?token=<redacted> pw <redacted>");
    }
}
