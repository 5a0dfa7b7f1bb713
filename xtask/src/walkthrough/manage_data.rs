//! Article 2, "Managing Jupyter Data in Docker Images and Containers" (manage-jupyter-data-docker).
//! Its erratum: the volume is declared at /project/outputs while `WORKDIR /work` makes the notebook
//! write /work/outputs, so nothing the notebook writes reaches a volume. The sections below run the
//! corrected recipe: the volume on /work/outputs of the `--chown` image, whose ownership a new
//! volume copies. The literal mode is the article's own replay, with the claims of `literal`.

mod literal;
mod permissions_and_mounts;

use permissions_and_mounts::{bind_mounts, fixing_permissions, named_volumes};

use std::time::Duration;

use anyhow::Result;

use super::session::{is_anonymous_volume, Session};
use super::steps::{self, execute_notebook, wait_url};
use super::Section;
use crate::engine::resources::Resource;
use crate::engine::{wait, Docker};
use crate::jupyter::url::Token;

pub const SECTIONS: &[Section] = &[
    Section {
        name: "Anonymous volumes",
        run: anonymous_volumes,
    },
    Section {
        name: "Volume flag, detached mode and permissions",
        run: volume_flag,
    },
    Section {
        name: "Fixing file permissions",
        run: fixing_permissions,
    },
    Section {
        name: "Named volumes",
        run: named_volumes,
    },
    Section {
        name: "Bind mounts",
        run: bind_mounts,
    },
];

const CSV: &str = "outputs/Motorized-Foot-Scooter-Trips-2020.csv";
/// A write to the bind-mounted notebook from inside the container (a shell word: `sh -c` runs it).
const APPEND: &str = r#""printf '\n' >> /work/computation.ipynb""#;
const PERMISSION_ERROR: &str = "PermissionError: [Errno 13] Permission denied: 'outputs/Motorized-Foot-Scooter-Trips-2020.csv'";

/// Where the volume is mounted: where the notebook really writes (the article says /project/outputs).
const OUTPUTS: &str = "/work/outputs";

/// The volumes mounted in a container, as (name, destination).
fn volumes_of(docker: &Docker, container: &str) -> Vec<(String, String)> {
    let format = r#"{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{.Destination}}{{"\n"}}{{end}}{{end}}"#;
    docker
        .probe(["container", "inspect", "--format", format, container])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(n, d)| (n.to_string(), d.to_string()))
        })
        .collect()
}

fn anonymous_volumes(s: &mut Session) -> Result<()> {
    let image = "custom-jupyter-image:anon-volume";
    steps::build_series_image(s, image)?;
    s.note("`-it` becomes `-d` (no terminal here) and Ctrl-C becomes `docker stop`; the port is published on 127.0.0.1 with a free host port");
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &c, &["--rm"]))?;
    s.cmd_ok("docker volume ls --filter dangling=false")?;
    let volumes = volumes_of(&s.docker, &c);
    let anon = volumes
        .iter()
        .find(|(_, d)| d == "/project/outputs")
        .cloned();
    s.claim(
        "anonymous-volume-per-container",
        anon.as_ref().is_some_and(|(n, _)| is_anonymous_volume(n)),
        format!("mounts of {c}: {volumes:?}"),
    );
    s.cmd_ok(&format!("docker stop {c}"))?;
    let gone = wait::gone(&s.docker, &c, Duration::from_secs(10));
    s.forget(&Resource::Container(c.clone()));
    let volume_gone = anon
        .as_ref()
        .is_some_and(|(n, _)| !s.docker.exists("volume", n));
    s.claim(
        "rm-removes-anonymous-volume",
        gone && volume_gone,
        format!(
            "container removed: {gone}; volume {} removed: {volume_gone}",
            anon.map(|a| a.0).unwrap_or_default()
        ),
    );
    Ok(())
}

fn volume_flag(s: &mut Session) -> Result<()> {
    let image = "custom-jupyter-image:anon-volume";
    steps::build_series_image(s, image)?;
    s.note("corrected: the volume goes on /work/outputs, where the notebook writes (the article says /project/outputs)");
    s.note("`-it` becomes `-t`: with no terminal here `-i` cannot attach; `-t` keeps the article's terminal-style log");
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &c, &["-v", OUTPUTS, "-t"]))?;
    s.cmd_ok(&format!("docker ps --filter 'name=^{c}$'"))?;
    detached_mode(s, &c)?;
    writing_data(s, &c)?;
    understanding_permissions(s, &c)?;
    removing_containers_and_volumes(s, &c)
}

/// Detached mode: the URL comes from `docker logs`, and its token works.
fn detached_mode(s: &mut Session, c: &str) -> Result<()> {
    let docker = s.docker.clone();
    let (url, log) = wait_url(Duration::from_secs(60), || {
        docker.logs_since(c, "0").unwrap_or_default()
    });
    s.cmd(&format!("docker logs --tail 12 {c}"))?;
    let port = s.docker.published_port(c, 8888).map(|p| p.1).ok();
    let evidence = match (&url, port) {
        (Some(u), Some(port)) => {
            let token = u.token().map(str::to_string);
            let with =
                crate::jupyter::http::status_for_claim(port, "/api/status", token.as_deref());
            let without = crate::jupyter::http::status_for_claim(port, "/api/status", None);
            format!("log line {}://{}:{}{}?token=<{}>, /api/status on 127.0.0.1:{port}: {with:?} with the token, {without:?} without",
                u.scheme, u.host, u.port.unwrap_or(0), u.path, u.token().map(|t| format!("{} hex", t.len())).unwrap_or("none".into()))
        }
        _ => format!("no URL in the log ({} lines)", log.lines().count()),
    };
    let holds = url
        .as_ref()
        .is_some_and(|u| matches!(&u.token, Token::Hex(t) if t.len() == 48))
        && evidence.contains("Some(200) with the token, Some(403) without");
    s.claim("logs-show-url", holds, evidence);
    Ok(())
}

/// Writing data: the notebook's own cell, executed in the container, cannot write its CSV.
fn writing_data(s: &mut Session, c: &str) -> Result<()> {
    let ran = execute_notebook(s, c)?;
    let raised = ran.output.contains(PERMISSION_ERROR);
    s.claim(
        "cell-raises-permission-error",
        raised && !ran.ok(),
        if raised {
            format!(
                "nbconvert exit {}; the cell raised {PERMISSION_ERROR}",
                ran.exit
            )
        } else {
            format!("exit {}: {}", ran.exit, crate::engine::tail(&ran.output, 3))
        },
    );
    Ok(())
}

/// Understanding permissions: the files are root's, the notebook runs as jovyan.
fn understanding_permissions(s: &mut Session, c: &str) -> Result<()> {
    let listing = s.cmd(&format!("docker exec {c} ls -l"))?;
    let root_owned = ["computation.ipynb", "Dockerfile", "outputs"]
        .iter()
        .all(|f| {
            listing.output.lines().any(|l| {
                l.ends_with(&format!(" {f}"))
                    && l.split_whitespace().nth(2) == Some("root")
                    && l.split_whitespace().nth(3) == Some("root")
            })
        });
    s.claim(
        "outputs-owned-by-root",
        root_owned,
        listing.output.trim().replace('\n', "; "),
    );
    let who = s.cmd(&format!("docker exec {c} whoami"))?;
    s.claim(
        "whoami-jovyan",
        who.output.lines().any(|l| l.trim() == "jovyan"),
        format!("whoami: {}", who.output.lines().last().unwrap_or("").trim()),
    );
    Ok(())
}

/// Removing containers and volumes: the anonymous volume outlives its container until
/// `docker volume rm`.
fn removing_containers_and_volumes(s: &mut Session, c: &str) -> Result<()> {
    let out = OUTPUTS;
    let all = volumes_of(&s.docker, c);
    let anon = all
        .iter()
        .find(|(_, d)| d == out)
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker rm {c}"))?;
    s.forget(&Resource::Container(c.to_string()));
    // Every anonymous volume now dangles (the image's VOLUME too, in corrected mode): remove them all at the end.
    for (name, _) in &all {
        s.made_volume(name);
    }
    let dangling = s.docker.exists("volume", &anon);
    s.claim(
        "rm-leaves-anonymous-volume",
        dangling,
        format!("after `docker rm {c}`, volume {anon} exists: {dangling}"),
    );
    s.cmd_ok(&format!(
        "docker volume ls --filter dangling=true --filter name={anon}"
    ))?;
    s.cmd_ok(&format!("docker volume rm {anon}"))?;
    s.forget(&Resource::Volume(anon.clone()));
    let removed = !s.docker.exists("volume", &anon);
    s.claim(
        "volume-rm-removes",
        removed,
        format!("volume {anon} exists afterwards: {}", !removed),
    );
    Ok(())
}

/// The notebook user of the stacks' images.
const NB_UID: u32 = 1000;
const NB_GID: u32 = 100;

/// A host file's owner and permission bits, read before the container touches it.
struct HostFile {
    uid: u32,
    gid: u32,
    mode: u32,
}

impl HostFile {
    fn read(path: &std::path::Path) -> Result<HostFile> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok(HostFile {
            uid: meta.uid(),
            gid: meta.gid(),
            mode: meta.mode() & 0o7777,
        })
    }

    /// What the permission bits predict for a process with this uid and primary gid (a bind
    /// mount keeps the host's numbers; no user namespace is assumed, so the engine can disagree).
    fn writable_by(&self, uid: u32, gid: u32) -> bool {
        uid == 0
            || (self.uid == uid && self.mode & 0o200 != 0)
            || (self.gid == gid && self.mode & 0o020 != 0)
            || self.mode & 0o002 != 0
    }
}

impl std::fmt::Display for HostFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "owner {}:{}, mode {:04o}", self.uid, self.gid, self.mode)
    }
}

/// The claims of the literal mode, at the steps of the article they follow.
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;

#[cfg(test)]
mod tests {
    use super::HostFile;

    #[test]
    fn permission_bits_predict_who_may_write() {
        let roots = HostFile {
            uid: 0,
            gid: 0,
            mode: 0o644,
        };
        assert!(!roots.writable_by(1000, 100));
        assert!(HostFile {
            mode: 0o666,
            ..roots
        }
        .writable_by(1000, 100));
        assert!(HostFile {
            gid: 100,
            mode: 0o664,
            ..roots
        }
        .writable_by(1000, 100));
        assert!(HostFile {
            uid: 1000,
            gid: 1000,
            mode: 0o644
        }
        .writable_by(1000, 100));
        assert!(!HostFile {
            uid: 1000,
            gid: 1000,
            mode: 0o444
        }
        .writable_by(1000, 100));
    }
}
