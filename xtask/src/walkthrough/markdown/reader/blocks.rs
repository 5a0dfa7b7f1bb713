//! Blocks the reader finds in an article: fenced blocks, Hugo shortcodes around them, and the
//! indented blocks of older guides.

use std::sync::OnceLock;

use regex::Regex;

use super::Reader;
use crate::walkthrough::markdown::commands::{self};
use crate::walkthrough::markdown::lines::{dedent, indent_of, shortcode, WRAPPERS};
use crate::walkthrough::markdown::steps::StepKind;
use crate::walkthrough::markdown::text::re;

impl Reader<'_> {
    /// A fenced block from its opening line `i`; returns the line after its closing fence.
    pub(super) fn fence(&mut self, i: usize) -> usize {
        static INFO: OnceLock<Regex> = OnceLock::new();
        static ATTR: OnceLock<Regex> = OnceLock::new();
        let opening = self.lines[i].trim();
        let close = match self.closing_fence(i) {
            Ok(close) => close,
            Err(stop) => {
                let marker = &opening[..opening
                    .bytes()
                    .take_while(|b| *b == opening.as_bytes()[0])
                    .count()];
                let why = format!("a fence that is never closed (what follows it is not read as steps): close it with a line of {marker}");
                self.push(
                    i + 1,
                    i + 1,
                    StepKind::CannotRun {
                        text: opening.to_string(),
                        why,
                    },
                );
                return stop;
            }
        };
        let info = opening.trim_start_matches(['`', '~']).trim();
        let lang = re(&INFO, r"^[\w.+-]*")
            .find(info)
            .map_or("", |m| m.as_str())
            .to_lowercase();
        let attrs: Vec<(String, String)> = re(&ATTR, r#"(\w+)\s*=\s*"([^"]*)""#)
            .captures_iter(info)
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let indent = indent_of(self.lines[i]);
        let body: Vec<&str> = self.lines[i + 1..close]
            .iter()
            .map(|l| dedent(l, indent))
            .collect();
        let end = close + 1;
        let body = body.join("\n");
        match lang.as_str() {
            "command" | "bash" | "sh" | "shell" | "console" | "zsh" => {
                self.commands(i + 2, end, &body, attr("title"))
            }
            "file" => self.file(
                i + 1,
                end,
                attr("title").unwrap_or_default(),
                attr("lang").unwrap_or_default(),
                body,
            ),
            "output" => self.output(i + 1, end, body),
            _ => self.snippet(i + 1, end, &lang, body),
        }
        close + 1
    }

    /// The line closing the fence opened at `i`: its character, at least as many times. Else
    /// where its content would end (as CommonMark reads it): the end of the article, or of its list
    /// item (a line less indented than the item's content). That content is never read as steps.
    pub(super) fn closing_fence(&self, i: usize) -> Result<usize, usize> {
        let opening = self.lines[i].trim().as_bytes();
        let len = opening.iter().take_while(|b| **b == opening[0]).count();
        // A list item's content is indented to its column (a fence may sit further in).
        let item = indent_of(self.lines[i]).min(self.base);
        for j in i + 1..self.lines.len() {
            let t = self.lines[j].trim();
            if t.len() >= len && t.bytes().all(|b| b == opening[0]) {
                return Ok(j);
            }
            if item > 0 && !t.is_empty() && indent_of(self.lines[j]) < item {
                return Err(j);
            }
        }
        Err(self.lines.len())
    }

    /// `{{< file "NAME" lang >}}`, `{{< output >}}`, `{{< content "x" >}}` or a wrapper like `{{< note >}}`.
    pub(super) fn shortcode(&mut self, i: usize, closing: bool, name: &str, args: &str) -> usize {
        if WRAPPERS.contains(&name) {
            self.open_shortcodes = if closing {
                self.open_shortcodes.saturating_sub(1)
            } else {
                self.open_shortcodes + 1
            };
            return i + 1;
        }
        if name == "content" && !closing {
            let why = format!("includes the shared text {args}, which is not in this file");
            self.push(
                i + 1,
                i + 1,
                StepKind::CannotRun {
                    text: self.lines[i].trim().to_string(),
                    why,
                },
            );
            return i + 1;
        }
        if closing || !(name == "file" || name == "output") {
            return i + 1;
        }
        let close_tag = |l: &str| shortcode(l.trim()).is_some_and(|(c, n, _)| c && n == name);
        let Some(close) = (i + 1..self.lines.len()).find(|&j| close_tag(self.lines[j])) else {
            // Everything after it would be its content: none of it is read as steps.
            let why = format!(
                "a {{{{< {name} >}}}} that is never closed: close it with {{{{< /{name} >}}}}"
            );
            self.push(
                i + 1,
                i + 1,
                StepKind::CannotRun {
                    text: self.lines[i].trim().to_string(),
                    why,
                },
            );
            return self.lines.len();
        };
        let body = &self.lines[i + 1..close];
        let common = body
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent_of(l))
            .min()
            .unwrap_or(0);
        let content = body
            .iter()
            .map(|l| dedent(l, common))
            .collect::<Vec<_>>()
            .join("\n");
        let end = close + 1;
        if name == "output" {
            self.output(i + 1, end, content);
        } else {
            let mut words = args.splitn(2, char::is_whitespace);
            let file_name = words.next().unwrap_or("").trim_matches('"').to_string();
            let lang = words
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .to_string();
            self.file(i + 1, end, file_name, lang, content);
        }
        close + 1
    }

    /// An indented code block (older guides): commands if it reads as shell, else output or unreadable.
    pub(super) fn indented(&mut self, start: usize) -> usize {
        let min = self.base + 4;
        let mut j = start;
        while j < self.lines.len() {
            let l = self.lines[j];
            let t = l.trim();
            let inside = t.is_empty()
                || (indent_of(l) >= min && !t.starts_with("```") && shortcode(t).is_none());
            if !inside {
                break;
            }
            j += 1;
        }
        let last = (start..j)
            .rev()
            .find(|&k| !self.lines[k].trim().is_empty())
            .unwrap_or(start);
        let body = self.lines[start..=last]
            .iter()
            .map(|l| dedent(l, min))
            .collect::<Vec<_>>()
            .join("\n");
        if commands::looks_like_shell(&body) {
            self.commands(start + 1, last + 1, &body, None);
        } else {
            self.snippet(start + 1, last + 1, "", body);
        }
        j
    }
}
