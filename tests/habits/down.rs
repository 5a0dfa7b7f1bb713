//! `down -v` as Compose's: the container's own labelled volume goes once confirmed (`--yes`, or
//! "y" on a terminal); a volume shared with another container, or a person's, is refused.

use std::process::{Command, Stdio};

use super::support::*;
use super::{exists, labelled, process_text, start, stdout, IMAGE, VOLUME_LABEL_KEY};

/// A project container using `volume` at /work/outputs, labelled with it as `up` does.
fn container_with_volume(name: &str, volume: &str) {
    let labels = labels();
    let (label, mount) = (
        format!("{VOLUME_LABEL_KEY}={volume}"),
        format!("{volume}:/work/outputs"),
    );
    start(
        name,
        &labelled(&labels, &["--label", &label, "-v", &mount]),
        None,
    );
    docker_ok(&[
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        "echo precious > /work/outputs/data.txt",
    ]);
}

fn volume_has_data(volume: &str) -> bool {
    let mount = format!("{volume}:/o");
    docker(&[
        "run",
        "--rm",
        "--label",
        MANAGED,
        "-v",
        &mount,
        "--entrypoint",
        "cat",
        IMAGE,
        "/o/data.txt",
    ])
    .ok()
}

/// `down ARGS` on a terminal (a pty from `script`), answering `answer`.
fn down_on_a_terminal(args: &str, answer: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("{} down {args}", bin.display()),
            "/dev/null",
        ])
        .env(RUN_ID_ENV, run_id())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The containers and volumes of the `down -v` test, by their part in it.
struct Names {
    /// The container `down -v` is asked of.
    asked: String,
    /// `asked`'s own volume, which it alone uses.
    volume: String,
    /// A container whose volume another uses too.
    shared: String,
    /// `shared`'s volume.
    shared_vol: String,
    /// The other container on `shared_vol`.
    sharer: String,
    /// A project container on a person's volume, later on `sibling`.
    persons: String,
    /// A person's volume: no labels.
    person_vol: String,
    /// A project volume no container asked of uses, until `persons` does.
    sibling: String,
}

impl Names {
    fn unique() -> Names {
        Names {
            asked: unique("jdx-down"),
            shared: unique("jdx-down-shared"),
            sharer: unique("jdx-down-sharer"),
            persons: unique("jdx-down-pv"),
            volume: unique("jdx-down-vol"),
            shared_vol: unique("jdx-down-svol"),
            person_vol: unique("jdx-down-pvol"),
            sibling: unique("jdx-down-sib"),
        }
    }
}

#[test]
fn down_v_removes_only_the_containers_own_labelled_volume_once_confirmed() {
    images();
    let names = Names::unique();
    // Volumes drop after the containers that use them.
    let _v = [
        Guard::volume(&names.volume),
        Guard::volume(&names.shared_vol),
        Guard::volume(&names.person_vol),
        Guard::volume(&names.sibling),
    ];
    let _c = [
        Guard::container(&names.asked),
        Guard::container(&names.shared),
        Guard::container(&names.sharer),
        Guard::container(&names.persons),
    ];
    make_the_containers_and_volumes(&names);

    assert_an_unconfirmed_down_keeps_everything(&names);
    assert_a_volume_not_its_own_alone_is_refused(&names);
    assert_yes_on_a_terminal_removes_its_own_volume_only(&names);
    assert_yes_once_it_is_alone_and_plain_down_keeps_it(&names);
}

/// The volumes, then each container on its volume.
fn make_the_containers_and_volumes(names: &Names) {
    let Names {
        asked,
        shared,
        sharer,
        persons,
        volume,
        shared_vol,
        person_vol,
        sibling,
    } = names;
    for v in [volume, shared_vol, sibling] {
        create_volume(v, &[]);
    }
    docker_ok(&["volume", "create", person_vol]); // a person's: no labels
    container_with_volume(asked, volume);
    container_with_volume(shared, shared_vol);
    start(
        sharer,
        &labelled(&labels(), &["-v", &format!("{shared_vol}:/elsewhere")]),
        None,
    );
    container_with_volume(persons, person_vol);
}

/// No terminal and no --yes, or "n" on a terminal: nothing is removed.
fn assert_an_unconfirmed_down_keeps_everything(names: &Names) {
    let Names { asked, volume, .. } = names;
    // No terminal and no --yes: refused before anything is removed, the container included.
    let out = xtask()
        .args(["down", "-v", "--name", asked])
        .write_stdin("")
        .assert()
        .failure();
    let error = the_error(out.get_output());
    assert!(
        error.contains(&format!(
            "removing volume {volume} loses its data: pass --yes to confirm"
        )),
        "{error}"
    );
    assert!(exists("container", asked) && volume_has_data(volume));

    // On a terminal, "n" keeps everything.
    let out = down_on_a_terminal(&format!("--volumes --name {asked}"), "n\n");
    assert!(!out.status.success(), "{}", process_text(&out));
    assert!(
        process_text(&out).contains(&format!(
            "Remove the volume {volume} and all its data? [y/N]"
        )),
        "{}",
        process_text(&out)
    );
    assert!(exists("container", asked) && volume_has_data(volume));
}

fn assert_a_volume_not_its_own_alone_is_refused(names: &Names) {
    let Names {
        shared,
        sharer,
        persons,
        shared_vol,
        person_vol,
        ..
    } = names;
    // A volume another container also uses, or one the project did not make: refused, all kept.
    let out = xtask()
        .args(["down", "-v", "--yes", "--name", shared])
        .assert()
        .failure();
    assert!(the_error(out.get_output()).contains(&format!("also used by container(s) {sharer}")));
    assert!(exists("container", shared) && volume_has_data(shared_vol));
    let out = xtask()
        .args(["down", "-v", "--yes", "--name", persons])
        .assert()
        .failure();
    assert!(the_error(out.get_output())
        .contains(&format!("volume {person_vol} was not made by this project")));
    assert!(exists("container", persons) && volume_has_data(person_vol));
}

fn assert_yes_on_a_terminal_removes_its_own_volume_only(names: &Names) {
    let Names {
        asked,
        volume,
        shared_vol,
        person_vol,
        sibling,
        ..
    } = names;
    // "y" on a terminal: the container, then its own volume; nothing else.
    let out = down_on_a_terminal(&format!("-v --name {asked}"), "y\n");
    assert!(out.status.success(), "{}", process_text(&out));
    assert!(
        process_text(&out).contains(&format!("removed volume {volume}")),
        "{}",
        process_text(&out)
    );
    assert!(!exists("container", asked) && !exists("volume", volume));
    assert!(
        exists("volume", sibling) && exists("volume", shared_vol) && exists("volume", person_vol)
    );
}

fn assert_yes_once_it_is_alone_and_plain_down_keeps_it(names: &Names) {
    let Names {
        shared,
        sharer,
        persons,
        shared_vol,
        sibling,
        ..
    } = names;
    // --yes once the other user is gone; plain `down` keeps the volume.
    docker_ok(&["rm", "-f", sharer]);
    let out = xtask()
        .args(["down", "--volumes", "--yes", "--name", shared])
        .assert()
        .success();
    assert!(stdout(out.get_output()).contains(&format!("removed volume {shared_vol}")));
    assert!(!exists("volume", shared_vol));
    docker_ok(&["rm", "-f", persons]);
    container_with_volume(persons, sibling);
    let out = xtask().args(["down", "--name", persons]).assert().success();
    assert!(stdout(out.get_output()).contains("are kept"));
    assert!(!exists("container", persons) && volume_has_data(sibling));
}
