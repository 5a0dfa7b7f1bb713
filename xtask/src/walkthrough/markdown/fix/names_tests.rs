//! The rules about names and mounts (`names`, `mounts`), each firing on its case and leaving a
//! near miss as written.

use super::rules::Rule;
use super::tests::{ran, replayed};
use super::*;
use crate::walkthrough::markdown::StepResult;

/// Commands at lines 4, 10 and 16: a named container started, then stopped by an author's ID,
/// then an image removed by one.
const IDS: &str = "1.  Start it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -d --name web img sleep 600\n    ```\n\n1.  Stop it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker stop 3f1c9a2b7d10\n    ```\n\n1.  Remove the image:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker rmi 0a1b2c3d4e5f\n    ```\n";

#[test]
fn an_authors_id_becomes_the_name_the_guide_gave_and_is_left_when_it_gave_none() {
    let stop = "Error response from daemon: No such container: 3f1c9a2b7d10";
    let rmi = "Error: No such image: 0a1b2c3d4e5f";
    let results = vec![ran(0, 0, "9e8d7c6b5a40\n"), ran(1, 1, stop), ran(2, 1, rmi)];
    let plan = super::plan(&replayed(IDS, results, &[]));
    let rules: Vec<(Rule, usize, bool)> = plan
        .findings
        .iter()
        .map(|f| (f.rule, f.line, f.edit.is_some()))
        .collect();
    assert_eq!(
        rules,
        [(Rule::AuthorsId, 10, true), (Rule::AuthorsId, 16, false)]
    );
    assert_eq!(
        plan.edits()[0].new,
        ["    docker stop web"],
        "{:?}",
        plan.findings
    );
    let said = &plan.findings[0].evidence;
    assert!(
        said.starts_with("line 10: the command failed (exit 1): the engine knows no container 3f1c9a2b7d10")
            && said.ends_with("written `web`, the container the guide named at line 4, the last it named before this step"),
        "{said}"
    );
    // No step before it tagged an image: the near miss is named and left.
    assert!(
        plan.findings[1]
            .evidence
            .ends_with("left as written: no step before it that succeeded named an image"),
        "{}",
        plan.findings[1].evidence
    );
    // The name's step failed: nothing to name it by.
    let failed_start = vec![ran(0, 125, "docker: Error"), ran(1, 1, stop)];
    let plan = super::plan(&replayed(IDS, failed_start, &[]));
    assert!(plan.edits().is_empty(), "{:?}", plan.findings);
    // An ID the replay's own output showed is not the author's: no such rule.
    let shown = vec![ran(0, 0, "3f1c9a2b7d10\n"), ran(1, 1, stop)];
    let plan = super::plan(&replayed(IDS, shown, &[]));
    assert_eq!(plan.findings[0].rule, Rule::None, "{:?}", plan.findings);
}

/// Commands at lines 4 and 10: a named container, then another under the same name.
const TAKEN: &str = "1.  Start it:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -d --name web img sleep 600\n    ```\n\n1.  Start it with a volume:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -d --name web -v data:/data img sleep 600\n    ```\n";

#[test]
fn a_name_the_guide_still_holds_is_freed_on_the_line_before_and_another_is_left() {
    let conflict = r#"docker: Error response from daemon: Conflict. The container name "/web" is already in use by container "9f2c1b". You have to remove (or rename) that container to be able to reuse that name."#;
    let plan = super::plan(&replayed(
        TAKEN,
        vec![ran(0, 0, "9f2c1b\n"), ran(1, 125, conflict)],
        &[],
    ));
    assert_eq!(plan.findings.len(), 1, "{:?}", plan.findings);
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.line), (Rule::NameTaken, 10));
    assert!(
        f.evidence.starts_with("line 10: the command failed (exit 125): the container the guide's step at line 4 named web still holds the name; `docker rm -f web` added before it"),
        "{}",
        f.evidence
    );
    let diff = plan.diff("a.md", TAKEN);
    assert!(
        diff.contains("\n     ```command {title=\"Local Machine Terminal\"}\n+    docker rm -f web\n     docker run -d --name web -v data:/data img sleep 600\n"),
        "{diff}"
    );
    // The step itself is one line further down in the fixed file.
    assert_eq!(plan.moved(10), 11);
    // A name the guide's steps never gave: no rule mends it.
    let elsewhere = conflict.replace("/web", "/db");
    let plan = super::plan(&replayed(
        TAKEN,
        vec![ran(0, 0, ""), ran(1, 125, &elsewhere)],
        &[],
    ));
    assert_eq!((plan.findings[0].rule, plan.edits().len()), (Rule::None, 0));
}

/// A shell opened with a volume mounted at /data (line 4), then `cd` by the volume's name (line 10).
const MOUNTED: &str = "1.  Open a shell:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker run -it -v example_data:/data img bash\n    ```\n\n1.  Go to the data:\n\n    ```command\n    cd example_data\n    ```\n";

#[test]
fn a_cd_into_a_mounted_volumes_name_goes_where_it_is_mounted_and_another_is_left() {
    let missing = "bash: cd: example_data: No such file or directory";
    let opened = StepResult {
        step: 0,
        exit: None,
        ..Default::default()
    };
    let plan = super::plan(&replayed(
        MOUNTED,
        vec![opened.clone(), ran(1, 1, missing)],
        &[],
    ));
    assert_eq!(plan.findings.len(), 1, "{:?}", plan.findings);
    let f = &plan.findings[0];
    assert_eq!((f.rule, f.line), (Rule::Mount, 10));
    assert_eq!(plan.edits()[0].new, ["    cd /data"]);
    assert_eq!(
        f.evidence,
        "line 10: `cd example_data` failed (exit 1): no example_data there; the step at line 4 mounted example_data at /data: written `cd /data`"
    );
    // Nothing mounted by that name: named, and left.
    let other = MOUNTED.replace("example_data:/data", "other:/data");
    let plan = super::plan(&replayed(&other, vec![opened, ran(1, 1, missing)], &[]));
    assert_eq!(
        (plan.findings[0].rule, plan.edits().len()),
        (Rule::Mount, 0),
        "{:?}",
        plan.findings
    );
    assert!(plan.findings[0]
        .evidence
        .ends_with("left as written: no step before it mounted example_data"));
}

#[test]
fn mounts_are_read_from_v_volume_and_mount() {
    assert_eq!(
        mounts::mounts(
            "docker run -v \"$(pwd)\"/example_data:/data:ro --volume=v:/w --mount type=volume,source=m,target=/m img"
        ),
        [
            ("$(pwd)/example_data".to_string(), "/data".to_string()),
            ("v".into(), "/w".into()),
            ("m".into(), "/m".into())
        ]
    );
    assert!(mounts::mounts("docker run -v /anon img").is_empty());
}

/// Commands at lines 4, 10 and 16: a login as the guide's account (a placeholder), a build, and
/// the push of the built name with no account.
const PUSH: &str = "1.  Log in:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker login -u YOUR_DOCKER_HUB_USERNAME\n    ```\n\n1.  Build:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker build -t webapp:1.0 .\n    ```\n\n1.  Push:\n\n    ```command {title=\"Local Machine Terminal\"}\n    docker push webapp:1.0\n    ```\n";

const REFUSED: &str = "The push refers to repository [docker.io/library/webapp]\ndenied: requested access to the resource is denied\n";

#[test]
fn a_push_with_no_namespace_goes_under_the_account_the_guide_logged_in_as() {
    let results = vec![
        ran(0, 0, "Login Succeeded\n"),
        ran(1, 0, ""),
        ran(2, 1, REFUSED),
    ];
    let plan = super::plan(&replayed(PUSH, results, &[]));
    let f = &plan.findings[0];
    assert_eq!(
        (f.rule, f.line),
        (Rule::Namespace, 16),
        "{:?}",
        plan.findings
    );
    assert_eq!(
        plan.edits()[0].new,
        [
            "    docker tag webapp:1.0 YOUR_DOCKER_HUB_USERNAME/webapp:1.0",
            "    docker push YOUR_DOCKER_HUB_USERNAME/webapp:1.0"
        ]
    );
    assert!(
        f.evidence.starts_with("line 16: the push was refused (exit 1): webapp:1.0 has no account namespace")
            && f.evidence.ends_with("the guide logged in as YOUR_DOCKER_HUB_USERNAME at line 4: written `docker tag webapp:1.0 YOUR_DOCKER_HUB_USERNAME/webapp:1.0` and `docker push YOUR_DOCKER_HUB_USERNAME/webapp:1.0`"),
        "{}",
        f.evidence
    );
    // Near misses: the login failed, so no account is known; and a push with an account that was
    // refused for another reason is no case of this rule.
    let failed_login = vec![
        ran(0, 1, "Error: incorrect username or password\n"),
        ran(1, 0, ""),
        ran(2, 1, REFUSED),
    ];
    let plan = super::plan(&replayed(PUSH, failed_login, &[]));
    let f = &plan.findings[1];
    assert_eq!(
        (f.rule, f.line, f.edit.is_some()),
        (Rule::Namespace, 16, false)
    );
    assert!(
        f.evidence
            .contains("left as written: no `docker login -u ACCOUNT` succeeded before it"),
        "{}",
        f.evidence
    );
    let with_account = PUSH.replace("docker push webapp:1.0", "docker push team/webapp:1.0");
    let refused = REFUSED.replace("library/webapp", "team/webapp");
    let results = vec![
        ran(0, 0, "Login Succeeded\n"),
        ran(1, 0, ""),
        ran(2, 1, &refused),
    ];
    let plan = super::plan(&replayed(&with_account, results, &[]));
    assert!(
        plan.findings.iter().all(|f| f.rule != Rule::Namespace),
        "{:?}",
        plan.findings
    );
}
