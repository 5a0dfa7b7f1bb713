//! The sandbox's registry: Debian's docker-registry, the inner engines' `--registry-mirror`, so
//! `docker pull mysql` in a sandbox runs as written and gets the stand-in. It serves read-only
//! (`mirror.yml`: no upload, no delete) and is connected to each sandbox's own network under one
//! alias; the host reads it through a port on 127.0.0.1. Seeding writes through a second server of
//! the same storage (`seed.yml`), started for the push on a network no sandbox is on, then removed.

use std::io::{Read, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::start::ensure_ours;
use crate::engine::resources::{Guard, Resource};
use crate::engine::{wait, Docker, Mount, Publish, RunSpec};
use crate::images::sandbox::StandIn;
use crate::paths;

/// The name the sandboxes' engines reach the registry by.
const ALIAS: &str = "registry.sandbox";
/// The registry's container: one for the machine, its volume keeping what was seeded.
pub const CONTAINER: &str = "jdx-sandbox-registry";
/// Names another server of the same storage (`jdx-sandbox-registry-SUFFIX`) for this process's
/// sandboxes: what a test that removes the registry mid-replay uses, so that it removes its own
/// and no other run's. It serves what the machine's registry seeded (read-only: nothing to seed).
pub const NAME_ENV: &str = "JDX_SANDBOX_REGISTRY";

/// The registry's container for this process: [`CONTAINER`], or what [`NAME_ENV`] names.
pub fn container_name() -> Result<String> {
    match std::env::var(NAME_ENV) {
        Err(_) => Ok(CONTAINER.to_string()),
        Ok(name)
            if name.len() > CONTAINER.len() + 1
                && name.starts_with(&format!("{CONTAINER}-"))
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Ok(name)
        }
        Ok(name) => bail!("{NAME_ENV}={name:?} is not a registry name of this project: use {CONTAINER}-SUFFIX (letters, digits, dashes), or unset it"),
    }
}

/// The registry's own network: the host's port is published there; sandboxes are never on it.
const NETWORK: &str = "jdx-sandbox-registry-net";

#[derive(Debug, Clone)]
pub struct Registry {
    pub container: String,
    /// The registry's port on the host's 127.0.0.1, for reading what it serves.
    pub host_port: u16,
    image: String,
}

/// The named volume holding what the registry serves.
pub fn data_volume() -> String {
    format!("{CONTAINER}-data")
}

/// The registry's volume, made (labelled) by the code that mounts it, never by a mount.
pub fn ensure_data_volume(host: &Docker) -> Result<String> {
    let volume = data_volume();
    ensure_ours(host, "volume", &volume, host.create_volume(&volume, &[])?)?;
    Ok(volume)
}

/// Whether a sandbox uses the machine's registry now: it is on some sandbox's network (each
/// sandbox connects it to its own, and disconnects it when it goes). Unsure counts as in use.
pub fn in_use(host: &Docker) -> bool {
    let format = "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}";
    match host.probe(["container", "inspect", "--format", format, CONTAINER]) {
        Some(networks) => networks.split_whitespace().any(|n| n != NETWORK),
        None => host.container_state(CONTAINER).is_some(),
    }
}

impl Registry {
    /// Starts the machine's read-only registry, or reuses it (its volume keeps what was pushed).
    pub fn ensure(host: &Docker, image: &str) -> Result<Registry> {
        let container = container_name()?;
        let _lock = paths::exclusive(&container)?;
        ensure_ours(host, "network", NETWORK, host.create_network(NETWORK)?)?;
        match host.container_state(&container) {
            Some(_) if !host.is_owned(&container) => {
                bail!("a container named {container} exists and was not made by this project: it is left alone; remove or rename it to use the sandbox")
            }
            Some(state) if !state.running => {
                host.output(["start", container.as_str()])?;
            }
            Some(_) => {}
            None => {
                let volume = ensure_data_volume(host)?;
                let spec = server_spec(image, &container, &volume, "mirror.yml");
                host.run(&spec)
                    .map_err(|e| anyhow::anyhow!("the sandbox's registry did not start: {e:#}"))?;
            }
        }
        let host_port = answering(host, &container)?;
        Ok(Registry {
            container,
            host_port,
            image: image.to_string(),
        })
    }

    /// What the sandbox's engine is given as `--registry-mirror`.
    pub fn mirror_url(&self) -> String {
        format!("http://{ALIAS}:5000")
    }

    /// Puts the registry on a sandbox's own network, under the alias its engine pulls from, and
    /// gives the `--add-host` entry that pins that alias to its address there: a pull then needs
    /// no DNS (the inner engine's lookups pass slirp4netns and Docker's embedded DNS, and one that
    /// times out on a loaded host makes the engine skip the mirror and try Docker Hub).
    pub fn connect(&self, host: &Docker, network: &str) -> Result<String> {
        host.output([
            "network",
            "connect",
            "--alias",
            ALIAS,
            network,
            self.container.as_str(),
        ])?;
        let format = format!("{{{{(index .NetworkSettings.Networks {network:?}).IPAddress}}}}");
        let address = host.output([
            "container",
            "inspect",
            "--format",
            format.as_str(),
            self.container.as_str(),
        ])?;
        let address = address.trim();
        if address.parse::<std::net::Ipv4Addr>().is_err() {
            bail!("the sandbox's registry has no address on {network} ({address:?}): run `cargo xtask sandbox --check`");
        }
        Ok(format!("{ALIAS}:{address}"))
    }

    /// Pushes each stand-in under the name the articles pull (`mysql` is `library/mysql`), at each
    /// of its tags, unless the registry already serves that very image there; through a writable
    /// server of the same storage that lives only for the push.
    pub fn seed(&self, host: &Docker, stand_ins: &[StandIn]) -> Result<()> {
        let mut missing = Vec::new();
        for stand_in in stand_ins {
            let local = host.output([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                stand_in.image.as_str(),
            ])?;
            for tag in stand_in.served_tags() {
                let served = self.served_config(&repository(stand_in), tag);
                if served.as_deref() != Some(local.as_str()) {
                    missing.push((stand_in, tag));
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let seeder = format!("{CONTAINER}-seed-{}", crate::engine::creator_id());
        let mut guard = Guard::before_create(host, Resource::Container(seeder.clone()));
        let started = host.run(&server_spec(
            &self.image,
            &seeder,
            &ensure_data_volume(host)?,
            "seed.yml",
        ));
        guard.created();
        started.context("starting the writable registry that seeds the sandbox's")?;
        let port = answering(host, &seeder)?;
        for (stand_in, served_as) in missing {
            let tag = format!("127.0.0.1:{port}/{}:{served_as}", repository(stand_in));
            let step = crate::progress::Step::start(format!(
                "Seeding the sandbox's registry: {} as {}:{served_as}",
                stand_in.image, stand_in.pulled_as
            ));
            host.output(["tag", stand_in.image.as_str(), tag.as_str()])?;
            let pushed = host.output(["push", "--quiet", tag.as_str()]);
            // Only the extra tag goes; the image itself is the project's and stays.
            let _ = host.output(["image", "rm", tag.as_str()]);
            pushed
                .with_context(|| format!("pushing {} to the sandbox's registry", stand_in.image))?;
            step.done("pushed");
        }
        Ok(())
    }

    /// The image id (config digest) the registry serves as `repository:tag`, if any.
    fn served_config(&self, repository: &str, tag: &str) -> Option<String> {
        let (code, body) = get(
            self.host_port,
            &format!("/v2/{repository}/manifests/{tag}"),
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .ok()?;
        if code != 200 {
            return None;
        }
        let manifest: serde_json::Value = serde_json::from_str(&body).ok()?;
        manifest["config"]["digest"].as_str().map(String::from)
    }
}

/// Where a stand-in is served: `mysql` is `library/mysql`.
fn repository(stand_in: &StandIn) -> String {
    if stand_in.pulled_as.contains('/') {
        stand_in.pulled_as.to_string()
    } else {
        format!("library/{}", stand_in.pulled_as)
    }
}

/// A registry server of the shared storage with `config` (read-only or writable), on the
/// registry's own network, published on the host's 127.0.0.1.
fn server_spec(image: &str, name: &str, volume: &str, config: &str) -> RunSpec {
    RunSpec::detached(image, name)
        .network(NETWORK)
        .publish(Publish::loopback(None, 5000))
        .mount(Mount::volume(volume, "/var/lib/docker-registry"))
        .command(&[
            "docker-registry",
            "serve",
            &format!("/etc/docker/registry/{config}"),
        ])
}

/// The host port of `container`'s registry, once it answers there.
fn answering(host: &Docker, container: &str) -> Result<u16> {
    let (_, host_port) = host.published_port(container, 5000)?;
    let answered = wait::poll(Duration::from_secs(20), Duration::from_millis(100), || {
        get(host_port, "/v2/", "").is_ok_and(|(code, _)| code == 200)
    });
    if answered.is_none() {
        bail!("the sandbox's registry {container} does not answer on 127.0.0.1:{host_port}: see `docker logs {container}`");
    }
    Ok(host_port)
}

/// `GET path` on 127.0.0.1:port: the status code and body.
fn get(port: u16, path: &str, accept: &str) -> Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], port).into(),
        Duration::from_secs(2),
    )?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let accept = if accept.is_empty() {
        String::new()
    } else {
        format!("Accept: {accept}\r\n")
    };
    stream.write_all(
        format!(
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{accept}Connection: close\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("not an HTTP response")?;
    Ok((code, body.to_string()))
}
