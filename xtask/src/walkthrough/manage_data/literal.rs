//! The literal mode of article 2: its claims, each checked right after the step of the article it
//! follows, while the replay runs the article's own commands in the sandbox. The checks look at
//! what a step printed and ask the sandbox's engine; none of them changes what its claim is about
//! (the one container a check starts, for the first-mount claim, mounts a volume of its own).

use std::time::Duration;

use super::{HostFile, CSV, NB_GID, NB_UID, PERMISSION_ERROR};
use crate::engine::cmdline::shell_quote;
use crate::sandbox::container_id;
use crate::walkthrough::markdown::claims::{seen, ClaimCheck, Observed, Probe};

/// The files the article's `ls -l` lists, with their owners.
const LISTED: [&str; 3] = ["computation.ipynb", "Dockerfile", "outputs"];

pub const CLAIMS: &[ClaimCheck] = &[
    ClaimCheck {
        section: "Anonymous volumes",
        after: "docker volume ls",
        claim: "VOLUME [\"/project/outputs\"] gives each container an anonymous volume with a generated name",
        expected: true,
        check: generated_name,
    },
    ClaimCheck {
        section: "Anonymous volumes",
        after: "ctrl+c:docker run -it --rm",
        claim: "with --rm, stopping the container removes it and its anonymous volume",
        expected: true,
        check: removed_with_rm,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker run -d -v /project/outputs",
        claim: "`-v /project/outputs` mounts an anonymous volume there",
        expected: true,
        check: volume_flag,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker ps",
        claim: "`docker ps` lists the running container with its ID and name (the article shows `docker volume ls` output under it)",
        expected: true,
        check: ps_lists,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker logs",
        claim: "`docker logs` of the detached container shows the URL http://127.0.0.1:8888/lab?token=<48 hex> and the token works",
        expected: true,
        check: logs_url,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "cell:import pandas as pd",
        claim: "running the cell raises PermissionError: [Errno 13] Permission denied: 'outputs/Motorized-Foot-Scooter-Trips-2020.csv'",
        expected: true,
        check: permission_error,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "ls -l",
        claim: "`ls -l` shows computation.ipynb, Dockerfile and outputs owned by root root",
        expected: true,
        check: |p| owned_by(p, "root", "root"),
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "whoami",
        claim: "`whoami` prints jovyan (the article shows the typo `joyvan`)",
        expected: true,
        check: |p| printed(p, "jovyan"),
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker rm",
        claim: "removing a container made without --rm leaves its anonymous volume behind",
        expected: true,
        check: left_dangling,
    },
    ClaimCheck {
        section: "Volume flag, detached mode and permissions",
        after: "docker volume rm",
        claim: "`docker volume rm` removes it",
        expected: true,
        check: volume_removed,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "ls -l #2",
        claim: "with COPY --chown=$NB_UID:$NB_GID, `ls -l` shows the files owned by jovyan users",
        expected: true,
        check: |p| owned_by(p, "jovyan", "users"),
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "id",
        claim: "`id` prints uid=1000(jovyan) gid=100(users) groups=100(users)",
        expected: true,
        check: |p| printed(p, "uid=1000(jovyan) gid=100(users) groups=100(users)"),
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "cell:import pandas as pd #2",
        claim: "running the cell now writes outputs/Motorized-Foot-Scooter-Trips-2020.csv",
        expected: true,
        check: cell_wrote,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "cell:import pandas as pd #2",
        claim: "the data written lands in the container's volume",
        expected: false,
        check: lands_in_volume,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "docker start",
        claim: "after `docker stop` and `docker start` the CSV is still there",
        expected: true,
        check: csv_after_restart,
    },
    ClaimCheck {
        section: "Fixing file permissions",
        after: "docker start",
        claim: "the anonymous volume survives `docker stop` and `docker start` of the same container",
        expected: true,
        check: volume_after_restart,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker volume create",
        claim: "a named volume that does not exist yet is created the first time a container mounts it",
        expected: true,
        check: first_mount_creates,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker run -d -v named-data-volume:/project/outputs -it",
        claim: "the notebook user can write to the named volume",
        expected: false,
        check: volume_writable,
    },
    ClaimCheck {
        section: "Named volumes",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "the named volume outlives the container, and a new container mounting it sees the data",
        expected: false,
        check: new_container_sees_data,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "an edit to the notebook on the host shows in the container at once",
        expected: true,
        check: host_edits_show,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount",
        claim: "without readonly, the container can write the bind-mounted notebook",
        expected: false,
        check: container_writes,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        claim: "with readonly, the container can no longer write the notebook",
        expected: true,
        check: readonly_refuses,
    },
    ClaimCheck {
        section: "Bind mounts",
        after: "docker run -d -v named-data-volume:/project/outputs --mount #2",
        claim: "with readonly, the host can still edit it, and the container sees the edit",
        expected: true,
        check: host_still_edits,
    },
];

// ---- small helpers -------------------------------------------------------------------------

/// The non-empty lines of a terminal's output, carriage returns and edges trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.trim_matches(|c: char| c == '\r' || c.is_whitespace())
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

fn is_hex(word: &str, len: usize) -> bool {
    word.len() == len && word.bytes().all(|b| b.is_ascii_hexdigit())
}

fn short(id: &str) -> &str {
    if is_hex(id, 64) {
        &id[..12]
    } else {
        id
    }
}

fn exit_of(p: &Probe) -> String {
    p.exit().map_or("none".into(), |c| c.to_string())
}

/// What a detached `docker run` step did: the container it started, or its exit and error line,
/// with what runs under the article's container name instead.
fn started(p: &Probe) -> Result<String, String> {
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
        exit_of(p)
    ))
}

/// The newest running container (the article runs one at a time).
fn running(p: &Probe) -> Option<String> {
    p.docker(&["ps", "--format", "{{.Names}}"])
        .stdout
        .lines()
        .next()
        .map(str::to_string)
        .filter(|n| !n.is_empty())
}

fn image_of(p: &Probe, container: &str) -> String {
    p.docker(&["inspect", "--format", "{{.Config.Image}}", container])
        .stdout
}

fn workdir(p: &Probe, container: &str) -> String {
    p.docker(&["inspect", "--format", "{{.Config.WorkingDir}}", container])
        .stdout
}

struct Mount {
    kind: String,
    name: String,
    source: String,
    dest: String,
    rw: bool,
}

fn mounts(p: &Probe, container: &str) -> Vec<Mount> {
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

fn describe(mounts: &[Mount]) -> String {
    let each: Vec<String> = mounts
        .iter()
        .map(|m| {
            let what = if m.kind == "volume" {
                format!("volume {}", short(&m.name))
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
fn host_file(p: &Probe, path: &str) -> Option<HostFile> {
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
fn created_volume(p: &Probe) -> String {
    p.earlier("docker volume create")
        .map(|o| lines(&o).pop().unwrap_or_default())
        .unwrap_or_default()
}

/// A volume's folder in the sandbox engine: its owner and mode, and its entries.
fn volume_folder(p: &Probe, volume: &str) -> String {
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

// ---- the checks ----------------------------------------------------------------------------

fn generated_name(p: &Probe) -> Observed {
    let listed: Vec<String> = lines(&p.output())
        .iter()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|w| is_hex(w, 64))
        .map(String::from)
        .collect();
    let mut found = Vec::new();
    for v in &listed {
        let users = p
            .docker(&[
                "ps",
                "-a",
                "--filter",
                &format!("volume={v}"),
                "--format",
                "{{.Names}}",
            ])
            .stdout;
        for c in users.lines() {
            for m in mounts(p, c).iter().filter(|m| &m.name == v) {
                found.push(format!("{v} mounted by {c} at {}", m.dest));
            }
        }
    }
    let holds = found.iter().any(|f| f.ends_with(" at /project/outputs"));
    seen(
        holds,
        format!(
            "`docker volume ls` lists {} volume(s) with a 64-hex name: {}",
            listed.len(),
            if found.is_empty() {
                "none mounted".into()
            } else {
                found.join("; ")
            }
        ),
    )
}

fn removed_with_rm(p: &Probe) -> Observed {
    let volumes: Vec<String> = p
        .earlier("docker volume ls")
        .map(|o| {
            lines(&o)
                .iter()
                .filter_map(|l| l.split_whitespace().last())
                .filter(|w| is_hex(w, 64))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let (gone, waited) = p.within(Duration::from_secs(15), || {
        let containers = p.docker(&["ps", "-aq"]).stdout;
        let left: Vec<&String> = volumes
            .iter()
            .filter(|v| p.docker(&["volume", "inspect", v.as_str()]).ok())
            .collect();
        (containers.is_empty() && left.is_empty()).then_some(())
    });
    let containers = p
        .docker(&["ps", "-a", "--format", "{{.Names}}"])
        .stdout
        .replace('\n', ", ");
    let left: Vec<&str> = volumes
        .iter()
        .filter(|v| p.docker(&["volume", "inspect", v.as_str()]).ok())
        .map(|v| short(v))
        .collect();
    seen(
        gone.is_some() && !volumes.is_empty(),
        format!(
            "Ctrl+C step exit {}; {:.1}s later: containers [{containers}], of the volume(s) [{}] listed before still there: [{}]",
            exit_of(p),
            waited.as_secs_f64(),
            volumes.iter().map(|v| short(v)).collect::<Vec<_>>().join(", "),
            left.join(", ")
        ),
    )
}

fn volume_flag(p: &Probe) -> Observed {
    match started(p) {
        Ok(id) => {
            let ms = mounts(p, &id);
            let holds = ms
                .iter()
                .any(|m| m.kind == "volume" && is_hex(&m.name, 64) && m.dest == "/project/outputs");
            seen(
                holds,
                format!("container {} mounts {}", short(&id), describe(&ms)),
            )
        }
        Err(why) => seen(false, why),
    }
}

fn ps_lists(p: &Probe) -> Observed {
    let out = lines(&p.output());
    let header = out.first().cloned().unwrap_or_default();
    let name = running(p).unwrap_or_default();
    let row = out.iter().skip(1).find(|l| {
        l.split_whitespace().next().is_some_and(|id| is_hex(id, 12))
            && l.ends_with(&name)
            && !name.is_empty()
    });
    let holds = header.starts_with("CONTAINER ID") && header.ends_with("NAMES") && row.is_some();
    let row = row.map(|r| {
        let f: Vec<&str> = r.split_whitespace().collect();
        format!("{} .. {}", f[0], f[f.len() - 1])
    });
    seen(
        holds,
        format!(
            "exit {}; header: {header}; the running container's row: {}",
            exit_of(p),
            row.unwrap_or_else(|| "none".into())
        ),
    )
}

/// The token of the first http://127.0.0.1:8888/lab?token=... URL in a log.
fn url_token(log: &str) -> Option<String> {
    const URL: &str = "http://127.0.0.1:8888/lab?token=";
    let at = log.find(URL)? + URL.len();
    let token: String = log[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (!token.is_empty()).then_some(token)
}

fn logs_url(p: &Probe) -> Observed {
    let shown = lines(&p.output()).len();
    let (token, how) = match url_token(&p.output()) {
        Some(t) => (
            Some(t),
            format!("the step's output ({shown} lines) shows the URL"),
        ),
        None => {
            let Some(c) = running(p) else {
                return seen(
                    false,
                    format!("the step's output ({shown} lines) has no URL, and no container runs"),
                );
            };
            let (t, waited) = p.within(Duration::from_secs(60), || {
                let o = p.docker(&["logs", &c]);
                url_token(&format!("{}\n{}", o.stdout, o.stderr))
            });
            let how = match &t {
                Some(_) => format!("the step's output ({shown} lines) had no URL yet: the server printed it {:.1}s later (`docker logs` again)", waited.as_secs_f64()),
                None => format!("no URL in the step's output ({shown} lines), nor in `docker logs` for {:.0}s", waited.as_secs_f64()),
            };
            (t, how)
        }
    };
    let Some(token) = token else {
        return seen(false, how);
    };
    let with = p.http(8888, "/api/status", Some(&token));
    let without = p.http(8888, "/api/status", None);
    let holds = is_hex(&token, 48) && with == 200 && without != 200;
    seen(holds, format!("{how}: http://127.0.0.1:8888/lab?token=<{} hex>; /api/status on port 8888: {with} with the token, {without} without", token.len()))
}

fn permission_error(p: &Probe) -> Observed {
    let out = lines(&p.output());
    let raised = out.iter().rev().find(|l| l.contains("Error")).cloned();
    let holds = p.exit().is_some_and(|c| c != 0) && raised.as_deref() == Some(PERMISSION_ERROR);
    seen(
        holds,
        format!(
            "the cell's exit {}; it raised: {}",
            exit_of(p),
            raised.unwrap_or_else(|| "nothing".into())
        ),
    )
}

fn owned_by(p: &Probe, user: &str, group: &str) -> Observed {
    let out = lines(&p.output());
    let owned = LISTED.iter().all(|f| {
        out.iter().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.last() == Some(f) && w.get(2) == Some(&user) && w.get(3) == Some(&group)
        })
    });
    seen(owned, format!("exit {}: {}", exit_of(p), out.join("; ")))
}

fn printed(p: &Probe, want: &str) -> Observed {
    let out = lines(&p.output());
    seen(
        out.iter().any(|l| l == want),
        format!("exit {}: {}", exit_of(p), out.join("; ")),
    )
}

/// The volume `docker volume rm` named (it prints the name) is gone from the engine.
fn volume_removed(p: &Probe) -> Observed {
    let out = p.output();
    let Some(name) = out.lines().map(str::trim).find(|l| is_hex(l, 64)) else {
        return seen(
            false,
            format!(
                "`docker volume rm` exit {}: it printed no volume name: {}",
                exit_of(p),
                out.trim()
            ),
        );
    };
    let inspect = p.docker(&["volume", "inspect", name]);
    let said = format!("{}{}", inspect.stdout, inspect.stderr);
    seen(
        p.exit() == Some(0) && !inspect.ok(),
        format!(
            "`docker volume rm {name}` exit {}; `docker volume inspect` now: exit {}: {}",
            exit_of(p),
            inspect.code,
            said.lines().last().unwrap_or("").trim()
        ),
    )
}

fn left_dangling(p: &Probe) -> Observed {
    let dangling: Vec<String> = p
        .docker(&["volume", "ls", "-q", "--filter", "dangling=true"])
        .stdout
        .lines()
        .filter(|v| is_hex(v, 64))
        .map(String::from)
        .collect();
    seen(
        p.exit() == Some(0) && !dangling.is_empty(),
        format!(
            "`docker rm` exit {}; anonymous volumes no container uses now: [{}]",
            exit_of(p),
            dangling.join(", ")
        ),
    )
}

/// Where the cell's `outputs/...` is, in the running container: (container, path).
fn csv_path(p: &Probe) -> Option<(String, String)> {
    let c = running(p)?;
    let path = format!("{}/{CSV}", workdir(p, &c));
    Some((c, path))
}

fn stat_in(p: &Probe, container: &str, path: &str) -> Option<String> {
    let out = p.exec(container, &["stat", "-c", "%U:%G %s bytes", path]);
    out.ok().then(|| out.stdout.trim().to_string())
}

fn cell_wrote(p: &Probe) -> Observed {
    let Some((c, path)) = csv_path(p) else {
        return seen(
            false,
            format!("the cell's exit {}; no container runs", exit_of(p)),
        );
    };
    let stat = stat_in(p, &c, &path);
    seen(
        p.exit() == Some(0) && stat.is_some(),
        format!(
            "the cell's exit {}; in {c}, {path}: {}",
            exit_of(p),
            stat.unwrap_or_else(|| "missing".into())
        ),
    )
}

fn lands_in_volume(p: &Probe) -> Observed {
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
            short(&m.name),
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

fn csv_after_restart(p: &Probe) -> Observed {
    let Some((c, path)) = csv_path(p) else {
        return seen(
            false,
            format!("`docker start` exit {}; no container runs", exit_of(p)),
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
            exit_of(p),
            stat.unwrap_or_else(|| "missing".into())
        ),
    )
}

fn volume_after_restart(p: &Probe) -> Observed {
    let Some(c) = running(p) else {
        return seen(
            false,
            format!("`docker start` exit {}; no container runs", exit_of(p)),
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
            short(&m.name),
            m.dest
        ));
    }
    seen(
        holds,
        format!(
            "`docker start` exit {}; {c} (re)started at {started}; {}",
            exit_of(p),
            if found.is_empty() {
                "no anonymous volume mounted".into()
            } else {
                found.join("; ")
            }
        ),
    )
}

fn first_mount_creates(p: &Probe) -> Observed {
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

fn volume_writable(p: &Probe) -> Observed {
    let volume = created_volume(p);
    match started(p) {
        Ok(id) => {
            let Some(m) = mounts(p, &id).into_iter().find(|m| m.name == volume) else {
                return seen(
                    false,
                    format!("container {} does not mount {volume}", short(&id)),
                );
            };
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            seen(
                test.ok(),
                format!(
                    "in container {}, `test -w {}` as its user: exit {}; {}",
                    short(&id),
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

fn new_container_sees_data(p: &Probe) -> Observed {
    let volume = created_volume(p);
    let folder = volume_folder(p, &volume);
    match started(p) {
        Ok(id) => {
            let Some(m) = mounts(p, &id).into_iter().find(|m| m.name == volume) else {
                return seen(
                    false,
                    format!("container {} does not mount {volume}", short(&id)),
                );
            };
            let entries = p.exec(&id, &["ls", "-A", &m.dest]).stdout;
            let file = CSV.rsplit('/').next().unwrap_or(CSV);
            let holds = entries.lines().any(|e| e.trim() == file);
            seen(
                holds,
                format!(
                    "in the new container {}, {} holds [{}]; {folder}",
                    short(&id),
                    m.dest,
                    entries.trim().replace('\n', ", ")
                ),
            )
        }
        Err(why) => seen(false, format!("{why}; {folder}")),
    }
}

/// The container the step started and its bind mount of the notebook; or why there is none.
fn notebook_bind(p: &Probe) -> Result<(String, Mount), String> {
    let id = started(p)?;
    let ms = mounts(p, &id);
    let listed = describe(&ms);
    ms.into_iter()
        .find(|m| m.kind == "bind" && m.source.ends_with("/computation.ipynb"))
        .map(|m| (id.clone(), m))
        .ok_or_else(|| {
            format!(
                "container {} mounts {listed}: no bind mount of computation.ipynb",
                short(&id)
            )
        })
}

/// The project folder's notebook, as the sandbox has it.
fn project_notebook(p: &Probe) -> String {
    host_file(p, "computation.ipynb")
        .map_or("the project's computation.ipynb: missing".into(), |f| {
            format!("the project's computation.ipynb: {f}")
        })
}

/// Whether the container's file is the host's own (same inode): an edit in place shows at once.
fn same_file(p: &Probe, id: &str, m: &Mount) -> (bool, String) {
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
            short(id)
        ),
    )
}

fn host_edits_show(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let (same, said) = same_file(p, &id, &m);
            seen(same, said)
        }
        Err(why) => seen(false, why),
    }
}

fn container_writes(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            let user = p.exec(&id, &["id", "-u"]).stdout;
            seen(
                test.ok(),
                format!(
                    "in container {} (uid {}), `test -w {}`: exit {}; {}",
                    short(&id),
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

fn readonly_refuses(p: &Probe) -> Observed {
    match notebook_bind(p) {
        Ok((id, m)) => {
            let test = p.exec(&id, &["test", "-w", &m.dest]);
            seen(
                !test.ok() && !m.rw,
                format!(
                    "in container {}, the mount of {} is {}; `test -w`: exit {}",
                    short(&id),
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

fn host_still_edits(p: &Probe) -> Observed {
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

#[cfg(test)]
mod tests {
    use super::CLAIMS;
    use crate::walkthrough::markdown::claims::step_of;
    use crate::walkthrough::markdown::{placeholders, read, StepKind, Values};

    /// Each claim finds its step in the article (read from ../shared/series, as the replay reads
    /// it), the steps in the article's order, and a claim keyed to a command follows a command.
    #[test]
    fn every_claim_finds_its_step_in_order() {
        let path = crate::paths::root().join("../shared/series/manage-jupyter-data-docker.md");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let steps = placeholders::fill(
            &read(&text),
            &Values::for_article("manage-jupyter-data-docker"),
        );
        let mut last = 0;
        for c in CLAIMS {
            let k = step_of(c.after, &steps).unwrap_or_else(|| {
                panic!(
                    "{:?} follows {:?}, which the article does not have",
                    c.claim, c.after
                )
            });
            assert!(k >= last, "{:?} is out of the article's order", c.claim);
            last = k;
            let command = matches!(steps[k].kind, StepKind::Command { .. });
            assert_eq!(
                command,
                !c.after.starts_with("cell:") && !c.after.starts_with("ctrl+c:"),
                "{:?}",
                c.after
            );
        }
        let line = |after: &str| steps[step_of(after, &steps).unwrap()].line;
        assert!(
            line("docker run -d -v named-data-volume:/project/outputs --mount #2")
                > line("docker run -d -v named-data-volume:/project/outputs --mount")
        );
    }
}
