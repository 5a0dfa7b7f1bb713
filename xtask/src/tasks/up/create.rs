//! Making the container: the volume and the container each guarded from before their create
//! command, what Docker made checked against what was asked, the token given before the first
//! start, the server's URL awaited.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::{Plan, Started, Up};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{Created, Docker, Mount, Publish, RunSpec};
use crate::jupyter::layout::{self, Notebooks};
use crate::jupyter::server::{Running, Server};
use crate::jupyter::token::{self, TOKEN_FILE_ENV, TOKEN_PATH};
use crate::jupyter::{OUTPUTS, PORT, VOLUME_LABEL_KEY, WORKDIR};
use crate::progress;

impl Up {
    /// A new container; what this run made goes again if `up` fails.
    pub(super) fn create(
        &self,
        docker: &Docker,
        plan: &Plan,
        lock: crate::paths::Lock,
    ) -> Result<Started> {
        self.check_port_free(docker)?;
        self.ensure_image(docker, plan.found.as_ref())?;
        let made_outputs = plan
            .notebooks
            .as_ref()
            .map(Notebooks::make_outputs)
            .transpose()?
            .flatten();
        let started = self.create_with_mountpoint(docker, plan, lock);
        match (&started, made_outputs) {
            (Err(_), Some(dir)) => drop(std::fs::remove_dir(dir)),
            (Ok(_), Some(dir)) => progress::note(&format!(
                "created {} as the outputs volume's mount point",
                dir.display()
            )),
            _ => {}
        }
        started
    }

    fn create_with_mountpoint(
        &self,
        docker: &Docker,
        plan: &Plan,
        lock: crate::paths::Lock,
    ) -> Result<Started> {
        // Both guards are armed before their create command: each removes only what this process
        // made (a volume that was there stays, always), also on Ctrl-C while the command runs.
        let mut volume = Guard::before_create(docker, Resource::Volume(self.volume.clone()));
        let made = self.ensure_volume(docker, plan);
        volume.created();
        let made = made?;
        if made == Created::Now {
            progress::note(&format!(
                "created the named volume {} (it outlives the container; `down` keeps it)",
                self.volume
            ));
        }
        if self.writable_notebooks {
            self.share_volume_with_group(docker)?;
        }
        let spec = self.run_spec(plan);
        let mut container = Guard::before_create(docker, Resource::Container(self.name.clone()));
        let step = progress::Step::start(format!("Starting {} from {}", self.name, self.image));
        // With a token, the container is created, given its token file, then started.
        let result = if plan.token.is_some() {
            docker.create(&spec)
        } else {
            docker.run(&spec)
        };
        container.created();
        if let Err(e) = result {
            if self.made_by_another_up(docker, &e) {
                drop(step);
                return self.serve_theirs(docker, plan, volume, lock);
            }
            return Err(explain_run_error(e, self.port));
        }
        let removed = self.removed_on_failure(made);
        let mut running = self
            .finish(docker, plan)
            .map_err(|e| anyhow!("{e:#}; {removed}"))?;
        step.done(&format!("serving on 127.0.0.1:{}", running.port));
        if made == Created::Existed && !self.writable_notebooks {
            self.warn_if_outputs_not_writable(docker);
        }
        self.fill_in(&mut running);
        Ok(Started {
            running,
            guards: vec![container, volume],
            _lock: lock,
        })
    }

    /// The named volume: known from the plan's inspect, made if missing, or made outright.
    fn ensure_volume(&self, docker: &Docker, plan: &Plan) -> Result<Created> {
        let known = plan
            .found
            .as_ref()
            .is_some_and(|f| f.has_volume(&self.volume));
        match &plan.found {
            Some(_) if known => Ok(Created::Existed),
            // The one inspect before `docker run` answered, without it.
            Some(_) => docker.create_missing_volume(&self.volume, &[]),
            None => docker.create_volume(&self.volume, &[]),
        }
    }

    /// The create failed because the name was taken by a container of this user's.
    fn made_by_another_up(&self, docker: &Docker, error: &anyhow::Error) -> bool {
        // The name is taken before the container can be inspected: give it a moment.
        let owned = || {
            crate::engine::wait::poll(Duration::from_secs(10), Duration::from_millis(100), || {
                docker.is_owned(&self.name)
            })
            .is_some()
        };
        error.to_string().contains("is already in use by container") && owned()
    }

    /// Another user's `up` made it in between (the lock is per user): serve theirs.
    fn serve_theirs(
        &self,
        docker: &Docker,
        plan: &Plan,
        volume: Guard,
        lock: crate::paths::Lock,
    ) -> Result<Started> {
        progress::note(&format!(
            "another `up` made {} at the same moment: using it",
            self.name
        ));
        let state = docker
            .container_state(&self.name)
            .context("the container made at the same moment went again")?;
        Ok(Started {
            running: self.reuse(docker, plan, state)?,
            guards: vec![volume],
            _lock: lock,
        })
    }

    /// What goes again if the new container does not come up.
    fn removed_on_failure(&self, made: Created) -> String {
        match made {
            Created::Now => format!(
                "the container and the volume {} it made are removed",
                self.volume
            ),
            Created::Existed => format!(
                "the container is removed, the volume {} is kept",
                self.volume
            ),
        }
    }

    /// Checked, given its token and started, then awaited until the server answers.
    fn finish(&self, docker: &Docker, plan: &Plan) -> Result<Running> {
        self.verify(docker, plan)?;
        if let Some(secret) = &plan.token {
            token::install(docker, &self.name, secret, plan.user)?;
            docker.start(&self.name)?;
        }
        let forward = |port| self.forward(port);
        Server::new(docker, &self.name, self.timeout)
            .with_token(plan.token.clone())
            .through(&forward)
            .wait(None)
    }

    /// Docker mounted, published and ran what was asked (a path must never reach another folder).
    fn verify(&self, docker: &Docker, plan: &Plan) -> Result<()> {
        let inspect = docker
            .inspect("container", &self.name)
            .context("the container went away as it was made")?;
        let found = layout::differences(&self.wanted(docker, plan), &inspect);
        if !found.is_empty() {
            bail!(
                "Docker made {} other than asked ({}): report this with the --notebooks path used",
                self.name,
                found.join("; ")
            );
        }
        Ok(())
    }

    /// `docker run -d`: the port on loopback, the outputs volume, the notebooks, the user.
    pub(super) fn run_spec(&self, plan: &Plan) -> RunSpec {
        // With writable notebooks the volume is opened to group users first; `volume-nocopy` keeps
        // Docker from copying the image directory's 755 mode back over it (it does so whenever the volume is empty).
        let outputs = Mount::Volume {
            name: self.volume.clone(),
            target: OUTPUTS.into(),
            readonly: false,
            nocopy: self.writable_notebooks,
        };
        let host_port = (self.port != 0).then_some(self.port);
        let mut spec = RunSpec::detached(&self.image, &self.name)
            .label(VOLUME_LABEL_KEY, &self.volume)
            .publish(Publish::loopback(host_port, PORT))
            .no_new_privileges()
            .mount(outputs)
            .user(&format!("{}:{}", plan.user.0, plan.user.1));
        if let Some(folder) = &plan.notebooks {
            spec = spec.mount(Mount::bind(&folder.real, WORKDIR, !self.writable_notebooks));
        }
        if let Some(away) = &self.away {
            spec = away.mount(spec);
        }
        if self.writable_notebooks {
            spec.group_add.push("users".into());
        }
        if plan.token.is_some() {
            // The path only: the token itself is copied into the container before it starts.
            spec = spec.env(TOKEN_FILE_ENV, TOKEN_PATH);
        }
        spec
    }

    /// A volume made elsewhere may not be writable by the notebook user (a new one copies the
    /// image directory's jovyan ownership): say so now, rather than when a cell fails.
    fn warn_if_outputs_not_writable(&self, docker: &Docker) {
        if docker
            .exec(&self.name, &["test", "-w", OUTPUTS])
            .is_ok_and(|o| o.ok())
        {
            return;
        }
        let owner = docker
            .exec(&self.name, &["stat", "-c", "%U:%G", OUTPUTS])
            .ok()
            .filter(|o| o.ok())
            .map(|o| o.stdout)
            .unwrap_or_else(|| "?".into());
        eprintln!(
            "warning: {OUTPUTS} (volume {}) is owned by {owner} and not writable by the notebook user, so the notebook's outputs will fail: \
             give it to the notebook user (`docker run --rm --user 0 -v {}:/v --entrypoint chown {} -R 1000:100 /v`) or use another --volume",
            self.volume, self.volume, self.image
        );
    }

    /// For a non-1000 writer: group `users` may write the outputs volume (jovyan still can).
    fn share_volume_with_group(&self, docker: &Docker) -> Result<()> {
        let script =
            format!("chgrp -R users {OUTPUTS} && chmod -R g+rwX {OUTPUTS} && chmod g+s {OUTPUTS}");
        let spec = RunSpec::new(&self.image)
            .rm()
            .user("0")
            .no_new_privileges()
            .entrypoint("sh")
            .mount(Mount::volume(&self.volume, OUTPUTS))
            .command(&["-c", script.as_str()]);
        docker
            .run(&spec)
            .context("letting group users write the outputs volume")?;
        Ok(())
    }
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
