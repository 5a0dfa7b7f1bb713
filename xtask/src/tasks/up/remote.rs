//! `up` on a remote engine (`--host ssh://USER@HOST`, `--context NAME`, or DOCKER_HOST): the image
//! is built here and shipped there (`docker save | docker load` over the same SSH connection,
//! skipped when the remote has the same image id); the notebooks are copied into a named volume
//! of their own there (a path of this machine cannot be bind-mounted on another); the container
//! runs with the same safety as here, published on the remote's 127.0.0.1 only; an SSH tunnel
//! from a loopback port here reaches it, and the URL printed is that local one, checked with the token.

use anyhow::{anyhow, bail, Context, Result};

use super::{Started, Up};
use crate::engine::remote::{explain_ssh_failure, SshHost};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{last_message, Created, Docker, Mount, RunSpec};
use crate::jupyter::layout::Notebooks;
use crate::jupyter::{tunnel, WORKDIR};
use crate::{paths, progress};

/// How this run reaches a remote engine, carried by the `Up` that runs there.
#[derive(Debug, Clone)]
pub struct Away {
    ssh: SshHost,
    /// The tunnel's local port (0: a free one).
    local_port: u16,
    /// The volume the notebooks are copied into (`None`: --no-bind, the image's own copy).
    notebooks: Option<String>,
    writable: bool,
}

impl Away {
    /// The container's notebooks volume at /work, read-only unless --writable-notebooks.
    pub(super) fn mount(&self, spec: RunSpec) -> RunSpec {
        match &self.notebooks {
            Some(name) => spec.mount(Mount::Volume {
                name: name.clone(),
                target: WORKDIR.into(),
                readonly: !self.writable,
                nocopy: false,
            }),
            None => spec,
        }
    }

    /// The port published on the remote's loopback, reached here through the tunnel.
    pub(super) fn forward(&self, container: &str, remote_port: u16) -> Result<u16> {
        Ok(tunnel::ensure(&self.ssh, container, self.local_port, remote_port)?.local_port)
    }
}

impl Up {
    pub(super) fn start_remote(&self, docker: &Docker, ssh: &SshHost) -> Result<Started> {
        // Every input is checked before the first docker or ssh command.
        let source = match self.no_bind {
            true => None,
            false => Some(Notebooks::resolve(
                &self.notebooks.clone().unwrap_or_else(paths::notebooks_dir),
            )?),
        };
        let volume = format!("{}-notebooks", self.name);
        let away = Away {
            ssh: ssh.clone(),
            local_port: self.port,
            notebooks: source.as_ref().map(|_| volume.clone()),
            writable: self.writable_notebooks,
        };
        // There, Docker picks the port on the remote's loopback; the port asked is the tunnel's end here.
        let there = Up {
            port: 0,
            no_bind: true,
            writable_notebooks: false,
            away: Some(away),
            ..self.clone()
        };
        there.validate()?;
        // The port may be held by this container's own tunnel, which `up` then reuses.
        if tunnel::find(ssh, &self.name).map(|t| t.local_port) != Some(self.port) {
            tunnel::check_local_port(self.port)?;
        }
        require_remote(docker, ssh)?;

        let local = Docker::new(docker.sh());
        self.ensure_image(&local, None)?;
        match &self.registry {
            Some(registry) => through_registry(&local, docker, &self.image, registry, ssh)?,
            None => ship(&local, docker, &self.image, ssh)?,
        }
        let notebooks = source
            .map(|folder| {
                fill_notebooks(
                    docker,
                    &volume,
                    &folder,
                    self.writable_notebooks,
                    &self.image,
                )
            })
            .transpose()?;
        match there.start(docker) {
            Ok(mut started) => {
                started.guards.extend(notebooks);
                Ok(started)
            }
            Err(e) => {
                // Nothing half-made: the tunnel this run opened goes too (the guards remove the rest).
                let _ = tunnel::close(ssh, &self.name);
                Err(e)
            }
        }
    }
}

/// The remote engine answers through SSH; else one line on what failed (SSH, or the engine there).
fn require_remote(docker: &Docker, ssh: &SshHost) -> Result<()> {
    let out = docker.status(["version", "--format", "{{.Server.Version}}"])?;
    if out.ok() {
        return Ok(());
    }
    match explain_ssh_failure(ssh, &out.stderr) {
        Some(why) => bail!("{why}"),
        None => bail!("the Docker engine on {} does not answer ({}): check it there with `ssh {} docker version`", ssh.shown(), last_message(&out.stderr), ssh.shown()),
    }
}

/// `docker save | docker load` to the remote, unless it has the same image id already.
fn ship(local: &Docker, remote: &Docker, image: &str, ssh: &SshHost) -> Result<()> {
    let here = local
        .image_id(image)
        .with_context(|| format!("image {image} does not exist here: build it first"))?;
    let there = remote.image_id(image);
    if there.as_deref() == Some(here.as_str()) {
        return Ok(());
    }
    let size = local
        .probe(["image", "inspect", "--format", "{{.Size}}", image])
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let step = progress::Step::start(format!(
        "Sending {image} ({} MB) to {} (docker save | docker load)",
        size / 1_000_000,
        ssh.shown()
    ));
    let out = local
        .stream(["save", image])
        .pipe(remote.stream(["load", "-q"]))
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?;
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || remote.image_id(image).as_deref() != Some(here.as_str()) {
        if said.contains("no space left on device") {
            bail!("the remote host {} ran out of disk space while loading {image}: free space there (`docker -H ssh://{} system df`), then run again; nothing was started", ssh.shown(), ssh.shown());
        }
        let why = explain_ssh_failure(ssh, &said).unwrap_or_else(|| last_message(&said));
        bail!(
            "sending {image} to {} failed: {why}; nothing was started",
            ssh.shown()
        );
    }
    step.done("loaded");
    // The image the tag named before is removed when no container uses it (Docker refuses otherwise).
    if let Some(old) = there {
        let _ = remote.status(["image", "rm", old.as_str()]);
    }
    Ok(())
}

/// `docker push` here, `docker pull` there, unless the remote has the same image id already.
fn through_registry(
    local: &Docker,
    remote: &Docker,
    image: &str,
    registry: &str,
    ssh: &SshHost,
) -> Result<()> {
    let reference = crate::engine::registry::reference(registry, image, None)?;
    let here = local
        .image_id(image)
        .with_context(|| format!("image {image} does not exist here: build it first"))?;
    if remote.image_id(image).as_deref() == Some(here.as_str()) {
        return Ok(());
    }
    let step = progress::Step::start(format!(
        "Sending {image} to {} through {registry} (push here, pull there)",
        ssh.shown()
    ));
    crate::engine::registry::push(local, image, &reference)?;
    crate::engine::registry::pull_as(
        remote,
        &reference,
        image,
        &format!("docker -H ssh://{} login", ssh.shown()),
    )?;
    step.done("pulled");
    Ok(())
}

/// Copies the notebooks folder (without `outputs/`, only its mount point: the outputs volume's place) into the named
/// volume there, owned by the notebook user. A read-only copy is refreshed on every `up`; a
/// writable one only when the volume is new, so edits made there are never overwritten.
fn fill_notebooks(
    docker: &Docker,
    volume: &str,
    folder: &Notebooks,
    writable: bool,
    image: &str,
) -> Result<Guard> {
    let mut guard = Guard::before_create(docker, Resource::Volume(volume.into()));
    let made = docker.create_volume(volume, &[]);
    guard.created();
    if made? == Created::Existed && writable {
        progress::note(&format!("the notebooks volume {volume} is kept as it is there (edits made in JupyterLab stay; `docker cp` them back)"));
        return Ok(guard);
    }
    let script = "find /into -mindepth 1 -maxdepth 1 ! -name outputs -exec rm -rf {} + && tar -x -C /into --no-same-owner -f - && mkdir -p /into/outputs && chown -R 1000:100 /into";
    let mut spec = RunSpec::new(image)
        .rm()
        .user("0")
        .no_new_privileges()
        .entrypoint("sh")
        .network("none")
        .mount(Mount::volume(volume, "/into"))
        .command(&["-c", script]);
    spec.interactive = true;
    let args = spec.args(&docker.resource_labels())?;
    let tar = duct::cmd!(
        "tar",
        "--exclude=./outputs",
        "-C",
        &folder.real,
        "-cf",
        "-",
        "."
    );
    let out = tar
        .pipe(docker.stream(args))
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?;
    if !out.status.success() {
        return Err(anyhow!(
            "copying {} into the volume {volume} there failed: {}",
            folder.real.display(),
            last_message(&String::from_utf8_lossy(&out.stderr))
        ));
    }
    progress::note(&format!(
        "copied {} into the volume {volume} there (mounted at {WORKDIR})",
        folder.real.display()
    ));
    Ok(guard)
}
