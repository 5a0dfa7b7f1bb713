//! Reads a Linode-docs (Hugo) Markdown tutorial into its ordered steps: ```` ```command ````,
//! ```` ```file ```` and ```` ```output ```` fences (also indented inside list items), the older
//! `{{< file >}}` / `{{< output >}}` shortcodes and indented code blocks, and the prose steps it
//! can make plain (Ctrl+C, "type `exit` and press Enter"). Whatever it cannot run is listed with why.

use std::sync::OnceLock;

use regex::Regex;

use super::commands::{self, ProseAction};
use super::lines::{bullet, indent_of, numbered_item, shortcode};
use super::steps::{Place, Step, StepKind};
use super::text::re;

mod blocks;

/// The steps of an article, in order, placeholders as written (see `placeholders::fill`).
pub fn read(article: &str) -> Vec<Step> {
    let lines: Vec<&str> = article.lines().collect();
    let start = front_matter_end(&lines);
    let reader = Reader {
        lines,
        steps: Vec::new(),
        place: Place::Host,
        base: 0,
        open_shortcodes: 0,
        item: None,
        running: Vec::new(),
        shells: Vec::new(),
        last_prose: String::new(),
    };
    reader.run(start)
}

/// A front-matter value (`title`, `slug`), unquoted.
pub fn front_matter(article: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = article.lines().collect();
    let end = front_matter_end(&lines);
    lines[..end].iter().find_map(|l| {
        let value = l.strip_prefix(key)?.strip_prefix(':')?.trim();
        Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

/// The index of the first line after the front matter (0 without one).
pub fn body_start(article: &str) -> usize {
    front_matter_end(&article.lines().collect::<Vec<_>>())
}

/// The index of the first line after the `---` front matter (0 without one).
fn front_matter_end(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim()) != Some("---") {
        return 0;
    }
    lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "---")
        .map_or(0, |p| p + 2)
}

struct Item {
    line: usize,
    column: usize,
    text: String,
    steps_before: usize,
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    steps: Vec<Step>,
    /// Where the last command ran: a fence without a title runs there too.
    place: Place,
    /// Content column of the list item being read: an indented code block starts 4 columns further in.
    base: usize,
    open_shortcodes: usize,
    item: Option<Item>,
    /// Lines of the commands still running (foreground servers, interactive shells), newest last.
    running: Vec<usize>,
    /// Places left for an interactive container shell (`docker exec -it c bash`), to return to at `exit`.
    shells: Vec<Place>,
    last_prose: String,
}

impl Reader<'_> {
    fn run(mut self, mut i: usize) -> Vec<Step> {
        while i < self.lines.len() {
            let line = self.lines[i];
            let trimmed = line.trim();
            let after_blank = i == 0 || self.lines[i - 1].trim().is_empty();
            i = if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                self.fence(i)
            } else if let Some((closing, name, args)) = shortcode(trimmed) {
                self.shortcode(i, closing, &name, &args)
            } else if trimmed.is_empty() {
                i + 1
            } else if after_blank && indent_of(line) >= self.base + 4 {
                self.indented(i)
            } else {
                self.prose(i);
                i + 1
            };
        }
        self.end_item();
        self.steps
    }

    fn push(&mut self, line: usize, end: usize, kind: StepKind) {
        self.steps.push(Step {
            line,
            end,
            column: self.base,
            kind,
        });
    }

    /// Each command of a block (`first` is the 1-based line of the block's first line).
    fn commands(&mut self, first: usize, end: usize, body: &str, title: Option<String>) {
        if let Some(title) = title {
            self.place = Place::from_title(&title);
        }
        for (offset, text) in commands::split(body) {
            self.command(first + offset, end, text);
        }
    }

    fn command(&mut self, line: usize, end: usize, text: String) {
        if let Some(why) = commands::cannot_run(&text) {
            return self.push(line, end, StepKind::CannotRun { text, why });
        }
        if commands::is_long_running(&text) {
            self.running.push(line);
        }
        let place = self.place.clone();
        if commands::opens_shell(&text) {
            self.shells.push(self.place.clone());
            self.place = Place::StartedContainer;
        } else if text.trim() == "exit" {
            self.running.pop();
            if let Some(outer) = self.shells.pop() {
                self.place = outer;
            }
        }
        self.push(line, end, StepKind::Command { place, text });
    }

    /// A file block: a notebook cell when it goes into a notebook and is not a whole notebook.
    fn file(&mut self, line: usize, end: usize, name: String, lang: String, content: String) {
        let whole_notebook = content.trim_start().starts_with('{') && content.contains("\"cells\"");
        let kind = if let Err(why) = super::file_target::resolve(&name) {
            StepKind::CannotRun { text: content, why }
        } else if name.ends_with(".ipynb") && !whole_notebook {
            StepKind::Cell {
                notebook: name,
                code: content,
            }
        } else {
            StepKind::File {
                name,
                lang,
                content,
            }
        };
        self.push(line, end, kind);
    }

    fn output(&mut self, line: usize, end: usize, text: String) {
        let of_line = self.steps.last().map(|s| s.line);
        self.push(line, end, StepKind::Output { text, of_line });
    }

    /// A code block with no command or file marker: output if the prose before says so.
    fn snippet(&mut self, line: usize, end: usize, lang: &str, text: String) {
        static SAYS_OUTPUT: OnceLock<Regex> = OnceLock::new();
        if re(
            &SAYS_OUTPUT,
            r"\b(output|resembles?|similar to|should see|looks? like)\b",
        )
        .is_match(&self.last_prose.to_ascii_lowercase())
        {
            return self.output(line, end, text);
        }
        let what = if lang.is_empty() {
            "a code block".to_string()
        } else {
            format!("a {lang} code block")
        };
        let why = format!("{what} that is neither a command nor a named file");
        self.push(line, end, StepKind::CannotRun { text, why });
    }

    /// A line of prose: list structure, and the steps it makes plain.
    fn prose(&mut self, i: usize) {
        let line = self.lines[i];
        let indent = indent_of(line);
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            self.end_item();
            self.base = 0;
        } else if let Some((content, text)) = numbered_item(line) {
            self.end_item();
            self.item = Some(Item {
                line: i + 1,
                column: content,
                text: text.to_string(),
                steps_before: self.steps.len(),
            });
            self.base = content;
        } else if let Some(content) = bullet(line) {
            if indent == 0 {
                self.end_item();
            }
            self.base = content;
        } else {
            if self.open_shortcodes == 0 && indent < self.base {
                self.base = indent;
                if indent == 0 {
                    self.end_item();
                }
            }
            if let Some(item) = &mut self.item {
                item.text.push(' ');
                item.text.push_str(trimmed);
            }
        }
        for action in commands::prose_actions(trimmed) {
            match action {
                ProseAction::Interrupt => {
                    let kind = match self.running.pop() {
                        Some(to_line) => StepKind::Signal {
                            signal: "SIGINT",
                            to_line,
                        },
                        None => StepKind::CannotRun {
                            text: trimmed.to_string(),
                            why: "asks for Ctrl+C, but no command before it is still running"
                                .into(),
                        },
                    };
                    self.push(i + 1, i + 1, kind);
                }
                ProseAction::Type(text) => self.command(i + 1, i + 1, text),
            }
        }
        self.last_prose = trimmed.to_string();
    }

    /// At the end of a numbered item that gave no step: say why its instruction cannot be replayed.
    fn end_item(&mut self) {
        let Some(item) = self.item.take() else { return };
        if self.steps.len() > item.steps_before {
            return;
        }
        if let Some(why) = commands::prose_reason(&item.text) {
            let kind = StepKind::CannotRun {
                text: commands::first_sentence(&item.text),
                why: why.to_string(),
            };
            self.steps.push(Step {
                line: item.line,
                end: item.line,
                column: item.column,
                kind,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(steps: &[Step]) -> Vec<&'static str> {
        steps.iter().map(Step::kind_name).collect()
    }

    #[test]
    fn fences_in_list_items_keep_their_lines_and_places() {
        let md = "---\ntitle: \"T\"\n---\n\n1.  Run:\n\n    ```command {title=\"Local Machine Terminal\"}\n    cd ~\n    docker run -it --rm img\n    ```\n\n    ```output\n    hello\n    ```\n\n1.  In the shell:\n\n    ```command {title=\"JupyterLab UI Terminal\"}\n    ls -l\n    ```\n\n    ```command\n    id\n    ```\n";
        let steps = read(md);
        assert_eq!(
            kinds(&steps),
            ["command", "command", "output", "command", "command"]
        );
        assert_eq!((steps[0].line, steps[1].line, steps[1].end), (8, 9, 10));
        assert_eq!(
            steps[2].kind,
            StepKind::Output {
                text: "hello".into(),
                of_line: Some(9)
            }
        );
        assert!(
            matches!(&steps[4].kind, StepKind::Command { place: Place::Jupyter, text } if text == "id")
        );
        assert_eq!(front_matter(md, "title").as_deref(), Some("T"));
    }

    #[test]
    fn shortcodes_and_indented_blocks_of_older_guides() {
        let md = "1.  Update:\n\n        sudo apt update\n        docker pull x\n\n2.  Write:\n\n    {{< file \"app.js\" js >}}\nconst a = 1;\n{{< /file >}}\n\n3.  Look:\n\n    {{< output >}}\nok\n{{< /output >}}\n";
        let steps = read(md);
        assert_eq!(kinds(&steps), ["cannot-run", "command", "file", "output"]);
        assert_eq!(steps[1].line, 4);
        assert_eq!(
            steps[2].kind,
            StepKind::File {
                name: "app.js".into(),
                lang: "js".into(),
                content: "const a = 1;".into()
            }
        );
        assert_eq!(steps[2].line, 8);
    }

    #[test]
    fn notebook_cells_and_whole_notebooks() {
        let md = "```file {title=\"n.ipynb\" lang=\"python\"}\n{\n \"cells\": []\n}\n```\n\n```file {title=\"n.ipynb\" lang=\"python\"}\nprint(1)\n```\n";
        let steps = read(md);
        assert!(matches!(&steps[0].kind, StepKind::File { name, .. } if name == "n.ipynb"));
        assert_eq!(
            steps[1].kind,
            StepKind::Cell {
                notebook: "n.ipynb".into(),
                code: "print(1)".into()
            }
        );
    }

    #[test]
    fn prose_steps_signal_the_running_command_or_say_why_not() {
        let md = "1.  Start:\n\n    ```command\n    docker run -it --rm img\n    ```\n\n1.  When finished, close the browser and press <kbd>CTRL</kbd>+<kbd>C</kbd>.\n\n1.  Press **Ctrl+C** again.\n\n1.  Open the link in a Web browser.\n\n1.  **Term**: a definition.\n";
        let steps = read(md);
        assert_eq!(
            kinds(&steps),
            ["command", "signal", "cannot-run", "cannot-run"]
        );
        assert_eq!(
            steps[1].kind,
            StepKind::Signal {
                signal: "SIGINT",
                to_line: 4
            }
        );
        assert!(
            matches!(&steps[2].kind, StepKind::CannotRun { why, .. } if why.contains("no command before it"))
        );
        assert!(
            matches!(&steps[3].kind, StepKind::CannotRun { why, .. } if why.contains("graphical"))
        );
        assert_eq!(steps[3].line, 11);
    }
}
