//! Claims keyed to the steps of an article's Markdown: the literal mode of a series article is
//! its replay plus these checks. Each check names the step it follows by the command (or the file,
//! cell or Ctrl+C) it concerns, as the article writes it, so the article stays the one place its
//! commands live: edit a command and the replay runs the edit; drop it and the check says its step
//! is gone instead of passing in silence.
//!
//! A check only observes: it reads what the step printed and asks the sandbox's engine, and never
//! runs a command that changes what the claim is about.

use std::time::Duration;

use super::executor::Executor;
use super::steps::{Step, StepKind};
use crate::engine::Output;
pub use crate::walkthrough::catalogue::{seen, Observed};
use crate::walkthrough::catalogue::{Catalogue, Mode, Row};

/// One claim of an article, checked right after the step it follows.
pub struct ClaimCheck {
    /// Its row in the article's catalogue (`claims.md`), which holds its words and verdicts.
    pub id: &'static str,
    /// The step it follows: the start of its command as written (whitespace aside), `file:NAME`,
    /// `cell:` and the start of the cell's code, `ctrl+c:` and the start of the stopped command, or
    /// `end` (after the last step). ` #N` at the end picks the Nth such step.
    pub after: &'static str,
    pub check: fn(&Probe) -> Observed,
}

/// The check `id` of the catalogue, made right after the step `after` names.
pub const fn check(
    id: &'static str,
    after: &'static str,
    check: fn(&Probe) -> Observed,
) -> ClaimCheck {
    ClaimCheck { id, after, check }
}

/// A check with its catalogue row and the report's section it belongs to.
#[derive(Clone, Copy)]
pub struct Placed {
    pub row: &'static Row,
    pub section: &'static str,
    pub after: &'static str,
    pub check: fn(&Probe) -> Observed,
}

/// Each check with its row of `catalogue` (of those the literal mode makes). A row of any section
/// takes the section of the check before it, as the checks follow the article's order.
pub fn place(catalogue: &'static Catalogue, checks: &[ClaimCheck]) -> Result<Vec<Placed>, String> {
    let mut section = "";
    let mut placed = Vec::new();
    for c in checks {
        let rows = catalogue.made_in(c.id, Mode::Literal);
        let row = match rows[..] {
            [one] => Some(one),
            _ => rows.iter().copied().find(|r| r.section == section),
        }
        .ok_or_else(|| {
            format!(
                "the literal check {} has {} rows of the literal mode in {}'s claims.md: give it one",
                c.id,
                rows.len(),
                catalogue.article
            )
        })?;
        if !row.section.is_empty() {
            section = row.section;
        }
        if section.is_empty() {
            return Err(format!(
                "the literal check {} comes before any section's",
                c.id
            ));
        }
        placed.push(Placed {
            row,
            section,
            after: c.after,
            check: c.check,
        });
    }
    Ok(placed)
}

/// A step's key, as `ClaimCheck::after` names it.
fn key(step: &Step) -> Option<String> {
    let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    match &step.kind {
        StepKind::Command { text, .. } => Some(squeeze(text)),
        StepKind::File { name, .. } => Some(format!("file:{name}")),
        StepKind::Cell { code, .. } => Some(format!("cell:{}", squeeze(code))),
        StepKind::Signal { .. } => None,
        _ => None,
    }
}

/// The index of the step `after` names, among `steps` (None: the article has no such step).
pub fn step_of(after: &str, steps: &[Step]) -> Option<usize> {
    if after == "end" {
        return steps.len().checked_sub(1);
    }
    let (want, nth) = match after.rsplit_once(" #") {
        Some((w, n)) if n.parse::<usize>().is_ok() => (w, n.parse::<usize>().unwrap_or(1)),
        _ => (after, 1),
    };
    let want = want.split_whitespace().collect::<Vec<_>>().join(" ");
    let matches = |k: usize| -> bool {
        if let Some(stopped) = want.strip_prefix("ctrl+c:") {
            let StepKind::Signal { to_line, .. } = &steps[k].kind else {
                return false;
            };
            let target = steps
                .iter()
                .find(|s| s.line == *to_line && matches!(s.kind, StepKind::Command { .. }));
            return target
                .and_then(key)
                .is_some_and(|t| t.starts_with(stopped.trim()));
        }
        key(&steps[k]).is_some_and(|t| t.starts_with(&want))
    };
    (0..steps.len())
        .filter(|&k| matches(k))
        .nth(nth.saturating_sub(1))
}

/// What a check may look at: the step it follows, earlier steps, and the sandbox's engine.
pub struct Probe<'p, 'a> {
    pub(super) ex: &'p Executor<'a>,
    pub(super) k: usize,
}

impl Probe<'_, '_> {
    /// What the step printed (so far, for one that keeps running).
    pub fn output(&self) -> String {
        self.ex.output_now(self.k)
    }

    /// The step's exit code (None while it runs, or when it did not run).
    pub fn exit(&self) -> Option<i32> {
        self.ex.results[self.k].as_ref().and_then(|r| r.exit)
    }

    /// The exit code for evidence: the number, or `none (still running)`.
    pub fn exit_text(&self) -> String {
        self.exit()
            .map_or_else(|| "none (still running)".into(), |c| c.to_string())
    }

    /// What the step printed, line by line as its terminal showed it: ANSI escapes, carriage
    /// returns and trailing blanks gone.
    pub fn lines(&self) -> Vec<String> {
        self.output()
            .lines()
            .map(|l| crate::jupyter::url::strip_ansi(l).trim_end().to_string())
            .collect()
    }

    /// The token of the Jupyter URL the step printed.
    pub fn token(&self) -> Option<String> {
        crate::jupyter::url::find_url(&self.lines().join("\n"))
            .and_then(|u| u.token().map(String::from))
    }

    /// The output of the latest step up to this one whose key starts with `after`.
    pub fn earlier(&self, after: &str) -> Option<String> {
        let want = after.split_whitespace().collect::<Vec<_>>().join(" ");
        (0..=self.k)
            .rev()
            .find(|&k| key(&self.ex.steps[k]).is_some_and(|t| t.starts_with(&want)))
            .map(|k| self.ex.output_now(k))
    }

    /// A docker command against the engine the reader used at this step (the sandbox's, or the
    /// remote host's after its console): its output (stdout and stderr) and exit.
    pub fn docker(&self, args: &[&str]) -> Output {
        self.ex
            .engine_at(self.k)
            .status(args)
            .unwrap_or_else(|e| Output {
                code: -1,
                stdout: String::new(),
                stderr: e.to_string(),
            })
    }

    /// A shell script in the sandbox's project folder (where the article's files are).
    pub fn shell(&self, script: &str) -> Output {
        self.local_shell(&format!(
            "cd {} && {script}",
            crate::engine::cmdline::shell_quote(self.ex.cwd())
        ))
    }

    /// The HTTP status of `path` on the sandbox's `port` (0 when nothing answers), with the token
    /// when given.
    pub fn http(&self, port: u16, path: &str, token: Option<&str>) -> u16 {
        self.http_at("127.0.0.1", port, path, token)
    }

    /// The same, from the local machine to `address` (the remote host's, say).
    pub fn http_at(&self, address: &str, port: u16, path: &str, token: Option<&str>) -> u16 {
        let out = self.curl(
            &format!("-o /dev/null -w '%{{http_code}}' http://{address}:{port}{path}"),
            token,
        );
        out.and_then(|o| o.stdout.trim().parse().ok()).unwrap_or(0)
    }

    /// The body of `path` on the sandbox's `port` when it answers 200, with the token when given.
    pub fn http_body(&self, port: u16, path: &str, token: Option<&str>) -> Option<String> {
        self.curl(&format!("-f http://127.0.0.1:{port}{path}"), token)
            .filter(|o| o.ok())
            .map(|o| o.stdout)
    }

    /// `curl -s ARGS` inside the sandbox; the token goes in as a header on its standard input
    /// (`-H @-`), so it shows in no process list.
    fn curl(&self, args: &str, token: Option<&str>) -> Option<Output> {
        let place = self.ex.place();
        let wait = crate::jupyter::http::CLAIM_WAIT.as_secs();
        let script = format!("curl -s --max-time {wait} -H @- {args}");
        let header = token
            .map(|t| format!("Authorization: token {t}\n"))
            .unwrap_or_default();
        let ran = place
            .host
            .exec_input(&place.container, &["sh", "-c", script.as_str()])
            .stdin_bytes(header.into_bytes())
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .ok()?;
        Some(Output {
            code: ran.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&ran.stderr).into_owned(),
        })
    }

    /// The step's command (or cell) as it ran, placeholders filled.
    pub fn command(&self) -> &str {
        self.ex.steps[self.k].text()
    }

    /// A docker command against the local machine's engine (the sandbox's), wherever the reader is.
    pub fn local_docker(&self, args: &[&str]) -> Output {
        self.ex.inner.status(args).unwrap_or_else(|e| Output {
            code: -1,
            stdout: String::new(),
            stderr: e.to_string(),
        })
    }

    /// The remote host's address (LINODE_IP_ADDRESS), when the article has one.
    pub fn remote_address(&self) -> Option<&str> {
        self.ex.remote_address()
    }

    /// A script in a shell of the local machine (the sandbox), in its home folder.
    pub fn local_shell(&self, script: &str) -> Output {
        self.ex
            .place()
            .quiet(script, &[])
            .unwrap_or_else(|e| Output {
                code: -1,
                stdout: String::new(),
                stderr: e.to_string(),
            })
    }

    /// Asks `ask` again until it answers Some, for up to `limit`; the readiness of what a step
    /// started is measured, never assumed: the evidence can say how long it took.
    pub fn within<T>(
        &self,
        limit: Duration,
        mut ask: impl FnMut() -> Option<T>,
    ) -> (Option<T>, Duration) {
        let started = std::time::Instant::now();
        loop {
            if let Some(v) = ask() {
                return (Some(v), started.elapsed());
            }
            if started.elapsed() >= limit {
                return (None, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The newest running container of `image` (by the image name docker ps shows).
    pub fn container_of(&self, image: &str) -> Option<String> {
        let listing = self
            .docker(&["ps", "--format", "{{.Names}}\t{{.Image}}"])
            .stdout;
        listing
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, i)| *i == image)
            .map(|(n, _)| n.to_string())
    }

    /// A command in a running container of the sandbox (stdout and stderr together, and the exit).
    pub fn exec(&self, container: &str, command: &[&str]) -> Output {
        let mut args = vec!["exec", container];
        args.extend_from_slice(command);
        self.docker(&args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::markdown::reader::read;

    const ARTICLE: &str = "```command\ndocker run -it   --rm -p 8888:8888 img\n```\n\nPress **Ctrl+C** to stop it.\n\n```file {title=\"Dockerfile\"}\nFROM x\n```\n\n```command\ndocker run -it --rm -p 8888:8888 img:two\n```\n";

    #[test]
    fn a_check_finds_its_step_by_command_file_signal_and_order() {
        let steps = read(ARTICLE);
        let line_of = |after: &str| step_of(after, &steps).map(|k| steps[k].line);
        assert_eq!(line_of("docker run -it --rm -p 8888:8888 img"), Some(2));
        assert_eq!(line_of("docker run -it --rm -p 8888:8888 img #2"), Some(12));
        assert_eq!(line_of("file:Dockerfile"), Some(7));
        assert!(matches!(
            steps[step_of("ctrl+c:docker run -it --rm", &steps).unwrap()].kind,
            StepKind::Signal { .. }
        ));
        assert_eq!(
            line_of("docker run -d"),
            None,
            "a command the article does not have"
        );
        assert_eq!(line_of("docker run -it --rm -p 8888:8888 img #3"), None);
        assert_eq!(step_of("end", &steps), Some(steps.len() - 1));
    }
}
