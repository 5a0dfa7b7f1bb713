//! An article's values for its placeholders: its table, overrides given on the command line, the
//! ones asked of the sandbox when their step comes, and secrets generated for the run.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};

use anyhow::{bail, Result};

use super::word_re;

/// Values for placeholders: the article's table, then `--set` pairs over it.
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub(super) values: BTreeMap<String, String>,
    /// Names whose value must never be shown: generated (`@secret`) or named like a password.
    pub(super) secret_names: BTreeSet<String>,
}

/// The shortest value a secret placeholder may have (see [`Values::set`]).
pub(super) const MIN_SECRET_CHARS: usize = 8;

/// The built-in table of each article (NAME=VALUE lines; `@secret` asks for a random value per run).
pub(super) const TABLES: &[(&str, &str)] = &[
    (
        "jupyter-docker-setup-guide",
        include_str!("../tables/jupyter-docker-setup-guide.txt"),
    ),
    (
        "manage-jupyter-data-docker",
        include_str!("../tables/manage-jupyter-data-docker.txt"),
    ),
    (
        "persist-jupyter-data-mysql-docker",
        include_str!("../tables/persist-jupyter-data-mysql-docker.txt"),
    ),
    (
        "multi-container-orchestration-docker-compose",
        include_str!("../tables/multi-container-orchestration-docker-compose.txt"),
    ),
    (
        "deploy-jupyter-docker-linode",
        include_str!("../tables/deploy-jupyter-docker-linode.txt"),
    ),
];

impl Values {
    /// The table of an article by slug (empty for an article without one).
    pub fn for_article(slug: &str) -> Values {
        TABLES
            .iter()
            .find(|(s, _)| *s == slug)
            .map(|(_, t)| Values::parse(t).expect("built-in table parses"))
            .unwrap_or_default()
    }

    /// NAME=VALUE lines; blank lines and `#` comments are skipped.
    pub fn parse(table: &str) -> Result<Values> {
        let mut values = Values::default();
        for (n, line) in table.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                bail!("line {}: {line:?} is not NAME=VALUE", n + 1);
            };
            values.set(name.trim(), value.trim())?;
        }
        Ok(values)
    }

    /// One value (a `--set NAME=VALUE` pair wins over the table). `@secret` makes a random one.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if word_re().find(name).map(|m| m.as_str()) != Some(name) && !super::is_template(name) {
            bail!("{name:?} is not a placeholder name: use capitals, digits and _ (like CONTAINER_ID), or a template as the guide writes it (like '[volume_name]')");
        }
        let generated = value == "@secret";
        let value = if generated {
            random_secret(name)
        } else {
            value.to_string()
        };
        if generated
            || ["PASSWORD", "SECRET", "TOKEN"]
                .iter()
                .any(|w| name.contains(w))
        {
            // Redaction replaces the value wherever it appears: a short one would blank out
            // ordinary words (every "e"), so it is refused, never shown.
            if value.chars().count() < MIN_SECRET_CHARS {
                bail!("{name} is a secret (redacted from every output), and its value is shorter than {MIN_SECRET_CHARS} characters, so its letters would be redacted everywhere: give one of at least {MIN_SECRET_CHARS} characters (--set {name}=...), or --set {name}=@secret for a random one");
            }
            self.secret_names.insert(name.to_string());
        }
        self.values.insert(name.to_string(), value);
        Ok(())
    }

    /// The table with these pairs over it (the `--set` flags).
    pub fn with(mut self, overrides: &BTreeMap<String, String>) -> Result<Values> {
        for (name, value) in overrides {
            self.set(name, value)?;
        }
        Ok(self)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The names whose value is `value` (a marker like `@hub-user`, filled when the replay starts).
    pub fn named_as(&self, value: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(_, v)| *v == value)
            .map(|(n, _)| n.clone())
            .collect()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Placeholders asked of the sandbox when their step comes (`NAME=@ask COMMAND`): the name and
    /// the command, whose one line of output is the value (a generated volume name, say).
    pub fn asked(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .filter_map(|(n, v)| {
                v.strip_prefix("@ask ")
                    .map(|c| (n.clone(), c.trim().to_string()))
            })
            .collect()
    }

    /// The values a report must redact.
    pub fn secrets(&self) -> Vec<String> {
        self.secret_names
            .iter()
            .filter_map(|n| self.values.get(n))
            .filter(|v| !v.is_empty())
            .cloned()
            .collect()
    }
}

/// A value no one can guess from the article or the code (std's hasher keys are random per process).
pub(super) fn random_secret(name: &str) -> String {
    let state = RandomState::new();
    format!(
        "wt-{:016x}{:016x}",
        state.hash_one(name),
        state.hash_one(std::time::SystemTime::now())
    )
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    #[test]
    fn filling_and_refusing() {
        let mut values = Values::parse("# comment\nCONTAINER_ID=web\n").unwrap();
        let steps = vec![
            Step {
                line: 3,
                end: 3,
                column: 0,
                kind: StepKind::Command {
                    place: crate::walkthrough::markdown::steps::Place::Host,
                    text: "docker logs CONTAINER_ID".into(),
                },
            },
            Step {
                line: 5,
                end: 5,
                column: 0,
                kind: StepKind::Command {
                    place: crate::walkthrough::markdown::steps::Place::Host,
                    text: "docker volume rm VOLUME_NAME".into(),
                },
            },
        ];
        let filled = fill(&steps, &values);
        assert_eq!(filled[0].text(), "docker logs web");
        match &filled[1].kind {
            StepKind::CannotRun { why, .. } => assert!(
                why.contains("VOLUME_NAME") && why.contains("--set VOLUME_NAME=VALUE"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        values = values
            .with(&BTreeMap::from([(
                "VOLUME_NAME".to_string(),
                "v1".to_string(),
            )]))
            .unwrap();
        assert_eq!(fill(&steps, &values)[1].text(), "docker volume rm v1");
    }

    #[test]
    fn secrets_are_known_and_generated() {
        let v = Values::parse("EXAMPLE_PASSWORD=@secret\nCONTAINER_ID=web\nDB_PASSWORD=hunter22")
            .unwrap();
        let pw = v.get("EXAMPLE_PASSWORD").unwrap();
        assert!(pw.starts_with("wt-") && pw.len() > 20, "{pw}");
        let secrets = v.secrets();
        assert!(secrets.contains(&pw.to_string()) && secrets.contains(&"hunter22".to_string()));
        assert!(!secrets.contains(&"web".to_string()));
    }

    #[test]
    fn short_secrets_are_refused_without_being_shown() {
        for short in ["e", "", "seven77"] {
            let error = Values::default()
                .with(&[("MYSQL_PASSWORD".to_string(), short.to_string())].into())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("MYSQL_PASSWORD")
                    && error.contains("at least 8 characters")
                    && !error.contains('\n'),
                "{error}"
            );
            assert!(
                short.len() < 2 || !error.contains(short),
                "the value is shown: {error}"
            );
        }
        let fine = Values::default()
            .with(&[("MYSQL_PASSWORD".to_string(), "eight888".to_string())].into())
            .unwrap();
        assert_eq!(fine.secrets(), ["eight888"]);
        // A short value that is no secret stays as it is.
        assert_eq!(
            Values::parse("CONTAINER_ID=e").unwrap().get("CONTAINER_ID"),
            Some("e")
        );
        assert!(Values::parse("not a pair").is_err());
        assert!(Values::parse("lower=x").is_err());
    }

    #[test]
    fn every_article_table_parses() {
        for (slug, _) in TABLES {
            let _ = Values::for_article(slug);
        }
    }
}
