//! Commands on one container that `up` needs beyond running it: create without starting, start,
//! inspect as JSON, and files copied in and out as tar archives.

use anyhow::{bail, Result};

use super::{last_message, Docker, RunSpec};

impl Docker {
    /// `docker create SPEC` (the spec's `run` options, not started): the container's id.
    pub fn create(&self, spec: &RunSpec) -> Result<String> {
        let spec = RunSpec { detach: false, ..spec.clone() };
        let mut args = spec.args(&self.resource_labels())?;
        args[0] = "create".into();
        self.output(args)
    }

    /// `docker start NAME`; a failure is the daemon's reason.
    pub fn start(&self, name: &str) -> Result<()> {
        self.output(["start", name]).map(drop)
    }

    /// `docker inspect --type KIND NAME` as JSON (the one object), `None` when there is none.
    pub fn inspect(&self, kind: &str, name: &str) -> Option<serde_json::Value> {
        let out = self.probe(["inspect", "--type", kind, name])?;
        serde_json::from_str::<serde_json::Value>(&out).ok()?.as_array()?.first().cloned()
    }

    /// An image's id (`sha256:...`), `None` when there is no such image.
    pub fn image_id(&self, image: &str) -> Option<String> {
        self.probe(["image", "inspect", "--format", "{{.Id}}", image]).filter(|id| !id.is_empty())
    }

    /// Unpacks a tar archive into a folder of a container (`docker cp - NAME:DIR`), created or
    /// stopped ones too: the files keep the owners and modes the archive gives them.
    pub fn copy_in(&self, container: &str, dir: &str, tar: &[u8]) -> Result<()> {
        let destination = format!("{container}:{dir}");
        let out = self.stream(["cp", "-", destination.as_str()]).stdin_bytes(tar).stdout_capture().stderr_capture().unchecked().run()?;
        if !out.status.success() {
            bail!("copying into {destination} failed: {}", last_message(&String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// A path of a container as a tar archive (`docker cp NAME:PATH -`); `None` when it is not there.
    pub fn copy_out(&self, container: &str, path: &str) -> Option<Vec<u8>> {
        let source = format!("{container}:{path}");
        let out = self.stream(["cp", source.as_str(), "-"]).stdout_capture().stderr_null().unchecked().run().ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// `docker import TARBALL TAG` with `--change` instructions (`LABEL ...`, `ENV ...`).
    pub fn import(&self, tarball: &std::path::Path, changes: &[String], tag: &str) -> Result<String> {
        let mut args = vec!["import".to_string()];
        for change in changes {
            args.extend(["--change".to_string(), change.clone()]);
        }
        args.extend([tarball.display().to_string(), tag.to_string()]);
        self.output(&args)
    }
}
