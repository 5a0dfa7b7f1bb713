//! Images in one commit: a series Dockerfile's result made with `docker create` from its base,
//! its RUN steps run in that container, the context copied in with the owner COPY gives it (one
//! tar stream through `docker cp -`), and one `docker commit` with the config changes. On a
//! naive-diff storage driver (fuse-overlayfs) every build step commits the whole image; this is one.
//!
//! The contract is the Dockerfile's: the same files, owners and modes, user, folder, ENV, ports,
//! volumes, entrypoint and command, and labels (the project's, the recipe's); the end-to-end test
//! `tests/images.rs` compares both ways. Only the image's history differs: one step, whose command
//! starts with [`marker`], so that `clean --images` still knows the project's own builds.

pub mod plan;
pub mod tarball;
mod words;

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::engine::cmdline::shell_quote;
use crate::engine::resources::{Guard, Resource};
use crate::engine::{creator_id, tail, Docker, BUILT_AS_LABEL_KEY};
use plan::{BaseConfig, Plan};

/// What the one-commit build's container runs first (a no-op naming the tag): it is the image's
/// history, and tells an untagged earlier build of the project from a person's image.
pub fn marker(tag: &str) -> String {
    format!(": {BUILT_AS_LABEL_KEY}={}", shell_quote(tag))
}

/// Whether `step` (a history entry's command, as `docker history --no-trunc` shows it) is the
/// one-commit build's own step of `tag`: its command starts with the [`marker`] of that very tag.
pub fn is_step_of(step: &str, tag: &str) -> bool {
    let marker = marker(tag);
    step.strip_prefix("/bin/sh -c ")
        .is_some_and(|s| s == marker || s.starts_with(&format!("{marker} ")))
}

/// Builds the Dockerfile `dockerfile` (its text) with the context folder `context` and build
/// arguments `args` as `tag`, labelled with the project's labels and `labels`, in one commit.
pub fn build(
    docker: &Docker,
    context: &Path,
    dockerfile: &str,
    args: &[(String, String)],
    tag: &str,
    labels: &[(String, String)],
    verbose: bool,
) -> Result<Timings> {
    let started = Instant::now();
    let base = plan::base_of(dockerfile, args)?;
    let config = docker
        .output([
            "image",
            "inspect",
            "--format",
            "{{json .Config}}",
            base.as_str(),
        ])
        .with_context(|| {
            format!("the base image {base} is not here: build it first (`cargo xtask base`)")
        })?;
    let config = BaseConfig::from_json(&config)?;
    let plan = plan::plan(dockerfile, args, &config)?;
    // Every tar stream is made before anything is created: a bad context fails with nothing to undo.
    let streams = plan
        .copies
        .iter()
        .map(|c| Ok((c.dest.clone(), tarball::context(context, c.owner)?)))
        .collect::<Result<Vec<_>>>()?;
    let labels: Vec<(String, String)> = docker
        .build_labels(tag)
        .into_iter()
        .chain(labels.iter().cloned())
        .collect();
    let replaced = docker.managed_image_id(tag);
    let name = container_name();
    docker.output(create_args(&name, &plan, &labels, &script(tag, &plan)))?;
    let container = Guard::new(docker, Resource::Container(name.clone()));
    let mut times = Timings {
        create: started.elapsed().as_secs_f64(),
        ..Timings::default()
    };
    let lap = Instant::now();
    if !plan.runs.is_empty() {
        run_steps(docker, &name, verbose)?;
    }
    times.run = lap.elapsed().as_secs_f64();
    let lap = Instant::now();
    for (dest, stream) in streams {
        let out = docker
            .stream(["cp", "-", &format!("{name}:{dest}")])
            .stdin_bytes(stream)
            .stdout_null()
            .stderr_capture()
            .unchecked()
            .run()?;
        if !out.status.success() {
            bail!(
                "copying the context into {dest} failed: {}",
                crate::engine::last_message(&String::from_utf8_lossy(&out.stderr))
            );
        }
    }
    times.copy = lap.elapsed().as_secs_f64();
    let lap = Instant::now();
    docker.output(commit_args(&name, tag, &changes(&plan, &config, &labels)))?;
    times.commit = lap.elapsed().as_secs_f64();
    let lap = Instant::now();
    drop(container);
    docker.drop_replaced(tag, replaced);
    times.cleanup = lap.elapsed().as_secs_f64();
    Ok(times)
}

/// Where a one-commit build's seconds went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Reading the base's config and the Dockerfile, the tar streams, `docker create`.
    pub create: f64,
    /// The RUN steps (`docker start -a`).
    pub run: f64,
    /// `docker cp` of the context.
    pub copy: f64,
    pub commit: f64,
    /// Removing the container (and an image the tag named before).
    pub cleanup: f64,
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "create {:.1}s, RUN {:.1}s, copy {:.1}s, commit {:.1}s, clean-up {:.1}s",
            self.create, self.run, self.copy, self.commit, self.cleanup
        )
    }
}

/// `jdx-build-<pid>-<nanoseconds>-<n>`: no other process, and no other build of this one, has it.
fn container_name() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("jdx-build-{}-{n}", creator_id())
}

/// Runs the RUN steps (`docker start -a`); their output is shown live with `verbose`, else when
/// one fails.
fn run_steps(docker: &Docker, name: &str, verbose: bool) -> Result<()> {
    let start = docker
        .stream(["start", "-a", name])
        .stderr_to_stdout()
        .unchecked();
    let out = if verbose {
        start.run()?
    } else {
        start.stdout_capture().run()?
    };
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stdout);
        if !verbose {
            eprintln!("{}", tail(&log, 40));
        }
        bail!(
            "a RUN step failed (exit {}): its last lines are above; fix the Dockerfile or the cause and run again",
            out.status.code().unwrap_or(-1)
        );
    }
    Ok(())
}

/// The RUN steps as one `sh -c` script, after the [`marker`]: each in its folder, with the ENV
/// set before it, in the base's shell (or exec form), stopping at the first that fails.
pub fn script(tag: &str, plan: &Plan) -> String {
    let mut parts = vec![marker(tag)];
    for copy in &plan.copies {
        parts[0].push_str(&format!(" COPY . in {}", shell_quote(&copy.dest)));
    }
    for run in &plan.runs {
        let env: Vec<String> = run
            .env
            .iter()
            .map(|(k, v)| shell_quote(&format!("{k}={v}")))
            .collect();
        let argv: Vec<String> = run.argv.iter().map(|a| shell_quote(a)).collect();
        let env = if env.is_empty() {
            String::new()
        } else {
            format!("env {} ", env.join(" "))
        };
        parts.push(format!(
            "(cd {} && exec {env}{}) || exit $?",
            shell_quote(&run.dir),
            argv.join(" ")
        ));
    }
    parts.join(" ; ")
}

/// `docker create` of the build's container: the base, the image's labels (which the commit keeps:
/// never the owner label), no entrypoint (RUN runs its command as is), the WORKDIR (Docker creates
/// it root-owned, as the builder's WORKDIR does), and the script as its command.
pub fn create_args(
    name: &str,
    plan: &Plan,
    labels: &[(String, String)],
    script: &str,
) -> Vec<String> {
    let mut a = vec!["create".to_string(), "--name".into(), name.into()];
    a.extend(crate::engine::label_args(labels.to_vec()));
    a.extend(["--entrypoint".into(), String::new()]);
    if let Some(dir) = &plan.workdir {
        a.extend(["--workdir".into(), dir.clone()]);
    }
    a.extend([
        plan.base.clone(),
        "/bin/sh".into(),
        "-c".into(),
        script.into(),
    ]);
    a
}

/// The `--change` list: the Dockerfile's own (`ENV`, `EXPOSE`, `VOLUME`, `LABEL`), then what the
/// container changed put back to the base's (the user, the entrypoint, then the command: an
/// ENTRYPOINT change clears the command), the WORKDIR, and the build's labels last (as
/// `docker build --label` sets them after the Dockerfile's).
pub fn changes(plan: &Plan, base: &BaseConfig, labels: &[(String, String)]) -> Vec<String> {
    let json = |list: &Option<Vec<String>>| {
        serde_json::to_string(list.as_deref().unwrap_or_default()).unwrap_or_default()
    };
    let mut out = plan.changes.clone();
    if !base.user.is_empty() {
        out.push(format!("USER {}", base.user));
    }
    if let Some(dir) = &plan.workdir {
        out.push(format!("WORKDIR {dir}"));
    }
    if base.entrypoint.is_some() {
        out.push(format!("ENTRYPOINT {}", json(&base.entrypoint)));
    }
    out.push(format!("CMD {}", json(&base.cmd)));
    out.extend(
        labels
            .iter()
            .map(|(k, v)| format!("LABEL {k}={}", plan::quoted(v))),
    );
    out
}

/// `docker commit` of the container as `tag`, with `changes`.
pub fn commit_args(name: &str, tag: &str, changes: &[String]) -> Vec<String> {
    let mut a = vec![
        "commit".to_string(),
        "--message".into(),
        format!("jupyter-docker-xtask: {tag} in one commit"),
    ];
    for change in changes {
        a.extend(["--change".into(), change.clone()]);
    }
    a.extend([name.into(), tag.into()]);
    a
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
