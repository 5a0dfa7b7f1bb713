//! The project's promises about what it must never do: touch a person's own things, listen beyond
//! loopback, leak the token, run privileged or as root, let the container change read-only
//! notebooks, or bake secrets into images.

mod support;

use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

/// A person's own container, volume and network, including ones named like the tutorial's and one
/// started from the project's image (it inherits the image's `managed` label), survive `clean
/// --volumes --yes` and `down`. `clean` is scoped to a private run id here so that it cannot reach
/// other tests' resources; the person's things even carry that run label, and must still be spared
/// because they lack the label the project puts only on what it creates itself.
#[test]
fn a_persons_own_things_are_never_touched() {
    images();
    let private_run = format!("{}-{}", run_id(), unique("safety"));
    let run_label = format!("{RUN_LABEL_KEY}={private_run}");
    let free = |kind: &str, name: &str| is_gone(kind, name);
    let pick = |kind: &str, tutorial: &str, fallback: &str| {
        if free(kind, tutorial) {
            tutorial.to_string()
        } else {
            unique(fallback)
        }
    };
    let container = pick("container", "custom-jupyter-container", "person-container");
    let volume = pick("volume", "named-data-volume", "person-volume");
    let network = pick("network", "jupyter-mysql-net", "person-network");
    // The test's own fixtures: removed by their guards however the test ends (a tuple drops its
    // fields in order: the container before the volume and network it uses).
    let _fixtures = (
        Guard::container(&container),
        Guard::volume(&volume),
        Guard::network(&network),
    );

    // Made by hand, as a person would: no label but the run's.
    assert_eq!(
        person()
            .create_volume(&volume, &["--label", &run_label])
            .unwrap(),
        Created::Now
    );
    docker_ok(&["network", "create", "--label", &run_label, &network]);
    let by_hand = RunSpec::detached(IMAGE, &container)
        .label(RUN_LABEL_KEY, &private_run)
        .network(&network)
        .mount(Mount::volume(&volume, "/work/outputs"))
        .entrypoint("sh")
        .command(&["-c", "echo mine > /work/outputs/marker && sleep 600"]);
    person().run(&by_hand).unwrap();
    assert_eq!(
        engine().label("container", &container, xtask::engine::OWNER_KEY),
        None,
        "a person's container has no owner label"
    );
    assert_eq!(
        docker_ok(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}}",
            &container
        ]),
        "true",
        "the image's label is inherited"
    );
    let id = docker_ok(&["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", &container]);

    // Something the project made in the same private run, which clean must remove.
    let ours = unique("jdx-ours");
    let _o = Guard::volume(&ours);
    assert_eq!(
        engine()
            .with_run(Some(private_run.clone()))
            .create_volume(&ours, &[])
            .unwrap(),
        Created::Now
    );

    let cleaned = xtask()
        .args(["clean", "--volumes", "--yes"])
        .env(RUN_ID_ENV, &private_run)
        .assert()
        .success();
    let said = String::from_utf8_lossy(&cleaned.get_output().stdout).to_string();
    assert!(said.contains(&format!("removed volume {ours}")), "{said}");
    assert!(
        !said.contains(&container)
            && !said.contains(&format!(" {volume}"))
            && !said.contains(&network),
        "{said}"
    );
    assert!(free("volume", &ours));

    let down = xtask()
        .args(["down", "--name", &container])
        .assert()
        .get_output()
        .clone();
    assert!(the_error(&down).contains("was not made by this project"));
    let up = xtask()
        .args([
            "up", "--port", "0", "--name", &container, "--volume", &volume,
        ])
        .assert()
        .get_output()
        .clone();
    assert!(the_error(&up).contains("was not made by this project"));

    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", &container]),
        id,
        "the container was restarted or replaced"
    );
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.State.Running}}", &container]),
        "true"
    );
    assert_eq!(
        docker_ok(&["exec", &container, "cat", "/work/outputs/marker"]),
        "mine"
    );
    assert!(!free("network", &network));
}

/// An image a person builds FROM the project's image inherits its labels (`managed`, the test
/// run's, the one naming the tag the project built): `clean --images` removes only the project's
/// own builds (by the tag each was built as; an earlier build a rebuild left untagged, by its id),
/// never that child (tagged or not), and a tag the person put on the project's image keeps the
/// image. Without a terminal and without --yes it removes nothing.
#[test]
fn a_persons_image_built_from_the_projects_survives_clean_images() {
    images();
    let private_run = format!("{}-{}", run_id(), unique("safety-images"));
    let (ours, retag, child) = (
        format!("{}:built", unique("jdx-ours")),
        format!("{}:mine", unique("person-retag")),
        format!("{}:mine", unique("person-child")),
    );
    // Dropped last to first: the person's images before the one they were built from.
    let _ours = (Guard::image(&retag), Guard::image(&ours));
    let context = tempfile::tempdir().unwrap();
    let dockerfile =
        |text: String| std::fs::write(context.path().join("Dockerfile"), text).unwrap();
    let dir = context.path().to_str().unwrap();

    // The project's builds in a private run, which clean must remove: an earlier one, left
    // untagged by the rebuild because a container of the project used it, and the rebuild.
    let project = engine().with_run(Some(private_run.clone()));
    let build = |version: u32| {
        dockerfile(format!("FROM {IMAGE}\nENV JDX_OURS={version}\n"));
        project
            .build(
                &BuildSpec::new(context.path(), &ours),
                "building the project's image",
                false,
            )
            .unwrap();
        docker_ok(&["image", "inspect", "-f", "{{.Id}}", &ours])
    };
    let earlier = build(1);
    let _earlier = Guard::image(&earlier);
    let user = unique("jdx-ours-user");
    let _user = Guard::container(&user);
    project
        .output([
            "create",
            "--name",
            user.as_str(),
            "--label",
            OWNER,
            "--label",
            &format!("{RUN_LABEL_KEY}={private_run}"),
            ours.as_str(),
        ])
        .unwrap();
    assert_ne!(build(2), earlier);
    let earlier_short: String = earlier
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect();
    // ... and, by hand, a person's child image of it (tagged, and untagged) and a tag of their own on it.
    dockerfile(format!("FROM {ours}\nENV PERSON=1\n"));
    docker_ok(&["build", "-q", "-t", &child, dir]);
    let _child = Guard::image(&child);
    dockerfile(format!("FROM {ours}\nENV PERSON=2\n"));
    let untagged = docker_ok(&["build", "-q", dir])
        .lines()
        .last()
        .unwrap()
        .to_string();
    let _untagged = Guard::image(&untagged);
    docker_ok(&["tag", &ours, &retag]);
    let labels = |image: &str| {
        docker_ok(&["image", "inspect", "-f", "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}} {{index .Config.Labels \"jupyter-docker-xtask.run\"}}", image])
    };
    assert_eq!(
        labels(&child),
        format!("true {private_run}"),
        "the child inherits the project's labels"
    );
    assert_eq!(labels(&untagged), labels(&child));

    let refused = xtask()
        .args(["clean", "--images"])
        .env(RUN_ID_ENV, &private_run)
        .output()
        .unwrap();
    let error = the_error(&refused);
    assert!(
        error.contains("removing the images") && error.contains("pass --yes to confirm"),
        "{error}"
    );
    assert!(!is_gone("image", &ours), "a refused clean removed an image");

    let cleaned = xtask()
        .args(["clean", "--images", "--yes"])
        .env(RUN_ID_ENV, &private_run)
        .assert()
        .success();
    let said = String::from_utf8_lossy(&cleaned.get_output().stdout).to_string();
    assert!(
        said.contains(&format!("removed image {ours}"))
            && said.contains(&format!("removed image {earlier_short}")),
        "{said}"
    );
    assert!(
        is_gone("image", &ours) && is_gone("image", &earlier),
        "{said}"
    );
    for (image, what) in [
        (&child, "the person's child image"),
        (&untagged, "the person's untagged child image"),
        (&retag, "the person's tag of the project's image"),
    ] {
        assert!(
            !is_gone("image", image),
            "clean --images removed {what} {image}: {said}"
        );
    }
    assert!(!said.contains("person-"), "{said}");
}

/// Every port `up` publishes is bound on 127.0.0.1 only, as the kernel's socket table shows.
#[test]
fn nothing_listens_beyond_loopback() {
    let lab = Lab::new("jdx-sec");
    let name = &lab.name;
    let running = lab.up();
    let port = running["port"].as_u64().unwrap() as u16;
    let listeners = listening_addresses(port);
    assert!(!listeners.is_empty(), "nothing listens on {port}");
    assert!(
        listeners.iter().all(|a| a == "127.0.0.1"),
        "port {port} listens on {listeners:?}"
    );
    for line in docker_ok(&["port", name]).lines() {
        assert!(line.contains("127.0.0.1:"), "{line}");
    }

    // The notebook user, no-new-privileges, not privileged.
    assert_eq!(
        docker_ok(&[
            "inspect",
            "-f",
            "{{.Config.User}} {{.HostConfig.Privileged}} {{.HostConfig.SecurityOpt}}",
            name
        ]),
        "1000:100 false [no-new-privileges]"
    );
    assert_eq!(docker_ok(&["exec", name, "id", "-u"]), "1000");
    // no-new-privileges holds inside: the kernel reports NoNewPrivs for the server's process.
    assert!(docker_ok(&["exec", name, "grep", "NoNewPrivs", "/proc/1/status"]).ends_with('1'));

    // The token: refused without it, and in no world-readable file in the container.
    let token = running["token"].as_str().unwrap();
    assert_eq!(http_status(port, "/api/status", None), 403);
    let runtime = docker_ok(&[
        "exec",
        name,
        "sh",
        "-c",
        "stat -c '%a %n' /home/jovyan/.local/share/jupyter/runtime/jpserver-*.json",
    ]);
    assert!(runtime.lines().all(|l| l.starts_with("600 ")), "{runtime}");
    // The search must find a world-readable canary holding the token (proof that it looks), and
    // nothing else; it runs to the end or fails (its own exit status is checked).
    let canary = "/tmp/jdx-token-canary";
    docker_ok(&[
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        &format!("printf %s {token} > {canary} && chmod 644 {canary}"),
    ]);
    let search = docker(&["exec", "-u", "0", name, "python3", "-c", FIND_TOKEN, token]);
    assert!(search.ok(), "the token search failed: {}", text(&search));
    let mut lines = search.stdout.lines();
    let scanned: usize = lines.next().unwrap().parse().unwrap();
    assert!(scanned > 1000, "the search read only {scanned} files");
    assert_eq!(
        lines.collect::<Vec<_>>(),
        [canary],
        "world-readable files hold the token"
    );
}

/// World-readable regular files under 2 MiB on the container's root filesystem (as `find -xdev`)
/// that hold argv[1]: the number of files read, then one path a line. Errors fail it.
const FIND_TOKEN: &str = r#"
import os, stat, sys
token, root_dev = sys.argv[1].encode(), os.stat("/").st_dev
found, scanned = [], 0
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == root_dev]
    for name in files:
        path = os.path.join(top, name)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o004 or st.st_size >= 2 << 20:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        scanned += 1
        if token in data:
            found.append(path)
print(scanned)
for path in found:
    print(path)
"#;

/// Local addresses (IPv4 dotted, or IPv6 hex) listening on `port`, from /proc/net/tcp{,6}.
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(table) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields[1], fields[3]);
            let (addr, p) = local.split_once(':').unwrap();
            if state != "0A" || u16::from_str_radix(p, 16).unwrap() != port {
                continue;
            }
            if v6 {
                found.push(addr.to_string());
            } else {
                let n = u32::from_str_radix(addr, 16).unwrap();
                found.push(std::net::Ipv4Addr::from(n.swap_bytes()).to_string());
            }
        }
    }
    found
}

/// No password or token in any of the project's images: their config, their history, and the
/// files their build steps put in (a `.env` copied in with the project folder is the usual leak).
/// Every one of them (the base and the five series images) is present and checked, and a probe
/// image with a secret in a copied file shows the check can see one.
#[test]
fn no_secret_is_baked_into_an_image() {
    images();
    let base = base_image();
    let all = [
        base.as_str(),
        "custom-jupyter-image:anon-volume",
        "custom-jupyter-image:anon-volume-chown",
        IMAGE,
        "custom-jupyter-image:preload",
        "custom-jupyter-image:mysql-connected",
    ];
    let mut checked = Vec::new();
    for image in all {
        assert!(
            !is_gone("image", image),
            "{image} is missing: `cargo xtask build` makes it"
        );
        let found = secrets_in(image);
        assert!(found.is_empty(), "{image} carries {found:?}");
        checked.push(image);
    }
    assert_eq!(checked, all);

    // The control: a secret only in a copied file (not in the config, not in the history) is found.
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join(".env"),
        "MYSQL_USER=reader\nMYSQL_PASSWORD=probe-pw-in-a-layer\n",
    )
    .unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        format!("FROM {IMAGE}\nCOPY .env /work/project/.env\n"),
    )
    .unwrap();
    let probe = unique("jdx-secret-probe").to_lowercase() + ":1";
    let _probe = Guard::image(&probe);
    engine()
        .build(
            &BuildSpec::new(context.path(), &probe),
            "building the probe",
            false,
        )
        .unwrap();
    let found = secrets_in(&probe);
    assert!(
        found.contains(
            &"mysql_password=probe-pw-in-a-layer in the files at /work/project/.env".to_string()
        ),
        "the probe's secret was not found: {found:?}"
    );
    assert!(
        found
            .iter()
            .all(|f| f.starts_with("mysql_password=probe-pw-in-a-layer in the files at ")),
        "{found:?}"
    );
}

/// What looks like a secret in `image`: a secret-named setting holding a value (only a placeholder
/// may be there: the article's `NOT_DEFINED` default) or a 48-hex-digit token, in the config, the
/// history, or the files under each COPY/ADD destination and the working folder.
fn secrets_in(image: &str) -> Vec<String> {
    let setting = regex::Regex::new(
        r#"([a-z_]*(?:password|passwd|token|secret)[a-z_]*)=([^ \t\n",\]\x00]*)"#,
    )
    .unwrap();
    // A token is exactly 48 hex digits; layer digests (64) are not tokens.
    let hex48 = regex::Regex::new(r"\b[0-9a-f]{48}\b").unwrap();
    let config = docker_ok(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Env}} {{json .Config.Labels}} {{json .Config.Cmd}}",
        image,
    ]);
    let history = docker_ok(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", image]);
    let base = base_image();
    // The base is one `docker import` (no build step, so no CreatedBy); a built image has its steps.
    assert!(
        config.contains("PATH=") && (image == base || !history.trim().is_empty()),
        "{image}: nothing to search in\n{config}\n{history}"
    );
    let mut texts = vec![
        ("the config".to_string(), config),
        ("the history".to_string(), history.clone()),
    ];
    texts.extend(files_under(image, &copied_folders(image, &history)));
    let mut found = Vec::new();
    for (place, text) in &texts {
        for caps in setting.captures_iter(&text.to_lowercase()) {
            let value = &caps[2];
            // Placeholders: none, the article's default, an expansion, a `...` in a comment.
            if !(value.is_empty()
                || value == "not_defined"
                || value.starts_with("${")
                || value.starts_with("..."))
            {
                found.push(format!("{}={value} in {place}", &caps[1]));
            }
        }
        if let Some(m) = hex48.find(text) {
            found.push(format!(
                "something like a token ({}…) in {place}",
                &m.as_str()[..8]
            ));
        }
    }
    found
}

/// Where the build steps put files (`COPY ... in /work`, `ADD ... in DEST`), and the working folder.
fn copied_folders(image: &str, history: &str) -> Vec<String> {
    let copy = regex::Regex::new(r"(?:COPY|ADD) .* in (/\S*)").unwrap();
    let mut dirs: Vec<String> = copy
        .captures_iter(history)
        .map(|c| c[1].trim_end_matches('/').to_string())
        .collect();
    let workdir = docker_ok(&["image", "inspect", "-f", "{{.Config.WorkingDir}}", image]);
    dirs.extend((!workdir.is_empty()).then_some(workdir));
    dirs.sort();
    dirs.dedup();
    dirs
}

/// The files under each of `dirs` in `image` as text (a tar stream of them: names and contents),
/// read from one created (never started) container: only those files, not the whole image, so it
/// stays fast.
fn files_under(image: &str, dirs: &[String]) -> Vec<(String, String)> {
    let name = unique("jdx-secret-scan");
    let _container = Guard::container(&name);
    let mut create = vec!["create".to_string(), "--name".into(), name.clone()];
    create.extend(xtask::engine::label_args(engine().resource_labels()));
    create.push(image.into());
    docker_ok(&create.iter().map(String::as_str).collect::<Vec<_>>());
    dirs.iter()
        .map(|dir| {
            let out = std::process::Command::new("docker")
                .args(["cp", &format!("{name}:{dir}"), "-"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "docker cp {name}:{dir}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (
                format!("the files at {dir}"),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .collect()
}

/// A walkthrough's report shows the server's log but never its token.
#[test]
fn reports_never_hold_the_token() {
    images();
    let report = tempfile::NamedTempFile::new().unwrap();
    xtask()
        .args([
            "walkthrough",
            "manage-data",
            "--section",
            "volume",
            "--report",
            report.path().to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(report.path()).unwrap();
    assert!(
        text.contains("token=<redacted>"),
        "the log lines are in the report"
    );
    assert!(!regex::Regex::new(r"token=[0-9a-f]{48}")
        .unwrap()
        .is_match(&text));
}
