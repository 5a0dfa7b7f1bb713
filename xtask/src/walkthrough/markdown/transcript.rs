//! A replay's transcript: each step as it ran (where, what, its exit and output), in order. The
//! walkthrough's report reads it typed; the JSON keeps the shape a machine reads (`line`, `place`,
//! and `command`/`ran_as`, `cell`/`notebook` or `file`, then `exit` and `output`).

use serde_json::{json, Value};

/// What a step ran.
#[derive(Clone, Debug, PartialEq)]
pub enum Ran {
    /// A command as written, and the shell text it ran as (placeholders filled, stand-ins put in).
    Command { text: String, ran_as: String },
    /// A notebook cell's code, in the notebook it ran in.
    Cell { code: String, notebook: String },
    /// A file the article has the reader write, at its path.
    File { path: String },
}

/// One step of the transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The step's line in the article.
    pub line: usize,
    /// Where it ran (`host`, `jupyter`, a remote host's name).
    pub place: String,
    pub ran: Ran,
    /// None: it had not ended (a command still running, or stopped by the replay).
    pub exit: Option<i32>,
    pub output: String,
}

impl Entry {
    /// A command at `line`, run in `place`; its exit and output come when it ends.
    pub fn command(line: usize, place: &str, text: &str, ran_as: &str) -> Entry {
        let (text, ran_as) = (text.to_string(), ran_as.to_string());
        Entry::new(
            line,
            place,
            Ran::Command { text, ran_as },
            None,
            String::new(),
        )
    }

    /// A notebook cell at `line`, run in the Jupyter container's kernel.
    pub fn cell(line: usize, code: &str, notebook: &str, exit: Option<i32>, output: &str) -> Entry {
        let (code, notebook) = (code.to_string(), notebook.to_string());
        Entry::new(
            line,
            "jupyter",
            Ran::Cell { code, notebook },
            exit,
            output.to_string(),
        )
    }

    /// A file written to `path` for the step at `line`.
    pub fn file(line: usize, path: &str, exit: i32) -> Entry {
        let path = path.to_string();
        Entry::new(line, "host", Ran::File { path }, Some(exit), String::new())
    }

    fn new(line: usize, place: &str, ran: Ran, exit: Option<i32>, output: String) -> Entry {
        let place = place.to_string();
        Entry {
            line,
            place,
            ran,
            exit,
            output,
        }
    }

    /// The command or cell as written (None for a file).
    pub fn shown(&self) -> Option<&str> {
        match &self.ran {
            Ran::Command { text, .. } => Some(text),
            Ran::Cell { code, .. } => Some(code),
            Ran::File { .. } => None,
        }
    }

    pub fn json(&self) -> Value {
        let mut v = json!({"line": self.line, "place": self.place});
        match &self.ran {
            Ran::Command { text, ran_as } => {
                v["command"] = json!(text);
                v["ran_as"] = json!(ran_as);
            }
            Ran::Cell { code, notebook } => {
                v["cell"] = json!(code);
                v["notebook"] = json!(notebook);
            }
            Ran::File { path } => v["file"] = json!(path),
        }
        v["exit"] = json!(self.exit);
        // A file's entry has no output of its own: its step's result says what writing it printed.
        if !matches!(self.ran, Ran::File { .. }) {
            v["output"] = json!(self.output);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_keeps_its_json_keys() {
        let entry = |ran| Entry {
            line: 3,
            place: "host".into(),
            ran,
            exit: Some(0),
            output: "ok\n".into(),
        };
        let command = entry(Ran::Command {
            text: "docker ps".into(),
            ran_as: "docker ps".into(),
        });
        assert_eq!(
            command.json(),
            json!({"line": 3, "place": "host", "command": "docker ps", "ran_as": "docker ps", "exit": 0, "output": "ok\n"})
        );
        assert_eq!(command.shown(), Some("docker ps"));
        let file = entry(Ran::File {
            path: "/p/Dockerfile".into(),
        });
        assert_eq!(
            file.json(),
            json!({"line": 3, "place": "host", "file": "/p/Dockerfile", "exit": 0})
        );
        assert_eq!(file.shown(), None);
        let cell = entry(Ran::Cell {
            code: "print(1)".into(),
            notebook: "n.ipynb".into(),
        });
        assert_eq!(cell.json()["cell"], "print(1)");
        assert_eq!(cell.json()["notebook"], "n.ipynb");
    }
}
