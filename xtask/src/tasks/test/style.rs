//! The code's own checks, first in every test run: `cargo fmt --check` and clippy with warnings as
//! errors, on every target. A failure is reported with the suite's other problems at the end (the
//! tests still run: one run shows everything that is wrong).

use crate::progress;

/// Each failing check's one-line problem, with the command that shows it in full.
pub fn check() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let checks: [(&str, &[&str]); 2] = [
        ("cargo fmt --all --check", &["fmt", "--all", "--check"]),
        (
            "cargo clippy --workspace --all-targets -- -D warnings",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ];
    let mut problems = Vec::new();
    for (shown, args) in checks {
        let step = progress::Step::start(shown);
        let out = duct::cmd(&cargo, args)
            .dir(crate::paths::root())
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run();
        match out {
            Ok(o) if o.status.success() => step.done("clean"),
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout);
                print!("{text}");
                step.done("not clean");
                problems.push(format!("`{shown}` is not clean (its output is above)"));
            }
            Err(e) => {
                step.done("could not run");
                problems.push(format!("`{shown}` could not run: {e}"));
            }
        }
    }
    problems
}

/// The code's shape, which fmt and clippy do not hold: the longest file and function a reader
/// meets under xtask/src and tests/ (rust-analyzer's `tidy` does the same for its own rules).
#[cfg(test)]
mod tidy {
    const MAX_FILE_LINES: usize = 400;
    const MAX_FN_LINES: usize = 80;

    fn sources() -> Vec<(String, String)> {
        let mut found = Vec::new();
        let root = crate::paths::root();
        let mut folders = vec![root.join("xtask/src"), root.join("tests")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    found.push((path.display().to_string(), text));
                }
            }
        }
        found
    }

    /// Each `fn` item's name and length in lines, from its signature to its closing brace (braces
    /// counted outside strings and comments well enough for rustfmt-formatted code).
    pub(super) fn functions(text: &str) -> Vec<(String, usize)> {
        let lines: Vec<&str> = text.lines().collect();
        let mut found = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let Some(at) = trimmed.find("fn ") else {
                continue;
            };
            let head = &trimmed[..at];
            let item = head.split_whitespace().all(|w| {
                matches!(w, "pub" | "const" | "async" | "unsafe" | "extern")
                    || w.starts_with("pub(")
            });
            if !item || trimmed.starts_with("//") {
                continue;
            }
            let name: String = trimmed[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if let Some(end) = closing(&lines, i) {
                found.push((name, end - i + 1));
            }
        }
        found
    }

    /// The line where the body opened at or after `start` closes (None for a bodiless `fn`).
    fn closing(lines: &[&str], start: usize) -> Option<usize> {
        let mut depth = 0i32;
        // Brackets and parentheses of the signature: a `;` inside (`[u8; 3]`) ends no item.
        let mut nested = 0i32;
        let mut opened = false;
        for (i, line) in lines.iter().enumerate().skip(start) {
            // Char literals of a brace or a quote would count as code.
            let code = line.split("//").next().unwrap_or("");
            let code = code
                .replace("'{'", "' '")
                .replace("'}'", "' '")
                .replace("'\"'", "' '");
            let mut in_string = false;
            let mut escaped = false;
            for c in code.chars() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if in_string => escaped = true,
                    '"' => in_string = !in_string,
                    '{' if !in_string => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if !in_string => depth -= 1,
                    '(' | '[' if !in_string => nested += 1,
                    ')' | ']' if !in_string => nested -= 1,
                    ';' if !in_string && !opened && depth == 0 && nested == 0 => return None,
                    _ => {}
                }
            }
            if opened && depth == 0 {
                return Some(i);
            }
        }
        None
    }

    #[test]
    fn the_scanner_measures_functions() {
        let text = "fn a() {\n    let s = \"{\";\n    let c = '{';\n}\npub(crate) fn b(x: u8) -> u8 {\n    x\n}\nfn c();\nfn d(x: [u8; 3]) -> u8 {\n    x[0]\n}\n";
        assert_eq!(
            functions(text),
            vec![
                ("a".to_string(), 4),
                ("b".to_string(), 3),
                ("d".to_string(), 3)
            ]
        );
    }

    #[test]
    fn no_file_over_400_lines_and_no_function_over_80() {
        let mut problems = Vec::new();
        for (path, text) in sources() {
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                problems.push(format!("{path}: {lines} lines (at most {MAX_FILE_LINES})"));
            }
            for (name, length) in functions(&text) {
                if length > MAX_FN_LINES {
                    problems.push(format!(
                        "{path}: fn {name} is {length} lines (at most {MAX_FN_LINES})"
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "split these:\n{}", problems.join("\n"));
    }
}
