//! `cargo xtask hub up`: the hub's images, network, state volume and container; its URL once the
//! hub answers. What this run made goes again when a step fails (the state volume only when new).

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use xshell::Shell;

use super::{hub_state, hub_url, Names, HUB_LABEL_KEY, PROXY_PORT, STATE_DIR};
use crate::engine::resources::{self, Guard, Resource};
use crate::engine::{self, Created, Docker, Mount, Publish, RunSpec, CREATOR_LABEL_KEY};
use crate::images::hub;
use crate::images::recipe::RecipeHash;
use crate::jupyter::layout::Notebooks;
use crate::jupyter::DEFAULT_IMAGE;
use crate::{paths, progress};

#[derive(clap::Args, Debug)]
pub struct HubUp {
    /// Host port on 127.0.0.1 for the hub (0: a free one Docker picks).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The image each user's server runs (jupyterhub-singleuser is added to it in one commit).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Each user's outputs volume is PREFIX-USER.
    #[arg(long, default_value = "jupyter", value_name = "PREFIX")]
    pub volume_prefix: String,
    /// Seconds a user's server may stay idle before the culler stops it (its volume stays).
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub cull_timeout: u64,
    /// Memory limit of each user's server (Docker's units: 512m, 2g).
    #[arg(long, default_value = "2g")]
    pub memory: String,
    /// CPU limit of each user's server.
    #[arg(long, default_value_t = 1.0)]
    pub cpus: f64,
    /// Seconds to wait for the hub to answer.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Publish the hub on every interface of this machine, not only 127.0.0.1: it then serves
    /// HTTPS only, with --ssl-cert and --ssl-key (a certificate for the name people use).
    #[arg(long)]
    pub public: bool,
    /// The hub's TLS certificate (PEM), mounted read-only.
    #[arg(long, value_name = "FILE")]
    pub ssl_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM), mounted read-only; never printed.
    #[arg(long, value_name = "FILE")]
    pub ssl_key: Option<std::path::PathBuf>,
    /// Spawn each user's server as a service of this engine's Docker Swarm (the engine must be a
    /// manager; every node needs the server's image; each user's server goes back to the node
    /// that holds their volume).
    #[arg(long)]
    pub swarm: bool,
    /// Install what building the offline images needs (mmdebstrap, pip) without asking.
    #[arg(long)]
    pub yes: bool,
}

impl HubUp {
    pub fn run(self, sh: &Shell, names: &Names) -> Result<()> {
        crate::prereqs::assume_yes(self.yes);
        self.check()?;
        let docker = Docker::new(sh);
        docker.require_engine()?;
        let socket = engine_socket(std::env::var("DOCKER_HOST").ok().as_deref())?;
        if self.swarm {
            require_swarm_manager(&docker)?;
        }
        let notebooks = Notebooks::resolve(&paths::notebooks_dir())?;
        notebooks.make_outputs()?;
        let (hub_image, user_image) = hub::ensure_for(sh, &self.image)?;
        let spec = self.spec(&docker, names, &hub_image, &user_image, &socket, &notebooks)?;
        // A second `hub up` for this name waits here, then finds the first one's hub.
        let _lock = paths::exclusive(&format!("hub-{}", names.hub))?;
        if let Some(state) = hub_state(&docker, names)? {
            let same = docker.label("container", &names.hub, SETTINGS_LABEL_KEY)
                == spec_label(&spec, SETTINGS_LABEL_KEY);
            match hub_url(&docker, names).filter(|_| state.running && same) {
                Some(url) => {
                    progress::note(&format!("hub {} runs already", names.hub));
                    progress::say(url);
                    return Ok(());
                }
                // Stopped, or asked otherwise: the state is on its volume and the users' servers
                // run on, so a new container takes over.
                None => {
                    progress::note(&format!(
                        "recreating the hub {} (accounts, servers and volumes stay)",
                        names.hub
                    ));
                    docker.output(["rm", "-f", &names.hub])?;
                }
            }
        }
        let mut guards = Vec::new();
        // On a swarm: an overlay network the hub's container joins and every node's servers use.
        let overlay: &[&str] = match self.swarm {
            true => &["--driver", "overlay", "--attachable"],
            false => &[],
        };
        if docker.create_network_with(&names.network, overlay)? == Created::Now {
            guards.push(Guard::new(
                &docker,
                Resource::Network(names.network.clone()),
            ));
        }
        if docker.create_volume(&names.state, &[])? == Created::Now {
            guards.push(Guard::new(&docker, Resource::Volume(names.state.clone())));
        }
        let mut guard = Guard::before_create(&docker, Resource::Container(names.hub.clone()));
        let ran = docker.run(&spec);
        guard.created();
        ran?;
        guards.push(guard);
        let url = wait_ready(&docker, names, Duration::from_secs(self.timeout))?;
        if !resources::commit(guards, || progress::say(&url)) {
            resources::exit(130);
        }
        Ok(())
    }

    fn check(&self) -> Result<()> {
        engine::check_image_ref(&self.image)?;
        engine::check_name("--volume-prefix", &self.volume_prefix)?;
        if self.cull_timeout < 10 {
            bail!(
                "--cull-timeout {} stops servers before they can be used: give 10 seconds or more",
                self.cull_timeout
            );
        }
        if self.cpus.is_nan() || self.cpus <= 0.0 {
            bail!(
                "--cpus {} leaves the servers no CPU: give a positive number",
                self.cpus
            );
        }
        match (&self.ssl_cert, &self.ssl_key) {
            (None, None) if self.public => bail!("--public serves the hub on every interface, so only over TLS: give --ssl-cert FILE and --ssl-key FILE (a certificate for the name people use), or leave out --public"),
            (Some(_), None) | (None, Some(_)) => bail!("--ssl-cert and --ssl-key go together: give both files, or neither"),
            _ => {}
        }
        for file in [&self.ssl_cert, &self.ssl_key].into_iter().flatten() {
            if !file.is_file() {
                bail!(
                    "{} is not a file: give the path of the PEM file",
                    file.display()
                );
            }
        }
        if self.timeout == 0 {
            bail!("--timeout 0 leaves no time for the hub to start: give the seconds to wait");
        }
        Ok(())
    }

    fn spec(
        &self,
        docker: &Docker,
        names: &Names,
        hub_image: &str,
        user_image: &str,
        socket: &str,
        notebooks: &Notebooks,
    ) -> Result<RunSpec> {
        // What the hub puts on each user's container and volume: the project's labels (and a test
        // run's), not this process's creator id (the hub, not this process, makes them).
        let labels: serde_json::Map<String, serde_json::Value> = docker
            .resource_labels()
            .into_iter()
            .filter(|(k, _)| k != CREATOR_LABEL_KEY)
            .map(|(k, v)| (k, v.into()))
            .collect();
        let env = [
            ("HUB_NAME", names.hub.clone()),
            ("HUB_NETWORK", names.network.clone()),
            ("HUB_IMAGE", user_image.to_string()),
            ("HUB_VOLUME_PREFIX", self.volume_prefix.clone()),
            ("HUB_CULL_TIMEOUT", self.cull_timeout.to_string()),
            ("HUB_MEMORY", self.memory.clone()),
            ("HUB_CPUS", self.cpus.to_string()),
            ("HUB_NOTEBOOKS", notebooks.real.display().to_string()),
            ("HUB_LABELS", serde_json::Value::Object(labels).to_string()),
            ("HUB_SWARM", if self.swarm { "1" } else { "0" }.to_string()),
            (
                "HUB_TLS",
                if self.ssl_cert.is_some() { "1" } else { "0" }.to_string(),
            ),
        ];
        let settings = env
            .iter()
            .fold(RecipeHash::default(), |mut h, (k, v)| {
                h.text(k).text(v);
                h
            })
            .text(hub_image)
            .text(&self.port.to_string())
            .text(&format!(
                "{}{:?}{:?}",
                self.public, self.ssl_cert, self.ssl_key
            ))
            .short();
        let mut spec = RunSpec::detached(hub_image, &names.hub)
            .network(&names.network)
            .publish(Publish {
                // Every interface only when asked, and then only over TLS (`check`).
                ip: (!self.public).then(|| "127.0.0.1".to_string()),
                host: Some(self.port).filter(|p| *p != 0),
                container: PROXY_PORT,
            })
            .mount(Mount::volume(&names.state, STATE_DIR))
            .mount(Mount::bind(socket, "/var/run/docker.sock", false))
            .mount(Mount::bind(hub::config_dir(), "/etc/jupyterhub", true))
            .no_new_privileges()
            .label(HUB_LABEL_KEY, &names.hub)
            .label(SETTINGS_LABEL_KEY, &settings);
        if let (Some(cert), Some(key)) = (&self.ssl_cert, &self.ssl_key) {
            spec = spec
                .mount(Mount::bind(absolute(cert)?, TLS_CERT, true))
                .mount(Mount::bind(absolute(key)?, TLS_KEY, true));
        }
        // Root in its container for the socket's sake, with no capability: it needs none.
        spec.cap_drop.push("ALL".into());
        for (key, value) in env {
            spec = spec.env(key, &value);
        }
        Ok(spec)
    }
}

/// Where the hub's container finds its certificate and key (docker/hub/jupyterhub_config.py).
const TLS_CERT: &str = "/srv/tls/cert.pem";
const TLS_KEY: &str = "/srv/tls/key.pem";

fn absolute(path: &std::path::Path) -> Result<String> {
    Ok(std::fs::canonicalize(path)?.display().to_string())
}

/// On the hub's container: a hash of what it was started with (a changed request recreates it).
const SETTINGS_LABEL_KEY: &str = "jupyter-docker-xtask.hub-settings";

fn spec_label(spec: &RunSpec, key: &str) -> Option<String> {
    spec.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// Fails unless the engine is a manager of an active swarm (what `--swarm` spawns on).
fn require_swarm_manager(docker: &Docker) -> Result<()> {
    let state = docker.output([
        "info",
        "-f",
        "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
    ])?;
    if state != "active true" {
        bail!("--swarm spawns the servers as swarm services, and this engine is not a swarm manager ({state}): run `docker swarm init` (or join it as a manager), or leave out --swarm");
    }
    Ok(())
}

/// The engine's Unix socket on this machine, which the hub mounts to start the users' servers.
fn engine_socket(docker_host: Option<&str>) -> Result<String> {
    match docker_host {
        Some(host) if !host.is_empty() => match host.strip_prefix("unix://") {
            Some(path) => Ok(path.to_string()),
            None => bail!("the hub starts servers through the engine's socket, and DOCKER_HOST={host} is not a local one: run it on the engine's machine (unset DOCKER_HOST)"),
        },
        _ => Ok("/var/run/docker.sock".to_string()),
    }
}

/// Python that exits 0 when the hub's API answers 200 on the proxy's port in its container (over
/// TLS when it has a certificate, which need not name 127.0.0.1).
fn answers() -> String {
    format!("import os, ssl, sys, urllib.request\ntls = os.environ.get('HUB_TLS') == '1'\nurl = ('https' if tls else 'http') + '://127.0.0.1:{PROXY_PORT}/hub/api'\nsys.exit(urllib.request.urlopen(url, timeout=2, context=ssl._create_unverified_context() if tls else None).status != 200)")
}

/// Waits until the hub answers on its port; its log's end when it stops instead.
fn wait_ready(docker: &Docker, names: &Names, limit: Duration) -> Result<String> {
    let started = Instant::now();
    let step = progress::Step::start(format!("Waiting for the hub {} to answer", names.hub));
    loop {
        let state = docker.container_state(&names.hub);
        if !state.as_ref().is_some_and(|s| s.running) {
            let log = docker.logs_since(&names.hub, "0").unwrap_or_default();
            eprintln!("{}", engine::tail(&log, 30));
            bail!(
                "the hub {} stopped before it answered (exit code {}): its log's end is above",
                names.hub,
                state.map_or(-1, |s| s.exit_code)
            );
        }
        // Asked inside its container: the engine's loopback may not be this process's (a swarm
        // manager in a container, a rootless engine's own namespace).
        if docker
            .probe(["exec", &names.hub, "python3", "-c", &answers()])
            .is_some()
        {
            if let Some(url) = hub_url(docker, names) {
                step.done("answers");
                return Ok(url);
            }
        }
        if started.elapsed() > limit {
            let log = docker.logs_since(&names.hub, "0").unwrap_or_default();
            eprintln!("{}", engine::tail(&log, 30));
            bail!(
                "the hub {} did not answer within {}s: its log's end is above",
                names.hub,
                limit.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_up(cull_timeout: u64) -> HubUp {
        HubUp {
            port: 0,
            image: DEFAULT_IMAGE.into(),
            volume_prefix: "jupyter".into(),
            cull_timeout,
            memory: "2g".into(),
            cpus: 1.0,
            timeout: 120,
            public: false,
            ssl_cert: None,
            ssl_key: None,
            swarm: false,
            yes: false,
        }
    }

    fn settings(up: &HubUp) -> Option<String> {
        let docker = Docker::new(&Shell::new().unwrap()).with_run(None);
        let notebooks = Notebooks::resolve(&paths::notebooks_dir()).unwrap();
        let names = Names::of("jupyterhub");
        let spec = up
            .spec(&docker, &names, "hub:1", "user:1", "/s.sock", &notebooks)
            .unwrap();
        spec_label(&spec, SETTINGS_LABEL_KEY)
    }

    #[test]
    fn a_changed_request_changes_the_settings_the_hub_is_kept_by() {
        let first = settings(&hub_up(3600));
        assert!(first.is_some());
        assert_eq!(
            first,
            settings(&hub_up(3600)),
            "the same request, the same hub"
        );
        assert_ne!(
            first,
            settings(&hub_up(60)),
            "another idle timeout, a new hub"
        );
    }

    #[test]
    fn the_socket_comes_from_docker_host_or_the_default() {
        assert_eq!(engine_socket(None).unwrap(), "/var/run/docker.sock");
        assert_eq!(engine_socket(Some("")).unwrap(), "/var/run/docker.sock");
        assert_eq!(
            engine_socket(Some("unix:///run/user/1000/docker.sock")).unwrap(),
            "/run/user/1000/docker.sock"
        );
        let err = engine_socket(Some("ssh://me@far")).unwrap_err().to_string();
        assert!(err.contains("is not a local one"), "{err}");
    }

    #[test]
    fn bad_requests_are_refused_before_any_docker_call() {
        let mut up = hub_up(5);
        assert!(up
            .check()
            .unwrap_err()
            .to_string()
            .contains("--cull-timeout 5"));
        up.cull_timeout = 60;
        up.cpus = 0.0;
        assert!(up.check().unwrap_err().to_string().contains("--cpus 0"));
        up.cpus = 1.0;
        up.volume_prefix = "bad prefix".into();
        assert!(up.check().is_err());
    }
}
