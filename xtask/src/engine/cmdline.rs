//! Command lines as text: how a transcript shows arguments, and how an article's command, kept as
//! text, becomes arguments (split like a POSIX shell would, without expansion).

use anyhow::{bail, Result};

/// A command line as a person would type it: `docker run -d --name 'a b' ...`.
pub fn shown(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Splits a command line the way a POSIX shell would for words, single and double quotes and
/// backslashes (no expansion): how an article's command, kept as text, becomes arguments.
pub fn split(line: &str) -> Result<Vec<String>> {
    split_expanding(line, |_| Ok("$".into()))
}

/// What follows a `$` outside single quotes, read from the line by the caller's expansion.
pub type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// [`split`], with each `$` outside single quotes replaced by what `dollar` reads after it (a
/// Dockerfile's `${NAME:-word}`, say).
pub fn split_expanding(
    line: &str,
    mut dollar: impl FnMut(&mut Chars) -> Result<String>,
) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("unclosed ' in {line:?}"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => bail!("unclosed \" in {line:?}"),
                        },
                        Some('$') => word.push_str(&dollar(&mut chars)?),
                        Some(c) => word.push(c),
                        None => bail!("unclosed \" in {line:?}"),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next() {
                    if c != '\n' {
                        word.push(c);
                        in_word = true;
                    }
                }
            }
            '$' => {
                in_word = true;
                word.push_str(&dollar(&mut chars)?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(
            split("docker run -p 8888:8888 \"$(pwd)\" 'a b' c\\ d").unwrap(),
            ["docker", "run", "-p", "8888:8888", "$(pwd)", "a b", "c d"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert!(split("echo 'open").is_err());
        assert_eq!(
            shown("docker", &["ls -l".into(), "x".into()]),
            "docker 'ls -l' x"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
