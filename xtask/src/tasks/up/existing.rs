//! What `up` finds already there: the container it would reuse (or the changes that forbid it), the
//! port forwarded, the port and the image checked first.

use anyhow::{anyhow, bail, Result};

use super::found;
use super::{Plan, Up};
use crate::engine::{ContainerState, Docker};
use crate::images::{base, series};
use crate::jupyter::layout::{self, Notebooks, Wanted};
use crate::jupyter::server::{Running, Server};
use crate::jupyter::token::{self, TOKEN_ENV};
use crate::jupyter::DEFAULT_IMAGE;
use crate::progress;

impl Up {
    /// What the container asked for looks like in `docker inspect`.
    pub(super) fn wanted(&self, docker: &Docker, plan: &Plan) -> Wanted {
        Wanted {
            image: self.image.clone(),
            image_id: docker.image_id(&self.image),
            host_port: (self.port != 0).then_some(self.port),
            notebooks: plan
                .notebooks
                .as_ref()
                .map(|f| (f.real.clone(), !self.writable_notebooks)),
            volume: self.volume.clone(),
            user: format!("{}:{}", plan.user.0, plan.user.1),
        }
    }

    /// How the existing container differs from what is asked.
    pub(super) fn changes(&self, docker: &Docker, plan: &Plan) -> Vec<String> {
        let Some(inspect) = docker.inspect("container", &self.name) else {
            return Vec::new();
        };
        let mut found = layout::differences(&self.wanted(docker, plan), &inspect);
        if plan.token.is_some() && token::installed(docker, &self.name) != plan.token {
            found.push(format!(
                "its token is not the one in {}",
                if self.token_file.is_some() {
                    "--token-file"
                } else {
                    TOKEN_ENV
                }
            ));
        }
        found
    }

    /// An existing container, as asked: running -> its live URL; paused -> unpaused; stopped ->
    /// started again, not recreated. A failure leaves it as it is, and says so.
    pub(super) fn reuse(
        &self,
        docker: &Docker,
        plan: &Plan,
        state: ContainerState,
    ) -> Result<Running> {
        let name = self.name.as_str();
        let forward = |port| self.forward(port);
        let server = Server::new(docker, name, self.timeout)
            .with_token(plan.token.clone())
            .through(&forward);
        let kept = format!("{name} is kept as it is: `cargo xtask down --name {name}` removes it (its volume stays), or `up --force-recreate` makes it anew");
        let mut running = if state.paused {
            docker.output(["unpause", name]).map_err(|e| anyhow!("{name} is paused (`docker pause`) and could not be unpaused: {e:#}: run `docker unpause {name}`"))?;
            progress::note(&format!("{name} was paused (`docker pause`): unpaused it"));
            server.live(&state)?
        } else if state.running {
            server.live(&state)?
        } else {
            progress::note(&format!(
                "{name} exists ({}): starting it again",
                state.status
            ));
            // The mount point may have gone from the host folder while it was stopped.
            plan.notebooks
                .as_ref()
                .map(Notebooks::make_outputs)
                .transpose()?;
            let step = progress::Step::start(format!("Starting {name} again"));
            docker.start(name).map_err(|e| anyhow!("{e:#}; {kept}"))?;
            let started = docker.container_state(name).map(|s| s.started_at);
            let running = server
                .wait(started.as_deref())
                .map_err(|e| anyhow!("{e:#}; {kept}"))?;
            step.done(&format!("serving on 127.0.0.1:{}", running.port));
            running
        };
        self.fill_in(&mut running);
        Ok(running)
    }

    /// The published port as reached from here: itself, or a remote's through an SSH tunnel.
    pub(super) fn forward(&self, port: u16) -> Result<u16> {
        self.away
            .as_ref()
            .map_or(Ok(port), |away| away.forward(&self.name, port))
    }

    /// A container without the volume label (made by an older `up`) reports the volume asked for.
    pub(super) fn fill_in(&self, running: &mut Running) {
        if running.volume.is_empty() {
            running.volume = self.volume.clone();
        }
        if running.image.is_empty() {
            running.image = self.image.clone();
        }
    }

    pub(super) fn check_port_free(&self, docker: &Docker) -> Result<()> {
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

    /// `found`: what the one inspect before `docker run` saw, when it was asked (never on a remote).
    pub(super) fn ensure_image(&self, docker: &Docker, found: Option<&found::Found>) -> Result<()> {
        if found.is_some_and(|f| f.image_ready(&self.image)) {
            return Ok(());
        }
        if let Ok(image) = series::find(&self.image) {
            let base = base::ensure(docker.sh(), base::Source::Auto, false, false)?;
            return series::ensure_image(docker.sh(), image, &base, false);
        }
        if !docker.image_exists(&self.image) {
            bail!("image {} does not exist: build or pull it first, or leave --image at its default ({DEFAULT_IMAGE})", self.image);
        }
        Ok(())
    }
}
