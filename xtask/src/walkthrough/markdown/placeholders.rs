//! Placeholders in capitals (`CONTAINER_ID`, `EXAMPLE_PASSWORD`, `YOUR_DOCKER_HUB_USERNAME`): found
//! in commands and files, filled from the article's table or `--set NAME=VALUE`. A step with a
//! placeholder left unfilled cannot run, and says which one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use anyhow::{bail, Result};
use regex::Regex;

use super::steps::{Step, StepKind};

/// How much of a text is code, which decides what a capital word can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// A shell command: any capital word that is not a key, a variable or a keyword.
    Shell,
    /// A data file (.env, Dockerfile, YAML, config): words with an underscore that are not keys or variables.
    Data,
    /// Program code (Python, JavaScript): only words that say they are examples (`YOUR_...`, `EXAMPLE_...`).
    Code,
}

impl Context {
    pub fn of_file(name: &str, lang: &str) -> Context {
        let data_langs = [
            "",
            "env",
            "text",
            "txt",
            "conf",
            "ini",
            "toml",
            "yaml",
            "yml",
            "docker",
            "dockerfile",
            "properties",
        ];
        let lower = name.to_lowercase();
        let data_name = lower.ends_with(".env")
            || lower.ends_with("dockerfile")
            || lower.ends_with(".yml")
            || lower.ends_with(".yaml");
        if data_name || data_langs.contains(&lang.to_lowercase().as_str()) {
            Context::Data
        } else {
            Context::Code
        }
    }
}

/// Capital words that are part of the language, not placeholders.
const KEYWORDS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "EOF", "PATH", "HOME", "USER",
    "PWD", "TCP", "UDP", "HTTP", "HTTPS", "API", "URL", "JSON", "YAML", "SQL", "UTF", "README",
    "LICENSE", "SIGINT", "SIGTERM", "SIGKILL",
];

/// ASCII word boundaries: the regex engine's fast path (a Unicode one is slow on long lines).
fn word_re() -> &'static Regex {
    static WORD: OnceLock<Regex> = OnceLock::new();
    WORD.get_or_init(|| Regex::new(r"(?-u:\b)[A-Z][A-Z0-9_]{2,}(?-u:\b)").unwrap())
}

/// Byte ranges of quoted strings and `${...}` expansions in a line.
fn spans(line: &str, pattern: &'static OnceLock<Regex>, re: &str) -> Vec<(usize, usize)> {
    let r = pattern.get_or_init(|| Regex::new(re).unwrap());
    r.find_iter(line).map(|m| (m.start(), m.end())).collect()
}

/// The placeholders of a text, each once, in the order they first appear.
pub fn find(text: &str, context: Context) -> Vec<String> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static EXPANSION: OnceLock<Regex> = OnceLock::new();
    let mut found: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        let quoted = spans(line, &QUOTED, r#""[^"]*"|'[^']*'"#);
        let expansions = spans(line, &EXPANSION, r"\$\{[^}]*\}");
        // Spans come in order and apart: the one that can hold `at` is the last starting at or before it.
        let inside = |at: usize, list: &[(usize, usize)]| {
            list[..list.partition_point(|(s, _)| *s <= at)]
                .last()
                .is_some_and(|(_, e)| at < *e)
        };
        for m in word_re().find_iter(line) {
            let word = m.as_str();
            let before = &line[..m.start()];
            let after = &line[m.end()..];
            let variable =
                before.ends_with('$') || before.ends_with('%') || inside(m.start(), &expansions);
            let key = (after.trim_start().starts_with('=')
                && !after.trim_start().starts_with("=="))
                || after.starts_with(": ")
                || after == ":";
            let example = word.starts_with("YOUR_") || word.starts_with("EXAMPLE_");
            let underscored = word.contains('_');
            let is_placeholder = !variable
                && !key
                && !word.starts_with('_')
                && match context {
                    Context::Code => example,
                    Context::Data => underscored,
                    Context::Shell => {
                        example
                            || ((underscored || !inside(m.start(), &quoted))
                                && !KEYWORDS.contains(&word))
                    }
                };
            if is_placeholder && seen.insert(word) {
                found.push(word.to_string());
            }
        }
    }
    found
}

/// Values for placeholders: the article's table, then `--set` pairs over it.
#[derive(Clone, Debug, Default)]
pub struct Values {
    values: BTreeMap<String, String>,
    /// Names whose value must never be shown: generated (`@secret`) or named like a password.
    secret_names: BTreeSet<String>,
}

/// The shortest value a secret placeholder may have (see [`Values::set`]).
const MIN_SECRET_CHARS: usize = 8;

/// The built-in table of each article (NAME=VALUE lines; `@secret` asks for a random value per run).
const TABLES: &[(&str, &str)] = &[
    (
        "jupyter-docker-setup-guide",
        include_str!("tables/jupyter-docker-setup-guide.txt"),
    ),
    (
        "manage-jupyter-data-docker",
        include_str!("tables/manage-jupyter-data-docker.txt"),
    ),
    (
        "persist-jupyter-data-mysql-docker",
        include_str!("tables/persist-jupyter-data-mysql-docker.txt"),
    ),
    (
        "multi-container-orchestration-docker-compose",
        include_str!("tables/multi-container-orchestration-docker-compose.txt"),
    ),
    (
        "deploy-jupyter-docker-linode",
        include_str!("tables/deploy-jupyter-docker-linode.txt"),
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
        if word_re().find(name).map(|m| m.as_str()) != Some(name) {
            bail!("{name:?} is not a placeholder name: use capitals, digits and _ (like CONTAINER_ID)");
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
fn random_secret(name: &str) -> String {
    let state = RandomState::new();
    format!(
        "wt-{:016x}{:016x}",
        state.hash_one(name),
        state.hash_one(std::time::SystemTime::now())
    )
}

/// Replace whole-word occurrences of `word` (an ASCII placeholder) in `text`.
pub fn replace_word(text: &str, word: &str, value: &str) -> String {
    // By hand, not a regex: an article's word can be megabytes long, too big for one.
    let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices(word) {
        if edge(text[..i].chars().next_back()) && edge(text[i + word.len()..].chars().next()) {
            out.push_str(&text[last..i]);
            out.push_str(value);
            last = i + word.len();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The placeholders of one step (outputs, signals and cannot-run steps have none to fill).
pub fn of_step(step: &Step) -> Vec<String> {
    match &step.kind {
        StepKind::Command { text, .. } => find(text, Context::Shell),
        StepKind::File {
            name,
            lang,
            content,
        } => find(content, Context::of_file(name, lang)),
        StepKind::Cell { code, .. } => find(code, Context::Code),
        _ => Vec::new(),
    }
}

/// Every placeholder the steps use, plus the table's names: in expected outputs they match anything.
pub fn all(steps: &[Step], values: &Values) -> Vec<String> {
    let mut names: Vec<String> = values.names().map(String::from).collect();
    let mut seen: HashSet<String> = names.iter().cloned().collect();
    for s in steps {
        for p in of_step(s) {
            if seen.insert(p.clone()) {
                names.push(p);
            }
        }
    }
    names
}

/// The steps with their placeholders filled; a step with one left unfilled becomes CannotRun.
pub fn fill(steps: &[Step], values: &Values) -> Vec<Step> {
    steps
        .iter()
        .map(|step| {
            let found = of_step(step);
            let missing: Vec<&String> = found.iter().filter(|p| values.get(p).is_none()).collect();
            if !missing.is_empty() {
                let names = missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let how = missing
                    .iter()
                    .map(|m| format!("--set {m}=VALUE"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let why = format!("placeholder {names} has no value: give one with {how}");
                return Step {
                    kind: StepKind::CannotRun {
                        text: step.text().to_string(),
                        why,
                    },
                    ..step.clone()
                };
            }
            // An asked placeholder stays as written: the executor fills it when the step comes.
            let put = |text: &str| {
                found
                    .iter()
                    .filter(|p| !values.get(p).unwrap_or_default().starts_with("@ask "))
                    .fold(text.to_string(), |t, p| {
                        replace_word(&t, p, values.get(p).unwrap_or_default())
                    })
            };
            let kind = match &step.kind {
                StepKind::Command { place, text } => StepKind::Command {
                    place: place.clone(),
                    text: put(text),
                },
                StepKind::File {
                    name,
                    lang,
                    content,
                } => StepKind::File {
                    name: name.clone(),
                    lang: lang.clone(),
                    content: put(content),
                },
                StepKind::Cell { notebook, code } => StepKind::Cell {
                    notebook: notebook.clone(),
                    code: put(code),
                },
                other => other.clone(),
            };
            Step {
                kind,
                ..step.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_not_placeholders_but_their_values_are() {
        assert_eq!(
            find(
                "docker run -d -e MYSQL_ROOT_PASSWORD=EXAMPLE_PASSWORD mysql",
                Context::Shell
            ),
            ["EXAMPLE_PASSWORD"]
        );
        assert_eq!(
            find("docker build --build-arg USER=EXAMPLE_USER --build-arg PASSWORD=EXAMPLE_PASSWORD -t x .", Context::Shell),
            ["EXAMPLE_USER", "EXAMPLE_PASSWORD"]
        );
        assert_eq!(
            find(
                "MYSQL_USER=EXAMPLE_USERNAME\nMYSQL_PASSWORD=EXAMPLE_PASSWORD",
                Context::Data
            ),
            ["EXAMPLE_USERNAME", "EXAMPLE_PASSWORD"]
        );
    }

    #[test]
    fn code_is_not_mistaken_for_placeholders() {
        let dockerfile = "FROM jupyter/minimal-notebook\nCOPY --chown=$NB_UID:$NB_GID . /work\nARG USER\nENV MYSQL_USER=${USER:-NOT_DEFINED}";
        assert!(
            find(dockerfile, Context::Data).is_empty(),
            "{:?}",
            find(dockerfile, Context::Data)
        );
        assert!(find(
            "environment:\n  MYSQL_ROOT_PASSWORD: my-secret-pw\n  - PGUSER=postgres",
            Context::Data
        )
        .is_empty());
        let python = "mysql_user = os.getenv('MYSQL_USER')\nmycursor.execute(\"CREATE TABLE T_2020 (TripID VARCHAR(255))\")";
        assert!(find(python, Context::Code).is_empty());
        assert!(find(
            "psql -d template1 -c \"ALTER USER postgres WITH PASSWORD 'newpassword';\"",
            Context::Shell
        )
        .is_empty());
        assert!(find("curl -X POST http://x", Context::Shell).is_empty());
    }

    #[test]
    fn shell_placeholders_with_and_without_underscores() {
        assert_eq!(
            find("docker stop CONTAINER_ID_OR_NAME", Context::Shell),
            ["CONTAINER_ID_OR_NAME"]
        );
        assert_eq!(find("docker pull IMAGE", Context::Shell), ["IMAGE"]);
        assert_eq!(
            find(
                "docker tag a YOUR_DOCKER_HUB_USERNAME/p && docker push YOUR_DOCKER_HUB_USERNAME/p",
                Context::Shell
            ),
            ["YOUR_DOCKER_HUB_USERNAME"]
        );
    }

    #[test]
    fn a_comparison_is_no_assignment_and_prefixes_stay_whole() {
        assert_eq!(
            find(
                "[ STATUS == running ] && docker start NAME_OR_ID",
                Context::Shell
            ),
            ["STATUS", "NAME_OR_ID"]
        );
        assert_eq!(
            find("MODE=fast docker run IMAGE", Context::Shell),
            ["IMAGE"]
        );
        assert_eq!(
            replace_word("docker tag IMAGE IMAGE_TAG", "IMAGE", "nginx"),
            "docker tag nginx IMAGE_TAG"
        );
        assert_eq!(
            replace_word("MY_IMAGE IMAGE2 IMAGE.tar IMAGE", "IMAGE", "x"),
            "MY_IMAGE IMAGE2 x.tar x"
        );
    }

    #[test]
    fn filling_and_refusing() {
        let mut values = Values::parse("# comment\nCONTAINER_ID=web\n").unwrap();
        let steps = vec![
            Step {
                line: 3,
                end: 3,
                column: 0,
                kind: StepKind::Command {
                    place: super::super::steps::Place::Host,
                    text: "docker logs CONTAINER_ID".into(),
                },
            },
            Step {
                line: 5,
                end: 5,
                column: 0,
                kind: StepKind::Command {
                    place: super::super::steps::Place::Host,
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
