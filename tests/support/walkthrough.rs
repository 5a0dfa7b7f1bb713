//! Walkthrough reports, held against each article's claim catalogue (`claims.md` beside its code,
//! the verdicts pinned from the article and STEPS*.md in shared/series, which record what its
//! exact commands did on a real engine): every claim reported is a row, with the row's verdict, and
//! every row of the mode is reported.

use serde_json::Value;
use xtask::walkthrough::catalogue::{self, Verdict};

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

/// The report's (first) claim of the catalogue row `id`.
pub fn claim<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("the report has no claim {id}"))
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

/// (holds, expected, checkable) as the report must give them for a claim of this verdict.
fn reported(verdict: Verdict) -> (bool, bool, bool) {
    match verdict {
        Verdict::Holds => (true, true, true),
        Verdict::Erratum => (false, false, true),
        Verdict::NotCheckable | Verdict::Absent => (false, false, false),
    }
}

/// Every claim of the report is a row of the catalogue of article `short` (by id and section; a
/// row of no section is any section's), with the row's words and the verdict the row gives its
/// mode; and every row of the mode, of a section the report ran, is reported. A new, lost or
/// reworded claim fails until the catalogue says so.
pub fn assert_claims(report: &Value, short: &str) {
    let catalogue = catalogue::of(short);
    super::sources::assert_sources(catalogue);
    let mode = match report["mode"].as_str() {
        Some("literal") => xtask::walkthrough::Mode::Literal,
        Some("corrected") => xtask::walkthrough::Mode::Corrected,
        other => panic!("unknown mode {other:?}"),
    };
    let claims = report["claims"].as_array().expect("claims");
    assert!(!claims.is_empty(), "the report has no claims");
    let mut used = vec![false; catalogue.rows.len()];
    for c in claims {
        let (id, section) = (c["id"].as_str().unwrap(), c["section"].as_str().unwrap());
        let row = catalogue.find(id, section).unwrap_or_else(|| {
            panic!("claim {id} of section {section:?} is no row of {short}'s claims.md")
        });
        let verdict = row.verdict(mode);
        assert_ne!(
            verdict,
            Verdict::Absent,
            "{id} is not made in this mode, says claims.md, yet the report has it"
        );
        assert_eq!(
            c["claim"],
            row.claim.as_str(),
            "{id}: the report's words are not the catalogue's"
        );
        let got = (
            c["holds"].as_bool().unwrap(),
            c["expected"].as_bool().unwrap(),
            c["checkable"].as_bool().expect("checkable"),
        );
        assert_eq!(got, reported(verdict), "{id} is `{}` in claims.md; the walkthrough said (holds, expected, checkable) = {got:?}: {}", verdict.word(), c["evidence"]);
        used[catalogue
            .rows
            .iter()
            .position(|r| std::ptr::eq(r, row))
            .unwrap()] = true;
    }
    let ran: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for (row, used) in catalogue.rows.iter().zip(used) {
        let made = row.verdict(mode) != Verdict::Absent;
        if made && (row.section.is_empty() || ran.contains(&row.section)) {
            assert!(
                used,
                "claims.md's row {} of section {:?} is not reported",
                row.id, row.section
            );
        }
    }
}

/// The `docker ...` commands of an article's fences (continuation lines joined; `docker search`
/// left out, since no local registry can answer it), each with its line: what the literal replay
/// must run as written.
pub fn article_docker_commands(slug: &str) -> Vec<(usize, String)> {
    let text = series_text(slug);
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

/// The text of the series article `slug` (../shared/series/SLUG.md).
pub fn series_text(slug: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series")
        .join(format!("{slug}.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the series is read from ../shared beside the project)",
            path.display()
        )
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
