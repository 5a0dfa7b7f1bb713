//! Small text helpers every layer of the replay shares: a regex compiled once, and redaction of
//! secrets and Jupyter tokens. Imports nothing of the replay.

use std::sync::OnceLock;

use regex::Regex;

/// A regex compiled once, on first use.
pub fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap())
}

pub use crate::jupyter::token::redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let text = "http://127.0.0.1:8888/lab?token=13f6290e9454f435fee306e8a448d8ceb1a8867c6ee76815 pw hunter22";
        assert_eq!(
            redact(text, &["hunter22".into()]),
            "http://127.0.0.1:8888/lab?token=<redacted> pw <redacted>"
        );
    }
}
