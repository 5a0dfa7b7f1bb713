//! The sandbox's image (a Docker engine and Debian's registry, from a root filesystem made here)
//! and the stand-ins it serves under the names the articles pull.

use anyhow::{Context, Result};

use super::recipe::RecipeHash;
use crate::engine::{BuildSpec, Docker, RECIPE_LABEL_KEY};
use crate::paths;

const REPO: &str = "jupyter-docker-xtask/sandbox";
/// Debian packages of the sandbox: the engine (docker.io, iptables) and what runs it rootless
/// (rootlesskit, slirp4netns, uidmap, fuse-overlayfs), socat for its socket's proxy, Compose v1 (handed
/// `docker compose` by a plugin stand-in), the registry (docker-registry), and curl so checks can
/// talk to the sandbox's ports from inside it; openssh-server so a sandbox can stand in for a
/// remote Docker host reached over SSH (`sandbox::remote`).
const PACKAGES: &str = "docker.io,rootlesskit,slirp4netns,uidmap,fuse-overlayfs,socat,docker-compose,iptables,ca-certificates,docker-registry,curl,procps,iproute2,openssh-server";

/// The sandbox image's tag, with a hash of its recipe (package list and docker/sandbox/).
pub fn tag() -> Result<String> {
    let hash = RecipeHash::default()
        .text(&super::base::rootfs_tag_for(PACKAGES))
        .tree(&paths::docker_dir().join("sandbox"))?
        .short();
    Ok(format!("{REPO}:local-{hash}"))
}

/// Builds the sandbox image unless an image with the same recipe exists.
pub fn ensure(docker: &Docker) -> Result<String> {
    let tag = tag()?;
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive("sandbox-image")?;
    if !docker.image_exists(&tag) {
        let rootfs = super::base::ensure_rootfs_with(docker.sh(), PACKAGES)
            .context("making the sandbox's root filesystem")?;
        let spec = BuildSpec::new(paths::docker_dir().join("sandbox"), &tag)
            .arg("ROOTFS_IMAGE", &rootfs)
            .label(RECIPE_LABEL_KEY, "sandbox");
        docker.build(
            &spec,
            &format!("Building the sandbox image {tag} (a Docker engine and a registry)"),
            false,
        )?;
    }
    Ok(tag)
}

/// An image the articles pull, and the local image that stands in for it in the sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct StandIn {
    /// The name as the article writes it (`mysql`, `continuumio/anaconda3`).
    pub pulled_as: &'static str,
    /// The local image served under that name.
    pub image: String,
    /// One line for the transcript: what it is and what it lacks.
    pub about: &'static str,
    /// Tags it is also served under beside `latest` (the same image: a tutorial's `ubuntu:22.04`
    /// gets the Debian stand-in, and the transcript lists them).
    pub tags: &'static [&'static str],
    /// Whether the sandboxes' warm cache holds it (the series' images, pulled in seconds); the
    /// others are pulled through the registry when a tutorial asks, and never show in its engine
    /// before.
    pub warm: bool,
}

/// Debian packages of the plain stand-ins' root filesystem beyond minbase.
const PLAIN_PACKAGES: &str = "busybox";
/// Debian packages of the servers' stand-ins (nginx, redis): one root filesystem for both.
const SERVER_PACKAGES: &str = "nginx,redis-server";

/// The stand-ins: the Jupyter base with a conda stand-in for the docker-stacks images, the same
/// run as root for anaconda3, the MariaDB stand-in (or the official image) for mysql (these
/// warm); and for other tutorials, a Debian root for debian and ubuntu, the same with busybox
/// first for busybox and alpine, and Debian's nginx and redis-server for nginx and redis.
pub fn stand_ins(docker: &Docker, base: &str, mysql: &str) -> Result<Vec<StandIn>> {
    let notebook = stand_in_image(docker, "notebook", base)?;
    let anaconda = stand_in_image(docker, "anaconda3", &notebook)?;
    let rootfs = super::base::ensure_rootfs_with(docker.sh(), PLAIN_PACKAGES)
        .context("making the plain stand-ins' root filesystem")?;
    let debian = stand_in_image(docker, "debian", &rootfs)?;
    let busybox = stand_in_image(docker, "busybox", &rootfs)?;
    let servers = super::base::ensure_rootfs_with(docker.sh(), SERVER_PACKAGES)
        .context("making the server stand-ins' root filesystem")?;
    let nginx = stand_in_image(docker, "nginx", &servers)?;
    let redis = stand_in_image(docker, "redis", &servers)?;
    let stand_in = |warm, pulled_as, image: &String, about, tags| StandIn {
        pulled_as,
        image: image.clone(),
        about,
        tags,
        warm,
    };
    Ok(vec![
        stand_in(true, "jupyter/minimal-notebook", &notebook, "the project's Jupyter base (docker-stacks contract: jovyan, start-notebook, token in the log) with a conda stand-in that installs nothing", &[]),
        stand_in(true, "jupyter/datascience-notebook", &notebook, "the same Jupyter stand-in (no R or Julia kernels)", &[]),
        stand_in(true, "continuumio/anaconda3", &anaconda, "the Jupyter stand-in run as root with tini and bash, as anaconda3 runs (its conda is the stand-in)", &[]),
        stand_in(true, "mysql", &mysql.to_string(), "MariaDB from Debian's packages keeping the official image's contract (or the official image where present)", &["8", "8.0", "5.7"]),
        stand_in(false, "debian", &debian, "Debian bookworm minbase from Debian's packages, root, bash (with busybox beside)", &["12", "bookworm", "stable", "11", "bullseye"]),
        stand_in(false, "ubuntu", &debian, "the Debian stand-in under this name: Debian's packages and apt sources, not Ubuntu's", &["20.04", "22.04", "24.04", "focal", "jammy", "noble"]),
        stand_in(false, "busybox", &busybox, "the Debian stand-in with busybox's applets first on PATH and sh as its command", &["1", "stable"]),
        stand_in(false, "alpine", &busybox, "the busybox stand-in under this name: sh and busybox's applets, no apk", &["3", "3.18", "3.19", "3.20", "3.21"]),
        stand_in(false, "nginx", &nginx, "Debian's nginx keeping the official image's contract (conf.d/default.conf, /usr/share/nginx/html on port 80, logs on stdout; no njs or templates)", &["1", "stable", "alpine"]),
        stand_in(false, "redis", &redis, "Debian's redis-server keeping the official image's contract (user redis in /data, port 6379, no password, redis-cli)", &["7", "6", "alpine"]),
    ])
}

impl StandIn {
    /// What it is, and the tags it is also served under (all the same image).
    pub fn described(&self) -> String {
        if self.tags.is_empty() {
            return self.about.to_string();
        }
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|t| format!("{}:{t}", self.pulled_as))
            .collect();
        format!(
            "{}; also served as {}, the same image",
            self.about,
            tags.join(", ")
        )
    }

    /// Every tag it is served under: `latest`, then [`StandIn::tags`].
    pub fn served_tags(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once("latest").chain(self.tags.iter().copied())
    }
}

/// The continuumio/anaconda3 stand-in alone (the host walkthrough of article 1 runs it too).
pub fn anaconda_stand_in(docker: &Docker, base: &str) -> Result<String> {
    let notebook = stand_in_image(docker, "notebook", base)?;
    stand_in_image(docker, "anaconda3", &notebook)
}

/// `docker/standins/NAME.Dockerfile` built on `base`, tagged with a hash of both (and of the
/// conda stand-in it may copy).
fn stand_in_image(docker: &Docker, name: &str, base: &str) -> Result<String> {
    let folder = paths::docker_dir().join("standins");
    let base_id = docker.output(["image", "inspect", "--format", "{{.Id}}", base])?;
    let hash = RecipeHash::default()
        .text(&base_id)
        .text(name)
        .tree(&folder)?
        .short();
    let tag = format!("jupyter-docker-xtask/{name}-standin:local-{hash}");
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive(&format!("{name}-standin"))?;
    if !docker.image_exists(&tag) {
        let spec = BuildSpec {
            dockerfile: Some(folder.join(format!("{name}.Dockerfile"))),
            ..BuildSpec::new(&folder, &tag)
        }
        .arg("BASE_IMAGE", base)
        .label(RECIPE_LABEL_KEY, &format!("{name}-standin"));
        docker.build(
            &spec,
            &format!("Building the sandbox's {name} stand-in"),
            false,
        )?;
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::StandIn;

    #[test]
    fn a_stand_in_is_served_at_latest_and_its_tags_and_says_so() {
        let mut s = StandIn {
            pulled_as: "ubuntu",
            image: "jupyter-docker-xtask/debian-standin:local-1".into(),
            about: "the Debian stand-in",
            tags: &["22.04", "jammy"],
            warm: false,
        };
        assert_eq!(
            s.served_tags().collect::<Vec<_>>(),
            ["latest", "22.04", "jammy"]
        );
        assert_eq!(
            s.described(),
            "the Debian stand-in; also served as ubuntu:22.04, ubuntu:jammy, the same image"
        );
        s.tags = &[];
        assert_eq!(s.described(), "the Debian stand-in");
    }
}
