//! Article 4, "Simplify Multi-Container Orchestration with Docker Compose"
//! (multi-container-orchestration-docker-compose). Its errata, which the corrected mode fixes: a bare
//! `depends_on` only orders the start, so the notebook may connect before MySQL accepts connections
//! (corrected: a healthcheck and `condition: service_healthy`); the root password travels as a build
//! argument into the image (corrected: run-time environment from `.env`, kept out of the image).
//! Its `docker system prune -a` is never run. The compose files are data/compose/*.yml.
//!
//! The section below is the corrected mode. The literal mode is the article replayed from its own
//! Markdown in the sandbox, with the claims of `literal.rs` checked at the steps they follow.
//! (`compose_file` and `stage_project` still make the article's own file for article 5's sections.)

pub mod attached;
mod literal;
mod project;
mod run;

use run::compose;

use anyhow::{bail, Result};

use super::session::Mode;
use super::Section;
use crate::engine::Docker;

pub const SECTIONS: &[Section] = &[Section {
    name: "Docker Compose",
    run: compose,
}];

/// The article's root password (its compose file sets it in the clear).
const PASSWORD: &str = "my-secret-pw";

/// The article's docker-compose.yaml, and the corrected one, with `{{placeholders}}`.
const LITERAL: &str = include_str!("data/compose/literal.yml");
const CORRECTED: &str = include_str!("data/compose/corrected.yml");

/// What runs Compose here: the v2 plugin where present, else Debian's docker-compose v1.
pub struct Tool {
    /// The command line's start: `docker compose` or `docker-compose`.
    pub program: &'static str,
    pub v1: bool,
}

impl Tool {
    pub fn find(docker: &Docker) -> Result<Tool> {
        if docker.probe(["compose", "version"]).is_some() {
            return Ok(Tool {
                program: "docker compose",
                v1: false,
            });
        }
        if duct::cmd!("docker-compose", "version")
            .stdout_null()
            .stderr_null()
            .unchecked()
            .run()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(Tool {
                program: "docker-compose",
                v1: true,
            });
        }
        bail!("neither `docker compose` nor `docker-compose` is installed: install one (Debian: `apt-get install docker-compose`)")
    }

    /// The image Compose builds for a service: `PROJECT_SERVICE` (v1) or `PROJECT-SERVICE` (v2).
    pub fn image_name(&self, project: &str, service: &str) -> String {
        format!("{project}{}{service}", if self.v1 { "_" } else { "-" })
    }
}

/// Everything the compose file needs to know.
pub struct Spec<'a> {
    pub mode: Mode,
    pub mysql_image: &'a str,
    pub base_image: &'a str,
    pub db: &'a str,
    pub jupyter: &'a str,
    /// Labels of the containers, the volume and the network; `image_labels` those of the built image.
    pub labels: &'a [(String, String)],
    pub image_labels: &'a [(String, String)],
}

/// The article's docker-compose.yaml (or the corrected one), with the project's labels, the locally
/// available images, the Jupyter port on loopback and `mysql-db` as an alias of a suffixed container.
pub fn compose_file(spec: &Spec) -> String {
    let template = if spec.mode == Mode::Corrected {
        CORRECTED
    } else {
        LITERAL
    };
    let alias = if spec.db == "mysql-db" {
        vec![]
    } else {
        [
            "networks:",
            "  default:",
            "    aliases:",
            "      - mysql-db",
        ]
        .map(String::from)
        .to_vec()
    };
    let values = [
        ("mysql_image", spec.mysql_image),
        ("db", spec.db),
        ("base_image", spec.base_image),
        ("jupyter", spec.jupyter),
    ];
    let blocks = [
        ("db_alias", alias),
        ("labels", label_lines(spec.labels)),
        ("image_labels", label_lines(spec.image_labels)),
    ];
    fill(template, &values, &blocks)
}

/// The article's project folder in `dir`: article 3's Dockerfile and its context, the
/// `.dockerignore` of steps 2-6, and in corrected mode the `.env` Compose reads the password from.
pub fn stage_project(dir: &std::path::Path, mode: Mode) -> Result<()> {
    crate::images::series::stage_article_folder(
        &crate::paths::docker_dir().join("series/mysql-connected.Dockerfile"),
        dir,
    )?;
    let ignore = if mode == Mode::Corrected {
        "Dockerfile\ndocker-compose.yaml\n.env\n"
    } else {
        "Dockerfile\ndocker-compose.yaml\n"
    };
    std::fs::write(dir.join(".dockerignore"), ignore)?;
    if mode == Mode::Corrected {
        std::fs::write(
            dir.join(".env"),
            format!("MYSQL_ROOT_PASSWORD={PASSWORD}\n"),
        )?;
    }
    Ok(())
}

/// `a; b` or `none`.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| i.as_ref())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `key: "value"` lines of a YAML mapping.
fn label_lines(labels: &[(String, String)]) -> Vec<String> {
    let quoted = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    labels
        .iter()
        .map(|(key, value)| format!("{key}: {}", quoted(value)))
        .collect()
}

/// Fills a template: a line that is only `{{name}}` takes the block `name`, each of its lines at
/// that line's indentation (an empty block drops the line); `{{name}}` inside a line takes a value.
fn fill(template: &str, values: &[(&str, &str)], blocks: &[(&str, Vec<String>)]) -> String {
    let mut out = String::new();
    for line in template.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        if let Some((_, block)) = blocks
            .iter()
            .find(|(name, _)| line.trim() == format!("{{{{{name}}}}}"))
        {
            block
                .iter()
                .for_each(|l| out.push_str(&format!("{indent}{l}\n")));
            continue;
        }
        let line = values.iter().fold(line.to_string(), |l, (name, value)| {
            l.replace(&format!("{{{{{name}}}}}"), value)
        });
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The claims of the literal mode, at the steps of the article they follow.
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Mode, db: &'static str) -> String {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let labels = vec![
            pair("jupyter-docker-xtask.managed", "true"),
            pair("jupyter-docker-xtask.owner", "xtask"),
            pair("jupyter-docker-xtask.creator", "12-34"),
        ];
        let image_labels = vec![pair("jupyter-docker-xtask.managed", "true")];
        compose_file(&Spec {
            mode,
            mysql_image: "mysql:8.4",
            base_image: "base:1",
            db,
            jupyter: "custom-jupyter-image",
            labels: &labels,
            image_labels: &image_labels,
        })
    }

    /// The article's own file, as article 5's sections (deploy.rs) still write it.
    #[test]
    fn literal_file_is_the_articles_with_labels() {
        let y = spec(Mode::Literal, "mysql-db");
        for line in [
            "version: '3.8'",
            "      - mysql-data:/var/lib/mysql",
            "      MYSQL_ROOT_PASSWORD: my-secret-pw",
            "        USER: root",
            "        PASSWORD: my-secret-pw",
            "      - mysql",
            "    stdin_open: true",
            "  mysql-data:",
        ] {
            assert!(y.lines().any(|l| l == line), "missing {line:?} in\n{y}");
        }
        assert!(
            !y.contains("healthcheck") && !y.contains("aliases") && !y.contains("{{"),
            "{y}"
        );
        assert_eq!(
            y.matches("jupyter-docker-xtask.owner: \"xtask\"").count(),
            4,
            "{y}"
        );
        assert_eq!(
            y.matches("jupyter-docker-xtask.managed: \"true\"").count(),
            5,
            "{y}"
        );
        assert!(y.contains("    labels:\n      jupyter-docker-xtask.managed: \"true\"\n      jupyter-docker-xtask.owner: \"xtask\"\n      jupyter-docker-xtask.creator: \"12-34\"\n  jupyter:\n"), "{y}");
    }

    #[test]
    fn corrected_file_waits_and_bakes_nothing() {
        let y = spec(Mode::Corrected, "mysql-db-suite-1-p2");
        assert!(y.contains("condition: service_healthy") && y.contains("healthcheck:"));
        assert!(!y.contains("my-secret-pw") && !y.contains("PASSWORD: my") && !y.contains("{{"));
        assert!(
            y.contains("    networks:\n      default:\n        aliases:\n          - mysql-db\n"),
            "alias for a suffixed name:\n{y}"
        );
        assert!(
            y.contains("      MYSQL_PASSWORD: ${MYSQL_ROOT_PASSWORD}\n"),
            "{y}"
        );
    }

    #[test]
    fn templates_fill_values_and_indented_blocks() {
        let filled = fill(
            "a: '{{x}}'\n  {{b}}\n  {{none}}\nend\n",
            &[("x", "1")],
            &[("b", vec!["k: v".into(), "l: w".into()]), ("none", vec![])],
        );
        assert_eq!(filled, "a: '1'\n  k: v\n  l: w\nend\n");
        assert_eq!(
            label_lines(&[("k".into(), "a\"b".into())]),
            ["k: \"a\\\"b\""]
        );
    }

    #[test]
    fn image_names_per_compose_version() {
        let v1 = Tool {
            program: "docker-compose",
            v1: true,
        };
        let v2 = Tool {
            program: "docker compose",
            v1: false,
        };
        assert_eq!(v1.image_name("jupyter", "jupyter"), "jupyter_jupyter");
        assert_eq!(v2.image_name("jupyter", "jupyter"), "jupyter-jupyter");
    }
}
