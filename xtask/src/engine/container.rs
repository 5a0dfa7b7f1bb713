//! Commands on one container that `up` needs beyond running it: create without starting, start,
//! inspect as JSON, and files copied in and out as tar archives.

use anyhow::{bail, Result};

use anyhow::Context;

use super::{last_message, Docker, RunSpec, MANAGED_KEY};

impl Docker {
    /// `docker create SPEC` (the spec's `run` options, not started): the container's id.
    pub fn create(&self, spec: &RunSpec) -> Result<String> {
        let spec = RunSpec {
            detach: false,
            ..spec.clone()
        };
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
        serde_json::from_str::<serde_json::Value>(&out)
            .ok()?
            .as_array()?
            .first()
            .cloned()
    }

    /// `docker inspect NAMES...` of any kind at once: each object found, as JSON (what is missing
    /// is simply not there). `None` when docker said anything but "No such object" (the engine
    /// does not answer): the caller asks again the slow way, which explains.
    pub fn inspect_all(&self, names: &[&str]) -> Option<Vec<serde_json::Value>> {
        let mut args = vec!["inspect"];
        args.extend(names);
        let out = self.status(&args).ok()?;
        let only_missing = out
            .stderr
            .lines()
            .all(|l| l.trim().is_empty() || l.contains("No such object"));
        if !out.ok() && !only_missing {
            return None;
        }
        serde_json::from_str::<serde_json::Value>(&out.stdout)
            .ok()?
            .as_array()
            .cloned()
    }

    /// An image's id (`sha256:...`), `None` when there is no such image.
    pub fn image_id(&self, image: &str) -> Option<String> {
        self.probe(["image", "inspect", "--format", "{{.Id}}", image])
            .filter(|id| !id.is_empty())
    }

    /// Unpacks a tar archive into a folder of a container (`docker cp - NAME:DIR`), created or
    /// stopped ones too: the files keep the owners and modes the archive gives them.
    pub fn copy_in(&self, container: &str, dir: &str, tar: &[u8]) -> Result<()> {
        let destination = format!("{container}:{dir}");
        let out = self
            .stream(["cp", "-", destination.as_str()])
            .stdin_bytes(tar)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        if !out.status.success() {
            bail!(
                "copying into {destination} failed: {}",
                last_message(&String::from_utf8_lossy(&out.stderr))
            );
        }
        Ok(())
    }

    /// A path of a container as a tar archive (`docker cp NAME:PATH -`); `None` when it is not there.
    pub fn copy_out(&self, container: &str, path: &str) -> Option<Vec<u8>> {
        let source = format!("{container}:{path}");
        let out = self
            .stream(["cp", source.as_str(), "-"])
            .stdout_capture()
            .stderr_null()
            .unchecked()
            .run()
            .ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// The id of the image `tag` names, when it is the project's (labelled): what a rebuild under
    /// that tag would leave untagged.
    pub fn managed_image_id(&self, tag: &str) -> Option<String> {
        let format = format!("{{{{.Id}}}} {{{{index .Config.Labels \"{MANAGED_KEY}\"}}}}");
        let out = self.probe(["image", "inspect", "--format", format.as_str(), tag])?;
        let (id, managed) = out.split_once(' ')?;
        (managed == "true").then(|| id.to_string())
    }

    /// After a rebuild: removes `replaced` (from [`Docker::managed_image_id`]) when `tag` names
    /// another image now. Docker refuses while a container uses it or another tag names it, and
    /// then it stays; `clean --images` removes it later.
    pub fn drop_replaced(&self, tag: &str, replaced: Option<String>) {
        let Some(old) = replaced else { return };
        if self
            .probe(["image", "inspect", "--format", "{{.Id}}", tag])
            .as_deref()
            != Some(old.as_str())
        {
            let _ = self.probe(["image", "rm", old.as_str()]);
        }
    }

    /// `docker import TARBALL TAG` with `--change` instructions (`LABEL ...`, `ENV ...`).
    pub fn import(
        &self,
        tarball: &std::path::Path,
        changes: &[String],
        tag: &str,
    ) -> Result<String> {
        let mut args = vec!["import".to_string()];
        for change in changes {
            args.extend(["--change".to_string(), change.clone()]);
        }
        args.extend([tarball.display().to_string(), tag.to_string()]);
        self.output(&args)
    }

    pub fn container_state(&self, name: &str) -> Option<ContainerState> {
        let format = "{{.State.Status}}|{{.State.Running}}|{{.State.ExitCode}}|{{.State.StartedAt}}|{{.Config.Image}}|{{.State.Paused}}";
        ContainerState::parse(&self.probe(["container", "inspect", "--format", format, name])?)
    }

    /// The host port Docker published for a container port, as `(ip, port)`.
    pub fn published_port(&self, container: &str, container_port: u16) -> Result<(String, u16)> {
        let out = self.output(["port", container, &format!("{container_port}/tcp")])?;
        parse_port_line(&out).with_context(|| format!("unexpected `docker port` output: {out}"))
    }

    /// Both streams of `docker logs --since T NAME`, merged.
    pub fn logs_since(&self, name: &str, since: &str) -> Result<String> {
        let out = self
            .stream(["logs", "--since", since, name])
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// State of a container: `None` when there is no container of that name.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerState {
    pub status: String,
    pub running: bool,
    pub exit_code: i64,
    pub started_at: String,
    pub image: String,
    pub paused: bool,
}

impl ContainerState {
    /// `status|running|exit code|started at|image|paused`, as [`Docker::container_state`] asks for it.
    fn parse(out: &str) -> Option<ContainerState> {
        let [status, running, exit_code, started_at, image, paused] = fields(out, '|')?;
        Some(ContainerState {
            status: status.to_string(),
            running: running == "true",
            exit_code: exit_code.parse().unwrap_or(-1),
            started_at: started_at.to_string(),
            image: image.to_string(),
            paused: paused == "true",
        })
    }
}

/// `127.0.0.1:49153` (first line) -> ("127.0.0.1", 49153).
pub fn parse_port_line(out: &str) -> Option<(String, u16)> {
    let line = out.lines().next()?.trim();
    let (ip, port) = line.rsplit_once(':')?;
    Some((ip.trim_matches(['[', ']']).to_string(), port.parse().ok()?))
}

/// A line of `--format` output that has exactly `N` fields separated by `separator`.
pub fn fields<const N: usize>(line: &str, separator: char) -> Option<[&str; N]> {
    line.split(separator).collect::<Vec<_>>().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lines() {
        assert_eq!(
            parse_port_line("127.0.0.1:49153\n"),
            Some(("127.0.0.1".into(), 49153))
        );
        assert_eq!(parse_port_line("[::1]:8888"), Some(("::1".into(), 8888)));
        assert_eq!(parse_port_line("garbage"), None);
    }

    #[test]
    fn lines_of_exactly_n_fields() {
        assert_eq!(fields::<3>("a|b|", '|'), Some(["a", "b", ""]));
        assert_eq!(fields::<3>("a|b", '|'), None);
        assert_eq!(fields::<2>("a\tb\tc", '\t'), None);
    }
}
