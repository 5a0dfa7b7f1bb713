//! What a walkthrough did in the engines, seen by the test itself while it runs: its containers,
//! volumes (with the files in them) and images, in the sandbox engines of a literal replay (asked
//! through each sandbox's own socket) and, for the corrected mode, on the host engine (this run's
//! labelled containers). Also every secret its containers were given (passwords in their run-time
//! environment, Jupyter tokens in their logs), for the check that no output shows one.
//!
//! A look every [`EVERY`] reads only: `ps`, `inspect`, `logs`, `find` on the volumes' folders. It
//! never makes anything in an engine, so the replay sees the same engine it would alone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::{docker, RUN_LABEL_KEY};

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

/// Everything seen in one engine over the run.
#[derive(Default, Debug)]
pub struct Engine {
    /// By id: the last `docker container inspect` seen (one name can be several containers, one
    /// after another).
    pub containers: BTreeMap<String, Value>,
    /// By name: the last `docker volume inspect` seen.
    pub volumes: BTreeMap<String, Value>,
    /// By image id: its `docker image inspect`.
    pub images: BTreeMap<String, Value>,
    /// Every `volume owner-uid:gid mode path` line seen in a volume's folder (ids as the engine's
    /// daemon sees them: a rootless sandbox engine's are shifted).
    pub files: BTreeSet<String>,
}

impl Engine {
    /// What the look script reads: the ids and names already inspected (one line), then each
    /// volume's `name=folder` (another).
    fn known(&self) -> String {
        let ids = self.containers.keys().chain(self.volumes.keys());
        let ids: Vec<&str> = ids.chain(self.images.keys()).map(String::as_str).collect();
        let places: Vec<String> = self
            .volumes
            .iter()
            .map(|(name, v)| format!("{name}={}", v["Mountpoint"].as_str().unwrap_or("")))
            .collect();
        format!("{}\n{}\n", ids.join(" "), places.join(" "))
    }
}

/// What a walkthrough did, by engine: `host`, or a sandbox container's name.
#[derive(Default, Debug)]
pub struct Seen {
    /// The run id the walkthrough ran under (its labels carry it).
    pub run: String,
    pub engines: BTreeMap<String, Engine>,
    pub secrets: BTreeSet<String>,
}

impl Seen {
    /// Every container seen in any engine whose image (as the container was asked for it,
    /// `.Config.Image`) starts with `image`.
    pub fn containers_of(&self, image: &str) -> Vec<&Value> {
        self.engines
            .values()
            .flat_map(|e| e.containers.values())
            .filter(|c| {
                c["Config"]["Image"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(image)
            })
            .collect()
    }

    /// The containers seen in the engines whose name starts with `engine` (`jdx-remote-`: the
    /// remote stand-ins'), by name.
    pub fn containers_in(&self, engine: &str) -> Vec<(&str, &Value)> {
        self.engines
            .iter()
            .filter(|(name, _)| name.starts_with(engine))
            .flat_map(|(_, e)| e.containers.values().map(|c| (name_of(c), c)))
            .collect()
    }

    /// The volume `name` as the first engine that had it showed it.
    pub fn volume(&self, name: &str) -> Option<&Value> {
        self.engines.values().find_map(|e| e.volumes.get(name))
    }

    /// The files seen in volume `name` (its own folder as the path ""), each as `(owner, mode,
    /// path)` with the owner as `uid:gid` the engine's containers see it (see [`in_containers`]).
    pub fn files_in(&self, name: &str) -> BTreeSet<(String, String, String)> {
        let prefix = format!("{name} ");
        self.engines
            .iter()
            .flat_map(|(engine, e)| e.files.iter().map(move |l| (engine, l)))
            .filter_map(|(engine, l)| {
                let mut parts = l.strip_prefix(&prefix)?.splitn(3, ' ');
                let (owner, mode) = (parts.next()?, parts.next()?);
                let path = parts.next().unwrap_or("");
                Some((in_containers(engine, owner), mode.into(), path.into()))
            })
            .collect()
    }

    /// Every mount of every container seen: (container's name, its inspect, the mount).
    pub fn mounts(&self) -> Vec<(&str, &Value, &Value)> {
        let mut all = Vec::new();
        for e in self.engines.values() {
            for c in e.containers.values() {
                for m in c["Mounts"].as_array().into_iter().flatten() {
                    all.push((name_of(c), c, m));
                }
            }
        }
        all
    }

    /// The image an engine had under `tag` (`name:tag`), if any.
    pub fn image(&self, tag: &str) -> Option<&Value> {
        self.engines
            .values()
            .flat_map(|e| e.images.values())
            .find(|i| {
                i["RepoTags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == tag))
            })
    }

    /// All of it as JSON (for a look after a failure: `JDX_SEEN_DUMP=DIR` writes one file per run).
    pub fn to_json(&self) -> Value {
        let engines: serde_json::Map<String, Value> = self
            .engines
            .iter()
            .map(|(name, e)| {
                let e = serde_json::json!({
                    "containers": e.containers,
                    "volumes": e.volumes,
                    "images": e.images,
                    "files": e.files,
                });
                (name.clone(), e)
            })
            .collect();
        serde_json::json!({ "run": self.run, "engines": engines })
    }

    /// The image with id `id` (`sha256:...`), as an engine showed it.
    pub fn image_by_id(&self, id: &str) -> Option<&Value> {
        self.engines.values().find_map(|e| e.images.get(id))
    }

    /// A line for the test's output: how much it saw.
    pub fn summary(&self) -> String {
        self.engines
            .iter()
            .map(|(name, e)| {
                format!(
                    "{name}: {} containers, {} volumes, {} images",
                    e.containers.len(),
                    e.volumes.len(),
                    e.images.len()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// What one look at engine `engine` showed (for the support library's own tests).
    pub fn from_look(engine: &str, look: &str) -> Seen {
        let mut seen = Seen::default();
        seen.take(engine, look);
        seen
    }

    fn take(&mut self, engine: &str, look: &str) {
        let e = self.engines.entry(engine.to_string()).or_default();
        let mut tokens = Vec::new();
        let mut tags_seen = Vec::new();
        for (section, body) in sections(look) {
            match section {
                "containers" => {
                    for c in json_array(body) {
                        e.containers
                            .insert(c["Id"].as_str().unwrap_or("").into(), c);
                    }
                }
                "volumes" => {
                    for v in json_array(body) {
                        e.volumes.insert(v["Name"].as_str().unwrap_or("").into(), v);
                    }
                }
                "images" => {
                    for i in json_array(body) {
                        e.images.insert(i["Id"].as_str().unwrap_or("").into(), i);
                    }
                }
                "files" => e.files.extend(body.lines().map(String::from)),
                "tags" => tags_seen.extend(body.lines().filter_map(|l| l.split_once(' '))),
                "logs" => tokens.extend(body.lines().filter_map(|l| l.strip_prefix("token="))),
                _ => {}
            }
        }
        // Tags seen after an image was inspected join its `RepoTags`.
        for (id, tag) in tags_seen {
            let tagged = tag != "<none>:<none>";
            if let Some(tags) = e.images.get_mut(id).map(|i| &mut i["RepoTags"]) {
                if !tags.is_array() {
                    *tags = Value::Array(Vec::new());
                }
                let list = tags.as_array_mut().unwrap();
                if tagged && !list.iter().any(|t| t == tag) {
                    list.push(Value::String(tag.to_string()));
                }
            }
        }
        for token in tokens.into_iter().filter(|t| t.len() == 48) {
            self.secrets.insert(token.to_string());
        }
        let e = &self.engines[engine];
        // A classic builder's step for ENV, LABEL... (`#(nop)`) runs nothing and is given nothing:
        // its environment is the Dockerfile's defaults (`MYSQL_PASSWORD=NOT_DEFINED`).
        let given = e.containers.values().filter(|c| {
            !c["Config"]["Cmd"].as_array().is_some_and(|cmd| {
                cmd.iter()
                    .any(|a| a.as_str().is_some_and(|a| a.contains("#(nop)")))
            })
        });
        for c in given {
            let image_env: Vec<&Value> = e
                .images
                .get(c["Image"].as_str().unwrap_or(""))
                .and_then(|i| i["Config"]["Env"].as_array())
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let env = c["Config"]["Env"].as_array().cloned().unwrap_or_default();
            // The image's own ENV defaults (`MYSQL_PASSWORD=NOT_DEFINED`) are not run-time secrets.
            for line in env.iter().filter(|l| !image_env.contains(l)) {
                if let Some((key, value)) = line.as_str().and_then(|l| l.split_once('=')) {
                    if (key.contains("PASSWORD") || key.contains("TOKEN")) && value.len() >= 6 {
                        self.secrets.insert(value.to_string());
                    }
                }
            }
        }
    }
}

/// A container's name as `docker ps` shows it (its inspect's `Name` without the leading `/`).
pub fn name_of(c: &Value) -> &str {
    c["Name"].as_str().unwrap_or("").trim_start_matches('/')
}

/// `uid:gid` of a file as the containers of `engine` see it. A sandbox's engine (`jdx-...`) runs
/// rootless as the sandbox's uid 1000, its containers' root; their uid n > 0 is the sandbox's
/// 99999 + n (the subordinate ids from 100000 its image gives that user). The host's are as they are.
pub fn in_containers(engine: &str, owner: &str) -> String {
    if !engine.starts_with("jdx-") {
        return owner.to_string();
    }
    let shift = |id: &str| match id.parse::<u32>() {
        Ok(1000) => "0".to_string(),
        Ok(n) if (100_000..165_536).contains(&n) => (n - 99_999).to_string(),
        _ => format!("unmapped {id}"),
    };
    match owner.split_once(':') {
        Some((u, g)) => format!("{}:{}", shift(u), shift(g)),
        None => shift(owner),
    }
}

/// The `#jdx# NAME` sections of a look, with their bodies.
fn sections(look: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = look;
    while let Some(at) = rest.find("#jdx# ") {
        let after = &rest[at + 6..];
        let (name, body) = after.split_once('\n').unwrap_or((after, ""));
        let end = body.find("#jdx# ").unwrap_or(body.len());
        out.push((name.trim(), &body[..end]));
        rest = &body[end..];
    }
    out
}

/// A JSON array printed by `docker inspect`, or none when the look caught an engine mid-change
/// (something removed between `ls` and `inspect`: the next look gets it).
fn json_array(body: &str) -> Vec<Value> {
    let start = body.find('[').unwrap_or(body.len());
    serde_json::from_str::<Vec<Value>>(body[start..].trim()).unwrap_or_default()
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
