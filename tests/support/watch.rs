//! What a walkthrough did in the engines, seen by the test itself while it runs: its containers,
//! volumes (with the files in them) and images, in the sandbox engines of a literal replay (asked
//! through each sandbox's own socket) and, for the corrected mode, on the host engine (this run's
//! labelled containers). Also every secret its containers were given (passwords in their run-time
//! environment, Jupyter tokens in their logs), for the check that no output shows one.
//!
//! A look every [`EVERY`] reads only: `ps`, `inspect`, `logs`, `find` on the volumes' folders. It
//! never makes anything in an engine, so the replay sees the same engine it would alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{docker, RUN_LABEL_KEY};

// What the looks saw, and how a look's output is read, in a file of its own.
mod seen;
// Each test binary uses its own part of what is re-exported here.
#[allow(unused_imports)]
pub use seen::{in_containers, name_of, Engine, Seen};

const EVERY: Duration = Duration::from_millis(400);

/// Where a sandbox's engine answers, inside the sandbox (its root socat proxy).
const SANDBOX_SOCKET: &str = "unix:///run/sandbox/docker.sock";

/// One look at one engine, as a shell script run where that engine's CLI answers: its containers,
/// volumes and images (`filter`: only those of `docker ps`/`volume ls --filter FILTER`, and only
/// the images of those containers). Sections start with a `#jdx#` marker line; inspect output is JSON.
///
/// Its input is what earlier looks saw (see [`Engine::known`]): what a container, volume or image
/// is does not change once made, so only new ones are inspected; the files of every volume and the
/// logs of new and running containers are read each time. Few docker calls a look: the watch must
/// not slow the walkthrough it watches.
fn look_script(filter: Option<&str>) -> String {
    let (f, all_images) = match filter {
        Some(f) => (format!(" --filter {f}"), ""),
        None => (String::new(), "echo \"$tags\" | cut -d' ' -f1;"),
    };
    // An image's tags do change (a build tags its last layer, `docker tag` adds one): they are
    // listed each look, in one call, where every image is looked at.
    let tags = match filter {
        Some(_) => "",
        None => "tags=$(docker image ls --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'); echo '#jdx# tags'; echo \"$tags\"",
    };
    format!(
        r#"
read -r known; read -r places
new() {{ for x in "$@"; do case " $known " in *" $x "*) ;; *) echo "$x";; esac; done; }}
ps=$(docker ps -a --no-trunc --format '{{{{.ID}}}} {{{{.Status}}}}'{f}); v=$(docker volume ls -q{f})
nc=$(new $(echo "$ps" | cut -d' ' -f1)); nv=$(new $v)
{tags}
echo '#jdx# containers'; [ -n "$nc" ] && docker container inspect $nc
echo '#jdx# volumes'; [ -n "$nv" ] && docker volume inspect $nv
ni=$(new $( {{ [ -n "$nc" ] && docker inspect --format '{{{{.Image}}}}' $nc; {all_images} }} | sort -u))
echo '#jdx# images'; [ -n "$ni" ] && docker image inspect $ni
echo '#jdx# files'
[ -n "$nv" ] && places="$places $(docker volume inspect --format '{{{{.Name}}}}={{{{.Mountpoint}}}}' $nv)"
vs=" $(echo $v) "
for m in $places; do
  case "$vs" in *" ${{m%%=*}} "*) find "${{m#*=}}" -maxdepth 3 -printf "${{m%%=*}} %U:%G %m %P\n" 2>/dev/null;; esac
done
echo '#jdx# logs'
for x in $nc $(echo "$ps" | grep ' Up ' | cut -d' ' -f1); do docker logs "$x" 2>&1 | grep -o 'token=[0-9a-f]*'; done
true
"#
    )
}

/// Looks at every engine of run `run` until dropped: the host's containers labelled with the run,
/// and the engine inside each of the run's sandboxes (`jdx-sandbox-<run>-N`, `jdx-remote-<run>-N`).
pub struct Watch {
    done: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    pub fn start(run: &str) -> Watch {
        let done = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (flag, into, run) = (done.clone(), seen.clone(), run.to_string());
        let thread = std::thread::spawn(move || loop {
            // One last look after the walkthrough ended catches what it left.
            let last = flag.load(Ordering::SeqCst);
            look_once(&run, &into);
            if last {
                break;
            }
            std::thread::sleep(EVERY);
        });
        Watch {
            done,
            seen,
            thread: Some(thread),
        }
    }

    /// Stops looking and gives what was seen.
    pub fn finish(mut self) -> Seen {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

fn look_once(run: &str, into: &Mutex<Seen>) {
    let filter = format!("label={RUN_LABEL_KEY}={run}");
    let ours = docker(&["ps", "--filter", &filter, "--format", "{{.Names}}"]).stdout;
    let sandboxes = ours.lines().filter(|n| {
        (n.starts_with("jdx-sandbox-") || n.starts_with("jdx-remote-"))
            && !n.starts_with("jdx-sandbox-registry")
    });
    let host = format!("DOCKER_HOST={SANDBOX_SOCKET}");
    for sandbox in sandboxes {
        let script = look_script(None);
        let args = ["exec", "-i", "-e", &host, sandbox, "sh", "-c", &script];
        let look = look_with(into, sandbox, "docker", &args);
        into.lock().unwrap().take(sandbox, &look);
    }
    // The corrected mode's containers are on the host engine, labelled with the run: only those.
    let look = look_with(into, "host", "sh", &["-c", &look_script(Some(&filter))]);
    into.lock().unwrap().take("host", &look);
}

/// Runs one look (`program args`) at `engine`, given what was seen of it so far; its output.
fn look_with(into: &Mutex<Seen>, engine: &str, program: &str, args: &[&str]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let known = into
        .lock()
        .unwrap()
        .engines
        .get(engine)
        .map(Engine::known)
        .unwrap_or_else(|| "\n\n".into());
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return String::new();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(known.as_bytes());
    }
    child
        .wait_with_output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
