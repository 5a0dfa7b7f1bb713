//! A command typed at a terminal: `docker login` as written asks for the username and the
//! password at prompts, and refuses to read a password from anything but a terminal. It runs
//! under a pseudo-terminal (util-linux `script`), and each answer is typed once its prompt shows;
//! a password prompt turns the terminal's echo off, so what is typed there is never printed.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::engine::cmdline::shell_quote;
use crate::engine::wait;

/// What the terminal showed, and the exit status.
#[derive(Debug)]
pub struct Typed {
    pub exit: i32,
    /// The terminal's text, carriage returns removed.
    pub screen: String,
}

/// Runs `argv` in a terminal, answering each `(prompt, answer)` in turn once `prompt` shows.
pub fn run(argv: &[String], answers: &[(&str, &str)], limit: Duration) -> Result<Typed> {
    let line = argv
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running `script` (util-linux), which gives a command a terminal")?;
    let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut stdout = child.stdout.take().context("no stdout")?;
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&buf[..n]);
        }
    });
    let text = || {
        String::from_utf8_lossy(&screen.lock().unwrap_or_else(|e| e.into_inner())).replace('\r', "")
    };
    let mut stdin = child.stdin.take().context("no stdin")?;
    let mut seen = 0;
    for (prompt, answer) in answers {
        let shown = wait::poll(limit, Duration::from_millis(50), || {
            text()[seen..].contains(prompt)
        });
        if shown.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "no {prompt:?} prompt within {}s; the terminal showed: {}",
                limit.as_secs(),
                text().trim()
            );
        }
        seen = text().len();
        // The program turns echo off right after printing a password prompt: type after it did.
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(format!("{answer}\n").as_bytes())?;
        stdin.flush()?;
    }
    let ended = wait::poll(limit, Duration::from_millis(100), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if ended.is_none() {
        let _ = child.kill();
    }
    drop(stdin);
    let status = child.wait()?;
    let _ = reader.join();
    Ok(Typed {
        exit: if ended.is_none() {
            -1
        } else {
            status.code().unwrap_or(-1)
        },
        screen: text(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_go_in_at_their_prompts_and_a_silent_one_is_not_echoed() {
        let script = "printf 'Username: '; read u; printf 'Password: '; stty -echo; read p; stty echo; echo; echo \"user=$u len=${#p}\"";
        let argv = ["bash".to_string(), "-c".to_string(), script.to_string()];
        let typed = run(
            &argv,
            &[("Username:", "ana"), ("Password:", "s3cret-pw")],
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(typed.exit, 0, "{}", typed.screen);
        assert!(typed.screen.contains("user=ana len=9"), "{}", typed.screen);
        assert!(
            !typed.screen.contains("s3cret-pw"),
            "the password was echoed: {}",
            typed.screen
        );
        let failed = run(
            &["sh".to_string(), "-c".to_string(), "exit 3".to_string()],
            &[],
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(failed.exit, 3);
        let silent = run(
            &["sh".to_string(), "-c".to_string(), "sleep 5".to_string()],
            &[("Username:", "x")],
            Duration::from_millis(300),
        );
        assert!(silent
            .unwrap_err()
            .to_string()
            .contains("no \"Username:\" prompt"));
    }
}
