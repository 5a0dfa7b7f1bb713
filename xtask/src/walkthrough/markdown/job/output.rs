//! What a job's terminal printed, kept up to a cap, and printed to the transcript line by line
//! (redacted) as it comes.

use std::io::Write;
use std::time::Instant;

use crate::walkthrough::markdown::screen;

/// Bytes of a job's output kept, the first ones; the rest is counted, not kept (`yes` would
/// otherwise fill the host's memory).
pub const OUTPUT_CAP: usize = 1024 * 1024;

/// The latest bytes, kept apart whatever the cap: prompts, questions and a cell's end are there.
pub(super) const TAIL: usize = 64 * 1024;

/// What a prompt or question is looked for in: the last bytes only, never the whole output.
pub(super) const PROMPT_BYTES: usize = 4096;

#[derive(Default)]
pub(super) struct State {
    /// The first `OUTPUT_CAP` bytes it printed.
    pub(super) raw: Vec<u8>,
    /// Its latest bytes: at least `TAIL` of them (trimmed when twice that).
    pub(super) tail: Vec<u8>,
    /// Bytes it printed in all.
    pub(super) total: usize,
    /// It printed something, and a URL (looked for in each new piece as it comes).
    pub(super) visible: bool,
    pub(super) url: bool,
    pub(super) exit: Option<i32>,
    pub(super) last_output: Option<Instant>,
    /// Bytes of `raw` already printed to the transcript; whether the cap was said there.
    pub(super) printed: usize,
    pub(super) capped: bool,
    /// Once the replay moved on, its lines are printed with the article's line in front.
    pub(super) background: bool,
}

impl State {
    pub(super) fn take(&mut self, bytes: &[u8]) {
        // A URL split between two reads: the tail's last bytes go with the new ones.
        let mut window = self.tail[self.tail.len().saturating_sub(8)..].to_vec();
        window.extend_from_slice(bytes);
        self.url |= window.windows(7).any(|w| w == b"http://")
            || window.windows(8).any(|w| w == b"https://");
        self.visible |= bytes.iter().any(|b| !b.is_ascii_whitespace());
        let room = OUTPUT_CAP.saturating_sub(self.raw.len());
        self.raw.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * TAIL {
            self.tail.drain(..self.tail.len() - TAIL);
        }
        self.total += bytes.len();
        self.last_output = Some(Instant::now());
    }

    /// What a terminal shows of the bytes printed since `mark` (a `total` of before): all of it
    /// when kept; else the first ones kept, or the latest, with how many bytes are not kept.
    pub(super) fn since(&self, mark: usize) -> String {
        let mark = mark.min(self.total);
        let lost = self.total - self.raw.len();
        let tail_from = self.total - self.tail.len();
        let text = |bytes: &[u8]| screen::render(&String::from_utf8_lossy(bytes));
        if lost == 0 {
            text(&self.raw[mark..])
        } else if mark >= tail_from {
            text(&self.tail[mark - tail_from..])
        } else if mark < self.raw.len() {
            format!("{}\n… {lost} more bytes not kept", text(&self.raw[mark..]))
        } else {
            format!(
                "… {} bytes not kept\n{}",
                tail_from - mark,
                text(&self.tail)
            )
        }
    }

    /// The bytes since `mark` as printed (escapes dropped), at most the last `limit` of them.
    pub(super) fn recent(&self, mark: usize, limit: usize) -> String {
        let since = self.total - mark.min(self.total);
        let bytes = &self.tail[self.tail.len() - since.min(limit).min(self.tail.len())..];
        screen::plain(&String::from_utf8_lossy(bytes))
    }
}

/// Whether `text` (the latest output) shows an image build or pull still under way: a person
/// watching waits for it to finish before typing on, however long a step is silent (a classic
/// builder commits each step in silence, tens of seconds on a nested engine).
pub(super) fn under_way(text: &str) -> bool {
    let (mut building, mut pulling) = (false, false);
    for line in text.lines().map(str::trim_start) {
        let step = line.strip_prefix("Step ").and_then(|r| r.split_once(" : "));
        if step.is_some_and(|(n, _)| {
            n.split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
        }) {
            building = true;
        } else if line.starts_with("Successfully built ")
            || line.starts_with("Successfully tagged ")
        {
            building = false;
        } else if line.contains(": Pulling from ") {
            pulling = true;
        } else if line.starts_with("Status: ") || line.starts_with("Digest: ") {
            pulling = false;
        }
    }
    building || pulling
}

/// Prints the complete new lines (all of them with `all`), redacted; lines that redraw the
/// screen (progress bars moving the cursor up) are left to the final output.
pub(super) fn print_lines(
    s: &mut State,
    line: usize,
    secrets: &[String],
    hide: Option<&str>,
    all: bool,
) {
    let end = if all {
        s.raw.len()
    } else {
        s.raw[s.printed..]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(s.printed, |p| s.printed + p + 1)
    };
    let text = String::from_utf8_lossy(&s.raw[s.printed..end.max(s.printed)]).into_owned();
    s.printed = end.max(s.printed);
    let mut err = std::io::stderr().lock();
    let prefix = if s.background {
        format!("[line {line}] ")
    } else {
        String::new()
    };
    for raw_line in text.split_inclusive('\n') {
        if screen::redraws(raw_line) {
            continue;
        }
        let shown = screen::plain(raw_line);
        // A kernel's output (`hide` set) ends each cell with a blank line and its marker: neither is shown.
        let blank = shown.trim().is_empty() && (!raw_line.ends_with('\n') || hide.is_some());
        if blank || hide.is_some_and(|h| shown.starts_with(h)) {
            continue;
        }
        let _ = writeln!(
            err,
            "{prefix}{}",
            super::super::text::redact(&shown, secrets)
        );
    }
    if s.total > s.raw.len() && !s.capped {
        s.capped = true;
        let _ = writeln!(
            err,
            "[line {line}] … it printed more than {} KiB: the rest is counted, not kept or shown",
            OUTPUT_CAP / 1024
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_kept_up_to_the_cap_and_the_rest_counted() {
        let mut s = State::default();
        let chunk = b"y\n".repeat(4096);
        for _ in 0..3 * OUTPUT_CAP / chunk.len() {
            s.take(&chunk);
        }
        assert_eq!((s.raw.len(), s.total), (OUTPUT_CAP, 3 * OUTPUT_CAP));
        assert!(
            s.tail.len() <= 2 * TAIL,
            "the tail stays small: {}",
            s.tail.len()
        );
        let out = s.since(0);
        assert!(
            out.starts_with("y\ny\n")
                && out.ends_with(&format!("y\n… {} more bytes not kept", 2 * OUTPUT_CAP)),
            "{}",
            &out[out.len() - 60..]
        );
        assert_eq!(out.lines().count(), OUTPUT_CAP / 2 + 1);
        // What it prints after a mark past the cap (a question after Ctrl+C) is still seen whole.
        let mark = s.total;
        s.take(b"^C\r\nShutdown this server (y/[n])? ");
        assert_eq!(s.since(mark), "^C\nShutdown this server (y/[n])?");
        assert_eq!(s.recent(mark, TAIL), "^C\nShutdown this server (y/[n])? ");
        assert!(
            s.recent(0, PROMPT_BYTES).len() <= PROMPT_BYTES,
            "a prompt is looked for in the last bytes only"
        );
        let far = s.since(OUTPUT_CAP + 1);
        assert!(
            far.starts_with(&format!(
                "… {} bytes not kept\n",
                s.total - s.tail.len() - OUTPUT_CAP - 1
            )),
            "{}",
            &far[..60]
        );
    }

    #[test]
    fn a_build_or_pull_is_under_way_until_it_says_it_finished() {
        let build = "Building jupyter\nStep 1/3 : FROM base\n ---> 6fbd21d88bac\nStep 2/3 : RUN pip install x\n ---> Running in aa32\nRequirement already satisfied: x\n";
        assert!(under_way(build));
        let built = format!("{build}Removing intermediate container aa32\n ---> d5f8\nStep 3/3 : EXPOSE 8888\n ---> e1\nSuccessfully built e1\nSuccessfully tagged j:latest\nCreating jupyter_db_1 ... done\n");
        assert!(!under_way(&built));
        assert!(under_way("latest: Pulling from library/mysql\n"));
        assert!(!under_way("latest: Pulling from library/mysql\nDigest: sha256:ab\nStatus: Downloaded newer image for mysql:latest\n"));
        // A server's own lines, or prose naming a step, are no build.
        assert!(!under_way(
            "[I 10:00:00 ServerApp] Jupyter Server is running at:\nStep one: open the URL\n"
        ));
    }

    #[test]
    fn a_url_split_between_two_reads_is_seen() {
        let mut s = State::default();
        s.take(b"   \n");
        assert!(!s.visible && !s.url);
        s.take(b"open htt");
        assert!(s.visible && !s.url);
        s.take(b"p://127.0.0.1:8888/lab");
        assert!(s.url);
    }
}
