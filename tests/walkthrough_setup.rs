//! `cargo xtask walkthrough setup`, end to end: the literal replay of the article in the sandbox,
//! the corrected recipe (every section), and this test's own look at the images it built (`--keep`).

mod support;

use serde_json::Value;
use support::*;

/// Every image a `--keep` run built, and the containers it made (all `--rm`, so normally gone).
fn guards_for(report: &Value) -> Vec<Guard> {
    let mut guards: Vec<Guard> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Guard::container(s["container"].as_str().unwrap()))
        .collect();
    for s in report["sections"].as_array().unwrap() {
        for (_, used) in s["names"].as_object().unwrap() {
            guards.push(Guard::image(used.as_str().unwrap()));
        }
    }
    guards
}

/// `stat` of the notebook in the pre-load image the section built.
fn notebook_owner(report: &Value) -> String {
    let s = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Image with pre-loaded files")
        .unwrap();
    let tag = s["names"]["custom-jupyter-image:preload"].as_str().unwrap();
    let owner = run_ok(&RunSpec::new(tag).rm().command(&[
        "stat",
        "-c",
        "%U:%G",
        "/work/computation.ipynb",
    ]));
    assert_eq!(
        docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.WorkingDir}}",
            tag
        ]),
        "/work",
        "WORKDIR /work"
    );
    owner.lines().last().unwrap().trim().to_string()
}

/// This test's own look at the sandbox's engine while the replay ran (tests/support/watch.rs), one
/// fact for each section of the article, each agreeing with the walkthrough's verdict.
fn the_sandbox_showed(report: &Value, seen: &watch::Seen) {
    let holds = |words: &str| claim(report, words)["holds"].as_bool().unwrap();
    let published_on_8888 =
        |c: &&Value| c["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostPort"] == "8888";
    // Anaconda base image: its container ran as root (the image's user), 8888 published.
    let anaconda = seen.containers_of("continuumio/anaconda3");
    assert!(
        anaconda
            .iter()
            .any(|c| c["Config"]["User"] == "root" && published_on_8888(c)),
        "anaconda3's containers: {}",
        seen.summary()
    );
    assert!(holds("shell-as-root"));
    // Jupyter Docker Stacks image: its container ran as the image's user 1000 (jovyan), not root.
    let stacks = seen.containers_of("jupyter/datascience-notebook");
    let users: Vec<&Value> = stacks
        .iter()
        .filter_map(|c| seen.image_by_id(c["Image"].as_str()?))
        .map(|i| &i["Config"]["User"])
        .collect();
    assert!(
        !users.is_empty() && users.iter().all(|u| *u == "1000" || *u == "jovyan"),
        "the stacks image's user: {users:?}"
    );
    assert!(holds("stacks-as-jovyan"));
    // Own image from a Dockerfile: custom-jupyter-image exposes 8888, and ran published there.
    let own = seen
        .image("custom-jupyter-image:latest")
        .expect("custom-jupyter-image built");
    assert!(
        own["Config"]["ExposedPorts"]["8888/tcp"].is_object(),
        "{}",
        own["Config"]
    );
    assert!(seen
        .containers_of("custom-jupyter-image")
        .iter()
        .any(published_on_8888));
    // Image with pre-loaded files: custom-jupyter-image:preload works in /work.
    let preload = seen
        .image("custom-jupyter-image:preload")
        .expect("the preload image built");
    assert_eq!(preload["Config"]["WorkingDir"], "/work");
    eprintln!(
        "seen in the sandbox's engine: anaconda3 ran as root on 8888; the stacks image runs as \
         {users:?}; custom-jupyter-image exposes 8888; :preload works in /work"
    );
}

#[test]
fn literal_mode_replays_the_article_and_checks_what_it_can() {
    images();
    let (report, out, seen) = walkthrough_seen(&["setup", "--literal", "--fix"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (report["article"].as_str(), report["ok"].as_bool()),
        (Some("jupyter-docker-setup-guide"), Some(true))
    );
    assert_eq!(report["mode"], "literal");
    assert_eq!(report["sections"].as_array().unwrap().len(), 4);
    assert_claims(&report, "setup");
    // Every docker command of the article ran as written, in the sandbox.
    assert_commands_replayed(&report, "jupyter-docker-setup-guide");
    the_sandbox_showed(&report, &seen);

    unchecked_claims_are_reported_not_faked(&report);
    the_evidence_is_the_engines(&report);
    every_server_had_token_auth_and_every_rm_container_went(&report);
    the_erratum_is_what_the_sandbox_showed(&report);
    the_fix_copies_the_notebook_to_its_user(&report);
    no_token_in_the_report(&report);
}

/// No token in the report. The fix's diff quotes the article's own lines, whose sample log has an
/// example token of the author's (its removed and context lines must stay as written for `patch`
/// to apply): only the lines it adds must have none.
fn no_token_in_the_report(report: &Value) {
    let token = regex::Regex::new(r"token=[0-9a-f]{32}").unwrap();
    let mut rest = report.clone();
    let diff = rest["fix"]["diff"].take();
    assert!(!token.is_match(&rest.to_string()));
    let added = diff.as_str().unwrap_or_default().lines();
    let added: Vec<&str> = added.filter(|l| l.starts_with('+')).collect();
    assert!(!added.iter().any(|l| token.is_match(l)), "{added:?}");
}

/// What only the official images could show is reported, never faked.
fn unchecked_claims_are_reported_not_faked(report: &Value) {
    let unchecked: Vec<&Value> = report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["checkable"] == false)
        .collect();
    assert_eq!(unchecked.len(), 5, "{unchecked:?}");
    for c in &unchecked {
        assert_eq!(
            (c["holds"].as_bool(), c["expected"].as_bool()),
            (Some(false), Some(false))
        );
        assert!(
            c["evidence"]
                .as_str()
                .unwrap()
                .starts_with("not checkable here:"),
            "{c}"
        );
    }
}

/// The pulls ran, and the evidence is what the engine showed.
fn the_evidence_is_the_engines(report: &Value) {
    // The pulls ran: the sandbox's engine did not have the images the article pulls.
    assert!(claim(report, "pulled-first")["evidence"]
        .as_str()
        .unwrap()
        .contains("Unable to find image 'jupyter/datascience-notebook:latest' locally"));
    assert!(claim(report, "pull-latest")["evidence"]
        .as_str()
        .unwrap()
        .contains("Using default tag: latest"));
    // The evidence is what the engine showed: ids, owners, the refusal, the cache.
    assert!(claim(report, "shell-as-root")["evidence"]
        .as_str()
        .unwrap()
        .starts_with("id -u: 0, id -g: 0"));
    assert!(claim(report, "needs-allow-root")["evidence"]
        .as_str()
        .unwrap()
        .contains("--allow-root"));
    assert!(claim(report, "rebuild-cached")["evidence"]
        .as_str()
        .unwrap()
        .contains("RUN steps came from the build cache"));
}

/// Token auth on every server the article starts, and every --rm container gone.
fn every_server_had_token_auth_and_every_rm_container_went(report: &Value) {
    let all = report["claims"].as_array().unwrap();
    assert_eq!(
        all.iter()
            .filter(|c| c["id"] == "token-auth" && c["holds"] == true)
            .count(),
        4
    );
    assert_eq!(
        all.iter()
            .filter(|c| c["id"] == "rm-container-gone" && c["holds"] == true)
            .count(),
        4
    );
}

/// `--fix` (issue 28): the erratum seen, the pre-load Dockerfile's COPY gets `--chown` at line 532,
/// the one line setup/fixes.md names.
fn the_fix_copies_the_notebook_to_its_user(report: &Value) {
    let changes = report["fix"]["changes"]
        .as_array()
        .expect("the fix's changes");
    let errata: Vec<&Value> = changes.iter().filter(|c| c["rule"] == "erratum").collect();
    assert_eq!(errata.len(), 1, "{changes:?}");
    assert_eq!(
        (errata[0]["line"].as_u64(), errata[0]["changed"].as_bool()),
        (Some(532), Some(true))
    );
    let said = errata[0]["evidence"].as_str().unwrap();
    assert!(
        said.starts_with("line 532: can-save failed, as the article's commands make it ("),
        "{said}"
    );
    let diff = report["fix"]["diff"].as_str().unwrap();
    for line in [
        "-    COPY . /work",
        "+    COPY --chown=$NB_UID:$NB_GID . /work",
    ] {
        assert!(
            diff.lines().any(|l| l == line),
            "{line:?} not in the diff:\n{diff}"
        );
    }
}

/// The erratum: `can-save` does not hold, as expected.
fn the_erratum_is_what_the_sandbox_showed(report: &Value) {
    // The erratum: the root-owned COPY leaves the notebook read-only for jovyan, as the sandbox showed.
    let erratum = claim(report, "can-save");
    assert_eq!(
        (erratum["holds"].as_bool(), erratum["expected"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(
        erratum["evidence"]
            .as_str()
            .unwrap()
            .contains("not writable"),
        "{erratum}"
    );
}

/// The corrected recipe, every section, held against the claim catalogue; then this test's own look
/// at the pre-load image it kept.
#[test]
fn corrected_pre_load_gives_the_notebook_to_jovyan() {
    let (report, _, _guards) = kept_walkthrough(&["setup", "--keep"], guards_for);
    assert_eq!(report["mode"], "corrected");
    assert_eq!(report["ok"], true);
    assert_claims(&report, "setup");
    assert_eq!(claim(&report, "can-save")["holds"], true);
    assert_eq!(notebook_owner(&report), "jovyan:users");
}
