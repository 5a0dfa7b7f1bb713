//! Walkthrough reports, and claims pinned from the articles: a walkthrough sets `expected` in the
//! same code that observes `holds`, so its `ok: true` alone shows the code agreeing with itself.
//! Each test keeps, in a Markdown file under tests/pinned/, a table of the verdicts the article
//! (and STEPS*.md in shared/series, which record what its exact commands did on a real engine)
//! says every claim must get.

use serde_json::Value;

use super::watch::{Seen, Watch};
use super::{images, xtask};

/// `cargo xtask walkthrough ARGS --json` (ARGS start with the article): its JSON report and output.
/// Also fails the test if any output of the run shows a secret (see [`walkthrough_seen`]).
pub fn walkthrough(args: &[&str]) -> (Value, std::process::Output) {
    let (report, out, _) = walkthrough_seen(args);
    (report, out)
}

/// [`walkthrough`], with what the test saw in the engines while it ran (its own look: see
/// [`Watch`]). The run gets a run id of its own under the suite's (so that only its containers
/// are watched) and writes its Markdown report too; no secret its containers were given (a
/// password, a Jupyter token) may be in its JSON, transcript or report. A run that succeeded must
/// have been seen using at least one secret: else the check looked at nothing.
pub fn walkthrough_seen(args: &[&str]) -> (Value, std::process::Output, Seen) {
    let run = super::own_run_id();
    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.md");
    let watch = Watch::start(&run);
    // A hang guard only: the deploy walkthrough took 450 s on a quiet machine and over 900 s on a
    // loaded one (both of its runs were cut off at the 900 s every other xtask call gets).
    let out = xtask()
        .timeout(std::time::Duration::from_secs(2400))
        .env(super::RUN_ID_ENV, &run)
        .arg("walkthrough")
        .args(args)
        .args(["--json", "--report", report_file.to_str().unwrap()])
        .assert()
        .get_output()
        .clone();
    let mut seen = watch.finish();
    seen.run = run;
    if let Some(dir) = std::env::var_os("JDX_SEEN_DUMP") {
        let file = std::path::Path::new(&dir).join(format!("{}.json", args.join("_")));
        std::fs::write(file, seen.to_json().to_string()).unwrap();
    }
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report = std::fs::read_to_string(&report_file).unwrap_or_default();
    assert_no_secret(args, &out, &report, &seen);
    eprintln!(
        "walkthrough {}: seen in the engines: {}; none of its {} secrets in its JSON, transcript or report",
        args.join(" "),
        seen.summary(),
        seen.secrets.len()
    );
    (json, out, seen)
}

/// Nothing of run `run` (see [`Seen::run`]) is left on the host engine: no container, no volume.
pub fn assert_nothing_left(run: &str) {
    let run_label = format!("label={}={run}", super::RUN_LABEL_KEY);
    for (kind, ls) in [("container", ["ps", "-a"]), ("volume", ["volume", "ls"])] {
        let left = super::docker_ok(&[ls[0], ls[1], "--filter", &run_label, "-q"]);
        assert!(
            left.is_empty(),
            "{kind}s of the run {run} left on the host engine: {left}"
        );
    }
}

fn assert_no_secret(args: &[&str], out: &std::process::Output, report: &str, seen: &Seen) {
    let shown = [
        ("JSON", String::from_utf8_lossy(&out.stdout)),
        ("transcript", String::from_utf8_lossy(&out.stderr)),
        ("report", report.into()),
    ];
    for secret in &seen.secrets {
        for (what, text) in &shown {
            assert!(
                !text.contains(secret.as_str()),
                "walkthrough {args:?}: a secret ({}...) is in its {what}",
                &secret[..3]
            );
        }
    }
    // The articles with a database give its containers a password at run time.
    let database = matches!(args.first(), Some(&"mysql") | Some(&"compose"));
    assert!(
        !out.status.success() || !database || seen.secrets.iter().any(|s| s.len() != 48),
        "walkthrough {args:?}: no database password seen to look for"
    );
    assert!(
        !out.status.success() || !seen.secrets.is_empty(),
        "walkthrough {args:?}: no secret seen to look for (the watch saw {})",
        seen.summary()
    );
}

/// Builds the series' images, then `walkthrough ARGS --json` (ARGS with `--keep`), with `guards`
/// taken at once over what it kept; it must exit 0. Its report, its output and the guards.
pub fn kept_walkthrough<G>(
    args: &[&str],
    guards: impl FnOnce(&Value) -> G,
) -> (Value, std::process::Output, G) {
    images();
    let (report, out) = walkthrough(args);
    let guards = guards(&report);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (report, out, guards)
}

/// The report's claim whose wording contains `words`.
pub fn claim<'a>(report: &'a Value, words: &str) -> &'a Value {
    report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["claim"].as_str().unwrap().contains(words))
        .unwrap_or_else(|| panic!("no claim with {words:?}"))
}

/// The report's section whose name starts with `name`.
pub fn section<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("no section {name:?}"))
}

/// The verdict a claim must get, from the article and what its commands are known to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// The article's claim holds: (holds, expected) = (true, true).
    Holds,
    /// An erratum: the claim fails, as the article's commands are known to make it fail: (false, false).
    Erratum,
    /// Only the official images could show it: not checkable here, (false, false), `checkable: false`.
    NotCheckable,
}

/// One pinned claim: (section name's start, words of the claim, its verdict in literal mode, in
/// corrected mode).
pub type Row = (&'static str, &'static str, Option<Pin>, Option<Pin>);

impl Pin {
    /// A verdict as a pinned table writes it: `holds`, `erratum`, `not checkable`, or `absent`
    /// (None: the claim is not made in that mode).
    fn named(word: &str) -> Option<Pin> {
        match word {
            "holds" => Some(Pin::Holds),
            "erratum" => Some(Pin::Erratum),
            "not checkable" => Some(Pin::NotCheckable),
            "absent" => None,
            other => panic!(
                "a pinned table says {other:?}: write holds, erratum, not checkable or absent"
            ),
        }
    }

    fn verdict(self) -> (bool, bool, bool) {
        match self {
            Pin::Holds => (true, true, true),
            Pin::Erratum => (false, false, true),
            Pin::NotCheckable => (false, false, false),
        }
    }
}

/// Every claim of the report gets the verdict its row pins for the report's mode (exactly one row
/// of its section must match its words), and every row pinned for this mode, of a section the
/// report ran, matches a claim: a new, lost or reworded claim fails until the table says so.
pub fn assert_pinned(report: &Value, pinned_file: &'static str) {
    super::sources::assert_sources(pinned_file);
    let table = pinned(pinned_file);
    let literal = match report["mode"].as_str() {
        Some("literal") => true,
        Some("corrected") => false,
        other => panic!("unknown mode {other:?}"),
    };
    let claims = report["claims"].as_array().expect("claims");
    assert!(!claims.is_empty(), "the report has no claims");
    let mut used = vec![0usize; table.len()];
    for c in claims {
        let (section, text) = (c["section"].as_str().unwrap(), c["claim"].as_str().unwrap());
        let rows: Vec<usize> = (0..table.len())
            .filter(|&i| section.starts_with(table[i].0) && text.contains(table[i].1))
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "claim {text:?} of section {section:?} matches {} rows of the table",
            rows.len()
        );
        let (_, words, in_literal, in_corrected) = table[rows[0]];
        let pin = if literal { in_literal } else { in_corrected };
        let pin = pin.unwrap_or_else(|| {
            panic!("{words:?} is pinned as not made in this mode, yet the report has it")
        });
        used[rows[0]] += 1;
        let got = (
            c["holds"].as_bool().unwrap(),
            c["expected"].as_bool().unwrap(),
            c["checkable"].as_bool().expect("checkable"),
        );
        assert_eq!(got, pin.verdict(), "{words:?} is pinned {pin:?}; the walkthrough said (holds, expected, checkable) = {got:?}: {}", c["evidence"]);
    }
    let ran: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for (i, (section, words, in_literal, in_corrected)) in table.iter().enumerate() {
        let pinned = if literal { in_literal } else { in_corrected };
        if pinned.is_some() && ran.iter().any(|s| s.starts_with(section)) {
            assert!(
                used[i] > 0,
                "no claim of section {section:?} matches the pinned row {words:?}"
            );
        }
    }
}

/// The rows of the Markdown tables in a pinned-verdicts file (tests/pinned/): each line that starts
/// with `|`, but for the header rows (first cell `section` or `claim`) and the rules under them, as
/// its `columns` trimmed cells. The prose between the tables is commentary.
fn table_rows(text: &'static str, columns: usize) -> Vec<Vec<&'static str>> {
    let mut rows = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('|')) {
        let inner = line
            .strip_prefix('|')
            .and_then(|l| l.strip_suffix('|'))
            .unwrap_or_else(|| panic!("a table row that does not end with |: {line}"));
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        assert_eq!(
            cells.len(),
            columns,
            "a pinned row of {} cells, not {columns}: {line}",
            cells.len()
        );
        let header = cells[0] == "section" || cells[0] == "claim";
        let rule = cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'));
        if !header && !rule {
            rows.push(cells);
        }
    }
    assert!(!rows.is_empty(), "a pinned-verdicts file without rows");
    rows
}

/// The rows of a file whose tables are `| section | claim | literal | corrected | source |`
/// (the source: where the verdicts come from, tests/support/sources.rs).
pub fn pinned(text: &'static str) -> Vec<Row> {
    table_rows(text, 5)
        .into_iter()
        .map(|c| (c[0], c[1], Pin::named(c[2]), Pin::named(c[3])))
        .collect()
}

/// Each row's section, claim and source cell.
pub fn pinned_sources(text: &'static str) -> Vec<(&'static str, &'static str, &'static str)> {
    table_rows(text, 5)
        .into_iter()
        .map(|c| (c[0], c[1], c[4]))
        .collect()
}

/// The `docker ...` commands of an article's fences (continuation lines joined; `docker search`
/// left out, since no local registry can answer it), each with its line: what the literal replay
/// must run as written.
pub fn article_docker_commands(slug: &str) -> Vec<(usize, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series")
        .join(format!("{slug}.md"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the series is read from ../shared beside the project)",
            path.display()
        )
    });
    let mut commands = Vec::new();
    let (mut in_fence, mut pending): (bool, Option<(usize, String)>) = (false, None);
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = !in_fence && t.starts_with("```command");
            continue;
        }
        if !in_fence {
            continue;
        }
        if let Some((at, mut joined)) = pending.take() {
            joined.push(' ');
            joined.push_str(t.trim_end_matches('\\').trim());
            if t.ends_with('\\') {
                pending = Some((at, joined))
            } else {
                commands.push((at, joined))
            }
            continue;
        }
        if t.starts_with("docker ") || t.starts_with("sudo docker ") {
            let body = t.trim_end_matches('\\').trim().to_string();
            if t.ends_with('\\') {
                pending = Some((n + 1, body))
            } else {
                commands.push((n + 1, body))
            }
        }
    }
    commands.retain(|(_, c)| !c.starts_with("docker search"));
    commands
}

/// Tokens equal, but for the article's placeholders (a capitalised word such as CONTAINER_ID,
/// filled by the replay) which stand for any one token.
pub fn same_tokens(article: &str, ran: &str) -> bool {
    let placeholder = regex::Regex::new(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|\b[A-Z]{4,}\b").unwrap();
    let split = |t: &str| {
        t.split_whitespace()
            .filter(|w| *w != "\\")
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let (a, r) = (
        split(article.trim_start_matches("sudo ")),
        split(ran.trim_start_matches("sudo ")),
    );
    a.len() == r.len()
        && a.iter().zip(&r).all(|(a, r)| {
            if a == r {
                return true;
            }
            let pattern = format!(
                "^{}$",
                placeholder
                    .split(&regex::escape(a))
                    .map(String::from)
                    .collect::<Vec<_>>()
                    .join(".+")
            );
            placeholder.is_match(a) && regex::Regex::new(&pattern).is_ok_and(|p| p.is_match(r))
        })
}

/// At least 90% of the article's docker commands appear, token for token, in the literal run's
/// JSON transcript; the share, and the ones missing, are printed.
pub fn assert_commands_replayed(report: &Value, slug: &str) {
    let wanted = article_docker_commands(slug);
    assert!(!wanted.is_empty(), "no docker commands found in {slug}");
    let ran: Vec<&str> = report["transcript"]
        .as_array()
        .expect("the literal report's transcript")
        .iter()
        .filter_map(|e| e["command"].as_str())
        .collect();
    let missing: Vec<&(usize, String)> = wanted
        .iter()
        .filter(|(_, c)| !ran.iter().any(|r| same_tokens(c, r)))
        .collect();
    let found = wanted.len() - missing.len();
    eprintln!(
        "{slug}: {found} of {} docker commands ran as written; missing: {missing:?}",
        wanted.len()
    );
    assert!(
        found * 10 >= wanted.len() * 9,
        "{slug}: only {found} of {} docker commands ran as written; missing: {missing:?}",
        wanted.len()
    );
}
