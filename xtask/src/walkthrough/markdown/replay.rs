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

use super::claims::{self, ClaimCheck, Observed, Probe};
use super::executor::Executor;
use super::job::Place as SandboxPlace;
use super::play::play;
use super::steps::{expected_output, Step, StepKind};
use super::text::{re, redact};
use super::{compare, elsewhere, placeholders, reader, standin, Report, StepResult, Values};
use crate::sandbox::Sandbox;
use crate::walkthrough::report_file::ReportFile;

/// Most steps an article may have unless `--max-steps` says otherwise: ten times the longest
/// article of the series, far less than a hostile one could make a replay run for.
pub const DEFAULT_MAX_STEPS: usize = 500;

/// How `--from-markdown` was asked for.
pub struct Options<'a> {
    pub sets: &'a [String],
    pub report: Option<&'a Path>,
    pub json: bool,
    pub max_steps: usize,
}

/// A claim check's verdict, at the step it followed (None: the article has no such step).
pub struct Checked {
    pub check: &'static ClaimCheck,
    pub step: Option<usize>,
    pub observed: Observed,
}

/// What a replay found.
pub struct Replayed {
    pub path: PathBuf,
    pub title: String,
    pub article: String,
    pub steps: Vec<Step>,
    pub results: Vec<StepResult>,
    pub transcript: Vec<Value>,
    pub notes: Vec<String>,
    pub claims: Vec<Checked>,
    pub sandbox: String,
    pub secrets: Arc<Vec<String>>,
    /// Why the replay stopped before the article's end (the sandbox died), naming the line.
    pub stopped: Option<String>,
}

impl Replayed {
    pub fn report(&self) -> Report<'_> {
        Report {
            title: &self.title,
            article: &self.article,
            steps: &self.steps,
            results: &self.results,
            secrets: &self.secrets,
            stopped: self.stopped.as_deref(),
        }
    }

    pub fn json(&self) -> Value {
        let mut v = self.report().json();
        v["article"] = json!(self.path.display().to_string());
        v["sandbox"] = json!(self.sandbox);
        v["notes"] = redact_json(json!(self.notes), &self.secrets);
        v["transcript"] = redact_json(Value::Array(self.transcript.clone()), &self.secrets);
        v
    }

    pub fn markdown(&self) -> String {
        format!(
            "{}\n{}",
            self.report().markdown(),
            notes_markdown(&self.notes, &self.steps, &self.results, &self.secrets)
        )
    }
}

/// Replays `file` and prints or writes what it found: all of it, up to where it stopped when the
/// sandbox died (then the error says so).
pub fn run(
    sh: &Shell,
    file: &Path,
    checks: &'static [ClaimCheck],
    options: &Options,
) -> Result<()> {
    let path = resolve(file)?;
    let report = options
        .report
        .map(|r| ReportFile::prepare(r, Some(&path)))
        .transpose()?;
    let replayed = replay(sh, &path, options.sets, checks, options.max_steps)?;
    let summary = replayed.report().summary();
    if let Some(report) = report {
        report.write(&replayed.markdown())?;
    }
    if options.json {
        eprintln!("{summary}");
        println!("{}", replayed.json());
    } else {
        println!("{summary}");
    }
    match &replayed.stopped {
        Some(why) => bail!("the replay stopped before the article's end: {why}"),
        None => Ok(()),
    }
}

/// Replays `file` in a sandbox engine, each step as written, and makes `checks` at their steps.
pub fn replay(
    sh: &Shell,
    file: &Path,
    sets: &[String],
    checks: &'static [ClaimCheck],
    max_steps: usize,
) -> Result<Replayed> {
    let path = resolve(file)?;
    let article = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the article {}", path.display()))?;
    let slug = reader::front_matter(&article, "slug").unwrap_or_else(|| {
        path.file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    let title = reader::front_matter(&article, "title").unwrap_or_else(|| slug.clone());
    let sets = parse_sets(sets)?;
    let mut values = Values::for_article(&slug);
    for name in values.named_as(elsewhere::HUB_USER) {
        values.set(&name, &elsewhere::hub_user())?;
    }
    let values = values.with(&sets)?;
    let read = super::references::expand(&article, &slug, reader::read(&article));
    check_length(&path, read.len(), max_steps)?;
    let mut steps = placeholders::fill(&read, &values);
    let wildcards = placeholders::all(&read, &values);
    let first = super::prerequisite::find(&article, &steps, &path)
        .map(|(k, file)| super::prerequisite::Prerequisite::read(k, file))
        .transpose()?;
    let mut secrets = values.secrets();
    let written = written_passwords(&steps)
        .into_iter()
        .chain(first.iter().flat_map(|p| written_passwords(&p.steps)));
    for written in written.collect::<Vec<_>>() {
        if !secrets.contains(&written) {
            secrets.push(written);
        }
    }
    let at: Vec<Option<usize>> = checks
        .iter()
        .map(|c| claims::step_of(c.after, &steps))
        .collect();

    let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
    let elsewhere = elsewhere::prepare(&sandbox, &steps, &mut secrets)?;
    let secrets = Arc::new(secrets);
    let host = sandbox.host().clone();
    eprintln!("# replaying {} in the sandbox {} (its own engine; images the article pulls come from its registry):", path.display(), sandbox.container);
    for s in &stand_ins {
        eprintln!(
            "#   stand-in for {}: {} ({})",
            s.pulled_as, s.image, s.about
        );
    }

    let place = SandboxPlace {
        host: host.clone(),
        container: sandbox.container.clone(),
        secrets: secrets.clone(),
    };
    let mut local = super::local_machine::prepare(&sandbox.inner, &place, &slug, &values)?;
    local.extend(elsewhere.notes.iter().cloned());
    for note in &local {
        eprintln!("#   {note}");
    }
    let mut stopped = None;
    if let Some(first) = &first {
        match first.replay(&sandbox, &place) {
            Ok(ran) => {
                eprintln!("# line {}: {ran}", steps[first.step].line);
                if let StepKind::CannotRun { why, .. } = &mut steps[first.step].kind {
                    *why = ran;
                }
            }
            Err(e) => stopped = Some(format!("{e:#}")),
        }
    }
    let mut executor = Executor::new(place, &sandbox.inner, &steps, standin::uses_data(&article));
    executor.asked = values.asked();
    executor.remote = elsewhere.remote.as_ref();
    executor.hub_login = elsewhere
        .hub
        .as_ref()
        .map(|h| (h.user.clone(), h.password.clone()));
    let mut checked: Vec<Checked> = Vec::new();
    let steps_to_play = if stopped.is_some() {
        &steps[..0]
    } else {
        &steps[..]
    };
    let outcome = play(&mut executor, &sandbox, steps_to_play, |executor, k| {
        for (check, _) in checks.iter().zip(&at).filter(|(_, at)| **at == Some(k)) {
            let observed = (check.check)(&Probe { ex: executor, k });
            let said = match &observed {
                Observed::Seen { holds, evidence } => format!(
                    "{}: {}",
                    if *holds { "holds" } else { "does not hold" },
                    redact(evidence, &secrets)
                ),
                Observed::NotCheckable(why) => format!("not checkable: {why}"),
            };
            eprintln!("# claim ({}): {} -- {said}", check.section, check.claim);
            checked.push(Checked {
                check,
                step: Some(k),
                observed,
            });
        }
    });
    stopped = stopped.or(outcome.err().map(|e| format!("{e:#}")));
    for (check, _) in checks.iter().zip(&at).filter(|(_, at)| at.is_none()) {
        checked.push(Checked {
            check,
            step: None,
            observed: Observed::NotCheckable(String::new()),
        });
    }

    let mut results: Vec<_> = executor.results.iter().flatten().cloned().collect();
    for r in &mut results {
        if let (Some(out), Some(real)) =
            (expected_output(&steps, r.step), &executor.compared[r.step])
        {
            r.verdict = Some(compare(out.text(), real, &wildcards));
        }
        for c in checked.iter().filter(|c| c.step == Some(r.step)) {
            if let Observed::Seen { holds, evidence } = &c.observed {
                r.claims.push(super::Claim {
                    text: c.check.claim.to_string(),
                    holds: *holds,
                    evidence: evidence.clone(),
                });
            }
        }
    }
    let mut notes: Vec<String> = stand_ins
        .iter()
        .map(|s| format!("stand-in for {}: {} ({})", s.pulled_as, s.image, s.about))
        .collect();
    notes.extend(local);
    notes.extend(executor.notes.iter().cloned());
    let transcript = executor.transcript.clone();
    drop(executor);
    Ok(Replayed {
        path,
        title,
        article,
        steps,
        results,
        transcript,
        notes,
        claims: checked,
        sandbox: sandbox.container.clone(),
        secrets,
        stopped,
    })
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
fn resolve(file: &Path) -> Result<PathBuf> {
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

/// The notes section of the Markdown report: stand-ins, then each step's note by line.
fn notes_markdown(
    notes: &[String],
    steps: &[Step],
    results: &[super::StepResult],
    secrets: &[String],
) -> String {
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

fn redact_json(value: Value, secrets: &[String]) -> Value {
    match value {
        Value::String(s) => Value::String(redact(&s, secrets)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| redact_json(v, secrets)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, redact_json(v, secrets)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_run_the_sandbox_stopped_reports_what_ran_and_where_it_stopped() {
        let article = "```command\necho one\n```\n\n```command\nsleep 60\n```\n\n```command\ndocker ps\n```\n";
        let steps = reader::read(article);
        let why = "the sandbox s stopped during line 6 (killed, or out of memory): the replay cannot go on; run it again";
        let replayed = Replayed {
            path: "a.md".into(),
            title: "A".into(),
            article: article.into(),
            steps,
            transcript: vec![],
            notes: vec![],
            claims: vec![],
            results: vec![StepResult {
                step: 0,
                exit: Some(0),
                output: "one".into(),
                ..Default::default()
            }],
            sandbox: "s".into(),
            secrets: Arc::new(vec![]),
            stopped: Some(why.into()),
        };
        let md = replayed.markdown();
        assert!(
            md.contains(&format!("STOPPED before the article's end: {why}"))
                && md.contains("> **ran** (line 2): exit 0"),
            "{md}"
        );
        assert!(
            md.contains("> **not run** (line 6)") && md.contains("> **not run** (line 10)"),
            "{md}"
        );
        assert_eq!(replayed.json()["stopped"], why);
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
