//! Article 4's project as the corrected section makes it: its folder and compose file (steps
//! 2-6), and the names Compose gives what it makes, registered before they exist.

use anyhow::Result;

use super::{compose_file, stage_project, Spec, Tool};
use crate::engine::cmdline::shell_quote;
use crate::walkthrough::session::Session;

/// The project as Compose names it, and what the checks look for.
pub(super) struct Project {
    pub(super) tool: Tool,
    /// The project's name (`-p`).
    pub(super) name: String,
    pub(super) image: String,
    pub(super) volume: String,
    pub(super) network: String,
    pub(super) db: String,
    pub(super) jupyter: String,
    /// The compose file's path, quoted for a command line.
    pub(super) file: String,
    /// How an attached `up` names the Jupyter service's lines: its container (v1, and the
    /// article's output), or `SERVICE-1`/`SERVICE_1` (v2 without container_name).
    pub(super) prefixes: [String; 5],
}

impl Project {
    /// The compose command line running `command` on this project.
    pub(super) fn command(&self, command: &str) -> String {
        format!(
            "{} -p {} -f {} {command}",
            self.tool.program, self.name, self.file
        )
    }
}

/// Steps 2-6: the project folder and its compose file; then its names, registered before they
/// exist.
pub(super) fn stage(
    s: &mut Session,
    tool: Tool,
    server_image: &str,
    base: &str,
) -> Result<Project> {
    let dir = s.project.path().to_path_buf();
    stage_project(&dir, s.mode)?;
    s.note("corrected: the password lives in .env (read by Compose, kept out of the image by .dockerignore); the Jupyter service gets it at run time, not as a build argument; mysql has a healthcheck and jupyter waits for `service_healthy`");
    let jupyter = s.name("container", "custom-jupyter-image");
    let db = s.names.db.clone();
    let labels = s.docker.resource_labels();
    let image_labels = s.docker.image_labels();
    let file = compose_file(&Spec {
        mode: s.mode,
        mysql_image: server_image,
        base_image: base,
        db: &db,
        jupyter: &jupyter,
        labels: &labels,
        image_labels: &image_labels,
    });
    std::fs::write(dir.join("docker-compose.yaml"), &file)?;
    s.say(&format!("$ cat docker-compose.yaml\n{file}"));
    s.note("departures from the article's compose file: the locally available images (MySQL server as above, the notebook base as BASE_IMAGE), the project's labels on containers, volume, network and image, the port on 127.0.0.1 with a free host port, and `mysql-db` as a network alias when the container name is suffixed");

    let name = project_name(s, &tool);
    let image = tool.image_name(&name, "jupyter");
    let volume = format!("{name}_mysql-data");
    let network = format!("{name}_default");
    s.record_name("jupyter", &name);
    s.record_name("jupyter-jupyter", &image);
    // Registered before they exist, newest removed first: containers, then network and volume, then the image.
    s.made_image(&image);
    s.made_volume(&volume);
    s.made_network(&network);
    s.made_container(&db);
    s.made_container(&jupyter);
    let file = shell_quote(&dir.join("docker-compose.yaml").display().to_string());
    let prefixes = [
        jupyter.clone(),
        "jupyter-1".into(),
        "jupyter_1".into(),
        format!("{name}_jupyter_1"),
        format!("{name}-jupyter-1"),
    ];
    Ok(Project {
        tool,
        name,
        image,
        volume,
        network,
        db,
        jupyter,
        file,
        prefixes,
    })
}

/// The project name: the article's folder `jupyter`, suffixed like the other names, and again
/// when its network, volume or image exist already (someone's own `jupyter` project: never reused,
/// so the walkthrough removes only what it made).
fn project_name(s: &Session, tool: &Tool) -> String {
    let base = format!("jupyter{}", s.names.suffix).to_lowercase();
    let taken = |p: &str| {
        s.docker.exists("network", &format!("{p}_default"))
            || s.docker.exists("volume", &format!("{p}_mysql-data"))
            || s.docker.image_exists(&tool.image_name(p, "jupyter"))
    };
    if taken(&base) {
        format!("{base}-wt{}", std::process::id())
    } else {
        base
    }
}
