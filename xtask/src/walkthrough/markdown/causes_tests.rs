//! The causes of failed steps, one rule at a time, each firing on its case and not on a near miss.

use super::super::steps::Place;
use super::*;

fn steps(commands: &[&str]) -> Vec<Step> {
    commands
        .iter()
        .enumerate()
        .map(|(i, c)| Step {
            line: 10 * (i + 1),
            end: 10 * (i + 1),
            column: 0,
            kind: StepKind::Command {
                place: Place::Host,
                text: c.to_string(),
            },
        })
        .collect()
}

fn results<'a>(runs: &[(i32, &'a str)]) -> Vec<Ran<'a>> {
    runs.iter()
        .enumerate()
        .map(|(i, (exit, output))| Ran {
            step: i,
            exit: Some(*exit),
            output,
        })
        .collect()
}

/// The cause of the last of `runs` (one per command).
fn last(commands: &[&str], runs: &[(i32, &str)]) -> Option<Cause> {
    of(&steps(commands), &results(runs), runs.len() - 1)
}

fn kind_and(c: Option<Cause>, words: &str) -> Kind {
    let c = c.expect("a cause");
    assert!(c.why.contains(words), "{c:?} should say {words:?}");
    c.kind
}

#[test]
fn a_step_that_ran_has_no_cause() {
    assert_eq!(last(&["docker ps"], &[(0, "CONTAINER ID")]), None);
}

#[test]
fn a_look_alike_dash_is_named_and_a_plain_one_is_not() {
    let c = last(
        &["docker run –name web nginx"],
        &[(125, "docker: invalid reference format.")],
    );
    assert_eq!(kind_and(c, "U+2013"), Kind::Guide);
    let c = last(
        &["docker run --name web nginx"],
        &[(125, "docker: invalid reference format.")],
    );
    assert_eq!(kind_and(c, "invalid reference format"), Kind::Unknown);
    // An en dash before a hyphen is one too; what it names is what `--fix` mends.
    let c = last(
        &["docker run \u{2013}-rm img"],
        &[(125, "docker: invalid reference format.")],
    )
    .expect("a cause");
    assert!(
        c.why.contains("U+2013") && c.why.contains("`--rm`"),
        "{c:?}"
    );
    let Some(Mend::Dash(found)) = c.mend else {
        panic!("the dash found: {c:?}")
    };
    assert_eq!(
        (found.dash.as_str(), found.word.as_str(), found.meant()),
        ("\u{2013}-", "rm", "--")
    );
}

#[test]
fn a_name_the_guide_took_itself_is_its_mistake_and_another_is_not() {
    let conflict = r#"docker: Error response from daemon: Conflict. The container name "/example" is already in use by container "9f2c"."#;
    let commands = [
        "docker run -d --name=example busybox sleep 60",
        "docker run --name example busybox",
    ];
    let c = last(&commands, &[(0, "9f2c"), (125, conflict)]);
    assert_eq!(kind_and(c, "line 10"), Kind::Guide);
    let c = last(
        &["docker run -d --name=other busybox", commands[1]],
        &[(0, "9f2c"), (125, conflict)],
    );
    assert_eq!(c.unwrap().kind, Kind::Unknown);
}

#[test]
fn an_authors_id_is_one_no_output_showed() {
    let commands = ["docker ps -a", "docker stop e468"];
    let gone = "Error response from daemon: No such container: e468";
    let c = last(&commands, &[(0, "CONTAINER ID   IMAGE"), (1, gone)]);
    assert_eq!(
        c.as_ref().and_then(|c| c.mend.clone()),
        Some(Mend::AuthorsId {
            id: "e468".into(),
            of: "container".into()
        })
    );
    assert_eq!(kind_and(c, "e468"), Kind::Guide);
    // The replay's own output showed it: not the author's.
    let c = last(&commands, &[(0, "e468   busybox"), (1, gone)]);
    assert_eq!(c.unwrap().kind, Kind::Unknown);
    // A name, not an ID.
    let c = last(
        &commands,
        &[(0, ""), (1, "Error: No such container: web-1")],
    );
    assert_eq!(c.unwrap().kind, Kind::Unknown);
}

#[test]
fn a_knock_on_names_the_failed_step_that_would_have_made_the_name() {
    let commands = [
        "docker commit web myimage",
        "docker push myname/myimage",
        "docker run myimage",
    ];
    let runs = [
        (1, "Error response from daemon: No such container: web"),
        (0, "pushed"),
        (125, "Unable to find image 'myimage:latest' locally\npull access denied for myimage, repository does not exist"),
    ];
    assert_eq!(kind_and(last(&commands, &runs), "line 10"), Kind::KnockOn);
    // The step that made it ran: the image is simply not served (a stand-in missing).
    let mut ran = runs;
    ran[0].0 = 0;
    assert_eq!(last(&commands, &ran).unwrap().kind, Kind::StandIn);
}

#[test]
fn a_push_with_no_namespace_and_a_missing_path() {
    let c = last(
        &["docker push webapp"],
        &[(1, "denied: requested access to the resource is denied")],
    );
    assert_eq!(kind_and(c, "ACCOUNT/webapp"), Kind::Guide);
    let c = last(
        &["docker push me/webapp"],
        &[(1, "denied: requested access to the resource is denied")],
    );
    assert_eq!(c.unwrap().kind, Kind::Unknown);
    let c = last(
        &["cd example_data"],
        &[(2, "sh: 1: cd: can't cd to example_data")],
    );
    assert_eq!(kind_and(c, "example_data"), Kind::Guide);
    for (command, said, path) in [
        (
            "sh -c 'echo 42 > /w/a.txt'",
            "sh: 1: cannot create /w/a.txt: Directory nonexistent",
            "/w/a.txt",
        ),
        (
            "cat /data/a.txt",
            "cat: /data/a.txt: No such file or directory",
            "/data/a.txt",
        ),
        (
            "ls x",
            "ls: cannot access 'x': No such file or directory",
            "x",
        ),
    ] {
        assert_eq!(kind_and(last(&[command], &[(1, said)]), path), Kind::Guide);
    }
}

#[test]
fn a_pull_no_registry_answers_is_a_missing_stand_in() {
    let c = last(
        &["docker pull nginx"],
        &[(1, "Using default tag: latest\nError response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host")],
    );
    assert_eq!(kind_and(c, "for nginx"), Kind::StandIn);
}
