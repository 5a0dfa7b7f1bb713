//! The checks of the claims of article 2's sections on anonymous volumes, the volume flag, detached
//! mode and permissions.

use crate::engine::names::short_id;
use std::time::Duration;

use crate::walkthrough::manage_data::PERMISSION_ERROR;
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::probes::{describe, is_hex, lines, mounts, running, started, url_token};
use super::LISTED;

pub(super) fn generated_name(p: &Probe) -> Observed {
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

pub(super) fn removed_with_rm(p: &Probe) -> Observed {
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
        .map(|v| short_id(v))
        .collect();
    seen(
        gone.is_some() && !volumes.is_empty(),
        format!(
            "Ctrl+C step exit {}; {:.1}s later: containers [{containers}], of the volume(s) [{}] listed before still there: [{}]",
            p.exit_text(),
            waited.as_secs_f64(),
            volumes.iter().map(|v| short_id(v)).collect::<Vec<_>>().join(", "),
            left.join(", ")
        ),
    )
}

pub(super) fn volume_flag(p: &Probe) -> Observed {
    match started(p) {
        Ok(id) => {
            let ms = mounts(p, &id);
            let holds = ms
                .iter()
                .any(|m| m.kind == "volume" && is_hex(&m.name, 64) && m.dest == "/project/outputs");
            seen(
                holds,
                format!("container {} mounts {}", short_id(&id), describe(&ms)),
            )
        }
        Err(why) => seen(false, why),
    }
}

pub(super) fn ps_lists(p: &Probe) -> Observed {
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
            p.exit_text(),
            row.unwrap_or_else(|| "none".into())
        ),
    )
}

pub(super) fn logs_url(p: &Probe) -> Observed {
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

pub(super) fn permission_error(p: &Probe) -> Observed {
    let out = lines(&p.output());
    let raised = out.iter().rev().find(|l| l.contains("Error")).cloned();
    let holds = p.exit().is_some_and(|c| c != 0) && raised.as_deref() == Some(PERMISSION_ERROR);
    seen(
        holds,
        format!(
            "the cell's exit {}; it raised: {}",
            p.exit_text(),
            raised.unwrap_or_else(|| "nothing".into())
        ),
    )
}

pub(super) fn owned_by(p: &Probe, user: &str, group: &str) -> Observed {
    let out = lines(&p.output());
    let owned = LISTED.iter().all(|f| {
        out.iter().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.last() == Some(f) && w.get(2) == Some(&user) && w.get(3) == Some(&group)
        })
    });
    seen(owned, format!("exit {}: {}", p.exit_text(), out.join("; ")))
}

/// The volume `docker volume rm` named (it prints the name) is gone from the engine.
pub(super) fn volume_removed(p: &Probe) -> Observed {
    let out = p.output();
    let Some(name) = out.lines().map(str::trim).find(|l| is_hex(l, 64)) else {
        return seen(
            false,
            format!(
                "`docker volume rm` exit {}: it printed no volume name: {}",
                p.exit_text(),
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
            p.exit_text(),
            inspect.code,
            said.lines().last().unwrap_or("").trim()
        ),
    )
}

pub(super) fn left_dangling(p: &Probe) -> Observed {
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
            p.exit_text(),
            dangling.join(", ")
        ),
    )
}
