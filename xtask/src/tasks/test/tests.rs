//! The sweep, the leak check and the sentinel check against a fake `docker` on the Shell's PATH: a
//! shell script that logs its arguments and answers `ls`/`inspect` from a canned state file. No
//! engine is needed, and the log shows exactly what would have been removed.

use super::sweep::{is_under, run_is_alive};
use super::*;

/// A run whose process cannot exist: its pid is above Linux's largest (4194304).
const DEAD: &str = "suite-4294967-1";

const FAKE_DOCKER: &str = r#"#!/bin/sh
# state: one resource a line, `KIND NAME RUN [TAG...]`, `-` for no label (an image's NAME is its
# id and first tag; the TAGs after the run are its other tags).
dir=$(dirname "$0")
printf '%s\n' "$*" >> "$dir/log"
key=jupyter-docker-xtask.run
filter=; prev=
for a in "$@"; do [ "$prev" = --filter ] && filter=$a; prev=$a; done
case "$1 $2" in
"container ls"|"volume ls"|"network ls"|"image ls")
    if [ -e "$dir/fail-$1-ls" ]; then echo "Error response from daemon: engine trouble" >&2; exit 1; fi
    while read -r kind name run extra; do
        [ "$kind" = "$1" ] || continue
        case "$filter" in
        "label=$key") [ "$run" = - ] && continue ;;
        "label=$key="*) [ "$run" = "${filter#label=$key=}" ] || continue ;;
        "") ;;
        *) echo "unexpected filter $filter" >&2; exit 1 ;;
        esac
        if [ "$1" != image ] && [ "$filter" = "label=$key" ]; then printf '%s\t%s\n' "$name" "$run"; else echo "$name"; fi
    done < "$dir/state" ;;
"image inspect")
    for id; do :; done
    if [ -e "$dir/fail-image-inspect" ]; then echo "Error response from daemon: engine trouble" >&2; exit 1; fi
    while read -r kind name run extra; do
        # An image named untagged-* has no tags: docker prints nothing after the tab.
        case "$name" in untagged-*) tags= ;; *) tags="$name${extra:+ $extra}" ;; esac
        if [ "$kind" = image ] && [ "$name" = "$id" ]; then printf '%s\t%s\n' "$run" "$tags"; exit 0; fi
    done < "$dir/state"
    echo "Error: No such image: $id" >&2; exit 1 ;;
"inspect -f") cat "$dir/started" 2>/dev/null || { echo "Error: No such object" >&2; exit 1; } ;;
"network inspect") [ -e "$dir/network" ] || { echo "Error: network not found" >&2; exit 1; } ;;
esac
case "$1" in
exec) cat "$dir/marker" 2>/dev/null || exit 1 ;;
esac
exit 0
"#;

struct Fake {
    dir: tempfile::TempDir,
    docker: Docker,
}

impl Fake {
    fn new(state: &str) -> Fake {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker");
        std::fs::write(&script, FAKE_DOCKER).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("state"), state).unwrap();
        let sh = Shell::new().unwrap();
        // Only the Shell's environment changes: the fake comes first on the PATH its commands use.
        sh.set_var(
            "PATH",
            format!(
                "{}:{}",
                dir.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
        Fake {
            docker: Docker::new(&sh),
            dir,
        }
    }

    fn touch(&self, file: &str, text: &str) {
        std::fs::write(self.dir.path().join(file), text).unwrap();
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// The removals the code asked for, sorted.
    fn removals(&self) -> Vec<String> {
        let mut rm: Vec<String> = self
            .log()
            .into_iter()
            .filter(|l| l.starts_with("rm ") || l.split_whitespace().nth(1) == Some("rm"))
            .collect();
        rm.sort();
        rm
    }
}

/// A dead run (with a private run under it), a live run, the current run, a person's own things,
/// something with a run label that is not a test run's, and shared images a dead run labelled.
fn state(current: &str) -> String {
    let live = format!("suite-{}-1", std::process::id());
    [
        format!("container dead-c {DEAD}"),
        format!("container dead-private-c {DEAD}-safety-x-1"),
        format!("volume dead-v {DEAD}"),
        format!("network dead-n {DEAD}"),
        format!("image deadimg:1 {DEAD}"),
        format!("image untagged-0123abcd {DEAD}"),
        format!("image custom-jupyter-image:preload-{DEAD}-p1 {DEAD}"),
        format!("image custom-jupyter-image:named-volume {DEAD}"),
        // A shared image a test tagged again: the extra tag is the run's, the image is not.
        format!("image custom-jupyter-image:anon-volume {DEAD} jdx-dead-extra:1"),
        format!("image jupyter-docker-xtask/minimal-notebook:local-0123456789ab {DEAD}"),
        format!("container live-c {live}"),
        format!("volume live-v {live}"),
        format!("image liveimg:1 {live}"),
        format!("container cur-c {current}"),
        format!("container cur-private-c {current}-safety-jdx-1"),
        format!("volume cur-v {current}"),
        format!("image curimg:1 {current}"),
        format!("image custom-jupyter-image:preload {current} jdx-cur-extra:1 jdx-cur-extra:2"),
        "container person-c -".to_string(),
        "volume person-v -".to_string(),
        "network person-n -".to_string(),
        "image personimg:1 -".to_string(),
        "container other-c someone-elses".to_string(),
    ]
    .join("\n")
        + "\n"
}

/// The suite's run id, as given in the environment: its number is no live pid, and the sweep must
/// spare it all the same.
fn current() -> String {
    "suite-4294966-7".to_string()
}

#[test]
fn the_sweep_removes_exactly_the_dead_runs_resources() {
    let fake = Fake::new(&state(&current()));
    sweep_crashed_runs(&fake.docker, &current()).unwrap();
    assert_eq!(
        fake.removals(),
        [
            "image rm custom-jupyter-image:preload-suite-4294967-1-p1",
            "image rm deadimg:1",
            "image rm jdx-dead-extra:1",
            "image rm untagged-0123abcd",
            "network rm dead-n",
            "rm -f -v dead-c",
            "rm -f -v dead-private-c",
            "volume rm dead-v",
        ],
        "log:\n{}",
        fake.log().join("\n")
    );
}

#[test]
fn the_sweep_fails_when_it_cannot_look() {
    for kind in ["container", "volume", "network", "image"] {
        let fake = Fake::new(&state(&current()));
        fake.touch(&format!("fail-{kind}-ls"), "");
        let error = sweep_crashed_runs(&fake.docker, &current()).unwrap_err();
        assert!(
            format!("{error:#}").contains("engine trouble"),
            "{kind}: {error:#}"
        );
        assert!(
            fake.removals().is_empty(),
            "{kind}: removed {:?}",
            fake.removals()
        );
    }
}

#[test]
fn the_leak_check_sees_the_run_and_its_private_runs_images_included() {
    let fake = Fake::new(&state(&current()));
    let mut left = leftovers_under(&fake.docker, &current()).unwrap();
    left.sort();
    let cur = current();
    assert_eq!(
        left,
        [
            format!("container cur-c (run {cur})"),
            format!("container cur-private-c (run {cur}-safety-jdx-1)"),
            format!("image curimg:1 (run {cur})"),
            format!("image jdx-cur-extra:1 (run {cur})"),
            format!("image jdx-cur-extra:2 (run {cur})"),
            format!("volume cur-v (run {cur})"),
        ]
    );
    remove_runs_under(&fake.docker, &cur).unwrap();
    // The extra tags go (the shared image keeps its own tag: `image rm TAG` only untags).
    assert_eq!(
        fake.removals(),
        [
            "image rm curimg:1",
            "image rm jdx-cur-extra:1",
            "image rm jdx-cur-extra:2",
            "rm -f -v cur-c",
            "rm -f -v cur-private-c",
            "volume rm cur-v"
        ]
    );
}

#[test]
fn the_leak_check_fails_closed() {
    for failing in [
        "fail-container-ls",
        "fail-volume-ls",
        "fail-network-ls",
        "fail-image-ls",
        "fail-image-inspect",
    ] {
        let fake = Fake::new(&state(&current()));
        fake.touch(failing, "");
        let error = leftovers_under(&fake.docker, &current()).expect_err(failing);
        assert!(
            format!("{error:#}").contains("engine trouble"),
            "{failing}: {error:#}"
        );
    }
}

#[test]
fn run_ids_under_a_prefix() {
    assert!(is_under("suite-1-2", "suite-1-2"));
    assert!(is_under("suite-1-2-safety-jdx-3", "suite-1-2"));
    assert!(!is_under("suite-1-23", "suite-1-2"));
    assert!(!is_under("suite-1", "suite-1-2"));
}

#[test]
fn run_ids_name_their_process() {
    let id = new_run_id();
    assert!(run_is_alive(&id), "{id}");
    assert!(!run_is_alive(DEAD));
    assert!(run_is_alive("someone-elses"));
    assert!(
        run_is_alive("golden-4294967"),
        "a run id not made by the suite names no pid to judge"
    );
}

#[test]
fn the_sentinel_check_notices_each_change() {
    let fake = Fake::new("");
    let sentinels = Sentinels {
        name: "jdx-person-sentinel-1".into(),
        started: "abc 2026-01-01T00:00:00Z".into(),
        _guards: Vec::new(),
    };
    fake.touch("started", "abc 2026-01-01T00:00:00Z\n");
    fake.touch("marker", "mine\n");
    fake.touch("network", "");
    assert_eq!(sentinels.check(&fake.docker), None);
    assert!(
        fake.log()
            .contains(&"exec jdx-person-sentinel-1 cat /sentinel/marker".to_string()),
        "{:?}",
        fake.log()
    );

    fake.touch("network", "");
    std::fs::remove_file(fake.dir.path().join("network")).unwrap();
    assert_eq!(
        sentinels.check(&fake.docker).as_deref(),
        Some("network jdx-person-sentinel-1 was removed")
    );
    fake.touch("network", "");

    fake.touch("marker", "\n");
    assert_eq!(
        sentinels.check(&fake.docker).as_deref(),
        Some("volume jdx-person-sentinel-1 lost its data")
    );
    fake.touch("marker", "mine\n");

    fake.touch("started", "abc 2026-01-01T00:05:00Z\n");
    assert_eq!(
        sentinels.check(&fake.docker).as_deref(),
        Some("container jdx-person-sentinel-1 was removed or restarted")
    );
    std::fs::remove_file(fake.dir.path().join("started")).unwrap();
    assert_eq!(
        sentinels.check(&fake.docker).as_deref(),
        Some("container jdx-person-sentinel-1 was removed or restarted")
    );
    assert!(
        fake.removals().is_empty(),
        "the check removed something: {:?}",
        fake.removals()
    );
}
