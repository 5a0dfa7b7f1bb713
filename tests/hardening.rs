//! `up` hardened (issues 12 and 14): paths that would reach another folder, races for one name,
//! signals at any moment, linked folders, panics, volumes left by failures, messages that must be
//! true, a changed request, a chosen token. Each test failed before the fix it proves.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

#[path = "hardening/changes.rs"]
mod changes;
#[path = "hardening/messages.rs"]
mod messages;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// Whether it exists: only Docker saying "no such" counts as gone (an engine error fails the test).
fn exists(kind: &str, name: &str) -> bool {
    !is_gone(kind, name)
}

fn container_id(name: &str) -> String {
    docker_ok(&["inspect", "--format", "{{.Id}}", name])
}

fn mounts(name: &str) -> serde_json::Value {
    serde_json::from_str(&docker_ok(&[
        "inspect",
        "--format",
        "{{json .Mounts}}",
        name,
    ]))
    .unwrap()
}

fn mount_at<'a>(mounts: &'a serde_json::Value, target: &str) -> &'a serde_json::Value {
    mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == target)
        .unwrap_or_else(|| panic!("nothing mounted at {target}: {mounts}"))
}

/// `cargo xtask ARGS` as a child process, with the test run's id.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("xtask"));
    cmd.args(args)
        .env(RUN_ID_ENV, run_id())
        .env_remove("JUPYTER_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// `cargo xtask up ARGS`, whatever its exit.
fn up(args: &[&str]) -> Output {
    xtask()
        .arg("up")
        .args(args)
        .env_remove("JUPYTER_TOKEN")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn succeeded(out: &Output) -> &Output {
    assert!(out.status.success(), "up failed:\n{}", stderr(out));
    out
}

/// An empty temporary folder the container's user can enter.
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    dir
}

/// A folder holding the notebooks, readable by the container's user.
fn notebooks_in(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks/computation.ipynb"),
        dir.join("computation.ipynb"),
    )
    .unwrap();
    chmod(dir, 0o755);
}

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

/// Issue 12.1: a folder whose name is a whole `--mount` value mounts that folder, read-only, and
/// nothing else; what Docker mounted is checked after `docker run`. A newline is refused.
#[test]
fn a_notebooks_path_is_mounted_exactly_as_named() {
    let lab = Lab::new("jdx-hmount");
    let base = open_dir();
    let other = base.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("from-other.txt"), "not asked for").unwrap();
    // With an `outputs` folder, Docker could run a container on it, were it mounted instead.
    std::fs::create_dir(other.join("outputs")).unwrap();
    chmod(&other, 0o755);
    let named = PathBuf::from(format!(
        "{}/nb,source={},target=/work,readonly=false",
        base.path().display(),
        other.display()
    ));
    notebooks_in(&named);

    succeeded(&up(&lab.args(&["--notebooks", named.to_str().unwrap()])));
    let mounts = mounts(&lab.name);
    let bind = mount_at(&mounts, "/work");
    assert_eq!(bind["Type"], "bind");
    assert_eq!(
        bind["Source"].as_str().unwrap(),
        named.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(bind["RW"], false, "the notebooks are writable");
    let outputs = mount_at(&mounts, "/work/outputs");
    assert_eq!(
        (
            outputs["Type"].as_str(),
            outputs["Name"].as_str(),
            outputs["RW"].as_bool()
        ),
        (Some("volume"), Some(lab.volume.as_str()), Some(true))
    );
    let listed = docker_ok(&["exec", &lab.name, "ls", "/work"]);
    assert!(
        listed.contains("computation.ipynb") && !listed.contains("from-other.txt"),
        "{listed}"
    );

    let newline = base.path().join("nb\nreadonly=false");
    notebooks_in(&newline);
    let refused = Lab::new("jdx-hmount-nl");
    let out = up(&refused.args(&["--notebooks", newline.to_str().unwrap()]));
    assert!(the_error(&out).contains("control character"));
    assert!(
        !exists("container", &refused.name) && !exists("volume", &refused.volume),
        "a refused path left something"
    );
}

/// Issue 12.3: five `up` for one name at once: one container, every one of them prints its URL,
/// one volume, kept; nothing else left.
#[test]
fn five_ups_for_one_name_make_one_container() {
    images();
    let name = unique("jdx-race");
    let _v = Guard::volume(&name);
    let _c = Guard::container(&name);
    let notebooks = notebooks_copy();
    let dir = notebooks.path().to_str().unwrap().to_string();
    let children: Vec<Child> = (0..5)
        .map(|_| {
            spawn(
                &[
                    "up",
                    "--name",
                    &name,
                    "--volume",
                    &name,
                    "--port",
                    "0",
                    "--notebooks",
                    &dir,
                ],
                &[],
            )
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut urls = Vec::new();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "an up failed:\n{}", stderr(out));
        urls.push(stdout(out));
    }
    urls.dedup();
    assert_eq!(urls.len(), 1, "different URLs: {urls:?}");
    let port: u16 = urls[0]
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        http_status(port, "/api/status", Some(&token_of(&urls[0]))),
        200
    );

    let filter = format!("label={RUN_LABEL_KEY}={}", run_id());
    let containers = docker_ok(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(containers, name, "stray containers");
    let volumes = docker_ok(&[
        "volume",
        "ls",
        "--filter",
        &filter,
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(volumes, name, "the volume was lost, or others made");
}

/// Issue 12.4: SIGTERM at 20 random moments of `up`: afterwards either `up` printed its URL and
/// its container serves, or no container is left and no URL was printed; a volume that was there
/// stays, one `up` made goes with its container; the interrupt names only what it removed.
#[test]
fn sigterm_at_any_moment_leaves_nothing_half_made() {
    images();
    let notebooks = notebooks_copy();
    let dir = notebooks.path().to_str().unwrap().to_string();
    let args = |name: &str, volume: &str| -> Vec<String> {
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
            &dir,
        ]
        .map(String::from)
        .to_vec()
    };
    // How long one `up` takes here, from nothing.
    let (name, volume) = (unique("jdx-sig"), unique("jdx-sig-vol"));
    let (_v, _c) = (Guard::volume(&volume), Guard::container(&name));
    let started = Instant::now();
    succeeded(&xtask().args(args(&name, &volume)).output().unwrap());
    let full = started.elapsed();
    drop((_c, _v));
    eprintln!("up takes {full:?}");

    let mut random = Random::seeded();
    for round in 0..20 {
        let (name, volume) = (unique("jdx-sig"), unique("jdx-sig-vol"));
        let _v = Guard::volume(&volume);
        let _c = Guard::container(&name);
        let volume_was_there = round % 2 == 1;
        if volume_was_there {
            create_volume(&volume, &[]);
        }
        let argv = args(&name, &volume);
        let mut child = spawn(&argv.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        // Its stderr, read on a thread that says when `up` starts `docker run`.
        let (starting_tx, starting) = std::sync::mpsc::channel();
        let reader = child.stderr.take().unwrap();
        let starting_line = format!("Starting {name} from");
        let collected = std::thread::spawn(move || {
            let mut all = String::new();
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(reader)).map_while(Result::ok)
            {
                if line.contains(&starting_line) {
                    let _ = starting_tx.send(());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
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
        let status = child.wait().unwrap();
        let mut printed = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut printed).unwrap();
        let out = Output {
            status,
            stdout: printed.into_bytes(),
            stderr: collected.join().unwrap().into_bytes(),
        };
        // A docker command `up` started may outlive it: wait for every one naming this round's
        // resources to end, so that what it makes after `up` exited is seen too.
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
        let (printed, err) = (stdout(&out), stderr(&out));
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
                docker_ok(&["inspect", "--format", "{{.State.Running}}", &name]) == "true",
                "URL printed, container gone: {context}"
            );
            assert!(exists("volume", &volume), "{context}");
        } else {
            assert!(printed.is_empty(), "{context}\nstdout: {printed}");
            assert!(
                !exists("container", &name),
                "no URL, yet a container is left: {context}"
            );
            assert_eq!(exists("volume", &volume), volume_was_there, "{context}");
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
}

/// Issue 12.5: a linked notebooks folder: the real folder is mounted and named in the progress
/// output; `outputs` is made only in it; an `outputs` link is refused before anything is made.
#[test]
fn a_linked_notebooks_folder_is_mounted_where_it_leads() {
    let lab = Lab::new("jdx-link");
    let base = open_dir();
    let real = base.path().join("real");
    notebooks_in(&real);
    let link = base.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    // An `outputs` link to elsewhere would take the volume there: refused, nothing made.
    let elsewhere = base.path().join("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, real.join("outputs")).unwrap();
    let out = up(&lab.args(&["--notebooks", link.to_str().unwrap()]));
    assert!(the_error(&out).contains("is a link"));
    assert!(
        !exists("volume", &lab.volume) && !exists("container", &lab.name) && !elsewhere.exists()
    );
    std::fs::remove_file(real.join("outputs")).unwrap();

    let out = up(&lab.args(&["--notebooks", link.to_str().unwrap()]));
    let err = stderr(succeeded(&out));
    let real = real.canonicalize().unwrap();
    assert!(
        err.contains(&format!("leads to {} (through a link)", real.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("created {}", real.join("outputs").display())),
        "{err}"
    );
    assert!(real.join("outputs").is_dir());
    assert_eq!(
        mount_at(&mounts(&lab.name), "/work")["Source"]
            .as_str()
            .unwrap(),
        real.to_str().unwrap()
    );
    let after: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "something was made beside the folder named");
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

/// Issue 12: every way `up` fails after it made the volume removes the volume it made (and its
/// container); the error says so, and it is true.
#[test]
fn a_failed_up_removes_the_volume_it_made() {
    images();
    let tag = std::process::id();
    let (crash, silent, broken) = (
        format!("jdx-h-crash:{tag}"),
        format!("jdx-h-silent:{tag}"),
        format!("jdx-h-broken:{tag}"),
    );
    let _images = [
        Guard::image(&crash),
        Guard::image(&silent),
        Guard::image(&broken),
    ];
    build_image(
        &crash,
        &format!("FROM {IMAGE}\nCMD [\"sh\", \"-c\", \"echo crashing on purpose >&2; exit 3\"]\n"),
    );
    build_image(
        &silent,
        &format!("FROM {IMAGE}\nCMD [\"sleep\", \"600\"]\n"),
    );
    build_image(
        &broken,
        &format!("FROM {IMAGE}\nENTRYPOINT [\"/nonexistent-entrypoint\"]\n"),
    );
    let base = open_dir();
    let folder = |name: &str| {
        let dir = base.path().join(name);
        notebooks_in(&dir);
        dir.to_str().unwrap().to_string()
    };
    let good = folder("good");
    let newline = folder("nb\nx");
    let root_owned = folder("root-owned");
    let outputs_file = folder("outputs-file");
    std::fs::write(Path::new(&outputs_file).join("outputs"), "a file").unwrap();
    let outputs_dangling = folder("outputs-dangling");
    std::os::unix::fs::symlink(
        base.path().join("nowhere"),
        Path::new(&outputs_dangling).join("outputs"),
    )
    .unwrap();

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--notebooks", &newline], "control character"),
        (
            vec!["--notebooks", &root_owned, "--writable-notebooks"],
            "owned by root",
        ),
        (vec!["--notebooks", &outputs_file], "is a file"),
        (vec!["--notebooks", &outputs_dangling], "is a link"),
        (
            vec!["--notebooks", &good, "--image", &crash],
            "the container and the volume",
        ),
        (
            vec!["--notebooks", &good, "--image", &silent, "--timeout", "5"],
            "no URL within 5s",
        ),
        (
            vec!["--notebooks", &good, "--image", &broken],
            "nonexistent-entrypoint",
        ),
    ];
    for (args, says) in cases {
        let lab = Lab::new("jdx-hfail");
        let out = up(&lab.args(&args));
        let error = the_error(&out);
        assert!(error.contains(says), "{args:?}: {error}");
        assert!(
            !exists("volume", &lab.volume),
            "{args:?} left the volume it made: {error}"
        );
        assert!(
            !exists("container", &lab.name),
            "{args:?} left its container: {error}"
        );
    }
    assert!(
        !base.path().join("nowhere").exists() && !Path::new(&good).join("outputs").exists(),
        "a failed up left a folder it made"
    );
}

/// Issue 12: the project's stopped container whose server fails at its next start: the message
/// says it is kept and how to remove it, and it is kept.
#[test]
fn a_container_that_fails_to_start_again_is_kept_and_said_so() {
    images();
    let image = format!("jdx-h-once:{}", std::process::id());
    let _i = Guard::image(&image);
    let once = "if [ -e /tmp/started-once ]; then echo second start fails on purpose >&2; exit 4; fi; touch /tmp/started-once; exec start-notebook.py";
    build_image(
        &image,
        &format!("FROM {IMAGE}\nCMD [\"sh\", \"-c\", \"{once}\"]\n"),
    );
    let lab = Lab::new("jdx-once");
    let Lab { name, volume, .. } = &lab;
    let args = lab.up_args(&["--image", &image]);
    succeeded(&up(&args));
    docker_ok(&["stop", name]);
    let out = up(&args);
    let error = the_error(&out);
    assert!(
        error.contains("exit code 4")
            && error.contains("is kept")
            && error.contains(&format!("cargo xtask down --name {name}")),
        "{error}"
    );
    assert!(
        exists("container", name),
        "the message says kept, the container is gone"
    );
    xtask().args(["down", "--name", name]).assert().success();
    assert!(!exists("container", name) && exists("volume", volume));
}
