//! Test binaries run side by side: a lane per core, each binary's output captured and printed
//! whole when it ends (one block, under a header line), the longest binaries started first. On
//! Ctrl-C or SIGTERM the binaries still running, and what they started, are ended by their PIDs.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One binary to run, as `cargo test` would run it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The name its table row and header show.
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub dir: PathBuf,
    /// Set on top of this process's own environment.
    pub env: Vec<(String, String)>,
}

/// A job that ended (or could not start).
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub name: String,
    /// Its stdout and stderr, merged in the order it wrote them.
    pub output: String,
    pub seconds: f64,
    pub exited_ok: bool,
}

/// Seconds each known binary takes on 2 cores, two lanes, images warm (full runs of 2026-12-07
/// and 08, rounded): the longest start first, so that no long one is left to run alone at the
/// end. Any other binary counts as [`UNKNOWN_SECONDS`].
const KNOWN_SECONDS: &[(&str, u32)] = &[
    ("walkthrough_deploy", 600),
    ("replay", 340),
    ("hub", 250),
    ("walkthrough_manage_data", 210),
    ("walkthrough_compose", 200),
    ("walkthrough_mysql", 200),
    ("hardening", 190),
    ("remote", 160),
    ("walkthrough_setup", 150),
    ("safety", 117),
    ("images", 76),
    ("faults", 73),
    ("browser", 42),
    ("up", 42),
    ("habits", 25),
    ("sandbox", 16),
    ("foundation", 7),
    ("bench", 3),
    ("support", 3),
];
const UNKNOWN_SECONDS: u32 = 30;

/// Binaries that compare the whole host engine's state (every container, every volume) before
/// and after: they run with no other binary beside them, whose tests would change that state.
const ALONE: &[&str] = &["sandbox"];

fn expected_seconds(name: &str) -> u32 {
    KNOWN_SECONDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or(if name.contains(' ') {
            2
        } else {
            UNKNOWN_SECONDS
        })
}

/// The order the lanes take the jobs in: those that run [`ALONE`] first (later, one would hold
/// its lane idle until the other lane's binary ends), then the longest expected first (unit tests
/// and doc-tests, whose names hold a space, count as short); ties keep their order.
pub fn longest_first(mut jobs: Vec<Job>) -> Vec<Job> {
    jobs.sort_by_key(|j| {
        (
            !ALONE.contains(&j.name.as_str()),
            std::cmp::Reverse(expected_seconds(&j.name)),
        )
    });
    jobs
}

/// Runs `jobs` in their order on `lanes` lanes; each one's block goes to `out` when it ends (a
/// note on stderr when it starts). Returns them in the order given. `stop` is polled while they
/// run: once it says true, the running jobs' process trees are ended.
pub fn run<W: Write + Send>(
    jobs: Vec<Job>,
    lanes: usize,
    out: &Mutex<W>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Vec<Finished> {
    let queue = Mutex::new(jobs.iter().cloned().enumerate().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let running = Mutex::new(Vec::<u32>::new());
    let done = AtomicBool::new(false);
    // Held shared by every job, alone by an [`ALONE`] one.
    let gate = std::sync::RwLock::new(());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..lanes.max(1))
            .map(|lane| {
                let (queue, results, running, gate) = (&queue, &results, &running, &gate);
                scope.spawn(move || loop {
                    let Some((index, job)) = lock(queue).pop_front() else {
                        return;
                    };
                    if stop() {
                        return;
                    }
                    let alone = ALONE.contains(&job.name.as_str());
                    let (_shared, _alone) = if alone {
                        (None, Some(gate.write().unwrap_or_else(|e| e.into_inner())))
                    } else {
                        (Some(gate.read().unwrap_or_else(|e| e.into_inner())), None)
                    };
                    let with = if alone { " (alone)" } else { "" };
                    crate::progress::note(&format!(
                        "lane {}: {}{with} started",
                        lane + 1,
                        job.name
                    ));
                    let finished = run_one(&job, running);
                    // Once stopped, what a binary cut short printed is no result: the signal
                    // handler's lines come next.
                    if !stop() {
                        let mut out = lock(out);
                        let _ = out.write_all(block(&finished).as_bytes());
                        let _ = out.flush();
                    }
                    lock(results).push((index, finished));
                })
            })
            .collect();
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                if stop() {
                    end_trees(&lock(&running));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        for worker in workers {
            let _ = worker.join();
        }
        done.store(true, Ordering::SeqCst);
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, f)| f).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A header line, then the output as it was written.
pub fn block(f: &Finished) -> String {
    let how = if f.exited_ok { "ok" } else { "FAILED" };
    let mut text = format!(
        "\n===== {} ({how}, {:.1}s) =====\n{}",
        f.name, f.seconds, f.output
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Runs one job, its stdout and stderr on one pipe, its PID in `running` while it runs.
fn run_one(job: &Job, running: &Mutex<Vec<u32>>) -> Finished {
    let started = Instant::now();
    let ended = |output: String, exited_ok: bool| Finished {
        name: job.name.clone(),
        output,
        seconds: started.elapsed().as_secs_f64(),
        exited_ok,
    };
    let spawned = (|| -> std::io::Result<_> {
        let (reader, writer) = std::io::pipe()?;
        let mut command = std::process::Command::new(&job.program);
        command
            .args(&job.args)
            .current_dir(&job.dir)
            .envs(job.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer);
        let child = command.spawn()?;
        // The command holds the pipe's write end: it goes, so that the read ends with the child.
        drop(command);
        Ok((reader, child))
    })();
    let (mut reader, mut child) = match spawned {
        Ok(spawned) => spawned,
        Err(e) => {
            return ended(
                format!("could not start {}: {e}\n", job.program.display()),
                false,
            )
        }
    };
    lock(running).push(child.id());
    let mut bytes = Vec::new();
    let _ = reader.read_to_end(&mut bytes);
    let status = child.wait();
    lock(running).retain(|pid| *pid != child.id());
    let mut output = String::from_utf8_lossy(&bytes).into_owned();
    let exited_ok = match status {
        Ok(s) if s.success() => true,
        Ok(s) => {
            output.push_str(&format!("\n(the binary exited: {s})\n"));
            false
        }
        Err(e) => {
            output.push_str(&format!("\n(waiting for the binary failed: {e})\n"));
            false
        }
    };
    ended(output, exited_ok)
}

/// Sends SIGTERM to each of `pids` and to every process under them (the xtask commands a test
/// started remove what they made on SIGTERM; a test binary just ends).
pub fn end_trees(pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let mut all = Vec::new();
    for pid in pids {
        all.extend(descendants(*pid));
        all.push(*pid);
    }
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .args(all.iter().map(|p| p.to_string()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Every process under `pid` (children, their children, ...), from /proc.
pub fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            Some((child, parent_in_stat(&stat)?))
        })
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, _) in parents
            .iter()
            .filter(|(c, parent)| *parent == p && *c != pid)
        {
            if !found.contains(child) {
                found.push(*child);
                frontier.push(*child);
            }
        }
    }
    found
}

/// The parent pid in a `/proc/PID/stat` line: `PID (COMM) STATE PPID ...`, where COMM may hold
/// spaces and parentheses (the last `)` ends it).
pub fn parent_in_stat(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
