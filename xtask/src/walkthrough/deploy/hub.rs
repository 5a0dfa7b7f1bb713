//! The stand-in for Docker Hub. Docker Hub is one service with two doors: logins and pushes need
//! the account's password, pulls of a public repository need nothing. Here:
//! - the push side is Debian's docker-registry (distribution 2.8) with htpasswd authentication,
//!   served over TLS at Docker Hub's own names (`registry-1.docker.io`, `index.docker.io`, network
//!   aliases on a network of the run's own that the sandbox engine joins), its certificate signed
//!   by a CA made for the run and trusted by the sandbox's dockerd, so a plain `docker login` and
//!   `docker push NAME` reach it as written;
//! - the pull side is the sandbox's registry, which every sandbox engine already uses as its
//!   mirror for Docker Hub: both serve one storage (its data volume), so what is pushed can be
//!   pulled anonymously at once, and the stand-ins (`jupyter/minimal-notebook`, `mysql`) are on
//!   "Docker Hub" as they are on the real one.
//!
//! What the run pushed is removed from the storage at the end (its repository's folder; the
//! blobs it shares with the stand-ins stay).

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::engine::resources::{Guard, Resource};
use crate::engine::{last_message, wait, Docker, Mount, RunSpec};
use crate::sandbox::{registry, Sandbox};

/// Docker Hub's names: the index the CLI logs in to, and the registry the engine talks to.
pub const NAMES: [&str; 2] = ["registry-1.docker.io", "index.docker.io"];
/// Where the sandbox's dockerd looks for a registry's CA (one folder per name).
const CERTS_D: &str = "/etc/docker/certs.d";
const CONFIG: &str = include_str!("../data/deploy/hub.yml");
const MIRROR: &str = include_str!("../data/deploy/hub-mirror.yml");
const MAKE: &str = include_str!("../data/deploy/make-hub.sh");

/// Where the anonymous pull side answers on the hub's network (a remote host's mirror).
const MIRROR_ALIAS: &str = "registry.sandbox";

pub struct Hub {
    pub user: String,
    pub container: String,
    pub network: String,
    /// The registry's CA, PEM (public: what the sandbox trusts).
    pub ca: String,
    sandbox: String,
    host: Docker,
    // Dropped in this order after `drop`: the container, the network, the storage, the folder.
    _container: Guard,
    _network: Guard,
    _storage: Guard,
    _dir: tempfile::TempDir,
}

impl Hub {
    /// Makes the run's CA, certificate and account (`user` with `password`), starts the registry
    /// at Docker Hub's names, and has the sandbox's engine resolve and trust it.
    pub fn start(sandbox: &Sandbox, image: &str, user: &str, password: &str) -> Result<Hub> {
        let host = sandbox.host().clone();
        let dir = tempfile::Builder::new().prefix("jdx-hub-").tempdir()?;
        let ca = make_ca_and_account(&host, dir.path(), image, user, password)?;

        let id = crate::engine::creator_id();
        let container = format!("jdx-hub-{id}");
        let network = format!("{container}-net");
        let (storage, storage_guard) = copy_of_the_stand_ins(&host, image, &container)?;
        let mut network_guard = Guard::before_create(&host, Resource::Network(network.clone()));
        host.create_network(&network)?;
        network_guard.created();
        let container_guard = serve(&host, image, &container, &network, &storage, dir.path())?;
        let hub = Hub {
            user: user.into(),
            container,
            network,
            ca,
            sandbox: sandbox.container.clone(),
            host,
            _container: container_guard,
            _network: network_guard,
            _storage: storage_guard,
            _dir: dir,
        };
        hub.wait_answering()?;
        hub.join(sandbox)?;
        Ok(hub)
    }

    /// Waits for the registry to answer (401: it wants a login) on its own loopback.
    fn wait_answering(&self) -> Result<()> {
        let local = [
            "--cacert",
            "/hub/ca.crt",
            "--resolve",
            "registry-1.docker.io:443:127.0.0.1",
        ];
        let answered = wait::poll(Duration::from_secs(20), Duration::from_millis(100), || {
            self.status_from(&self.container, &local) == 401
        });
        if answered.is_none() {
            let log = self
                .host
                .logs_since(&self.container, "0")
                .unwrap_or_default();
            bail!(
                "the stand-in Docker Hub did not answer within 20s: {}",
                last_message(&log)
            );
        }
        Ok(())
    }

    /// Has the sandbox's engine trust the run's CA (its engine started again to read it) and reach
    /// the registry on its network.
    fn join(&self, sandbox: &Sandbox) -> Result<()> {
        self.trust(&self.sandbox)?;
        // The official registry's TLS uses the system's store only (certs.d is read for other
        // registries), and dockerd reads that store once: its engine starts again to read it.
        restart(sandbox)?;
        self.host.output([
            "network",
            "connect",
            self.network.as_str(),
            self.sandbox.as_str(),
        ])?;
        let ca_file = format!("{CERTS_D}/registry-1.docker.io/ca.crt");
        let seen = self.status_from(&self.sandbox, &["--cacert", ca_file.as_str()]);
        if seen != 401 {
            bail!("the sandbox engine's container does not reach the stand-in Docker Hub at https://registry-1.docker.io/v2/ (HTTP status {seen}, 401 expected)");
        }
        Ok(())
    }

    /// Puts the run's CA where the engine in `container` looks for Docker Hub's: the system's
    /// store (what the official registry's TLS uses) and `/etc/docker/certs.d/NAME/ca.crt`.
    pub fn trust(&self, container: &str) -> Result<()> {
        let script = format!(
            "set -e; ca=$(cat); for n in {names}; do mkdir -p {CERTS_D}/$n; printf '%s\\n' \"$ca\" > {CERTS_D}/$n/ca.crt; done; printf '%s\\n' \"$ca\" > /etc/ssl/certs/jdx-sandbox-hub.pem",
            names = NAMES.join(" ")
        );
        let out = self
            .host
            .exec_input(container, &["sh", "-c", &script])
            .stdin_bytes(self.ca.clone())
            .stderr_capture()
            .stdout_capture()
            .unchecked()
            .run()?;
        if !out.status.success() {
            bail!(
                "giving {container} the stand-in Docker Hub's CA failed: {}",
                last_message(&String::from_utf8_lossy(&out.stderr))
            );
        }
        Ok(())
    }

    /// Lets a remote host (a second sandbox) pull from this Docker Hub as the real one is pulled
    /// from, anonymously: on the hub's network, where the name of its registry mirror is the hub's
    /// anonymous, read-only side (plain HTTP: no CA to trust, its engine need not start again).
    pub fn serve_remote(&self, remote: &crate::sandbox::Remote) -> Result<()> {
        self.host.output([
            "network",
            "connect",
            self.network.as_str(),
            remote.sandbox.container.as_str(),
        ])?;
        Ok(())
    }

    /// The HTTP status of `GET https://registry-1.docker.io/v2/` from inside `container` (0: no answer).
    fn status_from(&self, container: &str, curl: &[&str]) -> u16 {
        let mut command = vec![
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "-w",
            "%{http_code}",
        ];
        command.extend(curl);
        command.push("https://registry-1.docker.io/v2/");
        self.host
            .exec(container, &command)
            .ok()
            .and_then(|o| o.stdout.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The repository name the article's placeholder becomes: `USER/project_jupyter`.
    pub fn repository(&self) -> String {
        format!("{}/project_jupyter", self.user)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        // The storage goes with the run (its guard), what was pushed with it.
        let _ = self.host.status([
            "network",
            "disconnect",
            "-f",
            self.network.as_str(),
            self.sandbox.as_str(),
        ]);
    }
}

/// Starts the sandbox's container again and waits for its engine, as long as a sandbox's first
/// start gets (a loaded 2-core machine takes more than 30 s). The engine gets a minute to stop its
/// containers (not `restart`'s 10 s, after which a kill can leave state its next start trips on),
/// and one more start if the first did not come up (rootlesskit's network, or its child exiting):
/// this is the stage being set, not a claim.
fn restart(sandbox: &Sandbox) -> Result<()> {
    let host = sandbox.host();
    let answers = || {
        wait::poll(Duration::from_secs(120), Duration::from_millis(100), || {
            sandbox
                .inner
                .probe(["version", "--format", "{{.Server.Version}}"])
                .is_some()
        })
        .is_some()
    };
    let mut why = String::new();
    for _attempt in 1..=2 {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        host.output(["restart", "--time", "60", sandbox.container.as_str()])?;
        if answers() {
            return Ok(());
        }
        let log = host
            .logs_since(&sandbox.container, &since.to_string())
            .unwrap_or_default();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| {
                l.contains("level=error") || l.contains("level=fatal") || l.contains("error:")
            })
            .collect();
        why = errors[errors.len().saturating_sub(3)..].join(" | ");
        if why.is_empty() {
            why = last_message(&log);
        }
    }
    bail!("the sandbox's engine did not answer within 120s of starting again, twice, with the stand-in Docker Hub's CA ({why})")
}

/// A Docker Hub username for the run: lowercase letters and digits, 4 to 30 of them.
pub fn username() -> String {
    let id: String = crate::engine::creator_id()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let name = format!("jdx{id}");
    name.chars().take(30).collect()
}

/// The run's CA, certificate and account, made in `dir` by the hub's image; the CA, PEM.
fn make_ca_and_account(
    host: &Docker,
    dir: &Path,
    image: &str,
    user: &str,
    password: &str,
) -> Result<String> {
    std::fs::write(dir.join("hub.yml"), CONFIG)?;
    std::fs::write(dir.join("hub-mirror.yml"), MIRROR)?;
    std::fs::write(dir.join("make-hub.sh"), MAKE)?;
    let make = RunSpec {
        interactive: true,
        ..RunSpec::new(image)
    }
    .rm()
    .mount(Mount::bind(dir, "/hub", false))
    .command(&["sh", "/hub/make-hub.sh", user]);
    let made = host
        .stream(make.args(&host.resource_labels())?)
        .stdin_bytes(format!("{password}\n"))
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()?;
    if !made.status.success() {
        bail!(
            "making the stand-in Docker Hub's certificate and account failed: {}",
            last_message(&String::from_utf8_lossy(&made.stderr))
        );
    }
    let ca = std::fs::read_to_string(dir.join("ca.crt")).context("reading the run's CA")?;
    Ok(ca)
}

/// Docker Hub holds the stand-ins (a push mounts their layers from there, as on the real one): a
/// copy of the shared registry's storage made for this run, so nothing an article pushes reaches
/// what the next replay pulls.
fn copy_of_the_stand_ins(host: &Docker, image: &str, container: &str) -> Result<(String, Guard)> {
    let storage = format!("{container}-data");
    let mut storage_guard = Guard::before_create(host, Resource::Volume(storage.clone()));
    host.create_volume(&storage, &[])?;
    storage_guard.created();
    let copy = RunSpec::new(image)
        .rm()
        .network("none")
        .mount(Mount::Volume {
            name: registry::ensure_data_volume(host)?,
            target: "/from".into(),
            readonly: true,
            nocopy: false,
        })
        .mount(Mount::volume(&storage, "/to"))
        .command(&["cp", "-a", "/from/.", "/to/"]);
    host.run(&copy)
        .context("copying the stand-ins into the stand-in Docker Hub's storage")?;
    Ok((storage, storage_guard))
}

/// The registry's container: the push side at Docker Hub's names, the pull side at the mirror's
/// alias, one storage.
fn serve(
    host: &Docker,
    image: &str,
    container: &str,
    network: &str,
    storage: &str,
    dir: &Path,
) -> Result<Guard> {
    let aliases: Vec<String> = NAMES
        .iter()
        .flat_map(|n| ["--network-alias".to_string(), n.to_string()])
        .collect();
    let spec = RunSpec::detached(image, container)
        .network(network)
        .raw(&aliases)
        .mount(Mount::volume(storage, "/var/lib/docker-registry"))
        .mount(Mount::bind(dir, "/hub", true))
        .raw(&["--network-alias", MIRROR_ALIAS])
        .command(&[
            "sh",
            "-c",
            "docker-registry serve /hub/hub-mirror.yml & exec docker-registry serve /hub/hub.yml",
        ]);
    let mut container_guard =
        Guard::before_create(host, Resource::Container(container.to_string()));
    let started = host.run(&spec);
    container_guard.created();
    started.context("starting the stand-in Docker Hub")?;
    Ok(container_guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fit_docker_hub_rules() {
        let name = username();
        assert!((4..=30).contains(&name.len()), "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{name}"
        );
    }

    #[test]
    fn the_registry_serves_tls_with_htpasswd_at_port_443() {
        for line in [
            "  addr: :443",
            "    certificate: /hub/hub.crt",
            "    path: /hub/htpasswd",
            "    rootdirectory: /var/lib/docker-registry",
        ] {
            assert!(CONFIG.lines().any(|l| l == line), "{line}");
        }
        assert!(
            MAKE.contains("rm -f ca.key")
                && MAKE.contains("subjectAltName=DNS:registry-1.docker.io,DNS:index.docker.io")
        );
    }
}
