//! What one look at an engine showed, kept over the run: its containers, volumes (with the files in
//! them) and images, and the secrets its containers were given.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

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
    pub(super) fn known(&self) -> String {
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

    pub(super) fn take(&mut self, engine: &str, look: &str) {
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
