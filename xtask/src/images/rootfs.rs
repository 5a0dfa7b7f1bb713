//! What the offline images are made from, on the host: Debian root filesystems from mmdebstrap
//! (brought in with `docker import`) and the locked Python wheels (downloaded with pip, checked
//! against their hashes). mmdebstrap works in a scratch folder on /dev/shm when it has room.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::engine::{self, Docker};
use crate::images::recipe::RecipeHash;
use crate::paths;
use crate::progress::Step;

pub const SUITE: &str = "bookworm";
const ROOTFS_REPO: &str = "jupyter-docker-xtask/debian-rootfs";
/// Platforms whose wheels run on bookworm's glibc and Python 3.11.
pub const WHEEL_PLATFORM: &[&str] = &[
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--platform",
    "manylinux2014_x86_64",
    "--platform",
    "manylinux_2_17_x86_64",
    "--platform",
    "manylinux_2_28_x86_64",
];

/// The tag of a root filesystem with these packages.
pub fn rootfs_tag_for(packages: &str) -> String {
    let hash = RecipeHash::default().text(SUITE).text(packages).short();
    format!("{ROOTFS_REPO}:{hash}")
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
        let tar = mmdebstrap(packages, &[])?;
        let labels = [
            format!("LABEL {}", engine::MANAGED),
            format!("LABEL {}={tag}", engine::BUILT_AS_LABEL_KEY),
        ];
        import(&Docker::new(sh), tar.path(), &labels, &tag)?;
    }
    Ok(tag)
}

/// mmdebstrap (minbase) with `packages` and `extra` options into a tarball in the scratch folder.
pub fn mmdebstrap(packages: &str, extra: &[String]) -> Result<tempfile::NamedTempFile> {
    crate::prereqs::ensure(&[crate::prereqs::MMDEBSTRAP])?;
    let dir = scratch_dir()?;
    let tarball = tempfile::Builder::new()
        .prefix("rootfs-")
        .suffix(".tar")
        .tempfile_in(&dir)?;
    let step = Step::start(format!(
        "Making a Debian {SUITE} root filesystem with mmdebstrap"
    ));
    let mut args = vec![
        "--variant=minbase".to_string(),
        format!("--include={packages}"),
    ];
    args.extend(extra.iter().cloned());
    args.extend([SUITE.to_string(), tarball.path().display().to_string()]);
    let command = duct::cmd("mmdebstrap", args).env("TMPDIR", &dir);
    run_or_explain(
        command,
        "mmdebstrap",
        "check the disk space (`df -h`) and that Debian's package mirror answers",
    )?;
    step.done("done");
    Ok(tarball)
}

/// `docker import` of a root filesystem tarball as `tag`, with `--change` instructions; a rebuild
/// removes the image the tag named before (when it is the project's and nothing uses it).
pub fn import(docker: &Docker, tar: &Path, changes: &[String], tag: &str) -> Result<()> {
    let replaced = docker.managed_image_id(tag);
    let step = Step::start(format!("Importing the root filesystem as {tag}"));
    docker.import(tar, changes, tag)?;
    step.done("imported");
    docker.drop_replaced(tag, replaced);
    Ok(())
}

/// [`import`] with the config of a recipe folder (its `image-config`: one Dockerfile-style
/// change per line, `#` comments) and the project's labels, `recipe` as its recipe label.
pub fn import_recipe(
    docker: &Docker,
    tar: &Path,
    folder: &Path,
    recipe: &str,
    tag: &str,
) -> Result<()> {
    let mut changes: Vec<String> = std::fs::read_to_string(folder.join("image-config"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let labels = docker.build_labels(tag).into_iter().chain([(
        crate::engine::RECIPE_LABEL_KEY.to_string(),
        recipe.to_string(),
    )]);
    changes.extend(labels.map(|(k, v)| format!("LABEL {k}={v}")));
    import(docker, tar, &changes, tag)
}

/// Where mmdebstrap unpacks and writes its tarball: /dev/shm (memory: several times faster than
/// the disk) when it has 4 GB free, else the cache folder.
fn scratch_dir() -> Result<PathBuf> {
    let shm = Path::new("/dev/shm");
    let sh = Shell::new()?;
    let roomy = cmd!(sh, "df --output=avail -k {shm}")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
        .and_then(|out| out.lines().last()?.trim().parse::<u64>().ok());
    if roomy.is_some_and(|kb| kb > 4 * 1024 * 1024) {
        return Ok(shm.to_path_buf());
    }
    let dir = paths::cache_dir();
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Downloads the locked wheels into `dir` (pip skips files already there and checks hashes).
pub fn download_wheels(sh: &Shell, dir: &Path) -> Result<()> {
    download_locked(sh, &paths::docker_dir().join("base/requirements.lock"), dir)
}

/// Downloads the wheels `lock` pins into `dir` (pip skips files already there and checks hashes).
pub fn download_locked(sh: &Shell, lock: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let step = Step::start("Downloading the locked Python wheels on the host");
    let mut args: Vec<String> = [
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
        "-r",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    args.extend([
        lock.display().to_string(),
        "-d".into(),
        dir.display().to_string(),
    ]);
    args.extend(WHEEL_PLATFORM.iter().map(|s| s.to_string()));
    run_or_explain(
        duct::cmd(python(sh)?, args),
        "downloading wheels",
        "check that the Python package index answers from this host",
    )?;
    step.done("done");
    Ok(())
}

/// Runs a host command quietly; when it fails, its last lines and one error naming the `fix`.
pub fn run_or_explain(command: duct::Expression, what: &str, fix: &str) -> Result<()> {
    let out = command
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
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
        if cmd!(sh, "{candidate} -m pip --version")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_ok()
        {
            return Ok(candidate);
        }
    }
    bail!("a Python with pip is needed on the host to download wheels: install it (`apt-get install python3-pip`)")
}

/// Hard-links (or copies) exactly the wheels `lock` pins from `wheels` into `into`; fails naming
/// the first one missing.
pub fn stage_locked_wheels(lock: &Path, wheels: &Path, into: &Path) -> Result<()> {
    let wanted = locked_wheels(
        &std::fs::read_to_string(lock).with_context(|| format!("reading {}", lock.display()))?,
    );
    std::fs::create_dir_all(into)?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(wheels)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if let Some(pinned) = wheel_name_version(&name).filter(|p| wanted.contains(p)) {
            let target = into.join(&name);
            std::fs::hard_link(&path, &target)
                .or_else(|_| std::fs::copy(&path, &target).map(|_| ()))?;
            found.push(pinned);
        }
    }
    if let Some((name, version)) = wanted.iter().find(|w| !found.contains(w)) {
        bail!(
            "the wheel of {name}=={version} is missing from {}: run again (the download resumes)",
            wheels.display()
        );
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
        assert_eq!(
            wheel_name_version("argon2_cffi_bindings-25.1.0-cp39-abi3-manylinux.whl"),
            Some(("argon2-cffi-bindings".into(), "25.1.0".into()))
        );
        assert_eq!(wheel_name_version("README.md"), None);
    }

    #[test]
    fn lock_lines() {
        let lock =
            "# comment\njupyterlab==4.6.6 --hash=sha256:ab\nPyYAML==6.0 \\\n    --hash=sha256:cd\n";
        assert_eq!(
            locked_wheels(lock),
            vec![
                ("jupyterlab".into(), "4.6.6".into()),
                ("pyyaml".into(), "6.0".into())
            ]
        );
    }

    #[test]
    fn the_lock_pins_every_package_with_a_hash() {
        let lock =
            std::fs::read_to_string(paths::docker_dir().join("base/requirements.lock")).unwrap();
        let pinned = locked_wheels(&lock);
        assert!(pinned.iter().any(|(n, _)| n == "jupyterlab"));
        assert!(pinned.iter().any(|(n, _)| n == "geopandas"));
        for line in lock.lines().filter(|l| l.contains("==")) {
            assert!(line.contains("--hash=sha256:"), "unhashed: {line}");
        }
    }

    #[test]
    fn staging_takes_exactly_the_locked_wheels_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let (wheels, into, lock) = (
            dir.path().join("w"),
            dir.path().join("s"),
            dir.path().join("lock"),
        );
        std::fs::create_dir(&wheels).unwrap();
        std::fs::write(&lock, "six==1.17.0 --hash=sha256:ab\n").unwrap();
        std::fs::write(wheels.join("six-1.17.0-py2.py3-none-any.whl"), "w").unwrap();
        std::fs::write(wheels.join("six-1.16.0-py2.py3-none-any.whl"), "old").unwrap();
        stage_locked_wheels(&lock, &wheels, &into).unwrap();
        let staged: Vec<_> = std::fs::read_dir(&into)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            staged,
            vec![std::ffi::OsString::from("six-1.17.0-py2.py3-none-any.whl")]
        );
        std::fs::write(
            &lock,
            "six==1.17.0 --hash=sha256:ab\nidna==3.10 --hash=sha256:cd\n",
        )
        .unwrap();
        let err = stage_locked_wheels(&lock, &wheels, &dir.path().join("t"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("idna==3.10 is missing"), "{err}");
    }
}
