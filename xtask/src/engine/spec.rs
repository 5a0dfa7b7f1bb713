//! Typed requests for the docker CLI: what to run, mount, publish and build. Each renders to the
//! CLI's arguments, and to the one line a transcript shows, so argument vectors are never built by hand.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// A port published on the host: `IP:HOST:CONTAINER`; `host: None` lets Docker pick a free port.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub ip: Option<String>,
    pub host: Option<u16>,
    pub container: u16,
}

impl Publish {
    /// On 127.0.0.1 only: never reachable from other machines.
    pub fn loopback(host: Option<u16>, container: u16) -> Publish {
        Publish {
            ip: Some("127.0.0.1".into()),
            host,
            container,
        }
    }

    pub fn render(&self) -> String {
        let host = self.host.map(|p| p.to_string()).unwrap_or_default();
        match &self.ip {
            Some(ip) => format!("{ip}:{host}:{}", self.container),
            None if self.host.is_some() => format!("{host}:{}", self.container),
            None => self.container.to_string(),
        }
    }
}

/// A filesystem mounted into a container, rendered as one `--mount` value.
#[derive(Debug, Clone, PartialEq)]
pub enum Mount {
    /// A named volume (created by Docker on first use if missing: create it first to label it).
    Volume {
        name: String,
        target: String,
        readonly: bool,
        nocopy: bool,
    },
    /// A host folder; Docker's `--mount` never creates a missing source (unlike `-v`).
    Bind {
        source: PathBuf,
        target: String,
        readonly: bool,
    },
    /// A small in-memory filesystem.
    Tmpfs {
        target: String,
        size_bytes: Option<u64>,
    },
}

impl Mount {
    pub fn volume(name: &str, target: &str) -> Mount {
        Mount::Volume {
            name: name.into(),
            target: target.into(),
            readonly: false,
            nocopy: false,
        }
    }

    pub fn bind(source: impl Into<PathBuf>, target: &str, readonly: bool) -> Mount {
        Mount::Bind {
            source: source.into(),
            target: target.into(),
            readonly,
        }
    }

    pub fn target(&self) -> &str {
        match self {
            Mount::Volume { target, .. }
            | Mount::Bind { target, .. }
            | Mount::Tmpfs { target, .. } => target,
        }
    }

    pub fn readonly(&self) -> bool {
        matches!(
            self,
            Mount::Volume { readonly: true, .. } | Mount::Bind { readonly: true, .. }
        )
    }

    /// The `--mount` value. Docker reads it as one CSV record: a field holding a comma or a quote
    /// is quoted, so a path can never add or override a field (`,source=/elsewhere`, `,readonly`).
    /// Paths with control characters (a newline ends the record) are refused: nothing can carry them.
    pub fn render(&self) -> Result<String> {
        let mut fields = Vec::new();
        match self {
            Mount::Volume {
                name,
                target,
                readonly,
                nocopy,
            } => {
                fields.extend([
                    "type=volume".to_string(),
                    format!("source={name}"),
                    format!("target={target}"),
                ]);
                if *readonly {
                    fields.push("readonly".into());
                }
                if *nocopy {
                    fields.push("volume-nocopy".into());
                }
            }
            Mount::Bind {
                source,
                target,
                readonly,
            } => {
                let source = source.to_str().ok_or_else(|| {
                    anyhow::anyhow!(
                        "the path {} is not valid UTF-8: Docker cannot mount it; rename the folder",
                        source.display()
                    )
                })?;
                fields.extend([
                    "type=bind".to_string(),
                    format!("source={source}"),
                    format!("target={target}"),
                ]);
                if *readonly {
                    fields.push("readonly".into());
                }
            }
            Mount::Tmpfs { target, size_bytes } => {
                fields.extend(["type=tmpfs".to_string(), format!("target={target}")]);
                if let Some(size) = size_bytes {
                    fields.push(format!("tmpfs-size={size}"));
                }
            }
        }
        fields
            .iter()
            .map(|f| csv_field(f))
            .collect::<Result<Vec<_>>>()
            .map(|f| f.join(","))
    }
}

/// A named volume's `--mount` value that labels the volume when Docker creates it on this mount
/// (`docker run -v NAME:DIR` creates a missing volume with no labels; `volume-label` fixes that).
pub fn volume_mount_labelled(
    name: &str,
    target: &str,
    labels: &[(String, String)],
) -> Result<String> {
    let mut rendered = Mount::volume(name, target).render()?;
    for (k, v) in labels {
        rendered.push(',');
        rendered.push_str(&csv_field(&format!("volume-label={k}={v}"))?);
    }
    Ok(rendered)
}

fn csv_field(field: &str) -> Result<String> {
    if field.chars().any(char::is_control) {
        bail!("{field:?} holds a control character (a newline?), which Docker's --mount cannot carry: rename the folder");
    }
    if field.contains([',', '"']) {
        return Ok(format!("\"{}\"", field.replace('"', "\"\"")));
    }
    Ok(field.to_string())
}

/// Options of `docker run`, in the order the CLI takes them. Flags an article writes its own way
/// (literal mode) go in `raw`, as written.
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    pub image: String,
    pub name: Option<String>,
    pub detach: bool,
    pub remove: bool,
    pub interactive: bool,
    pub tty: bool,
    pub user: Option<String>,
    pub group_add: Vec<String>,
    pub publish: Vec<Publish>,
    pub mounts: Vec<Mount>,
    pub env: Vec<(String, String)>,
    pub env_file: Option<PathBuf>,
    pub network: Option<String>,
    pub network_alias: Option<String>,
    pub add_host: Vec<String>,
    pub workdir: Option<String>,
    pub entrypoint: Option<String>,
    pub no_new_privileges: bool,
    /// For a Docker engine in a container (the sandbox): all privileges, or these capabilities.
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub health: Option<Health>,
    /// Extra labels for this container (the handle adds the project's own).
    pub labels: Vec<(String, String)>,
    /// Flags passed as written (the article's own `-v`, `-p`, `-e`, ...), right after `-d`/`--rm`/`-i`/`-t`,
    /// so a transcript shows them where the article writes them: before the name and what the project adds.
    pub raw: Vec<String>,
    pub command: Vec<String>,
}

/// A healthcheck given at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub command: String,
    pub interval: String,
    pub retries: u32,
}

impl RunSpec {
    pub fn new(image: &str) -> RunSpec {
        RunSpec {
            image: image.into(),
            ..RunSpec::default()
        }
    }

    /// `docker run -d --name NAME IMAGE`.
    pub fn detached(image: &str, name: &str) -> RunSpec {
        RunSpec {
            detach: true,
            ..RunSpec::new(image)
        }
        .name(name)
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn rm(mut self) -> Self {
        self.remove = true;
        self
    }
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.into());
        self
    }
    pub fn publish(mut self, publish: Publish) -> Self {
        self.publish.push(publish);
        self
    }
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
    pub fn network(mut self, network: &str) -> Self {
        self.network = Some(network.into());
        self
    }
    pub fn entrypoint(mut self, entrypoint: &str) -> Self {
        self.entrypoint = Some(entrypoint.into());
        self
    }
    pub fn no_new_privileges(mut self) -> Self {
        self.no_new_privileges = true;
        self
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
    pub fn raw<S: AsRef<str>>(mut self, flags: &[S]) -> Self {
        self.raw
            .extend(flags.iter().map(|f| f.as_ref().to_string()));
        self
    }
    pub fn command<S: AsRef<str>>(mut self, command: &[S]) -> Self {
        self.command
            .extend(command.iter().map(|c| c.as_ref().to_string()));
        self
    }

    /// `run ...` arguments with `labels` (the handle's) added after the name.
    pub fn args(&self, labels: &[(String, String)]) -> Result<Vec<String>> {
        let mut a = vec!["run".to_string()];
        let flag = |a: &mut Vec<String>, on: bool, f: &str| {
            if on {
                a.push(f.to_string());
            }
        };
        flag(&mut a, self.detach, "-d");
        flag(&mut a, self.remove, "--rm");
        flag(&mut a, self.interactive, "-i");
        flag(&mut a, self.tty, "-t");
        a.extend(self.raw.iter().cloned());
        if let Some(name) = &self.name {
            a.extend(["--name".into(), name.clone()]);
        }
        for (k, v) in labels.iter().chain(&self.labels) {
            a.extend(["--label".into(), format!("{k}={v}")]);
        }
        for p in &self.publish {
            a.extend(["-p".into(), p.render()]);
        }
        for m in &self.mounts {
            a.extend(["--mount".into(), m.render()?]);
        }
        for (k, v) in &self.env {
            a.extend(["-e".into(), format!("{k}={v}")]);
        }
        if let Some(file) = &self.env_file {
            a.extend(["--env-file".into(), file.display().to_string()]);
        }
        if let Some(network) = &self.network {
            a.extend(["--network".into(), network.clone()]);
        }
        if let Some(alias) = &self.network_alias {
            a.extend(["--network-alias".into(), alias.clone()]);
        }
        for host in &self.add_host {
            a.extend(["--add-host".into(), host.clone()]);
        }
        if let Some(user) = &self.user {
            a.extend(["--user".into(), user.clone()]);
        }
        for group in &self.group_add {
            a.extend(["--group-add".into(), group.clone()]);
        }
        if self.no_new_privileges {
            a.extend(["--security-opt".into(), "no-new-privileges".into()]);
        }
        flag(&mut a, self.privileged, "--privileged");
        for cap in &self.cap_add {
            a.push(format!("--cap-add={cap}"));
        }
        for cap in &self.cap_drop {
            a.push(format!("--cap-drop={cap}"));
        }
        for opt in &self.security_opt {
            a.extend(["--security-opt".into(), opt.clone()]);
        }
        if let Some(h) = &self.health {
            a.extend([
                "--health-cmd".into(),
                h.command.clone(),
                "--health-interval".into(),
                h.interval.clone(),
            ]);
            a.extend(["--health-retries".into(), h.retries.to_string()]);
        }
        if let Some(dir) = &self.workdir {
            a.extend(["-w".into(), dir.clone()]);
        }
        if let Some(entrypoint) = &self.entrypoint {
            a.extend(["--entrypoint".into(), entrypoint.clone()]);
        }
        a.push(self.image.clone());
        a.extend(self.command.iter().cloned());
        Ok(a)
    }
}

/// `docker build`: a context folder, a tag, build arguments, labels.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    pub context: PathBuf,
    pub tag: String,
    pub dockerfile: Option<PathBuf>,
    pub build_args: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub no_cache: bool,
}

impl BuildSpec {
    pub fn new(context: impl Into<PathBuf>, tag: &str) -> BuildSpec {
        BuildSpec {
            context: context.into(),
            tag: tag.into(),
            ..BuildSpec::default()
        }
    }
    pub fn arg(mut self, key: &str, value: &str) -> Self {
        self.build_args.push((key.into(), value.into()));
        self
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// `build ...` arguments; `--force-rm` so a failed step leaves no container.
    pub fn args(&self, labels: &[(String, String)]) -> Vec<String> {
        let mut a = vec!["build".to_string(), "--force-rm".into()];
        if self.no_cache {
            a.push("--no-cache".into());
        }
        if let Some(file) = &self.dockerfile {
            a.extend(["-f".into(), file.display().to_string()]);
        }
        for (k, v) in &self.build_args {
            a.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        for (k, v) in labels.iter().chain(&self.labels) {
            a.extend(["--label".into(), format!("{k}={v}")]);
        }
        a.extend([
            "-t".into(),
            self.tag.clone(),
            self.context.display().to_string(),
        ]);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_render_as_one_csv_record() {
        let m = Mount::bind("/home/me/notebooks", "/work", true);
        assert_eq!(
            m.render().unwrap(),
            "type=bind,source=/home/me/notebooks,target=/work,readonly"
        );
        // A comma cannot add a field: the whole field is quoted.
        let evil = Mount::bind("/tmp/nb,source=/tmp/v,target=/work", "/work", true);
        assert_eq!(
            evil.render().unwrap(),
            "type=bind,\"source=/tmp/nb,source=/tmp/v,target=/work\",target=/work,readonly"
        );
        let quote = Mount::bind("/tmp/a\"b", "/work", false);
        assert_eq!(
            quote.render().unwrap(),
            "type=bind,\"source=/tmp/a\"\"b\",target=/work"
        );
        let newline = Mount::bind("/tmp/nb\nx", "/work", true);
        assert!(newline
            .render()
            .unwrap_err()
            .to_string()
            .contains("control character"));
        let v = Mount::Volume {
            name: "v".into(),
            target: "/work/outputs".into(),
            readonly: false,
            nocopy: true,
        };
        assert_eq!(
            v.render().unwrap(),
            "type=volume,source=v,target=/work/outputs,volume-nocopy"
        );
        let ro = Mount::Volume {
            name: "v".into(),
            target: "/cache".into(),
            readonly: true,
            nocopy: false,
        };
        assert_eq!(
            ro.render().unwrap(),
            "type=volume,source=v,target=/cache,readonly"
        );
        assert!(ro.readonly());
    }

    #[test]
    fn every_control_character_is_refused_in_a_mount() {
        // Not only the newline: a carriage return, a tab, an escape, a NUL, DEL and a C1 control.
        for c in ['\n', '\r', '\t', '\x1b', '\0', '\x7f', '\u{85}'] {
            let bind = Mount::bind(format!("/tmp/nb{c}x"), "/work", true);
            let error = bind
                .render()
                .expect_err(&format!("{c:?} in a bind source was accepted"));
            assert!(
                error.to_string().contains("control character"),
                "{c:?}: {error}"
            );
            let volume = Mount::volume("v", &format!("/work/out{c}x"));
            assert!(
                volume.render().is_err(),
                "{c:?} in a volume target was accepted"
            );
        }
        assert!(
            Mount::bind("/tmp/nb é", "/work", true).render().is_ok(),
            "a space or a letter is no control character"
        );
    }

    #[test]
    fn run_specs_render_in_the_clis_order() {
        let spec = RunSpec::detached("img:tag", "c")
            .publish(Publish::loopback(None, 8888))
            .mount(Mount::volume("v", "/work/outputs"))
            .user("1000:100")
            .no_new_privileges()
            .command(&["start-notebook.py"]);
        let labels = vec![("a.managed".to_string(), "true".to_string())];
        assert_eq!(
            spec.args(&labels).unwrap().join(" "),
            "run -d --name c --label a.managed=true -p 127.0.0.1::8888 --mount type=volume,source=v,target=/work/outputs \
             --user 1000:100 --security-opt no-new-privileges img:tag start-notebook.py"
        );
        assert_eq!(
            Publish {
                ip: None,
                host: Some(8888),
                container: 8888
            }
            .render(),
            "8888:8888"
        );
        assert_eq!(
            Publish::loopback(Some(9000), 8888).render(),
            "127.0.0.1:9000:8888"
        );
    }

    #[test]
    fn builds_render_with_labels_and_args() {
        let spec = BuildSpec::new("/ctx", "t:1")
            .arg("BASE_IMAGE", "b")
            .label("k", "v");
        assert_eq!(
            spec.args(&[]).join(" "),
            "build --force-rm --build-arg BASE_IMAGE=b --label k=v -t t:1 /ctx"
        );
    }
}
