//! Images in one commit keep their Dockerfile's contract: each series image the project builds
//! with `docker create` + `docker cp` + one `docker commit` has the config (user, folder, ENV,
//! ports, volumes, entrypoint, command, healthcheck, labels) and the files (names, kinds, owners,
//! modes, contents) of the same Dockerfile built with `docker build`; and it is one layer on its base.

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;
use support::*;
use xtask::engine::{BUILT_AS_LABEL_KEY, RUN_LABEL_KEY};
use xtask::images::series;

/// The two Dockerfiles between them hold every instruction the series uses: root-owned COPY and
/// VOLUME (anon-volume); three RUNs, `--chown`, ARG-fed ENV and a `.dockerignore` (mysql-connected).
const COMPARED: [&str; 2] = ["anon-volume", "mysql-connected"];

#[test]
fn one_commit_images_keep_their_dockerfiles_contract() {
    let base = base_image();
    let sh = xshell::Shell::new().unwrap();
    let mut contracts = Vec::new();
    for short in COMPARED {
        let image = series::find(short).unwrap();
        // The Dockerfile built with `docker build` (kept between runs: it is the builder's cache
        // the walkthroughs' own builds use).
        let reference =
            series::ensure_dockerfile_build(&sh, image, &base).unwrap_or_else(|e| panic!("{e:#}"));
        let recipe = series::recipe_hash(&engine(), image, &base).unwrap();
        let fast = format!("{}:{short}", unique("jdx-onecommit"));
        let _fast = Guard::image(&fast);
        let started = Instant::now();
        series::build_as(&engine(), image, &base, &fast, &recipe, false)
            .unwrap_or_else(|e| panic!("{e:#}"));
        eprintln!(
            "{short}: one commit in {:.1}s",
            started.elapsed().as_secs_f64()
        );

        let (want, got) = (contract(&reference), contract(&fast));
        assert_eq!(
            got.config, want.config,
            "{short}: the one-commit image's config differs from `docker build`'s"
        );
        assert_eq!(
            diff(&got.files, &want.files),
            Vec::<String>::new(),
            "{short}: the files differ (left: one commit, right: docker build)"
        );
        assert_eq!(
            layers(&fast),
            layers(&base) + 1,
            "{short}: the one-commit image is not one layer on its base"
        );
        contracts.push(want);
    }
    // The comparison sees a difference where there is one: root-owned files and a VOLUME
    // (anon-volume) against jovyan's files, no volume and the MySQL ENV (mysql-connected).
    let (anon, mysql) = (&contracts[0], &contracts[1]);
    assert_ne!(anon.config["Volumes"], mysql.config["Volumes"]);
    assert_ne!(anon.config["Env"], mysql.config["Env"]);
    let files = diff(&anon.files, &mysql.files);
    assert!(
        files
            .iter()
            .any(|d| d.contains("/work/computation.ipynb") && d.contains("root:root")),
        "{files:?}"
    );
}

struct Contract {
    /// The config's fields a container of the image depends on; labels but the two that name
    /// the build (the tag it was built as, the test run's).
    config: BTreeMap<String, Value>,
    /// `PATH KIND OWNER:GROUP MODE [MD5]` of every path under the working folder and the home.
    files: Vec<String>,
}

fn contract(image: &str) -> Contract {
    let json = docker_ok(&["image", "inspect", "--format", "{{json .Config}}", image]);
    let mut all: BTreeMap<String, Value> = serde_json::from_str(&json).unwrap();
    if let Some(Value::Object(labels)) = all.get_mut("Labels") {
        labels.remove(BUILT_AS_LABEL_KEY);
        labels.remove(RUN_LABEL_KEY);
    }
    let keep = [
        "User",
        "WorkingDir",
        "Env",
        "ExposedPorts",
        "Volumes",
        "Entrypoint",
        "Cmd",
        "Healthcheck",
        "Labels",
        "Shell",
        "StopSignal",
    ];
    let config = keep
        .iter()
        .map(|k| (k.to_string(), all.get(*k).cloned().unwrap_or(Value::Null)))
        .collect();
    let list = "find /work /home/jovyan -xdev | sort | while read -r p; do \
                if [ -f \"$p\" ]; then sum=$(md5sum < \"$p\" | cut -d' ' -f1); else sum=; fi; \
                echo \"$(stat -c '%n %F %U:%G %a' \"$p\") $sum\"; done";
    let out = run_ok(
        &RunSpec::new(image)
            .rm()
            .user("0")
            .entrypoint("/bin/sh")
            .command(&["-c", list]),
    );
    let files: Vec<String> = out.lines().map(|l| l.trim_end().to_string()).collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("/work/computation.ipynb regular file ")),
        "{image}: no notebook in /work: {files:?}"
    );
    Contract { config, files }
}

/// The lines only one side has, marked `-` (left) or `+` (right).
fn diff(left: &[String], right: &[String]) -> Vec<String> {
    let only = |a: &[String], b: &[String], mark: char| -> Vec<String> {
        a.iter()
            .filter(|l| !b.contains(l))
            .map(|l| format!("{mark} {l}"))
            .collect()
    };
    let mut out = only(left, right, '-');
    out.extend(only(right, left, '+'));
    out
}

fn layers(image: &str) -> usize {
    docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        image,
    ])
    .parse()
    .unwrap()
}
