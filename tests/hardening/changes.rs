//! `up` when the container exists and the request changed, and a token chosen by the person.

use super::*;

/// The container and the volume every `up` of the changed-request test names.
struct Same<'a> {
    name: &'a str,
    volume: &'a str,
}

impl Same<'_> {
    /// `up` for the same container and volume, then `extra`, which must succeed: its stdout and
    /// stderr.
    fn up(&self, extra: &[&str]) -> (String, String) {
        let out = up(&[&["--name", self.name, "--volume", self.volume][..], extra].concat());
        (stdout(succeeded(&out)), stderr(&out))
    }
}

/// Issue 14.5: a changed request recreates the container (the volume and its data stay), an
/// unchanged one reuses it, --force-recreate recreates it anyway; never a person's container.
#[test]
fn a_changed_request_recreates_the_container() {
    images();
    let (name, volume) = (unique("jdx-change"), unique("jdx-change-vol"));
    let image = format!("jdx-h-rebuilt:{}", std::process::id());
    let _i = Guard::image(&image);
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let (first, second) = (notebooks_copy(), notebooks_copy());
    let same = Same {
        name: &name,
        volume: &volume,
    };
    let dir1 = first.path().to_str().unwrap();
    let dir2 = second.path().to_str().unwrap();
    other_notebooks_recreate_it(&same, dir1, second.path());

    let port = free_port().to_string();
    let (url, err) = same.up(&["--port", &port, "--notebooks", dir2]);
    assert!(
        err.contains(&format!("(asked {port})")) && url.contains(&format!(":{port}/")),
        "{err}"
    );

    let _first = a_rebuilt_image_recreates_it(&same, dir2, &port, &image);
    force_recreate_recreates_it(&same, dir2, &port, &image);

    // A person's own container of that name is never recreated.
    a_persons_container_is_never_recreated(&volume);
}

/// The first `up` (a marker written to its volume), the same request again (the container
/// reused), then the notebooks at `second` (recreated, the marker kept).
fn other_notebooks_recreate_it(same: &Same, dir1: &str, second: &Path) {
    let name = same.name;
    let dir2 = second.to_str().unwrap();
    same.up(&["--port", "0", "--notebooks", dir1]);
    docker_ok(&["exec", name, "sh", "-c", "echo kept > /work/outputs/marker"]);
    let id = container_id(name);

    let (_, err) = same.up(&["--port", "0", "--notebooks", dir1]);
    assert!(
        !err.contains("recreating") && container_id(name) == id,
        "reused: {err}"
    );

    let (_, err) = same.up(&["--port", "0", "--notebooks", dir2]);
    assert!(
        err.contains("recreating")
            && err.contains(&format!(
                "(asked {})",
                second.canonicalize().unwrap().display()
            )),
        "{err}"
    );
    assert_ne!(container_id(name), id);
    assert_eq!(
        docker_ok(&["exec", name, "cat", "/work/outputs/marker"]),
        "kept"
    );
}

/// A new image recreates the container, and so does a rebuild of that tag (a new id). The guard
/// it gives removes the first build.
fn a_rebuilt_image_recreates_it(same: &Same, dir2: &str, port: &str, image: &str) -> Guard {
    let name = same.name;
    build_image(image, &format!("FROM {IMAGE}\nLABEL jdx-build=1\n"));
    // The rebuild below leaves this first image untagged: it goes too (the container by then runs the second).
    let first = Guard::image(&docker_ok(&[
        "image", "inspect", "--format", "{{.Id}}", image,
    ]));
    let (_, err) = same.up(&["--port", port, "--notebooks", dir2, "--image", image]);
    assert!(err.contains("recreating"), "{err}");
    build_image(image, &format!("FROM {IMAGE}\nLABEL jdx-build=2\n"));
    let rebuilt = docker_ok(&["image", "inspect", "--format", "{{.Id}}", image]);
    let (_, err) = same.up(&["--port", port, "--notebooks", dir2, "--image", image]);
    assert!(
        err.contains(&format!("image {image} now has the id")),
        "{err}"
    );
    assert_eq!(
        docker_ok(&["inspect", "--format", "{{.Image}}", name]),
        rebuilt
    );
    first
}

/// --force-recreate recreates the container even though nothing changed; the marker is kept.
fn force_recreate_recreates_it(same: &Same, dir2: &str, port: &str, image: &str) {
    let name = same.name;
    let id = container_id(name);
    let (_, err) = same.up(&[
        "--port",
        port,
        "--notebooks",
        dir2,
        "--image",
        image,
        "--force-recreate",
    ]);
    assert!(
        err.contains("--force-recreate") && container_id(name) != id,
        "{err}"
    );
    assert_eq!(
        docker_ok(&["exec", name, "cat", "/work/outputs/marker"]),
        "kept"
    );
}

/// `up --force-recreate` naming a person's own container (not made by the project) is refused, and
/// the container is the same one.
fn a_persons_container_is_never_recreated(volume: &str) {
    let theirs = unique("jdx-theirs");
    let _t = Guard::container(&theirs);
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &theirs,
        "--entrypoint",
        "sleep",
        IMAGE,
        "600",
    ]);
    let id = container_id(&theirs);
    let out = up(&[
        "--name",
        &theirs,
        "--volume",
        volume,
        "--port",
        "0",
        "--force-recreate",
    ]);
    assert!(the_error(&out).contains("not made by this project"));
    assert_eq!(container_id(&theirs), id);
}

/// Issue 14: `up -d` is accepted; a token from a private file or JUPYTER_TOKEN survives restarts
/// and `down`/`up`, and shows nowhere but in the URL: not in `docker inspect`, `ps`, or stderr.
#[test]
fn a_chosen_token_is_stable_and_shown_only_in_the_url() {
    let lab = Lab::new("jdx-token");
    let Lab { name, volume, .. } = &lab;
    let secrets = tempfile::tempdir().unwrap();
    let file = secrets.path().join("token");
    let token = format!("jdx{}x{}", std::process::id(), "0123456789abcdef");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let args = lab.up_args(&[]);

    chmod(&file, 0o644);
    let out = up(&[&args[..], &["--token-file", file.to_str().unwrap()]].concat());
    assert!(the_error(&out).contains(&format!("chmod 600 {}", file.display())));
    let out = up(&[&args[..], &["--token", "0123456789abcdef0123"]].concat());
    assert!(the_error(&out).contains("--token-file"));
    assert!(!exists("container", name) && !exists("volume", volume));

    chmod(&file, 0o600);
    let out = up(&[&args[..], &["-d", "--token-file", file.to_str().unwrap()]].concat());
    let url = stdout(succeeded(&out));
    assert!(url.ends_with(&format!("?token={token}")), "{url}");
    assert!(
        !stderr(&out).contains(&token),
        "the token is in the progress output"
    );
    let port: u16 = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(http_status(port, "/api/status", Some(&token)), 200);
    assert_eq!(http_status(port, "/api/status", None), 403);
    assert!(
        !docker_ok(&["inspect", name]).contains(&token),
        "the token is in docker inspect"
    );
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains(&token),
        "the token is in a process's arguments"
    );

    docker_ok(&["restart", name]);
    let again = xtask().args(["url", "--name", name]).assert().success();
    assert_eq!(
        token_of(&stdout(again.get_output())),
        token,
        "the token changed with a restart"
    );

    xtask().args(["down", "--name", name]).assert().success();
    let out = xtask()
        .arg("up")
        .args(&args)
        .env("JUPYTER_TOKEN", &token)
        .output()
        .unwrap();
    let url = stdout(succeeded(&out));
    assert!(url.ends_with(&format!("?token={token}")), "{url}");
    let port: u16 = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(http_status(port, "/api/status", Some(&token)), 200);
}
