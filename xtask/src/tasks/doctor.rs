//! `cargo xtask doctor`: what this machine has for running the project, each problem on one line
//! with its fix. Gathering facts (docker calls) is kept apart from judging them, so the judging is
//! unit-tested with made-up facts.

use anyhow::{bail, Result};
use xshell::{cmd, Shell};

use crate::engine::Docker;
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Doctor {
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// What was found on this machine.
#[derive(Debug, Clone)]
pub struct Facts {
    pub client: Option<String>,
    pub engine: Result<String, String>,
    pub rootless: bool,
    pub buildx: Option<String>,
    pub compose_plugin: Option<String>,
    pub compose_v1: Option<String>,
    pub official_present: bool,
    pub mmdebstrap: bool,
    pub free_gib: Option<f64>,
    pub port_8888_free: bool,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            client: None,
            engine: Err("not checked".into()),
            rootless: false,
            buildx: None,
            compose_plugin: None,
            compose_v1: None,
            official_present: false,
            mmdebstrap: false,
            free_gib: None,
            port_8888_free: false,
        }
    }
}

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug)]
pub struct Check {
    pub name: &'static str,
    pub level: Level,
    pub detail: String,
}

fn check(name: &'static str, level: Level, detail: impl Into<String>) -> Check {
    Check {
        name,
        level,
        detail: detail.into(),
    }
}

/// Judges the facts: every problem carries its fix.
pub fn assess(f: &Facts) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(match &f.client {
        Some(v) => check("docker client", Level::Ok, v.clone()),
        None => check(
            "docker client",
            Level::Fail,
            "not found on PATH: install Docker (Debian: `apt-get install docker.io`)",
        ),
    });
    checks.push(match &f.engine {
        Ok(v) => check("docker engine", Level::Ok, format!("{v}, answering")),
        Err(why) => check("docker engine", Level::Fail, format!("does not answer ({why}): start it (`dockerd &` or `systemctl start docker`) or set DOCKER_HOST")),
    });
    checks.push(if f.rootless {
        check("rootless", Level::Warn, "rootless engine: container uid 1000 maps to a host subuid, so bind-mounted files look owned by another uid; use `up --writable-notebooks` for editing")
    } else {
        check("rootless", Level::Ok, "no (rootful engine)")
    });
    checks.push(match &f.buildx {
        Some(v) => check("builder", Level::Ok, format!("BuildKit (buildx {v})")),
        None => check(
            "builder",
            Level::Ok,
            "legacy builder (no buildx): fine, the Dockerfiles use no BuildKit-only features",
        ),
    });
    checks.push(match (&f.compose_plugin, &f.compose_v1) {
        (Some(v), _) => check("compose", Level::Ok, format!("`docker compose` plugin {v}")),
        (None, Some(v)) => check("compose", Level::Ok, format!("`docker-compose` v1 {v} (no v2 plugin)")),
        (None, None) => check("compose", Level::Warn, "neither `docker compose` nor `docker-compose`: only the compose walkthrough needs it (Debian: `apt-get install docker-compose`)"),
    });
    checks.push(if f.official_present {
        check("official base", Level::Ok, format!("{} present", crate::images::base::OFFICIAL))
    } else {
        check("official base", Level::Ok, format!("{} not present: `cargo xtask base` tries to pull it, else builds the offline stand-in", crate::images::base::OFFICIAL))
    });
    checks.push(match (f.mmdebstrap, f.official_present) {
        (true, _) => check("mmdebstrap", Level::Ok, "present (for the offline base image)"),
        (false, true) => check("mmdebstrap", Level::Warn, "missing: only needed for `base --source local` (`apt-get install mmdebstrap`)"),
        (false, false) => check("mmdebstrap", Level::Fail, "missing, and the official base image is not present: install it (`apt-get install mmdebstrap`) unless a registry can be reached"),
    });
    checks.push(match f.free_gib {
        Some(g) if g < 3.0 => check("free disk", Level::Fail, format!("{g:.1} GiB free where Docker keeps its data: free at least 5 GiB (remove unused images)")),
        Some(g) if g < 5.0 => check("free disk", Level::Warn, format!("{g:.1} GiB free: the images need about 3 GiB; 5 GiB or more is comfortable")),
        Some(g) => check("free disk", Level::Ok, format!("{g:.1} GiB free")),
        None => check("free disk", Level::Warn, "could not be measured (`df` failed)"),
    });
    checks.push(if f.port_8888_free {
        check("port 8888", Level::Ok, "free on 127.0.0.1")
    } else {
        check(
            "port 8888",
            Level::Warn,
            "taken on 127.0.0.1: `cargo xtask up --port 0` lets Docker pick a free port",
        )
    });
    checks
}

impl Doctor {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let facts = gather(sh);
        let checks = assess(&facts);
        let failed = checks.iter().filter(|c| c.level == Level::Fail).count();
        if self.json {
            let items: Vec<_> = checks
                .iter()
                .map(|c| serde_json::json!({"check": c.name, "level": format!("{:?}", c.level).to_lowercase(), "detail": c.detail}))
                .collect();
            say(serde_json::json!({"ok": failed == 0, "checks": items}));
        } else {
            for c in &checks {
                let tag = match c.level {
                    Level::Ok => "ok  ",
                    Level::Warn => "warn",
                    Level::Fail => "FAIL",
                };
                say(format_args!("{tag} {:<14} {}", c.name, c.detail));
            }
        }
        if failed > 0 {
            bail!("{failed} required check(s) failed: see the FAIL lines for the fix");
        }
        Ok(())
    }
}

fn gather(sh: &Shell) -> Facts {
    let docker = Docker::new(sh);
    let quiet = |c: xshell::Cmd| {
        c.quiet()
            .ignore_stderr()
            .read()
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let ask = |args: &[&str]| docker.probe(args).filter(|s| !s.is_empty());
    let engine = docker.require_engine().map_err(|e| {
        let text = e.to_string();
        text.split_once('(')
            .and_then(|(_, rest)| rest.rsplit_once(')'))
            .map(|(why, _)| why.to_string())
            .unwrap_or(text)
    });
    let up = engine.is_ok();
    let info = |format: &str| {
        if up {
            ask(&["info", "--format", format])
        } else {
            None
        }
    };
    let root_dir = info("{{.DockerRootDir}}");
    Facts {
        client: ask(&["--version"]),
        rootless: info("{{.SecurityOptions}}").is_some_and(|s| s.contains("rootless")),
        buildx: ask(&["buildx", "version"]),
        compose_plugin: ask(&["compose", "version", "--short"]),
        compose_v1: quiet(cmd!(sh, "docker-compose --version")),
        official_present: up && docker.image_exists(crate::images::base::OFFICIAL),
        mmdebstrap: quiet(cmd!(sh, "mmdebstrap --version")).is_some(),
        free_gib: free_gib(
            sh,
            root_dir
                .as_deref()
                .filter(|d| std::path::Path::new(d).exists())
                .unwrap_or("."),
        ),
        port_8888_free: std::net::TcpListener::bind("127.0.0.1:8888").is_ok(),
        engine,
    }
}

fn free_gib(sh: &Shell, dir: &str) -> Option<f64> {
    let out = cmd!(sh, "df -Pk {dir}")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()?;
    parse_df_free_gib(&out)
}

/// Available space from `df -Pk` output, in GiB.
pub fn parse_df_free_gib(out: &str) -> Option<f64> {
    let kib: f64 = out
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kib / 1024.0 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Facts {
        Facts {
            client: Some("Docker version 28.2.2".into()),
            engine: Ok("20.10.24".into()),
            compose_v1: Some("docker-compose version 1.29.2".into()),
            mmdebstrap: true,
            free_gib: Some(80.0),
            port_8888_free: true,
            ..Facts::default()
        }
    }

    fn level_of(checks: &[Check], name: &str) -> Level {
        checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.level)
            .unwrap()
    }

    #[test]
    fn a_healthy_machine_has_no_failures() {
        assert!(assess(&healthy()).iter().all(|c| c.level != Level::Fail));
    }

    #[test]
    fn a_dead_engine_fails_with_its_fix() {
        let facts = Facts {
            engine: Err("Cannot connect to the Docker daemon".into()),
            ..healthy()
        };
        let checks = assess(&facts);
        let engine = checks.iter().find(|c| c.name == "docker engine").unwrap();
        assert_eq!(engine.level, Level::Fail);
        assert!(engine.detail.contains("dockerd") && engine.detail.contains("Cannot connect"));
    }

    #[test]
    fn mmdebstrap_is_required_only_without_the_official_image() {
        let without = Facts {
            mmdebstrap: false,
            ..healthy()
        };
        assert_eq!(level_of(&assess(&without), "mmdebstrap"), Level::Fail);
        let with_official = Facts {
            mmdebstrap: false,
            official_present: true,
            ..healthy()
        };
        assert_eq!(level_of(&assess(&with_official), "mmdebstrap"), Level::Warn);
    }

    #[test]
    fn port_disk_and_compose() {
        let f = Facts {
            port_8888_free: false,
            free_gib: Some(1.0),
            compose_v1: None,
            ..healthy()
        };
        let checks = assess(&f);
        assert_eq!(level_of(&checks, "port 8888"), Level::Warn);
        assert!(checks
            .iter()
            .any(|c| c.name == "port 8888" && c.detail.contains("--port 0")));
        assert_eq!(level_of(&checks, "free disk"), Level::Fail);
        assert_eq!(level_of(&checks, "compose"), Level::Warn);
        assert_eq!(
            level_of(
                &assess(&Facts {
                    client: None,
                    ..healthy()
                }),
                "docker client"
            ),
            Level::Fail
        );
    }

    #[test]
    fn df_output() {
        let out = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/vda 264091648 12345678 83886080 13% /\n";
        assert_eq!(parse_df_free_gib(out), Some(80.0));
        assert_eq!(parse_df_free_gib("garbage"), None);
    }
}
