//! A Docker Swarm of engines in containers, for the project's own hub (`cargo xtask hub up
//! --swarm`) to be tried and tested on several nodes: N engine containers on a network of their
//! own, the first the manager, the others workers.
//!
//! Unlike a tutorial's sandbox these engines run as root in their containers: swarm mode needs its
//! ports and overlay networks (VXLAN), which a rootless engine refuses. So nothing but the
//! project's own code (the hub and its users' servers) ever runs on them, never a replayed
//! tutorial. They get what an engine in a container needs, never `--privileged`: every capability
//! but SYS_RESOURCE, seccomp and AppArmor unconfined, the host's cgroups (each node's containers
//! under a cgroup parent of its own).
//!
//! Each node's images stay on a volume of its own between runs (loading a 1 GB image into two
//! nodes takes a minute); everything else on a node is cleared when it starts and when it goes.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::slot::{fresh_socket_dir, remove_left_over, SocketDir};
use super::start::ensure_ours;
use crate::engine::resources::{Guard, Resource};
use crate::engine::{Docker, Mount, RunSpec};
use crate::{paths, progress};

/// One engine of the swarm.
pub struct Node {
    /// Its container on the host engine (also its host name in the swarm).
    pub name: String,
    /// Its engine, through a socket in a folder of this process (checked before every call).
    pub engine: Docker,
    /// Its socket's path, the same on the host and in the node: a hub started on the node with
    /// `DOCKER_HOST=unix://PATH` mounts the node's own socket.
    pub socket: std::path::PathBuf,
    _socket_dir: SocketDir,
    _container: Guard,
}

/// A running swarm; dropping it takes every node out of the swarm and removes the nodes, their
/// network and the lock. The nodes' image volumes stay (`clean --volumes` removes them).
pub struct Swarm {
    pub nodes: Vec<Node>,
    pub network: String,
    host: Docker,
    _network: Guard,
    _lock: paths::Lock,
}

impl Swarm {
    /// Starts `count` nodes (the first the manager) from the sandbox `image`, with `shared` host
    /// folders bind-mounted read-only at the same path on each (what a team shares over NFS).
    pub fn start(
        host: &Docker,
        image: &str,
        count: usize,
        shared: &[&std::path::Path],
    ) -> Result<Swarm> {
        // One swarm per machine at a time: the nodes' image volumes are the machine's.
        let lock = paths::exclusive("swarm")?;
        let scope = host.run_id().map(|r| format!("-{r}")).unwrap_or_default();
        let network = format!("jdx-swarm{scope}-net");
        let made = host.create_network(&network)?;
        ensure_ours(host, "network", &network, made)?;
        let network_guard = Guard::new(host, Resource::Network(network.clone()));
        let step = progress::Step::start(format!("Starting a swarm of {count} engines"));
        let mut nodes = Vec::new();
        for n in 1..=count {
            nodes.push(Node::start(
                host,
                image,
                &format!("jdx-swarm{scope}-{n}"),
                n,
                &network,
                shared,
            )?);
        }
        let swarm = Swarm {
            nodes,
            network,
            host: host.clone(),
            _network: network_guard,
            _lock: lock,
        };
        swarm.join()?;
        step.done("ready");
        Ok(swarm)
    }

    pub fn manager(&self) -> &Node {
        &self.nodes[0]
    }

    /// The node whose host name (its container's name) is `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// A port the manager publishes on its own 127.0.0.1, reached from this machine at the
    /// address returned (what `ssh -L` is to a person): a forwarder in the manager's container, on
    /// its address on the swarm's network, the same port.
    pub fn forward(&self, port: u16) -> Result<String> {
        let manager = &self.manager().name;
        let ip = self.address_of(manager)?;
        self.host.output([
            "exec",
            "-d",
            manager,
            "socat",
            &format!("TCP-LISTEN:{port},fork,reuseaddr,bind={ip}"),
            &format!("TCP:127.0.0.1:{port}"),
        ])?;
        let listening = || std::net::TcpStream::connect((ip.as_str(), port)).is_ok();
        if crate::engine::wait::poll(
            Duration::from_secs(10),
            Duration::from_millis(100),
            listening,
        )
        .is_none()
        {
            bail!("the forward to {manager}'s port {port} does not listen at {ip}");
        }
        Ok(ip)
    }

    /// `swarm init` on the first node, `swarm join` of the others, each on the swarm's network.
    fn join(&self) -> Result<()> {
        let manager = &self.manager().engine;
        let ip = self.address_of(&self.manager().name)?;
        manager
            .output(["swarm", "init", "--advertise-addr", &ip])
            .with_context(|| format!("swarm init on {}", self.manager().name))?;
        let token = manager.output(["swarm", "join-token", "-q", "worker"])?;
        for node in &self.nodes[1..] {
            let own = self.address_of(&node.name)?;
            node.engine.output([
                "swarm",
                "join",
                "--advertise-addr",
                &own,
                "--token",
                &token,
                &format!("{ip}:2377"),
            ])?;
        }
        Ok(())
    }

    fn address_of(&self, container: &str) -> Result<String> {
        let format = format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            self.network
        );
        let ip = self.host.output(["inspect", "-f", &format, container])?;
        if ip.is_empty() {
            bail!(
                "the swarm node {container} has no address on {}",
                self.network
            );
        }
        Ok(ip)
    }

    /// Copies the images from the host engine to every node that lacks one of them (by image
    /// id): one `docker save` of them all (shared layers once), a `docker load` per node, side by side.
    pub fn load_images(&self, host: &Docker, images: &[&str]) -> Result<()> {
        let mut ids = Vec::new();
        for image in images {
            ids.push(
                host.image_id(image)
                    .with_context(|| format!("image {image} is not on this engine"))?,
            );
        }
        let missing: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| {
                images
                    .iter()
                    .zip(&ids)
                    .any(|(i, id)| n.engine.image_id(i).as_deref() != Some(id.as_str()))
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let step = progress::Step::start(format!(
            "Loading {} into {} swarm node(s)",
            images.join(", "),
            missing.len()
        ));
        let tar = tempfile::NamedTempFile::new()?;
        let path = tar.path().display().to_string();
        let mut save = vec!["save", "-o", &path];
        save.extend(images);
        host.output(&save)?;
        let loads = missing
            .iter()
            .map(|node| {
                let load = node.engine.stream(["load", "-q", "-i", &path]);
                load.stdout_null().stderr_capture().unchecked().start()
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        for (node, load) in missing.iter().zip(loads) {
            let out = load.wait()?;
            if !out.status.success() {
                bail!(
                    "loading the images into the swarm node {} failed: {}",
                    node.name,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        step.done("loaded");
        Ok(())
    }
}

impl Node {
    fn start(
        host: &Docker,
        image: &str,
        name: &str,
        n: usize,
        network: &str,
        shared: &[&std::path::Path],
    ) -> Result<Node> {
        remove_left_over(host, name)?;
        let machine = host.with_run(None);
        let images = format!("jdx-swarm-node-{n}-images");
        let made = machine.create_volume(&images, &[])?;
        ensure_ours(&machine, "volume", &images, made)?;
        let socket_dir = fresh_socket_dir(name)?;
        let socket = socket_dir.0.join("docker.sock");
        let dir = socket_dir.0.display().to_string();
        let mut spec = RunSpec::detached(image, name)
            .network(network)
            .mount(Mount::volume(&images, "/var/lib/docker"))
            .mount(Mount::bind(&dir, &dir, false))
            .mount(Mount::bind("/sys/fs/cgroup", "/sys/fs/cgroup", false))
            .raw(&["--hostname", name])
            // A service's image is the node's own copy: no pull from a registry first.
            .env("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE", "1")
            .command(&[
                "dockerd",
                "-H",
                "unix:///var/run/docker.sock",
                "-H",
                &format!("unix://{}", socket.display()),
                "--cgroup-parent",
                &format!("jdx-swarm-{n}"),
            ]);
        for folder in shared {
            let path = folder.display().to_string();
            spec = spec.mount(Mount::bind(&path, &path, true));
        }
        spec.cap_add = vec!["ALL".into()];
        spec.cap_drop = vec!["SYS_RESOURCE".into()];
        spec.security_opt = vec!["seccomp=unconfined".into(), "apparmor=unconfined".into()];
        let mut guard = Guard::before_create(host, Resource::Container(name.to_string()));
        let ran = host.status(spec.args(&host.resource_labels())?)?;
        guard.created();
        if !ran.ok() {
            bail!(
                "starting the swarm node {name} failed: {}",
                ran.stderr.trim()
            );
        }
        let engine = host.with_run(None).at_guarded_socket(&socket);
        wait_for(&engine, host, name)?;
        clear(&engine)?;
        Ok(Node {
            name: name.to_string(),
            engine,
            socket,
            _socket_dir: socket_dir,
            _container: guard,
        })
    }
}

/// Waits until the node's engine answers; its log's end when it does not.
fn wait_for(engine: &Docker, host: &Docker, name: &str) -> Result<()> {
    let started = Instant::now();
    while engine.probe(["info", "-f", "{{.ID}}"]).is_none() {
        if started.elapsed() > Duration::from_secs(60)
            || !host.container_state(name).is_some_and(|s| s.running)
        {
            let log = host.logs_since(name, "0").unwrap_or_default();
            bail!(
                "the swarm node {name}'s engine did not start: {}",
                crate::engine::tail(&log, 5)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// A node's engine as new but for its images: out of any swarm a killed run left, no container,
/// volume or network.
fn clear(engine: &Docker) -> Result<()> {
    let _ = engine.probe(["swarm", "leave", "--force"]);
    let containers = engine.output(["ps", "-aq"])?;
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(containers.lines());
        engine.output(&args)?;
    }
    engine.output(["volume", "prune", "-f"])?;
    engine.output(["network", "prune", "-f"])?;
    Ok(())
}

impl Drop for Swarm {
    fn drop(&mut self) {
        // Workers first: a manager that leaves first strands them.
        for node in self.nodes.iter().rev() {
            let _ = clear(&node.engine);
        }
    }
}
