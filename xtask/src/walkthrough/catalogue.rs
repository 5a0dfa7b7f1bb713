//! Each article's claim catalogue (`claims.md` beside its code): the one place a claim's words and
//! its verdict in each mode live. The checks in Rust name a row by its id; what they saw is then
//! held against the row, so the walkthrough's `ok` compares the engine with the catalogue, never
//! the code with itself.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Which recipe a walkthrough runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The article's commands as written.
    Literal,
    /// The recipe that delivers what the article claims.
    Corrected,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Literal => "literal",
            Mode::Corrected => "corrected",
        }
    }
}

/// What a check saw.
pub enum Observed {
    Seen {
        holds: bool,
        evidence: String,
    },
    /// Only the official image (or a registry on the internet) could show it; why.
    NotCheckable(String),
}

pub fn seen(holds: bool, evidence: impl Into<String>) -> Observed {
    Observed::Seen {
        holds,
        evidence: evidence.into(),
    }
}

/// A claim's verdict in one mode, as the catalogue writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The claim holds.
    Holds,
    /// It fails, as the article's own commands are known to make it fail.
    Erratum,
    /// Only the official images (or a registry on the internet) could show it.
    NotCheckable,
    /// The claim is not made in this mode.
    Absent,
}

impl Verdict {
    fn named(word: &str) -> Option<Verdict> {
        Some(match word {
            "holds" => Verdict::Holds,
            "erratum" => Verdict::Erratum,
            "not checkable" => Verdict::NotCheckable,
            "absent" => Verdict::Absent,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Erratum => "erratum",
            Verdict::NotCheckable => "not checkable",
            Verdict::Absent => "absent",
        }
    }
}

/// One row of a catalogue.
#[derive(Debug)]
pub struct Row {
    pub id: &'static str,
    /// The report's section; empty: the claim is made in any section that runs its check.
    pub section: &'static str,
    pub claim: String,
    pub literal: Verdict,
    pub corrected: Verdict,
    /// Where the verdicts come from (article lines, STEPS items): checked by the tests.
    pub source: &'static str,
}

impl Row {
    pub fn verdict(&self, mode: Mode) -> Verdict {
        match mode {
            Mode::Literal => self.literal,
            Mode::Corrected => self.corrected,
        }
    }
}

pub struct Catalogue {
    pub article: &'static str,
    pub rows: Vec<Row>,
    /// The corrected recipe's changes to the article's lines, for `--fix` (its `fixes.md`).
    pub fixes: Vec<Fix>,
}

/// One change of the corrected recipe at a line of the article: what the line writes, what it
/// should write, and the errata (claim ids of the literal mode) it mends.
#[derive(Debug)]
pub struct Fix {
    pub line: usize,
    pub written: &'static str,
    /// The line's text for `written`, then any lines to add after it.
    pub corrected: Vec<&'static str>,
    pub mends: Vec<&'static str>,
}

/// The catalogues, by the article's short name: its claims, and the corrected recipe's changes.
const FILES: [(&str, &str, &str); 5] = [
    (
        "setup",
        include_str!("setup/claims.md"),
        include_str!("setup/fixes.md"),
    ),
    (
        "manage-data",
        include_str!("manage_data/claims.md"),
        include_str!("manage_data/fixes.md"),
    ),
    ("mysql", include_str!("mysql/claims.md"), ""),
    ("compose", include_str!("compose/claims.md"), ""),
    ("deploy", include_str!("deploy/claims.md"), ""),
];

/// The catalogue of the article with this short name (an empty one for an article with none).
pub fn of(short: &str) -> &'static Catalogue {
    static ALL: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    static NONE: Catalogue = Catalogue {
        article: "",
        rows: Vec::new(),
        fixes: Vec::new(),
    };
    ALL.get_or_init(|| {
        FILES
            .iter()
            .map(|(short, claims, fixes)| {
                let read = parse(short, claims).and_then(|mut c| {
                    c.fixes = parse_fixes(short, fixes)?;
                    Ok(c)
                });
                (*short, read.unwrap_or_else(|e| panic!("{e}")))
            })
            .collect()
    })
    .get(short)
    .unwrap_or(&NONE)
}

impl Catalogue {
    /// The row `id` names for a claim made in `section`: its own section's row, else the row of
    /// any section.
    pub fn find(&self, id: &str, section: &str) -> Option<&Row> {
        let of_id = || self.rows.iter().filter(move |r| r.id == id);
        of_id()
            .find(|r| r.section == section)
            .or_else(|| of_id().find(|r| r.section.is_empty()))
    }

    /// The rows `id` names that are made in `mode`.
    pub fn made_in(&self, id: &str, mode: Mode) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.id == id && r.verdict(mode) != Verdict::Absent)
            .collect()
    }
}

/// The rows of a catalogue's tables: every line that starts with `|`, but for the header and the
/// rule under it. A row with the wrong number of cells, an unknown verdict, or an id given twice
/// for one section is refused with its line.
pub fn parse(article: &'static str, text: &'static str) -> Result<Catalogue, String> {
    let mut rows: Vec<Row> = Vec::new();
    for (n, cells) in table_rows(text, "id") {
        let at = || format!("{article}'s claims.md line {}", n + 1);
        let [id, section, claim, literal, corrected, source] = cells[..] else {
            return Err(format!("{}: a row of {} cells, not 6", at(), cells.len()));
        };
        let verdict = |w: &str| {
            Verdict::named(w).ok_or_else(|| {
                format!(
                    "{}: {w:?} is no verdict: write holds, erratum, not checkable or absent",
                    at()
                )
            })
        };
        if rows.iter().any(|r| r.id == id && r.section == section) {
            return Err(format!(
                "{}: the id {id} is given twice for one section",
                at()
            ));
        }
        rows.push(Row {
            id,
            section,
            claim: claim.replace("\\|", "|"),
            literal: verdict(literal)?,
            corrected: verdict(corrected)?,
            source,
        });
    }
    Ok(Catalogue {
        article,
        rows,
        fixes: Vec::new(),
    })
}

/// The rows of a `fixes.md`: `| line | written | corrected | mends |`, code in backticks, the
/// corrected lines separated by `<br>`, the mended claim ids by commas.
pub fn parse_fixes(article: &'static str, text: &'static str) -> Result<Vec<Fix>, String> {
    let code = |cell: &'static str| cell.trim().trim_matches('`');
    let mut fixes = Vec::new();
    for (n, cells) in table_rows(text, "line") {
        let at = || format!("{article}'s fixes.md line {}", n + 1);
        let [line, written, corrected, mends] = cells[..] else {
            return Err(format!("{}: a row of {} cells, not 4", at(), cells.len()));
        };
        let line = line
            .parse()
            .map_err(|_| format!("{}: {line:?} is no line number", at()))?;
        fixes.push(Fix {
            line,
            written: code(written),
            corrected: corrected.split("<br>").map(code).collect(),
            mends: mends.split(',').map(str::trim).collect(),
        });
    }
    Ok(fixes)
}

/// The rows of the Markdown tables in `text`, each with its 0-based line: every line that starts
/// and ends with `|`, but for the header (first cell `first`) and the rule under it.
fn table_rows(
    text: &'static str,
    first: &'static str,
) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines().enumerate().filter_map(move |(n, line)| {
        let inner = line.strip_prefix('|')?.trim_end().strip_suffix('|')?;
        let cells = split_cells(inner);
        let rule = cells.iter().all(|c| c.chars().all(|ch| ch == '-'));
        (cells.first() != Some(&first) && !rule).then_some((n, cells))
    })
}

/// A row's cells, split at each `|` that is not escaped as `\|`.
fn split_cells(inner: &'static str) -> Vec<&'static str> {
    let mut cells = Vec::new();
    let mut start = 0;
    let bytes = inner.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(inner[start..i].trim());
            start = i + 1;
        }
    }
    cells.push(inner[start..].trim());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_reads_and_names_its_claims_once() {
        for (short, ..) in FILES {
            let c = of(short);
            assert!(c.rows.len() > 10, "{short}: {} rows", c.rows.len());
            assert!(c
                .rows
                .iter()
                .all(|r| !r.id.is_empty() && !r.claim.is_empty()));
            // A fix mends errata of the literal mode only, each a row of the catalogue.
            for f in &c.fixes {
                for id in &f.mends {
                    let erratum = |r: &Row| r.id == *id && r.literal == Verdict::Erratum;
                    assert!(
                        c.rows.iter().any(erratum),
                        "{short}: the fix at line {} mends {id}, no erratum",
                        f.line
                    );
                }
            }
        }
        assert!(!of("manage-data").fixes.is_empty());
    }

    #[test]
    fn a_fix_row_reads_its_code_lines_and_claims() {
        let fixes = parse_fixes(
            "t",
            "| line | written | corrected | mends |\n|---|---|---|---|\n| 4 | `a b` | `a c`<br>`d` | x, y |\n",
        )
        .unwrap();
        let f = &fixes[0];
        assert_eq!(
            (f.line, f.written, &f.corrected, &f.mends),
            (4, "a b", &vec!["a c", "d"], &vec!["x", "y"])
        );
        let bad = parse_fixes("t", "| four | a | b | c |").unwrap_err();
        assert!(bad.contains("line 1: \"four\" is no line number"), "{bad}");
    }

    #[test]
    fn a_row_is_found_in_its_section_or_as_any_sections() {
        let c = parse(
            "t",
            "| id | section | claim | literal | corrected | source |\n|---|---|---|---|---|---|\n\
             | a | One | in one | holds | erratum | L1 `x` |\n| a | Two | in two | absent | holds | L1 `x` |\n\
             | b |  | anywhere \\| everywhere | holds | holds | L1 `x` |\n",
        )
        .unwrap();
        assert_eq!(c.find("a", "Two").unwrap().claim, "in two");
        assert_eq!(c.find("b", "Two").unwrap().claim, "anywhere | everywhere");
        assert!(c.find("a", "Three").is_none());
        assert_eq!(c.made_in("a", Mode::Literal).len(), 1);
    }

    #[test]
    fn a_bad_row_is_refused_with_its_line() {
        let bad = |text: &'static str| parse("t", text).err().unwrap();
        assert!(bad("| a | s | c | holds | maybe | x |").contains("\"maybe\" is no verdict"));
        assert!(bad("| a | s | c | holds |").contains("line 1: a row of 4 cells"));
        assert!(
            bad("| a | s | c | holds | holds | x |\n| a | s | d | holds | holds | x |")
                .contains("line 2: the id a is given twice")
        );
    }
}
