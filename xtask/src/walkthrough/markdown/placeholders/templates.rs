//! Other guides' templates in commands: `[volume_name]`, `<container name>`, `{image}`.

use std::sync::OnceLock;

use regex::Regex;

use super::spans;

/// A template in a command: a name in brackets, angle brackets or single braces, lowercase,
/// hyphens and spaces allowed (`[volume_name]`, `<container name>`, `{image}`). Not `${VAR}`,
/// `{{.Names}}`, `[ -f x ]`, `{a,b}` or a redirection (`< file`).
fn template_re() -> &'static Regex {
    static TEMPLATE: OnceLock<Regex> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        Regex::new(r"(?:^|[^$%\w{\[<])(\[[A-Za-z][\w -]*[A-Za-z0-9]\]|<[A-Za-z][\w-]*(?: [\w-]+)*>|\{[A-Za-z][\w -]*[A-Za-z0-9]\})(?:$|[^\w}\]>])").unwrap()
    })
}

/// Whether `name` is a template as [`template_re`] finds them (a `--set` name).
pub fn is_template(name: &str) -> bool {
    template_re().captures(name).is_some_and(|c| &c[1] == name)
}

/// The templates of a shell command, in order. A `{name}` inside quotes is a format string's
/// (`curl -w '%{http_code}'`, a Python f-string), not a template.
pub(super) fn templates(text: &str) -> Vec<String> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let quoted = spans(text, &QUOTED, r#""[^"]*"|'[^']*'"#);
    let in_quotes = |at: usize| quoted.iter().any(|(s, e)| *s < at && at < *e);
    // Overlapping matches share their separator: search again from each match's name.
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(c) = template_re().captures_at(text, at) {
        let m = c.get(1).unwrap();
        if !(m.as_str().starts_with('{') && in_quotes(m.start())) {
            found.push(m.as_str().to_string());
        }
        at = m.end();
    }
    found
}
