//! Placeholders in capitals (`CONTAINER_ID`, `EXAMPLE_PASSWORD`, `YOUR_DOCKER_HUB_USERNAME`), and
//! in commands the templates of other guides (`[volume_name]`, `<container name>`, `{image}`):
//! found in commands and files, filled from the article's table or `--set NAME=VALUE`. A step
//! with a placeholder left unfilled cannot run: it needs a value, and says which one.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::steps::{Step, StepKind};

mod templates;
mod values;

pub use templates::is_template;
use templates::templates;

pub use values::Values;

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

/// What a step that needs a value says first (the summary counts them apart from other cannot-run steps).
pub const NEEDS_A_VALUE: &str = "needs a value";

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
    if context == Context::Shell {
        for t in templates(text) {
            if !found.contains(&t) {
                found.push(t);
            }
        }
    }
    found
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
                    .map(|m| match m.contains(' ') || is_template(m) {
                        true => format!("--set '{m}=VALUE'"),
                        false => format!("--set {m}=VALUE"),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let why = format!(
                    "{NEEDS_A_VALUE}: placeholder {names} has no value: give one with {how}"
                );
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
    fn templates_are_placeholders_and_shell_syntax_is_not() {
        assert_eq!(
            find(
                "docker run --mount source=[volume_name],destination=[path] [docker_image]",
                Context::Shell
            ),
            ["[volume_name]", "[path]", "[docker_image]"]
        );
        assert_eq!(
            find("docker stop <container name> {image}", Context::Shell),
            ["<container name>", "{image}"]
        );
        for shell in [
            "docker ps --format '{{.Names}} {{.Status}}'",
            "echo ${name} ${HOME}",
            "[ -f x ] && cp {a,b}",
            "mysql -u root < init.sql > out.txt",
            "cat <input >output",
            "ls [0-9]*",
            "curl -s -o /dev/null -w 'upload %{http_code}\n' http://x/",
            "python3 -c 'print(f\"{name}\")'",
        ] {
            assert_eq!(find(shell, Context::Shell), Vec::<String>::new(), "{shell}");
        }
        // Only in commands: a Python list or a YAML flow sequence is not a template.
        assert!(find("x = [value]", Context::Code).is_empty());
        assert!(find("ports: [http]", Context::Data).is_empty());
        assert!(is_template("<container name>") && !is_template("CONTAINER"));
        assert_eq!(
            replace_word("docker volume rm [volume_name]", "[volume_name]", "data"),
            "docker volume rm data"
        );
    }

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
}
