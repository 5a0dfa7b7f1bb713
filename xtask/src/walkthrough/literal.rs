//! The literal mode of a series article: the article replayed from its own Markdown in the
//! sandbox engine (every command as written, see `markdown::replay`), with the article's claims
//! checked at the steps they follow. Nothing here restates a command of the article: each claim
//! names its step, and an edit to the article changes what runs.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use xshell::Shell;

use super::markdown::claims::{ClaimCheck, Observed};
use super::markdown::replay::{self, redact, Replayed};
use super::names::Names;
use super::session::{Claim, Entry, Mode, Outcome, SectionOutcome};
use super::Article;

/// Replays `article` and gives the walkthrough's outcome (claims by section, the commands that
/// ran in each), with the replay itself for its transcript and report.
pub fn run(sh: &Shell, article: &'static Article, checks: &'static [ClaimCheck]) -> Result<(Outcome, Replayed)> {
    let started = Instant::now();
    let replayed = replay::replay(sh, Path::new(article.slug), &[], checks)?;
    let mut outcome = Outcome { slug: article.slug, title: article.title, mode: Mode::Literal, sections: Vec::new(), seconds: 0.0 };
    // Where each section's last claim sits: the commands up to it are the section's.
    let mut last_line: Vec<usize> = Vec::new();
    for checked in &replayed.claims {
        let check = checked.check;
        let at = match outcome.sections.iter().position(|s| s.name == check.section) {
            Some(at) => at,
            None => {
                outcome.sections.push(section(check.section));
                last_line.push(0);
                outcome.sections.len() - 1
            }
        };
        let section = &mut outcome.sections[at];
        let Some(k) = checked.step else {
            section.error = Some(format!(
                "the claim {:?} follows `{}`, a step the article no longer has: key it to one it has",
                check.claim, check.after
            ));
            continue;
        };
        last_line[at] = last_line[at].max(replayed.steps[k].line);
        let (holds, expected, evidence, checkable) = match &checked.observed {
            Observed::Seen { holds, evidence } => (*holds, check.expected, redact(evidence, &replayed.secrets), true),
            Observed::NotCheckable(why) => (false, false, format!("not checkable here: {why}"), false),
        };
        section.claims.push(Claim { section: check.section.to_string(), claim: check.claim.to_string(), holds, expected, evidence, checkable });
    }
    for entry in &replayed.transcript {
        let (Some(command), Some(line)) = (entry["command"].as_str().or(entry["cell"].as_str()), entry["line"].as_u64()) else { continue };
        let line = line as usize;
        let at = (0..last_line.len()).filter(|&s| last_line[s] >= line).min_by_key(|&s| last_line[s]).or(last_line.len().checked_sub(1));
        if let Some(at) = at {
            outcome.sections[at].entries.push(Entry {
                command: redact(command, &replayed.secrets),
                output: redact(entry["output"].as_str().unwrap_or(""), &replayed.secrets),
                exit: entry["exit"].as_i64().map(|c| c as i32).unwrap_or(-1),
            });
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok((outcome, replayed))
}

fn section(name: &str) -> SectionOutcome {
    let none = Names { container: String::new(), volume: String::new(), network: String::new(), db: String::new(), suffix: String::new() };
    SectionOutcome { name: name.to_string(), entries: Vec::new(), notes: Vec::new(), claims: Vec::new(), error: None, seconds: 0.0, names: none, picked: Vec::new() }
}
