//! The unified diff of a file and its edits, as `patch -p1` and `git apply` read it: `--- a/FILE`,
//! `+++ b/FILE`, `@@` hunks with three lines of context, each edit's lines aligned with what it
//! replaces so that a line it keeps shows as context, not as a removal and an addition.

/// A change of a file's lines: lines `start..start + old` (0-based) become `new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub old: usize,
    pub new: Vec<String>,
}

/// Lines of context around a change.
const CONTEXT: usize = 3;

/// Largest alignment table built inside one edit; past it, the edit is all removed then added.
const MAX_CELLS: usize = 4_000_000;

/// The lines of `text` (without their `\n`) and whether its last line ends with one.
pub fn lines(text: &str) -> (Vec<&str>, bool) {
    let ends = text.is_empty() || text.ends_with('\n');
    let mut lines: Vec<&str> = text.split('\n').collect();
    if ends {
        lines.pop();
    }
    (lines, ends)
}

/// `text` with `edits` made (sorted by start, not overlapping).
pub fn apply(text: &str, edits: &[&Edit]) -> String {
    let (old, ends) = lines(text);
    let mut out: Vec<&str> = Vec::new();
    let mut at = 0;
    for e in edits {
        out.extend(&old[at..e.start]);
        out.extend(e.new.iter().map(String::as_str));
        at = e.start + e.old;
    }
    out.extend(&old[at.min(old.len())..]);
    let mut joined = out.join("\n");
    if ends && !out.is_empty() {
        joined.push('\n');
    }
    joined
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op<'a> {
    Keep(&'a str),
    Del(&'a str),
    Add(&'a str),
}

/// The unified diff of `text` made into `apply(text, edits)`, named `a/{path}` and `b/{path}`;
/// empty when nothing changes.
pub fn unified(path: &str, text: &str, edits: &[&Edit]) -> String {
    let (old, ends) = lines(text);
    let mut ops = Vec::new();
    let mut at = 0;
    for e in edits {
        ops.extend(old[at..e.start].iter().map(|l| Op::Keep(l)));
        let new: Vec<&str> = e.new.iter().map(String::as_str).collect();
        ops.extend(align(&old[e.start..e.start + e.old], &new));
        at = e.start + e.old;
    }
    ops.extend(old[at.min(old.len())..].iter().map(|l| Op::Keep(l)));
    let changed: Vec<usize> = (0..ops.len())
        .filter(|k| !matches!(ops[*k], Op::Keep(_)))
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut first = 0;
    for k in 1..=changed.len() {
        if k == changed.len() || changed[k] - changed[k - 1] > 2 * CONTEXT + 1 {
            let from = changed[first].saturating_sub(CONTEXT);
            let to = (changed[k - 1] + 1 + CONTEXT).min(ops.len());
            out.push_str(&hunk(&ops, from, to, ends));
            first = k;
        }
    }
    out
}

/// One hunk: `ops[from..to]` with its `@@ -a,b +c,d @@` header.
fn hunk(ops: &[Op], from: usize, to: usize, ends: bool) -> String {
    let old_side = |op: &Op| !matches!(op, Op::Add(_));
    let new_side = |op: &Op| !matches!(op, Op::Del(_));
    let (old_before, new_before) = (
        ops[..from].iter().filter(|o| old_side(o)).count(),
        ops[..from].iter().filter(|o| new_side(o)).count(),
    );
    let (old_n, new_n) = (
        ops[from..to].iter().filter(|o| old_side(o)).count(),
        ops[from..to].iter().filter(|o| new_side(o)).count(),
    );
    // A side with no lines names the line before it; one with lines, its first.
    let start = |before: usize, n: usize| if n == 0 { before } else { before + 1 };
    let mut out = format!(
        "@@ -{},{old_n} +{},{new_n} @@\n",
        start(old_before, old_n),
        start(new_before, new_n)
    );
    let last_old = ops.iter().rposition(old_side);
    let last_new = ops.iter().rposition(new_side);
    for (k, op) in ops.iter().enumerate().take(to).skip(from) {
        let (mark, line) = match op {
            Op::Keep(l) => (' ', l),
            Op::Del(l) => ('-', l),
            Op::Add(l) => ('+', l),
        };
        out.push_str(&format!("{mark}{line}\n"));
        if !ends && (Some(k) == last_old || Some(k) == last_new) {
            out.push_str("\\ No newline at end of file\n");
        }
    }
    out
}

/// `old` made into `new` with as many lines kept as can be: their longest common subsequence.
fn align<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (a, b) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    let mut ops: Vec<Op> = old[..head].iter().map(|l| Op::Keep(l)).collect();
    let (n, m) = (a.len(), b.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        ops.extend(a.iter().map(|l| Op::Del(l)));
        ops.extend(b.iter().map(|l| Op::Add(l)));
    } else {
        // kept[i][j]: most lines kept aligning a[i..] with b[j..].
        let mut kept = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                kept[i][j] = if a[i] == b[j] {
                    kept[i + 1][j + 1] + 1
                } else {
                    kept[i + 1][j].max(kept[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                ops.push(Op::Keep(a[i]));
                (i, j) = (i + 1, j + 1);
            } else if i < n && (j == m || kept[i + 1][j] >= kept[i][j + 1]) {
                ops.push(Op::Del(a[i]));
                i += 1;
            } else {
                ops.push(Op::Add(b[j]));
                j += 1;
            }
        }
    }
    ops.extend(old[old.len() - tail..].iter().map(|l| Op::Keep(l)));
    ops
}
