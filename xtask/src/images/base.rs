//! `cargo xtask base`: the Jupyter base image every series image builds on.
//! `official` is quay.io/jupyter/minimal-notebook at a pinned tag; `local` is a stand-in built
//! with no registry (mmdebstrap root filesystem + wheels from the host); `auto` picks official when
//! it is present or can be pulled within a few seconds, else local.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::engine::{self, BuildSpec, Docker};
use crate::progress::{self, Step};
use crate::images::recipe::RecipeHash;
use crate::paths;

pub const OFFICIAL: &str = "quay.io/jupyter/minimal-notebook:2026-07-20";
const LOCAL_REPO: &str = "jupyter-docker-xtask/minimal-notebook";
const ROOTFS_REPO: &str = "jupyter-docker-xtask/debian-rootfs";
pub const SUITE: &str = "bookworm";
/// Debian packages of the root filesystem: Python 3.11 (the wheels' ABI), venv, GDAL's bindings, tini.
pub const ROOTFS_PACKAGES: &str = "python3,python3-venv,python3-gdal,ca-certificates,tini";
/// Platforms whose wheels run on bookworm's glibc and Python 3.11.
pub const WHEEL_PLATFORM: &[&str] = &[
    "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
    "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux_2_28_x86_64",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Auto,
    Official,
    Local,
}

/// Makes sure a base image exists and returns its reference.
pub fn ensure(sh: &Shell, source: Source, rebuild: bool, verbose: bool) -> Result<String> {
    match source {
        Source::Official => {
            if !Docker::new(sh).image_exists(OFFICIAL) {
                let step = Step::start(format!("Pulling {OFFICIAL}"));
                pull(sh, OFFICIAL, None).context("the official base image cannot be had: use `--source local` to build the offline stand-in")?;
                step.done("pulled");
            }
            Ok(OFFICIAL.to_string())
        }
        Source::Local => build_local(sh, rebuild, verbose),
        Source::Auto => {
            if Docker::new(sh).image_exists(OFFICIAL) {
                progress::note(&format!("base: using {OFFICIAL} (present)"));
                return Ok(OFFICIAL.to_string());
            }
            let local = local_tag()?;
            if !rebuild && Docker::new(sh).image_exists(&local) {
                progress::note(&format!("base: using the offline stand-in {local} (present; the official image is not)"));
                return Ok(local);
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
                    build_local(sh, rebuild, verbose)
                }
            }
        }
    }
}

pub fn pull(sh: &Shell, image: &str, limit: Option<Duration>) -> Result<()> {
    let handle = Docker::new(sh).stream(["pull", "--quiet", image]).stdout_null().stderr_capture().unchecked().start()?;
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
        bail!("{}", engine::last_message(&String::from_utf8_lossy(&output.stderr)));
    }
    Ok(())
}

fn rootfs_tag() -> String {
    rootfs_tag_for(ROOTFS_PACKAGES)
}

/// The tag of a root filesystem with these packages (the base's keeps its original tag).
pub fn rootfs_tag_for(packages: &str) -> String {
    let hash = RecipeHash::default().text(SUITE).text(packages).short();
    format!("{ROOTFS_REPO}:{hash}")
}

/// The local image's tag carries a hash of everything it is built from.
pub fn local_tag() -> Result<String> {
    let hash = RecipeHash::default().text(&rootfs_tag()).tree(&paths::docker_dir().join("base"))?.short();
    Ok(format!("{LOCAL_REPO}:local-{hash}"))
}

fn build_local(sh: &Shell, rebuild: bool, verbose: bool) -> Result<String> {
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
    let rootfs = ensure_rootfs(sh)?;
    build_on_rootfs(sh, &rootfs, &tag, false, verbose)?;
    Ok(tag)
}

/// A cold build, as `cargo xtask bench` times it: a fresh root filesystem tagged `rootfs`, then
/// `docker build --no-cache` tagged `tag` (both throwaway tags the caller removes).
pub fn build_cold(sh: &Shell, rootfs: &str, tag: &str, verbose: bool) -> Result<()> {
    make_rootfs(sh, rootfs, ROOTFS_PACKAGES)?;
    build_on_rootfs(sh, rootfs, tag, true, verbose)
}

fn build_on_rootfs(sh: &Shell, rootfs: &str, tag: &str, no_cache: bool, verbose: bool) -> Result<()> {
    let wheels = download_wheels(sh)?;
    let context = tempfile::Builder::new().prefix("base-context-").tempdir_in(paths::cache_dir())?;
    stage_base_context(&paths::docker_dir().join("base"), &wheels, context.path())?;
    let spec = BuildSpec { no_cache, ..BuildSpec::new(context.path(), tag) }.arg("ROOTFS_IMAGE", rootfs).label(engine::RECIPE_LABEL_KEY, "base-local");
    Docker::new(sh).build(&spec, &format!("Building the offline base image {tag}"), verbose)
}

fn ensure_rootfs(sh: &Shell) -> Result<String> {
    let tag = rootfs_tag();
    if !Docker::new(sh).image_exists(&tag) {
        make_rootfs(sh, &tag, ROOTFS_PACKAGES)?;
    }
    Ok(tag)
}

/// A Debian root filesystem with `packages` (comma-separated), made once per package list
/// (e.g. the MySQL stand-in's); parallel callers wait for the one that makes it.
pub fn ensure_rootfs_with(sh: &Shell, packages: &str) -> Result<String> {
    let tag = rootfs_tag_for(packages);
    if Docker::new(sh).image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive(&tag.replace([':', '/'], "_"))?;
    if !Docker::new(sh).image_exists(&tag) {
        make_rootfs(sh, &tag, packages)?;
    }
    Ok(tag)
}

/// mmdebstrap a Debian root filesystem with `packages` and `docker import` it as `tag`.
fn make_rootfs(sh: &Shell, tag: &str, packages: &str) -> Result<()> {
    crate::prereqs::ensure(&[crate::prereqs::MMDEBSTRAP])?;
    let dir = paths::cache_dir();
    std::fs::create_dir_all(&dir)?;
    let tarball = tempfile::Builder::new().prefix("rootfs-").suffix(".tar").tempfile_in(&dir)?;
    let tar = tarball.path().to_path_buf();
    let step = Step::start(format!("Making a Debian {SUITE} root filesystem with mmdebstrap"));
    let mmdebstrap = duct::cmd!("mmdebstrap", "--variant=minbase", format!("--include={packages}"), SUITE, &tar);
    run_or_explain(mmdebstrap, "mmdebstrap", "check the disk space (`df -h`) and that Debian's package mirror answers")?;
    step.done("done");
    let step = Step::start(format!("Importing the root filesystem as {tag}"));
    Docker::new(sh).import(&tar, &[format!("LABEL {}", engine::MANAGED)], tag)?;
    step.done("imported");
    Ok(())
}

/// Downloads the locked wheels into the cache (pip skips files already there and checks hashes).
fn download_wheels(sh: &Shell) -> Result<PathBuf> {
    let lock = paths::docker_dir().join("base/requirements.lock");
    let dir = paths::cache_dir().join("wheels");
    std::fs::create_dir_all(&dir)?;
    let step = Step::start("Downloading the locked Python wheels on the host");
    let mut args: Vec<String> = ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--require-hashes", "-r"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend([lock.display().to_string(), "-d".into(), dir.display().to_string()]);
    args.extend(WHEEL_PLATFORM.iter().map(|s| s.to_string()));
    run_or_explain(duct::cmd(python(sh)?, args), "downloading wheels", "check that the Python package index answers from this host")?;
    step.done("done");
    Ok(dir)
}

/// Runs a host command quietly; when it fails, its last lines and one error naming the `fix`.
fn run_or_explain(command: duct::Expression, what: &str, fix: &str) -> Result<()> {
    let out = command.stderr_to_stdout().stdout_capture().unchecked().run()?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stdout);
        eprintln!("{}", engine::tail(&log, 30));
        bail!("{what} failed ({}): {fix}", engine::last_message(&log));
    }
    Ok(())
}

/// The host's Python with pip (python3, else python).
fn python(sh: &Shell) -> Result<&'static str> {
    for candidate in ["python3", "python"] {
        if cmd!(sh, "{candidate} -m pip --version").quiet().ignore_stdout().ignore_stderr().run().is_ok() {
            return Ok(candidate);
        }
    }
    bail!("a Python with pip is needed on the host to download wheels: install it (`apt-get install python3-pip`)")
}

/// The build context: docker/base's files plus exactly the locked wheels (hard links, no copies).
fn stage_base_context(recipe: &Path, wheels: &Path, context: &Path) -> Result<()> {
    for entry in std::fs::read_dir(recipe)? {
        let path = entry?.path();
        std::fs::copy(&path, context.join(path.file_name().unwrap()))
            .with_context(|| format!("staging {}", path.display()))?;
    }
    let lock = std::fs::read_to_string(recipe.join("requirements.lock"))?;
    let wanted = locked_wheels(&lock);
    std::fs::create_dir(context.join("wheels"))?;
    for entry in std::fs::read_dir(wheels)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some((pkg, version)) = wheel_name_version(&name) {
            if wanted.contains(&(pkg, version)) {
                let target = context.join("wheels").join(&name);
                std::fs::hard_link(&path, &target).or_else(|_| std::fs::copy(&path, &target).map(|_| ()))?;
            }
        }
    }
    Ok(())
}

/// `(normalised name, version)` of each `name==version` line of a lock file.
pub fn locked_wheels(lock: &str) -> Vec<(String, String)> {
    lock.lines()
        .filter_map(|line| line.split_whitespace().next()?.split_once("=="))
        .map(|(name, version)| (normalise(name), version.to_string()))
        .collect()
}

/// `pandas-3.0.6-cp311-...whl` -> ("pandas", "3.0.6").
pub fn wheel_name_version(file: &str) -> Option<(String, String)> {
    let stem = file.strip_suffix(".whl")?;
    let mut parts = stem.split('-');
    Some((normalise(parts.next()?), parts.next()?.to_string()))
}

fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names() {
        assert_eq!(wheel_name_version("argon2_cffi_bindings-25.1.0-cp39-abi3-manylinux.whl"), Some(("argon2-cffi-bindings".into(), "25.1.0".into())));
        assert_eq!(wheel_name_version("README.md"), None);
    }

    #[test]
    fn lock_lines() {
        let lock = "# comment\njupyterlab==4.6.6 --hash=sha256:ab\nPyYAML==6.0 \\\n    --hash=sha256:cd\n";
        assert_eq!(locked_wheels(lock), vec![("jupyterlab".into(), "4.6.6".into()), ("pyyaml".into(), "6.0".into())]);
    }

    #[test]
    fn the_lock_pins_every_package_with_a_hash() {
        let lock = std::fs::read_to_string(paths::docker_dir().join("base/requirements.lock")).unwrap();
        let pinned = locked_wheels(&lock);
        assert!(pinned.iter().any(|(n, _)| n == "jupyterlab"));
        assert!(pinned.iter().any(|(n, _)| n == "geopandas"));
        for line in lock.lines().filter(|l| l.contains("==")) {
            assert!(line.contains("--hash=sha256:"), "unhashed: {line}");
        }
    }

    #[test]
    fn local_tag_follows_the_recipe() {
        let tag = local_tag().unwrap();
        assert!(tag.starts_with("jupyter-docker-xtask/minimal-notebook:local-"), "{tag}");
        assert_eq!(tag, local_tag().unwrap());
    }
}
