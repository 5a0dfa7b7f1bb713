//! Thin helpers over the docker CLI: labels, engine checks, inspection, and Docker's naming rules.
//! One-shot commands go through xshell; their stderr is captured so failures become one-line errors.

use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use regex::Regex;

pub mod resources;
use xshell::{cmd, Shell};

/// Every container, volume, network and image the project creates carries this label.
pub const MANAGED: &str = "jupyter-docker-xtask.managed=true";
/// Put only on what the project *runs* (containers, volumes, networks), never on images: image
/// labels are inherited by every container of the image, including ones a person starts by hand,
/// so `clean` selects containers by this label and cannot touch a person's own containers.
pub const OWNER: &str = "jupyter-docker-xtask.owner=xtask";
/// Tests set this so that everything made during one test run can be found and swept.
pub const RUN_ID_ENV: &str = "JUPYTER_DOCKER_XTASK_RUN_ID";
pub const RUN_LABEL_KEY: &str = "jupyter-docker-xtask.run";
pub const RECIPE_LABEL_KEY: &str = "jupyter-docker-xtask.recipe";

/// `--label` arguments for an image.
pub fn image_labels() -> Vec<String> {
    label_args(&[MANAGED])
}

/// `--label` arguments for a container, volume or network.
pub fn resource_labels() -> Vec<String> {
    label_args(&[MANAGED, OWNER])
}

fn label_args(labels: &[&str]) -> Vec<String> {
    let mut args = Vec::new();
    for label in labels {
        args.push("--label".to_string());
        args.push(label.to_string());
    }
    if let Ok(run) = std::env::var(RUN_ID_ENV) {
        if !run.is_empty() {
            args.push("--label".to_string());
            args.push(format!("{RUN_LABEL_KEY}={run}"));
        }
    }
    args
}

/// Runs `docker ARGS`, returns its trimmed stdout; on failure the error is docker's own message.
pub fn docker<I, S>(sh: &Shell, args: I) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown = args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
    let output = cmd!(sh, "docker {args...}")
        .quiet()
        .ignore_status()
        .output()
        .map_err(|_| missing_cli())?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("`docker {shown}` failed: {}", last_message(&stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Like [`docker`], but a failure is `None` (for probes such as "does this image exist?").
pub fn probe<I, S>(sh: &Shell, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    docker(sh, args).ok()
}

fn missing_cli() -> anyhow::Error {
    anyhow::anyhow!("the docker CLI was not found on PATH: install Docker (Debian: `apt-get install docker.io`)")
}

/// The most useful line of docker's stderr: its last `Error...` line, else its last line.
pub fn last_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines
        .iter()
        .rev()
        .find(|l| l.to_ascii_lowercase().contains("error"))
        .or(lines.last())
        .map(|l| l.to_string())
        .unwrap_or_else(|| "no message".to_string())
}

/// Fails with a one-line error naming the fix when the CLI is missing or the engine does not answer.
pub fn require_engine(sh: &Shell) -> Result<String> {
    let format = "{{.Server.Version}}";
    let output = cmd!(sh, "docker version --format {format}")
        .quiet()
        .ignore_status()
        .output()
        .map_err(|_| missing_cli())?;
    if !output.status.success() {
        let why = last_message(&String::from_utf8_lossy(&output.stderr));
        let host = std::env::var("DOCKER_HOST").map(|h| format!(" at DOCKER_HOST={h}")).unwrap_or_default();
        bail!("the Docker engine{host} does not answer ({why}): start it (`dockerd &` or `systemctl start docker`) or point DOCKER_HOST at a running one");
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

pub fn image_exists(sh: &Shell, image: &str) -> bool {
    probe(sh, ["image", "inspect", "--format", "{{.Id}}", image]).is_some()
}

/// The value of one label of an image, when the image exists.
pub fn image_label(sh: &Shell, image: &str, key: &str) -> Option<String> {
    label_of(sh, "image", image, key)
}

/// The value of one label of a container; empty or missing labels are `None`.
pub fn container_label(sh: &Shell, container: &str, key: &str) -> Option<String> {
    label_of(sh, "container", container, key).filter(|v| !v.is_empty())
}

fn label_of(sh: &Shell, kind: &str, name: &str, key: &str) -> Option<String> {
    let format = format!("{{{{index .Config.Labels \"{key}\"}}}}");
    probe(sh, [kind, "inspect", "--format", format.as_str(), name])
}

/// State of a container: `None` when there is no container of that name.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerState {
    pub status: String,
    pub running: bool,
    pub exit_code: i64,
    pub started_at: String,
    pub image: String,
}

pub fn container_state(sh: &Shell, name: &str) -> Option<ContainerState> {
    let out = probe(
        sh,
        ["container", "inspect", "--format", "{{.State.Status}}|{{.State.Running}}|{{.State.ExitCode}}|{{.State.StartedAt}}|{{.Config.Image}}", name],
    )?;
    let parts: Vec<&str> = out.split('|').collect();
    if parts.len() != 5 {
        return None;
    }
    Some(ContainerState {
        status: parts[0].to_string(),
        running: parts[1] == "true",
        exit_code: parts[2].parse().unwrap_or(-1),
        started_at: parts[3].to_string(),
        image: parts[4].to_string(),
    })
}

/// Whether a container was made by this project (it carries the owner label, which images never do).
pub fn is_owned(sh: &Shell, container: &str) -> bool {
    container_label(sh, container, OWNER.split('=').next().unwrap_or(OWNER)).is_some()
}

/// The host port Docker published for a container port, as `(ip, port)`.
pub fn published_port(sh: &Shell, container: &str, container_port: u16) -> Result<(String, u16)> {
    let out = docker(sh, ["port", container, &format!("{container_port}/tcp")])?;
    parse_port_line(&out).with_context(|| format!("unexpected `docker port` output: {out}"))
}

/// `127.0.0.1:49153` (first line) -> ("127.0.0.1", 49153).
pub fn parse_port_line(out: &str) -> Option<(String, u16)> {
    let line = out.lines().next()?.trim();
    let (ip, port) = line.rsplit_once(':')?;
    Some((ip.trim_matches(['[', ']']).to_string(), port.parse().ok()?))
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// Docker's rule for container and volume names.
pub fn check_name(kind: &str, name: &str) -> Result<()> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    if !regex(&NAME, r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$").is_match(name) {
        bail!("invalid {kind} name {name:?}: Docker requires [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a letter or digit first, at least 2 characters); choose another with --{kind}");
    }
    Ok(())
}

/// Docker's rule for image references (`[host[:port]/]path[:tag]`, lowercase path).
pub fn check_image_ref(image: &str) -> Result<()> {
    static REF: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &REF,
        r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
    );
    if image.len() > 255 || !re.is_match(image) {
        bail!("invalid image reference {image:?}: Docker requires a lowercase name (letters, digits, . _ - separators) and an optional :tag of up to 128 letters, digits, _ . -");
    }
    Ok(())
}

/// The last `lines` lines of a command's output, for an error message.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert!(check_name("name", "custom-jupyter-container").is_ok());
        assert!(check_name("name", "a").is_err());
        assert!(check_name("name", "-bad").is_err());
        assert!(check_name("volume", "has space").is_err());
        assert!(check_name("volume", "ünï").is_err());
    }

    #[test]
    fn image_refs_follow_dockers_rule() {
        for ok in ["custom-jupyter-image:named-volume", "quay.io/jupyter/minimal-notebook:2025-03-17", "localhost:5000/a/b", "busybox"] {
            assert!(check_image_ref(ok).is_ok(), "{ok}");
        }
        for bad in ["Custom:tag", "a:b:c", "img:", "img:-tag", "a//b", ""] {
            assert!(check_image_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_lines() {
        assert_eq!(parse_port_line("127.0.0.1:49153\n"), Some(("127.0.0.1".into(), 49153)));
        assert_eq!(parse_port_line("[::1]:8888"), Some(("::1".into(), 8888)));
        assert_eq!(parse_port_line("garbage"), None);
    }

    #[test]
    fn picks_the_error_line() {
        let stderr = "Sending build context\nError response from daemon: No such image: x\n";
        assert_eq!(last_message(stderr), "Error response from daemon: No such image: x");
        assert_eq!(last_message(""), "no message");
    }
}
