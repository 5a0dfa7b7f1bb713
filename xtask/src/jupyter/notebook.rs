//! What went wrong when a notebook was executed headlessly (`jupyter nbconvert --execute`), in one
//! line a person can act on.

use crate::engine::last_message;

/// Whether nbconvert's output names a problem of the notebook itself (rather than of its container).
pub fn names_a_notebook_error(log: &str) -> bool {
    ["CellExecutionError", "NotJSONError", "matched no files"].iter().any(|m| log.contains(m))
}

/// One line saying what went wrong, from nbconvert's output.
pub fn diagnose(notebook: &str, log: &str, container_running: bool) -> String {
    if !container_running {
        return format!("the container stopped while {notebook} ran: the outputs written before are kept on the volume; start it again with `cargo xtask up`");
    }
    let missing = log.contains(&format!("pattern '{notebook}' matched no files"))
        || (log.contains("No such file or directory") && log.contains(notebook) && !log.contains("CellExecutionError"));
    if missing {
        return format!("{notebook} was not found in /work: check the name, or the folder given to `up --notebooks`");
    }
    if log.contains("NotJSONError") || log.contains("does not appear to be JSON") || log.contains("Notebook does not appear") {
        return format!("{notebook} is not a valid notebook (not JSON): restore it from version control or re-save it in JupyterLab");
    }
    if log.contains("CellExecutionError") || log.contains("An error occurred while executing") {
        let raised = log
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| is_exception_line(l))
            .unwrap_or("an exception (see above)");
        let hint = if raised.contains("No space left on device") {
            ": the outputs volume is full; free space on it (earlier outputs are intact)"
        } else if raised.contains("Permission denied") {
            ": the notebook user cannot write there; mount the outputs volume where the notebook writes, owned by jovyan"
        } else {
            ": fix the cell and run again"
        };
        return format!("a cell of {notebook} raised {raised}{hint}");
    }
    format!("executing {notebook} failed: {}", last_message(log))
}

/// `PermissionError: [Errno 13] ...`, `ValueError: boom`, `OSError: [Errno 28] No space left on device`.
fn is_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else { return false };
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

    #[test]
    fn cell_errors_name_the_exception() {
        let log = "Traceback (most recent call last):\nnbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:\n------------------\nraise ValueError('boom')\n------------------\n\nValueError                                Traceback (most recent call last)\nCell In[1], line 1\n----> 1 raise ValueError('boom')\n\nValueError: boom\n";
        assert_eq!(diagnose("n.ipynb", log, true), "a cell of n.ipynb raised ValueError: boom: fix the cell and run again");
        assert!(names_a_notebook_error(log));
    }

    #[test]
    fn full_disk_and_permissions_get_their_fix() {
        let full = "CellExecutionError\nOSError: [Errno 28] No space left on device\n";
        assert!(diagnose("c.ipynb", full, true).contains("outputs volume is full"));
        let denied = "CellExecutionError\nPermissionError: [Errno 13] Permission denied: 'outputs/x.csv'\n";
        assert!(diagnose("c.ipynb", denied, true).contains("raised PermissionError: [Errno 13] Permission denied: 'outputs/x.csv'"));
    }

    #[test]
    fn broken_json_missing_files_and_stopped_containers() {
        let bad = "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'not json'\n";
        assert!(diagnose("c.ipynb", bad, true).contains("not a valid notebook"));
        let missing = "[NbConvertApp] WARNING | pattern 'x.ipynb' matched no files\n[NbConvertApp] Making directory /tmp/executed\n";
        assert!(diagnose("x.ipynb", missing, true).contains("was not found"));
        assert!(names_a_notebook_error(missing));
        assert!(diagnose("c.ipynb", "", false).contains("container stopped"));
        assert!(!names_a_notebook_error("Error response from daemon: container is not running"));
    }
}
