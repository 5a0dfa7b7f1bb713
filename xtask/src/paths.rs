//! Where things are: the project root, its folders, and the xtask's cache under target/.

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project root")
        .to_path_buf()
}

pub fn docker_dir() -> PathBuf {
    root().join("docker")
}

pub fn notebooks_dir() -> PathBuf {
    root().join("notebooks")
}

/// Downloaded wheels, root filesystems, locks. Under target/ so `cargo clean` clears it.
pub fn cache_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
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
        Err(e) => bail!(
            "creating {}: {e}: check that the folder above it is writable",
            dir.display()
        ),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid {
        bail!(
            "{} is not a folder of this user (a link, or owned by uid {}): remove it and run again",
            dir.display(),
            meta.uid()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

/// The real uid, read from /proc (no libc dependency): the owner of this process's own /proc entry.
pub fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

/// Serialises work that must not run twice at once (parallel tests building the same image):
/// an exclusive lock on a file in this user's runtime folder, released when the guard drops or
/// the process dies. Opened without truncating and never through a symbolic link. The file goes
/// when the guard drops (one per `up --name` would pile up otherwise).
pub fn exclusive(name: &str) -> anyhow::Result<Lock> {
    loop {
        let (file, path) = lock_file(name)?;
        std::fs::File::lock(&file)
            .map_err(|e| anyhow::anyhow!("locking {}: {e}", path.display()))?;
        if still_at(&file, &path) {
            return Ok(Lock { file, path });
        }
    }
}

/// Like [`exclusive`], but `None` at once when another process holds the lock. The file stays:
/// it names a slot that is tried again and again.
pub fn try_exclusive(name: &str) -> anyhow::Result<Option<std::fs::File>> {
    loop {
        let (file, path) = lock_file(name)?;
        if file.try_lock().is_err() {
            return Ok(None);
        }
        if still_at(&file, &path) {
            return Ok(Some(file));
        }
    }
}

/// A shared lock on the same kind of file: held by each reader of something an [`exclusive`]
/// holder rewrites (a sandbox's warm cache, read by every replay, filled by one warm-up).
pub fn shared(name: &str) -> anyhow::Result<std::fs::File> {
    loop {
        let (file, path) = lock_file(name)?;
        std::fs::File::lock_shared(&file)
            .map_err(|e| anyhow::anyhow!("locking {}: {e}", path.display()))?;
        if still_at(&file, &path) {
            return Ok(file);
        }
    }
}

/// A held [`exclusive`] lock. Dropping it removes the file while the lock is still held, then
/// releases it; a process that was waiting on the removed file sees it gone and locks anew.
#[derive(Debug)]
pub struct Lock {
    file: std::fs::File,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Only while holding the lock: a waiter re-checks the path after locking (`still_at`).
        if still_at(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether `path` is still the file we locked: a holder may have removed it (or another process
/// made a new one there) while we waited, and a lock on a removed file excludes no one.
fn still_at(file: &std::fs::File, path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(locked), Ok(there)) => (locked.dev(), locked.ino()) == (there.dev(), there.ino()),
        _ => false,
    }
}

fn lock_file(name: &str) -> anyhow::Result<(std::fs::File, PathBuf)> {
    use anyhow::Context;
    use std::os::unix::fs::OpenOptionsExt;
    let path = runtime_dir()?.join(format!("{name}.lock"));
    const O_NOFOLLOW: i32 = 0o400000;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW)
        .open(&path)
        .with_context(|| {
            format!(
                "opening the lock {} (a link there is refused)",
                path.display()
            )
        })?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_live_in_a_private_folder_and_never_follow_links_or_truncate() {
        let dir = runtime_dir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let name = format!("test-lock-{}", std::process::id());
        let path = dir.join(format!("{name}.lock"));
        std::fs::write(&path, "keep me").unwrap();
        let held = exclusive(&name).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "keep me",
            "the lock truncated its file"
        );
        drop(held);

        let target = tempfile::NamedTempFile::new().unwrap();
        std::os::unix::fs::symlink(target.path(), &path).unwrap();
        let refused = exclusive(&name);
        std::fs::remove_file(&path).unwrap();
        assert!(refused.is_err(), "a link in place of the lock was followed");
    }

    /// A lock's file goes with its holder; one waiting meanwhile ends up holding the file that is
    /// at the path (not the removed one), so it still excludes everyone else.
    #[test]
    fn lock_files_go_with_their_holder_and_waiters_lock_the_file_at_the_path() {
        use std::os::unix::fs::MetadataExt;
        let name = format!("test-lock-handover-{}", std::process::id());
        let path = runtime_dir().unwrap().join(format!("{name}.lock"));
        let first = exclusive(&name).unwrap();
        let (waiting, (locked, handed)) = (name.clone(), std::sync::mpsc::channel());
        let waiter = std::thread::spawn(move || {
            let lock = exclusive(&waiting).unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            lock
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            try_exclusive(&name).unwrap().is_none(),
            "the lock was not held"
        );
        drop(first);
        handed.recv().unwrap();
        assert!(path.exists(), "the waiter holds a lock on a removed file");
        assert!(
            try_exclusive(&name).unwrap().is_none(),
            "two holders at once"
        );
        let second = waiter.join().unwrap();
        assert_eq!(
            second.file.metadata().unwrap().ino(),
            std::fs::metadata(&path).unwrap().ino()
        );
        drop(second);
        assert!(!path.exists(), "the lock file stayed after its holder");
        // A slot taken with try_exclusive keeps its file.
        drop(try_exclusive(&name).unwrap().unwrap());
        assert!(path.exists());
        std::fs::remove_file(&path).unwrap();
    }
}
