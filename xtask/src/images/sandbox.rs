//! The sandbox's image (a Docker engine and Debian's registry, from a root filesystem made here)
//! and the stand-ins it serves under the names the articles pull.

use anyhow::{Context, Result};

use super::recipe::RecipeHash;
use crate::engine::{BuildSpec, Docker, RECIPE_LABEL_KEY};
use crate::paths;

const REPO: &str = "jupyter-docker-xtask/sandbox";
/// Debian packages of the sandbox: the engine (docker.io, iptables), the registry
/// (docker-registry), and curl so checks can talk to the sandbox's ports from inside it.
const PACKAGES: &str = "docker.io,iptables,ca-certificates,docker-registry,curl,procps,iproute2";

/// The sandbox image's tag, with a hash of its recipe (package list and docker/sandbox/).
pub fn tag() -> Result<String> {
    let hash = RecipeHash::default().text(&super::base::rootfs_tag_for(PACKAGES)).tree(&paths::docker_dir().join("sandbox"))?.short();
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
        let rootfs = super::base::ensure_rootfs_with(docker.sh(), PACKAGES).context("making the sandbox's root filesystem")?;
        let spec = BuildSpec::new(paths::docker_dir().join("sandbox"), &tag).arg("ROOTFS_IMAGE", &rootfs).label(RECIPE_LABEL_KEY, "sandbox");
        docker.build(&spec, &format!("Building the sandbox image {tag} (a Docker engine and a registry)"), false)?;
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
}

/// The stand-ins: the Jupyter base for the docker-stacks images, the base run as root for
/// anaconda3, the MariaDB stand-in (or the official image) for mysql.
pub fn stand_ins(docker: &Docker, base: &str, mysql: &str) -> Result<Vec<StandIn>> {
    let anaconda = anaconda_stand_in(docker, base)?;
    Ok(vec![
        StandIn { pulled_as: "jupyter/minimal-notebook", image: base.into(), about: "the project's Jupyter base (docker-stacks contract: jovyan, start-notebook, token in the log)" },
        StandIn { pulled_as: "jupyter/datascience-notebook", image: base.into(), about: "the project's Jupyter base (no R or Julia kernels)" },
        StandIn { pulled_as: "continuumio/anaconda3", image: anaconda, about: "the project's Jupyter base run as root with tini and bash, as anaconda3 runs (no conda)" },
        StandIn { pulled_as: "mysql", image: mysql.into(), about: "MariaDB from Debian's packages keeping the official image's contract (or the official image where present)" },
    ])
}

fn anaconda_stand_in(docker: &Docker, base: &str) -> Result<String> {
    let dockerfile = paths::docker_dir().join("standins/anaconda3.Dockerfile");
    let base_id = docker.output(["image", "inspect", "--format", "{{.Id}}", base])?;
    let hash = RecipeHash::default().text(&base_id).file(&dockerfile)?.short();
    let tag = format!("jupyter-docker-xtask/anaconda3-standin:local-{hash}");
    if docker.image_exists(&tag) {
        return Ok(tag);
    }
    let _lock = paths::exclusive("anaconda3-standin")?;
    if !docker.image_exists(&tag) {
        let context = tempfile::tempdir()?;
        std::fs::copy(&dockerfile, context.path().join("Dockerfile"))?;
        let spec = BuildSpec::new(context.path(), &tag).arg("BASE_IMAGE", base).label(RECIPE_LABEL_KEY, "anaconda3-standin");
        docker.build(&spec, "Building the stand-in for continuumio/anaconda3", false)?;
    }
    Ok(tag)
}
