//! Which test binaries a run takes, and how: built first and run in lanes (the whole suite,
//! `--quick`, or `--test NAME ...`), or, with any other trailing argument (a test name filter,
//! `--lib`), one `cargo test --workspace --no-fail-fast ARGS` as before.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::artifacts::{Built, Executable};
use super::lanes::Job;
use crate::engine::RUN_ID_ENV;

/// `--quick`: besides the unit tests, the end-to-end binaries that need no sandbox and no image
/// of their own beyond the series' (measured warm on 2 cores, each alone: see the README).
pub const QUICK: &[&str] = &["support", "foundation", "up", "safety", "browser", "bench"];

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// One `cargo test --workspace --no-fail-fast` with these arguments after it.
    Cargo(Vec<String>),
    Lanes(Selection),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// Every test binary of the workspace, and the doc-tests.
    All,
    /// The unit tests and [`QUICK`].
    Quick,
    /// `--test NAME ...`: those binaries only, as `cargo test --test NAME` runs them.
    Named(Vec<String>),
}

pub fn plan(quick: bool, args: &[String]) -> Result<Plan> {
    if quick {
        if !args.is_empty() {
            bail!(
                "`--quick` picks its own test binaries: drop `{}`, or leave out `--quick` to pass them on to `cargo test`",
                args.join(" ")
            );
        }
        return Ok(Plan::Lanes(Selection::Quick));
    }
    if args.is_empty() {
        return Ok(Plan::Lanes(Selection::All));
    }
    Ok(match tests_named(args) {
        Some(names) => Plan::Lanes(Selection::Named(names)),
        None => Plan::Cargo(args.to_vec()),
    })
}

/// `--test a --test=b` -> `[a, b]`; None if anything else is there.
fn tests_named(args: &[String]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let name = match arg.strip_prefix("--test=") {
            Some(name) => name.to_string(),
            None if arg == "--test" => args.next()?.clone(),
            None => return None,
        };
        if name.is_empty() || name.starts_with('-') {
            return None;
        }
        names.push(name);
    }
    (!names.is_empty()).then_some(names)
}

impl Selection {
    /// What `cargo test --no-run` is to build.
    pub fn build_args(&self) -> Vec<String> {
        let mut args = vec!["--workspace".to_string()];
        let names: Vec<&str> = match self {
            Selection::All => return args,
            Selection::Quick => {
                args.extend(["--lib".to_string(), "--bins".to_string()]);
                QUICK.to_vec()
            }
            Selection::Named(names) => names.iter().map(String::as_str).collect(),
        };
        for name in names {
            args.extend(["--test".to_string(), name.to_string()]);
        }
        args
    }

    fn wants(&self, e: &Executable) -> bool {
        match self {
            Selection::All => true,
            Selection::Quick => e.unit || QUICK.contains(&e.target.as_str()),
            Selection::Named(names) => !e.unit && names.contains(&e.target),
        }
    }

    /// Whether a binary it runs may start a sandbox (prepared before the tests, then).
    pub fn needs_sandbox(&self) -> bool {
        match self {
            Selection::All => true,
            Selection::Quick => false,
            Selection::Named(names) => names.iter().any(|n| !QUICK.contains(&n.as_str())),
        }
    }
}

/// The jobs for what `selection` wants of what was built: each binary with the environment and
/// folder `cargo test` gives it (its package's folder, `CARGO_MANIFEST_DIR`, and the path of each
/// of its package's binaries in `CARGO_BIN_EXE_<name>`, which `assert_cmd`'s `cargo_bin` reads),
/// and the run id.
pub fn jobs(built: &Built, selection: &Selection, run_id: &str, root: &Path) -> Result<Vec<Job>> {
    if let Selection::Named(names) = selection {
        for name in names {
            if !built
                .executables
                .iter()
                .any(|e| !e.unit && &e.target == name)
            {
                let known: Vec<&str> = built
                    .executables
                    .iter()
                    .filter(|e| !e.unit)
                    .map(|e| e.target.as_str())
                    .collect();
                bail!(
                    "there is no test binary named `{name}`: pick one of {}",
                    known.join(", ")
                );
            }
        }
    }
    // In the order `cargo test` runs them: the unit tests, then the others by name.
    let mut wanted: Vec<&Executable> = built
        .executables
        .iter()
        .filter(|e| selection.wants(e))
        .collect();
    wanted.sort_by_key(|e| (!e.unit, e.name.clone()));
    let mut jobs: Vec<Job> = wanted
        .into_iter()
        .map(|e| {
            let mut env = vec![
                (RUN_ID_ENV.to_string(), run_id.to_string()),
                (
                    "CARGO_MANIFEST_DIR".to_string(),
                    e.package_dir.display().to_string(),
                ),
                (
                    "CARGO_MANIFEST_PATH".to_string(),
                    e.package_dir.join("Cargo.toml").display().to_string(),
                ),
            ];
            for (_, bin, path) in built.bins.iter().filter(|b| b.0 == e.package_dir) {
                env.push((format!("CARGO_BIN_EXE_{bin}"), path.display().to_string()));
            }
            Job {
                name: e.name.clone(),
                program: e.path.clone(),
                args: Vec::new(),
                dir: e.package_dir.clone(),
                env,
            }
        })
        .collect();
    if *selection == Selection::All {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        for package in &built.doctests() {
            jobs.push(Job {
                name: format!("doc-tests {package}"),
                program: cargo.clone().into(),
                args: ["test", "--doc", "-p", package.as_str()]
                    .map(String::from)
                    .to_vec(),
                dir: root.to_path_buf(),
                env: vec![(RUN_ID_ENV.to_string(), run_id.to_string())],
            });
        }
    }
    Ok(jobs)
}

/// The workspace's end-to-end test binaries that `--quick` leaves out, and the doc-tests, read
/// from `cargo metadata` (nothing is built for them).
pub fn left_out_by_quick(root: &Path) -> Result<Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let json = duct::cmd(&cargo, ["metadata", "--no-deps", "--format-version", "1"])
        .dir(root)
        .stderr_null()
        .read()
        .context("`cargo metadata` failed")?;
    let mut left = test_targets(&json)?;
    left.retain(|t| !QUICK.contains(&t.as_str()));
    left.push("doc-tests".into());
    Ok(left)
}

/// The `test` targets' names in `cargo metadata`'s JSON.
fn test_targets(json: &str) -> Result<Vec<String>> {
    let metadata: serde_json::Value =
        serde_json::from_str(json).context("reading `cargo metadata`")?;
    let mut names = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_test = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            if let (true, Some(name)) = (is_test, target["name"].as_str()) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// What `--quick` left out, and where it runs.
pub fn say_left_out() {
    match left_out_by_quick(&crate::paths::root()) {
        Ok(left) => println!(
            "--quick left out: {}; the full `cargo xtask test` runs them",
            left.join(", ")
        ),
        Err(e) => println!(
            "--quick left out the binaries that need a sandbox (listing them failed: {e:#}); the full `cargo xtask test` runs them"
        ),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
