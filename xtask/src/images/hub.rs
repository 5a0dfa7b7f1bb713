//! The images of `cargo xtask hub`: the hub (JupyterHub with its proxy, DockerSpawner,
//! NativeAuthenticator and the idle culler) and the per-user server image (the project's image
//! with `jupyterhub-singleuser`). Both are made offline, like the base: the hub from a Debian root
//! filesystem (bookworm's jupyterhub 3.0 and configurable-http-proxy) with the hashed wheels of
//! docker/hub/requirements.lock downloaded on the host, brought in with one `docker import`; the
//! per-user image from the project's image with the wheels of docker/hub/singleuser.lock installed
//! from a read-only folder in one container, then one `docker commit`. Nothing is fetched inside.
//! `quay.io/jupyterhub/jupyterhub` has no DockerSpawner nor NativeAuthenticator, and no registry
//! answers here: the hub is always built from its recipe.

use std::path::Path;

use anyhow::{bail, Context, Result};
use xshell::Shell;

use super::rootfs;
use crate::engine::cmdline::shell_quote;
use crate::engine::resources::{Guard, Resource};
use crate::engine::{self, Docker, Mount, RunSpec};
use crate::images::recipe::RecipeHash;
use crate::paths;
use crate::progress::Step;

const HUB_REPO: &str = "jupyter-docker-xtask/jupyterhub";
const SINGLEUSER_REPO: &str = "jupyter-docker-xtask/singleuser";
/// Debian packages of the hub: JupyterHub 3.0, its proxy, and what the wheels import.
pub const PACKAGES: &str = "jupyterhub,node-configurable-http-proxy,python3-docker,python3-escapism,python3-bcrypt,python3-onetimepass,python3-dateutil,ca-certificates,tini";
/// The jupyterhub version the per-user servers carry (`jupyterhub-singleuser`): JupyterHub 3.1
/// speaks the hub 3.0's API and is the first 3.x to support jupyter_server 2, which the base has.
pub const SINGLEUSER_JUPYTERHUB: &str = "3.1.1";

fn recipe() -> std::path::PathBuf {
    paths::docker_dir().join("hub")
}

/// The folder mounted read-only at /etc/jupyterhub in the hub's container: its
/// jupyterhub_config.py and add_user.py.
pub fn config_dir() -> std::path::PathBuf {
    recipe()
}

/// The hub image's tag: a hash of the suite, the packages, the hook, the image config and the
/// lock (the hub's own config is mounted from docker/hub at run time, see `config_dir`).
pub fn hub_tag() -> Result<String> {
    let hash = RecipeHash::default()
        .text(rootfs::SUITE)
        .text(PACKAGES)
        .file(&recipe().join("customize.sh"))?
        .file(&recipe().join("image-config"))?
        .file(&recipe().join("requirements.lock"))?
        .short();
    Ok(format!("{HUB_REPO}:local-{hash}"))
}

/// The hub image, built when missing (parallel callers wait for the one building it).
pub fn ensure_hub(sh: &Shell) -> Result<String> {
    let docker = shared(sh);
    let tag = hub_tag()?;
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive("hub-image")?;
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    crate::prereqs::ensure(&[crate::prereqs::MMDEBSTRAP, crate::prereqs::PIP])?;
    build_hub(&docker, &tag)?;
    Ok(tag)
}

/// The engine for the shared images: they are no test run's (a run's sweep must not take them).
fn shared(sh: &Shell) -> Docker {
    Docker::new(sh).with_run(None)
}

/// The wheels `lock` pins, downloaded on the host (hash-checked) and staged in a folder of their own.
fn staged_wheels(lock: &Path) -> Result<tempfile::TempDir> {
    let cache = paths::cache_dir().join("wheels");
    rootfs::download_locked(&Shell::new()?, lock, &cache)?;
    let staged = tempfile::Builder::new()
        .prefix("hub-wheels-")
        .tempdir_in(paths::cache_dir())?;
    rootfs::stage_locked_wheels(lock, &cache, staged.path())?;
    Ok(staged)
}

fn build_hub(docker: &Docker, tag: &str) -> Result<()> {
    let recipe = recipe();
    let staged = staged_wheels(&recipe.join("requirements.lock"))?;
    let hook = [
        recipe.join("customize.sh"),
        staged.path().to_path_buf(),
        recipe.clone(),
    ]
    .map(|p| shell_quote(&p.display().to_string()));
    let options = vec![format!(
        "--customize-hook={} \"$1\" {} {}",
        hook[0], hook[1], hook[2]
    )];
    let tar = rootfs::mmdebstrap(PACKAGES, &options)?;
    rootfs::import_recipe(docker, tar.path(), &recipe, "hub-local", tag)
}

/// The hub's image and the per-user image made from `image` (a series image is built when
/// missing, any other must exist): what `hub up` runs.
pub fn ensure_for(sh: &Shell, image: &str) -> Result<(String, String)> {
    let docker = Docker::new(sh);
    if let Ok(wanted) = super::series::find(image) {
        let base = super::base::ensure(sh, super::base::Source::Auto, false, false)?;
        super::series::ensure_image(sh, wanted, &base, false)?;
    } else if !docker.image_exists(image) {
        anyhow::bail!(
            "image {image} does not exist: build or pull it first, or leave --image at its default"
        );
    }
    let user = ensure_singleuser(sh, image)?;
    let hub = ensure_hub(sh)?;
    Ok((hub, user))
}

/// The per-user image made from `image` (whose id is part of the tag: a rebuilt image makes a new one).
pub fn singleuser_tag(docker: &Docker, image: &str) -> Result<String> {
    let id = docker
        .image_id(image)
        .with_context(|| format!("image {image} does not exist: build it first"))?;
    let hash = RecipeHash::default()
        .text(&id)
        .text("unlabelled-commit")
        .file(&recipe().join("singleuser.lock"))?
        .short();
    Ok(format!("{SINGLEUSER_REPO}:{hash}"))
}

/// `image` with `jupyterhub-singleuser`: one container installs the locked wheels, as the notebook
/// user, from a read-only folder with no index; `docker commit` keeps the image's own command.
pub fn ensure_singleuser(sh: &Shell, image: &str) -> Result<String> {
    let docker = shared(sh);
    let tag = singleuser_tag(&docker, image)?;
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive("hub-singleuser")?;
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    crate::prereqs::ensure(&[crate::prereqs::PIP])?;
    let lock = recipe().join("singleuser.lock");
    let staged = staged_wheels(&lock)?;
    std::fs::copy(&lock, staged.path().join("requirements.lock"))?;
    make_readable(staged.path())?;
    let step = Step::start(format!("Adding jupyterhub-singleuser to {image} as {tag}"));
    let name = format!("hub-singleuser-build-{}", std::process::id());
    // Unlabelled: `docker commit` keeps the container's labels in the image, and an image must
    // never carry the owner label (every container of it would inherit it). The guard comes
    // right after `create`, before the install runs.
    let spec = RunSpec::new(image)
        .name(&name)
        .mount(Mount::bind(staged.path(), "/tmp/wheels", true))
        .command(&PIP_INSTALL);
    docker.unlabelled().create(&spec)?;
    let guard = Guard::new(&docker, Resource::Container(name.clone()));
    let out = docker.status(["start", "-a", &name])?;
    let exit = docker.container_state(&name).map_or(-1, |s| s.exit_code);
    if !out.ok() || exit != 0 {
        eprintln!(
            "{}",
            engine::tail(&format!("{}{}", out.stdout, out.stderr), 30)
        );
        bail!("installing jupyterhub-singleuser's wheels into {image} failed (exit code {exit}): see the lines above");
    }
    let cmd = docker.output(["image", "inspect", "-f", "{{json .Config.Cmd}}", image])?;
    let mut args = vec!["commit".to_string()];
    args.extend(["--change".into(), format!("CMD {}", cmd.trim())]);
    for (k, v) in docker.build_labels(&tag).into_iter().chain([(
        engine::RECIPE_LABEL_KEY.to_string(),
        "hub-singleuser".to_string(),
    )]) {
        args.extend(["--change".into(), format!("LABEL {k}={v}")]);
    }
    args.extend([name.clone(), tag.clone()]);
    docker.output(&args)?;
    drop(guard);
    step.done("done");
    Ok(tag)
}

/// pip in the build container: the staged wheels only, each checked against the lock's hash.
const PIP_INSTALL: [&str; 11] = [
    "pip",
    "install",
    "--quiet",
    "--no-index",
    "--no-deps",
    "--require-hashes",
    "--disable-pip-version-check",
    "--find-links",
    "/tmp/wheels",
    "-r",
    "/tmp/wheels/requirements.lock",
];

/// The staged folder is made by root with 0700: the notebook user in the container must read it.
fn make_readable(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Checks that a pinned version is the one the lock holds (the doc above and the lock agree).
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    rootfs::locked_wheels(lock)
        .into_iter()
        .find(|(n, _)| n == package)
        .map(|(_, v)| v)
}

/// Fails unless `name` is a hub user name: a letter, then up to 31 lowercase letters or digits
/// (it names the user's container and volume, so Docker's rules and DockerSpawner's escaping
/// leave it unchanged).
pub fn check_user_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_ok || !rest_ok || name.len() > 32 {
        bail!("invalid user name {name:?}: a hub user name is a lowercase letter, then up to 31 lowercase letters or digits (it names the user's container and volume); choose another");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        for good in ["alice", "b0b", "x"] {
            check_user_name(good).unwrap();
        }
        for bad in [
            "",
            "Alice",
            "0bob",
            "al ice",
            "a-b",
            "a/b",
            "ab;rm",
            &"a".repeat(33),
        ] {
            let err = check_user_name(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid user name"), "{err}");
        }
    }

    #[test]
    fn the_locks_pin_with_hashes_and_agree_with_the_code() {
        for lock in ["requirements.lock", "singleuser.lock"] {
            let text = std::fs::read_to_string(recipe().join(lock)).unwrap();
            for line in text.lines().filter(|l| l.contains("==")) {
                assert!(line.contains("--hash=sha256:"), "unhashed: {line}");
            }
        }
        let single = std::fs::read_to_string(recipe().join("singleuser.lock")).unwrap();
        assert_eq!(
            locked_version(&single, "jupyterhub").as_deref(),
            Some(SINGLEUSER_JUPYTERHUB)
        );
        let hub = std::fs::read_to_string(recipe().join("requirements.lock")).unwrap();
        for wanted in [
            "dockerspawner",
            "jupyterhub-nativeauthenticator",
            "jupyterhub-idle-culler",
        ] {
            assert!(locked_version(&hub, wanted).is_some(), "{wanted}");
        }
    }

    #[test]
    fn the_hubs_python_parses() {
        for file in ["jupyterhub_config.py", "add_user.py", "swarm_placement.py"] {
            let path = config_dir().join(file);
            let parsed = std::process::Command::new("python3")
                .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
                .arg(&path)
                .status()
                .expect("python3 on the host");
            assert!(parsed.success(), "{} does not parse", path.display());
        }
    }

    #[test]
    fn a_swarm_user_goes_back_to_their_volumes_node_and_a_full_one_is_refused() {
        let check = crate::paths::root().join("xtask/test_data/hub/placement_check.py");
        let out = std::process::Command::new("python3")
            .arg(&check)
            .arg(config_dir())
            .output()
            .expect("python3 on the host");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = said.lines().collect();
        let expected = [
            "alice: node-a",
            "bob: node-b",
            "carol: refused: no swarm node has room for another server of 6.0 GiB",
            "bob: node-b",
            "alice: node-a",
            "alice: refused: the swarm node node-a, where alice's volume is, is full: a server needs 6.0 GiB and 4.0 GiB is free",
            "alice: refused: alice's volume is on the swarm node node-a, which is down or drained",
        ];
        assert_eq!(lines.len(), expected.len(), "{said}");
        for (line, wanted) in lines.iter().zip(expected) {
            assert!(line.starts_with(wanted), "{line}\n  wanted: {wanted}");
        }
    }

    #[test]
    fn the_tag_follows_the_recipe() {
        let tag = hub_tag().unwrap();
        assert!(tag.starts_with("jupyter-docker-xtask/jupyterhub:local-"));
        assert_eq!(tag, hub_tag().unwrap());
    }
}
