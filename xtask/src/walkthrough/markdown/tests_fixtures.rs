//! Tutorials beyond the series, written for the tests (`xtask/test_data/markdown/`): tables, nested
//! shells and `exit`, placeholders that are prefixes of each other, front matter's edge cases. The
//! reader and the comparison are pure: no sandbox. Expected lines were counted by hand in the files.

use super::compare::{compare, Verdict};
use super::placeholders::{self, Values};
use super::reader::{body_start, front_matter, read};
use super::steps::{Place, Step, StepKind};

const TABLES: &str = include_str!("../../../test_data/markdown/tables.md");
const SHELLS: &str = include_str!("../../../test_data/markdown/shells.md");
const PLACEHOLDERS: &str = include_str!("../../../test_data/markdown/placeholders.md");
const FRONT_MATTER: &str = include_str!("../../../test_data/markdown/front-matter.md");

fn commands(steps: &[Step]) -> Vec<(usize, String, &str)> {
    steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Command { place, text } => {
                Some((s.line, place.name().to_string(), text.as_str()))
            }
            _ => None,
        })
        .collect()
}

/// The article's output block that follows the command at `line`.
fn output_after(steps: &[Step], line: usize) -> &str {
    steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::Output {
                text,
                of_line: Some(of),
            } if *of == line => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no output block after line {line}"))
}

fn diff(v: Verdict) -> String {
    match v {
        Verdict::Differs { diff, .. } => diff,
        Verdict::Matches => panic!("expected a difference"),
    }
}

#[test]
fn tables_each_real_row_stands_for_one_of_the_articles() {
    let steps = read(TABLES);
    let kinds: Vec<&str> = steps.iter().map(Step::kind_name).collect();
    assert_eq!(
        kinds,
        ["command", "command", "command", "output", "command", "command", "output"]
    );
    assert_eq!(
        commands(&steps)
            .iter()
            .map(|(l, _, _)| *l)
            .collect::<Vec<_>>(),
        [9, 10, 16, 28, 34]
    );
    let volumes = output_after(&steps, 16);

    // Two volumes of this run, named otherwise: the article's two rows match them, in any order.
    let two = "DRIVER    VOLUME NAME\nlocal     ffff09353ab6f969792bc4f7a64e28e4cf4fa752f9c2a8140cb7fb17f5ed0000\nlocal     aaaa09353ab6f969792bc4f7a64e28e4cf4fa752f9c2a8140cb7fb17f5ed0000";
    assert_eq!(compare(volumes, two, &[]), Verdict::Matches);
    // One real volume cannot stand for both of the article's rows (they mask alike).
    let one: String = two.lines().take(2).collect::<Vec<_>>().join("\n");
    assert_eq!(diff(compare(volumes, &one, &[])), "-local  <id>");
    // Three real volumes: one is extra (the article elides nothing).
    let three = format!(
        "{two}\nlocal     bbbb09353ab6f969792bc4f7a64e28e4cf4fa752f9c2a8140cb7fb17f5ed0000"
    );
    assert_eq!(diff(compare(volumes, &three, &[])), "+local  <id>");
}

#[test]
fn tables_tell_a_loopback_publish_from_a_public_one() {
    let steps = read(TABLES);
    let ps = output_after(&steps, 34);
    let header = format!("CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS          {:<45}NAMES", "PORTS");
    let row = |ports: &str| {
        format!("{header}\n0a1b2c3d4e5f   nginx     \"/docker-entrypoint.…\"   5 seconds ago    Up 4 seconds    {ports:<45}web")
    };
    assert_eq!(
        compare(ps, &row("127.0.0.1:8080->80/tcp"), &[]),
        Verdict::Matches
    );
    assert_eq!(
        compare(ps, &row("127.0.0.1:8080->80/tcp, [::1]:8080->80/tcp"), &[]),
        Verdict::Matches
    );
    // `-p 8080:80`: every interface, which the article says it avoids.
    let public = diff(compare(
        ps,
        &row("0.0.0.0:8080->80/tcp, :::8080->80/tcp"),
        &[],
    ));
    assert!(
        public.contains("-<id>  nginx") && public.contains("<loopback>:8080->80/tcp"),
        "{public}"
    );
    assert!(
        public.contains("+<id>  nginx") && public.contains("<all-interfaces>:8080->80/tcp"),
        "{public}"
    );
}

#[test]
fn shells_nest_and_exit_returns_to_the_place_before() {
    let steps = read(SHELLS);
    let host = Place::Host.name();
    let inside = Place::StartedContainer.name();
    assert_eq!(
        commands(&steps),
        [
            (
                9,
                host.to_string(),
                "docker run -d --name dind --privileged docker:dind"
            ),
            (15, host.to_string(), "docker exec -it dind sh"),
            (21, inside.to_string(), "docker run -it --rm alpine sh"),
            (27, inside.to_string(), "cat /etc/alpine-release"),
            // The inner shell's exit: back in the engine's container, not on the host.
            (28, inside.to_string(), "exit"),
            (34, inside.to_string(), "docker ps"),
            // Typed from the prose: leaves the engine's container.
            (37, inside.to_string(), "exit"),
            (42, host.to_string(), "docker rm -f dind"),
        ]
    );
    // The inner `docker run -it` was the only command still running, and its shell was left:
    // the last Ctrl+C has nothing to stop.
    let last = steps.last().unwrap();
    assert_eq!(last.line, 45);
    assert!(
        matches!(&last.kind, StepKind::CannotRun { why, .. } if why.contains("no command before it is still running")),
        "{last:?}"
    );
}

#[test]
fn an_exit_with_no_shell_open_keeps_the_place() {
    let md = "```command {title=\"JupyterLab UI Terminal\"}\nexit\n```\n\n```command\nls\n```\n";
    let places: Vec<String> = commands(&read(md)).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(places, ["jupyter", "jupyter"]);
}

#[test]
fn placeholders_that_are_prefixes_fill_as_whole_words() {
    let steps = read(PLACEHOLDERS);
    let found: Vec<Vec<String>> = steps
        .iter()
        .filter(|s| s.kind_name() == "command")
        .map(placeholders::of_step)
        .collect();
    assert_eq!(
        found,
        [
            vec!["IMAGE", "IMAGE_TAG"],
            vec!["CONTAINER_NAME", "EXAMPLE_USER", "IMAGE_TAG"],
            // Before `==` a word is compared, not assigned: it is a placeholder, not a key.
            vec!["IMAGE_TAG", "CONTAINER_NAME"],
        ]
    );
    let values =
        Values::parse("IMAGE=nginx\nIMAGE_TAG=web:v2\nCONTAINER_NAME=web\nEXAMPLE_USER=reader\n")
            .unwrap();
    let filled: Vec<String> = placeholders::fill(&steps, &values)
        .iter()
        .filter(|s| s.kind_name() == "command")
        .map(|s| s.text().to_string())
        .collect();
    assert_eq!(
        filled,
        [
            "docker tag nginx web:v2",
            "docker run -d --name web -e DB_USER=reader web:v2",
            "test web:v2 == \"$(docker inspect -f '{{.Config.Image}}' web)\" && echo web runs web:v2",
        ]
    );
    // In the expected output the placeholders match what the run printed, word by word.
    let names = placeholders::all(&steps, &values);
    let expected = output_after(&steps, 21);
    assert_eq!(
        compare(expected, "web runs web:v2", &names),
        Verdict::Matches
    );
    assert!(!compare(expected, "web runs", &names).matches());
}

#[test]
fn front_matter_ends_at_its_closing_line() {
    assert_eq!(
        body_start(FRONT_MATTER),
        6,
        "the body starts on the line after the second ---"
    );
    assert_eq!(
        front_matter(FRONT_MATTER, "title").as_deref(),
        Some("Front matter --- with dashes: and a colon")
    );
    assert_eq!(
        front_matter(FRONT_MATTER, "slug").as_deref(),
        Some("front-matter")
    );
    assert_eq!(
        front_matter(FRONT_MATTER, "description").as_deref(),
        Some("")
    );
    assert_eq!(front_matter(FRONT_MATTER, "lang"), None);
    // A fence right after the front matter is read; the later `---` is a thematic break.
    let steps = read(FRONT_MATTER);
    assert_eq!(
        commands(&steps),
        [
            (8, "host".to_string(), "docker version"),
            (16, "host".to_string(), "docker info")
        ]
    );
}

#[test]
fn front_matter_edge_cases() {
    // None, empty, never closed (then it is no front matter: everything is body).
    assert_eq!(body_start("docker\n---\nx\n---\n"), 0);
    assert_eq!(body_start("---\n---\nbody"), 2);
    assert_eq!(body_start("---\ntitle: x\n"), 0);
    assert_eq!(front_matter("---\ntitle: x\n", "title"), None);
    // A key in the body is not the article's: only the front matter is searched.
    assert_eq!(
        front_matter("---\ntitle: T\n---\nslug: body-text\n", "slug"),
        None
    );
    assert_eq!(
        front_matter("---\ntitle: T\n---\nslug: body-text\n", "title").as_deref(),
        Some("T")
    );
    // A body whose first line opens a fence is read from that line.
    let steps = read("---\ntitle: T\n---\n```command\ndocker ps\n```\n");
    assert_eq!(commands(&steps), [(5, "host".to_string(), "docker ps")]);
}
