//! Executing a notebook headlessly in the Jupyter container, and what went wrong, in one line a
//! person can act on. The executed notebook is the witness: the first error output in it names the
//! cell and the exception. nbconvert's log is read only when there is no executed notebook (the
//! file is missing or not JSON, the container stopped).

use serde_json::Value;

use super::url::strip_ansi;
use crate::engine::last_message;

/// nbconvert's documented way to execute a notebook from Python ("Executing notebooks", handling
/// errors): the same ExecutePreprocessor as `jupyter nbconvert --execute`, which stops at the
/// first cell that raises (as Run All does; `--allow-errors` would run the cells after it, which
/// may write outputs from a half-run state), and the notebook is written even when a cell raised,
/// with every output up to that cell. Arguments: NOTEBOOK EXECUTED TIMEOUT.
pub const EXECUTE: &str = r#"
import os, sys
import nbformat
from nbconvert.preprocessors import ExecutePreprocessor
notebook, executed, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.path.exists(executed):
    os.remove(executed)
nb = nbformat.read(notebook, as_version=4)
try:
    ExecutePreprocessor(timeout=timeout).preprocess(nb, {"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}})
finally:
    os.makedirs(os.path.dirname(executed), exist_ok=True)
    nbformat.write(nb, executed)
"#;

/// Where the executed copy of a notebook goes in the container (never on the read-only notebooks).
pub const EXECUTED_DIR: &str = "/tmp/executed";

pub fn executed_path(notebook: &str) -> String {
    let file = notebook.rsplit('/').next().unwrap_or(notebook);
    format!("{EXECUTED_DIR}/{file}")
}

/// What a notebook path names inside the container, as [`KIND`] prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    File,
    /// A folder, with up to three notebooks inside it.
    Folder(Vec<String>),
    Missing,
    /// Something else (a socket, a device): not a notebook.
    Other,
}

/// `sh -c KIND sh PATH`: one line saying what PATH is, then, for a folder, notebooks inside it.
pub const KIND: &str = r#"if [ -d "$1" ]; then echo folder; cd -- "$1" && ls -1 -- *.ipynb 2>/dev/null | head -n 3; elif [ -f "$1" ]; then echo file; elif [ -e "$1" ]; then echo other; else echo missing; fi; exit 0"#;

impl Found {
    pub fn parse(out: &str) -> Found {
        let mut lines = out.lines().map(str::trim).filter(|l| !l.is_empty());
        match lines.next() {
            Some("file") => Found::File,
            Some("folder") => Found::Folder(lines.map(String::from).collect()),
            Some("missing") => Found::Missing,
            _ => Found::Other,
        }
    }

    /// The error for anything but a file, naming the fix.
    pub fn refusal(&self, notebook: &str) -> Option<String> {
        match self {
            Found::File => None,
            Found::Folder(inside) => Some(match inside.first() {
                Some(first) => format!("{notebook} is a folder, not a notebook file: pass a notebook inside it, e.g. `cargo xtask run {notebook}/{first}`"),
                None => format!("{notebook} is a folder, not a notebook file (it holds no .ipynb file): pass the path of a notebook file"),
            }),
            Found::Missing => Some(missing(notebook)),
            Found::Other => Some(format!("{notebook} is not a regular file: pass the path of a notebook file")),
        }
    }
}

fn missing(notebook: &str) -> String {
    format!("{notebook} was not found in /work: check the name, or the folder given to `up --notebooks`")
}

/// The first error output of an executed notebook.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    /// 1-based, counting every cell (Markdown too), as a person counts down the notebook.
    pub cell: usize,
    /// The cell's first non-empty source line, to recognise it by.
    pub first_line: String,
    pub ename: String,
    pub evalue: String,
    pub traceback: Vec<String>,
}

/// The first cell output with `output_type == "error"` in an executed notebook's JSON; `None` when
/// the text is not a notebook or no cell raised.
pub fn first_error(executed: &str) -> Option<CellError> {
    let notebook: Value = serde_json::from_str(executed).ok()?;
    notebook["cells"]
        .as_array()?
        .iter()
        .enumerate()
        .find_map(|(i, cell)| {
            let error = cell["outputs"]
                .as_array()?
                .iter()
                .find(|o| o["output_type"] == "error")?;
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            // nbformat stores a cell's source as one string or as a list of lines.
            let source = match &cell["source"] {
                Value::Array(lines) => lines.iter().map(text).collect::<String>(),
                other => text(other),
            };
            Some(CellError {
                cell: i + 1,
                first_line: source
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or_default()
                    .to_string(),
                ename: text(&error["ename"]),
                evalue: text(&error["evalue"]),
                traceback: error["traceback"]
                    .as_array()
                    .map(|t| t.iter().map(text).collect())
                    .unwrap_or_default(),
            })
        })
}

impl CellError {
    /// ``cell 3 of x.ipynb (`raise ValueError('boom')`) raised ValueError: boom: fix the cell and run again``.
    pub fn message(&self, notebook: &str) -> String {
        let shown = match self.first_line.chars().count() {
            0 => String::new(),
            n if n <= 50 => format!(" (`{}`)", self.first_line),
            _ => format!(
                " (`{}...`)",
                self.first_line.chars().take(47).collect::<String>()
            ),
        };
        let ename = if self.ename.is_empty() {
            "an exception"
        } else {
            self.ename.as_str()
        };
        // One line: a multi-line message is joined.
        let evalue: Vec<&str> = self
            .evalue
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let raised = if evalue.is_empty() {
            ename.to_string()
        } else {
            format!("{ename}: {}", evalue.join(" "))
        };
        format!(
            "cell {} of {notebook}{shown} raised {raised}{}",
            self.cell,
            hint(&raised)
        )
    }

    /// The traceback as the cell showed it, without colours.
    pub fn traceback_text(&self) -> String {
        strip_ansi(&self.traceback.join("\n"))
    }
}

/// What to do about an exception: its fix when it is one the project knows.
fn hint(raised: &str) -> &'static str {
    if raised.contains("No space left on device") {
        ": the outputs volume is full; free space on it (earlier outputs are intact)"
    } else if raised.contains("Permission denied") {
        ": the notebook user cannot write there; mount the outputs volume where the notebook writes, owned by jovyan"
    } else {
        ": fix the cell and run again"
    }
}

/// Whether nbconvert's output names a problem of the notebook itself (rather than of its container).
pub fn names_a_notebook_error(log: &str) -> bool {
    [
        "CellExecutionError",
        "NotJSONError",
        "matched no files",
        "does not appear to be JSON",
    ]
    .iter()
    .any(|m| log.contains(m))
}

/// One line saying what went wrong, from nbconvert's output: for failures with no executed
/// notebook to read (not JSON, missing, the container stopped).
pub fn diagnose(notebook: &str, log: &str, container_running: bool) -> String {
    if !container_running {
        return format!("the container stopped while {notebook} ran: the outputs written before are kept on the volume; start it again with `cargo xtask up`");
    }
    let missing_file = log.contains(&format!("pattern '{notebook}' matched no files"))
        || (log.contains("No such file or directory")
            && log.contains(notebook)
            && !log.contains("CellExecutionError"));
    if missing_file {
        return missing(notebook);
    }
    if log.contains("NotJSONError")
        || log.contains("does not appear to be JSON")
        || log.contains("Notebook does not appear")
    {
        return format!("{notebook} is not a valid notebook (not JSON): restore it from version control or re-save it in JupyterLab");
    }
    if log.contains("CellExecutionError") || log.contains("An error occurred while executing") {
        let raised = log
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| is_exception_line(l))
            .unwrap_or("an exception (see above)");
        return format!("a cell of {notebook} raised {raised}{}", hint(raised));
    }
    format!("executing {notebook} failed: {}", last_message(log))
}

/// `PermissionError: [Errno 13] ...`, `ValueError: boom`, `OSError: [Errno 28] No space left on device`.
fn is_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else {
        return false;
    };
    let name = name.rsplit('.').next().unwrap_or(name);
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && (name.ends_with("Error") || name.ends_with("Exception") || name == "KeyboardInterrupt")
        && name != "CellExecutionError"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An executed notebook as nbformat writes it: a Markdown cell, a cell that printed, a cell
    /// that raised, a later cell that raised too (not reached in a real run; the first one counts).
    fn executed(evalue: &str) -> String {
        serde_json::json!({
            "cells": [
                {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Title"]},
                {"cell_type": "code", "execution_count": 1, "id": "a", "metadata": {},
                 "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hi\n"]}], "source": ["print('hi')"]},
                {"cell_type": "code", "execution_count": 2, "id": "b", "metadata": {},
                 "outputs": [{"output_type": "stream", "name": "stdout", "text": ["writing\n"]},
                             {"ename": "OSError", "evalue": evalue, "output_type": "error",
                              "traceback": ["\u{1b}[31mOSError\u{1b}[39m Traceback (most recent call last)", "\u{1b}[31mOSError\u{1b}[39m: x"]}],
                 "source": "\n  df.to_csv('outputs/x.csv')\nprint('done')"},
                {"cell_type": "code", "execution_count": 3, "id": "c", "metadata": {},
                 "outputs": [{"ename": "ValueError", "evalue": "later", "output_type": "error", "traceback": []}], "source": ["raise ValueError('later')"]}
            ],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5
        })
        .to_string()
    }

    #[test]
    fn the_first_error_output_names_cell_and_exception() {
        let error = first_error(&executed("[Errno 28] No space left on device")).unwrap();
        assert_eq!(
            (error.cell, error.first_line.as_str()),
            (3, "df.to_csv('outputs/x.csv')")
        );
        assert_eq!(
            (error.ename.as_str(), error.evalue.as_str()),
            ("OSError", "[Errno 28] No space left on device")
        );
        assert_eq!(
            error.message("computation.ipynb"),
            "cell 3 of computation.ipynb (`df.to_csv('outputs/x.csv')`) raised OSError: [Errno 28] No space left on device: the outputs volume is full; free space on it (earlier outputs are intact)"
        );
        assert_eq!(
            error.traceback_text(),
            "OSError Traceback (most recent call last)\nOSError: x"
        );
    }

    #[test]
    fn executed_notebooks_without_errors_or_not_notebooks() {
        let clean = serde_json::json!({"cells": [{"cell_type": "code", "execution_count": 1, "outputs": [], "source": []}]});
        assert_eq!(first_error(&clean.to_string()), None);
        assert_eq!(first_error("{ not json"), None);
        assert_eq!(first_error("{\"cells\": 3}"), None);
        // An error output missing its fields still names the cell; a multi-line message is one line.
        let bare = serde_json::json!({"cells": [{"cell_type": "code", "outputs": [{"output_type": "error"}]}]});
        assert_eq!(
            first_error(&bare.to_string()).unwrap().message("n.ipynb"),
            "cell 1 of n.ipynb raised an exception: fix the cell and run again"
        );
        let mut error = first_error(&executed("boom\n second line")).unwrap();
        error.ename = "ValueError".into();
        error.first_line = "x = 1; y = 2; z = 3; raise ValueError('a long line of code')".into();
        assert_eq!(error.message("n.ipynb"), "cell 3 of n.ipynb (`x = 1; y = 2; z = 3; raise ValueError('a long l...`) raised ValueError: boom second line: fix the cell and run again");
    }

    #[test]
    fn permission_errors_get_their_fix() {
        let mut error =
            first_error(&executed("[Errno 13] Permission denied: 'outputs/x.csv'")).unwrap();
        error.ename = "PermissionError".into();
        let message = error.message("c.ipynb");
        assert!(message.contains("raised PermissionError: [Errno 13] Permission denied: 'outputs/x.csv': the notebook user cannot write there"), "{message}");
    }

    #[test]
    fn what_a_path_is_in_the_container() {
        assert_eq!(Found::parse("file\n"), Found::File);
        assert_eq!(Found::parse("missing"), Found::Missing);
        assert_eq!(
            Found::parse("folder\na.ipynb\nb.ipynb\n"),
            Found::Folder(vec!["a.ipynb".into(), "b.ipynb".into()])
        );
        assert_eq!(Found::parse(""), Found::Other);
        let folder = Found::Folder(vec!["a.ipynb".into()])
            .refusal("work.ipynb")
            .unwrap();
        assert_eq!(folder, "work.ipynb is a folder, not a notebook file: pass a notebook inside it, e.g. `cargo xtask run work.ipynb/a.ipynb`");
        assert!(Found::Folder(vec![])
            .refusal("e.ipynb")
            .unwrap()
            .contains("holds no .ipynb file"));
        assert!(Found::Missing
            .refusal("x.ipynb")
            .unwrap()
            .contains("was not found in /work"));
        assert_eq!(Found::File.refusal("x.ipynb"), None);
        assert_eq!(executed_path("sub/dir/x.ipynb"), "/tmp/executed/x.ipynb");
    }

    #[test]
    fn cell_errors_in_the_log_name_the_exception() {
        let log = "Traceback (most recent call last):\nnbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:\n------------------\nraise ValueError('boom')\n------------------\n\nValueError                                Traceback (most recent call last)\nCell In[1], line 1\n----> 1 raise ValueError('boom')\n\nValueError: boom\n";
        assert_eq!(
            diagnose("n.ipynb", log, true),
            "a cell of n.ipynb raised ValueError: boom: fix the cell and run again"
        );
        assert!(names_a_notebook_error(log));
        let full = "CellExecutionError\nOSError: [Errno 28] No space left on device\n";
        assert!(diagnose("c.ipynb", full, true).contains("outputs volume is full"));
    }

    #[test]
    fn broken_json_missing_files_and_stopped_containers() {
        let bad = "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'not json'\n";
        assert!(diagnose("c.ipynb", bad, true).contains("not a valid notebook"));
        assert!(names_a_notebook_error(bad));
        let missing = "[NbConvertApp] WARNING | pattern 'x.ipynb' matched no files\n[NbConvertApp] Making directory /tmp/executed\n";
        assert!(diagnose("x.ipynb", missing, true).contains("was not found"));
        assert!(names_a_notebook_error(missing));
        let gone = "FileNotFoundError: [Errno 2] No such file or directory: 'x.ipynb'\n";
        assert!(diagnose("x.ipynb", gone, true).contains("was not found"));
        assert!(diagnose("c.ipynb", "", false).contains("container stopped"));
        assert!(!names_a_notebook_error(
            "Error response from daemon: container is not running"
        ));
    }
}
