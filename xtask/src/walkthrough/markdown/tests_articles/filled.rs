//! The series' articles with their placeholders filled from the tables, and the erratum's differing
//! outputs reported at their lines.

use std::collections::BTreeMap;

use super::{assert_docker_commands_found, Expected, ARTICLES, DEPLOY, ERRATUM, MANAGE, PERSIST};
use crate::walkthrough::markdown::compare::{compare, Verdict};
use crate::walkthrough::markdown::placeholders::{self, Values};
use crate::walkthrough::markdown::reader::read;
use crate::walkthrough::markdown::report::{difference_line, Report, StepResult};
use crate::walkthrough::markdown::steps::{counts, Place, Step, StepKind};

#[test]
fn placeholders_are_found_and_filled_from_the_tables() {
    for a in ARTICLES {
        let steps = read((a.text)());
        assert_eq!(placeholders_in_order(&steps), a.placeholders, "{}", a.slug);
        every_placeholder_has_a_value(a, &steps);
    }
    the_password_is_filled_from_the_table();
    set_values_fill_the_hub_user_and_the_volume();
}

/// Each placeholder of the steps, once, in the order they first appear.
fn placeholders_in_order(steps: &[Step]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for p in steps.iter().flat_map(placeholders::of_step) {
        if !found.contains(&p) {
            found.push(p);
        }
    }
    found
}

/// Filled from its table, no step of `a` is blocked, and only the values asked of the sandbox
/// remain in the steps that run.
fn every_placeholder_has_a_value(a: &Expected, steps: &[Step]) {
    let filled = placeholders::fill(steps, &Values::for_article(a.slug));
    let blocked: Vec<usize> = filled
        .iter()
        .zip(steps)
        .filter(|(f, s)| {
            matches!(f.kind, StepKind::CannotRun { .. })
                && !matches!(s.kind, StepKind::CannotRun { .. })
        })
        .map(|(f, _)| f.line)
        .collect();
    // Every placeholder has a value; the anonymous volume's name is asked of the sandbox when
    // its step comes, so it stays in its command until then.
    assert_eq!(blocked, Vec::<usize>::new(), "{}", a.slug);
    let asked: Vec<String> = Values::for_article(a.slug)
        .asked()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        asked,
        if a.slug == "manage-jupyter-data-docker" {
            vec!["VOLUME_NAME".to_string()]
        } else {
            vec![]
        },
        "{}",
        a.slug
    );
    for s in filled
        .iter()
        .filter(|s| !matches!(s.kind, StepKind::CannotRun { .. }))
    {
        assert!(
            placeholders::of_step(s).iter().all(|p| asked.contains(p)),
            "{} line {}: {}",
            a.slug,
            s.line,
            s.text()
        );
    }
}

/// Article 4's example password, a secret, is filled in where the article shows it.
fn the_password_is_filled_from_the_table() {
    let values = Values::for_article("persist-jupyter-data-mysql-docker");
    let password = values.get("EXAMPLE_PASSWORD").unwrap().to_string();
    assert!(values.secrets().contains(&password));
    let filled = placeholders::fill(&read(*PERSIST), &values);
    let text = |line| {
        filled
            .iter()
            .find(|s| s.line == line)
            .unwrap()
            .text()
            .to_string()
    };
    assert_eq!(text(568), format!("docker run -d --name mysql-db --network jupyter-mysql-net -e MYSQL_ROOT_PASSWORD={password} mysql"));
    assert_eq!(
        text(119),
        format!("MYSQL_USER=root\nMYSQL_PASSWORD={password}")
    );
    assert_eq!(text(419), "docker logs custom-jupyter-container-mysql");
}

/// Values set for the replay fill the Docker Hub account and the anonymous volume's name.
fn set_values_fill_the_hub_user_and_the_volume() {
    // The Docker Hub account is the stand-in's, made when the replay starts: the table marks it.
    let values = Values::for_article("deploy-jupyter-docker-linode");
    assert_eq!(
        values.named_as(crate::walkthrough::markdown::elsewhere::HUB_USER),
        ["YOUR_DOCKER_HUB_USERNAME"]
    );
    let set = BTreeMap::from([(
        "YOUR_DOCKER_HUB_USERNAME".to_string(),
        "someone".to_string(),
    )]);
    let deploy = placeholders::fill(&read(*DEPLOY), &values.with(&set).unwrap());
    assert_eq!(
        deploy.iter().find(|s| s.line == 84).unwrap().text(),
        "docker tag jupyter-jupyter someone/project_jupyter"
    );
    let set = BTreeMap::from([("VOLUME_NAME".to_string(), "abc".to_string())]);
    let manage = placeholders::fill(
        &read(*MANAGE),
        &Values::for_article("manage-jupyter-data-docker")
            .with(&set)
            .unwrap(),
    );
    assert_eq!(
        manage.iter().find(|s| s.line == 382).unwrap().kind,
        StepKind::Command {
            place: Place::Host,
            text: "docker volume rm abc".into()
        }
    );
}

#[test]
fn the_erratum_reports_its_differing_outputs_at_their_lines() {
    let steps = read(ERRATUM);
    // commands 16 17 23 33 39 45 55 66 67; outputs 26 48 58.
    assert_eq!(counts(&steps), [9, 0, 0, 3, 0, 0]);
    assert_docker_commands_found("erratum", ERRATUM, &steps);
    let index = |line| steps.iter().position(|s: &Step| s.line == line).unwrap();
    let expected = |line| match &steps[index(line)].kind {
        StepKind::Output { text, .. } => text.clone(),
        other => panic!("{other:?}"),
    };
    // What Docker prints for these steps: the write went to /work/results, not into the volume.
    let real = [
        (26, "erratum-results\n"),
        (
            48,
            "cat: can't open '/data/answer.txt': No such file or directory\n",
        ),
        (58, "DRIVER    VOLUME NAME\nlocal     erratum-results\n"),
    ];
    let mut results = Vec::new();
    let mut differing = Vec::new();
    for (line, printed) in real {
        let verdict = compare(&expected(line), printed, &[]);
        if let Verdict::Differs { at, .. } = &verdict {
            differing.push(difference_line(ERRATUM, &steps[index(line)], *at));
        }
        // The result belongs to the step the output follows.
        results.push(StepResult {
            step: index(line) - 1,
            exit: Some(0),
            output: printed.into(),
            verdict: Some(verdict),
            ..Default::default()
        });
    }
    assert_eq!(
        differing,
        [49, 59],
        "the wrong answer and the swapped table header"
    );
    let report = Report {
        title: "erratum",
        article: ERRATUM,
        steps: &steps,
        results: &results,
        secrets: &[],
        stopped: None,
    };
    assert!(
        report
            .summary()
            .contains("outputs differing: line 49, line 59"),
        "{}",
        report.summary()
    );
    assert!(report
        .markdown()
        .contains("    > output **differs** from line 49:"));
}
