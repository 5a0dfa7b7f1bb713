//! Progress for long steps, always on stderr so `--json` stdout stays clean.
//! On a terminal: a spinner line with the elapsed time; elsewhere (CI, pipes): timestamped lines.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Step {
    what: String,
    started: Instant,
    spinner: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Step {
    pub fn start(what: impl Into<String>) -> Step {
        Step::begin(what.into(), std::io::stderr().is_terminal())
    }

    /// Timestamped lines even on a terminal: for steps whose own output streams (`--verbose`
    /// builds), which a spinner would draw over.
    pub fn start_lines(what: impl Into<String>) -> Step {
        Step::begin(what.into(), false)
    }

    /// [`Step::start_lines`] when `lines`, else [`Step::start`].
    pub fn start_maybe_lines(what: impl Into<String>, lines: bool) -> Step {
        if lines {
            Step::start_lines(what)
        } else {
            Step::start(what)
        }
    }

    fn begin(what: String, spin: bool) -> Step {
        let started = Instant::now();
        let spinner = if spin {
            let stop = Arc::new(AtomicBool::new(false));
            let (flag, label) = (stop.clone(), what.clone());
            let handle = std::thread::spawn(move || {
                let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                let mut i = 0;
                while !flag.load(Ordering::Relaxed) {
                    {
                        let _draw = DRAW.lock().unwrap_or_else(|e| e.into_inner());
                        if SILENCED.load(Ordering::SeqCst) {
                            break;
                        }
                        eprint!(
                            "\r\x1b[2K{} {label} ({:.0}s)",
                            frames[i % frames.len()],
                            started.elapsed().as_secs_f64()
                        );
                        let _ = std::io::stderr().flush();
                    }
                    i += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                eprint!("\r\x1b[2K");
            });
            Some((stop, handle))
        } else {
            eprintln!("[{}] {what} ...", clock());
            None
        };
        Step {
            what,
            started,
            spinner,
        }
    }

    fn stop_spinner(&mut self) {
        if let Some((stop, handle)) = self.spinner.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }

    pub fn done(mut self, result: &str) {
        self.stop_spinner();
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!("[{}] {}: {result} ({secs:.1}s)", clock(), self.what);
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        // A step dropped without `done` failed: clear the spinner so the error prints on a clean line.
        self.stop_spinner();
    }
}

/// Held while a spinner draws, so that [`silence`] never races a frame.
static DRAW: std::sync::Mutex<()> = std::sync::Mutex::new(());
static SILENCED: AtomicBool = AtomicBool::new(false);

/// Stops every spinner for good and clears its line (the Ctrl-C handler's messages come next).
pub fn silence() {
    let _draw = DRAW.lock().unwrap_or_else(|e| e.into_inner());
    SILENCED.store(true, Ordering::SeqCst);
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// Prints a line on stdout (a command's result, never progress). A reader that went away
/// (`| head -1`, `| true`) ends the process quietly with 141, as a shell tool killed by SIGPIPE
/// would, where `println!` would panic.
pub fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        let _ = writeln!(std::io::stderr(), "error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// A one-off progress note.
pub fn note(message: &str) {
    eprintln!("[{}] {message}", clock());
}

/// HH:MM:SS (UTC) without a time crate.
fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}
