//! What the project made, and its removal: guards that remove a resource when a task fails, panics
//! or is interrupted, and listing and removing by label (a test run's, or `clean`'s).
//! Every live guard is also in a registry that the Ctrl-C/SIGTERM handler empties before exiting,
//! since a signal would otherwise end the process without running any Drop.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};

use super::{creator_id, Docker, CREATOR_LABEL_KEY, RUN_LABEL_KEY};

mod owned;

pub use owned::own_images;

#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// Removed with `docker rm -f -v`: its anonymous volumes go too, named volumes never do.
    Container(String),
    Volume(String),
    Network(String),
    Image(String),
    /// A swarm service (on a manager): its tasks' containers go with it.
    Service(String),
}

impl Resource {
    fn kind(&self) -> &'static str {
        match self {
            Resource::Container(_) => "container",
            Resource::Volume(_) => "volume",
            Resource::Network(_) => "network",
            Resource::Image(_) => "image",
            Resource::Service(_) => "service",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Resource::Container(n)
            | Resource::Volume(n)
            | Resource::Network(n)
            | Resource::Image(n)
            | Resource::Service(n) => n,
        }
    }

    pub fn describe(&self) -> String {
        format!("{} {}", self.kind(), self.name())
    }
}

/// A guarded resource as the registry keeps it: plain data, so the signal handler can use it.
#[derive(Debug, Clone)]
struct Removal {
    resource: Resource,
    /// The engine it lives on (`-H ...`), empty for the environment's.
    target: Vec<String>,
    /// The handle's environment (a remote's `PATH`, whose `ssh` carries its options).
    env: Vec<(String, String)>,
    /// Remove it only when this process created it (its creator label is ours): a name another
    /// process won in a race, or a person's own resource, is never removed.
    mine_only: bool,
    /// The command creating it may still be running (shared with the guard, which clears it when
    /// the command returns): on a signal, the removal waits for that rather than guessing a delay.
    in_flight: Arc<AtomicBool>,
}

/// What a removal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Removed,
    /// Not there, or not this process's to remove.
    Absent,
    Failed,
}

impl Removal {
    fn docker(&self, args: &[&str]) -> Option<String> {
        let out = std::process::Command::new("docker")
            .envs(self.env.clone())
            .args(&self.target)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn is_mine(&self) -> bool {
        let format = match self.resource {
            Resource::Volume(_) | Resource::Network(_) => {
                format!("{{{{index .Labels \"{CREATOR_LABEL_KEY}\"}}}}")
            }
            Resource::Service(_) => format!("{{{{index .Spec.Labels \"{CREATOR_LABEL_KEY}\"}}}}"),
            _ => format!("{{{{index .Config.Labels \"{CREATOR_LABEL_KEY}\"}}}}"),
        };
        self.docker(&[
            self.resource.kind(),
            "inspect",
            "--format",
            &format,
            self.resource.name(),
        ])
        .as_deref()
            == Some(creator_id())
    }

    fn exists(&self) -> bool {
        self.docker(&[
            self.resource.kind(),
            "inspect",
            "--format",
            "x",
            self.resource.name(),
        ])
        .is_some()
    }

    /// Removes the resource. With `await_create` (the signal handler, on another thread), a create
    /// command still in flight is waited for (up to a minute) before asking whose the resource is.
    fn remove(&self, await_create: bool) -> Outcome {
        if await_create {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while self.in_flight.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let present = if self.mine_only {
            self.is_mine()
        } else {
            self.exists()
        };
        if !present {
            return Outcome::Absent;
        }
        let name = self.resource.name();
        if matches!(self.resource, Resource::Container(_)) {
            // A paused container is thawed first: `rm -f` of a frozen one whose processes serve a
            // FUSE mount (a sandbox's engine) can hang the host's engine.
            let _ = self.docker(&["unpause", name]);
        }
        if matches!(self.resource, Resource::Network(_)) {
            // A network with containers attached cannot go: they are disconnected (not removed).
            let attached = self
                .docker(&[
                    "network",
                    "inspect",
                    "--format",
                    "{{range .Containers}}{{.Name}} {{end}}",
                    name,
                ])
                .unwrap_or_default();
            for container in attached.split_whitespace() {
                let _ = self.docker(&["network", "disconnect", "-f", name, container]);
            }
        }
        let args: Vec<&str> = match self.resource {
            Resource::Container(_) => vec!["rm", "-f", "-v", name],
            Resource::Volume(_) => vec!["volume", "rm", "-f", name],
            Resource::Network(_) => vec!["network", "rm", name],
            Resource::Image(_) => vec!["image", "rm", name],
            Resource::Service(_) => vec!["service", "rm", name],
        };
        // On Ctrl-C a child process may still be removing the container that uses a volume
        // (`volume rm -f` fails while it is in use, succeeds once it is gone): retry for a while.
        let tries = if matches!(self.resource, Resource::Volume(_)) {
            20
        } else {
            1
        };
        for _ in 0..tries {
            if self.docker(&args).is_some() {
                return Outcome::Removed;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Outcome::Failed
    }
}

static LIVE: Mutex<Vec<(u64, Removal)>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static NEXT: AtomicU64 = AtomicU64::new(1);

fn live() -> std::sync::MutexGuard<'static, Vec<(u64, Removal)>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes its resource on Drop unless `keep` was called.
#[must_use = "the resource is removed when the guard drops"]
pub struct Guard {
    id: u64,
    removal: Removal,
    armed: bool,
}

impl Guard {
    /// Create the guard right after the resource exists, before any wait that could fail.
    pub fn new(docker: &Docker, resource: Resource) -> Guard {
        Guard::register(Removal {
            resource,
            target: docker.target().to_vec(),
            env: docker.env().to_vec(),
            mine_only: false,
            in_flight: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A guard armed *before* the command that creates the resource: it removes the resource only
    /// if this process turns out to have created it, so losing a race for a name, or a signal
    /// landing while `docker run` is in flight, never removes someone else's.
    pub fn before_create(docker: &Docker, resource: Resource) -> Guard {
        Guard::register(Removal {
            resource,
            target: docker.target().to_vec(),
            env: docker.env().to_vec(),
            mine_only: true,
            in_flight: Arc::new(AtomicBool::new(true)),
        })
    }

    fn register(removal: Removal) -> Guard {
        let mut registry = live();
        if interrupted() {
            // The handler took the registry already and ends the process once it has removed
            // what was there: make nothing more (this thread never runs the create command it
            // guards), and remove what exists unguarded.
            drop(registry);
            if !removal.mine_only {
                removal.remove(false);
            }
            loop {
                std::thread::park();
            }
        }
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        registry.push((id, removal.clone()));
        Guard {
            id,
            removal,
            armed: true,
        }
    }

    /// The create command returned: no need to wait for it on a signal any more.
    pub fn created(&mut self) {
        self.removal.in_flight.store(false, Ordering::SeqCst);
    }

    /// The task succeeded: leave the resource in place.
    pub fn keep(mut self) {
        self.armed = false;
    }

    pub fn resource(&self) -> &Resource {
        &self.removal.resource
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        live().retain(|(id, _)| *id != self.id);
        if self.armed {
            self.removal.remove(false);
        }
    }
}

/// On Ctrl-C or SIGTERM: remove every guarded resource (newest first), name each one removed (and
/// only those), exit 130.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        crate::progress::silence();
        let pending: Vec<(u64, Removal)> = std::mem::take(&mut *live());
        let (mut removed, mut failed) = (0, 0);
        for (_, removal) in pending.iter().rev() {
            let what = removal.resource.describe();
            match removal.remove(true) {
                Outcome::Removed => {
                    removed += 1;
                    eprintln!("interrupted: removed {what}");
                }
                Outcome::Absent => {}
                Outcome::Failed => {
                    failed += 1;
                    eprintln!("interrupted: could not remove {what}: remove it by hand (`docker {} rm {}`)", removal.resource.kind(), removal.resource.name());
                }
            }
        }
        if removed == 0 && failed == 0 {
            eprintln!("interrupted: nothing half-made was left to remove");
        }
        std::process::exit(130);
    });
}

/// Whether Ctrl-C or SIGTERM arrived (the handler is then removing what was made).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The task succeeded: `report` it (print its result) and keep `guards`' resources, as one step
/// that a signal cannot split. Either the result is printed and everything kept, or (interrupted
/// first) nothing is printed and the handler removes it all; false then.
pub fn commit(guards: Vec<Guard>, report: impl FnOnce()) -> bool {
    let mut registry = live();
    if interrupted() {
        return false;
    }
    report();
    registry.retain(|(id, _)| !guards.iter().any(|g| g.id == *id));
    drop(registry);
    for guard in guards {
        guard.keep();
    }
    true
}

/// Ends the process with `code`, unless an interrupt is being handled: then the handler, which is
/// still removing what was made, ends it (with 130) once it is done.
pub fn exit(code: i32) -> ! {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
    std::process::exit(code)
}

/// The kinds a label sweep covers, with the `--format` that names each.
pub const KINDS: [(&str, &str); 3] = [
    ("container", "{{.Names}}"),
    ("volume", "{{.Name}}"),
    ("network", "{{.Name}}"),
];

/// Names of the resources of `kind` matching `filter`; an engine that does not answer is an error
/// (a sweep or leak check must never pass because it could not look).
pub fn list(docker: &Docker, kind: &str, filter: &str, format: &str) -> Result<Vec<String>> {
    let mut args = vec![kind, "ls", "--filter", filter, "--format", format];
    if kind == "container" {
        args.insert(2, "-a");
    }
    let out = docker.status(&args)?;
    if !out.ok() {
        bail!(
            "`docker {}` failed: {}",
            args.join(" "),
            super::last_message(&out.stderr)
        );
    }
    Ok(out
        .stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// What carries the run's label, as `kind name`.
pub fn leftovers(docker: &Docker, run_id: &str) -> Result<Vec<String>> {
    let filter = format!("label={RUN_LABEL_KEY}={run_id}");
    let mut found = Vec::new();
    for (kind, format) in KINDS {
        found.extend(
            list(docker, kind, &filter, format)?
                .into_iter()
                .map(|n| format!("{kind} {n}")),
        );
    }
    Ok(found)
}

/// Removes what carries the run's label: containers first, then what they used.
pub fn remove_run(docker: &Docker, run_id: &str) {
    let filter = format!("label={RUN_LABEL_KEY}={run_id}");
    for (kind, format) in KINDS {
        for name in list(docker, kind, &filter, format).unwrap_or_default() {
            let _ = match kind {
                "container" => {
                    // Thawed first (see `Removal::remove`).
                    let _ = docker.probe(["unpause", name.as_str()]);
                    docker.probe(["rm", "-f", "-v", name.as_str()])
                }
                _ => docker.probe([kind, "rm", name.as_str()]),
            };
        }
    }
}

#[cfg(test)]
mod tests {}
