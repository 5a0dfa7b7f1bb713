//! Faults of `up --host`: one error line naming the fix, nothing left on the remote or here, and a
//! volume that was there before kept as it was.

use super::support::*;
use super::{remote, xtask_on, OnRemote};
use xtask::sandbox::Remote;

/// `up --host` that must fail: its one error line, after `between` (which may mend the remote);
/// nothing of it is left on the remote or here.
fn up_fails(remote: &Remote, host: &str, extra: &[&str], between: impl FnOnce()) -> String {
    let name = unique("jdx-remote-bad");
    let volume = unique("jdx-remote-badvol");
    let out = xtask_on(remote)
        .args([
            "up",
            "--host",
            host,
            "--name",
            &name,
            "--volume",
            &volume,
            "--timeout",
            "60",
        ])
        .args(extra)
        // A free local port for the tunnel unless the test names one: a person's own JupyterLab
        // may hold 8888 (the README's `up`, still running while the tests run).
        .args(if extra.contains(&"--port") {
            &[][..]
        } else {
            &["--port", "0"][..]
        })
        .output()
        .unwrap();
    between();
    let _made = OnRemote::new(remote, &name, &[&volume]);
    let error = the_error(&out);
    eprintln!("{host} {extra:?}: {error}");
    for (kind, what) in [
        ("container", &name),
        ("volume", &volume),
        ("volume", &format!("{name}-notebooks")),
    ] {
        assert!(
            is_gone_on(&remote.direct, kind, what),
            "{error}: the {kind} {what} was left on the remote"
        );
        assert!(
            is_gone(kind, what),
            "{error}: the {kind} {what} was made on this machine's engine"
        );
    }
    let ssh = xtask::engine::remote::SshHost::parse(&remote.url).unwrap();
    assert!(
        xtask::jupyter::tunnel::find(&ssh, &name).is_none(),
        "{error}: a tunnel was left"
    );
    error
}

#[test]
fn faults_are_one_line_naming_the_fix_and_leave_nothing() {
    images();
    let remote = remote();
    assert_a_wrong_host_is_one_line_naming_the_fix(&remote);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let busy = up_fails(&remote, &remote.url, &["--port", &port], || {});
    assert!(
        busy.contains(&format!("local port {port}")) && busy.contains("--port 0"),
        "{busy}"
    );
    drop(taken);

    // The remote's engine down, its SSH server up; started again before looking for leftovers.
    remote.stop_engine().unwrap();
    let down = up_fails(&remote, &remote.url, &[], || remote.start_engine().unwrap());
    assert!(
        down.contains("is not running") && down.contains("start it there"),
        "{down}"
    );

    // A volume there that holds earlier data: `up`s on it that fail (the tunnel's port taken, the
    // engine down) leave it, and its data, as they were.
    assert_failed_ups_leave_an_earlier_volume_as_it_was(&remote);
}

/// A host written without `ssh://`, one nothing answers on, one that refuses the login.
fn assert_a_wrong_host_is_one_line_naming_the_fix(remote: &Remote) {
    let address = remote.address.clone();

    let malformed = up_fails(remote, &format!("root@{address}"), &[], || {});
    assert!(
        malformed.contains("--host") && malformed.contains("ssh://USER@HOST"),
        "{malformed}"
    );

    let unreachable = up_fails(remote, "ssh://root@127.0.0.1:1", &[], || {});
    assert!(
        unreachable.contains("cannot be reached over SSH") && unreachable.contains("port 1"),
        "{unreachable}"
    );

    let refused = up_fails(remote, &format!("ssh://nobody@{address}"), &[], || {});
    assert!(
        refused.contains("refused the login") && refused.contains("ssh-copy-id"),
        "{refused}"
    );
}

/// The volume, made on the remote before them and holding a file, and the two `up`s on it.
fn assert_failed_ups_leave_an_earlier_volume_as_it_was(remote: &Remote) {
    let (name, kept) = (unique("jdx-remote-keep"), unique("jdx-remote-kept"));
    let _made = OnRemote::new(remote, &name, &[&kept]);
    remote.direct.create_volume(&kept, &[]).unwrap();
    let earlier = format!("/var/lib/inner/volumes/{kept}/_data/earlier.txt");
    assert!(remote
        .sandbox
        .exec(&["sh", "-c", &format!("echo earlier data > {earlier}")])
        .unwrap()
        .ok());
    let up_on_kept = |extra: &[&str]| {
        xtask_on(remote)
            .args([
                "up",
                "--host",
                &remote.url,
                "--name",
                &name,
                "--volume",
                &kept,
                "--timeout",
                "60",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = up_on_kept(&["--port", &taken.local_addr().unwrap().port().to_string()]);
    drop(taken);
    remote.stop_engine().unwrap();
    let stopped = up_on_kept(&["--port", "0"]);
    remote.start_engine().unwrap();
    assert!(
        !busy.status.success() && !stopped.status.success(),
        "an up that should fail did not:\n{}\n{}",
        String::from_utf8_lossy(&busy.stderr),
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(
        remote.direct.exists("volume", &kept),
        "a failed up removed the volume {kept} it did not make"
    );
    assert_eq!(
        remote
            .sandbox
            .exec(&["cat", &earlier])
            .unwrap()
            .stdout
            .trim(),
        "earlier data",
        "the volume's earlier data changed"
    );
}

#[test]
fn a_remote_disk_that_fills_while_the_image_loads_is_one_line_and_starts_nothing() {
    images();
    // The remote's engine keeps its images on a 150 MB tmpfs; the image is about 1 GB.
    let remote = Remote::with_small_disk(&engine(), "150m").expect("the small remote starts");
    let full = up_fails(&remote, &remote.url, &[], || {});
    assert!(
        full.contains("ran out of disk space")
            && full.contains("system df")
            && full.contains("nothing was started"),
        "{full}"
    );
    assert_eq!(
        remote.direct.image_id("custom-jupyter-image:named-volume"),
        None,
        "a half-loaded image is tagged there"
    );
}
