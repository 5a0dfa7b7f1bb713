//! The steps a tutorial asks for, in the order the reader finds them, each with its line in the file.

use serde_json::{json, Value};

/// Where a command runs, from the title of its fence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// "Local Machine Terminal" (also "... #2"): a shell in the project folder on the engine's host.
    Host,
    /// "JupyterLab UI Terminal": a shell in the Jupyter container.
    Jupyter,
    /// "Local Machine Conda Shell": a shell in the container the previous step started.
    StartedContainer,
    /// "LISH Console": the remote engine of the deploy article.
    Remote,
    /// Any other title, kept as written.
    Other(String),
}

impl Place {
    pub fn from_title(title: &str) -> Place {
        let t = title.trim();
        let lower = t.to_lowercase();
        if lower.starts_with("local machine terminal") {
            Place::Host
        } else if lower.contains("jupyterlab ui terminal") {
            Place::Jupyter
        } else if lower.contains("conda shell") {
            Place::StartedContainer
        } else if lower.starts_with("lish") {
            Place::Remote
        } else {
            Place::Other(t.to_string())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Place::Host => "host",
            Place::Jupyter => "jupyter",
            Place::StartedContainer => "started-container",
            Place::Remote => "remote",
            Place::Other(title) => title,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A shell command (one command: `\` continuations and heredocs are joined).
    Command { place: Place, text: String },
    /// A file written into the project folder before the next command.
    File {
        name: String,
        lang: String,
        content: String,
    },
    /// Code to run in the notebook's kernel, in order.
    Cell { notebook: String, code: String },
    /// What the step at `of_line` should print (None: no step before it).
    Output {
        text: String,
        of_line: Option<usize>,
    },
    /// A key press the prose asks for (Ctrl+C), sent to the long-running command at `to_line`.
    Signal {
        signal: &'static str,
        to_line: usize,
    },
    /// A step the replay cannot perform, and why.
    CannotRun { text: String, why: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line of the step in the article (the command's own line inside a fence).
    pub line: usize,
    /// Last line of the block the step came from (the closing fence); `line` for prose steps.
    pub end: usize,
    /// Column of the list item the step sits in: where a note about it goes in a report.
    pub column: usize,
    pub kind: StepKind,
}

impl Step {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            StepKind::Command { .. } => "command",
            StepKind::File { .. } => "file",
            StepKind::Cell { .. } => "cell",
            StepKind::Output { .. } => "output",
            StepKind::Signal { .. } => "signal",
            StepKind::CannotRun { .. } => "cannot-run",
        }
    }

    /// Whether the replay runs it (an output, or a block that cannot run, is only read).
    pub fn runs(&self) -> bool {
        matches!(
            self.kind,
            StepKind::Command { .. }
                | StepKind::File { .. }
                | StepKind::Cell { .. }
                | StepKind::Signal { .. }
        )
    }

    /// The text the step shows: the command, file content, cell code, output or prose.
    pub fn text(&self) -> &str {
        match &self.kind {
            StepKind::Command { text, .. }
            | StepKind::Output { text, .. }
            | StepKind::CannotRun { text, .. } => text,
            StepKind::File { content, .. } => content,
            StepKind::Cell { code, .. } => code,
            StepKind::Signal { signal, .. } => signal,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = match &self.kind {
            StepKind::Command { place, text } => json!({"place": place.name(), "text": text}),
            StepKind::File {
                name,
                lang,
                content,
            } => json!({"name": name, "lang": lang, "content": content}),
            StepKind::Cell { notebook, code } => json!({"notebook": notebook, "code": code}),
            StepKind::Output { text, of_line } => json!({"text": text, "of_line": of_line}),
            StepKind::Signal { signal, to_line } => json!({"signal": signal, "to_line": to_line}),
            StepKind::CannotRun { text, why } => json!({"text": text, "why": why}),
        };
        v["line"] = json!(self.line);
        v["kind"] = json!(self.kind_name());
        v
    }
}

/// The article's output block for `steps[index]`, if it shows one (an output follows its step).
pub fn expected_output(steps: &[Step], index: usize) -> Option<&Step> {
    steps.get(index + 1).filter(|s| {
        matches!(
            s.kind,
            StepKind::Output {
                of_line: Some(_),
                ..
            }
        )
    })
}

pub fn to_json(steps: &[Step]) -> Value {
    Value::Array(steps.iter().map(Step::to_json).collect())
}

/// How many steps of each kind, in a fixed order: command, file, cell, output, signal, cannot-run.
pub fn counts(steps: &[Step]) -> [usize; 6] {
    let mut n = [0; 6];
    for s in steps {
        let i = ["command", "file", "cell", "output", "signal", "cannot-run"]
            .iter()
            .position(|k| *k == s.kind_name());
        n[i.unwrap_or(0)] += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_places() {
        assert_eq!(Place::from_title("Local Machine Terminal"), Place::Host);
        assert_eq!(Place::from_title("Local Machine Terminal #2"), Place::Host);
        assert_eq!(Place::from_title("JupyterLab UI Terminal"), Place::Jupyter);
        assert_eq!(
            Place::from_title("Local Machine Conda Shell"),
            Place::StartedContainer
        );
        assert_eq!(Place::from_title("LISH Console"), Place::Remote);
        assert_eq!(
            Place::from_title("Remote Server"),
            Place::Other("Remote Server".into())
        );
    }

    #[test]
    fn json_carries_line_and_kind() {
        let s = Step {
            line: 7,
            end: 9,
            column: 0,
            kind: StepKind::Command {
                place: Place::Host,
                text: "docker ps".into(),
            },
        };
        let v = s.to_json();
        assert_eq!(v["line"], 7);
        assert_eq!(v["kind"], "command");
        assert_eq!(v["place"], "host");
        assert_eq!(v["text"], "docker ps");
    }
}
