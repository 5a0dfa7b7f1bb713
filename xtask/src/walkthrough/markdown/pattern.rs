//! One line of an article's expected output as a pattern (masked text, `...` and placeholders
//! matching anything), and the verdict a comparison ends in: shared by the text and the table
//! comparisons.

use regex::Regex;

use super::mask::mask;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Matches,
    /// `diff`: a short unified-style diff of the masked lines (`-` article, `+` real);
    /// `at`: 0-based line of the article's block where the first difference is.
    Differs {
        diff: String,
        at: usize,
    },
}

impl Verdict {
    pub fn matches(&self) -> bool {
        *self == Verdict::Matches
    }
}

/// At most this many diff lines are shown.
pub(super) const DIFF_LINES: usize = 10;

/// Longest article line read as a pattern (with `...` or placeholders); a longer one is text.
const MAX_PATTERN: usize = 4096;

/// Most `...` in one article line read as a pattern.
const MAX_WILDCARDS: usize = 16;

pub(super) fn is_elision(line: &str) -> bool {
    matches!(line.trim(), "..." | "…" | "[...]")
}

/// One expected line: masked text, or a pattern when it has a placeholder or an in-line `...`.
pub(super) enum Pattern {
    Any,
    Text(String),
    Re(Regex, String),
}

impl Pattern {
    pub(super) fn new(line: &str, placeholders: &[String]) -> Pattern {
        if is_elision(line) {
            return Pattern::Any;
        }
        let masked = mask(line);
        // A line too long to be a pattern (kilobytes of `...` make a slow one) is compared as written.
        let has_placeholder =
            masked.len() <= MAX_PATTERN && placeholders.iter().any(|p| contains_word(&masked, p));
        if masked.len() > MAX_PATTERN || (!masked.contains("...") && !has_placeholder) {
            return Pattern::Text(masked);
        }
        // `...` runs are one wildcard; a line of many is compared as written (each costs time).
        let pieces: Vec<String> = masked.split("...").map(regex::escape).collect();
        let mut re = pieces
            .iter()
            .enumerate()
            .fold(String::new(), |mut re, (k, piece)| {
                if k > 0 && !re.ends_with(".*?") {
                    re.push_str(".*?");
                }
                re.push_str(piece);
                re
            });
        if re.matches(".*?").count() > MAX_WILDCARDS {
            return Pattern::Text(masked);
        }
        for p in placeholders.iter().filter(|p| contains_word(&masked, p)) {
            re = super::placeholders::replace_word(&re, p, r"\S+?");
        }
        match regex::RegexBuilder::new(&format!("^{re}$"))
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => Pattern::Re(re, masked),
            Err(_) => Pattern::Text(masked),
        }
    }

    pub(super) fn matches(&self, masked_actual: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Text(t) => t == masked_actual,
            Pattern::Re(re, _) => re.is_match(masked_actual),
        }
    }

    pub(super) fn shown(&self) -> &str {
        match self {
            Pattern::Any => "...",
            Pattern::Text(t) | Pattern::Re(_, t) => t,
        }
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        edge(before) && edge(after)
    })
}

pub(super) fn finish(mut lines: Vec<String>, at: usize) -> Verdict {
    if lines.len() > DIFF_LINES {
        let more = lines.len() - DIFF_LINES;
        lines.truncate(DIFF_LINES);
        lines.push(format!("… {more} more lines"));
    }
    Verdict::Differs {
        diff: lines.join("\n"),
        at,
    }
}
