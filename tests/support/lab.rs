//! What most `up` tests start from: a [`Lab`] (a container name and a volume name of this run,
//! removed when dropped) and a private copy of the project's notebooks.

use super::{images, unique, up_json, Guard};

/// A private copy of the project's notebooks folder, readable by the container's user.
pub fn notebooks_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks");
    copy_tree(&src, dir.path());
    chmod(dir.path(), 0o755);
    dir
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
            chmod(&target, 0o755);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

pub fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// What most `up` tests start from: the series' images, a container name and a volume name of this
/// run, both removed when dropped (the container first), and a private copy of the notebooks.
pub struct Lab {
    pub name: String,
    pub volume: String,
    pub notebooks: tempfile::TempDir,
    _guards: (Guard, Guard),
}

impl Lab {
    /// Names `prefix-<pid>-<n>` and `prefix-vol-<pid>-<n>`.
    pub fn new(prefix: &str) -> Lab {
        images();
        let (name, volume) = (unique(prefix), unique(&format!("{prefix}-vol")));
        let guards = (Guard::container(&name), Guard::volume(&volume));
        Lab {
            name,
            volume,
            notebooks: notebooks_copy(),
            _guards: guards,
        }
    }

    /// The notebooks copy's path.
    pub fn dir(&self) -> &str {
        self.notebooks.path().to_str().unwrap()
    }

    /// `up`'s arguments for this lab's name and volume (`--port 0` too), then `more`.
    pub fn args<'a>(&'a self, more: &[&'a str]) -> Vec<&'a str> {
        [
            &[
                "--port",
                "0",
                "--name",
                &self.name,
                "--volume",
                &self.volume,
            ][..],
            more,
        ]
        .concat()
    }

    /// [`Lab::args`] with the lab's notebooks, then `more`.
    pub fn up_args<'a>(&'a self, more: &[&'a str]) -> Vec<&'a str> {
        self.args(&[&["--notebooks", self.dir()][..], more].concat())
    }

    /// `up` for this lab, with `--json`, which must succeed; its JSON.
    pub fn up(&self) -> serde_json::Value {
        up_json(&self.up_args(&[]))
    }
}
