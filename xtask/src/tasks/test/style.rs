//! The code's own checks, first in every test run: `cargo fmt --check` and clippy with warnings as
//! errors, on every target. A failure is reported with the suite's other problems at the end (the
//! tests still run: one run shows everything that is wrong).

use crate::progress;

/// Each failing check's one-line problem, with the command that shows it in full.
pub fn check() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let checks: [(&str, &[&str]); 2] = [
        ("cargo fmt --all --check", &["fmt", "--all", "--check"]),
        (
            "cargo clippy --workspace --all-targets -- -D warnings",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    let mut problems = Vec::new();
    for (shown, args) in checks {
        let step = progress::Step::start(shown);
        let out = duct::cmd(&cargo, args)
            .dir(crate::paths::root())
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run();
        match out {
            Ok(o) if o.status.success() => step.done("clean"),
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout);
                print!("{text}");
                step.done("not clean");
                problems.push(format!("`{shown}` is not clean (its output is above)"));
            }
            Err(e) => {
                step.done("could not run");
                problems.push(format!("`{shown}` could not run: {e}"));
            }
        }
    }
    problems
}
