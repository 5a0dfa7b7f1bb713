//! `cargo xtask up`: a running JupyterLab with its data handled right.
//! Outputs on a named volume at /work/outputs (where the notebook writes), notebooks bind-mounted
//! read-only at /work, the port on 127.0.0.1 only, the notebook user, no-new-privileges; then the
//! URL caught from the log the moment it is printed, rewritten for the host port, and checked.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xshell::Shell;

use crate::engine::resources::{Guard, Resource};
use crate::engine::{self, ContainerState};
use crate::jupyter::url::{find_url, ServerUrl, Token, UrlWatcher};
use crate::images::{base, series as build};
use crate::jupyter::http;
use crate::{paths, progress};

pub const DEFAULT_IMAGE: &str = "custom-jupyter-image:named-volume";
pub const DEFAULT_NAME: &str = "custom-jupyter-container";
pub const DEFAULT_VOLUME: &str = "named-data-volume";
/// Where the notebooks are mounted, and where the notebook's relative `outputs/` lands.
pub const WORKDIR: &str = "/work";
pub const OUTPUTS: &str = "/work/outputs";
pub const VOLUME_LABEL_KEY: &str = "jupyter-docker-xtask.volume";

#[derive(clap::Args, Debug, Clone)]
pub struct Up {
    /// Container name.
    #[arg(long, default_value = DEFAULT_NAME)]
    pub name: String,
    /// Named volume for the outputs (created if missing, never removed by `up`).
    #[arg(long, default_value = DEFAULT_VOLUME)]
    pub volume: String,
    /// Host port on 127.0.0.1 (0: let Docker pick a free one).
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// Image to run (the series' images are built when missing or changed).
    #[arg(long, default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Notebooks folder to bind-mount at /work (default: the project's notebooks/).
    #[arg(long)]
    pub notebooks: Option<PathBuf>,
    /// Mount the notebooks read-write and run as the folder's owner, for editing in the browser.
    #[arg(long)]
    pub writable_notebooks: bool,
    /// Run from the image's own copy of the notebooks (no bind mount).
    #[arg(long, conflicts_with = "writable_notebooks")]
    pub no_bind: bool,
    /// Seconds to wait for the server's URL.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Print one JSON object (url, token, container, volume, port, image) instead of the URL.
    #[arg(long)]
    pub json: bool,
    /// Open the URL in a browser.
    #[arg(long)]
    pub open: bool,
}

/// What `up` gives back.
#[derive(Debug, Clone)]
pub struct Running {
    pub url: String,
    pub token: Option<String>,
    pub container: String,
    pub volume: String,
    pub port: u16,
    pub image: String,
}

impl Running {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url, "token": self.token, "container": self.container,
            "volume": self.volume, "port": self.port, "image": self.image,
        })
    }
}

impl Up {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let running = self.start(sh)?;
        if self.json {
            println!("{}", running.to_json());
        } else {
            println!("{}", running.url);
        }
        if self.open {
            let _ = duct::cmd!("xdg-open", &running.url).stdout_null().stderr_null().unchecked().start();
        }
        Ok(())
    }

    /// Checks every input before the first docker call.
    fn validate(&self) -> Result<Option<PathBuf>> {
        engine::check_name("name", &self.name)?;
        engine::check_name("volume", &self.volume)?;
        engine::check_image_ref(&self.image)?;
        if self.timeout == 0 {
            bail!("--timeout 0 leaves no time for the server to start: give the seconds to wait, e.g. --timeout 120");
        }
        if self.no_bind {
            return Ok(None);
        }
        let dir = self.notebooks.clone().unwrap_or_else(paths::notebooks_dir);
        // An absolute, existing source: Docker must never create a missing one (as root).
        let dir = dir.canonicalize().map_err(|_| {
            anyhow::anyhow!("notebooks folder {} does not exist: create it or pass an existing one with --notebooks", dir.display())
        })?;
        if !dir.is_dir() {
            bail!("--notebooks {} is not a folder: pass the folder that holds the notebooks", dir.display());
        }
        Ok(Some(dir))
    }

    pub fn start(&self, sh: &Shell) -> Result<Running> {
        let notebooks = self.validate()?;
        engine::require_engine(sh)?;

        if let Some(state) = engine::container_state(sh, &self.name) {
            if !engine::is_owned(sh, &self.name) {
                bail!("a container named {} exists and was not made by this project: it is left alone; choose another --name", self.name);
            }
            return self.reuse(sh, state);
        }
        self.check_port_free(sh)?;
        self.ensure_image(sh)?;
        let volume_is_new = self.ensure_volume(sh)?;

        let mut args: Vec<String> = vec!["run".into(), "-d".into(), "--name".into(), self.name.clone()];
        args.extend(engine::resource_labels());
        args.extend(["--label".into(), format!("{VOLUME_LABEL_KEY}={}", self.volume)]);
        let publish = if self.port == 0 { "127.0.0.1::8888".to_string() } else { format!("127.0.0.1:{}:8888", self.port) };
        args.extend(["-p".into(), publish, "--security-opt".into(), "no-new-privileges".into()]);
        if self.writable_notebooks {
            // The volume was opened to group users below; `volume-nocopy` keeps Docker from copying
            // the image directory's 755 mode back over it (it does so whenever the volume is empty).
            args.extend(["--mount".into(), format!("type=volume,source={},target={OUTPUTS},volume-nocopy", self.volume)]);
        } else {
            args.extend(["-v".into(), format!("{}:{OUTPUTS}", self.volume)]);
        }
        if let Some(dir) = &notebooks {
            ensure_outputs_mountpoint(dir)?;
            let mut mount = format!("type=bind,source={},target={WORKDIR}", dir.display());
            if !self.writable_notebooks {
                mount.push_str(",readonly");
            }
            args.extend(["--mount".into(), mount]);
        }
        if self.writable_notebooks {
            let (uid, gid) = writer_ids(notebooks.as_deref().expect("writable implies a bind mount"))?;
            self.share_volume_with_group(sh)?;
            args.extend(["--user".into(), format!("{uid}:{gid}"), "--group-add".into(), "users".into()]);
        } else {
            // The image's notebook user (jovyan 1000:100 on docker-stacks images), never root.
            args.extend(["--user".into(), "1000:100".into()]);
        }
        args.push(self.image.clone());

        let guard = Guard::new(&crate::engine::Docker::new(sh), Resource::Container(self.name.clone()));
        let step = progress::Step::start(format!("Starting {} from {}", self.name, self.image));
        engine::docker(sh, &args).map_err(|e| explain_run_error(e, self.port))?;
        let running = self.wait_for_server(sh, None)?;
        step.done(&format!("serving on 127.0.0.1:{}", running.port));
        guard.keep();
        if !volume_is_new && !self.writable_notebooks {
            self.warn_if_outputs_not_writable(sh);
        }
        Ok(running)
    }

    /// An existing container: running -> its live URL; stopped -> started again, not recreated.
    pub fn reuse(&self, sh: &Shell, state: ContainerState) -> Result<Running> {
        if state.running {
            // Only this start's lines: a restarted server has a new token, the old lines are stale.
            let log = logs_since(sh, &self.name, &state.started_at)?;
            if let Some(url) = find_url(&log) {
                return self.confirm(sh, url);
            }
            return self.wait_for_server(sh, Some(state.started_at));
        }
        progress::note(&format!("{} exists ({}): starting it again", self.name, state.status));
        let step = progress::Step::start(format!("Starting {} again", self.name));
        engine::docker(sh, ["start", self.name.as_str()])?;
        let started = engine::container_state(sh, &self.name).map(|s| s.started_at);
        let running = self.wait_for_server(sh, started)?;
        step.done(&format!("serving on 127.0.0.1:{}", running.port));
        Ok(running)
    }

    fn check_port_free(&self, sh: &Shell) -> Result<()> {
        if self.port == 0 || std::net::TcpListener::bind(("127.0.0.1", self.port)).is_ok() {
            return Ok(());
        }
        let filter = format!("publish={}", self.port);
        let holder = engine::probe(sh, ["ps", "--filter", filter.as_str(), "--format", "{{.Names}}"])
            .filter(|s| !s.is_empty())
            .map(|names| format!("container {}", names.lines().collect::<Vec<_>>().join(", ")))
            .unwrap_or_else(|| "another program".to_string());
        bail!("host port {} is already in use (by {holder}): choose another with --port, or --port 0 to let Docker pick a free one", self.port)
    }

    fn ensure_image(&self, sh: &Shell) -> Result<()> {
        if let Ok(series) = build::find(&self.image) {
            let base = base::ensure(sh, base::Source::Auto, false, false)?;
            return build::ensure_image(sh, series, &base, false);
        }
        if !engine::image_exists(sh, &self.image) {
            bail!("image {} does not exist: build or pull it first, or leave --image at its default ({DEFAULT_IMAGE})", self.image);
        }
        Ok(())
    }

    /// Creates the volume when missing; true when it was created now.
    fn ensure_volume(&self, sh: &Shell) -> Result<bool> {
        if engine::probe(sh, ["volume", "inspect", "--format", "{{.Name}}", self.volume.as_str()]).is_some() {
            return Ok(false);
        }
        let mut args = vec!["volume".to_string(), "create".into()];
        args.extend(engine::resource_labels());
        args.push(self.volume.clone());
        engine::docker(sh, &args)?;
        progress::note(&format!("created the named volume {} (it outlives the container; `down` keeps it)", self.volume));
        Ok(true)
    }

    /// A volume made elsewhere may not be writable by the notebook user (a new one copies the
    /// image directory's jovyan ownership): say so now, rather than when a cell fails.
    fn warn_if_outputs_not_writable(&self, sh: &Shell) {
        if engine::probe(sh, ["exec", self.name.as_str(), "test", "-w", OUTPUTS]).is_some() {
            return;
        }
        let owner = engine::probe(sh, ["exec", self.name.as_str(), "stat", "-c", "%U:%G", OUTPUTS]).unwrap_or_else(|| "?".into());
        eprintln!(
            "warning: {OUTPUTS} (volume {}) is owned by {owner} and not writable by the notebook user, so the notebook's outputs will fail: \
             give it to the notebook user (`docker run --rm --user 0 -v {}:/v --entrypoint chown {} -R 1000:100 /v`) or use another --volume",
            self.volume, self.volume, self.image
        );
    }

    /// For a non-1000 writer: group `users` may write the outputs volume (jovyan still can).
    fn share_volume_with_group(&self, sh: &Shell) -> Result<()> {
        let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
        args.extend(engine::resource_labels());
        args.extend(["--user".into(), "0".into(), "--security-opt".into(), "no-new-privileges".into(), "--entrypoint".into(), "sh".into()]);
        args.extend(["-v".into(), format!("{}:{OUTPUTS}", self.volume), self.image.clone()]);
        args.extend(["-c".into(), format!("chgrp -R users {OUTPUTS} && chmod -R g+rwX {OUTPUTS} && chmod g+s {OUTPUTS}")]);
        engine::docker(sh, &args).context("letting group users write the outputs volume")?;
        Ok(())
    }

    /// Streams `docker logs -f` until the URL shows, the container exits, or the timeout passes.
    fn wait_for_server(&self, sh: &Shell, since: Option<String>) -> Result<Running> {
        let deadline = Instant::now() + Duration::from_secs(self.timeout);
        let mut args = vec!["logs".to_string(), "-f".into()];
        if let Some(since) = since {
            args.extend(["--since".into(), since]);
        }
        args.push(self.name.clone());
        let follow = LogFollower::start(&args)?;
        let mut watcher = UrlWatcher::default();
        let mut last_check = Instant::now();
        loop {
            match follow.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(url) = watcher.feed(&line) {
                        mark_url_seen();
                        drop(follow);
                        return self.confirm(sh, url);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // `logs -f` ended: the container stopped.
                    std::thread::sleep(Duration::from_millis(200));
                    return Err(self.failure(sh, "the container exited before the server printed its URL", &watcher));
                }
            }
            if Instant::now() > deadline {
                return Err(self.failure(sh, &format!("no URL within {}s", self.timeout), &watcher));
            }
            if last_check.elapsed() > Duration::from_millis(500) {
                last_check = Instant::now();
                if engine::container_state(sh, &self.name).is_some_and(|s| !s.running) {
                    return Err(self.failure(sh, "the container exited before the server printed its URL", &watcher));
                }
            }
        }
    }

    fn failure(&self, sh: &Shell, what: &str, watcher: &UrlWatcher) -> anyhow::Error {
        let state = engine::container_state(sh, &self.name);
        let state = state.map(|s| format!("state {}, exit code {}", s.status, s.exit_code)).unwrap_or_else(|| "container gone".into());
        let log = logs_since(sh, &self.name, "0").unwrap_or_else(|_| watcher.tail(30).join("\n"));
        eprintln!("--- last log lines of {} ---\n{}\n---", self.name, crate::engine::tail(&log, 30));
        anyhow::anyhow!("{} failed to start: {what} ({state}); the log is above; the container is removed, the volume {} is kept", self.name, self.volume)
    }

    /// Rewrites the URL for the published port and proves the token works.
    fn confirm(&self, sh: &Shell, url: ServerUrl) -> Result<Running> {
        let (_, port) = engine::published_port(sh, &self.name, 8888)
            .with_context(|| format!("{} publishes no port 8888: remove it (`cargo xtask down --name {}`) and run `up` again", self.name, self.name))?;
        if url.token != Token::Configured {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match http::get_status(port, &format!("{}api/status", base_path(&url.path)), url.token(), Duration::from_secs(2)) {
                    Ok(200) => break,
                    Ok(code) if Instant::now() > deadline => bail!("the server answered {code} to /api/status with the token from its log"),
                    Err(e) if Instant::now() > deadline => return Err(e.context("the server printed its URL but does not answer on the published port")),
                    _ => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        }
        // One inspect for both: a reused container may run another image or volume than asked.
        let format = format!("{{{{.Config.Image}}}}|{{{{index .Config.Labels \"{VOLUME_LABEL_KEY}\"}}}}");
        let found = engine::probe(sh, ["container", "inspect", "--format", format.as_str(), self.name.as_str()]).unwrap_or_default();
        let (image, volume) = found.split_once('|').unwrap_or(("", ""));
        let image = if image.is_empty() { self.image.clone() } else { image.to_string() };
        let volume = if volume.is_empty() { self.volume.clone() } else { volume.to_string() };
        Ok(Running { url: url.on_host(port), token: url.token().map(String::from), container: self.name.clone(), volume, port, image })
    }
}

/// Set by `cargo xtask bench`: `up` then says on stderr when it read the URL line (Unix seconds),
/// so the bench can compare it with the line's `docker logs -t` timestamp.
pub const MARK_URL_ENV: &str = "JUPYTER_DOCKER_XTASK_MARK_URL";

fn mark_url_seen() {
    if std::env::var_os(MARK_URL_ENV).is_some() {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        eprintln!("url-seen-at {}.{:09}", t.as_secs(), t.subsec_nanos());
    }
}

/// `/x/lab` -> `/x/`: the server's base URL, under which `api/status` lives.
fn base_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    for suffix in ["/lab", "/tree"] {
        if let Some(base) = trimmed.strip_suffix(suffix) {
            return format!("{base}/");
        }
    }
    if trimmed.is_empty() { "/".into() } else { format!("{trimmed}/") }
}

/// Both streams of `docker logs --since T NAME`, merged.
pub fn logs_since(_sh: &Shell, name: &str, since: &str) -> Result<String> {
    let out = duct::cmd!("docker", "logs", "--since", since, name).stderr_to_stdout().stdout_capture().unchecked().run()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `docker logs -f` on a thread, its lines on a channel; the process is killed on Drop.
struct LogFollower {
    handle: std::sync::Arc<duct::ReaderHandle>,
    lines: mpsc::Receiver<String>,
}

impl LogFollower {
    fn start(args: &[String]) -> Result<LogFollower> {
        let handle = std::sync::Arc::new(duct::cmd("docker", args).stderr_to_stdout().unchecked().reader()?);
        let (tx, lines) = mpsc::channel();
        let reader = handle.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(&*reader).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(LogFollower { handle, lines })
    }
}

impl Drop for LogFollower {
    fn drop(&mut self) {
        let _ = self.handle.kill();
    }
}

/// The volume mounts at /work/outputs inside the read-only /work: the mount point must exist in
/// the notebooks folder, made by the host user rather than by Docker as root.
fn ensure_outputs_mountpoint(dir: &Path) -> Result<()> {
    let outputs = dir.join("outputs");
    if !outputs.is_dir() {
        std::fs::create_dir(&outputs).with_context(|| format!("creating {} (the outputs volume's mount point)", outputs.display()))?;
        progress::note(&format!("created {} as the outputs volume's mount point", outputs.display()));
    }
    Ok(())
}

/// Who writes in the browser: the notebooks folder's owner, so saved files keep its ownership.
#[cfg(unix)]
fn writer_ids(dir: &Path) -> Result<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    if meta.uid() == 0 {
        bail!("{} is owned by root: with --writable-notebooks the server runs as the folder's owner, never root; `chown` it to your user", dir.display());
    }
    Ok((meta.uid(), meta.gid()))
}

#[cfg(not(unix))]
fn writer_ids(_: &Path) -> Result<(u32, u32)> {
    bail!("--writable-notebooks needs a Unix host")
}

/// Docker's own words for a failed `run`, with the fix for the usual causes.
fn explain_run_error(error: anyhow::Error, port: u16) -> anyhow::Error {
    let text = error.to_string();
    if text.contains("port is already allocated") || text.contains("address already in use") {
        return anyhow::anyhow!("host port {port} is already in use: choose another with --port, or --port 0 to let Docker pick a free one");
    }
    if text.contains("bind source path does not exist") {
        return anyhow::anyhow!("{text}: pass an existing folder with --notebooks");
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        assert_eq!(base_path("/lab"), "/");
        assert_eq!(base_path("/x/lab"), "/x/");
        assert_eq!(base_path("/tree"), "/");
        assert_eq!(base_path("/"), "/");
    }

    #[test]
    fn bad_input_is_refused_before_docker() {
        let up = Up {
            name: "custom-jupyter-container".into(),
            volume: DEFAULT_VOLUME.into(),
            port: 0,
            image: DEFAULT_IMAGE.into(),
            notebooks: None,
            writable_notebooks: false,
            no_bind: false,
            timeout: 10,
            json: false,
            open: false,
        };
        assert!(up.validate().is_ok());
        let err = |u: Up| u.validate().unwrap_err().to_string();
        assert!(err(Up { name: "bad name".into(), ..up.clone() }).contains("--name"));
        assert!(err(Up { volume: "-v".into(), ..up.clone() }).contains("--volume"));
        assert!(err(Up { image: "Bad:Image".into(), ..up.clone() }).contains("lowercase"));
        assert!(err(Up { timeout: 0, ..up.clone() }).contains("--timeout"));
        assert!(err(Up { notebooks: Some("/no/such/dir".into()), ..up.clone() }).contains("does not exist"));
    }
}
