//! `cargo xtask base`: the Jupyter base image every series image builds on.
//! `official` is quay.io/jupyter/minimal-notebook at a pinned tag; `local` is a stand-in built
//! with no registry (mmdebstrap root filesystem + wheels from the host); `auto` picks official when
//! it is present or can be pulled within a few seconds, else local.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xshell::Shell;

use super::rootfs;
use crate::engine::cmdline::shell_quote;
use crate::engine::{self, Docker};
use crate::images::recipe::RecipeHash;
use crate::paths;
use crate::progress::{self, Step};

pub const OFFICIAL: &str = "quay.io/jupyter/minimal-notebook:2026-07-20";
const LOCAL_REPO: &str = "jupyter-docker-xtask/minimal-notebook";
/// Debian packages of the root filesystem: Python 3.11 (the wheels' ABI), venv, GDAL's bindings, tini.
pub const ROOTFS_PACKAGES: &str = "python3,python3-venv,python3-gdal,ca-certificates,tini";
/// What dpkg leaves out of the base (manuals, docs but their copyright, translations), as Debian's
/// slim images do: fewer files, and on fuse-overlayfs every later build step walks them all.
const DPKG_EXCLUDES: &[&str] = &[
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Auto,
    Official,
    Local,
}

/// Makes sure a base image exists and returns its reference.
pub fn ensure(sh: &Shell, source: Source, rebuild: bool, _verbose: bool) -> Result<String> {
    match source {
        Source::Official => {
            if !Docker::new(sh).image_exists(OFFICIAL) {
                let step = Step::start(format!("Pulling {OFFICIAL}"));
                pull(sh, OFFICIAL, None).context("the official base image cannot be had: use `--source local` to build the offline stand-in")?;
                step.done("pulled");
            }
            Ok(OFFICIAL.to_string())
        }
        Source::Local => build_local(sh, rebuild),
        Source::Auto => {
            let docker = Docker::new(sh);
            let local = local_tag()?;
            let present = |tag: &str| (tag != local || !rebuild) && docker.image_exists(tag);
            if let Some(base) = present_base(present, &local) {
                return Ok(base);
            }
            let step = Step::start(format!("Trying to pull {OFFICIAL} (up to 8s)"));
            let pulled = pull(sh, OFFICIAL, Some(Duration::from_secs(8)));
            drop(step);
            match pulled {
                Ok(()) => {
                    progress::note(&format!("base: using {OFFICIAL} (pulled)"));
                    Ok(OFFICIAL.to_string())
                }
                Err(why) => {
                    progress::note(&format!("base: building the offline stand-in, since {OFFICIAL} cannot be pulled ({why:#})"));
                    build_local(sh, rebuild)
                }
            }
        }
    }
}

/// `auto`'s choice among the images already present, saying which: the official one, else the
/// local stand-in `local`; `None` when neither is (`present` tells, checked in that order).
pub fn present_base(present: impl Fn(&str) -> bool, local: &str) -> Option<String> {
    if present(OFFICIAL) {
        progress::note(&format!("base: using {OFFICIAL} (present)"));
        return Some(OFFICIAL.to_string());
    }
    if present(local) {
        progress::note(&format!(
            "base: using the offline stand-in {local} (present; the official image is not)"
        ));
        return Some(local.to_string());
    }
    None
}

pub fn pull(sh: &Shell, image: &str, limit: Option<Duration>) -> Result<()> {
    let handle = Docker::new(sh)
        .stream(["pull", "--quiet", image])
        .stdout_null()
        .stderr_capture()
        .unchecked()
        .start()?;
    let output = match limit {
        Some(limit) => match handle.wait_timeout(limit)? {
            Some(output) => output.clone(),
            None => {
                handle.kill()?;
                bail!("no answer within {}s", limit.as_secs());
            }
        },
        None => handle.wait()?.clone(),
    };
    if !output.status.success() {
        bail!(
            "{}",
            engine::last_message(&String::from_utf8_lossy(&output.stderr))
        );
    }
    Ok(())
}

/// The tag of a root filesystem with these packages (the MySQL stand-in's, the sandbox's).
pub use super::rootfs::{ensure_rootfs_with, rootfs_tag_for, wheel_name_version, SUITE};

/// The local image's tag carries a hash of everything it is built from: the suite, the packages,
/// the dpkg excludes and docker/base (the hook, the image config, the lock, the scripts).
pub fn local_tag() -> Result<String> {
    let hash = RecipeHash::default()
        .text(&rootfs_tag_for(ROOTFS_PACKAGES))
        .text(&DPKG_EXCLUDES.join(" "))
        .tree(&paths::docker_dir().join("base"))?
        .short();
    Ok(format!("{LOCAL_REPO}:local-{hash}"))
}

fn build_local(sh: &Shell, rebuild: bool) -> Result<String> {
    let tag = local_tag()?;
    if !rebuild && Docker::new(sh).image_exists(&tag) {
        return Ok(tag);
    }
    // Parallel callers wait here; the one that built it leaves the image for the others.
    let _lock = paths::exclusive("base")?;
    if !rebuild && Docker::new(sh).image_exists(&tag) {
        return Ok(tag);
    }
    // Everything the offline build needs on the host, asked for (or installed) at once.
    crate::prereqs::ensure(&[crate::prereqs::MMDEBSTRAP, crate::prereqs::PIP])?;
    // The machine's image, shared by every run: no run's label.
    build(
        &Docker::new(sh).with_run(None),
        &tag,
        &paths::cache_dir().join("wheels"),
    )?;
    Ok(tag)
}

/// How long each stage of a base build took, in seconds.
#[derive(Debug, Clone, Default)]
pub struct Stages {
    /// `pip download` of the locked wheels (beside the package stage of mmdebstrap).
    pub wheels: f64,
    /// mmdebstrap as a whole: Debian's packages, then the hook.
    pub rootfs: f64,
    /// The part of it spent in customize.sh: the environment, the user, the scripts.
    pub python_env: f64,
    pub import: f64,
}

/// Builds the offline base as `tag`: mmdebstrap makes the root filesystem while the wheels are
/// downloaded into `wheel_cache` beside it; its customize hook (docker/base/customize.sh)
/// installs them and the rest of the docker-stacks contract; one `docker import` with the config
/// of docker/base/image-config makes the image. No `docker build`: on fuse-overlayfs every build
/// step's commit walks the whole tree.
pub fn build(docker: &Docker, tag: &str, wheel_cache: &Path) -> Result<Stages> {
    let recipe = paths::docker_dir().join("base");
    std::fs::create_dir_all(paths::cache_dir())?;
    let staged = tempfile::Builder::new()
        .prefix("base-wheels-")
        .tempdir_in(paths::cache_dir())?;
    let wheels = staged.path().to_path_buf();
    let cache = wheel_cache.to_path_buf();
    let lock = recipe.join("requirements.lock");
    // The hook waits for `ready` (or `failed`) in the staged folder.
    let download = std::thread::spawn(move || -> Result<f64> {
        let started = Instant::now();
        let result = Shell::new()
            .map_err(anyhow::Error::from)
            .and_then(|sh| rootfs::download_wheels(&sh, &cache))
            .and_then(|()| rootfs::stage_locked_wheels(&lock, &cache, &wheels));
        std::fs::write(
            wheels.join(if result.is_ok() { "ready" } else { "failed" }),
            "",
        )?;
        result.map(|()| started.elapsed().as_secs_f64())
    });
    let hook = [
        recipe.join("customize.sh"),
        staged.path().to_path_buf(),
        recipe.clone(),
    ]
    .map(|p| shell_quote(&p.display().to_string()));
    let mut options: Vec<String> = DPKG_EXCLUDES
        .iter()
        .map(|o| format!("--dpkgopt={o}"))
        .collect();
    options.push(format!(
        "--customize-hook={} \"$1\" {} {}",
        hook[0], hook[1], hook[2]
    ));
    let started = Instant::now();
    let tar = rootfs::mmdebstrap(ROOTFS_PACKAGES, &options);
    let rootfs = started.elapsed().as_secs_f64();
    let wheels = download
        .join()
        .map_err(|_| anyhow::anyhow!("the wheel download panicked"))?;
    // The download's own error says more than the hook's "failed".
    let (wheels, tar) = (wheels?, tar?);
    let times = std::fs::read_to_string(staged.path().join("times")).unwrap_or_default();
    let python_env = match times
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .collect::<Vec<_>>()[..]
    {
        [start, end] => end - start,
        _ => 0.0,
    };
    progress::note(&format!("base: mmdebstrap's hook spent {python_env:.1}s on the Python environment; the wheels came in {wheels:.1}s beside it"));
    let started = Instant::now();
    rootfs::import_recipe(docker, tar.path(), &recipe, "base-local", tag)?;
    Ok(Stages {
        wheels,
        rootfs,
        python_env,
        import: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_tag_follows_the_recipe() {
        let tag = local_tag().unwrap();
        assert!(
            tag.starts_with("jupyter-docker-xtask/minimal-notebook:local-"),
            "{tag}"
        );
        assert_eq!(tag, local_tag().unwrap());
    }

    #[test]
    fn the_image_config_sets_the_docker_stacks_contract() {
        let config =
            std::fs::read_to_string(paths::docker_dir().join("base/image-config")).unwrap();
        for wanted in [
            "USER 1000",
            "WORKDIR /home/jovyan",
            "EXPOSE 8888",
            "NB_UID=1000",
            "NB_GID=100",
            "HEALTHCHECK",
            "ENTRYPOINT [\"tini\"",
            "CMD [\"start-notebook.py\"]",
        ] {
            assert!(config.contains(wanted), "{wanted}");
        }
    }
}
