//! A hub whose servers are swarm services (`hub up --swarm`): finding them, and removing the
//! users' volumes, which live on whichever node ran each server. The manager's engine sees its
//! own volumes only, so `down -v` runs a one-off job on every node (a `global-job` service of the
//! users' image, which every node has) that removes the hub's volumes there and says which.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::{Names, HUB_LABEL_KEY};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{Docker, MANAGED_KEY};

/// Whether the engine manages an active swarm (then the hub's servers may be services).
pub fn is_manager(docker: &Docker) -> bool {
    docker
        .probe([
            "info",
            "-f",
            "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
        ])
        .is_some_and(|s| s == "active true")
}

/// The users' servers of hub `names` that run as services (the project's, by their labels).
pub fn services(docker: &Docker, names: &Names) -> Result<Vec<String>> {
    if !is_manager(docker) {
        return Ok(Vec::new());
    }
    let ids = docker.output([
        "service",
        "ls",
        "-q",
        "--filter",
        &format!("label={HUB_LABEL_KEY}={}", names.hub),
        "--filter",
        &format!("label={MANAGED_KEY}=true"),
    ])?;
    ids.lines()
        .map(|id| docker.output(["service", "inspect", "-f", "{{.Spec.Name}}", id]))
        .collect()
}

/// The job each node runs: the hub's labelled volumes there, removed through the node's socket
/// (Python's standard library only: the users' image has no docker client).
const REMOVE_VOLUMES: &str = r#"
import http.client, json, socket, sys, time, urllib.parse
class Engine(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")
def call(method, path):
    engine = Engine("localhost")
    engine.request(method, path)
    answer = engine.getresponse()
    return answer.status, answer.read()
labels = {"label": ["jupyter-docker-xtask.hub=" + sys.argv[1], "jupyter-docker-xtask.managed=true"]}
status, body = call("GET", "/volumes?filters=" + urllib.parse.quote(json.dumps(labels)))
for volume in json.loads(body)["Volumes"] or []:
    # A server whose service was just removed may still be stopping: in use (409) for a moment.
    for _ in range(60):
        status, _ = call("DELETE", "/volumes/" + urllib.parse.quote(volume["Name"]))
        if status != 409:
            break
        time.sleep(1)
    print("removed" if status == 204 else "kept (%d)" % status, volume["Name"], "on", socket.gethostname())
"#;

/// Removes the users' volumes of hub `names` on every node with a job of `image`; what each node
/// said (`removed NAME on NODE`).
pub fn remove_volumes_everywhere(
    docker: &Docker,
    names: &Names,
    image: &str,
) -> Result<Vec<String>> {
    let job = format!("{}-volumes-rm", names.hub);
    let mut args = vec![
        "service".to_string(),
        "create".into(),
        "--detach".into(),
        "--quiet".into(),
        "--mode".into(),
        "global-job".into(),
        "--name".into(),
        job.clone(),
        "--hostname".into(),
        "{{.Node.Hostname}}".into(),
        "--user".into(),
        "0".into(),
        "--mount".into(),
        "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock".into(),
        "--entrypoint".into(),
        "python3".into(),
    ];
    args.extend(crate::engine::label_args(docker.resource_labels()));
    args.extend([
        image.to_string(),
        "-c".into(),
        REMOVE_VOLUMES.into(),
        names.hub.clone(),
    ]);
    let _guard = {
        let mut guard = Guard::before_create(docker, Resource::Service(job.clone()));
        let made = docker.output(&args);
        guard.created();
        made?;
        guard
    };
    let started = Instant::now();
    loop {
        let states = docker.output([
            "service",
            "ps",
            &job,
            "--format",
            "{{.CurrentState}}|{{.Error}}",
        ])?;
        let ended = |s: &str| {
            ["Complete", "Failed", "Rejected", "Shutdown"]
                .iter()
                .any(|e| s.starts_with(e))
        };
        if !states.is_empty() && states.lines().all(ended) {
            if let Some(failed) = states.lines().find(|s| !s.starts_with("Complete")) {
                bail!("removing the users' volumes failed on a node ({failed}): they stay; see `docker service ps {job}`");
            }
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("removing the users' volumes did not finish on every node within 120s ({}): some may stay", states.replace('\n', ", "));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let said = docker.output(["service", "logs", "--raw", "--no-trunc", &job])?;
    Ok(said
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect())
}

/// The users' image of a swarm hub (its container's HUB_IMAGE), to run the volume job with; None
/// when the hub does not spawn on a swarm.
pub fn users_image(docker: &Docker, names: &Names) -> Option<String> {
    let on_swarm = super::hub_env(docker, names, "HUB_SWARM").as_deref() == Some("1");
    on_swarm
        .then(|| super::hub_env(docker, names, "HUB_IMAGE"))
        .flatten()
}
