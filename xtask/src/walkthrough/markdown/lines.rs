//! One line of a Markdown article as the reader sees it: its indent, a list item's marker, a Hugo
//! shortcode alone on its line.

use std::sync::OnceLock;

use regex::Regex;

use super::text::re;

/// Leading ASCII spaces and tabs, in bytes. Other blanks (U+3000, a no-break space) are text: an
/// indent never ends inside a character, so slicing at it cannot split one.
pub(super) fn indent_of(line: &str) -> usize {
    line.bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count()
}

/// `line` without up to `n` leading spaces.
pub(super) fn dedent(line: &str, n: usize) -> &str {
    &line[indent_of(line).min(n)..]
}

/// A Hugo shortcode alone on its line: (closing?, name, arguments).
pub(super) fn shortcode(trimmed: &str) -> Option<(bool, String, String)> {
    static SHORTCODE: OnceLock<Regex> = OnceLock::new();
    let c = re(&SHORTCODE, r"^\{\{[<%]\s*(/?)\s*([\w-]+)(.*?)\s*[>%]\}\}$")
        .captures(trimmed.trim_end())?;
    Some((!c[1].is_empty(), c[2].to_string(), c[3].trim().to_string()))
}

/// Shortcodes that wrap prose (their fences are still read).
pub(super) const WRAPPERS: &[&str] = &[
    "note",
    "caution",
    "warning",
    "tip",
    "disclosure-note",
    "notice",
    "tabs",
    "tab",
    "details",
];

/// A numbered list item: its content column and text.
pub(super) fn numbered_item(line: &str) -> Option<(usize, &str)> {
    static ITEM: OnceLock<Regex> = OnceLock::new();
    let c = re(&ITEM, r"^(\s*)\d+[.)]\s+").captures(line)?;
    let marker = c.get(0).unwrap();
    Some((marker.end(), &line[marker.end()..]))
}

pub(super) fn bullet(line: &str) -> Option<usize> {
    static BULLET: OnceLock<Regex> = OnceLock::new();
    re(&BULLET, r"^(\s*)[-*+]\s+").find(line).map(|m| m.end())
}
