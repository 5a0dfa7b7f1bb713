//! What the project's own checks ask of a running sandbox: a command in its container, an HTTP
//! status from inside it, its address, and whether (and why not) it can go on.

use anyhow::Result;

use super::Sandbox;
use crate::engine::{Docker, Output};

impl Sandbox {
    /// A command in the sandbox container itself, as its root (the project's own checks only:
    /// `curl localhost:8888` reaches what an article published with `-p 8888:8888`).
    pub fn exec(&self, command: &[&str]) -> Result<Output> {
        self.host.exec(&self.container, command)
    }

    /// The HTTP status of `url` fetched from inside the sandbox (0 when nothing answers).
    pub fn http_status(&self, url: &str) -> u16 {
        let wait = crate::jupyter::http::CLAIM_WAIT.as_secs().to_string();
        let out = self.exec(&[
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "--max-time",
            &wait,
            "-w",
            "%{http_code}",
            url,
        ]);
        out.ok()
            .and_then(|o| o.stdout.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The sandbox's address on its network (where `-p` publishes inside it).
    pub fn address(&self) -> Result<String> {
        let format = format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            self.network
        );
        self.host.output([
            "container",
            "inspect",
            "--format",
            format.as_str(),
            self.container.as_str(),
        ])
    }

    /// Why the sandbox cannot go on, if it cannot: what happened ("the sandbox X stopped") and
    /// what the host engine says of its container ("its container exited with code 137", "its
    /// container was removed"), or a hint (paused, the shared registry removed by a `clean`).
    pub fn trouble(&self) -> Option<(String, String)> {
        // One inspect for both (it runs after every step); a missing one is left out of stdout.
        let (sandbox, registry) = (self.container.as_str(), self.registry.container.as_str());
        let out = self.host.status([
            "container",
            "inspect",
            "--format",
            "{{.Name}} {{.State.Running}} {{.State.Paused}} {{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}",
            sandbox,
            registry,
        ]);
        let listed = out.map(|o| o.stdout).unwrap_or_default();
        let state_of = |name: &str| {
            listed
                .lines()
                .find_map(|l| l.strip_prefix(&format!("/{name} ")))
                .map(str::to_string)
        };
        if let Some(trouble) = state_trouble(sandbox, state_of(sandbox).as_deref()) {
            return Some(trouble);
        }
        let registry_runs = state_of(registry).is_some_and(|s| s.starts_with("true"));
        if !registry_runs {
            return Some((
                format!("the sandbox's shared registry {registry} was removed or stopped"),
                "by `cargo xtask clean`?".into(),
            ));
        }
        None
    }

    /// Whether the sandbox container still runs (it can be killed, or die out of memory, mid-run).
    pub fn is_running(&self) -> bool {
        self.trouble().is_none()
    }

    /// The host engine (for the sandbox's own checks).
    pub fn host(&self) -> &Docker {
        &self.host
    }

    /// Why the engine last gave up on an endpoint of a pull since `since` (unix seconds), as its
    /// log says: the mirror's error, which the docker CLI never shows (it prints the last
    /// endpoint's, Docker Hub's, which no sandbox can reach).
    pub fn pull_trouble(&self, since: u64) -> Option<String> {
        pull_trouble(&self.host, &self.container, since)
    }
}

/// Now, as [`Sandbox::pull_trouble`] takes it: the engine's log is read from this second.
pub fn log_mark() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether a [`pull_trouble`] is the mirror failing to answer (a lookup, a connection, a
/// timeout), not the mirror answering that it has no such image: only the first is the
/// stand-in's fault rather than the tutorial's.
pub fn mirror_unreachable(trouble: &str) -> bool {
    let answered = ["manifest unknown", "not found", "unauthorized", "denied"];
    !answered.iter().any(|a| trouble.to_lowercase().contains(a))
}

/// [`Sandbox::pull_trouble`] of the sandbox container `container` on `host`.
pub fn pull_trouble(host: &Docker, container: &str, since: u64) -> Option<String> {
    let log = host.logs_since(container, &since.to_string()).ok()?;
    let line = log
        .lines()
        .filter(|l| l.contains("Attempting next endpoint"))
        .find(|l| !l.contains("registry-1.docker.io"))?;
    let msg = line.split_once("msg=").map_or(line, |(_, m)| m);
    Some(msg.trim_matches('"').replace("\\\"", "\""))
}

/// What the sandbox container's `{{.State.Running}} {{.State.Paused}} {{.State.Status}}
/// {{.State.ExitCode}} {{.State.OOMKilled}}` (None: the host engine has no such container) says
/// is wrong with it, as [`Sandbox::trouble`] says it.
fn state_trouble(name: &str, state: Option<&str>) -> Option<(String, String)> {
    let fields: Vec<&str> = state.map(|s| s.split(' ').collect()).unwrap_or_default();
    let stopped = |said: String| Some((format!("the sandbox {name} stopped"), said));
    match fields.as_slice() {
        [] => stopped("its container was removed".into()),
        ["true", "false", ..] => None,
        ["true", "true", ..] => Some((
            format!("the sandbox {name} was paused"),
            format!("`docker unpause {name}` lets a replay go on"),
        )),
        [_, _, "exited", code, oom, ..] => stopped(format!(
            "its container exited with code {code}{}",
            match (*oom, *code) {
                ("true", _) => ", out of memory",
                (_, "137") => ": killed, or out of memory",
                _ => "",
            }
        )),
        [_, _, "removing", ..] => stopped("its container is being removed".into()),
        [_, _, status, ..] => stopped(format!("its container is {status}")),
        _ => stopped(format!(
            "its container's state is {:?}",
            state.unwrap_or("")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_or_gone_sandbox_is_trouble_named_as_the_engine_says() {
        assert_eq!(state_trouble("s", Some("true false running 0 false")), None);
        assert_eq!(
            state_trouble("s", Some("true true paused 0 false"))
                .unwrap()
                .0,
            "the sandbox s was paused"
        );
        for (state, said) in [
            (
                Some("false false exited 137 false"),
                "its container exited with code 137: killed, or out of memory",
            ),
            (
                Some("false false exited 137 true"),
                "its container exited with code 137, out of memory",
            ),
            (
                Some("false false exited 1 false"),
                "its container exited with code 1",
            ),
            (Some("false false dead 0 false"), "its container is dead"),
            (
                Some("false false removing 137 false"),
                "its container is being removed",
            ),
            (None, "its container was removed"),
        ] {
            assert_eq!(
                state_trouble("s", state).unwrap(),
                ("the sandbox s stopped".to_string(), said.to_string()),
                "{state:?}"
            );
        }
    }

    #[test]
    fn only_a_mirror_that_did_not_answer_is_the_stand_ins_fault() {
        let timeout = "Attempting next endpoint for pull after error: Get \"http://registry.sandbox:5000/v2/\": dial tcp: lookup registry.sandbox: i/o timeout";
        assert!(mirror_unreachable(timeout));
        assert!(mirror_unreachable("Attempting next endpoint for pull after error: Get \"http://registry.sandbox:5000/v2/library/mysql/manifests/latest\": EOF"));
        assert!(!mirror_unreachable(
            "Attempting next endpoint for pull after error: manifest unknown: manifest unknown"
        ));
        assert!(!mirror_unreachable("Attempting next endpoint for pull after error: error parsing HTTP 404 response body: Not Found"));
    }
}
