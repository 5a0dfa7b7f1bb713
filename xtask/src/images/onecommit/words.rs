//! A Dockerfile's instructions and words as the legacy builder reads them: continued lines,
//! comments, quotes, backslash escapes and `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}`
//! from the variables in scope.

use anyhow::{bail, Result};

use crate::engine::cmdline::{split_expanding, Chars};

/// The variables an instruction's words are expanded with (later entries win).
pub type Vars = [(String, String)];

fn lookup<'a>(vars: &'a Vars, name: &str) -> Option<&'a str> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Splits `text` into words at unquoted whitespace, removing quotes and escapes and expanding
/// variables (none inside single quotes): the shell's word splitting, with the builder's `$`.
pub fn words(text: &str, vars: &Vars) -> Result<Vec<String>> {
    split_expanding(text, |chars| expansion(chars, vars, text))
}

/// One word (the whole text, quotes removed, variables expanded): `${A:-x y}` stays one word.
pub fn word(text: &str, vars: &Vars) -> Result<String> {
    match &words(text, vars)?[..] {
        [one] => Ok(one.clone()),
        other => bail!("{text:?} is {} words where one is expected", other.len()),
    }
}

/// What follows a `$`: a name, or a braced name with an optional `:-` or `:+` word.
fn expansion(chars: &mut Chars, vars: &Vars, text: &str) -> Result<String> {
    let is_name = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    if chars.peek() != Some(&'{') {
        let mut name = String::new();
        while let Some(c) = chars.next_if(is_name) {
            name.push(c);
        }
        if name.is_empty() {
            return Ok("$".into());
        }
        return Ok(lookup(vars, &name).unwrap_or_default().to_string());
    }
    chars.next();
    let mut inner = String::new();
    loop {
        match chars.next() {
            Some('}') => break,
            Some(c) => inner.push(c),
            None => bail!("unclosed ${{ in {text:?}"),
        }
    }
    let (name, op, alt) = match inner.find(':') {
        Some(i) => (&inner[..i], &inner[i + 1..i + 2], &inner[i + 2..]),
        None => (inner.as_str(), "", ""),
    };
    if name.is_empty() || !name.chars().all(|c| is_name(&c)) {
        bail!("${{{inner}}} in {text:?}: not a variable name");
    }
    let value = lookup(vars, name).filter(|v| !v.is_empty());
    Ok(match op {
        "" => lookup(vars, name).unwrap_or_default().to_string(),
        "-" => match value {
            Some(v) => v.to_string(),
            None => words(alt, vars)?.join(" "),
        },
        "+" => match value {
            Some(_) => words(alt, vars)?.join(" "),
            None => String::new(),
        },
        _ => bail!("${{{inner}}} in {text:?}: only :- and :+ are read here"),
    })
}

/// `(line number, INSTRUCTION, the rest)` of each instruction: continuation lines joined,
/// comments and blank lines left out.
pub fn instructions(text: &str) -> Result<Vec<(usize, String, String)>> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            if pending.is_none() && line.to_lowercase().replace(' ', "").starts_with("#escape=") {
                bail!("line {}: an escape directive is not read here", i + 1);
            }
            continue;
        }
        if line.is_empty() && pending.is_none() {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                pending = Some((start, joined));
            }
            None => {
                joined.push_str(line);
                let (instruction, rest) = joined
                    .split_once(char::is_whitespace)
                    .unwrap_or((joined.as_str(), ""));
                out.push((start, instruction.to_uppercase(), rest.trim().to_string()));
            }
        }
    }
    if let Some((start, _)) = pending {
        bail!("line {start}: the file ends inside a continued line");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(String, String)> {
        vec![
            ("NB_UID".into(), "1000".into()),
            ("NB_GID".into(), "100".into()),
            ("EMPTY".into(), String::new()),
        ]
    }

    #[test]
    fn variables_expand_as_the_builder_expands_them() {
        let v = vars();
        assert_eq!(
            words("--chown=$NB_UID:${NB_GID} . /work", &v).unwrap(),
            ["--chown=1000:100", ".", "/work"]
        );
        assert_eq!(word("${USER:-NOT_DEFINED}", &v).unwrap(), "NOT_DEFINED");
        assert_eq!(word("${EMPTY:-fallback}", &v).unwrap(), "fallback");
        assert_eq!(word("${NB_UID:-x}", &v).unwrap(), "1000");
        assert_eq!(word("${NB_UID:+set}", &v).unwrap(), "set");
        assert_eq!(words("${MISSING:+set}", &v).unwrap(), [""]);
        assert_eq!(word("$MISSING-a", &v).unwrap(), "-a");
        assert!(word("${NB_UID?x}", &v).is_err());
        assert!(word("${NB_UID:?x}", &v).is_err());
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        let v = vars();
        assert_eq!(
            words("K=\"a b\" L='$NB_UID'", &v).unwrap(),
            ["K=a b", "L=$NB_UID"]
        );
        assert_eq!(
            words(r#"a\ b "x\"y" \$NB_UID"#, &v).unwrap(),
            ["a b", "x\"y", "$NB_UID"]
        );
        assert_eq!(words("  8888  9999 ", &v).unwrap(), ["8888", "9999"]);
        assert!(words("'open", &v).is_err());
        assert!(words("\"open", &v).is_err());
        assert!(words("${open", &v).is_err());
        assert!(word("a b", &v).is_err());
    }
}
