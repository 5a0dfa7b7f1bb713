//! `docker compose up` attached, as article 4 runs it in its first terminal: in the background,
//! its lines collected as they come, while the walkthrough goes on as in the article's second
//! terminal. Recorded as a step of the transcript once it ended.

use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Result};

use super::super::session::Session;
use crate::engine::wait;
use crate::jupyter::url::{parse_line, strip_ansi};

pub struct Attached {
    shown: String,
    process: Arc<duct::ReaderHandle>,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Attached {
    /// Starts the command line `line` (split like a shell would, as [`Session::cmd`] does).
    pub fn start(s: &mut Session, line: &str) -> Result<Attached> {
        let words = crate::engine::cmdline::split(line)?;
        let Some((program, args)) = words.split_first() else {
            bail!("an empty command line")
        };
        let expression = if program == "docker" {
            s.docker.stream(args)
        } else {
            duct::cmd(program, args)
        };
        let process = Arc::new(
            expression
                .stdin_null()
                .stderr_to_stdout()
                .unchecked()
                .reader()?,
        );
        s.say(&format!("$ {line}    # attached, in the background: the article's first terminal (its output is shown when it ends)"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (from, to) = (process.clone(), lines.clone());
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(&*from).lines() {
                let Ok(line) = line else { break };
                to.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(strip_ansi(&line));
            }
        });
        Ok(Attached {
            shown: line.to_string(),
            process,
            lines,
            reader: Some(reader),
        })
    }

    /// What it printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Has the command ended?
    pub fn ended(&self) -> bool {
        !matches!(self.process.try_wait(), Ok(None))
    }

    /// Ctrl+C typed at its terminal: SIGINT to the client, which hands it to the container
    /// (`docker run` proxies signals when it is attached without a terminal).
    pub fn interrupt(&self) -> Result<()> {
        // Once reaped, its PID may already be another process's (pid_max can be 32768): nothing
        // to interrupt then. Not yet reaped, the PID stays its own, even if it exits meanwhile.
        if self.ended() {
            return Ok(());
        }
        for pid in self.process.pids() {
            duct::cmd!("kill", "-INT", pid.to_string())
                .stdout_null()
                .stderr_null()
                .unchecked()
                .run()?;
        }
        Ok(())
    }

    /// Waits until it ends (after `down`), killing it after `limit`; records it as a step.
    pub fn finish(mut self, s: &mut Session, limit: Duration) {
        wait::poll(limit, Duration::from_millis(200), || self.ended());
        let exit = match self.process.try_wait() {
            Ok(Some(out)) => out.status.code().unwrap_or(-1),
            _ => {
                let _ = self.process.kill();
                -1
            }
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let output: String = self.lines().iter().map(|l| format!("{l}\n")).collect();
        s.record(&self.shown, &output, exit);
    }
}

impl Drop for Attached {
    /// A section that failed half-way: the client goes (the containers are the guards' job).
    fn drop(&mut self) {
        let _ = self.process.kill();
    }
}

/// A line of an attached `up`: `NAME  | message` -> (NAME, message).
pub fn split_prefix(line: &str) -> Option<(&str, &str)> {
    let (name, message) = line.split_once('|')?;
    let name = name.trim();
    (!name.is_empty() && !name.contains(' '))
        .then(|| (name, message.strip_prefix(' ').unwrap_or(message)))
}

/// The first line prefixed by one of `names` whose message is the server's loopback URL.
pub fn url_line<'a>(lines: &'a [String], names: &[String]) -> Option<&'a String> {
    lines.iter().find(|line| {
        split_prefix(line).is_some_and(|(name, message)| {
            names.iter().any(|n| n == name)
                && parse_line(message).is_some_and(|url| url.host == "127.0.0.1")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_lines_and_the_url_among_them() {
        let token = "6760f5aa6f3395aed5f773401e869babc0e4bb02f9ea8a4f";
        let lines: Vec<String> = [
            "Creating mysql-db ... done".to_string(),
            "custom-jupyter-image  |     To access the server, open this file in a browser:"
                .to_string(),
            format!("custom-jupyter-image  |         http://58d1f3a9dde8:8888/lab?token={token}"),
            format!("custom-jupyter-image  |         http://127.0.0.1:8888/lab?token={token}"),
        ]
        .into();
        assert_eq!(
            split_prefix(&lines[1]),
            Some((
                "custom-jupyter-image",
                "    To access the server, open this file in a browser:"
            ))
        );
        assert_eq!(split_prefix("Creating mysql-db ... done"), None);
        assert_eq!(split_prefix("a b | c"), None);
        assert_eq!(
            url_line(&lines, &["custom-jupyter-image".into()]),
            Some(&lines[3])
        );
        assert_eq!(url_line(&lines, &["jupyter-1".into()]), None);
    }
}
