//! A real output against the article's ```` ```output ````: tables (`docker ps`, `images`,
//! `volume ls`: columns split by two or more spaces) row by row and column by column, other text
//! line by line; volatile parts masked (see `mask`), `...` lines and the article's placeholders
//! matching anything.
//!
//! Table rows are compared as a set, not in order: docker sorts `ps` and `images` by creation
//! time and `volume ls` by name, so the article's order reflects its author's engine history, not a
//! claim. Extra real rows differ (the replay's engine is its own) unless the article elides rows
//! with `...`. Text is compared in order.

use super::compare_table::{compare_tables, table_columns};
use super::mask::mask;
pub use super::pattern::Verdict;
use super::pattern::{finish, is_elision, Pattern};

/// Lines compared on each side: a longer article block is too long to compare, a longer real
/// output is compared by its first lines. Keeps time and memory bounded on hostile input.
const MAX_LINES: usize = 5000;

/// Largest alignment table (cells of 4 bytes) built for text; past it, a linear comparison.
const MAX_CELLS: usize = 4_000_000;

pub fn compare(expected: &str, actual: &str, placeholders: &[String]) -> Verdict {
    let expected: Vec<(usize, &str)> = expected
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !is_prompt_line(l))
        .collect();
    let actual: Vec<&str> = actual
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LINES)
        .collect();
    if expected.len() > MAX_LINES {
        let why = format!(
            "… the article's block has {} lines: too long to compare (at most {MAX_LINES})",
            expected.len()
        );
        return Verdict::Differs { diff: why, at: 0 };
    }
    match expected
        .iter()
        .find(|(_, l)| !is_elision(l))
        .and_then(|(_, l)| table_columns(l))
    {
        Some(_) => compare_tables(&expected, &actual, placeholders),
        None => compare_lines(&expected, &actual, placeholders),
    }
}

/// A shell prompt and the command typed at it, as an author copied it with the output
/// (`[user@linode ~]$ docker volume ls`, `root@web:/# ls`, `$ docker ps`): the replay's real
/// output never holds it, so it is no part of what is compared. A bare `# comment` is content.
fn is_prompt_line(line: &str) -> bool {
    static PROMPT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    super::text::re(
        &PROMPT,
        r"^\s*(?:\([\w.-]+\) )?(?:\[[\w.-]+@[\w.-]+ [^\]]*\][$#]|[\w.-]+@[\w.-]+:[^\s$#]*[$#]|\$) \S",
    )
    .is_match(line)
}

enum Op {
    Same(usize),
    Missing(usize),
    Extra(usize),
}

/// Text in order: the cheapest alignment of the article's lines with the real ones, where `...`
/// swallows any run of real lines, a missing or an extra line costs one.
fn compare_lines(expected: &[(usize, &str)], actual: &[&str], placeholders: &[String]) -> Verdict {
    let pats: Vec<Pattern> = expected
        .iter()
        .map(|(_, l)| Pattern::new(l, placeholders))
        .collect();
    let real: Vec<String> = actual.iter().map(|l| mask(l)).collect();
    let (n, m) = (pats.len(), real.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        return compare_long(&pats, &real, expected);
    }
    // cost[i][j]: cheapest alignment of pats[i..] with real[j..].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                (m - j) as u32
            } else if matches!(pats[i], Pattern::Any) {
                if j < m {
                    cost[i + 1][j].min(cost[i][j + 1])
                } else {
                    cost[i + 1][j]
                }
            } else {
                let mut best = 1 + cost[i + 1][j];
                if j < m {
                    best = best.min(1 + cost[i][j + 1]);
                    if pats[i].matches(&real[j]) {
                        best = best.min(cost[i + 1][j + 1]);
                    }
                }
                best
            };
        }
    }
    if cost[0][0] == 0 {
        return Verdict::Matches;
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        let here = cost[i][j];
        if i < n && matches!(pats[i], Pattern::Any) {
            if cost[i + 1][j] == here {
                i += 1
            } else {
                j += 1
            }
        } else if i < n && j < m && pats[i].matches(&real[j]) && cost[i + 1][j + 1] == here {
            ops.push(Op::Same(i));
            (i, j) = (i + 1, j + 1);
        } else if i < n && 1 + cost[i + 1][j] == here {
            ops.push(Op::Missing(i));
            i += 1;
        } else {
            ops.push(Op::Extra(j));
            j += 1;
        }
    }
    render(&ops, &pats, &real, expected)
}

/// Text too long for the alignment table, in constant memory: whether the lines match (`...`
/// swallowing any run, as a glob's `*` does: back to the last `...` on a mismatch), and if not, a
/// one-pass diff that pairs lines in order.
fn compare_long(pats: &[Pattern], real: &[String], expected: &[(usize, &str)]) -> Verdict {
    let any = |i: usize| matches!(pats[i], Pattern::Any);
    let (n, m) = (pats.len(), real.len());
    let (mut i, mut j, mut star) = (0, 0, None);
    let matched = loop {
        if j == m {
            break (i..n).all(any);
        }
        if i < n && any(i) {
            star = Some((i, j));
            i += 1;
        } else if i < n && pats[i].matches(&real[j]) {
            (i, j) = (i + 1, j + 1);
        } else if let Some((si, sj)) = star {
            (i, j, star) = (si + 1, sj + 1, Some((si, sj + 1)));
        } else {
            break false;
        }
    };
    if matched {
        return Verdict::Matches;
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && any(i) {
            // Skip real lines up to the next one the line after `...` matches.
            while j < m && !(i + 1 < n && pats[i + 1].matches(&real[j])) {
                j += 1;
            }
            i += 1;
        } else if i < n && j < m && pats[i].matches(&real[j]) {
            ops.push(Op::Same(i));
            (i, j) = (i + 1, j + 1);
        } else {
            if i < n {
                ops.push(Op::Missing(i));
                i += 1;
            }
            if j < m {
                ops.push(Op::Extra(j));
                j += 1;
            }
        }
    }
    render(&ops, pats, real, expected)
}

/// The changed lines with one line of context, at most `DIFF_LINES`.
fn render(ops: &[Op], pats: &[Pattern], real: &[String], expected: &[(usize, &str)]) -> Verdict {
    let changed = |k: usize| ops.get(k).is_some_and(|op| !matches!(op, Op::Same(_)));
    let mut lines = Vec::new();
    let mut at = None;
    // The next article line to be matched, for an extra real line.
    let mut cursor = 0;
    for (k, op) in ops.iter().enumerate() {
        if at.is_none() && changed(k) {
            let i = if let Op::Missing(i) = op {
                *i
            } else {
                cursor.min(expected.len().saturating_sub(1))
            };
            at = expected.get(i).map(|(line, _)| *line);
        }
        let line = match op {
            Op::Same(i) => format!(" {}", pats[*i].shown()),
            Op::Missing(i) => format!("-{}", pats[*i].shown()),
            Op::Extra(j) => format!("+{}", real[*j]),
        };
        if let Op::Same(i) | Op::Missing(i) = op {
            cursor = i + 1;
        }
        if changed(k) || (k > 0 && changed(k - 1)) || changed(k + 1) {
            lines.push(line);
        }
    }
    finish(lines, at.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::pattern::DIFF_LINES;
    use super::*;

    #[test]
    fn prompt_lines_an_author_copied_are_not_compared() {
        for prompt in [
            "[mumbly@linode ~]$ docker volume list",
            "root@4f2a:/# ls /data",
            "user@host:~/project$ docker ps",
            "(base) root@web:/# conda info",
            "$ docker ps",
        ] {
            assert!(is_prompt_line(prompt), "{prompt}");
        }
        for content in [
            "# a comment",
            "$HOME is set",
            "total 4",
            "price: 3$ each",
            "#!/bin/sh",
        ] {
            assert!(!is_prompt_line(content), "{content}");
        }
        let article =
            "[mumbly@linode ~]$ docker volume list\nDRIVER    VOLUME NAME\nlocal     data";
        assert!(compare(article, "DRIVER    VOLUME NAME\nlocal     data", &[]).matches());
    }

    fn differs(v: Verdict) -> (String, usize) {
        match v {
            Verdict::Differs { diff, at } => (diff, at),
            Verdict::Matches => panic!("expected a difference"),
        }
    }

    #[test]
    fn elided_jupyter_log_matches_another_run() {
        let article = "...\n    To access the server, open this file in a browser:\n        file:///home/jovyan/.local/share/jupyter/runtime/jpserver-7-open.html\n    Or copy and paste one of these URLs:\n        http://a48d7be7e501:8888/lab?token=3a302df24cdc263306cc5975c6b96574f768ca8b639b4baf\n        http://127.0.0.1:8888/lab?token=3a302df24cdc263306cc5975c6b96574f768ca8b639b4baf\n...";
        let real = "Entered start.sh with args: jupyter lab\n[I 2025-01-01 10:00:00.000 ServerApp] started\n\n    To access the server, open this file in a browser:\n        file:///home/jovyan/.local/share/jupyter/runtime/jpserver-8-open.html\n    Or copy and paste one of these URLs:\n        http://0123456789ab:8888/lab?token=ffffffffffffffffffffffffffffffffffffffffffffffff\n        http://127.0.0.1:8888/lab?token=ffffffffffffffffffffffffffffffffffffffffffffffff\n[I 2025-01-01 10:00:01.000 ServerApp] more";
        assert_eq!(compare(article, real, &[]), Verdict::Matches);
        let wrong_port = real.replace("127.0.0.1:8888", "127.0.0.1:9999");
        let (diff, at) = differs(compare(article, &wrong_port, &[]));
        // The real line with 9999 is swallowed by the article's closing `...`: only the missing line shows.
        assert_eq!(
            diff,
            " http://<id>:8888/lab?token=<token>\n-http://<loopback>:8888/lab?token=<token>"
        );
        assert_eq!(at, 5);
    }

    #[test]
    fn docker_ps_rows_compare_by_column_in_any_order() {
        let article = "CONTAINER ID   IMAGE                                  COMMAND                  CREATED              STATUS                        PORTS                    NAMES\ne72144985a37   custom-jupyter-image:mysql-connected   \"tini -g -- start-no…\"   About a minute ago   Up About a minute (healthy)   0.0.0.0:8888->8888/tcp   custom-jupyter-container-mysql\ncb1f84e3c755   mysql                                  \"docker-entrypoint.s…\"   24 minutes ago       Up 24 minutes                 3306/tcp, 33060/tcp      mysql-db";
        let real = "CONTAINER ID   IMAGE                                  COMMAND                  CREATED          STATUS                    PORTS                                       NAMES\n0a1b2c3d4e5f   mysql                                  \"docker-entrypoint.s…\"   5 seconds ago    Up 4 seconds              3306/tcp, 33060/tcp                         mysql-db\n9f8e7d6c5b4a   custom-jupyter-image:mysql-connected   \"tini -g -- start-no…\"   2 minutes ago    Up 2 minutes (healthy)    0.0.0.0:8888->8888/tcp, :::8888->8888/tcp   custom-jupyter-container-mysql";
        assert_eq!(compare(article, real, &[]), Verdict::Matches);
        let only_mysql: String = real.lines().take(2).collect::<Vec<_>>().join("\n");
        let (diff, at) = differs(compare(article, &only_mysql, &[]));
        assert!(
            diff.starts_with("-<id>  custom-jupyter-image:mysql-connected"),
            "{diff}"
        );
        assert_eq!(at, 1);
        let extra =
            format!("{real}\n111111111111   other   \"sh\"   1 second ago   Up 1 second      x");
        assert!(differs(compare(article, &extra, &[]))
            .0
            .starts_with("+<id>  other"));
    }

    #[test]
    fn one_real_row_stands_for_one_article_row_only() {
        let article =
            "IMAGE ID       NAME\n0123456789ab   web\n0123456789ab   web\n0123456789ab   db";
        let real = "IMAGE ID       NAME\nba9876543210   db\nba9876543210   web";
        let (diff, at) = differs(compare(article, real, &[]));
        assert_eq!((diff.as_str(), at), ("-<id>  web", 2));
        assert_eq!(
            compare(article, &format!("{real}\n111111111111   web"), &[]),
            Verdict::Matches
        );
    }

    #[test]
    fn a_table_with_the_wrong_header_differs_at_the_header() {
        let article = "DRIVER    VOLUME NAME\nlocal     c997c3b9795136e1960318194ef37821093f02fd82301fb058d13dbbc65d93d6";
        let real = "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES";
        let (diff, at) = differs(compare(article, real, &[]));
        assert_eq!(
            diff,
            "-DRIVER VOLUME NAME\n+CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES"
        );
        assert_eq!(at, 0);
        let volumes = "DRIVER    VOLUME NAME\nlocal     0f8af09353ab6f969792bc4f7a64e28e4cf4fa752f9c2a8140cb7fb17f5ed0a8";
        assert_eq!(compare(article, volumes, &[]), Verdict::Matches);
    }

    #[test]
    fn text_differences_and_placeholders() {
        let (diff, at) = differs(compare(
            "connection sucessfully",
            "connection successfully\n",
            &[],
        ));
        assert_eq!(diff, "-connection sucessfully\n+connection successfully");
        assert_eq!(at, 0);
        let article =
            "file:///home/EXAMPLE_USER/.local/share/jupyter/runtime/jpserver-7262-open.html";
        let real = "file:///home/jovyan/.local/share/jupyter/runtime/jpserver-12-open.html";
        assert!(!compare(article, real, &[]).matches());
        assert_eq!(
            compare(article, real, &["EXAMPLE_USER".to_string()]),
            Verdict::Matches
        );
        assert_eq!(
            compare(
                " ✔ Container mysql-db  Rem...   1.5s",
                "✔ Container mysql-db  Removed  0.3s",
                &[]
            ),
            Verdict::Matches
        );
    }

    #[test]
    fn long_differences_are_cut_short() {
        let article: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        let real: Vec<String> = (0..30).map(|i| format!("other {i}")).collect();
        let (diff, _) = differs(compare(&article.join("\n"), &real.join("\n"), &[]));
        assert_eq!(diff.lines().count(), DIFF_LINES + 1);
        assert!(diff.ends_with("more lines"), "{diff}");
    }
}
