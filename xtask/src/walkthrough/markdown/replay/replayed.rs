//! What a replay found, as the maintainer reads it: the Markdown report with its notes, and the
//! JSON, both with the run's secrets redacted.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::super::steps::Step;
use super::super::text::redact;
use super::super::transcript::Entry;
use super::super::{Report, StepResult};
use super::Checked;

/// What a replay found.
pub struct Replayed {
    pub path: PathBuf,
    pub title: String,
    pub article: String,
    pub steps: Vec<Step>,
    pub results: Vec<StepResult>,
    pub transcript: Vec<Entry>,
    pub notes: Vec<String>,
    pub claims: Vec<Checked>,
    /// What each placeholder may stand for in an output, as the comparison took it.
    pub wildcards: Vec<String>,
    pub sandbox: String,
    pub secrets: Arc<Vec<String>>,
    /// Why the replay stopped before the article's end (the sandbox died), naming the line.
    pub stopped: Option<String>,
}

impl Replayed {
    pub fn report(&self) -> Report<'_> {
        Report {
            title: &self.title,
            article: &self.article,
            steps: &self.steps,
            results: &self.results,
            secrets: &self.secrets,
            stopped: self.stopped.as_deref(),
        }
    }

    pub fn json(&self) -> Value {
        let mut v = self.report().json();
        v["article"] = json!(self.path.display().to_string());
        v["sandbox"] = json!(self.sandbox);
        v["notes"] = redact_json(json!(self.notes), &self.secrets);
        let transcript = self.transcript.iter().map(Entry::json).collect();
        v["transcript"] = redact_json(Value::Array(transcript), &self.secrets);
        v
    }

    pub fn markdown(&self) -> String {
        format!(
            "{}\n{}",
            self.report().markdown(),
            notes_markdown(&self.notes, &self.steps, &self.results, &self.secrets)
        )
    }
}

/// The notes section of the Markdown report: stand-ins, then each step's note by line.
fn notes_markdown(
    notes: &[String],
    steps: &[Step],
    results: &[super::StepResult],
    secrets: &[String],
) -> String {
    let mut md = String::from("## Replay notes\n\n");
    for n in notes {
        md.push_str(&format!("- {n}\n"));
    }
    // Lines in a row with the same note (all those a stopped sandbox kept from running) once.
    let mut noted: Vec<(Vec<String>, &str)> = Vec::new();
    for r in results {
        if let Some(note) = &r.note {
            let line = steps[r.step].line.to_string();
            match noted.last_mut() {
                Some((lines, last)) if last == note => lines.push(line),
                _ => noted.push((vec![line], note)),
            }
        }
    }
    for (lines, note) in noted {
        let label = if lines.len() == 1 { "line" } else { "lines" };
        md.push_str(&format!("- {label} {}: {note}\n", lines.join(", ")));
    }
    redact(&md, secrets)
}

fn redact_json(value: Value, secrets: &[String]) -> Value {
    match value {
        Value::String(s) => Value::String(redact(&s, secrets)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| redact_json(v, secrets)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, redact_json(v, secrets)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::reader;

    #[test]
    fn a_run_the_sandbox_stopped_reports_what_ran_and_where_it_stopped() {
        let article = "```command\necho one\n```\n\n```command\nsleep 60\n```\n\n```command\ndocker ps\n```\n\n```output\nCONTAINER ID\n```\n\n```command\ndocker images\n```\n";
        let steps = reader::read(article);
        let why = "the sandbox s stopped during line 6 (its container exited with code 137: killed, or out of memory): the replay cannot go on; run it again";
        let ended = "the sandbox s stopped at line 6: its container exited with code 137: killed, or out of memory";
        let not_run = |step: usize, note: String| StepResult {
            step,
            note: Some(note),
            ..Default::default()
        };
        let replayed = Replayed {
            path: "a.md".into(),
            title: "A".into(),
            article: article.into(),
            steps,
            transcript: vec![],
            notes: vec![],
            claims: vec![],
            wildcards: vec![],
            results: vec![
                StepResult {
                    step: 0,
                    exit: Some(0),
                    output: "one".into(),
                    ..Default::default()
                },
                not_run(1, format!("cut short (exit 137): {ended}")),
                not_run(2, ended.into()),
                not_run(4, ended.into()),
            ],
            sandbox: "s".into(),
            secrets: Arc::new(vec![]),
            stopped: Some(why.into()),
        };
        let md = replayed.markdown();
        assert!(
            md.contains(&format!("STOPPED before the article's end: {why}"))
                && md.contains("> **ran** (line 2): exit 0")
                && md.contains("1 of 4 steps run, 0 failed"),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "> **not run** (line 6): cut short (exit 137): {ended}"
            )) && md.contains(&format!("> **not run** (line 10): {ended}"))
                && md.contains(&format!("> **not run** (line 18): {ended}")),
            "{md}"
        );
        // Said once for all the lines it kept from running, in the summary and in the notes; the
        // output of a command never run is not "not compared".
        assert!(
            md.contains(&format!("lines 10, 18 ({ended})"))
                && md.contains(&format!("- lines 10, 18: {ended}"))
                && !md.contains("not compared"),
            "{md}"
        );
        let json = replayed.json();
        assert_eq!(json["stopped"], why);
        assert_eq!(json["steps"][2]["result"]["exit"], Value::Null);
        assert_eq!(json["steps"][2]["result"]["note"], ended);
    }
}
