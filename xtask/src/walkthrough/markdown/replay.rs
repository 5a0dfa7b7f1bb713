//! `cargo xtask walkthrough --from-markdown FILE`: an article replayed from its own Markdown, in a
//! sandbox engine, each step exactly as written (placeholders filled), with a transcript on stderr,
//! a one-screen summary, and on request the maintainer's Markdown report and JSON.
//!
//! Exit status: 0 when the replay reached the article's end, whatever the steps did: a step that
//! fails, an output that differs or a step that cannot run is a finding, counted in the summary
//! and reports, not an error of the replay. 1 on operational errors (no article, bad `--set`, the
//! sandbox cannot start or fails mid-way). A sandbox that dies mid-way loses nothing: the summary,
//! `--report` and `--json` still hold what ran, and each later step as not run with the sandbox's
//! end as the host engine tells it (see `play`); then the error.

mod article;
mod replayed;

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};
use xshell::Shell;

use super::claims::{self, Observed, Placed, Probe};
use super::elsewhere::Elsewhere;
use super::executor::Executor;
use super::job::Place as SandboxPlace;
use super::play::play;
use super::prerequisite::Prerequisite;
use super::steps::{expected_output, Step, StepKind};
use super::text::redact;
use super::{compare, elsewhere, standin, StepResult, Values};
use crate::images::sandbox::StandIn;
use crate::sandbox::Sandbox;
use crate::walkthrough::report_file::ReportFile;
pub(super) use article::resolve;
use article::Article;
pub use replayed::Replayed;

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
    pub check: Placed,
    pub step: Option<usize>,
    pub observed: Observed,
}

/// Replays `file` and prints or writes what it found: all of it, up to where it stopped when the
/// sandbox died (then the error says so).
pub fn run(sh: &Shell, file: &Path, checks: &[Placed], options: &Options) -> Result<()> {
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
    checks: &[Placed],
    max_steps: usize,
) -> Result<Replayed> {
    let Article {
        path,
        text: article,
        slug,
        title,
        values,
        mut steps,
        wildcards,
        first,
        mut secrets,
    } = Article::read(file, sets, max_steps)?;
    let at: Vec<Option<usize>> = checks
        .iter()
        .map(|c| claims::step_of(c.after, &steps))
        .collect();

    let step = crate::progress::Step::start("Starting the sandbox engine");
    let (sandbox, stand_ins) = Sandbox::for_articles(sh)?;
    step.done(&sandbox.container);
    let elsewhere = elsewhere::prepare(&sandbox, &steps, &mut secrets)?;
    let secrets = Arc::new(secrets);
    announce(&path, &sandbox, &stand_ins);
    let place = SandboxPlace {
        host: sandbox.host().clone(),
        container: sandbox.container.clone(),
        secrets: secrets.clone(),
    };
    let local = local_notes(&sandbox, &place, &slug, &values, &elsewhere)?;
    let mut stopped = first
        .as_ref()
        .and_then(|first| replay_first_guide(first, &sandbox, &place, &mut steps));
    let mut executor = executor_for(place, &sandbox, &steps, &article, &values, &elsewhere);
    // A first guide that failed leaves nothing of this article to play: each step is not run.
    let steps_to_play = match &stopped {
        Some(why) => {
            let why = format!("the replay stopped before the article's first step: {why}");
            for k in (0..steps.len()).filter(|k| steps[*k].runs()) {
                executor.not_reached(k, &why);
            }
            &steps[..0]
        }
        None => &steps[..],
    };
    let (checked, outcome) = play_with_claims(
        &mut executor,
        &sandbox,
        steps_to_play,
        checks,
        &at,
        &secrets,
    );
    stopped = stopped.or(outcome.err().map(|e| format!("{e:#}")));

    let results = results_with_verdicts(&executor, &steps, &checked, &wildcards);
    let notes = replay_notes(&stand_ins, local, &executor.notes);
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
        wildcards,
        sandbox: sandbox.container.clone(),
        secrets,
        stopped,
    })
}

/// Tells the person where the article replays, and which stand-ins answer its pulls.
fn announce(path: &Path, sandbox: &Sandbox, stand_ins: &[StandIn]) {
    eprintln!("# replaying {} in the sandbox {} (its own engine; images the article pulls come from its registry):", path.display(), sandbox.container);
    for s in stand_ins {
        eprintln!(
            "#   stand-in for {}: {} ({})",
            s.pulled_as,
            s.image,
            s.described()
        );
    }
}

/// The notes on what stands in for the reader's machine and the hosts elsewhere, each said as it
/// is made.
fn local_notes(
    sandbox: &Sandbox,
    place: &SandboxPlace,
    slug: &str,
    values: &Values,
    elsewhere: &Elsewhere,
) -> Result<Vec<String>> {
    let mut local = super::local_machine::prepare(&sandbox.inner, place, slug, values)?;
    local.extend(elsewhere.notes.iter().cloned());
    for note in &local {
        eprintln!("#   {note}");
    }
    Ok(local)
}

/// Replays the guide the article sends its reader to first, its outcome standing as that step's
/// note; why the replay stopped, when it failed.
fn replay_first_guide(
    first: &Prerequisite,
    sandbox: &Sandbox,
    place: &SandboxPlace,
    steps: &mut [Step],
) -> Option<String> {
    match first.replay(sandbox, place) {
        Ok(ran) => {
            eprintln!("# line {}: {ran}", steps[first.step].line);
            if let StepKind::CannotRun { why, .. } = &mut steps[first.step].kind {
                *why = ran;
            }
            None
        }
        Err(e) => Some(format!("{e:#}")),
    }
}

/// The executor of the article's steps, knowing what it asks, its remote host and its Hub login.
fn executor_for<'a>(
    place: SandboxPlace,
    sandbox: &'a Sandbox,
    steps: &'a [Step],
    article: &str,
    values: &Values,
    elsewhere: &'a Elsewhere,
) -> Executor<'a> {
    let mut executor = Executor::new(place, &sandbox.inner, steps, standin::uses_data(article));
    executor.asked = values.asked();
    executor.remote = elsewhere.remote.as_ref();
    executor.hub_login = elsewhere
        .hub
        .as_ref()
        .map(|h| (h.user.clone(), h.password.clone()));
    executor
}

/// Plays `steps`, making each claim check right after its step (and saying its verdict); the
/// checks with no such step come last, not checkable.
fn play_with_claims(
    executor: &mut Executor,
    sandbox: &Sandbox,
    steps: &[Step],
    checks: &[Placed],
    at: &[Option<usize>],
    secrets: &[String],
) -> (Vec<Checked>, Result<()>) {
    let mut checked: Vec<Checked> = Vec::new();
    let outcome = play(executor, sandbox, steps, |executor, k| {
        for (check, _) in checks.iter().zip(at).filter(|(_, at)| **at == Some(k)) {
            let observed = (check.check)(&Probe { ex: executor, k });
            let said = match &observed {
                Observed::Seen { holds, evidence } => format!(
                    "{}: {}",
                    if *holds { "holds" } else { "does not hold" },
                    redact(evidence, secrets)
                ),
                Observed::NotCheckable(why) => format!("not checkable: {why}"),
            };
            eprintln!("# claim ({}): {} -- {said}", check.section, check.row.claim);
            checked.push(Checked {
                check: *check,
                step: Some(k),
                observed,
            });
        }
    });
    for (check, _) in checks.iter().zip(at).filter(|(_, at)| at.is_none()) {
        checked.push(Checked {
            check: *check,
            step: None,
            observed: Observed::NotCheckable(String::new()),
        });
    }
    (checked, outcome)
}

/// Each step's result with its output compared to the article's and its claims' verdicts.
fn results_with_verdicts(
    executor: &Executor,
    steps: &[Step],
    checked: &[Checked],
    wildcards: &[String],
) -> Vec<StepResult> {
    let mut results: Vec<_> = executor.results.iter().flatten().cloned().collect();
    for r in &mut results {
        if let (Some(out), Some(real)) =
            (expected_output(steps, r.step), &executor.compared[r.step])
        {
            r.verdict = Some(compare(out.text(), real, wildcards));
        }
        for c in checked.iter().filter(|c| c.step == Some(r.step)) {
            if let Observed::Seen { holds, evidence } = &c.observed {
                r.claims.push(super::Claim {
                    text: c.check.row.claim.to_string(),
                    holds: *holds,
                    evidence: evidence.clone(),
                });
            }
        }
    }
    results
}

/// The replay's notes: its stand-ins, what stood in for the reader's machine, then the executor's.
fn replay_notes(stand_ins: &[StandIn], local: Vec<String>, executed: &[String]) -> Vec<String> {
    let mut notes: Vec<String> = stand_ins
        .iter()
        .map(|s| {
            format!(
                "stand-in for {}: {} ({})",
                s.pulled_as,
                s.image,
                s.described()
            )
        })
        .collect();
    notes.extend(local);
    notes.extend(executed.iter().cloned());
    notes
}
