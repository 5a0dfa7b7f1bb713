//! Runs an article's sections, one after another (sharing the tutorial's names, as the article
//! does) or in parallel (each on its own names, its transcript printed whole at its end).

use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use xshell::Shell;

use super::names::{pick_names, Names};
use super::session::{verdict_line, Mode, Outcome, SectionOutcome, Session};
use super::{Article, Section};
use crate::engine::Docker;

pub fn run_article(
    sh: &Shell,
    article: &Article,
    sections: &[&Section],
    mode: Mode,
    keep: bool,
    parallel: bool,
) -> Result<Outcome> {
    let started = Instant::now();
    eprintln!("# {} ({} mode)", article.title, mode.name());
    let docker = Docker::new(sh);
    let outcomes: Vec<SectionOutcome> = if parallel && sections.len() > 1 {
        std::thread::scope(|scope| {
            let handles: Vec<_> = sections
                .iter()
                .map(|section| {
                    let sh = sh.clone();
                    let names = pick_names(&docker, Some(section.name));
                    scope.spawn(move || run_section(&sh, article, section, names, mode, keep, true))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("section thread panicked"))
                .collect::<Result<Vec<_>>>()
        })?
    } else {
        // One after another, the sections share the tutorial's names, as the article does.
        let names = pick_names(&docker, None);
        sections
            .iter()
            .map(|s| run_section(sh, article, s, names.clone(), mode, keep, false))
            .collect::<Result<Vec<_>>>()?
    };
    Ok(Outcome {
        slug: article.slug,
        title: article.title,
        mode,
        sections: outcomes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn run_section(
    sh: &Shell,
    article: &Article,
    section: &Section,
    names: Names,
    mode: Mode,
    keep: bool,
    parallel: bool,
) -> Result<SectionOutcome> {
    let started = Instant::now();
    // In parallel the transcript is printed whole at the end, so sections do not interleave.
    let out: Box<dyn Write + Send> = if parallel {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr())
    };
    let mut session = Session::new(
        sh,
        article.short,
        section.name,
        names.clone(),
        mode,
        keep,
        parallel,
        out,
    )?;
    session.say(&format!("\n## {}", section.name));
    if names.container != "custom-jupyter-container" || names.volume != "named-data-volume" {
        session.note(&format!(
            "using the names {} and {} (the tutorial's are taken or sections run in parallel)",
            names.container, names.volume
        ));
    }
    let result = (section.run)(&mut session);
    let error = result.err().map(|e| session.redact(&format!("{e:#}")));
    if let Some(e) = &error {
        session.say(&format!("!! section failed: {e}"));
    }
    let outcome = session.finish(error, started);
    if parallel {
        let mut text = format!("\n## {}\n", outcome.name);
        for e in &outcome.entries {
            text.push_str(&format!("$ {}\n{}", e.command, e.output));
        }
        for c in &outcome.claims {
            text.push_str(&format!("{}\n", verdict_line(c)));
        }
        eprint!("{text}");
    }
    Ok(outcome)
}
