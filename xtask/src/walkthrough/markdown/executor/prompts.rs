//! A command waited for as its reader waits: the prompts it asks (a login's, a yes/no question)
//! answered as the article's reader answers them.

use std::time::Duration;

use super::COMMAND_LIMIT;
use crate::walkthrough::markdown::job::Job;

/// Waits for a command to end; a yes/no question it asks (`docker system prune`'s `[y/N]`) gets
/// the `y` the article's reader types, once, and a note says so.
pub(super) fn wait_answering(
    job: &mut Job,
    answers: &[(&str, String)],
    notes: &mut Vec<String>,
) -> Option<i32> {
    let started = std::time::Instant::now();
    let mut answered = false;
    let mut typed = vec![false; answers.len()];
    let mut looked = std::time::Instant::now();
    loop {
        if let Some(code) = job.wait(Duration::from_millis(300)) {
            return Some(code);
        }
        if looked.elapsed() >= Duration::from_secs(2) {
            looked = std::time::Instant::now();
            if job.stalled() {
                // The replay stops at this step (it says why); nothing will end it here.
                notes.push("its sandbox was paused or stopped".into());
                return Some(-1);
            }
        }
        if started.elapsed() >= COMMAND_LIMIT {
            return None;
        }
        // Only its last lines: re-rendering all it printed every 300 ms would cost more as it grows.
        let output = job.last_lines();
        if let Some(i) = pending_prompt(&output, answers, &typed) {
            typed[i] = job
                .type_keys(format!("{}\r", answers[i].1).as_bytes())
                .is_ok();
            continue;
        }
        if let (false, Some(question)) = (answered, yes_no_question(&output)) {
            let question = question.to_string();
            if job.type_keys(b"y\r").is_ok() {
                notes.push(format!(
                    "answered y to its question {question:?}, as the article's reader does"
                ));
            }
            answered = true;
        }
    }
}

/// The prompt (of `answers`, not yet answered) a command's output ends with, waiting for input.
pub(super) fn pending_prompt(
    output: &str,
    answers: &[(&str, String)],
    typed: &[bool],
) -> Option<usize> {
    let last = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    (0..answers.len()).find(|&i| !typed[i] && last.ends_with(answers[i].0))
}

/// The yes/no question a command's output ends with, waiting for an answer.
pub(super) fn yes_no_question(output: &str) -> Option<&str> {
    output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| {
            ["[y/N]", "[Y/n]", "[y/n]", "(y/n)"]
                .iter()
                .any(|q| l.ends_with(q))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_prompt_gets_its_answer_once() {
        let answers = [
            ("Username:", "me".to_string()),
            ("Password:", "pw".to_string()),
        ];
        let login =
            "Login with your Docker ID to push and pull images from Docker Hub.\nUsername: ";
        assert_eq!(pending_prompt(login, &answers, &[false, false]), Some(0));
        assert_eq!(
            pending_prompt(&format!("{login}me\nPassword: "), &answers, &[true, false]),
            Some(1)
        );
        assert_eq!(
            pending_prompt(&format!("{login}me\nPassword: "), &answers, &[true, true]),
            None,
            "typed once only"
        );
        assert_eq!(
            pending_prompt(
                &format!("{login}me\nPassword: \nLogin Succeeded\n"),
                &answers,
                &[true, false]
            ),
            None
        );
    }

    #[test]
    fn a_question_is_answered_only_while_it_waits() {
        let prune = "WARNING! This will remove:\n  - all stopped containers\nAre you sure you want to continue? [y/N] ";
        assert_eq!(
            yes_no_question(prune),
            Some("Are you sure you want to continue? [y/N]")
        );
        assert_eq!(
            yes_no_question(&format!("{prune}y\nDeleted Containers:\nabc\n")),
            None,
            "answered: the output went on"
        );
        assert_eq!(yes_no_question("Step 1/4 : FROM x\n"), None);
    }
}
