//! What the engine is asked to do with containers, images, volumes and networks: run, build, look
//! up, exec into, create.

use anyhow::{bail, Result};

use super::cmdline;
use super::container::ContainerState;
use super::messages::{last_message, tail};
use super::names::check_name;
use super::spec::{BuildSpec, RunSpec};
use super::{creator_id, label_args, Docker, Output, CREATOR_LABEL_KEY, OWNER, OWNER_KEY};

impl Docker {
    /// `docker run SPEC` with the project's labels; the container's id.
    pub fn run(&self, spec: &RunSpec) -> Result<String> {
        self.output(spec.args(&self.resource_labels())?)
    }

    /// The `docker run` line of a spec, as a person would type it (for transcripts).
    pub fn shown_run(&self, spec: &RunSpec) -> Result<String> {
        Ok(cmdline::shown(
            "docker",
            &spec.args(&self.resource_labels())?,
        ))
    }

    /// `docker build SPEC` with a progress line; the build's output is shown when it fails (or
    /// with `verbose`). The legacy builder only tags on success, and `--force-rm` removes its
    /// intermediate containers; a rebuild removes the image the tag named before.
    pub fn build(&self, spec: &BuildSpec, what: &str, verbose: bool) -> Result<()> {
        let (replaced, step) = (
            self.managed_image_id(&spec.tag),
            crate::progress::Step::start_maybe_lines(what, verbose),
        );
        let expression = self
            .stream(spec.args(&self.build_labels(&spec.tag)))
            .stderr_to_stdout()
            .unchecked();
        let output = if verbose {
            expression.run()?
        } else {
            expression.stdout_capture().run()?
        };
        if !output.status.success() {
            let log = String::from_utf8_lossy(&output.stdout);
            if !verbose {
                eprintln!("{}", tail(&log, 40));
            }
            let failed_step = log
                .lines()
                .rfind(|l| l.starts_with("Step "))
                .unwrap_or("before the first step");
            bail!("{what} failed at {failed_step}: {} (the build's last lines are above; fix the Dockerfile or the cause and run again)", last_message(&log));
        }
        step.done("built");
        self.drop_replaced(&spec.tag, replaced);
        Ok(())
    }

    pub fn image_exists(&self, image: &str) -> bool {
        self.exists("image", image)
    }

    /// Whether a container, volume, network or image of this name exists.
    pub fn exists(&self, kind: &str, name: &str) -> bool {
        self.probe([kind, "inspect", "--format", "x", name])
            .is_some()
    }

    /// The value of one label of a container, volume, network or image; empty or missing is `None`.
    pub fn label(&self, kind: &str, name: &str, key: &str) -> Option<String> {
        let format = match kind {
            "volume" | "network" => format!("{{{{index .Labels \"{key}\"}}}}"),
            _ => format!("{{{{index .Config.Labels \"{key}\"}}}}"),
        };
        self.probe([kind, "inspect", "--format", format.as_str(), name])
            .filter(|v| !v.is_empty() && v != "<no value>")
    }

    /// Whether this process created the resource (its creator label is ours).
    pub fn created_here(&self, kind: &str, name: &str) -> bool {
        self.label(kind, name, CREATOR_LABEL_KEY).as_deref() == Some(creator_id())
    }

    /// Whether a container was made by this project (it carries the owner label, which images never do).
    pub fn is_owned(&self, container: &str) -> bool {
        self.label("container", container, OWNER_KEY).is_some()
    }

    /// The state of a container the project made; `None` when no container has that name. A
    /// person's own container of that name (no owner label) is an error: it is left alone, and
    /// `fix` tells what to do instead.
    pub fn owned_container_state(&self, name: &str, fix: &str) -> Result<Option<ContainerState>> {
        let Some(state) = self.container_state(name) else {
            return Ok(None);
        };
        if !self.is_owned(name) {
            bail!("container {name} was not made by this project (it lacks the label {OWNER}): it is left alone; {fix}");
        }
        Ok(Some(state))
    }

    /// `docker exec CONTAINER COMMAND...` whatever its status.
    pub fn exec<S: AsRef<str>>(&self, container: &str, command: &[S]) -> Result<Output> {
        let mut args = vec!["exec".to_string(), container.to_string()];
        args.extend(command.iter().map(|c| c.as_ref().to_string()));
        self.status(&args)
    }

    /// `docker exec [-w WORKDIR] CONTAINER COMMAND...` as a duct expression: for output that is
    /// streamed, or whose two streams must stay in the order they were written.
    pub fn exec_stream<S: AsRef<str>>(
        &self,
        container: &str,
        workdir: Option<&str>,
        command: &[S],
    ) -> duct::Expression {
        let mut args = vec!["exec".to_string()];
        if let Some(dir) = workdir {
            args.extend(["-w".to_string(), dir.to_string()]);
        }
        args.push(container.to_string());
        args.extend(command.iter().map(|c| c.as_ref().to_string()));
        self.stream(args)
    }

    /// `docker exec -i CONTAINER COMMAND...` as a duct expression whose stdin reaches the command
    /// (a file written through a pipe, keys typed into a process).
    pub fn exec_input<S: AsRef<str>>(&self, container: &str, command: &[S]) -> duct::Expression {
        let mut args = vec!["exec".to_string(), "-i".to_string(), container.to_string()];
        args.extend(command.iter().map(|c| c.as_ref().to_string()));
        self.stream(args)
    }

    /// Creates a labelled volume and says whether this call made it. `docker volume create` also
    /// succeeds on an existing volume: the creator label tells the two apart, so a volume that was
    /// there before (or that a racing process made) is never adopted as this process's own.
    pub fn create_volume(&self, name: &str, options: &[&str]) -> Result<Created> {
        check_name("volume", name)?;
        if self.exists("volume", name) {
            return Ok(Created::Existed);
        }
        self.create_missing_volume(name, options)
    }

    /// `create_volume` for a volume an inspect has just found missing (one engine call fewer); a
    /// volume another process made in between is still reported as `Existed`, by its creator label.
    pub fn create_missing_volume(&self, name: &str, options: &[&str]) -> Result<Created> {
        check_name("volume", name)?;
        let mut args = vec!["volume".to_string(), "create".into()];
        args.extend(label_args(self.resource_labels()));
        args.extend(options.iter().map(|o| o.to_string()));
        args.push(name.into());
        self.output(&args)?;
        Ok(if !self.stamp || self.created_here("volume", name) {
            Created::Now
        } else {
            Created::Existed
        })
    }

    /// Creates a labelled network (`docker network create` fails on an existing name).
    pub fn create_network(&self, name: &str) -> Result<Created> {
        self.create_network_with(name, &[])
    }

    /// [`Docker::create_network`] with `docker network create` options (`--driver overlay`).
    pub fn create_network_with(&self, name: &str, options: &[&str]) -> Result<Created> {
        if self.exists("network", name) {
            return Ok(Created::Existed);
        }
        let mut args = vec!["network".to_string(), "create".into()];
        args.extend(options.iter().map(|o| o.to_string()));
        args.extend(label_args(self.resource_labels()));
        args.push(name.into());
        match self.output(&args) {
            Ok(id) => {
                // Docker lets networks share a name: when a concurrent run made one too, the
                // oldest stays and the others go, so the name stays unambiguous.
                let ids = self.output([
                    "network",
                    "ls",
                    "-q",
                    "--no-trunc",
                    "--filter",
                    &format!("name=^{name}$"),
                ])?;
                let mut made: Vec<(String, String)> = ids
                    .lines()
                    .map(|i| {
                        (
                            self.probe(["network", "inspect", "-f", "{{.Created}}", i])
                                .unwrap_or_default(),
                            i.to_string(),
                        )
                    })
                    .collect();
                made.sort();
                if made.len() > 1 && made[0].1 != id.trim() {
                    let _ = self.status(["network", "rm", id.trim()]);
                    return Ok(Created::Existed);
                }
                Ok(Created::Now)
            }
            Err(_) if self.exists("network", name) && !self.created_here("network", name) => {
                Ok(Created::Existed)
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether a create call made the resource or found it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Now,
    Existed,
}

/// `docker exec [-it | -i] CONTAINER COMMAND...` as one shell line, for a shell that already
/// names its engine (DOCKER_HOST inside the sandbox): how a replay types a command into a container.
pub fn exec_line<S: AsRef<str>>(container: &str, terminal: bool, command: &[S]) -> String {
    let mut args = vec![
        "exec".to_string(),
        if terminal { "-it" } else { "-i" }.to_string(),
        container.to_string(),
    ];
    args.extend(command.iter().map(|c| c.as_ref().to_string()));
    cmdline::shown("docker", &args)
}
