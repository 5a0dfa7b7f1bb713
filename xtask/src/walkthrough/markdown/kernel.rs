//! A notebook's kernel for the replay: one Python process in the Jupyter container (`docker exec
//! -i CONTAINER python3 -u -c DRIVER`), fed one cell at a time, sharing its variables between
//! cells as a notebook's kernel does. A cell's last expression is shown (its `repr`), as Jupyter
//! shows it; an exception prints its traceback.

use std::time::Duration;

use anyhow::Result;

use super::job::{Job, Place};

/// Reads one JSON line per cell, runs it in one namespace, ends each cell with `MARK status`.
const DRIVER: &str = r#"
import ast, json, sys, traceback
sys.stderr = sys.stdout
mark, namespace = sys.argv[1], {"__name__": "__main__"}
for line in sys.stdin:
    status = 0
    try:
        tree = ast.parse(json.loads(line)["code"], "<cell>", "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    except BaseException:
        status = 1
        traceback.print_exc()
    sys.stdout.flush()
    print(f"\n{mark} {status}", flush=True)
"#;

/// Longest a cell may run.
const CELL_LIMIT: Duration = Duration::from_secs(300);

pub struct Kernel {
    pub container: String,
    pub notebook: String,
    job: Job,
    mark: String,
}

/// What one cell did.
pub struct CellRun {
    pub status: Option<i32>,
    pub output: String,
    /// The exception line of a traceback (`PermissionError: ...`): what articles quote.
    pub exception: Option<String>,
}

impl Kernel {
    /// A kernel in `container`, in `folder` when given (where its server serves from, as Jupyter
    /// starts a notebook's kernel in the notebook's folder), else the container's working directory.
    pub fn start(
        place: &Place,
        id: usize,
        line: usize,
        container: &str,
        notebook: &str,
        folder: Option<&str>,
    ) -> Result<Kernel> {
        let mark = format!("@@replay-cell-end-{id}@@");
        let mut args: Vec<String> = vec!["exec".into(), "-i".into()];
        if let Some(folder) = folder {
            args.extend(["-w".into(), folder.into()]);
        }
        args.extend([
            container.to_string(),
            "python3".into(),
            "-u".into(),
            "-c".into(),
            DRIVER.into(),
            mark.clone(),
        ]);
        let command = crate::engine::cmdline::shown("docker", &args);
        let job = Job::start(place, id, line, "/", &command, false, Some(mark.clone()))?;
        Ok(Kernel {
            container: container.to_string(),
            notebook: notebook.to_string(),
            job,
            mark,
        })
    }

    pub fn run(&mut self, code: &str) -> Result<CellRun> {
        let from = self.job.mark();
        let request = serde_json::json!({ "code": code }).to_string();
        self.job.type_keys(format!("{request}\n").as_bytes())?;
        let done = crate::engine::wait::poll(CELL_LIMIT, Duration::from_millis(100), || {
            self.job.exit().is_some() || self.job.recent_since(from).contains(&self.mark)
        });
        let text = self.job.output_since(from);
        let (output, status) = match text.find(&self.mark) {
            Some(at) => {
                let status = text[at + self.mark.len()..]
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok());
                (text[..at].trim_end().to_string(), status)
            }
            None if done.is_none() => (
                format!(
                    "{}\n(the cell was still running after {}s)",
                    text.trim_end(),
                    CELL_LIMIT.as_secs()
                ),
                None,
            ),
            None => (text.trim_end().to_string(), self.job.exit()),
        };
        let exception = (status == Some(1))
            .then(|| {
                output
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty() && !l.starts_with(' '))
                    .map(String::from)
            })
            .flatten();
        Ok(CellRun {
            status,
            output,
            exception,
        })
    }

    pub fn ended(&self) -> bool {
        self.job.exit().is_some()
    }

    /// Ends the Python process (end of its input), or kills it.
    pub fn stop(mut self) {
        self.job.close_input();
        if self.job.wait(Duration::from_secs(5)).is_none() {
            self.job.kill();
        }
    }
}
