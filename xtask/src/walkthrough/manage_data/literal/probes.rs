//! What the claim checks of article 2 ask the engine and read in the steps' output: containers,
//! their mounts, volumes, files on the host.

use crate::engine::cmdline::shell_quote;
use crate::engine::names::short_id;
use crate::sandbox::container_id;
use crate::walkthrough::manage_data::{HostFile, CSV};
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

/// The non-empty lines of a terminal's output, carriage returns and edges trimmed.
pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.trim_matches(|c: char| c == '\r' || c.is_whitespace())
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

pub(super) fn is_hex(word: &str, len: usize) -> bool {
    word.len() == len && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a detached `docker run` step did: the container it started, or its exit and error line,
/// with what runs under the article's container name instead.
pub(super) fn started(p: &Probe) -> Result<String, String> {
    let out = lines(&p.output());
    if let (Some(0), Some(id)) = (p.exit(), out.iter().rev().find(|l| is_hex(l, 64))) {
        return Ok(id.clone());
    }
    let error = out
        .iter()
        .find(|l| l.contains("Error"))
        .cloned()
        .unwrap_or_else(|| out.join("; "));
    let instead = match running(p) {
        Some(c) => format!(
            "; the running container is {c} ({}), mounting {}",
            image_of(p, &c),
            describe(&mounts(p, &c))
        ),
        None => "; no container runs".into(),
    };
    Err(format!(
        "the step's `docker run` exit {}: {error}{instead}",
        p.exit_text()
    ))
}

/// The newest running container (the article runs one at a time).
pub(super) fn running(p: &Probe) -> Option<String> {
    p.docker(&["ps", "--format", "{{.Names}}"])
        .stdout
        .lines()
        .next()
        .map(str::to_string)
        .filter(|n| !n.is_empty())
}

pub(super) fn image_of(p: &Probe, container: &str) -> String {
    p.docker(&["inspect", "--format", "{{.Config.Image}}", container])
        .stdout
}

pub(super) fn workdir(p: &Probe, container: &str) -> String {
    p.docker(&["inspect", "--format", "{{.Config.WorkingDir}}", container])
        .stdout
}

pub(super) struct Mount {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) source: String,
    pub(super) dest: String,
    pub(super) rw: bool,
}

pub(super) fn mounts(p: &Probe, container: &str) -> Vec<Mount> {
    let format = r#"{{range .Mounts}}{{.Type}}|{{.Name}}|{{.Source}}|{{.Destination}}|{{.RW}}{{"\n"}}{{end}}"#;
    p.docker(&["inspect", "--format", format, container])
        .stdout
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f.len() == 5).then(|| Mount {
                kind: f[0].into(),
                name: f[1].into(),
                source: f[2].into(),
                dest: f[3].into(),
                rw: f[4] == "true",
            })
        })
        .collect()
}

pub(super) fn describe(mounts: &[Mount]) -> String {
    let each: Vec<String> = mounts
        .iter()
        .map(|m| {
            let what = if m.kind == "volume" {
                format!("volume {}", short_id(&m.name))
            } else {
                format!("{} {}", m.kind, m.source)
            };
            format!(
                "{what} at {}{}",
                m.dest,
                if m.rw { "" } else { " (read-only)" }
            )
        })
        .collect();
    if each.is_empty() {
        "nothing".into()
    } else {
        each.join(", ")
    }
}

/// `stat` of a path in the sandbox (relative: in the article's project folder).
pub(super) fn host_file(p: &Probe, path: &str) -> Option<HostFile> {
    let out = p.shell(&format!("stat -c '%u %g %a' {}", shell_quote(path)));
    let f: Vec<&str> = out.stdout.split_whitespace().collect();
    match (out.ok(), f.as_slice()) {
        // As the engine's containers see it (the sandbox's engine is rootless).
        (true, [u, g, m]) => Some(HostFile {
            uid: container_id(u.parse().ok()?),
            gid: container_id(g.parse().ok()?),
            mode: u32::from_str_radix(m, 8).ok()?,
        }),
        _ => None,
    }
}

/// The name `docker volume create` printed.
pub(super) fn created_volume(p: &Probe) -> String {
    p.earlier("docker volume create")
        .map(|o| lines(&o).pop().unwrap_or_default())
        .unwrap_or_default()
}

/// A volume's folder in the sandbox engine: its owner and mode, and its entries.
pub(super) fn volume_folder(p: &Probe, volume: &str) -> String {
    let mountpoint = p.docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
    if !mountpoint.ok() {
        return format!("`docker volume inspect {volume}` exit {}", mountpoint.code);
    }
    let entries = p.shell(&format!("ls -A {}", shell_quote(&mountpoint.stdout)));
    let owner = host_file(p, &mountpoint.stdout).map_or("?".into(), |f| f.to_string());
    format!(
        "volume {volume}'s folder in the engine: {owner}, holding [{}]",
        entries.stdout.trim().replace('\n', ", ")
    )
}

/// The token of the first http://127.0.0.1:8888/lab?token=... URL in a log.
pub(super) fn url_token(log: &str) -> Option<String> {
    const URL: &str = "http://127.0.0.1:8888/lab?token=";
    let at = log.find(URL)? + URL.len();
    let token: String = log[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (!token.is_empty()).then_some(token)
}

pub(super) fn printed(p: &Probe, want: &str) -> Observed {
    let out = lines(&p.output());
    seen(
        out.iter().any(|l| l == want),
        format!("exit {}: {}", p.exit_text(), out.join("; ")),
    )
}

/// Where the cell's `outputs/...` is, in the running container: (container, path).
pub(super) fn csv_path(p: &Probe) -> Option<(String, String)> {
    let c = running(p)?;
    let path = format!("{}/{CSV}", workdir(p, &c));
    Some((c, path))
}

pub(super) fn stat_in(p: &Probe, container: &str, path: &str) -> Option<String> {
    let out = p.exec(container, &["stat", "-c", "%U:%G %s bytes", path]);
    out.ok().then(|| out.stdout.trim().to_string())
}

/// The container the step started and its bind mount of the notebook; or why there is none.
pub(super) fn notebook_bind(p: &Probe) -> Result<(String, Mount), String> {
    let id = started(p)?;
    let ms = mounts(p, &id);
    let listed = describe(&ms);
    ms.into_iter()
        .find(|m| m.kind == "bind" && m.source.ends_with("/computation.ipynb"))
        .map(|m| (id.clone(), m))
        .ok_or_else(|| {
            format!(
                "container {} mounts {listed}: no bind mount of computation.ipynb",
                short_id(&id)
            )
        })
}

/// The project folder's notebook, as the sandbox has it.
pub(super) fn project_notebook(p: &Probe) -> String {
    host_file(p, "computation.ipynb")
        .map_or("the project's computation.ipynb: missing".into(), |f| {
            format!("the project's computation.ipynb: {f}")
        })
}

/// Whether the container's file is the host's own (same inode): an edit in place shows at once.
pub(super) fn same_file(p: &Probe, id: &str, m: &Mount) -> (bool, String) {
    let host = p
        .shell(&format!("stat -c %i {}", shell_quote(&m.source)))
        .stdout
        .trim()
        .to_string();
    let inside = p
        .exec(id, &["stat", "-c", "%i", &m.dest])
        .stdout
        .trim()
        .to_string();
    (
        !host.is_empty() && host == inside,
        format!(
            "inode of {} on the host {host}, of {} in container {} {inside}",
            m.source,
            m.dest,
            short_id(id)
        ),
    )
}
