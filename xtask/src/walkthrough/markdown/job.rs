//! A command running inside the sandbox container, as a person's terminal would run it: under a
//! pseudo-terminal (`script`), its output printed as it comes and kept, keys typed into it
//! (Ctrl+C is the byte the key sends), stopped on demand. The shell there talks to the sandbox's
//! own engine (DOCKER_HOST), so `$(pwd)` and `docker build .` name the sandbox's files.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::engine::{Docker, Output};

mod output;

use output::{print_lines, State, PROMPT_BYTES, TAIL};

/// The sandbox's own engine, as its shells reach it (the WRAPPER below says the same).
const INNER_ENGINE: &str = "unix:///var/run/docker.sock";

/// How every command of a replay starts in the sandbox: as `reader`, the user the rootless inner
/// engine runs as, with no capability (none now, none in its bounding set) and no_new_privs (no
/// setuid program gives any back). The tutorial is untrusted: nothing it runs is the sandbox's root.
const AS_READER: [&str; 7] = [
    "setpriv",
    "--reuid=reader",
    "--regid=reader",
    "--init-groups",
    "--no-new-privs",
    "--bounding-set=-all",
    "--inh-caps=-all",
];

/// `command` run as the unprivileged reader (see [`AS_READER`]).
fn as_reader<'a>(command: &[&'a str]) -> Vec<&'a str> {
    AS_READER
        .iter()
        .copied()
        .chain(command.iter().copied())
        .collect()
}

/// Where jobs keep their pid and working-folder files inside the sandbox.
const STATE_DIR: &str = "/tmp/replay";

/// The shell a job runs in: the inner engine, the job's folder, the article's text run by `eval`
/// (verbatim), and the folder it ended in written down so the next command starts there.
const WRAPPER: &str = r#"
export DOCKER_HOST=unix:///var/run/docker.sock SHELL=/bin/bash HOME=/root USER=reader LOGNAME=reader
export REPLAY_CMD="$3" REPLAY_CWD_FILE="/tmp/replay/job-$1.cwd"
mkdir -p /tmp/replay && echo $$ > "/tmp/replay/job-$1.pid"
cd "$2" 2>/dev/null || cd
if [ "$4" = terminal ]; then
  exec script -qfec 'stty cols 160 rows 48 2>/dev/null; eval "$REPLAY_CMD"; rc=$?; pwd > "$REPLAY_CWD_FILE"; exit $rc' /dev/null
fi
exec bash -c 'eval "$REPLAY_CMD"'
"#;

/// The sandbox container as a place to run shells in, with the values to redact from what it prints.
#[derive(Clone)]
pub struct Place {
    pub host: Docker,
    pub container: String,
    pub secrets: Arc<Vec<String>>,
}

impl Place {
    /// A helper command of the replay itself (not the article's), quietly.
    pub fn quiet(&self, script: &str, args: &[&str]) -> Result<Output> {
        // Its `docker` is the sandbox's engine, as in the article's own shells.
        let script = format!("export DOCKER_HOST={INNER_ENGINE} HOME=/root; {script}");
        let mut command = vec!["sh", "-c", script.as_str(), "replay"];
        command.extend(args);
        self.host.exec(&self.container, &as_reader(&command))
    }

    /// Writes `bytes` to `path` inside the sandbox (folders made as needed), as the reader.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<Output> {
        self.write_as(&as_reader(&[]), path, bytes)
    }

    /// Writes one of the replay's own stand-in programs to `path`, a folder only root may write
    /// (before any step of the tutorial runs), executable.
    pub fn install(&self, path: &str, bytes: &[u8]) -> Result<Output> {
        let out = self.write_as(&[], path, bytes)?;
        self.host.exec(&self.container, &["chmod", "755", path])?;
        Ok(out)
    }

    fn write_as(&self, user: &[&str], path: &str, bytes: &[u8]) -> Result<Output> {
        let script = r#"mkdir -p "$(dirname "$1")" && cat > "$1""#;
        let mut command = user.to_vec();
        command.extend(["sh", "-c", script, "replay", path]);
        let out = self
            .host
            .exec_input(&self.container, &command)
            .stdin_bytes(bytes)
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run()?;
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::new(),
        })
    }
}

pub struct Job {
    pub id: usize,
    /// The article's line of the command.
    pub line: usize,
    place: Place,
    state: Arc<Mutex<State>>,
    keys: Option<std::io::PipeWriter>,
}

impl Job {
    /// Starts `command` (shell text) in `cwd`; `terminal`: under a pseudo-terminal, as typed.
    /// Lines starting with `hide` are kept but not printed (a kernel's markers).
    pub fn start(
        place: &Place,
        id: usize,
        line: usize,
        cwd: &str,
        command: &str,
        terminal: bool,
        hide: Option<String>,
    ) -> Result<Job> {
        let (keys_in, keys) = std::io::pipe()?;
        let mode = if terminal { "terminal" } else { "plain" };
        let id_text = id.to_string();
        let reader = place
            .host
            .exec_input(
                &place.container,
                &as_reader(&[
                    "bash", "-c", WRAPPER, "replay", &id_text, cwd, command, mode,
                ]),
            )
            .stdin_file(keys_in)
            .stderr_to_stdout()
            .unchecked()
            .reader()
            .context("starting a shell in the sandbox")?;
        let state = Arc::new(Mutex::new(State {
            last_output: Some(Instant::now()),
            ..State::default()
        }));
        let shared = state.clone();
        let secrets = place.secrets.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match (&reader).read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
                        s.take(&buf[..n]);
                        print_lines(&mut s, line, &secrets, hide.as_deref(), false);
                    }
                }
            }
            let code = reader
                .try_wait()
                .ok()
                .flatten()
                .and_then(|o| o.status.code())
                .unwrap_or(-1);
            let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
            print_lines(&mut s, line, &secrets, hide.as_deref(), true);
            s.exit = Some(code);
        });
        Ok(Job {
            id,
            line,
            place: place.clone(),
            state,
            keys: Some(keys),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn exit(&self) -> Option<i32> {
        self.lock().exit
    }

    /// How much it has printed so far (an offset for [`Job::output_since`]).
    pub fn mark(&self) -> usize {
        self.lock().total
    }

    /// What a terminal shows of everything it printed (up to `OUTPUT_CAP`, the rest counted).
    pub fn output(&self) -> String {
        self.output_since(0)
    }

    pub fn output_since(&self, mark: usize) -> String {
        self.lock().since(mark)
    }

    /// Its last lines as printed: where a prompt or a question waits. Cheap to ask often.
    pub fn last_lines(&self) -> String {
        self.lock().recent(0, PROMPT_BYTES)
    }

    /// What it printed since `mark`, as printed, up to its latest `TAIL` bytes: cheap to ask often.
    pub fn recent_since(&self, mark: usize) -> String {
        self.lock().recent(mark, TAIL)
    }

    /// Types keys into it (its terminal, or its stdin).
    pub fn type_keys(&mut self, keys: &[u8]) -> Result<()> {
        let pipe = self.keys.as_mut().context("its input is closed")?;
        pipe.write_all(keys)?;
        pipe.flush()?;
        Ok(())
    }

    /// Closes its input (end of file), as Ctrl+D on an empty line would.
    pub fn close_input(&mut self) {
        self.keys = None;
    }

    /// Waits until it ends (its exit code) or `limit` passes (None).
    pub fn wait(&self, limit: Duration) -> Option<i32> {
        crate::engine::wait::poll(limit, Duration::from_millis(100), || self.exit().is_some())?;
        self.exit()
    }

    /// Whether the sandbox it runs in was paused or stopped (its step would wait for nothing).
    pub fn stalled(&self) -> bool {
        let state = self.place.host.probe([
            "container",
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.Paused}}",
            self.place.container.as_str(),
        ]);
        state.as_deref() != Some("true false")
    }

    /// Waits until it ends, prints a URL and goes quiet, goes quiet at a prompt or for `quiet`, or
    /// `limit` passes; while its output shows an image build or pull under way, none of those but
    /// its end counts, up to `busy_limit` (a reader waits for a build before typing on).
    pub fn settle(&self, limit: Duration, quiet: Duration, busy_limit: Duration) -> Settled {
        let started = Instant::now();
        let deadline = started + limit;
        let mut looked = Instant::now();
        loop {
            // A sandbox paused or stopped under a silent step would keep it waiting to the limit.
            if looked.elapsed() >= Duration::from_secs(2) {
                looked = Instant::now();
                if self.stalled() {
                    return Settled::Stalled;
                }
            }
            if let Some(code) = self.exit() {
                return Settled::Ended(code);
            }
            let (silent, printed, url) = {
                let s = self.lock();
                (
                    s.last_output.map_or(Duration::ZERO, |t| t.elapsed()),
                    s.visible,
                    s.url,
                )
            };
            let plain = self.last_lines();
            let prompt = plain.ends_with("$ ") || plain.ends_with("# ");
            let url_quiet = printed && url && silent >= Duration::from_secs(2);
            let hushed =
                printed && (silent >= quiet || (prompt && silent >= Duration::from_secs(2)));
            let over = Instant::now() >= deadline;
            // Asked only when it would move on: the tail is rendered each time.
            let busy =
                || started.elapsed() < busy_limit && output::under_way(&self.recent_since(0));
            if (url_quiet || hushed || over) && !busy() {
                return if url_quiet {
                    Settled::Url
                } else if hushed {
                    Settled::Quiet
                } else {
                    Settled::Limit
                };
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// From now on its lines are printed with its article line in front; a half-printed line
    /// (a prompt) is printed now.
    pub fn to_background(&self) {
        let mut s = self.lock();
        print_lines(&mut s, self.line, &self.place.secrets, None, true);
        s.background = true;
    }

    /// Ends it for good: SIGTERM to everything on its terminal, then SIGKILL (inside the sandbox).
    pub fn kill(&self) {
        let script = r#"pid=$(cat "$1" 2>/dev/null) || exit 0
for child in $(pgrep -P "$pid"); do pkill -TERM -s "$child"; done
kill -TERM "$pid" 2>/dev/null; sleep 2; kill -KILL "$pid" 2>/dev/null; true"#;
        let pid_file = format!("{STATE_DIR}/job-{}.pid", self.id);
        let _ = self.place.quiet(script, &[&pid_file]);
        self.wait(Duration::from_secs(5));
    }

    /// The folder its shell ended in (None when it did not get that far).
    pub fn final_cwd(&self) -> Option<String> {
        let file = format!("{STATE_DIR}/job-{}.cwd", self.id);
        let out = self.place.quiet(r#"cat "$1""#, &[&file]).ok()?;
        Some(out.stdout.trim().to_string()).filter(|d| out.ok() && d.starts_with('/'))
    }
}

/// How a long-running command was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Ended(i32),
    Url,
    Quiet,
    Limit,
    /// The sandbox it runs in was paused or stopped.
    Stalled,
}

impl Settled {
    pub fn describe(self, limit: Duration) -> String {
        match self {
            Settled::Ended(code) => format!("ended with exit {code}"),
            Settled::Url => "printed a URL and went quiet".into(),
            Settled::Quiet => "went quiet".into(),
            Settled::Stalled => "stopped waiting: its sandbox was paused or stopped".into(),
            Settled::Limit => format!("still printing after {}s", limit.as_secs()),
        }
    }
}
