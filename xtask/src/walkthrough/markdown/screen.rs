//! What a terminal shows of a program's output: escape sequences (colours, cursor moves, line
//! clears) applied or dropped, carriage returns overwriting, `\r\n` as one line end. Progress bars
//! (docker pull, build) end as their last frame, as a person sees them.

/// The furthest column a cursor move goes to (lines printed longer stay whole).
const MAX_COLUMN: usize = 4096;

/// The text a terminal would show at the end, line by line, trailing spaces trimmed.
pub fn render(raw: &str) -> String {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                let Escape::Csi(params, last) = escape(&mut chars) else {
                    continue;
                };
                let n = params
                    .trim_start_matches('?')
                    .split(';')
                    .next()
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(1)
                    .max(1);
                match last {
                    'A' => row = row.saturating_sub(n),
                    // Clamped as a terminal clamps its cursor: a hostile `\x1b[999999999B` makes no lines.
                    'B' => row = (row + n).min(lines.len()),
                    'G' => col = (n - 1).min(MAX_COLUMN),
                    'K' => {
                        let line = line_at(&mut lines, row);
                        match params.as_str() {
                            "2" => line.clear(),
                            "1" => line.iter_mut().take(col + 1).for_each(|ch| *ch = ' '),
                            _ => line.truncate(col),
                        }
                    }
                    _ => {}
                }
            }
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
            }
            '\x08' => col = col.saturating_sub(1),
            '\t' => col = (col / 8 + 1) * 8,
            c if c.is_control() => {}
            c => {
                let line = line_at(&mut lines, row);
                if line.len() < col {
                    line.resize(col, ' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    let text: Vec<String> = lines
        .iter()
        .map(|l| l.iter().collect::<String>().trim_end().to_string())
        .collect();
    text.join("\n").trim_end_matches('\n').to_string()
}

fn line_at(lines: &mut Vec<Vec<char>>, row: usize) -> &mut Vec<char> {
    while lines.len() <= row {
        lines.push(Vec::new());
    }
    &mut lines[row]
}

/// A line as printed: escape sequences dropped, only what follows its last carriage return.
pub fn plain(raw: &str) -> String {
    let mut out = String::new();
    for piece in raw.split_inclusive('\n') {
        let body = piece.strip_suffix('\n').unwrap_or(piece);
        let body = body.trim_end_matches('\r');
        let visible = body.rsplit('\r').next().unwrap_or("");
        out.push_str(&strip_escapes(visible));
        if piece.ends_with('\n') {
            out.push('\n');
        }
    }
    out.trim_end_matches('\n').to_string()
}

fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                escape(&mut chars);
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

enum Escape {
    /// A control sequence: its parameters and final letter (`\x1b[2K`: "2", 'K').
    Csi(String, char),
    /// Anything else (a charset choice, a window title), skipped.
    Other,
}

/// Reads an escape sequence after its ESC.
fn escape(chars: &mut std::iter::Peekable<std::str::Chars>) -> Escape {
    match chars.next() {
        Some('[') => {
            let mut params = String::new();
            for p in chars.by_ref() {
                if ('@'..='~').contains(&p) {
                    return Escape::Csi(params, p);
                }
                params.push(p);
            }
            Escape::Other
        }
        Some(']') => {
            // An operating-system command (window title): up to BEL or ESC \.
            while let Some(p) = chars.next() {
                if p == '\x07' || (p == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
            Escape::Other
        }
        Some('(' | ')') => {
            chars.next();
            Escape::Other
        }
        _ => Escape::Other,
    }
}

/// Whether a line moves the cursor up or down to redraw earlier lines (a progress display).
pub fn redraws(line: &str) -> bool {
    line.match_indices("\x1b[").any(|(i, _)| {
        let rest = &line[i + 2..];
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        matches!(rest[digits..].chars().next(), Some('A' | 'B'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output without cursor movement: the screen and the plain reading agree.
    fn both_read(raw: &str, want: &str) {
        assert_eq!(render(raw), want, "render {raw:?}");
        assert_eq!(plain(raw), want, "plain {raw:?}");
    }

    #[test]
    fn colours_and_crlf_go() {
        both_read(
            "\x1b[32m[I 2026-01-01 ServerApp]\x1b(B\x1b[m started\r\nnext\r\n",
            "[I 2026-01-01 ServerApp] started\nnext",
        );
    }

    #[test]
    fn progress_bars_end_as_their_last_frame() {
        let raw = "a: Pulling fs layer\r\nb: Pulling fs layer\r\n\x1b[2A\x1b[2K\ra: Downloading 10%\r\x1b[2B\x1b[2A\x1b[2K\ra: Pull complete\r\x1b[2B\x1b[1A\x1b[2K\rb: Pull complete\r\x1b[1BDigest: sha256:00\r\n";
        assert_eq!(
            render(raw),
            "a: Pull complete\nb: Pull complete\nDigest: sha256:00"
        );
        assert!(redraws("\x1b[2A\x1b[2K\ra: Downloading 10%\r\x1b[2B\n"));
        assert!(!redraws("\x1b[32mgreen\x1b[m\n"));
    }

    #[test]
    fn carriage_returns_overwrite() {
        both_read("50%\r100%\r\n", "100%");
        assert_eq!(
            plain("Sending build context to Docker daemon  2.048kB\r\r\n"),
            "Sending build context to Docker daemon  2.048kB"
        );
        assert_eq!(
            render("^CShut down (y/[n])? y\r\n"),
            "^CShut down (y/[n])? y"
        );
    }

    #[test]
    fn hostile_cursor_moves_stay_on_the_screen() {
        let moved = render("a\x1b[999999999Bb\x1b[999999999Gc");
        assert_eq!(moved.lines().count(), 2, "no lines made by a move down");
        assert_eq!(
            moved.lines().nth(1).map(str::len),
            Some(MAX_COLUMN + 1),
            "b under the a, then c at the last column"
        );
    }
}
