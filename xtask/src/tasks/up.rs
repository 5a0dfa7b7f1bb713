//! `cargo xtask up`: a running JupyterLab with its data handled right.
//! Outputs on a named volume at /work/outputs (where the notebook writes), notebooks bind-mounted
//! read-only at /work, the port on 127.0.0.1 only, the notebook user, no-new-privileges; then the
//! URL caught from the log the moment it is printed, rewritten for the host port, and checked.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use xshell::Shell;

use crate::engine::resources::{Guard, Resource};
use crate::engine::{self, ContainerState, Created, Docker, Mount, Publish, RunSpec};
use crate::images::{base, series};
use crate::jupyter::server::{Running, Server};
use crate::jupyter::{DEFAULT_IMAGE, DEFAULT_NAME, DEFAULT_VOLUME, OUTPUTS, PORT, START_TIMEOUT_SECS, VOLUME_LABEL_KEY, WORKDIR};
use crate::{paths, progress};

#[derive(clap::Args, Debug, Clone)]
pub struct Up {
    /// Container name.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Named volume for the outputs (created if missing; one that was there is never removed).
    #[arg(long, default_value = DEFAULT_VOLUME)]
    pub volume: String,
    /// Host port on 127.0.0.1 (0: let Docker pick a free one).
    #[arg(long, default_value_t = PORT)]
    pub port: u16,
    /// Image to run (the series' images are built when missing or changed).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Notebooks folder to bind-mount at /work (default: the project's notebooks/).
    #[arg(long)]
    pub notebooks: Option<PathBuf>,
    /// Mount the notebooks read-write and run as the folder's owner, for editing in the browser.
    #[arg(long)]
    pub writable_notebooks: bool,
    /// Run from the image's own copy of the notebooks (no bind mount).
    #[arg(long, conflicts_with = "writable_notebooks")]
    pub no_bind: bool,
    /// Seconds to wait for the server's URL.
    #[arg(long, default_value_t = START_TIMEOUT_SECS)]
    pub timeout: u64,
    /// Print one JSON object (url, token, container, volume, port, image) instead of the URL.
    #[arg(long)]
    pub json: bool,
    /// Open the URL in a browser.
    #[arg(long)]
    pub open: bool,
}

impl Up {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let running = self.start(&Docker::new(sh))?;
        if self.json {
            progress::say(running.to_json());
        } else {
            progress::say(&running.url);
        }
        if self.open {
            let _ = duct::cmd!("xdg-open", &running.url).stdout_null().stderr_null().unchecked().start();
        }
        Ok(())
    }

    /// Checks every input before the first docker call; the notebooks folder to mount, if any.
    fn validate(&self) -> Result<Option<PathBuf>> {
        engine::check_name("name", &self.name)?;
        engine::check_name("volume", &self.volume)?;
        engine::check_image_ref(&self.image)?;
        if self.timeout == 0 {
            bail!("--timeout 0 leaves no time for the server to start: give the seconds to wait, e.g. --timeout 120");
        }
        if self.no_bind {
            return Ok(None);
        }
        let dir = self.notebooks.clone().unwrap_or_else(paths::notebooks_dir);
        // An absolute, existing source: Docker must never create a missing one (as root).
        let dir = dir.canonicalize().map_err(|_| {
            anyhow!("notebooks folder {} does not exist: create it or pass an existing one with --notebooks", dir.display())
        })?;
        if !dir.is_dir() {
            bail!("--notebooks {} is not a folder: pass the folder that holds the notebooks", dir.display());
        }
        // A path Docker's --mount cannot carry (a newline) is refused now, before anything is made.
        self.notebooks_mount(&dir).render().context("--notebooks")?;
        Ok(Some(dir))
    }

    fn notebooks_mount(&self, dir: &Path) -> Mount {
        Mount::bind(dir, WORKDIR, !self.writable_notebooks)
    }

    pub fn start(&self, docker: &Docker) -> Result<Running> {
        let notebooks = self.validate()?;
        docker.require_engine()?;

        if let Some(state) = docker.container_state(&self.name) {
            if !docker.is_owned(&self.name) {
                bail!("a container named {} exists and was not made by this project: it is left alone; choose another --name", self.name);
            }
            return self.reuse(docker, state);
        }
        self.check_port_free(docker)?;
        self.ensure_image(docker)?;
        // A volume made by this run goes again if `up` fails; one that was there stays, always.
        let volume = docker.create_volume(&self.volume, &[])?;
        let volume_guard = (volume == Created::Now).then(|| Guard::new(docker, Resource::Volume(self.volume.clone())));
        if volume == Created::Now {
            progress::note(&format!("created the named volume {} (it outlives the container; `down` keeps it)", self.volume));
        }
        let spec = self.run_spec(docker, notebooks.as_deref())?;

        // Armed before `docker run`: removes the container only if this process made it.
        let mut container = Guard::before_create(docker, Resource::Container(self.name.clone()));
        let step = progress::Step::start(format!("Starting {} from {}", self.name, self.image));
        let started = docker.run(&spec);
        // Returned, made or not: the guard need not wait for the container to appear any more.
        container.created();
        started.map_err(|e| explain_run_error(e, self.port))?;
        let removed = match volume {
            Created::Now => format!("the container and the volume {} it made are removed", self.volume),
            Created::Existed => format!("the container is removed, the volume {} is kept", self.volume),
        };
        let mut running = Server::new(docker, &self.name, self.timeout).wait(None).map_err(|e| anyhow!("{e:#}; {removed}"))?;
        step.done(&format!("serving on 127.0.0.1:{}", running.port));
        container.keep();
        if let Some(guard) = volume_guard {
            guard.keep();
        }
        if volume == Created::Existed && !self.writable_notebooks {
            self.warn_if_outputs_not_writable(docker);
        }
        self.fill_in(&mut running);
        Ok(running)
    }

    /// `docker run -d`: the port on loopback, the outputs volume, the notebooks, the user.
    fn run_spec(&self, docker: &Docker, notebooks: Option<&Path>) -> Result<RunSpec> {
        // With writable notebooks the volume is opened to group users first; `volume-nocopy` keeps
        // Docker from copying the image directory's 755 mode back over it (it does so whenever the volume is empty).
        let outputs = Mount::Volume { name: self.volume.clone(), target: OUTPUTS.into(), readonly: false, nocopy: self.writable_notebooks };
        let host_port = (self.port != 0).then_some(self.port);
        let mut spec = RunSpec::detached(&self.image, &self.name)
            .label(VOLUME_LABEL_KEY, &self.volume)
            .publish(Publish::loopback(host_port, PORT))
            .no_new_privileges()
            .mount(outputs);
        if let Some(dir) = notebooks {
            ensure_outputs_mountpoint(dir)?;
            spec = spec.mount(self.notebooks_mount(dir));
        }
        if self.writable_notebooks {
            let (uid, gid) = writer_ids(notebooks.context("--writable-notebooks needs the notebooks bind-mounted")?)?;
            self.share_volume_with_group(docker)?;
            spec = spec.user(&format!("{uid}:{gid}"));
            spec.group_add.push("users".into());
        } else {
            // The image's notebook user (jovyan 1000:100 on docker-stacks images), never root.
            spec = spec.user("1000:100");
        }
        Ok(spec)
    }

    /// An existing container: running -> its live URL; stopped -> started again, not recreated.
    fn reuse(&self, docker: &Docker, state: ContainerState) -> Result<Running> {
        let server = Server::new(docker, &self.name, self.timeout);
        let mut running = if state.running {
            server.live(&state)?
        } else {
            progress::note(&format!("{} exists ({}): starting it again", self.name, state.status));
            let step = progress::Step::start(format!("Starting {} again", self.name));
            docker.output(["start", self.name.as_str()])?;
            let started = docker.container_state(&self.name).map(|s| s.started_at);
            let running = server.wait(started.as_deref())?;
            step.done(&format!("serving on 127.0.0.1:{}", running.port));
            running
        };
        self.fill_in(&mut running);
        Ok(running)
    }

    /// A container without the volume label (made by an older `up`) reports the volume asked for.
    fn fill_in(&self, running: &mut Running) {
        if running.volume.is_empty() {
            running.volume = self.volume.clone();
        }
        if running.image.is_empty() {
            running.image = self.image.clone();
        }
    }

    fn check_port_free(&self, docker: &Docker) -> Result<()> {
        if self.port == 0 || std::net::TcpListener::bind(("127.0.0.1", self.port)).is_ok() {
            return Ok(());
        }
        let filter = format!("publish={}", self.port);
        let holder = docker
            .probe(["ps", "--filter", filter.as_str(), "--format", "{{.Names}}"])
            .filter(|s| !s.is_empty())
            .map(|names| format!("container {}", names.lines().collect::<Vec<_>>().join(", ")))
            .unwrap_or_else(|| "another program".to_string());
        bail!("host port {} is already in use (by {holder}): choose another with --port, or --port 0 to let Docker pick a free one", self.port)
    }

    fn ensure_image(&self, docker: &Docker) -> Result<()> {
        if let Ok(image) = series::find(&self.image) {
            let base = base::ensure(docker.sh(), base::Source::Auto, false, false)?;
            return series::ensure_image(docker.sh(), image, &base, false);
        }
        if !docker.image_exists(&self.image) {
            bail!("image {} does not exist: build or pull it first, or leave --image at its default ({DEFAULT_IMAGE})", self.image);
        }
        Ok(())
    }

    /// A volume made elsewhere may not be writable by the notebook user (a new one copies the
    /// image directory's jovyan ownership): say so now, rather than when a cell fails.
    fn warn_if_outputs_not_writable(&self, docker: &Docker) {
        if docker.exec(&self.name, &["test", "-w", OUTPUTS]).is_ok_and(|o| o.ok()) {
            return;
        }
        let owner = docker.exec(&self.name, &["stat", "-c", "%U:%G", OUTPUTS]).ok().filter(|o| o.ok()).map(|o| o.stdout).unwrap_or_else(|| "?".into());
        eprintln!(
            "warning: {OUTPUTS} (volume {}) is owned by {owner} and not writable by the notebook user, so the notebook's outputs will fail: \
             give it to the notebook user (`docker run --rm --user 0 -v {}:/v --entrypoint chown {} -R 1000:100 /v`) or use another --volume",
            self.volume, self.volume, self.image
        );
    }

    /// For a non-1000 writer: group `users` may write the outputs volume (jovyan still can).
    fn share_volume_with_group(&self, docker: &Docker) -> Result<()> {
        let script = format!("chgrp -R users {OUTPUTS} && chmod -R g+rwX {OUTPUTS} && chmod g+s {OUTPUTS}");
        let spec = RunSpec::new(&self.image)
            .rm()
            .user("0")
            .no_new_privileges()
            .entrypoint("sh")
            .mount(Mount::volume(&self.volume, OUTPUTS))
            .command(&["-c", script.as_str()]);
        docker.run(&spec).context("letting group users write the outputs volume")?;
        Ok(())
    }
}

/// Transitional: walkthrough/ still reads logs through here; it moves to [`Docker::logs_since`],
/// and then this goes (a layer must not reach up into a task).
pub fn logs_since(sh: &Shell, name: &str, since: &str) -> Result<String> {
    Docker::new(sh).logs_since(name, since)
}

/// The volume mounts at /work/outputs inside the read-only /work: the mount point must exist in
/// the notebooks folder, made by the host user rather than by Docker as root.
fn ensure_outputs_mountpoint(dir: &Path) -> Result<()> {
    let outputs = dir.join("outputs");
    if !outputs.is_dir() {
        std::fs::create_dir(&outputs).with_context(|| format!("creating {} (the outputs volume's mount point)", outputs.display()))?;
        progress::note(&format!("created {} as the outputs volume's mount point", outputs.display()));
    }
    Ok(())
}

/// Who writes in the browser: the notebooks folder's owner, so saved files keep its ownership.
#[cfg(unix)]
fn writer_ids(dir: &Path) -> Result<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    if meta.uid() == 0 {
        bail!("{} is owned by root: with --writable-notebooks the server runs as the folder's owner, never root; `chown` it to your user", dir.display());
    }
    Ok((meta.uid(), meta.gid()))
}

#[cfg(not(unix))]
fn writer_ids(_: &Path) -> Result<(u32, u32)> {
    bail!("--writable-notebooks needs a Unix host")
}

/// Docker's own words for a failed `run`, with the fix for the usual causes.
fn explain_run_error(error: anyhow::Error, port: u16) -> anyhow::Error {
    let text = error.to_string();
    if text.contains("port is already allocated") || text.contains("address already in use") {
        return anyhow!("host port {port} is already in use: choose another with --port, or --port 0 to let Docker pick a free one");
    }
    if text.contains("bind source path does not exist") {
        return anyhow!("{text}: pass an existing folder with --notebooks");
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> Up {
        Up {
            name: DEFAULT_NAME.into(),
            volume: DEFAULT_VOLUME.into(),
            port: 0,
            image: DEFAULT_IMAGE.into(),
            notebooks: None,
            writable_notebooks: false,
            no_bind: false,
            timeout: 10,
            json: false,
            open: false,
        }
    }

    #[test]
    fn bad_input_is_refused_before_docker() {
        let up = up();
        assert!(up.validate().is_ok());
        let err = |u: Up| u.validate().unwrap_err().to_string();
        assert!(err(Up { name: "bad name".into(), ..up.clone() }).contains("--name"));
        assert!(err(Up { volume: "-v".into(), ..up.clone() }).contains("--volume"));
        assert!(err(Up { image: "Bad:Image".into(), ..up.clone() }).contains("lowercase"));
        assert!(err(Up { timeout: 0, ..up.clone() }).contains("--timeout"));
        assert!(err(Up { notebooks: Some("/no/such/dir".into()), ..up.clone() }).contains("does not exist"));
    }

    #[test]
    fn a_notebooks_path_cannot_add_mount_fields() {
        let base = tempfile::tempdir().unwrap();
        let comma = base.path().join("nb,source=elsewhere,readonly=false");
        std::fs::create_dir(&comma).unwrap();
        let up = Up { notebooks: Some(comma.clone()), ..up() };
        let dir = up.validate().unwrap().unwrap();
        let rendered = up.notebooks_mount(&dir).render().unwrap();
        assert!(rendered.ends_with(",target=/work,readonly") && rendered.contains(&format!("\"source={}\"", dir.display())), "{rendered}");

        let newline = base.path().join("nb\nx");
        std::fs::create_dir(&newline).unwrap();
        let error = format!("{:#}", Up { notebooks: Some(newline), ..up.clone() }.validate().unwrap_err());
        assert!(error.starts_with("--notebooks") && error.contains("control character") && !error.contains('\n'), "{error}");
    }

    #[test]
    fn a_huge_timeout_is_no_overflow() {
        let up = Up { timeout: u64::MAX, ..up() };
        assert!(up.validate().is_ok());
        assert!(engine::wait::deadline(up.timeout) > std::time::Instant::now());
    }
}
