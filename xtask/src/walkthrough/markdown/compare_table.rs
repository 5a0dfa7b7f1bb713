//! Tables in an output (`docker ps`, `images`, `volume ls`): columns split at the header's column
//! starts, rows compared as a set (docker's order is its engine's history, not a claim).

use super::mask::{mask, mask_cell};
use super::pattern::{finish, is_elision, Pattern, Verdict};

/// Column names and start columns (in chars) of a table header: 2+ names in capitals, 2+ spaces apart.
pub(super) fn table_columns(header: &str) -> Option<Vec<(String, usize)>> {
    let chars: Vec<char> = header.trim_end().chars().collect();
    let mut columns = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        while k < chars.len() && chars[k] == ' ' {
            k += 1;
        }
        let start = k;
        while k < chars.len() && !(chars[k] == ' ' && chars.get(k + 1).is_none_or(|c| *c == ' ')) {
            k += 1;
        }
        let name: String = chars[start..k].iter().collect();
        let capitals = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ');
        if !capitals {
            return None;
        }
        columns.push((name, start));
    }
    (columns.len() >= 2).then_some(columns)
}

/// A row cut at the header's column starts; a word running over a start stays in its cell.
fn cells(row: &str, columns: &[(String, usize)]) -> Vec<String> {
    let chars: Vec<char> = row.chars().collect();
    let mut bounds: Vec<usize> = columns.iter().map(|(_, s)| (*s).min(chars.len())).collect();
    bounds[0] = 0;
    for b in bounds.iter_mut().skip(1) {
        while *b > 0 && *b < chars.len() && chars[*b - 1] != ' ' && chars[*b] != ' ' {
            *b += 1;
        }
    }
    bounds.push(chars.len());
    (0..columns.len())
        .map(|c| {
            let (from, to) = (bounds[c], bounds[c + 1].max(bounds[c]));
            let cell: String = chars[from..to].iter().collect();
            mask_cell(&columns[c].0, cell.trim())
        })
        .collect()
}

pub(super) fn compare_tables(
    expected: &[(usize, &str)],
    actual: &[&str],
    placeholders: &[String],
) -> Verdict {
    let header = expected
        .iter()
        .position(|(_, l)| !is_elision(l))
        .unwrap_or(0);
    let want_columns = table_columns(expected[header].1).unwrap_or_default();
    let names = |cols: &[(String, usize)]| cols.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let got_columns = actual.first().and_then(|l| table_columns(l));
    let Some(got_columns) = got_columns.filter(|g| names(g) == names(&want_columns)) else {
        let got = actual.first().map(|l| mask(l)).unwrap_or_default();
        return finish(
            vec![format!("-{}", mask(expected[header].1)), format!("+{got}")],
            expected[header].0,
        );
    };
    let elided = expected.iter().any(|(_, l)| is_elision(l));
    let want: Vec<(usize, Vec<String>)> = expected[header + 1..]
        .iter()
        .filter(|(_, l)| !is_elision(l))
        .map(|(n, l)| (*n, cells(l, &want_columns)))
        .collect();
    let got: Vec<Vec<String>> = actual[1..].iter().map(|l| cells(l, &got_columns)).collect();
    let mut used = vec![false; got.len()];
    let mut diff = Vec::new();
    let mut at = None;
    for (line, row) in &want {
        let pats: Vec<Pattern> = row.iter().map(|w| Pattern::new(w, placeholders)).collect();
        let found = (0..got.len()).find(|&k| {
            !used[k]
                && pats.len() == got[k].len()
                && pats.iter().zip(&got[k]).all(|(p, g)| p.matches(g))
        });
        match found {
            Some(k) => used[k] = true,
            None => {
                diff.push(format!("-{}", row.join("  ").trim_end()));
                at.get_or_insert(*line);
            }
        }
    }
    if !elided {
        for (_, row) in got.iter().enumerate().filter(|(k, _)| !used[*k]) {
            diff.push(format!("+{}", row.join("  ").trim_end()));
            at.get_or_insert(want.last().map_or(expected[header].0, |(l, _)| *l));
        }
    }
    if diff.is_empty() {
        Verdict::Matches
    } else {
        finish(diff, at.unwrap_or(expected[header].0))
    }
}
