//! `up` under signals (issue 12.4), and panics (issue 12): SIGTERM at any moment of it, a huge
//! --timeout and a stdout closed early.

use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::*;

/// A small xorshift generator: the signal test's delays, reproducible from the seed it prints.
struct Random(u64);

impl Random {
    fn seeded() -> Random {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        eprintln!("random seed {seed}");
        Random(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// `up`'s arguments for the signal test: `name`, `volume`, any port, a 120 s timeout, `dir`.
fn sigterm_up_args(dir: &str, name: &str, volume: &str) -> Vec<String> {
    [
        "up",
        "--name",
        name,
        "--volume",
        volume,
        "--port",
        "0",
        "--timeout",
        "120",
        "--notebooks",
        dir,
    ]
    .map(String::from)
    .to_vec()
}

/// How long one `up` takes here, from nothing.
fn one_up_takes(dir: &str) -> Duration {
    let (name, volume) = (unique("jdx-sig"), unique("jdx-sig-vol"));
    let (_v, _c) = (Guard::volume(&volume), Guard::container(&name));
    let started = Instant::now();
    succeeded(
        &xtask()
            .args(sigterm_up_args(dir, &name, &volume))
            .output()
            .unwrap(),
    );
    let full = started.elapsed();
    drop((_c, _v));
    full
}

/// Issue 12.4: SIGTERM at 20 random moments of `up`: afterwards either `up` printed its URL and
/// its container serves, or no container is left and no URL was printed; a volume that was there
/// stays, one `up` made goes with its container; the interrupt names only what it removed.
#[test]
fn sigterm_at_any_moment_leaves_nothing_half_made() {
    images();
    let notebooks = notebooks_copy();
    let dir = notebooks.path().to_str().unwrap().to_string();
    // How long one `up` takes here, from nothing.
    let full = one_up_takes(&dir);
    eprintln!("up takes {full:?}");

    let mut random = Random::seeded();
    for round in 0..20 {
        sigterm_round(round, &dir, full, &mut random);
    }
}

/// One round: `up` for names of its own (in odd rounds the volume is there before it), SIGTERM at
/// a random moment, then what is left must agree with what `up` printed and said.
fn sigterm_round(round: u32, dir: &str, full: Duration, random: &mut Random) {
    let (name, volume) = (unique("jdx-sig"), unique("jdx-sig-vol"));
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let volume_was_there = round % 2 == 1;
    if volume_was_there {
        create_volume(&volume, &[]);
    }
    let argv = sigterm_up_args(dir, &name, &volume);
    let mut child = spawn(&argv.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    // Its stderr, read on a thread that says when `up` starts `docker run`.
    let (starting, collected) = read_stderr(&mut child, &name);
    let delay = sigterm_at_random(&child, round, full, random, &starting);
    let out = output_of(child, collected);
    // A docker command `up` started may outlive it: wait for every one naming this round's
    // resources to end, so that what it makes after `up` exited is seen too.
    wait_for_docker_commands(&name, &volume);
    check_round(round, &delay, &out, &name, &volume, volume_was_there);
}

/// `up`'s stderr, read on a thread that says (on the channel) when `up` starts `docker run` for
/// `name`; the thread gives all it read.
fn read_stderr(child: &mut Child, name: &str) -> (Receiver<()>, JoinHandle<String>) {
    let (starting_tx, starting) = std::sync::mpsc::channel();
    let reader = child.stderr.take().unwrap();
    let starting_line = format!("Starting {name} from");
    let collected = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(reader)).map_while(Result::ok) {
            if line.contains(&starting_line) {
                let _ = starting_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (starting, collected)
}

/// SIGTERM to `up` at a random moment; when it was sent, for the messages.
fn sigterm_at_random(
    child: &Child,
    round: u32,
    full: Duration,
    random: &mut Random,
    starting: &Receiver<()>,
) -> String {
    // Every other pair of rounds: within 250 ms of `docker run` starting, while it makes the
    // container (the moment a signal once left one running); the others anywhere in `up`.
    let delay = if round % 4 < 2 {
        let delay = Duration::from_millis(random.below(full.as_millis() as u64));
        std::thread::sleep(delay);
        format!("{delay:?} after the start")
    } else {
        starting
            .recv_timeout(Duration::from_secs(120))
            .expect("up never started docker run");
        let delay = Duration::from_millis(random.below(250));
        std::thread::sleep(delay);
        format!("{delay:?} after docker run began")
    };
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    delay
}

/// `up`'s exit and stdout, with the stderr the reading thread collected.
fn output_of(mut child: Child, collected: JoinHandle<String>) -> Output {
    let status = child.wait().unwrap();
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut printed).unwrap();
    Output {
        status,
        stdout: printed.into_bytes(),
        stderr: collected.join().unwrap().into_bytes(),
    }
}

/// Waits until no docker command naming `name` or `volume` runs (a minute at most).
fn wait_for_docker_commands(name: &str, volume: &str) {
    let pattern = format!("({name}|{volume})( |$)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Command::new("pgrep")
        .args(["-f", &pattern])
        .output()
        .unwrap()
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "a docker command for {name} still runs a minute after up ended"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// After the round's SIGTERM: a URL printed means a running container and its volume; no URL means
/// no container, and the volume only if it was there before; each `interrupted: removed` is true.
fn check_round(
    round: u32,
    delay: &str,
    out: &Output,
    name: &str,
    volume: &str,
    volume_was_there: bool,
) {
    let (printed, err) = (stdout(out), stderr(out));
    let context = format!(
        "round {round}, SIGTERM {delay} (exit {:?}):\n{err}",
        out.status.code()
    );
    let said: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("interrupted"))
        .collect();
    eprintln!(
        "round {round}: SIGTERM {delay}: exit {:?}, URL printed: {}, {said:?}",
        out.status.code(),
        !printed.is_empty()
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(130) | None),
        "{context}"
    );
    if printed.starts_with("http://127.0.0.1:") {
        assert!(
            docker_ok(&["inspect", "--format", "{{.State.Running}}", name]) == "true",
            "URL printed, container gone: {context}"
        );
        assert!(exists("volume", volume), "{context}");
    } else {
        assert!(printed.is_empty(), "{context}\nstdout: {printed}");
        assert!(
            !exists("container", name),
            "no URL, yet a container is left: {context}"
        );
        assert_eq!(exists("volume", volume), volume_was_there, "{context}");
    }
    for line in err
        .lines()
        .filter_map(|l| l.strip_prefix("interrupted: removed "))
    {
        let (kind, what) = line.split_once(' ').unwrap();
        assert!(
            what == name || (what == volume && !volume_was_there),
            "claims to have removed {line}: {context}"
        );
        assert!(
            !exists(kind, what),
            "claims to have removed {line}, which is still there: {context}"
        );
    }
}

/// Issue 12, panics: a huge --timeout, and stdout closed early (`| true`): no panic, never 101.
#[test]
fn a_huge_timeout_and_a_closed_stdout_are_no_panic() {
    let lab = Lab::new("jdx-panic");
    let Lab { name, volume, .. } = &lab;
    let dir = lab.dir();
    succeeded(&up(&lab.up_args(&["--timeout", "18446744073709551615"])));

    for args in [
        vec!["status", "--name", &name],
        vec!["status", "--json", "--name", "jdx-no-such"],
        vec!["url", "--name", &name],
        vec!["--help"],
    ]
    .into_iter()
    .chain([vec![
        "up",
        "--name",
        &name,
        "--volume",
        &volume,
        "--port",
        "0",
        "--notebooks",
        dir,
    ]]) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(assert_cmd::cargo::cargo_bin("xtask"))
            .args(&args)
            .env(RUN_ID_ENV, run_id())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && out.status.code() != Some(101),
            "{args:?}: {err}"
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(141)),
            "{args:?}: {:?} {err}",
            out.status.code()
        );
    }
    assert!(
        exists("container", name),
        "up with a closed stdout removed its container"
    );
}
