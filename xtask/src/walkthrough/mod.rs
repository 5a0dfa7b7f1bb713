//! `cargo xtask walkthrough <article>`: replays an article's steps against a real engine, prints
//! each command as it runs, and checks every claim the article makes. `--literal` runs the
//! article's commands as written; the default runs the corrected recipe.

pub mod catalogue;
mod cells;
mod commands;
mod compose;
mod database;
mod db;
mod deploy;
mod literal;
mod manage_data;
pub mod markdown;
mod mysql;
mod names;
mod report;
pub mod report_file;
mod runner;
mod session;
mod setup;
mod steps;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use xshell::Shell;

use report_file::ReportFile;

pub use session::{Mode, Session};

/// One article: its slug, short name, and sections (each runs on its own names, so they can run in parallel).
pub struct Article {
    pub slug: &'static str,
    pub short: &'static str,
    pub title: &'static str,
    pub sections: &'static [Section],
    /// The claims its literal mode checks at the steps of its Markdown (empty: its literal mode
    /// is still the sections' own).
    pub literal: &'static [markdown::claims::ClaimCheck],
}

impl Article {
    /// Its literal checks, each with its row of the article's catalogue.
    pub fn checks(&self) -> Result<Vec<markdown::claims::Placed>> {
        markdown::claims::place(catalogue::of(self.short), self.literal).map_err(anyhow::Error::msg)
    }
}

pub struct Section {
    pub name: &'static str,
    pub run: fn(&mut Session) -> Result<()>,
}

/// The articles that can be replayed, in the series' order; each one's module holds its sections.
pub const ARTICLES: &[&Article] = &[
    &Article {
        slug: "jupyter-docker-setup-guide",
        short: "setup",
        title: "How to Set Up Jupyter with Docker",
        sections: setup::SECTIONS,
        literal: setup::LITERAL_CLAIMS,
    },
    &Article {
        slug: "manage-jupyter-data-docker",
        short: "manage-data",
        title: "Managing Jupyter Data in Docker Images and Containers",
        sections: manage_data::SECTIONS,
        literal: manage_data::LITERAL_CLAIMS,
    },
    &Article {
        slug: "persist-jupyter-data-mysql-docker",
        short: "mysql",
        title: "Advanced Jupyter Data Persistence with MySQL and Docker",
        sections: mysql::SECTIONS,
        literal: mysql::LITERAL_CLAIMS,
    },
    &Article {
        slug: "multi-container-orchestration-docker-compose",
        short: "compose",
        title: "Simplify Multi-Container Orchestration with Docker Compose",
        sections: compose::SECTIONS,
        literal: compose::LITERAL_CLAIMS,
    },
    &Article {
        slug: "deploy-jupyter-docker-linode",
        short: "deploy",
        title: "Deploy a Docker Multi-Container Application to Linode",
        sections: deploy::SECTIONS,
        literal: deploy::LITERAL_CLAIMS,
    },
];

#[derive(clap::Args, Debug)]
pub struct Walkthrough {
    /// The article's slug or short name (see --list).
    pub article: Option<String>,
    /// List the articles that can be replayed.
    #[arg(long)]
    pub list: bool,
    /// Run the article's commands as written, errors included (default: the corrected recipe).
    #[arg(long)]
    pub literal: bool,
    /// Run only this section (by name, case-insensitive prefix).
    #[arg(long)]
    pub section: Option<String>,
    /// Leave the containers and volumes for inspection (otherwise all that was made is removed).
    #[arg(long)]
    pub keep: bool,
    /// Run the sections in parallel, each on its own names.
    #[arg(long)]
    pub parallel: bool,
    /// Write a Markdown report here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Print one JSON object (article, mode, ok, claims) on stdout; the transcript goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// Replay a Linode-docs Markdown article as written, in a sandbox engine (a path, or a series
    /// slug). Its commands run as an unprivileged user of the sandbox, whose engine is rootless;
    /// the sandbox is bounded to 4096 processes and 8 GiB of memory, a step's output to 1 MiB kept.
    #[arg(long, value_name = "FILE")]
    pub from_markdown: Option<PathBuf>,
    /// With --from-markdown: a placeholder's value (repeatable), e.g. --set CONTAINER_ID=web.
    #[arg(long = "set", value_name = "NAME=VALUE", requires = "from_markdown")]
    pub set: Vec<String>,
    /// With --from-markdown: the most steps an article may have; a longer one is refused before
    /// anything runs (an untrusted article could otherwise keep a replay going for days).
    #[arg(long, value_name = "N", default_value_t = markdown::replay::DEFAULT_MAX_STEPS)]
    pub max_steps: usize,
    /// With --from-markdown or --literal: after the replay, print a unified diff of the Markdown
    /// (`patch -p1` and `git apply` read it) that mends what the replay observed (an output block
    /// that differs, a look-alike dash, a series article's errata), each change with one evidence
    /// line.
    #[arg(long)]
    pub fix: bool,
    /// With --from-markdown FILE --fix: make the change in the file, replay it once more and say
    /// whether each step it changed now holds.
    #[arg(long, requires = "fix")]
    pub write: bool,
}

pub fn find(name: &str) -> Result<&'static Article> {
    ARTICLES
        .iter()
        .copied()
        .find(|a| a.slug == name || a.short == name)
        .ok_or_else(|| {
            let known: Vec<String> = ARTICLES
                .iter()
                .map(|a| format!("{} ({})", a.short, a.slug))
                .collect();
            anyhow::anyhow!(
                "unknown article {name:?}: choose one of {} (`--list` lists them)",
                known.join(", ")
            )
        })
}

impl Walkthrough {
    pub fn run(self, sh: &Shell) -> Result<()> {
        if self.list {
            list_articles();
            return Ok(());
        }
        if let Some(file) = &self.from_markdown {
            return self.replay_markdown(sh, file);
        }
        if self.write {
            bail!("--write changes a file of yours: copy the article as SLUG.md and run `--from-markdown COPY --fix --write` (the series under ../shared stays as written)");
        }
        if self.fix && !self.literal {
            bail!("--fix mends what a replay of the article as written saw: add --literal (or use --from-markdown FILE)");
        }
        let Some(name) = &self.article else {
            bail!("name an article to replay (`--list` lists them), e.g. `cargo xtask walkthrough manage-data`")
        };
        let article = find(name)?;
        let sections = self.chosen_sections(article)?;
        let report_file = self
            .report
            .as_deref()
            .map(|p| ReportFile::prepare(p, None))
            .transpose()?;
        crate::engine::Docker::new(sh).require_engine()?;
        if self.literal && !article.literal.is_empty() {
            return self.literal(sh, article, report_file);
        }
        let mode = if self.literal {
            Mode::Literal
        } else {
            Mode::Corrected
        };
        let outcome = runner::run_article(sh, article, &sections, mode, self.keep, self.parallel)?;
        if let Some(file) = report_file {
            file.write(&report::markdown(&outcome))?;
        }
        if self.json {
            crate::progress::say(report::json(&outcome));
        } else {
            crate::progress::say(report::summary(&outcome));
        }
        verdict(&outcome)
    }

    /// `--from-markdown`: the file replayed in the sandbox; a series article brings its claims along.
    fn replay_markdown(&self, sh: &Shell, file: &Path) -> Result<()> {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let series = ARTICLES.iter().find(|a| a.slug == stem);
        let checks = match series {
            Some(article) => article.checks()?,
            None => Vec::new(),
        };
        let fixes = series.map_or(&[][..], |a| catalogue::of(a.short).fixes.as_slice());
        let options = markdown::replay::Options {
            sets: &self.set,
            report: self.report.as_deref(),
            json: self.json,
            max_steps: self.max_steps,
        };
        if self.fix {
            return markdown::fixing::run(sh, file, (&checks, fixes), &options, self.write);
        }
        markdown::replay::run(sh, file, &checks, &options)
    }

    /// All the article's sections, or those whose name starts with `--section` (any case).
    fn chosen_sections(&self, article: &'static Article) -> Result<Vec<&'static Section>> {
        let Some(want) = &self.section else {
            return Ok(article.sections.iter().collect());
        };
        let names = || -> Vec<&str> { article.sections.iter().map(|s| s.name).collect() };
        if want.trim().is_empty() {
            bail!(
                "--section needs a section's name (or its first letters): choose one of {}",
                names().join(", ")
            );
        }
        let want = want.to_lowercase();
        let chosen: Vec<&Section> = article
            .sections
            .iter()
            .filter(|s| s.name.to_lowercase().starts_with(&want))
            .collect();
        if chosen.is_empty() {
            bail!(
                "no section {want:?} in {}: choose one of {}",
                article.short,
                names().join(", ")
            );
        }
        Ok(chosen)
    }
}

/// `--list`: each article's short name, slug and title, then its sections.
fn list_articles() {
    for a in ARTICLES {
        let sections: Vec<&str> = a.sections.iter().map(|s| s.name).collect();
        crate::progress::say(format!(
            "{:<12} {:<40} {}\n{:<12} sections: {}",
            a.short,
            a.slug,
            a.title,
            "",
            sections.join(", ")
        ));
    }
}

impl Walkthrough {
    /// The literal mode of an article whose claims are keyed to its Markdown: the whole article,
    /// replayed in the sandbox.
    fn literal(
        &self,
        sh: &Shell,
        article: &'static Article,
        report_file: Option<ReportFile>,
    ) -> Result<()> {
        if self.section.is_some() || self.keep || self.parallel {
            bail!("--literal replays the whole article from its Markdown in a sandbox that goes with it: drop --section, --keep and --parallel (they apply to the corrected recipe)");
        }
        let (outcome, replayed) = literal::run(sh, article)?;
        if let Some(file) = report_file {
            file.write(&format!(
                "{}\n{}",
                report::markdown(&outcome),
                replayed.markdown()
            ))?;
        }
        eprintln!("{}", replayed.report().summary());
        // The patch of the article as the replay saw it, its errata mended by the corrected recipe.
        let fix = self.fix.then(|| {
            let plan = markdown::fix::plan_with(&replayed, &catalogue::of(article.short).fixes);
            let diff = plan.diff(&format!("{}.md", article.slug), &replayed.article);
            (plan, diff)
        });
        if self.json {
            let mut json = report::json(&outcome);
            let replay = replayed.json();
            json["replay"] = replay["summary"].clone();
            json["steps"] = replay["steps"].clone();
            json["transcript"] = replay["transcript"].clone();
            json["sandbox"] = replay["sandbox"].clone();
            if let Some((plan, diff)) = &fix {
                json["fix"] = plan.json(diff);
            }
            crate::progress::say(json);
        } else {
            crate::progress::say(report::summary(&outcome));
            if let Some((plan, diff)) = &fix {
                print!("{}", plan.text(diff));
            }
        }
        verdict(&outcome)
    }
}

/// Exit status of a walkthrough: an error when a section failed, exit 3 when a claim came out
/// otherwise than expected.
fn verdict(outcome: &session::Outcome) -> Result<()> {
    let failed: Vec<&str> = outcome
        .sections
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "section(s) {} failed before all their claims were checked: see the transcript above",
            failed.join(", ")
        );
    }
    if !outcome.ok() {
        return Err(crate::exit::ClaimsNotAsExpected {
            count: outcome.unexpected().len(),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every literal claim of every article finds the step it follows in the article as it is
    /// (read from ../shared/series beside the project), and the ` #N` ones their Nth step.
    #[test]
    fn every_literal_claim_finds_its_step() {
        for article in ARTICLES.iter().filter(|a| !a.literal.is_empty()) {
            let path = crate::paths::root()
                .join("../shared/series")
                .join(format!("{}.md", article.slug));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // As the replay has them: references expanded, placeholders filled.
            let steps = markdown::references::expand(&text, article.slug, markdown::read(&text));
            let steps =
                markdown::placeholders::fill(&steps, &markdown::Values::for_article(article.slug));
            for check in article.checks().unwrap() {
                assert!(
                    markdown::claims::step_of(check.after, &steps).is_some(),
                    "{}: {:?} follows `{}`, which the article does not have",
                    article.short,
                    check.row.claim,
                    check.after
                );
            }
        }
    }
}
