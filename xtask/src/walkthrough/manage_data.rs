//! Article 2, "Managing Jupyter Data in Docker Images and Containers" (manage-jupyter-data-docker).
//! Its erratum: the volume is declared at /project/outputs while `WORKDIR /work` makes the notebook
//! write /work/outputs, so nothing the notebook writes reaches a volume. The sections below run the
//! corrected recipe: the volume on /work/outputs of the `--chown` image, whose ownership a new
//! volume copies. The literal mode is the article's own replay, with the claims of `literal`.

mod literal;

use std::time::Duration;

use anyhow::{bail, Result};

use super::session::{is_anonymous_volume, Session};
use super::steps::{self, execute_notebook, wait_url};
use super::Section;
use crate::engine::resources::Resource;
use crate::engine::{wait, Docker, Mount, RunSpec};
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

fn is_sha256(word: &str) -> bool {
    word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

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
        "VOLUME [\"/project/outputs\"] gives each container an anonymous volume with a generated name",
        anon.as_ref().is_some_and(|(n, _)| is_anonymous_volume(n)),
        true,
        format!("mounts of {c}: {volumes:?}"),
    );
    s.cmd_ok(&format!("docker stop {c}"))?;
    let gone = wait::gone(&s.docker, &c, Duration::from_secs(10));
    s.forget(&Resource::Container(c.clone()));
    let volume_gone = anon
        .as_ref()
        .is_some_and(|(n, _)| !s.docker.exists("volume", n));
    s.claim(
        "with --rm, stopping the container removes it and its anonymous volume",
        gone && volume_gone,
        true,
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
    let out = OUTPUTS;
    s.note("corrected: the volume goes on /work/outputs, where the notebook writes (the article says /project/outputs)");
    s.note("`-it` becomes `-t`: with no terminal here `-i` cannot attach; `-t` keeps the article's terminal-style log");
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &c, &["-v", out, "-t"]))?;
    s.cmd_ok(&format!("docker ps --filter 'name=^{c}$'"))?;

    // Detached mode: the URL comes from `docker logs`.
    let docker = s.docker.clone();
    let (url, log) = wait_url(Duration::from_secs(60), || {
        docker.logs_since(&c, "0").unwrap_or_default()
    });
    s.cmd(&format!("docker logs --tail 12 {c}"))?;
    let port = s.docker.published_port(&c, 8888).map(|p| p.1).ok();
    let evidence = match (&url, port) {
        (Some(u), Some(port)) => {
            let token = u.token().map(str::to_string);
            let with = crate::jupyter::http::get_status(
                port,
                "/api/status",
                token.as_deref(),
                Duration::from_secs(3),
            )
            .ok();
            let without =
                crate::jupyter::http::get_status(port, "/api/status", None, Duration::from_secs(3))
                    .ok();
            format!("log line {}://{}:{}{}?token=<{}>, /api/status on 127.0.0.1:{port}: {with:?} with the token, {without:?} without",
                u.scheme, u.host, u.port.unwrap_or(0), u.path, u.token().map(|t| format!("{} hex", t.len())).unwrap_or("none".into()))
        }
        _ => format!("no URL in the log ({} lines)", log.lines().count()),
    };
    let holds = url
        .as_ref()
        .is_some_and(|u| matches!(&u.token, Token::Hex(t) if t.len() == 48))
        && evidence.contains("Some(200) with the token, Some(403) without");
    s.claim("`docker logs` of the detached container shows the URL http://127.0.0.1:8888/lab?token=<48 hex> and the token works", holds, true, evidence);

    // Writing data: the notebook's own cell, executed in the container.
    let ran = execute_notebook(s, &c)?;
    let raised = ran.output.contains(PERMISSION_ERROR);
    s.claim(
        &format!("running the cell raises {PERMISSION_ERROR}"),
        raised && !ran.ok(),
        true,
        if raised {
            format!(
                "nbconvert exit {}; the cell raised {PERMISSION_ERROR}",
                ran.exit
            )
        } else {
            format!("exit {}: {}", ran.exit, crate::engine::tail(&ran.output, 3))
        },
    );

    // Understanding permissions.
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
        "`ls -l` shows computation.ipynb, Dockerfile and outputs owned by root root",
        root_owned,
        true,
        listing.output.trim().replace('\n', "; "),
    );
    let who = s.cmd(&format!("docker exec {c} whoami"))?;
    s.claim(
        "`whoami` prints jovyan (the article shows the typo `joyvan`)",
        who.output.lines().any(|l| l.trim() == "jovyan"),
        true,
        format!("whoami: {}", who.output.lines().last().unwrap_or("").trim()),
    );

    // Removing containers and volumes.
    let all = volumes_of(&s.docker, &c);
    let anon = all
        .iter()
        .find(|(_, d)| d == out)
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker rm {c}"))?;
    s.forget(&Resource::Container(c.clone()));
    // Every anonymous volume now dangles (the image's VOLUME too, in corrected mode): remove them all at the end.
    for (name, _) in &all {
        s.made_volume(name);
    }
    let dangling = s.docker.exists("volume", &anon);
    s.claim(
        "removing a container made without --rm leaves its anonymous volume behind",
        dangling,
        true,
        format!("after `docker rm {c}`, volume {anon} exists: {dangling}"),
    );
    s.cmd_ok(&format!(
        "docker volume ls --filter dangling=true --filter name={anon}"
    ))?;
    s.cmd_ok(&format!("docker volume rm {anon}"))?;
    s.forget(&Resource::Volume(anon.clone()));
    let removed = !s.docker.exists("volume", &anon);
    s.claim(
        "`docker volume rm` removes it",
        removed,
        true,
        format!("volume {anon} exists afterwards: {}", !removed),
    );
    Ok(())
}

fn fixing_permissions(s: &mut Session) -> Result<()> {
    let image = "custom-jupyter-image:anon-volume-chown";
    s.note("the article rebuilds the --chown Dockerfile under the tag anon-volume; the project tags it anon-volume-chown so both forms exist side by side");
    steps::build_series_image(s, image)?;
    let out = OUTPUTS;
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &c, &["-v", out, "-t"]))?;
    let listing = s.cmd(&format!("docker exec {c} ls -l"))?;
    let owned = ["computation.ipynb", "Dockerfile", "outputs"]
        .iter()
        .all(|f| {
            listing.output.lines().any(|l| {
                l.ends_with(&format!(" {f}"))
                    && l.split_whitespace().nth(2) == Some("jovyan")
                    && l.split_whitespace().nth(3) == Some("users")
            })
        });
    s.claim(
        "with COPY --chown=$NB_UID:$NB_GID, `ls -l` shows the files owned by jovyan users",
        owned,
        true,
        listing.output.trim().replace('\n', "; "),
    );
    let id = s.cmd(&format!("docker exec {c} id"))?;
    let want = "uid=1000(jovyan) gid=100(users) groups=100(users)";
    s.claim(
        &format!("`id` prints {want}"),
        id.output.lines().any(|l| l.trim() == want),
        true,
        format!("id: {}", id.output.lines().last().unwrap_or("").trim()),
    );

    let ran = execute_notebook(s, &c)?;
    let csv = format!("/work/{CSV}");
    let written = s
        .docker
        .probe(["exec", c.as_str(), "stat", "-c", "%U:%G %s", csv.as_str()]);
    s.claim(
        &format!("running the cell now writes {CSV}"),
        ran.ok() && written.is_some(),
        true,
        format!(
            "nbconvert exit {}; /work/{CSV}: {}",
            ran.exit,
            written.clone().unwrap_or_else(|| "missing".into())
        ),
    );

    let in_volume = s
        .docker
        .probe(["exec", c.as_str(), "ls", "-A", out])
        .unwrap_or_default();
    let reached = in_volume
        .lines()
        .any(|l| l.trim() == "Motorized-Foot-Scooter-Trips-2020.csv");
    let probe = s
        .docker
        .probe(["exec", c.as_str(), "touch", format!("{out}/probe").as_str()])
        .is_some();
    let evidence = if reached {
        format!("the volume at {out} holds the CSV")
    } else {
        format!("the volume is mounted at {out}, but WORKDIR /work makes the notebook write /work/{CSV}, the container's writable layer; {out} holds [{}] and jovyan {} write there", in_volume.replace('\n', ", "), if probe { "can" } else { "cannot" })
    };
    s.claim(
        "the data written lands in the container's volume",
        reached,
        true,
        evidence,
    );

    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker start {c}"))?;
    let after = s
        .docker
        .probe(["exec", c.as_str(), "stat", "-c", "%U:%G %s", csv.as_str()]);
    s.claim(
        "after `docker stop` and `docker start` the CSV is still there",
        after.is_some() && after == written,
        true,
        format!("before: {written:?}; after: {after:?} (same container, so even its writable layer survives)"),
    );
    Ok(())
}

/// Where the named-volume and bind-mount sections start: the article's named-volume image, built;
/// where the outputs volume is mounted; the section's volume.
fn named_volume_start(s: &mut Session) -> Result<(&'static str, &'static str, String)> {
    let image = "custom-jupyter-image:named-volume";
    steps::build_series_image(s, image)?;
    Ok((image, OUTPUTS, s.names.volume.clone()))
}

fn named_volumes(s: &mut Session) -> Result<()> {
    let (image, out, volume) = named_volume_start(s)?;
    first_mount_creates(s, image, &format!("{volume}-first-mount"), out)?;
    steps::create_volume(s, &volume)?;
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(
        image,
        &c,
        &["-v", &format!("{volume}:{out}"), "-t"],
    ))?;
    let ran = execute_notebook(s, &c)?;
    if !ran.ok() {
        bail!(
            "the notebook failed in the named-volume container: {}",
            crate::engine::tail(&ran.output, 3)
        );
    }
    let csv = format!("/work/{CSV}");
    let sum_before = s
        .docker
        .probe(["exec", c.as_str(), "sha256sum", csv.as_str()])
        .and_then(|l| l.split_whitespace().next().map(String::from));
    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker rm {c}"))?;
    s.forget(&Resource::Container(c.clone()));
    let volume_kept = s.docker.exists("volume", &volume);

    // A new container with the same volume.
    let look = format!("ls -ln {out}; sha256sum {out}/Motorized-Foot-Scooter-Trips-2020.csv; stat -c '%U:%G' {out}; touch {out}/.probe && echo writable");
    let seen = s.run(
        &RunSpec::new(image)
            .rm()
            .raw(&["-v", &format!("{volume}:{out}")])
            .command(&["sh", "-c", &look]),
    )?;
    let sum_after = seen
        .output
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|w| is_sha256(w))
        .map(String::from);
    let same = sum_before.is_some() && sum_before == sum_after;
    s.claim(
        "the named volume outlives the container, and a new container mounting it sees the data",
        volume_kept && same,
        true,
        if same {
            format!("volume {volume} kept; the CSV's sha256 is the same in the new container ({})", sum_after.unwrap_or_default())
        } else {
            format!("volume {volume} kept: {volume_kept}, but it is mounted at {out} while the notebook wrote /work/{CSV} (sha256 {}), which went with the removed container; the new container finds no CSV in {out}", sum_before.unwrap_or_default())
        },
    );
    let writable = seen.output.lines().any(|l| l.trim() == "writable");
    s.claim(
        "the notebook user can write to the named volume",
        writable,
        true,
        format!(
            "owner of {out} in a new container: {}",
            seen.output
                .lines()
                .find(|l| l.contains(':') && !l.contains(' '))
                .unwrap_or("?")
        ),
    );
    Ok(())
}

/// The article: a named volume is made when a container first mounts it. `--mount` with
/// `volume-label` stands in for `-v NAME:DIR` so the volume Docker creates carries the labels.
fn first_mount_creates(s: &mut Session, image: &str, volume: &str, target: &str) -> Result<()> {
    if s.docker.exists("volume", volume) {
        bail!("volume {volume} exists and was not made by this walkthrough: it is left alone; run the walkthrough again (a taken name gets another)");
    }
    s.made_volume(volume);
    let mount = crate::engine::volume_mount_labelled(volume, target, &s.docker.resource_labels())?;
    s.run(
        &RunSpec::new(image)
            .rm()
            .raw(&["--mount", &mount])
            .command(&["true"]),
    )?;
    let inspect = s.cmd(&format!(
        "docker volume inspect --format '{{{{.Name}}}} created {{{{.CreatedAt}}}}' {volume}"
    ))?;
    s.claim(
        "a named volume that does not exist yet is created the first time a container mounts it",
        inspect.ok(),
        true,
        format!(
            "before the run: no volume {volume}; after it: {}",
            if inspect.ok() {
                inspect.output.trim().to_string()
            } else {
                format!("`docker volume inspect` exit {}", inspect.exit)
            }
        ),
    );
    // Made only for this claim: it goes now, `--keep` or not.
    if inspect.ok() {
        s.cmd_ok(&format!("docker volume rm {volume}"))?;
        s.forget(&Resource::Volume(volume.to_string()));
    }
    Ok(())
}

fn bind_mounts(s: &mut Session) -> Result<()> {
    let (image, out, volume) = named_volume_start(s)?;
    // One after another with --keep, the named-volume section's volume is still here: this run made it.
    if !s.docker.created_here("volume", &volume) {
        steps::create_volume(s, &volume)?;
    }
    // The article's folder as the person has it: the files are theirs, with their umask.
    let project = s.project.path().to_path_buf();
    crate::images::series::stage_article_folder(
        &crate::paths::docker_dir().join("series/named-volume.Dockerfile"),
        &project,
    )?;
    let notebook = project.join("computation.ipynb");
    let owner = HostFile::read(&notebook)?;
    let mut user_flags: Vec<String> = Vec::new();
    if !owner.writable_by(NB_UID, NB_GID) {
        if owner.uid == 0 {
            // The server never runs as root: the notebook's group becomes the notebook user's, with write.
            s.note("corrected: the notebook is root's, and the server never runs as root, so the notebook user's group (users, 100) gets write access to it");
            s.cmd_ok(&format!("chgrp {NB_GID} {}", notebook.display()))?;
            s.cmd_ok(&format!("chmod g+w {}", notebook.display()))?;
        } else {
            s.note("corrected: the server runs as the notebook's owner (as `cargo xtask up --writable-notebooks` does), in the users group");
            user_flags = vec![
                "--user".into(),
                format!("{}:{}", owner.uid, owner.gid),
                "--group-add".into(),
                "users".into(),
            ];
        }
    }
    let owner = HostFile::read(&notebook)?;
    let with_volume = format!("{volume}:{out}");
    let bind = |readonly| Mount::bind(&notebook, "/work/computation.ipynb", readonly);

    let c = s.names.container.clone();
    s.run_ok(
        &steps::jupyter(image, &c, &["-v", &with_volume, "-t"])
            .raw(&user_flags)
            .mount(bind(false)),
    )?;
    let marker = format!("edited-on-the-host-{}", std::process::id());
    edit_on_host(&notebook, &marker)?;
    let seen = s.cmd(&format!(
        "docker exec {c} grep -c {marker} /work/computation.ipynb"
    ))?;
    s.claim(
        "an edit to the notebook on the host shows in the container at once",
        seen.ok(),
        true,
        format!("grep -c {marker} in the container: {}", seen.output.trim()),
    );
    let wrote = s.cmd(&format!("docker exec {c} sh -c {APPEND}"))?;
    let who = s
        .docker
        .probe(["exec", c.as_str(), "id", "-u"])
        .unwrap_or_default();
    s.claim(
        "without readonly, the container can write the bind-mounted notebook",
        wrote.ok(),
        true,
        format!("the notebook on the host: {owner}; the container's user: uid {}; append from the container: exit {}{}", who.trim(), wrote.exit, if wrote.ok() { String::new() } else { format!(": {}", wrote.output.trim()) }),
    );
    s.cmd_ok(&format!("docker rm -f {c}"))?;
    s.forget(&Resource::Container(c.clone()));

    s.run_ok(
        &steps::jupyter(image, &c, &["-v", &with_volume, "-t"])
            .raw(&user_flags)
            .mount(bind(true)),
    )?;
    let refused = s.cmd(&format!("docker exec {c} sh -c {APPEND}"))?;
    let rw = s.docker.probe(["container", "inspect", "--format", r#"{{range .Mounts}}{{if eq .Destination "/work/computation.ipynb"}}{{.RW}}{{end}}{{end}}"#, c.as_str()]).unwrap_or_default();
    s.claim(
        "with readonly, the container can no longer write the notebook",
        // Permission bits may refuse first (EACCES before EROFS): the mount's RW flag says readonly applies.
        !refused.ok() && rw.trim() == "false",
        true,
        format!(
            "append from the container: exit {}: {}; mount RW={rw}",
            refused.exit,
            refused.output.trim()
        ),
    );
    let marker2 = format!("{marker}-again");
    edit_on_host(&notebook, &marker2)?;
    let seen = s.cmd(&format!(
        "docker exec {c} grep -c {marker2} /work/computation.ipynb"
    ))?;
    s.claim(
        "with readonly, the host can still edit it, and the container sees the edit",
        seen.ok(),
        true,
        format!(
            "host write ok; grep in the container: {}",
            seen.output.trim()
        ),
    );
    Ok(())
}

/// Changes the notebook in place (a rename would leave the bind mount on the old file).
fn edit_on_host(notebook: &std::path::Path, marker: &str) -> Result<()> {
    let text = std::fs::read_to_string(notebook)?;
    let edited = text.replacen(
        "\"import os\\n\",",
        &format!("\"# {marker}\\n\",\n    \"import os\\n\","),
        1,
    );
    if edited == text {
        bail!("the notebook's first line changed: cannot place the host edit");
    }
    std::fs::write(notebook, edited)?;
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
