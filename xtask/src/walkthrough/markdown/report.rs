//! The replay's report: the article's own text with each block followed by what happened (Markdown),
//! the same as JSON, and a one-screen summary. Secrets are redacted everywhere.

use serde_json::{json, Value};

use super::causes::{self, Cause, Ran};
use super::compare::Verdict;
use super::steps::{expected_output, Step};

mod summary;

/// A claim the executor checked at a step (e.g. "the volume survives the container").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub text: String,
    pub holds: bool,
    pub evidence: String,
}

/// What happened when a step ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepResult {
    /// Index of the step in the list the report is given (two steps can share a line).
    pub step: usize,
    /// Exit code (a cell: 0 or 1); None when it was not run, with `note` saying why.
    pub exit: Option<i32>,
    /// What it printed.
    pub output: String,
    /// The verdict on the article's output block for this step (see `steps::expected_output`).
    pub verdict: Option<Verdict>,
    pub claims: Vec<Claim>,
    pub note: Option<String>,
}

pub struct Report<'a> {
    pub title: &'a str,
    pub article: &'a str,
    pub steps: &'a [Step],
    pub results: &'a [StepResult],
    /// Values that must never be shown (passwords the replay set).
    pub secrets: &'a [String],
    /// Why the replay stopped before the article's end (the sandbox died), if it did.
    pub stopped: Option<&'a str>,
}

/// The article line where a difference `at` (0-based in the block) lies.
pub fn difference_line(article: &str, output: &Step, at: usize) -> usize {
    difference_line_in(&article.lines().collect::<Vec<_>>(), output, at)
}

/// The same, with the article's lines at hand (a report asks for many: never count them again).
pub fn difference_line_in(article: &[&str], output: &Step, at: usize) -> usize {
    let opening = article
        .get(output.line.saturating_sub(1))
        .copied()
        .unwrap_or("")
        .trim_start();
    let body_starts_after =
        opening.starts_with("```") || opening.starts_with("~~~") || opening.starts_with("{{");
    output.line + usize::from(body_starts_after) + at
}

impl Report<'_> {
    /// Step `index`'s result: results come in step order, so a binary search finds it.
    pub(super) fn result(&self, index: usize) -> Option<&StepResult> {
        let at = self.results.partition_point(|r| r.step < index);
        self.results
            .get(at)
            .filter(|r| r.step == index)
            .or_else(|| self.results.iter().find(|r| r.step == index))
    }

    /// Why `r` failed (None when it did not).
    pub(super) fn cause(&self, r: &StepResult) -> Option<Cause> {
        let at = self.results.iter().position(|x| std::ptr::eq(x, r))?;
        let ran: Vec<Ran> = self.results[..=at]
            .iter()
            .map(|r| Ran {
                step: r.step,
                exit: r.exit,
                output: &r.output,
            })
            .collect();
        causes::of(self.steps, &ran, at)
    }

    fn line(&self, r: &StepResult) -> usize {
        self.steps.get(r.step).map_or(0, |s| s.line)
    }

    pub(super) fn redact(&self, text: &str) -> String {
        super::text::redact(text, self.secrets)
    }

    pub fn json(&self) -> Value {
        let c = self.counts();
        let lines: Vec<&str> = self.article.lines().collect();
        let steps: Vec<Value> = self
            .steps
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut v = s.to_json();
                if let Some(r) = self.result(k) {
                    v["result"] = self.result_json(&lines, r);
                }
                v
            })
            .collect();
        let mut by_cause = serde_json::Map::new();
        for cause in self.results.iter().filter_map(|r| self.cause(r)) {
            let n = by_cause.entry(cause.kind.name()).or_insert(json!(0));
            *n = json!(n.as_u64().unwrap_or(0) + 1);
        }
        let summary = json!({
            "runnable": c.runnable, "run": c.run, "failed": c.failed, "failed_by_cause": by_cause, "outputs": c.outputs,
            "outputs_matching": c.outputs_matching, "cannot_run": c.cannot_run, "needs_value": c.needs_value, "claims": c.claims, "claims_holding": c.claims_holding,
        });
        self.redact_json(json!({"title": self.title, "summary": summary, "steps": steps, "stopped": self.stopped}))
    }

    fn redact_json(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|v| self.redact_json(v)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| (k, self.redact_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    fn result_json(&self, lines: &[&str], r: &StepResult) -> Value {
        let verdict = r.verdict.as_ref().map(|v| {
            let out = expected_output(self.steps, r.step);
            match v {
                Verdict::Matches => json!({"output_line": out.map(|o| o.line), "matches": true}),
                Verdict::Differs { diff, at } => json!({
                    "output_line": out.map(|o| o.line), "matches": false, "diff": diff,
                    "line": out.map(|o| difference_line_in(lines, o, *at)),
                }),
            }
        });
        let claims: Vec<Value> = r
            .claims
            .iter()
            .map(|c| json!({"claim": c.text, "holds": c.holds, "evidence": c.evidence}))
            .collect();
        let cause = self
            .cause(r)
            .map(|c| json!({"kind": c.kind.name(), "why": c.why}));
        json!({"exit": r.exit, "output": r.output, "verdict": verdict, "claims": claims, "note": r.note, "cause": cause})
    }
}

#[cfg(test)]
mod tests {
    use super::super::{compare::compare, reader::read};
    use super::*;

    const ARTICLE: &str = "---\ntitle: \"Demo\"\n---\n\n1.  Start it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -d --name web img\n    docker ps\n    ```\n\n    ```output\n    CONTAINER ID   IMAGE   NAMES\n    0123456789ab   img     web\n    ```\n\n1.  Search:\n\n    ```command\n    docker search img\n    ```\n";

    fn results(secret: &str) -> Vec<StepResult> {
        let real =
            format!("CONTAINER ID   IMAGE   NAMES\nba9876543210   img     web2\npassword {secret}");
        let verdict = compare(
            "CONTAINER ID   IMAGE   NAMES\n0123456789ab   img     web",
            &real,
            &[],
        );
        vec![
            StepResult {
                step: 0,
                exit: Some(0),
                output: "f00d".into(),
                claims: vec![Claim {
                    text: "it runs".into(),
                    holds: true,
                    evidence: format!("pw {secret}"),
                }],
                ..Default::default()
            },
            StepResult {
                step: 1,
                exit: Some(0),
                output: real,
                verdict: Some(verdict),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn markdown_puts_each_verdict_after_its_block_and_redacts() {
        let steps = read(ARTICLE);
        let secrets = vec!["s3cret-pw".to_string()];
        let results = results("s3cret-pw");
        let report = Report {
            title: "Demo",
            article: ARTICLE,
            steps: &steps,
            results: &results,
            secrets: &secrets,
            stopped: None,
        };
        let md = report.markdown();
        assert!(
            !md.contains("s3cret-pw") && md.contains("<redacted>"),
            "{md}"
        );
        assert!(!md.contains("title: \"Demo\""), "front matter is left out");
        let after_command = md.split("    docker ps\n    ```\n").nth(1).unwrap();
        assert!(
            after_command
                .starts_with("\n    > **ran** (line 8): exit 0\n    > claim holds: it runs"),
            "{after_command}"
        );
        let after_output = md
            .split("    0123456789ab   img     web\n    ```\n")
            .nth(1)
            .unwrap();
        assert!(
            after_output.starts_with("\n    > output **differs** from line 14:"),
            "{after_output}"
        );
        assert!(
            after_output.contains("    > -<id>  img  web\n")
                && after_output.contains("<details><summary>real output (3 lines)"),
            "{after_output}"
        );
        assert!(
            md.contains("    > **cannot run** (line 20): docker search"),
            "{md}"
        );
    }

    #[test]
    fn summary_and_json_count_what_happened() {
        let steps = read(ARTICLE);
        let results = results("s3cret-pw");
        let secrets = vec!["s3cret-pw".to_string()];
        let report = Report {
            title: "Demo",
            article: ARTICLE,
            steps: &steps,
            results: &results,
            secrets: &secrets,
            stopped: None,
        };
        let summary = report.summary();
        assert!(summary.starts_with("Demo: 2 of 2 steps run, 0 failed; outputs matching: 0 of 1; claims holding: 1 of 1; cannot run: 1"), "{summary}");
        assert!(
            summary.contains("outputs differing: line 14")
                && summary.contains("cannot run (line 20): docker search"),
            "{summary}"
        );
        let json = report.json();
        assert_eq!(json["summary"]["outputs_matching"], 0);
        assert_eq!(json["steps"][2]["kind"], "output");
        assert_eq!(json["steps"][1]["result"]["verdict"]["line"], 14);
        assert!(!json.to_string().contains("s3cret-pw"));
    }

    #[test]
    fn two_steps_on_one_line_keep_their_own_results() {
        let article = "1.  Start:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -it --rm img sh\n    ```\n\n1.  Press <kbd>CTRL</kbd>+<kbd>C</kbd>, then type `exit` and press <kbd>Enter</kbd>.\n";
        let steps = read(article);
        assert_eq!((steps[1].line, steps[2].line), (7, 7));
        let secret = r#"p"w\x"#.to_string();
        let results = vec![
            StepResult {
                step: 0,
                exit: Some(130),
                output: format!("pw {secret}"),
                ..Default::default()
            },
            StepResult {
                step: 1,
                exit: Some(0),
                ..Default::default()
            },
            StepResult {
                step: 2,
                exit: None,
                note: Some("the shell had ended".into()),
                ..Default::default()
            },
        ];
        let secrets = vec![secret.clone()];
        let report = Report {
            title: "Two",
            article,
            steps: &steps,
            results: &results,
            secrets: &secrets,
            stopped: None,
        };
        let md = report.markdown();
        assert!(
            md.contains("    > **ran** (line 7): exit 0\n")
                && md.contains("    > **not run** (line 7): the shell had ended"),
            "{md}"
        );
        assert!(
            report.summary().contains("failed: line 4 (exit 130)"),
            "{}",
            report.summary()
        );
        let json = report.json();
        assert_eq!(json["steps"][0]["result"]["output"], "pw <redacted>");
        assert!(!json.to_string().contains("p\\\"w"));
    }
}
