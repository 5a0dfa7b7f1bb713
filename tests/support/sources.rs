//! Where each verdict of a claim catalogue comes from: the `source` column of an article's
//! `claims.md` (beside its code under xtask/src/walkthrough/). A source is one or more citations,
//! `; ` between them:
//! - `L<n> `fragment``: line n of the catalogue's article (shared/series) holds the fragment (a
//!   command, flag, path or name as the article writes it, at most 60 characters: never its prose);
//! - `STEPS <n>`: inconsistency n of the article's section of shared/series/STEPS.md;
//! - `STEPS-manage-data <n>`: step n of shared/series/STEPS-manage-data.md (article 2).
//!
//! A citation that does not check (no such line, a fragment not on it, no such item, a row with no
//! source) fails the test that reads the file, with one line naming the row.

use std::path::PathBuf;

use xtask::walkthrough::catalogue::Catalogue;

/// A fragment longer than this is prose, not a command or a name.
pub const MAX_FRAGMENT: usize = 60;

/// What a catalogue's citations are checked against: its article's lines and the numbers of the
/// items its STEPS file lists for it.
pub struct Sources {
    /// The article's file name, for messages.
    pub article: String,
    pub lines: Vec<String>,
    /// `STEPS` or `STEPS-manage-data`: the only STEPS word this file's rows may cite.
    pub steps_word: &'static str,
    pub steps_items: Vec<u32>,
}

/// The articles: (short name, article number, the article's file stem).
const ARTICLES: [(&str, u32, &str); 5] = [
    ("setup", 1, "jupyter-docker-setup-guide"),
    ("manage-data", 2, "manage-jupyter-data-docker"),
    ("mysql", 3, "persist-jupyter-data-mysql-docker"),
    ("compose", 4, "multi-container-orchestration-docker-compose"),
    ("deploy", 5, "deploy-jupyter-docker-linode"),
];

fn series(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the series is read from ../shared beside the project)",
            path.display()
        )
    })
}

/// The items numbered `<n>. ` at the start of a line, in `text`'s lines from the first that starts
/// with `from` to the next that starts with `until` (after it).
fn numbered(text: &str, from: &str, until: &str) -> Vec<u32> {
    let item = regex::Regex::new(r"^(\d+)\.\s").unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with(from))
        .skip(1)
        .take_while(|l| !l.starts_with(until))
        .filter_map(|l| item.captures(l).map(|c| c[1].parse().unwrap()))
        .collect()
}

/// The numbers of the inconsistencies STEPS.md lists for article `n`.
pub fn steps_inconsistencies(steps: &str, n: u32) -> Vec<u32> {
    let heading = format!("## {n}. ");
    let section: String = steps
        .lines()
        .skip_while(|l| !l.starts_with(&heading))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("## "))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    numbered(&section, "### Inconsistencies", "### ")
}

/// The article and STEPS items the catalogue of the article `short` cites.
pub fn sources_of(short: &str) -> Sources {
    let (name, number, stem) = ARTICLES
        .iter()
        .find(|(name, ..)| *name == short)
        .unwrap_or_else(|| {
            panic!("no article {short:?}: setup, manage-data, mysql, compose or deploy")
        });
    let article = format!("{stem}.md");
    let lines = series(&article).lines().map(String::from).collect();
    let (steps_word, steps_items) = if *name == "manage-data" {
        let text = series("STEPS-manage-data.md");
        ("STEPS-manage-data", numbered(&text, "## Steps", "## "))
    } else {
        ("STEPS", steps_inconsistencies(&series("STEPS.md"), *number))
    };
    Sources {
        article,
        lines,
        steps_word,
        steps_items,
    }
}

/// What is wrong with one citation, if anything.
fn citation_error(citation: &str, sources: &Sources) -> Option<String> {
    let line = regex::Regex::new(r"^L(\d+) `([^`]+)`$").unwrap();
    let steps = regex::Regex::new(r"^(STEPS(?:-manage-data)?) (\d+)$").unwrap();
    if let Some(c) = line.captures(citation) {
        let (n, fragment) = (c[1].parse::<usize>().unwrap(), &c[2]);
        if fragment.chars().count() > MAX_FRAGMENT {
            return Some(format!(
                "{citation}: a fragment of over {MAX_FRAGMENT} characters (cite a command, flag, path or name)"
            ));
        }
        return match n.checked_sub(1).and_then(|i| sources.lines.get(i)) {
            None => Some(format!(
                "{citation}: {} has no line {n} ({} lines)",
                sources.article,
                sources.lines.len()
            )),
            Some(text) if !text.contains(fragment) => Some(format!(
                "{citation}: line {n} of {} does not hold `{fragment}`",
                sources.article
            )),
            Some(_) => None,
        };
    }
    if let Some(c) = steps.captures(citation) {
        let n: u32 = c[2].parse().unwrap();
        return if &c[1] != sources.steps_word {
            Some(format!(
                "{citation}: this article's items are cited as `{} <n>`",
                sources.steps_word
            ))
        } else if !sources.steps_items.contains(&n) {
            Some(format!(
                "{citation}: {} lists no item {n} for {} (it has {:?})",
                sources.steps_word, sources.article, sources.steps_items
            ))
        } else {
            None
        };
    }
    Some(format!(
        "{citation:?} is no citation: write L<n> `fragment`, STEPS <n> or STEPS-manage-data <n>"
    ))
}

/// One line for each row of the catalogue whose source is missing or does not check.
pub fn citation_errors(catalogue: &Catalogue, sources: &Sources) -> Vec<String> {
    let mut errors = Vec::new();
    for r in &catalogue.rows {
        let (row, source) = (format!("row {} ({:?})", r.id, r.claim), r.source);
        if source.is_empty() {
            errors.push(format!(
                "{row}: no source (cite L<n> `fragment` or STEPS <n>)"
            ));
            continue;
        }
        for citation in source.split(';').map(str::trim) {
            if let Some(e) = citation_error(citation, sources) {
                errors.push(format!("{row}: {e}"));
            }
        }
    }
    errors
}

/// Every row of the catalogue cites its article or STEPS item correctly; else the test fails
/// with the first wrong row (and how many more there are).
pub fn assert_sources(catalogue: &Catalogue) {
    let errors = citation_errors(catalogue, &sources_of(catalogue.article));
    if let Some(first) = errors.first() {
        panic!(
            "{}'s claims.md, source: {first}{}",
            catalogue.article,
            match errors.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            }
        );
    }
}
