//! Guards that remove what a task created when the task fails, panics or is interrupted.
//! Every live guard is also in a registry that the Ctrl-C/SIGTERM handler empties before exiting,
//! since a signal would otherwise end the process without running any Drop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// Removed with `docker rm -f -v`: its anonymous volumes go too, named volumes never do.
    Container(String),
    Volume(String),
    Network(String),
    Image(String),
}

impl Resource {
    fn remove(&self) {
        let args: Vec<&str> = match self {
            Resource::Container(name) => vec!["rm", "-f", "-v", name],
            Resource::Volume(name) => vec!["volume", "rm", "-f", name],
            Resource::Network(name) => vec!["network", "rm", name],
            Resource::Image(name) => vec!["image", "rm", name],
        };
        let run = || {
            std::process::Command::new("docker")
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        // On Ctrl-C a child process may still be removing the container that uses a volume
        // (`volume rm -f` fails while it is in use, succeeds once it is gone): retry for a while.
        let tries = if matches!(self, Resource::Volume(_)) { 20 } else { 1 };
        for _ in 0..tries {
            if run() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Resource::Container(n) => format!("container {n}"),
            Resource::Volume(n) => format!("volume {n}"),
            Resource::Network(n) => format!("network {n}"),
            Resource::Image(n) => format!("image {n}"),
        }
    }
}

static LIVE: Mutex<Vec<(u64, Resource)>> = Mutex::new(Vec::new());
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Removes its resource on Drop unless `keep` was called.
#[must_use = "the resource is removed when the guard drops"]
pub struct Guard {
    id: u64,
    resource: Resource,
    armed: bool,
}

impl Guard {
    /// Create the guard right after the resource exists, before any wait that could fail.
    pub fn new(resource: Resource) -> Guard {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push((id, resource.clone()));
        Guard { id, resource, armed: true }
    }

    /// The task succeeded: leave the resource in place.
    pub fn keep(mut self) {
        self.armed = false;
    }

    pub fn resource(&self) -> &Resource {
        &self.resource
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|(id, _)| *id != self.id);
        if self.armed {
            self.resource.remove();
        }
    }
}

/// On Ctrl-C or SIGTERM: remove every guarded resource (newest first), say so, exit 130.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        crate::progress::silence();
        let live: Vec<(u64, Resource)> = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, resource) in live.iter().rev() {
            resource.remove();
            eprintln!("interrupted: removed {}", resource.describe());
        }
        eprintln!("interrupted: nothing half-made is left");
        std::process::exit(130);
    });
}

/// Ends the process with `code`, unless an interrupt is being handled: then the handler, which is
/// still removing what was made, ends it (with 130) once it is done.
pub fn exit(code: i32) -> ! {
    if INTERRUPTED.load(Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    std::process::exit(code)
}

pub const KINDS: [(&str, &str); 3] = [("container", "{{.Names}}"), ("volume", "{{.Name}}"), ("network", "{{.Name}}")];

pub fn list(sh: &xshell::Shell, kind: &str, filter: &str, format: &str) -> Vec<String> {
    let mut args = vec![kind, "ls", "--filter", filter, "--format", format];
    if kind == "container" {
        args.insert(2, "-a");
    }
    crate::engine::probe(sh, args).map(|o| o.lines().filter(|l| !l.is_empty()).map(String::from).collect()).unwrap_or_default()
}

pub fn leftovers(sh: &xshell::Shell, run_id: &str) -> Vec<String> {
    let filter = format!("label={}={run_id}", crate::engine::RUN_LABEL_KEY);
    KINDS.iter().flat_map(|(kind, format)| list(sh, kind, &filter, format).into_iter().map(move |n| format!("{kind} {n}"))).collect()
}

pub fn remove_run(sh: &xshell::Shell, run_id: &str) {
    let filter = format!("label={}={run_id}", crate::engine::RUN_LABEL_KEY);
    for (kind, format) in KINDS {
        for name in list(sh, kind, &filter, format) {
            let _ = match kind {
                "container" => crate::engine::probe(sh, ["rm", "-f", "-v", name.as_str()]),
                _ => crate::engine::probe(sh, [kind, "rm", name.as_str()]),
            };
        }
    }
}

