//! Typed requests for the docker CLI: what to run, mount, publish and build. Each renders to the
//! CLI's arguments, and to the one line a transcript shows, so argument vectors are never built by hand.

use std::path::PathBuf;

use anyhow::Result;

mod build;
mod mount;

pub use build::BuildSpec;
pub use mount::{volume_mount_labelled, Mount, Publish};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
