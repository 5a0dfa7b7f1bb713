//! The project's Jupyter container as `up` asks for it: the notebooks folder (where it really is,
//! the outputs mount point in it, who owns it), and what a container's `docker inspect` shows
//! that differs from what is asked, for a container just made (Docker must have mounted what was
//! asked) and for one that exists (a changed request recreates it).

use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

use super::{OUTPUTS, PORT, WORKDIR};

/// The notebooks folder as a person named it, and the real folder that is mounted.
#[derive(Debug, Clone)]
pub struct Notebooks {
    pub named: PathBuf,
    pub real: PathBuf,
}

impl Notebooks {
    /// An existing folder, links followed: Docker must never create a missing one (as root).
    pub fn resolve(named: &Path) -> Result<Notebooks> {
        let real = named
            .canonicalize()
            .map_err(|_| anyhow!("notebooks folder {} does not exist: create it or pass an existing one with --notebooks", named.display()))?;
        if !real.is_dir() {
            bail!(
                "--notebooks {} is not a folder: pass the folder that holds the notebooks",
                named.display()
            );
        }
        Ok(Notebooks {
            named: named.to_path_buf(),
            real,
        })
    }

    /// Whether a link on the way leads the named path elsewhere (then `up` says where).
    pub fn through_link(&self) -> bool {
        let Ok(absolute) = std::path::absolute(&self.named) else {
            return true;
        };
        let mut prefix = PathBuf::new();
        for part in absolute.components() {
            prefix.push(part);
            if matches!(part, Component::Normal(_))
                && std::fs::symlink_metadata(&prefix).is_ok_and(|m| m.is_symlink())
            {
                return true;
            }
        }
        false
    }

    /// Where the outputs volume is mounted, inside the real folder.
    pub fn outputs(&self) -> PathBuf {
        self.real.join("outputs")
    }

    /// The outputs mount point is a folder or missing (made later): never a file or a link,
    /// which Docker would follow to mount the volume somewhere else.
    pub fn check_outputs(&self) -> Result<()> {
        let path = self.outputs();
        let shown = path.display();
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_symlink() => {
                let target = std::fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
                bail!("{shown} is a link (to {target}) where the outputs volume is mounted, which Docker would follow: replace it with a folder (`rm {shown} && mkdir {shown}`)")
            }
            Ok(m) if !m.is_dir() => bail!("{shown} is a file where the outputs volume is mounted: move it away (`mv {shown} {shown}.bak`)"),
            _ => Ok(()),
        }
    }

    /// Makes the outputs mount point when missing, as the host user, in the real folder (never
    /// outside it); the path when this call made it.
    pub fn make_outputs(&self) -> Result<Option<PathBuf>> {
        self.check_outputs()?;
        let path = self.outputs();
        if path.is_dir() {
            return Ok(None);
        }
        std::fs::create_dir(&path).map_err(|e| anyhow!("creating {} (the outputs volume's mount point): {e}: make the folder writable, or create it", path.display()))?;
        Ok(Some(path))
    }

    /// Who writes in the browser with --writable-notebooks: the folder's owner, never root.
    pub fn owner(&self) -> Result<(u32, u32)> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&self.real)?;
        if meta.uid() == 0 {
            bail!("{} is owned by root: with --writable-notebooks the server runs as the folder's owner, never root; `chown` it to your user", self.real.display());
        }
        Ok((meta.uid(), meta.gid()))
    }
}

/// The container `up` asks for, in the terms `docker inspect` shows.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The image reference asked for, and its id now (`None`: not built yet).
    pub image: String,
    pub image_id: Option<String>,
    /// The host port; `None`: any (Docker picks).
    pub host_port: Option<u16>,
    /// The real notebooks folder and whether it is mounted read-only; `None`: no bind mount.
    pub notebooks: Option<(PathBuf, bool)>,
    pub volume: String,
    /// `uid:gid`.
    pub user: String,
}

/// How `inspect` (one object of `docker inspect`) differs from `wanted`, one phrase each.
pub fn differences(wanted: &Wanted, inspect: &Value) -> Vec<String> {
    let mut found = Vec::new();
    image_differences(wanted, inspect, &mut found);
    port_differences(wanted, inspect, &mut found);
    let mounts = inspect["Mounts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    notebooks_differences(wanted, mounts, &mut found);
    outputs_differences(wanted, mounts, &mut found);
    let user = inspect["Config"]["User"].as_str().unwrap_or("");
    if user != wanted.user {
        found.push(format!(
            "user {} (asked {})",
            if user.is_empty() { "the image's" } else { user },
            wanted.user
        ));
    }
    found
}

/// The image: the id asked for, or (not built yet) the reference.
fn image_differences(wanted: &Wanted, inspect: &Value, found: &mut Vec<String>) {
    let image = inspect["Image"].as_str().unwrap_or("");
    match &wanted.image_id {
        Some(id) if id != image => found.push(format!(
            "image {} now has the id {} (the container runs {})",
            wanted.image,
            short(id),
            short(image)
        )),
        None if inspect["Config"]["Image"].as_str() != Some(&wanted.image) => found.push(format!(
            "image {} asked (the container runs {})",
            wanted.image,
            inspect["Config"]["Image"].as_str().unwrap_or("?")
        )),
        _ => {}
    }
}

/// The server's port: published on loopback only, on the host port asked for.
fn port_differences(wanted: &Wanted, inspect: &Value, found: &mut Vec<String>) {
    let binding = &inspect["HostConfig"]["PortBindings"][format!("{PORT}/tcp")][0];
    let (ip, port) = (
        binding["HostIp"].as_str().unwrap_or(""),
        binding["HostPort"].as_str().unwrap_or(""),
    );
    if ip != "127.0.0.1" {
        found.push(format!(
            "port {PORT} published on {} (asked 127.0.0.1 only)",
            if ip.is_empty() { "every interface" } else { ip }
        ));
    }
    if let Some(asked) = wanted.host_port {
        if port != asked.to_string() {
            found.push(format!(
                "host port {} (asked {asked})",
                if port.is_empty() || port == "0" {
                    "picked by Docker"
                } else {
                    port
                }
            ));
        }
    }
}

/// The mount at `target`, if any.
fn mount_at<'a>(mounts: &'a [Value], target: &str) -> Option<&'a Value> {
    mounts.iter().find(|m| m["Destination"] == target)
}

/// The notebooks folder: bound at the workdir from the folder asked, in the mode asked, or not at all.
fn notebooks_differences(wanted: &Wanted, mounts: &[Value], found: &mut Vec<String>) {
    match (&wanted.notebooks, mount_at(mounts, WORKDIR)) {
        (Some((source, readonly)), Some(m)) if m["Type"] == "bind" => {
            let mounted = m["Source"].as_str().unwrap_or("");
            if Path::new(mounted) != source {
                found.push(format!(
                    "notebooks {mounted} mounted at {WORKDIR} (asked {})",
                    source.display()
                ));
            }
            if m["RW"].as_bool() != Some(!readonly) {
                let mode = |ro: bool| if ro { "read-only" } else { "writable" };
                found.push(format!(
                    "notebooks mounted {} (asked {})",
                    mode(m["RW"] != true),
                    mode(*readonly)
                ));
            }
        }
        (Some((source, _)), _) => found.push(format!(
            "no notebooks folder bound at {WORKDIR} (asked {})",
            source.display()
        )),
        (None, Some(m)) if m["Type"] == "bind" => found.push(format!(
            "notebooks {} bound at {WORKDIR} (asked none: --no-bind)",
            m["Source"].as_str().unwrap_or("?")
        )),
        (None, _) => {}
    }
}

/// The outputs: the writable named volume asked for.
fn outputs_differences(wanted: &Wanted, mounts: &[Value], found: &mut Vec<String>) {
    match mount_at(mounts, OUTPUTS) {
        Some(m)
            if m["Type"] == "volume" && m["Name"] == wanted.volume.as_str() && m["RW"] == true => {}
        Some(m) => found.push(format!(
            "{} {} at {OUTPUTS} (asked the writable volume {})",
            m["Type"].as_str().unwrap_or("?"),
            m["Name"].as_str().or(m["Source"].as_str()).unwrap_or("?"),
            wanted.volume
        )),
        None => found.push(format!("no volume at {OUTPUTS} (asked {})", wanted.volume)),
    }
}

/// `sha256:0123456789ab...` -> `0123456789ab`.
fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> Wanted {
        Wanted {
            image: "img:tag".into(),
            image_id: Some("sha256:aaaa".into()),
            host_port: Some(8888),
            notebooks: Some(("/home/me/nb".into(), true)),
            volume: "vol".into(),
            user: "1000:100".into(),
        }
    }

    fn made() -> Value {
        serde_json::json!({
            "Image": "sha256:aaaa",
            "Config": {"Image": "img:tag", "User": "1000:100"},
            "HostConfig": {"PortBindings": {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8888"}]}},
            "Mounts": [
                {"Type": "bind", "Source": "/home/me/nb", "Destination": "/work", "RW": false},
                {"Type": "volume", "Name": "vol", "Source": "/var/lib/docker/volumes/vol/_data", "Destination": "/work/outputs", "RW": true}
            ]
        })
    }

    #[test]
    fn what_was_asked_shows_no_difference() {
        assert!(
            differences(&wanted(), &made()).is_empty(),
            "{:?}",
            differences(&wanted(), &made())
        );
        assert!(differences(
            &Wanted {
                host_port: None,
                ..wanted()
            },
            &made()
        )
        .is_empty());
    }

    #[test]
    fn each_change_is_named() {
        type Change = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|v| v["Image"] = "sha256:bbbb".into()),
                "now has the id aaaa",
            ),
            (
                Box::new(|v| {
                    v["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostPort"] = "9000".into()
                }),
                "host port 9000 (asked 8888)",
            ),
            (
                Box::new(|v| v["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostIp"] = "".into()),
                "every interface",
            ),
            (
                Box::new(|v| v["Mounts"][0]["Source"] = "/tmp/v".into()),
                "notebooks /tmp/v mounted at /work (asked /home/me/nb)",
            ),
            (
                Box::new(|v| v["Mounts"][0]["RW"] = true.into()),
                "mounted writable (asked read-only)",
            ),
            (
                Box::new(|v| v["Mounts"][1]["Name"] = "other".into()),
                "volume other at /work/outputs",
            ),
            // The right volume, mounted read-only: the notebook could not write its outputs.
            (
                Box::new(|v| v["Mounts"][1]["RW"] = false.into()),
                "volume vol at /work/outputs (asked the writable volume vol)",
            ),
            (
                Box::new(|v| v["Mounts"].as_array_mut().unwrap().truncate(1)),
                "no volume at /work/outputs",
            ),
            (
                Box::new(|v| {
                    v["Mounts"].as_array_mut().unwrap().remove(0);
                }),
                "no notebooks folder bound",
            ),
            (
                Box::new(|v| v["Config"]["User"] = "1234:1234".into()),
                "user 1234:1234 (asked 1000:100)",
            ),
        ];
        for (change, phrase) in cases {
            let mut inspect = made();
            change(&mut inspect);
            let found = differences(&wanted(), &inspect);
            assert!(
                found.len() == 1 && found[0].contains(phrase),
                "{phrase}: {found:?}"
            );
        }
        let unbuilt = Wanted {
            image: "other:tag".into(),
            image_id: None,
            ..wanted()
        };
        assert_eq!(
            differences(&unbuilt, &made()),
            ["image other:tag asked (the container runs img:tag)"]
        );
        let no_bind = Wanted {
            notebooks: None,
            ..wanted()
        };
        assert!(differences(&no_bind, &made())[0].contains("--no-bind"));
    }

    #[test]
    fn outputs_must_be_a_folder_made_only_inside_the_real_folder() {
        let base = tempfile::tempdir().unwrap();
        let real = base.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let nb = Notebooks::resolve(&link).unwrap();
        assert!(nb.through_link() && nb.real == real.canonicalize().unwrap());
        assert!(!Notebooks::resolve(&real).unwrap().through_link());
        assert_eq!(nb.make_outputs().unwrap(), Some(nb.real.join("outputs")));
        assert_eq!(nb.make_outputs().unwrap(), None);
        std::fs::remove_dir(nb.outputs()).unwrap();

        std::os::unix::fs::symlink(base.path().join("nowhere"), nb.outputs()).unwrap();
        assert!(nb
            .make_outputs()
            .unwrap_err()
            .to_string()
            .contains("is a link"));
        assert!(
            !base.path().join("nowhere").exists(),
            "a dangling link was followed"
        );
        std::fs::remove_file(nb.outputs()).unwrap();
        std::fs::write(nb.outputs(), "x").unwrap();
        assert!(nb
            .check_outputs()
            .unwrap_err()
            .to_string()
            .contains("is a file"));
    }
}
