//! `walkthrough --from-markdown FILE --fix [--write]`: the replay, then the patch that mends what
//! it observed (see `fix`; a series article's copy brings its claims and its corrected recipe's
//! `fixes.md`) on stdout, the transcript and the summary on stderr; with `--write`, the
//! patch made to the file, the file replayed once more and each changed step checked.
//!
//! Exit status as the replay's: 0 when the replays reached the article's end (a change that does
//! not hold is said, a finding), 1 on operational errors. A replay that stopped part-way is not
//! fixed from.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::json;
use xshell::Shell;

use super::claims::Placed;
use super::fix::{self, Plan, Recheck};
use super::replay::{self, Options, Replayed};
use crate::walkthrough::catalogue::Fix;
use crate::walkthrough::report_file::ReportFile;

/// Replays `file`, prints its fix, and with `write` makes it and checks it in a second replay.
pub fn run(
    sh: &Shell,
    file: &Path,
    (checks, fixes): (&[Placed], &[Fix]),
    options: &Options,
    write: bool,
) -> Result<()> {
    let path = replay::resolve(file)?;
    let report = options
        .report
        .map(|r| ReportFile::prepare(r, Some(&path)))
        .transpose()?;
    let replayed = replay_whole(sh, &path, checks, options)?;
    if let Some(report) = report {
        report.write(&replayed.markdown())?;
    }
    let plan = fix::plan_with(&replayed, fixes);
    let diff = plan.diff(&shown(file, &path), &replayed.article);
    let mut json = options.json.then(|| {
        let mut v = replayed.json();
        v["fix"] = plan.json(&diff);
        v
    });
    if !options.json {
        print!("{}", plan.text(&diff));
    }
    if write && !diff.is_empty() {
        let rechecks = write_and_recheck(sh, &replayed, &plan, checks, options)?;
        let verdict = verdict(&rechecks);
        match &mut json {
            Some(v) => {
                v["fix"]["written"] = json!(true);
                v["fix"]["rechecked"] = json!(rechecks
                    .iter()
                    .map(|r| json!({"line": r.line, "holds": r.holds, "said": r.said}))
                    .collect::<Vec<_>>());
                v["fix"]["verdict"] = json!(verdict);
            }
            None => {
                println!();
                rechecks.iter().for_each(|r| println!("{}", r.said));
                println!("{verdict}");
            }
        }
    }
    if let Some(v) = json {
        println!("{v}");
    }
    Ok(())
}

/// Whether the fix held: every step it changed, or which did not.
fn verdict(rechecks: &[Recheck]) -> String {
    let failing: Vec<String> = rechecks
        .iter()
        .filter(|r| !r.holds)
        .map(|r| r.line.to_string())
        .collect();
    if failing.is_empty() {
        return format!(
            "the fix holds: each of the {} changed steps now runs as the article says",
            rechecks.len()
        );
    }
    format!(
        "the fix does not hold everywhere: {} of {} changed steps still fail or differ (line {})",
        failing.len(),
        rechecks.len(),
        failing.join(", ")
    )
}

/// A replay of `path` that reached the article's end, its summary on stderr.
fn replay_whole(sh: &Shell, path: &Path, checks: &[Placed], options: &Options) -> Result<Replayed> {
    let replayed = replay::replay(sh, path, options.sets, checks, options.max_steps)?;
    eprintln!("{}", replayed.report().summary());
    if let Some(why) = &replayed.stopped {
        bail!("the replay stopped before the article's end: {why}; a fix is made from a whole replay only");
    }
    Ok(replayed)
}

/// Writes the fixed article over the file, replays it, and checks each step the fix changed.
fn write_and_recheck(
    sh: &Shell,
    replayed: &Replayed,
    plan: &Plan,
    checks: &[Placed],
    options: &Options,
) -> Result<Vec<Recheck>> {
    let path = &replayed.path;
    std::fs::write(path, plan.apply(&replayed.article))
        .with_context(|| format!("writing the fix to {}", path.display()))?;
    eprintln!(
        "# wrote the fix to {}; replaying it once more",
        path.display()
    );
    let again = replay_whole(sh, path, checks, options)?;
    Ok(plan.recheck(&again))
}

/// The article's name in the diff's headers: the path as given when it is relative and plain,
/// else the file's path under the current folder, else its name (never an absolute path, which
/// `patch -p1` would misread).
fn shown(given: &Path, resolved: &Path) -> String {
    let plain = |p: &Path| {
        p.is_relative()
            && p.components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    };
    let under_here = || {
        let here = std::env::current_dir().ok()?.canonicalize().ok()?;
        let at = resolved.canonicalize().ok()?;
        at.strip_prefix(here).ok().map(Path::to_path_buf)
    };
    let name = || PathBuf::from(resolved.file_name().unwrap_or_default());
    let path = if plain(given) && given.is_file() {
        given
            .components()
            .filter(|c| *c != Component::CurDir)
            .collect()
    } else {
        under_here().unwrap_or_else(name)
    };
    path.display().to_string()
}
