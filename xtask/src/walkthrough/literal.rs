//! The literal mode of a series article: the article replayed from its own Markdown in the
//! sandbox engine (every command as written, see `markdown::replay`), with the article's claims
//! checked at the steps they follow. Nothing here restates a command of the article: each claim
//! names its step, and an edit to the article changes what runs.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use xshell::Shell;

use super::catalogue::{self, seen, Catalogue, Observed};
use super::markdown::replay::{self, Replayed};
use super::markdown::text::redact;
use super::names::Names;
use super::session::{Claim, Entry, Mode, Outcome, SectionOutcome};
use super::Article;

/// Replays `article` and gives the walkthrough's outcome (claims by section, the commands that
/// ran in each), with the replay itself for its transcript and report.
pub fn run(sh: &Shell, article: &'static Article) -> Result<(Outcome, Replayed)> {
    let started = Instant::now();
    let checks = article.checks()?;
    let replayed = replay::replay(
        sh,
        Path::new(article.slug),
        &[],
        &checks,
        replay::DEFAULT_MAX_STEPS,
    )?;
    if let Some(why) = &replayed.stopped {
        anyhow::bail!("the replay stopped before the article's end: {why}");
    }
    let mut outcome = outcome(article, catalogue::of(article.short), &replayed);
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok((outcome, replayed))
}

/// The walkthrough's outcome of a replay: its claims by section, each section with the commands
/// that ran up to its last claim; a claim whose step the article lacks fails its section.
fn outcome(article: &'static Article, catalogue: &Catalogue, replayed: &Replayed) -> Outcome {
    let mut outcome = Outcome {
        slug: article.slug,
        title: article.title,
        mode: Mode::Literal,
        sections: Vec::new(),
        seconds: 0.0,
    };
    // Where each section's last claim sits: the commands up to it are the section's.
    let mut last_line: Vec<usize> = Vec::new();
    for checked in &replayed.claims {
        let check = checked.check;
        let at = match outcome
            .sections
            .iter()
            .position(|s| s.name == check.section)
        {
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
                check.row.claim, check.after
            ));
            continue;
        };
        last_line[at] = last_line[at].max(replayed.steps[k].line);
        let observed = match &checked.observed {
            Observed::Seen { holds, evidence } => seen(*holds, redact(evidence, &replayed.secrets)),
            Observed::NotCheckable(why) => Observed::NotCheckable(why.clone()),
        };
        section.claims.push(Claim::judge(
            catalogue,
            Mode::Literal,
            check.section,
            check.row.id,
            observed,
        ));
    }
    for entry in &replayed.transcript {
        let (Some(command), line) = (entry.shown(), entry.line) else {
            continue;
        };
        let at = (0..last_line.len())
            .filter(|&s| last_line[s] >= line)
            .min_by_key(|&s| last_line[s])
            .or(last_line.len().checked_sub(1));
        if let Some(at) = at {
            outcome.sections[at].entries.push(Entry {
                command: redact(command, &replayed.secrets),
                output: redact(&entry.output, &replayed.secrets),
                exit: entry.exit.unwrap_or(-1),
            });
        }
    }
    outcome
}

fn section(name: &str) -> SectionOutcome {
    let none = Names {
        container: String::new(),
        volume: String::new(),
        network: String::new(),
        db: String::new(),
        suffix: String::new(),
    };
    SectionOutcome {
        name: name.to_string(),
        entries: Vec::new(),
        notes: Vec::new(),
        claims: Vec::new(),
        error: None,
        seconds: 0.0,
        names: none,
        picked: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::catalogue::parse;
    use crate::walkthrough::markdown::claims::{check, place, step_of, ClaimCheck};
    use crate::walkthrough::markdown::replay::Checked;
    use crate::walkthrough::markdown::{read, transcript, StepResult};

    const ARTICLE: &str = "```command\ndocker pull img\n```\n\n```command\ndocker run img\n```\n\n```command\ndocker ps\n```\n";
    const CLAIMS: &str = "| pulls | One | it pulls | holds | holds | x |\n\
        | runs | Two | it runs | erratum | holds | x |\n\
        | real | | only the real image | not checkable | holds | x |\n\
        | goes | Three | it goes | holds | holds | x |\n";
    const CHECKS: &[ClaimCheck] = &[
        check("pulls", "docker pull img", |_| seen(true, "pulled")),
        check("runs", "docker run img", |_| seen(false, "exit 1")),
        check("real", "docker run img", |_| {
            Observed::NotCheckable("a stand-in".into())
        }),
        check("goes", "docker rm img", |_| seen(true, "gone")),
    ];

    /// Each (line, command) as the transcript has it once it ended: exit 0, a secret in its output.
    fn ran(commands: &[(usize, &str)]) -> Vec<transcript::Entry> {
        let entry = |&(line, c): &(usize, &str)| transcript::Entry {
            exit: Some(0),
            output: "pw s3cret".into(),
            ..transcript::Entry::command(line, "host", c, c)
        };
        commands.iter().map(entry).collect()
    }

    #[test]
    fn claims_go_to_their_sections_with_the_commands_before_them() {
        let steps = read(ARTICLE);
        // What each check saw (its `check` needs a running sandbox; here its verdict is given).
        let seen_by = [
            seen(true, "pulled"),
            seen(false, "exit 1"),
            Observed::NotCheckable("a stand-in".into()),
            seen(true, "gone"),
        ];
        let catalogue: &'static Catalogue = Box::leak(Box::new(parse("t", CLAIMS).unwrap()));
        let placed = place(catalogue, CHECKS).unwrap();
        let claims = placed
            .into_iter()
            .zip(seen_by)
            .map(|(check, observed)| Checked {
                check,
                step: step_of(check.after, &steps),
                observed,
            });
        let replayed = Replayed {
            path: "a.md".into(),
            title: "A".into(),
            article: ARTICLE.into(),
            steps: steps.clone(),
            results: vec![StepResult::default()],
            transcript: ran(&[
                (2, "docker pull img"),
                (6, "docker run img"),
                (10, "docker ps"),
            ]),
            notes: vec![],
            wildcards: vec![],
            claims: claims.collect(),
            sandbox: "s".into(),
            secrets: std::sync::Arc::new(vec!["s3cret".into()]),
            stopped: None,
        };
        let o = outcome(crate::walkthrough::ARTICLES[0], catalogue, &replayed);
        let names: Vec<&str> = o.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["One", "Two", "Three"]);
        let commands = |s: usize| {
            o.sections[s]
                .entries
                .iter()
                .map(|e| e.command.as_str())
                .collect::<Vec<_>>()
        };
        // Commands after the last claim go to the last section.
        assert_eq!(
            (commands(0), commands(1), commands(2)),
            (
                vec!["docker pull img"],
                vec!["docker run img"],
                vec!["docker ps"]
            )
        );
        assert!(o.sections[1]
            .entries
            .iter()
            .all(|e| e.output == "pw <redacted>"));
        let two = &o.sections[1].claims;
        assert_eq!(
            (two[0].holds, two[0].expected, two[0].checkable),
            (false, false, true)
        );
        assert_eq!(
            (two[1].checkable, two[1].evidence.as_str()),
            (false, "not checkable here: a stand-in")
        );
        // A claim whose step the article no longer has fails its section: it never passes in silence.
        assert!(o.sections[2]
            .error
            .as_deref()
            .unwrap()
            .contains("`docker rm img`, a step the article no longer has"));
        assert!(!o.ok());
    }
}
