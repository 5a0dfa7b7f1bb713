//! The run labels on the engine: the leak check (what a run left), its removal, and the sweep of
//! what crashed or killed runs left behind.

use anyhow::{bail, Context, Result};

use crate::engine::resources::{list, remove_run, KINDS};
use crate::engine::{last_message, Docker, RUN_LABEL_KEY};
use crate::images::series as build;
use crate::progress;

/// A resource that carries a run label.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub kind: &'static str,
    pub name: String,
    pub run: String,
}

/// Everything on the engine with a run label (any run). Any failure to look is an error: a leak
/// check or a sweep must never pass because it could not see.
pub fn labelled(docker: &Docker) -> Result<Vec<Labelled>> {
    let filter = format!("label={RUN_LABEL_KEY}");
    let mut found = Vec::new();
    for (kind, name_format) in KINDS {
        // On `ls`, `.Labels` is one joined string: `.Label "KEY"` is the accessor that works there.
        let format = format!("{name_format}\t{{{{.Label \"{RUN_LABEL_KEY}\"}}}}");
        for line in list(docker, kind, &filter, &format)? {
            if let Some((name, run)) = line.split_once('\t') {
                found.push(Labelled {
                    kind,
                    name: name.to_string(),
                    run: run.to_string(),
                });
            }
        }
    }
    found.extend(labelled_images(docker)?);
    Ok(found)
}

/// `image ls` has no `.Label` accessor: list the ids, then read each image's label and tags. The
/// shared base and series images are never a run's leftover, even if a build under a test run
/// stamped its id on them (a recipe label would not tell them apart: images inherit it); another
/// tag a test put on one is.
fn labelled_images(docker: &Docker) -> Result<Vec<Labelled>> {
    let mut ids = list(
        docker,
        "image",
        &format!("label={RUN_LABEL_KEY}"),
        "{{.ID}}",
    )?;
    ids.sort();
    ids.dedup();
    let format =
        format!("{{{{index .Config.Labels \"{RUN_LABEL_KEY}\"}}}}\t{{{{join .RepoTags \" \"}}}}");
    let mut found = Vec::new();
    for id in ids {
        let out = docker.status(["image", "inspect", "--format", format.as_str(), id.as_str()])?;
        if !out.ok() {
            if out.stderr.to_lowercase().contains("no such image") {
                continue; // removed since it was listed
            }
            bail!(
                "`docker image inspect {id}` failed: {}",
                last_message(&out.stderr)
            );
        }
        // An untagged image prints nothing after the tab (and the output is trimmed).
        let (run, tags) = out
            .stdout
            .split_once('\t')
            .unwrap_or((out.stdout.as_str(), ""));
        let tags: Vec<&str> = tags
            .split_whitespace()
            .filter(|t| *t != "<none>:<none>")
            .collect();
        if run.is_empty() || run == "<no value>" {
            continue;
        }
        // A shared tag keeps the image; any other tag on it is the run's (removing it only untags).
        let mut names: Vec<&str> = tags
            .iter()
            .copied()
            .filter(|t| !is_shared_image(t))
            .collect();
        if names.is_empty() {
            if !tags.is_empty() {
                continue; // only shared tags
            }
            names.push(&id);
        }
        found.extend(names.into_iter().map(|n| Labelled {
            kind: "image",
            name: n.to_string(),
            run: run.to_string(),
        }));
    }
    Ok(found)
}

/// The base (and its root filesystem, the MySQL stand-in: `jupyter-docker-xtask/...`) and the
/// series' images, which every run uses.
fn is_shared_image(tag: &str) -> bool {
    tag.starts_with("jupyter-docker-xtask/") || build::IMAGES.iter().any(|i| i.tag == tag)
}

/// The suite's run id or a private one made under it (`{run}-safety-...`).
pub(super) fn is_under(run: &str, prefix: &str) -> bool {
    run == prefix
        || run
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// What carries the run's label or a private run id under it, as `kind name (run R)`.
pub fn leftovers_under(docker: &Docker, run_id: &str) -> Result<Vec<String>> {
    Ok(labelled(docker)?
        .into_iter()
        .filter(|l| is_under(&l.run, run_id))
        .map(|l| format!("{} {} (run {})", l.kind, l.name, l.run))
        .collect())
}

/// Removes what carries the run's label or a private run id under it.
pub fn remove_runs_under(docker: &Docker, run_id: &str) -> Result<()> {
    let found = labelled(docker)?;
    remove_runs(docker, &found, |run| is_under(run, run_id));
    Ok(())
}

/// Removes the runs `which` selects: containers first, then what they used, then the images.
fn remove_runs(docker: &Docker, found: &[Labelled], which: impl Fn(&str) -> bool) {
    let mut runs: Vec<&str> = found
        .iter()
        .map(|l| l.run.as_str())
        .filter(|r| which(r))
        .collect();
    runs.sort();
    runs.dedup();
    for run in &runs {
        remove_run(docker, run);
    }
    for image in found.iter().filter(|l| l.kind == "image" && which(&l.run)) {
        let _ = docker.probe(["image", "rm", image.name.as_str()]);
    }
}

/// Removes what earlier test runs left when they crashed or were killed: resources carrying a run
/// label whose run's process is gone. Never touches anything without a run label, the current
/// run's, a live run's, or the shared images.
pub(super) fn sweep_crashed_runs(docker: &Docker, current: &str) -> Result<()> {
    let found = labelled(docker).context("looking for crashed test runs")?;
    let crashed = |run: &str| !is_under(run, current) && !run_is_alive(run);
    let mut runs: Vec<&str> = found
        .iter()
        .map(|l| l.run.as_str())
        .filter(|r| crashed(r))
        .collect();
    runs.sort();
    runs.dedup();
    for run in runs {
        progress::note(&format!(
            "removing what the crashed test run {run} left behind"
        ));
    }
    remove_runs(docker, &found, crashed);
    Ok(())
}

pub(super) fn run_is_alive(run: &str) -> bool {
    // Only the suite's own ids (`suite-<pid>-<secs>`, and private ones under them) name a pid.
    let Some(rest) = run.strip_prefix("suite-") else {
        return true;
    };
    let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(pid) => std::path::Path::new(&format!("/proc/{pid}")).exists(),
        None => true, // not ours to judge: leave it
    }
}
