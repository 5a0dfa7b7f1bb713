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
use super::commands::re;
use super::executor::Executor;
use super::job::Place as SandboxPlace;
use super::steps::{expected_output, Step, StepKind};
use super::{compare, elsewhere, placeholders, reader, standin, Report, StepResult, Values};
use crate::sandbox::Sandbox;

/// Why a remote console's steps cannot run (no remote host stands in for this replay).
pub const REMOTE_WHY: &str = "no remote host stands in for this replay";

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
}

impl Replayed {
    pub fn report(&self) -> Report<'_> {
        Report { title: &self.title, article: &self.article, steps: &self.steps, results: &self.results, secrets: &self.secrets, stopped: None }
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
        format!("{}\n{}", self.report().markdown(), notes_markdown(&self.notes, &self.steps, &self.results, &self.secrets))
    }
}

/// Replays `file` and prints or writes what it found.
pub fn run(sh: &Shell, file: &Path, sets: &[String], checks: &'static [ClaimCheck], report: Option<&Path>, json_out: bool) -> Result<()> {
    if let Some(report) = report {
        crate::walkthrough::check_report_path(report)?;
    }
    let replayed = replay(sh, file, sets, checks)?;
    let summary = replayed.report().summary();
    if let Some(report) = report {
        std::fs::write(report, replayed.markdown()).with_context(|| format!("writing the report {}", report.display()))?;
        eprintln!("report written to {}", report.display());
    }
    if json_out {
        eprintln!("{summary}");
        println!("{}", replayed.json());
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// Replays `file` in a sandbox engine, each step as written, and makes `checks` at their steps.
pub fn replay(sh: &Shell, file: &Path, sets: &[String], checks: &'static [ClaimCheck]) -> Result<Replayed> {
    let path = resolve(file)?;
    let article = std::fs::read_to_string(&path).with_context(|| format!("reading the article {}", path.display()))?;
    let slug = reader::front_matter(&article, "slug").unwrap_or_else(|| path.file_stem().unwrap_or_default().to_string_lossy().into_owned());
    let title = reader::front_matter(&article, "title").unwrap_or_else(|| slug.clone());
    let sets = parse_sets(sets)?;
    let mut values = Values::for_article(&slug);
    for name in values.named_as(elsewhere::HUB_USER) {
        values.set(&name, &elsewhere::hub_user())?;
    }
    let values = values.with(&sets)?;
    let read = super::references::expand(&article, &slug, reader::read(&article));
    let mut steps = placeholders::fill(&read, &values);
    let wildcards = placeholders::all(&read, &values);
    let first = prerequisite(&article, &steps, &path).map(|(k, file)| Prerequisite::read(k, file)).transpose()?;
    let mut secrets = values.secrets();
    let written = written_passwords(&steps).into_iter().chain(first.iter().flat_map(|p| written_passwords(&p.steps)));
    for written in written.collect::<Vec<_>>() {
        if !secrets.contains(&written) {
            secrets.push(written);
        }
    }
    let at: Vec<Option<usize>> = checks.iter().map(|c| claims::step_of(c.after, &steps)).collect();

    let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
    let elsewhere = elsewhere::prepare(&sandbox, &steps, &mut secrets)?;
    let secrets = Arc::new(secrets);
    let host = sandbox.host().clone();
    eprintln!("# replaying {} in the sandbox {} (its own engine; images the article pulls come from its registry):", path.display(), sandbox.container);
    for s in &stand_ins {
        eprintln!("#   stand-in for {}: {} ({})", s.pulled_as, s.image, s.about);
    }

    let place = SandboxPlace { host: host.clone(), container: sandbox.container.clone(), secrets: secrets.clone() };
    let mut local = super::local_machine::prepare(&sandbox.inner, &place, &slug, &values)?;
    local.extend(elsewhere.notes.iter().cloned());
    for note in &local {
        eprintln!("#   {note}");
    }
    if let Some(first) = &first {
        let ran = first.replay(&sandbox, &place)?;
        let line = steps[first.step].line;
        eprintln!("# line {line}: {ran}");
        if let StepKind::CannotRun { why, .. } = &mut steps[first.step].kind {
            *why = ran;
        }
    }
    let mut executor = Executor::new(place, &sandbox.inner, &steps, standin::uses_data(&article));
    executor.asked = values.asked();
    executor.remote = elsewhere.remote.as_ref();
    executor.hub_login = elsewhere.hub.as_ref().map(|h| (h.user.clone(), h.password.clone()));
    let mut checked: Vec<Checked> = Vec::new();
    let outcome = play(&mut executor, &sandbox, &steps, |executor, k| {
        for (check, _) in checks.iter().zip(&at).filter(|(_, at)| **at == Some(k)) {
            let observed = (check.check)(&Probe { ex: executor, k });
            let said = match &observed {
                Observed::Seen { holds, evidence } => format!("{}: {}", if *holds { "holds" } else { "does not hold" }, redact(evidence, &secrets)),
                Observed::NotCheckable(why) => format!("not checkable: {why}"),
            };
            eprintln!("# claim ({}): {} -- {said}", check.section, check.claim);
            checked.push(Checked { check, step: Some(k), observed });
        }
    });
    outcome.context("the replay stopped before the article's end")?;
    for (check, _) in checks.iter().zip(&at).filter(|(_, at)| at.is_none()) {
        checked.push(Checked { check, step: None, observed: Observed::NotCheckable(String::new()) });
    }

    let mut results: Vec<_> = executor.results.iter().flatten().cloned().collect();
    for r in &mut results {
        if let (Some(out), Some(real)) = (expected_output(&steps, r.step), &executor.compared[r.step]) {
            r.verdict = Some(compare(out.text(), real, &wildcards));
        }
        for c in checked.iter().filter(|c| c.step == Some(r.step)) {
            if let Observed::Seen { holds, evidence } = &c.observed {
                r.claims.push(super::Claim { text: c.check.claim.to_string(), holds: *holds, evidence: evidence.clone() });
            }
        }
    }
    let mut notes: Vec<String> = stand_ins.iter().map(|s| format!("stand-in for {}: {} ({})", s.pulled_as, s.image, s.about)).collect();
    notes.extend(local);
    notes.extend(executor.notes.iter().cloned());
    let transcript = executor.transcript.clone();
    drop(executor);
    Ok(Replayed { path, title, article, steps, results, transcript, notes, claims: checked, sandbox: sandbox.container.clone(), secrets })
}

/// Takes `steps` in order, calling `after` once each has run, until one fails or the sandbox dies;
/// then stops what still runs.
fn play(executor: &mut Executor, sandbox: &Sandbox, steps: &[Step], mut after: impl FnMut(&Executor, usize)) -> Result<()> {
    let mut outcome = Ok(());
    for k in 0..steps.len() {
        outcome = executor.step(k);
        if outcome.is_ok() && !sandbox.is_running() {
            // What the steps printed since is the dead sandbox's, not the article's.
            outcome = Err(anyhow::anyhow!(
                "the sandbox {} stopped during line {} (killed, or out of memory): the replay cannot go on; run it again",
                sandbox.container, steps[k].line
            ));
        }
        if outcome.is_err() {
            break;
        }
        after(executor, k);
    }
    executor.finish();
    outcome
}

/// Passwords an article writes out in its files and commands (`MYSQL_ROOT_PASSWORD: my-secret-pw`):
/// published in its text, yet what a container is given as its password is redacted all the same.
fn written_passwords(steps: &[Step]) -> Vec<String> {
    static ASSIGNED: OnceLock<Regex> = OnceLock::new();
    let assigned = re(&ASSIGNED, r#"[A-Z_]*PASSWORD[A-Z_]*\s*[:=]\s*["']?([^\s"',}]+)"#);
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

/// The guide an article sends its reader to first, to set up what it builds on ("Follow the
/// instructions in our previous guide [...](/docs/guides/SLUG/) to set up the required examples"),
/// when that guide is beside the article: the step, and the guide's file.
fn prerequisite(article: &str, steps: &[Step], path: &Path) -> Option<(usize, PathBuf)> {
    static GUIDE: OnceLock<Regex> = OnceLock::new();
    let dir = path.parent()?;
    let lines: Vec<&str> = article.lines().collect();
    steps.iter().enumerate().filter(|(_, s)| matches!(s.kind, StepKind::CannotRun { .. })).find_map(|(k, step)| {
        let text = super::references::paragraph(&lines, step.line);
        if !text.to_lowercase().contains("follow the instructions") {
            return None;
        }
        re(&GUIDE, r"\]\(/docs/guides/([a-z0-9-]+)/?\)").captures_iter(&text).map(|c| dir.join(format!("{}.md", &c[1]))).find(|f| f.is_file()).map(|f| (k, f))
    })
}

/// A guide replayed before the article, in the same sandbox, as its reader followed it.
struct Prerequisite {
    step: usize,
    slug: String,
    article: String,
    steps: Vec<Step>,
    values: Values,
}

impl Prerequisite {
    fn read(step: usize, file: PathBuf) -> Result<Prerequisite> {
        let article = std::fs::read_to_string(&file).with_context(|| format!("reading the guide {}", file.display()))?;
        let slug = reader::front_matter(&article, "slug").unwrap_or_else(|| file.file_stem().unwrap_or_default().to_string_lossy().into_owned());
        let values = Values::for_article(&slug);
        let steps = placeholders::fill(&super::references::expand(&article, &slug, reader::read(&article)), &values);
        Ok(Prerequisite { step, slug, article, steps, values })
    }

    /// Replays it; what the article's step then says of it.
    fn replay(&self, sandbox: &Sandbox, place: &SandboxPlace) -> Result<String> {
        eprintln!("# first, the guide the article builds on: {}", self.slug);
        let local = super::local_machine::prepare(&sandbox.inner, place, &self.slug, &self.values)?;
        for note in &local {
            eprintln!("#   {note}");
        }
        let mut executor = Executor::new(place.clone(), &sandbox.inner, &self.steps, standin::uses_data(&self.article));
        executor.asked = self.values.asked();
        play(&mut executor, sandbox, &self.steps, |_, _| {}).with_context(|| format!("replaying {}, the guide the article builds on", self.slug))?;
        let commands: Vec<_> = executor.results.iter().flatten().filter(|r| matches!(self.steps[r.step].kind, StepKind::Command { .. })).collect();
        let failed: Vec<String> = commands.iter().filter(|r| r.exit != Some(0)).map(|r| self.steps[r.step].line.to_string()).collect();
        Ok(format!(
            "the guide it sends the reader to first, {}, was replayed before this article's first step, as written, in this sandbox: {} commands ran, {} exited non-zero{}",
            self.slug,
            commands.len(),
            failed.len(),
            if failed.is_empty() { String::new() } else { format!(" (its lines {})", failed.join(", ")) }
        ))
    }
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
    // The regex only where a token can be: a report's megabytes are mostly without one.
    let text = if text.contains("token=") { re(&TOKEN, r"token=[0-9a-f]{32,}").replace_all(text, "token=<redacted>") } else { text.into() };
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
    fn passwords_written_in_an_article_are_redacted_too() {
        let steps = reader::read("```file {title=\"docker-compose.yaml\"}\nservices:\n  db:\n    environment:\n      MYSQL_ROOT_PASSWORD: my-secret-pw\n      MYSQL_PASSWORD: ${PASSWORD:-x}\n```\n\n```command\ndocker run -e MYSQL_ROOT_PASSWORD=hunter22 mysql\n```\n");
        assert_eq!(written_passwords(&steps), ["my-secret-pw", "hunter22"]);
    }

    #[test]
    fn a_guide_to_follow_first_is_found_beside_the_article() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("first-guide.md"), "---\nslug: first-guide\n---\n").unwrap();
        let article = "1.  Follow the instructions in our previous guide, [First Guide](/docs/guides/first-guide/) to set up the examples.\n\n1.  See [Missing](/docs/guides/missing/) and follow the instructions there.\n";
        let steps = reader::read(article);
        let found = prerequisite(article, &steps, &dir.path().join("article.md"));
        assert_eq!(found.map(|(k, f)| (steps[k].line, f)), Some((1, dir.path().join("first-guide.md"))));
        assert_eq!(prerequisite(&article[article.find("\n\n").unwrap() + 2..], &reader::read(&article[article.find("\n\n").unwrap() + 2..]), &dir.path().join("a.md")), None, "a guide that is not beside the article");
    }

    #[test]
    fn secrets_are_redacted() {
        let text = "http://127.0.0.1:8888/lab?token=13f6290e9454f435fee306e8a448d8ceb1a8867c6ee76815 pw hunter22";
        assert_eq!(redact(text, &["hunter22".into()]), "http://127.0.0.1:8888/lab?token=<redacted> pw <redacted>");
    }
}
