//! Steps taken in order by an executor, watching that the sandbox survives each one: shared by an
//! article's replay and by the guide it builds on.

use std::time::Duration;

use anyhow::Result;

use super::executor::Executor;
use super::steps::Step;
use crate::sandbox::Sandbox;

/// Takes `steps` in order, calling `after` once each has run, until the sandbox dies (the error
/// names the line); then stops what still runs. A step the sandbox could not take (its shell
/// refused the command) is not run, with why at its line, and the replay goes on.
pub fn play(
    executor: &mut Executor,
    sandbox: &Sandbox,
    steps: &[Step],
    mut after: impl FnMut(&Executor, usize),
) -> Result<()> {
    let mut outcome = Ok(());
    for (k, step) in steps.iter().enumerate() {
        let ran = executor.step(k);
        // A step killed with its sandbox ends (137, or docker exec's 126) a moment before the
        // engine says the sandbox stopped: such an end is given that moment.
        let killed = ran.is_err()
            || executor.results[k]
                .as_ref()
                .and_then(|r| r.exit)
                .is_some_and(|c| c == 137 || c == 126 || c < 0);
        let wait = if killed {
            Duration::from_secs(3)
        } else {
            Duration::ZERO
        };
        let mut trouble = sandbox.trouble();
        crate::engine::wait::poll(wait, Duration::from_millis(200), || {
            trouble = sandbox.trouble();
            trouble.is_some()
        });
        if let Some((what, hint)) = trouble {
            // What the steps printed since is the dead sandbox's, not the article's.
            outcome = Err(anyhow::anyhow!(
                "{what} during line {} ({hint}): the replay cannot go on; run it again",
                step.line
            ));
            not_reached(
                executor,
                steps,
                k,
                &format!("{what} at line {}: {hint}", step.line),
            );
            break;
        }
        if let Err(e) = ran {
            executor.could_not_run(k, &format!("the sandbox could not run it: {e:#}"));
        }
        after(executor, k);
    }
    executor.finish();
    outcome
}

/// The steps from `k` on, which the sandbox's end (`why`) kept from running: each not run, with
/// why; step `k`, cut short with the sandbox, keeps what it printed, its exit in the note (the
/// sandbox's end, not the article's finding).
fn not_reached(executor: &mut Executor, steps: &[Step], k: usize, why: &str) {
    if let Some(r) = executor.results[k].as_mut() {
        let mut notes: Vec<String> = r.note.take().into_iter().collect();
        notes.push(match r.exit.take() {
            Some(code) => format!("cut short (exit {code}): {why}"),
            None => format!("cut short: {why}"),
        });
        r.note = Some(notes.join("; "));
    }
    for (j, step) in steps.iter().enumerate().skip(k) {
        if step.runs() && executor.results[j].is_none() {
            executor.not_reached(j, why);
        }
    }
}
