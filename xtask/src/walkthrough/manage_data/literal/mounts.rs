//! The checks of the claims of article 2's sections on fixing file permissions, named volumes and
//! bind mounts.

use crate::engine::names::short_id;
use crate::walkthrough::manage_data::{CSV, NB_GID, NB_UID};
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::probes::{
    created_volume, csv_path, host_file, is_hex, lines, mounts, notebook_bind, project_notebook,
    running, same_file, started, stat_in, volume_folder, workdir,
};

pub(super) fn cell_wrote(p: &Probe) -> Observed {
    let Some((c, path)) = csv_path(p) else {
        return seen(
            false,
            format!("the cell's exit {}; no container runs", p.exit_text()),
        );
    };
    let stat = stat_in(p, &c, &path);
    seen(
        p.exit() == Some(0) && stat.is_some(),
        format!(
            "the cell's exit {}; in {c}, {path}: {}",
            p.exit_text(),
            stat.unwrap_or_else(|| "missing".into())
        ),
    )
}

pub(super) fn lands_in_volume(p: &Probe) -> Observed {
    let Some((c, path)) = csv_path(p) else {
        return seen(false, "no container runs");
    };
    let file = path.rsplit('/').next().unwrap_or_default().to_string();
    let mut held = Vec::new();
    let mut holds = false;
    for m in mounts(p, &c).iter().filter(|m| m.kind == "volume") {
        let entries = p.exec(&c, &["ls", "-A", &m.dest]).stdout;
        holds |= entries.lines().any(|e| e.trim() == file);
        held.push(format!(
            "volume {} at {} holds [{}]",
            short_id(&m.name),
            m.dest,
            entries.trim().replace('\n', ", ")
        ));
    }
    let written =
        stat_in(p, &c, &path).map_or("missing".into(), |s| format!("written there ({s})"));
    seen(
        holds,
        format!(
            "{}; the cell's outputs/ is {} (WorkingDir {}): {path} {written}",
            if held.is_empty() {
                "no volume mounted".into()
            } else {
                held.join("; ")
            },
            path.rsplit_once('/').map_or("", |x| x.0),
            workdir(p, &c)
        ),
    )
}

pub(super) fn csv_after_restart(p: &Probe) -> Observed {
    let Some((c, path)) = csv_path(p) else {
        return seen(
            false,
            format!("`docker start` exit {}; no container runs", p.exit_text()),
        );
    };
    let stat = stat_in(p, &c, &path);
    let started = p
        .docker(&["inspect", "--format", "{{.State.StartedAt}}", &c])
        .stdout;
    seen(
        stat.is_some(),
        format!(
            "`docker start` exit {}; {c} (re)started at {started}; {path}: {}",
            p.exit_text(),
            stat.unwrap_or_else(|| "missing".into())
        ),
    )
}

pub(super) fn volume_after_restart(p: &Probe) -> Observed {
    let Some(c) = running(p) else {
        return seen(
            false,
            format!("`docker start` exit {}; no container runs", p.exit_text()),
        );
    };
    let started = p
        .docker(&["inspect", "--format", "{{.State.StartedAt}}", &c])
        .stdout;
    let mut found = Vec::new();
    let mut holds = false;
    for m in mounts(p, &c)
        .iter()
        .filter(|m| m.kind == "volume" && is_hex(&m.name, 64))
    {
        let created = p
            .docker(&["volume", "inspect", "--format", "{{.CreatedAt}}", &m.name])
            .stdout;
        // RFC 3339 in UTC from the same engine: the first 19 characters compare as times.
        holds |= created.len() >= 19 && started.len() >= 19 && created[..19] < started[..19];
        found.push(format!(
            "volume {} at {} created {created}",
            short_id(&m.name),
            m.dest
        ));
    }
    seen(
        holds,
        format!(
            "`docker start` exit {}; {c} (re)started at {started}; {}",
            p.exit_text(),
            if found.is_empty() {
                "no anonymous volume mounted".into()
            } else {
                found.join("; ")
            }
        ),
    )
}

pub(super) fn first_mount_creates(p: &Probe) -> Observed {
    // Not a step of the article (it creates its volume first): one container of the check's
    // own, mounting a volume name nothing uses, from the image the article built last.
    let image = p.earlier("docker build").and_then(|o| {
        lines(&o)
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("Successfully tagged ").map(String::from))
    });
    let Some(image) = image else {
        return seen(false, "no image was built before this step");
    };
    let volume = format!("first-mount-check-{}", std::process::id());
    let before = p.docker(&["volume", "inspect", &volume]);
    let mount = format!("type=volume,source={volume},target=/mnt/first-mount,volume-label=jupyter-docker-xtask.managed=true");
    let ran = p.docker(&[
        "run",
        "--rm",
        "--label",
        "jupyter-docker-xtask.managed=true",
        "--mount",
        &mount,
        "--entrypoint",
        "true",
        &image,
    ]);
    let after = p.docker(&[
        "volume",
        "inspect",
        "--format",
        "{{.Name}} created {{.CreatedAt}}",
        &volume,
    ]);
    seen(
        !before.ok() && ran.ok() && after.ok(),
        format!(
            "a container of {image} mounting {volume}: before, `docker volume inspect` exit {}; the run exit {}; after: {}",
            before.code,
            ran.code,
            if after.ok() { after.stdout } else { format!("`docker volume inspect` exit {}", after.code) }
        ),
    )
}

pub(super) fn volume_writable(p: &Probe) -> Observed {
    let volume = created_volume(p);
    match started(p) {
        Ok(id) => {
            let Some(m) = mounts(p, &id).into_iter().find(|m| m.name == volume) else {
                return seen(
                    false,
                    format!("container {} does not mount {volume}", short_id(&id)),
                );
            };
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            seen(
                test.ok(),
                format!(
                    "in container {}, `test -w {}` as its user: exit {}; {}",
                    short_id(&id),
                    m.dest,
                    test.code,
                    volume_folder(p, &volume)
                ),
            )
        }
        Err(why) => {
            // No container mounts it: what the notebook user may do follows from the folder's owner and mode.
            let mountpoint = p
                .docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", &volume])
                .stdout;
            let may = host_file(p, &mountpoint).is_some_and(|f| f.writable_by(NB_UID, NB_GID));
            seen(
                may,
                format!(
                    "{why}; {} (the notebook user {NB_UID}:{NB_GID} {} write it)",
                    volume_folder(p, &volume),
                    if may { "may" } else { "may not" }
                ),
            )
        }
    }
}

pub(super) fn new_container_sees_data(p: &Probe) -> Observed {
    let volume = created_volume(p);
    let folder = volume_folder(p, &volume);
    match started(p) {
        Ok(id) => {
            let Some(m) = mounts(p, &id).into_iter().find(|m| m.name == volume) else {
                return seen(
                    false,
                    format!("container {} does not mount {volume}", short_id(&id)),
                );
            };
            let entries = p.exec(&id, &["ls", "-A", &m.dest]).stdout;
            let file = CSV.rsplit('/').next().unwrap_or(CSV);
            let holds = entries.lines().any(|e| e.trim() == file);
            seen(
                holds,
                format!(
                    "in the new container {}, {} holds [{}]; {folder}",
                    short_id(&id),
                    m.dest,
                    entries.trim().replace('\n', ", ")
                ),
            )
        }
        Err(why) => seen(false, format!("{why}; {folder}")),
    }
}

pub(super) fn host_edits_show(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let (same, said) = same_file(p, &id, &m);
            seen(same, said)
        }
        Err(why) => seen(false, why),
    }
}

pub(super) fn container_writes(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            let user = p.exec(&id, &["id", "-u"]).stdout;
            seen(
                test.ok(),
                format!(
                    "in container {} (uid {}), `test -w {}`: exit {}; {}",
                    short_id(&id),
                    user.trim(),
                    m.dest,
                    test.code,
                    project_notebook(p)
                ),
            )
        }
        Err(why) => seen(false, format!("{why}; {}", project_notebook(p))),
    }
}

pub(super) fn readonly_refuses(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            seen(
                !test.ok() && !m.rw,
                format!(
                    "in container {}, the mount of {} is {}; `test -w`: exit {}",
                    short_id(&id),
                    m.dest,
                    if m.rw { "read-write" } else { "read-only" },
                    test.code
                ),
            )
        }
        Err(why) => {
            // What the container that does run may do to its own notebook.
            let own = csv_path(p).map(|(c, _)| {
                let path = format!("{}/computation.ipynb", workdir(p, &c));
                format!(
                    "in {c}, `test -w {path}`: exit {}",
                    p.exec(&c, &["test", "-w", &path]).code
                )
            });
            seen(
                false,
                format!(
                    "{why}; {}",
                    own.unwrap_or_else(|| "no container runs".into())
                ),
            )
        }
    }
}

pub(super) fn host_still_edits(p: &Probe) -> Observed {
    let host = p.shell("test -w computation.ipynb");
    match notebook_bind(p) {
        Ok((id, m)) => {
            let (same, said) = same_file(p, &id, &m);
            seen(
                host.ok() && same && !m.rw,
                format!(
                    "on the host `test -w computation.ipynb`: exit {}; the mount is {}; {said}",
                    host.code,
                    if m.rw { "read-write" } else { "read-only" }
                ),
            )
        }
        Err(why) => seen(
            false,
            format!(
                "on the host `test -w computation.ipynb`: exit {}; {why}",
                host.code
            ),
        ),
    }
}
