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

/// This user's private folder for sockets and locks: `$XDG_RUNTIME_DIR/jupyter-docker-xtask`, else
/// `/tmp/jupyter-docker-xtask-<uid>`. Made 0700; refused when it is a link or someone else's, so
/// another user can neither read what is in it nor plant a file the xtask would open.
pub fn runtime_dir() -> anyhow::Result<PathBuf> {
    use anyhow::bail;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let uid = current_uid();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(base) => PathBuf::from(base).join("jupyter-docker-xtask"),
        None => std::env::temp_dir().join(format!("jupyter-docker-xtask-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => bail!("creating {}: {e}: check that the folder above it is writable", dir.display()),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid {
        bail!("{} is not a folder of this user (a link, or owned by uid {}): remove it and run again", dir.display(), meta.uid());
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

/// The real uid, read from /proc (no libc dependency): the owner of this process's own /proc entry.
pub fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0)
}

/// Serialises work that must not run twice at once (parallel tests building the same image):
/// an exclusive lock on a file in this user's runtime folder, released when the guard drops or
/// the process dies. Opened without truncating and never through a symbolic link.
pub fn exclusive(name: &str) -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    let file = lock_file(name)?;
    file.lock().with_context(|| format!("locking {name}"))?;
    Ok(file)
}

/// Like [`exclusive`], but `None` at once when another process holds the lock.
pub fn try_exclusive(name: &str) -> anyhow::Result<Option<std::fs::File>> {
    let file = lock_file(name)?;
    Ok(file.try_lock().is_ok().then_some(file))
}

fn lock_file(name: &str) -> anyhow::Result<std::fs::File> {
    use anyhow::Context;
    use std::os::unix::fs::OpenOptionsExt;
    let path = runtime_dir()?.join(format!("{name}.lock"));
    const O_NOFOLLOW: i32 = 0o400000;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW)
        .open(&path)
        .with_context(|| format!("opening the lock {} (a link there is refused)", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_live_in_a_private_folder_and_never_follow_links_or_truncate() {
        let dir = runtime_dir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let name = format!("test-lock-{}", std::process::id());
        let path = dir.join(format!("{name}.lock"));
        std::fs::write(&path, "keep me").unwrap();
        drop(exclusive(&name).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me", "the lock truncated its file");
        std::fs::remove_file(&path).unwrap();

        let target = tempfile::NamedTempFile::new().unwrap();
        std::os::unix::fs::symlink(target.path(), &path).unwrap();
        let refused = exclusive(&name);
        std::fs::remove_file(&path).unwrap();
        assert!(refused.is_err(), "a link in place of the lock was followed");
    }
}
