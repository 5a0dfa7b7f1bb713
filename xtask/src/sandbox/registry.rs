//! The sandbox's registry: Debian's docker-registry on the sandbox network, the inner engine's
//! `--registry-mirror`, so `docker pull mysql` in the sandbox runs as written and gets the stand-in.
//! The host seeds it through a port on 127.0.0.1 (the host engine pushes to loopback registries
//! without any daemon configuration).

use std::io::{Read, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::ensure_ours;
use crate::engine::{wait, Docker, Mount, Publish, RunSpec};
use crate::images::sandbox::StandIn;
use crate::paths;

/// The name the sandbox's engine reaches the registry by.
const ALIAS: &str = "registry.sandbox";
/// The registry's container: one for the machine, its volume keeping what was seeded.
pub const CONTAINER: &str = "jdx-sandbox-registry";

#[derive(Debug, Clone)]
pub struct Registry {
    pub container: String,
    /// The registry's port on the host's 127.0.0.1, for seeding.
    pub host_port: u16,
}

/// The named volume holding what the registry serves.
pub fn data_volume() -> String {
    format!("{CONTAINER}-data")
}

impl Registry {
    /// Starts the scope's registry, or reuses it (its volume keeps what was pushed).
    pub fn ensure(host: &Docker, image: &str, network: &str) -> Result<Registry> {
        let container = CONTAINER.to_string();
        let _lock = paths::exclusive(&container)?;
        match host.container_state(&container) {
            Some(_) if !host.is_owned(&container) => {
                bail!("a container named {container} exists and was not made by this project: it is left alone; remove or rename it to use the sandbox")
            }
            Some(state) if !state.running => {
                host.output(["start", container.as_str()])?;
            }
            Some(_) => {}
            None => {
                let volume = data_volume();
                ensure_ours(host, "volume", &volume, host.create_volume(&volume, &[])?)?;
                let mut spec = RunSpec::detached(image, &container)
                    .network(network)
                    .publish(Publish::loopback(None, 5000))
                    .mount(Mount::volume(&volume, "/var/lib/docker-registry"))
                    // The image declares VOLUME /var/lib/docker for the sandboxes' engines; the
                    // registry runs none, and a tmpfs there keeps Docker from making an unlabelled
                    // anonymous volume for it.
                    .mount(Mount::Tmpfs { target: "/var/lib/docker".into(), size_bytes: None })
                    .command(&["docker-registry", "serve", "/etc/docker/registry/mirror.yml"]);
                spec.network_alias = Some(ALIAS.into());
                host.run(&spec).map_err(|e| anyhow::anyhow!("the sandbox's registry did not start: {e:#}"))?;
            }
        }
        let (_, host_port) = host.published_port(&container, 5000)?;
        let answered = wait::poll(Duration::from_secs(20), Duration::from_millis(100), || get(host_port, "/v2/", "").is_ok_and(|(code, _)| code == 200));
        if answered.is_none() {
            bail!("the sandbox's registry {container} does not answer on 127.0.0.1:{host_port}: see `docker logs {container}`");
        }
        Ok(Registry { container, host_port })
    }

    /// What the sandbox's engine is given as `--registry-mirror`.
    pub fn mirror_url(&self) -> String {
        format!("http://{ALIAS}:5000")
    }

    /// Pushes each stand-in under the name the articles pull (`mysql` is `library/mysql`), unless
    /// the registry already serves that very image.
    pub fn seed(&self, host: &Docker, stand_ins: &[StandIn]) -> Result<()> {
        for stand_in in stand_ins {
            let repository = if stand_in.pulled_as.contains('/') { stand_in.pulled_as.to_string() } else { format!("library/{}", stand_in.pulled_as) };
            let local = host.output(["image", "inspect", "--format", "{{.Id}}", stand_in.image.as_str()])?;
            if self.served_config(&repository).as_deref() == Some(local.as_str()) {
                continue;
            }
            let tag = format!("127.0.0.1:{}/{repository}:latest", self.host_port);
            let step = crate::progress::Step::start(format!("Seeding the sandbox's registry: {} as {}", stand_in.image, stand_in.pulled_as));
            host.output(["tag", stand_in.image.as_str(), tag.as_str()])?;
            let pushed = host.output(["push", "--quiet", tag.as_str()]);
            // Only the extra tag goes; the image itself is the project's and stays.
            let _ = host.output(["image", "rm", tag.as_str()]);
            pushed.with_context(|| format!("pushing {} to the sandbox's registry", stand_in.image))?;
            step.done("pushed");
        }
        Ok(())
    }

    /// The image id (config digest) the registry serves as `repository:latest`, if any.
    fn served_config(&self, repository: &str) -> Option<String> {
        let (code, body) = get(self.host_port, &format!("/v2/{repository}/manifests/latest"), "application/vnd.docker.distribution.manifest.v2+json").ok()?;
        if code != 200 {
            return None;
        }
        let manifest: serde_json::Value = serde_json::from_str(&body).ok()?;
        manifest["config"]["digest"].as_str().map(String::from)
    }
}

/// `GET path` on 127.0.0.1:port: the status code and body.
fn get(port: u16, path: &str, accept: &str) -> Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let accept = if accept.is_empty() { String::new() } else { format!("Accept: {accept}\r\n") };
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{accept}Connection: close\r\n\r\n").as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).context("not an HTTP response")?;
    Ok((code, body.to_string()))
}
