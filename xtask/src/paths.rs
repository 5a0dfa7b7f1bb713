//! Where things are: the project root, its folders, and the xtask's cache under target/.

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the project root").to_path_buf()
}

pub fn docker_dir() -> PathBuf {
    root().join("docker")
}

pub fn notebooks_dir() -> PathBuf {
    root().join("notebooks")
}

/// Downloaded wheels, root filesystems, locks. Under target/ so `cargo clean` clears it.
pub fn cache_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    dir.join("jupyter-docker-xtask")
}

/// Serialises work that must not run twice at once (parallel tests building the same image):
/// an exclusive lock on a file, released when the guard drops or the process dies.
pub fn exclusive(name: &str) -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    // Machine-wide, not per checkout: two clones building the same image tag also wait for each other.
    let dir = std::env::temp_dir().join("jupyter-docker-xtask-locks");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = std::fs::File::create(dir.join(format!("{name}.lock")))?;
    file.lock().with_context(|| format!("locking {name}"))?;
    Ok(file)
}
