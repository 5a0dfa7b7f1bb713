//! Faults and bad input: each gives one clear error, a non-zero exit, nothing half-made, and the
//! named volume's earlier data still reads back byte for byte.

mod support;

use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

// The faults by where they are, in files of their own (the binary is still `faults`).
#[path = "faults/notebooks.rs"]
mod notebooks;
#[path = "faults/unreachable.rs"]
mod unreachable;

/// A labelled volume holding `earlier.txt`; returns its sha256.
fn volume_with_earlier_data(volume: &str) -> String {
    create_volume(volume, &[]);
    // Owned by the notebook user, as a volume that an earlier `up` made would be.
    volume_read(volume, "head -c 4096 /dev/urandom > /o/earlier.txt && chown -R 1000:100 /o && sha256sum /o/earlier.txt")
}

/// Runs a shell script in a throwaway container with the volume at /o; the first word of its last line.
fn volume_read(volume: &str, script: &str) -> String {
    let spec = RunSpec::new(IMAGE)
        .rm()
        .user("0")
        .entrypoint("sh")
        .mount(Mount::volume(volume, "/o"))
        .command(&["-c", script]);
    let word = first_word_of_last_line(&run_ok(&spec));
    assert_eq!(word.len(), 64, "not a sha256: {word:?}");
    word
}

fn earlier_sha(volume: &str) -> String {
    volume_read(volume, "sha256sum /o/earlier.txt")
}

/// A [`Lab`] whose volume holds earlier data (its sha256 in `before`), and, for some tests, an
/// image of its own (removed after the lab's container).
struct Fixture {
    lab: Lab,
    before: String,
    image: String,
    _image: Option<Guard>,
}

impl std::ops::Deref for Fixture {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}

impl Fixture {
    fn new(prefix: &str) -> Fixture {
        let lab = Lab::new(prefix);
        let before = volume_with_earlier_data(&lab.volume);
        Fixture {
            lab,
            before,
            image: IMAGE.to_string(),
            _image: None,
        }
    }

    /// With an image `tag:<pid>` made from the series image, whose server is replaced by `cmd`
    /// (a Dockerfile CMD's JSON array).
    fn with_cmd(prefix: &str, tag: &str, cmd: &str) -> Fixture {
        let image = format!("{tag}:{}", std::process::id());
        let guard = Guard::image(&image);
        let fixture = Fixture {
            image,
            _image: Some(guard),
            ..Fixture::new(prefix)
        };
        build_image(&fixture.image, &format!("FROM {IMAGE}\nCMD {cmd}\n"));
        fixture
    }

    fn earlier_data_intact(&self) {
        assert_eq!(
            earlier_sha(&self.volume),
            self.before,
            "the volume's earlier data changed"
        );
    }

    fn container_gone(&self) -> bool {
        is_gone("container", &self.name)
    }
}

#[test]
fn a_server_that_crashes_before_its_url_is_reported_and_removed() {
    // An image whose server dies at once, saying why on stderr.
    let f = Fixture::with_cmd(
        "jdx-crash",
        "jdx-crash-image",
        r#"["sh", "-c", "echo 'server crashing on purpose' >&2; exit 3"]"#,
    );

    let out = xtask()
        .arg("up")
        .args(f.up_args(&["--image", &f.image, "--timeout", "60"]))
        .output()
        .unwrap();
    let error = the_error(&out);
    assert!(
        error.contains("exited before the server printed its URL") && error.contains("exit code 3"),
        "{error}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("server crashing on purpose"),
        "the log tail is shown"
    );
    assert!(f.container_gone(), "the failed container was left");
    f.earlier_data_intact();
}

/// Bad input refused before the volume is touched, each with its own message, and a server that
/// crashes with the volume mounted: the volume's earlier data reads back byte for byte each time.
#[test]
fn bad_input_keeps_the_volumes_earlier_data() {
    // Says on stderr that it sees the volume's file, then dies.
    let f = Fixture::with_cmd(
        "jdx-badvol",
        "jdx-crash-mounted",
        r#"["sh", "-c", "ls /work/outputs/earlier.txt >&2; exit 3"]"#,
    );
    let image = &f.image;
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port().to_string();
    let port_taken = format!("host port {busy} is already in use");
    let crashed = format!("{} failed to start: the container exited before the server printed its URL (state exited, exit code 3)", f.name);
    let kept = format!("the volume {} is kept", f.volume);
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--port", &busy], vec![&port_taken]),
        (
            vec!["--image", "jdx-no-such-image:never", "--port", "0"],
            vec!["image jdx-no-such-image:never does not exist"],
        ),
        (
            vec!["--notebooks", "/nonexistent/notebooks", "--port", "0"],
            vec!["notebooks folder /nonexistent/notebooks does not exist"],
        ),
        (
            vec!["--timeout", "0", "--port", "0"],
            vec!["--timeout 0 leaves no time"],
        ),
        (
            vec!["--image", image, "--port", "0", "--timeout", "60"],
            vec![&crashed, &kept],
        ),
    ];
    for (args, words) in &cases {
        let mut up = xtask();
        up.args(["up", "--name", &f.name, "--volume", &f.volume])
            .args(args);
        if !args.contains(&"--notebooks") {
            up.args(["--notebooks", f.dir()]);
        }
        let out = up.assert().get_output().clone();
        let error = the_error(&out);
        for w in words {
            assert!(error.contains(w), "{args:?}: {error}");
        }
        if args.contains(&image.as_str()) {
            // The server had the volume mounted when it crashed: its log, shown under the error, names the file.
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("/work/outputs/earlier.txt"), "{stderr}");
        }
        assert!(f.container_gone(), "{args:?} left a container");
        f.earlier_data_intact();
    }
    drop(holder);
}

#[test]
fn ctrl_c_while_up_waits_leaves_no_container_and_keeps_the_volume() {
    // A server that never prints its URL, so `up` is still waiting when interrupted.
    let f = Fixture::with_cmd("jdx-intr", "jdx-silent-image", r#"["sleep", "600"]"#);

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xtask"))
        .arg("up")
        .args(f.up_args(&["--image", &f.image, "--timeout", "300"]))
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the container runs: `up` is then waiting for a URL that never comes.
    wait_until(
        std::time::Duration::from_secs(60),
        "up never started its container",
        || engine().container_state(&f.name).is_some_and(|s| s.running),
    );
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(f.container_gone(), "the container was left");
    f.earlier_data_intact();
}
