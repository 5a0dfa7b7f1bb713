//! What the claim checks of article 3 ask the engine and read in the steps' output: what a cell
//! printed, environments, the MySQL servers, volumes.

use std::time::Duration;

use super::{DB, IMAGE};
use crate::walkthrough::markdown::claims::{Observed, Probe};

/// stdout and stderr of a probe's command, trimmed, with its exit.
pub(super) fn said(out: &crate::engine::Output) -> String {
    [out.stdout.trim(), out.stderr.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines of a step's output, joined with ` / ` (the first `n`).
pub(super) fn lines(text: &str, n: usize) -> String {
    let all: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut shown = all.iter().take(n).copied().collect::<Vec<_>>().join(" / ");
    if all.len() > n {
        shown.push_str(&format!(" / ... ({} lines)", all.len()));
    }
    if shown.is_empty() {
        "nothing".into()
    } else {
        shown
    }
}

/// A host-side cell (section B) that did not run: why, from what the host's steps printed.
pub(super) fn host_cell_not_run(p: &Probe) -> Option<Observed> {
    if p.exit().is_some() {
        return None;
    }
    let first = |after: &str| {
        p.earlier(after)
            .map(|o| lines(&o, 1))
            .unwrap_or_else(|| "not run".into())
    };
    Some(Observed::NotCheckable(format!(
        "the host-side JupyterLab never ran in the sandbox, so neither did this cell: `pip install ...` printed {:?} and `jupyter-lab` {:?} (the replay does not run `sudo apt install python3-pip`, and MySQL on the host is installed by another guide)",
        first("pip install"),
        first("jupyter-lab")
    )))
}

/// Lines a cell printed with only the exception class (the article's `except Error` handler).
pub(super) fn class_only(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("Error while connecting to MySQL") && l.contains("<class "))
        .collect()
}

/// The lines of a CSV in the Jupyter container (with its header), as `wc -l` counts them.
pub(super) fn csv_lines(p: &Probe, path: &str) -> (Option<usize>, String) {
    let Some(container) = p.container_of(IMAGE) else {
        return (None, format!("no running container of {IMAGE}"));
    };
    let out = p.exec(&container, &["sh", "-c", &format!("wc -l < {path}")]);
    (
        out.stdout.trim().parse().ok().filter(|_| out.ok()),
        format!(
            "`wc -l < {path}` in {container}: exit {}, {}",
            out.code,
            said(&out)
        ),
    )
}

/// `MYSQL_*` entries of an environment listing, values other than a user's described by length.
pub(super) fn describe_env(env: &[String]) -> String {
    let shown: Vec<String> = env
        .iter()
        .filter(|e| e.starts_with("MYSQL_"))
        .map(|e| match e.split_once('=') {
            Some((k, v)) if k.contains("PASSWORD") && v != "NOT_DEFINED" => {
                format!("{k}=<{} characters>", v.chars().count())
            }
            _ => e.clone(),
        })
        .collect();
    if shown.is_empty() {
        "no MYSQL_ entries".into()
    } else {
        shown.join(" ")
    }
}

/// The Config.Env of an image or container.
pub(super) fn config_env(p: &Probe, what: &str) -> Vec<String> {
    let out = p.docker(&["inspect", "--format", "{{json .Config.Env}}", what]);
    serde_json::from_str(&out.stdout).unwrap_or_default()
}

pub(super) fn env_value<'e>(env: &'e [String], key: &str) -> Option<&'e str> {
    env.iter()
        .find_map(|e| e.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// SQL as root in mysql-db, the password from the container's own environment (never on a command line here).
pub(super) fn as_root(p: &Probe, sql: &str) -> crate::engine::Output {
    let script = format!("MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysql -uroot -N -B -e \"{sql}\"");
    p.exec(DB, &["sh", "-c", &script])
}

/// How long mysql-db takes to answer a ping over TCP from now (mysqladmin answers 0 once the
/// server runs, even when it refuses the user; the first start's temporary server has no TCP).
pub(super) fn db_ready(p: &Probe, limit: Duration) -> (bool, Duration) {
    let (ok, took) = p.within(limit, || {
        p.exec(
            DB,
            &[
                "mysqladmin",
                "--protocol=tcp",
                "-h127.0.0.1",
                "--connect-timeout=2",
                "ping",
            ],
        )
        .ok()
        .then_some(())
    });
    (ok.is_some(), took)
}

/// Seconds since a container started, by the sandbox's clock.
pub(super) fn uptime(p: &Probe, container: &str) -> String {
    let started = p
        .docker(&["inspect", "--format", "{{.State.StartedAt}}", container])
        .stdout;
    if started.is_empty()
        || !started
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:-+".contains(c))
    {
        return format!("? (StartedAt {started:?})");
    }
    let out = p.shell(&format!(
        "echo $(( $(date +%s) - $(date -d '{started}' +%s) ))"
    ));
    if out.ok() {
        format!("{}s", out.stdout.trim())
    } else {
        format!("? ({})", said(&out))
    }
}

/// The volume on /var/lib/mysql of a container (running or stopped).
pub(super) fn data_volume(p: &Probe, container: &str) -> String {
    let format = r#"{{range .Mounts}}{{if eq .Destination "/var/lib/mysql"}}{{.Type}} {{.Name}}{{end}}{{end}}"#;
    p.docker(&["container", "inspect", "--format", format, container])
        .stdout
}

/// What a volume's data folder holds, as the inner engine keeps it (the sandbox's /var/lib/inner, its rootless data).
pub(super) fn volume_holds(p: &Probe, volume: &str, entry: &str) -> bool {
    p.shell(&format!(
        "test -d /var/lib/inner/volumes/{volume}/_data/{entry}"
    ))
    .ok()
}
