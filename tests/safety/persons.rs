//! A person's own things, made by hand or built `FROM` the project's image: never removed,
//! restarted or replaced by `clean`, `down` or `up`.

use std::path::Path;

use super::*;

/// Whether it is gone, as Docker says it.
fn free(kind: &str, name: &str) -> bool {
    is_gone(kind, name)
}

/// The tutorial's name when nothing has it, else a unique one.
fn pick(kind: &str, tutorial: &str, fallback: &str) -> String {
    if free(kind, tutorial) {
        tutorial.to_string()
    } else {
        unique(fallback)
    }
}

/// A person's own container, volume and network, including ones named like the tutorial's and one
/// started from the project's image (it inherits the image's `managed` label), survive `clean
/// --volumes --yes` and `down`. `clean` is scoped to a private run id here so that it cannot reach
/// other tests' resources; the person's things even carry that run label, and must still be spared
/// because they lack the label the project puts only on what it creates itself.
#[test]
fn a_persons_own_things_are_never_touched() {
    images();
    let private_run = format!("{}-{}", run_id(), unique("safety"));
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

    let id = made_by_hand(&container, &volume, &network, &private_run);

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

    clean_spares_the_persons(&private_run, &ours, &container, &volume, &network);
    down_and_up_refuse(&container, &volume);

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

/// The person's volume, network and container; the container's id and start time.
fn made_by_hand(container: &str, volume: &str, network: &str, private_run: &str) -> String {
    let run_label = format!("{RUN_LABEL_KEY}={private_run}");
    // Made by hand, as a person would: no label but the run's.
    assert_eq!(
        person()
            .create_volume(volume, &["--label", &run_label])
            .unwrap(),
        Created::Now
    );
    docker_ok(&["network", "create", "--label", &run_label, network]);
    let by_hand = RunSpec::detached(IMAGE, container)
        .label(RUN_LABEL_KEY, private_run)
        .network(network)
        .mount(Mount::volume(volume, "/work/outputs"))
        .entrypoint("sh")
        .command(&["-c", "echo mine > /work/outputs/marker && sleep 600"]);
    person().run(&by_hand).unwrap();
    assert_eq!(
        engine().label("container", container, xtask::engine::OWNER_KEY),
        None,
        "a person's container has no owner label"
    );
    assert_eq!(
        docker_ok(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}}",
            container
        ]),
        "true",
        "the image's label is inherited"
    );
    docker_ok(&["inspect", "-f", "{{.Id}} {{.State.StartedAt}}", container])
}

/// `clean --volumes --yes` in the private run removes the project's volume `ours` and names none of
/// the person's things.
fn clean_spares_the_persons(
    private_run: &str,
    ours: &str,
    container: &str,
    volume: &str,
    network: &str,
) {
    let cleaned = xtask()
        .args(["clean", "--volumes", "--yes"])
        .env(RUN_ID_ENV, private_run)
        .assert()
        .success();
    let said = String::from_utf8_lossy(&cleaned.get_output().stdout).to_string();
    assert!(said.contains(&format!("removed volume {ours}")), "{said}");
    assert!(
        !said.contains(container)
            && !said.contains(&format!(" {volume}"))
            && !said.contains(network),
        "{said}"
    );
    assert!(free("volume", ours));
}

/// `down` and `up` naming the person's container are refused: it was not made by this project.
fn down_and_up_refuse(container: &str, volume: &str) {
    let down = xtask()
        .args(["down", "--name", container])
        .assert()
        .get_output()
        .clone();
    assert!(the_error(&down).contains("was not made by this project"));
    let up = xtask()
        .args(["up", "--port", "0", "--name", container, "--volume", volume])
        .assert()
        .get_output()
        .clone();
    assert!(the_error(&up).contains("was not made by this project"));
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
    let dir = context.path().to_str().unwrap();

    // The project's builds in a private run, which clean must remove: an earlier one, left
    // untagged by the rebuild because a container of the project used it, and the rebuild.
    let project = engine().with_run(Some(private_run.clone()));
    let earlier = build_ours(&project, context.path(), &ours, 1);
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
    assert_ne!(build_ours(&project, context.path(), &ours, 2), earlier);
    let earlier_short: String = earlier
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect();
    // ... and, by hand, a person's child image of it (tagged, and untagged) and a tag of their own on it.
    dockerfile(context.path(), format!("FROM {ours}\nENV PERSON=1\n"));
    docker_ok(&["build", "-q", "-t", &child, dir]);
    let _child = Guard::image(&child);
    dockerfile(context.path(), format!("FROM {ours}\nENV PERSON=2\n"));
    let untagged = docker_ok(&["build", "-q", dir])
        .lines()
        .last()
        .unwrap()
        .to_string();
    let _untagged = Guard::image(&untagged);
    docker_ok(&["tag", &ours, &retag]);
    assert_eq!(
        labels_of(&child),
        format!("true {private_run}"),
        "the child inherits the project's labels"
    );
    assert_eq!(labels_of(&untagged), labels_of(&child));

    clean_without_yes_removes_nothing(&private_run, &ours);
    let persons = [
        (&child, "the person's child image"),
        (&untagged, "the person's untagged child image"),
        (&retag, "the person's tag of the project's image"),
    ];
    clean_removes_only_the_projects(&private_run, &ours, &earlier, &earlier_short, &persons);
}

/// Writes the build context's Dockerfile.
fn dockerfile(context: &Path, text: String) {
    std::fs::write(context.join("Dockerfile"), text).unwrap()
}

/// Builds the project's image `ours` (its `version`) in `context` with the project's engine; its id.
fn build_ours(project: &Docker, context: &Path, ours: &str, version: u32) -> String {
    dockerfile(context, format!("FROM {IMAGE}\nENV JDX_OURS={version}\n"));
    project
        .build(
            &BuildSpec::new(context, ours),
            "building the project's image",
            false,
        )
        .unwrap();
    docker_ok(&["image", "inspect", "-f", "{{.Id}}", ours])
}

/// An image's `managed` and run labels.
fn labels_of(image: &str) -> String {
    docker_ok(&["image", "inspect", "-f", "{{index .Config.Labels \"jupyter-docker-xtask.managed\"}} {{index .Config.Labels \"jupyter-docker-xtask.run\"}}", image])
}

/// `clean --images` without a terminal and without --yes refuses, and removes nothing.
fn clean_without_yes_removes_nothing(private_run: &str, ours: &str) {
    let refused = xtask()
        .args(["clean", "--images"])
        .env(RUN_ID_ENV, private_run)
        .output()
        .unwrap();
    let error = the_error(&refused);
    assert!(
        error.contains("removing the images") && error.contains("pass --yes to confirm"),
        "{error}"
    );
    assert!(!is_gone("image", ours), "a refused clean removed an image");
}

/// `clean --images --yes` removes the project's builds (`ours`, and `earlier` by its id) and none
/// of the person's images.
fn clean_removes_only_the_projects(
    private_run: &str,
    ours: &str,
    earlier: &str,
    earlier_short: &str,
    persons: &[(&String, &str)],
) {
    let cleaned = xtask()
        .args(["clean", "--images", "--yes"])
        .env(RUN_ID_ENV, private_run)
        .assert()
        .success();
    let said = String::from_utf8_lossy(&cleaned.get_output().stdout).to_string();
    assert!(
        said.contains(&format!("removed image {ours}"))
            && said.contains(&format!("removed image {earlier_short}")),
        "{said}"
    );
    assert!(
        is_gone("image", ours) && is_gone("image", earlier),
        "{said}"
    );
    for &(image, what) in persons {
        assert!(
            !is_gone("image", image),
            "clean --images removed {what} {image}: {said}"
        );
    }
    assert!(!said.contains("person-"), "{said}");
}
