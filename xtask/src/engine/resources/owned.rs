//! The images that are the project's own: built here as their own tag, told apart from the images
//! they were built from.

use anyhow::Result;

use crate::engine::{Docker, BUILT_AS_LABEL_KEY};

/// The images the project built itself, as `docker image rm` takes them, among those matching
/// `filters` (a test run's label): never one that only inherited the project's labels.
pub fn own_images(docker: &Docker, filters: &[String]) -> Result<Vec<String>> {
    let label = format!("label={BUILT_AS_LABEL_KEY}");
    let mut args = vec![
        "image",
        "ls",
        "-q",
        "--no-trunc",
        "--filter",
        label.as_str(),
    ];
    filters
        .iter()
        .for_each(|f| args.extend(["--filter", f.as_str()]));
    let ids = docker.output(&args)?;
    let mut ids: Vec<&str> = ids.lines().filter(|l| !l.is_empty()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let format = format!(
        "{{{{.Id}}}}|{{{{index .Config.Labels \"{BUILT_AS_LABEL_KEY}\"}}}}|{{{{json .RepoTags}}}}"
    );
    // One removed since the listing is only missing from the answer.
    let inspected = docker.status(
        ["image", "inspect", "--format", format.as_str()]
            .into_iter()
            .chain(ids),
    )?;
    let mut own = Vec::new();
    for line in inspected.stdout.lines() {
        let Some((id, built_as, tags)) = parse_inspected(line) else {
            continue;
        };
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        own.extend(own_names(id, built_as, &tags, || history(docker, id)));
    }
    Ok(own)
}

/// `ID|BUILT_AS|["TAG",...]` as the inspect prints it (a label may hold a '|'; neither end can).
pub(super) fn parse_inspected(line: &str) -> Option<(&str, &str, Vec<String>)> {
    let (id, rest) = line.split_once('|')?;
    let (built_as, tags) = rest.rsplit_once('|')?;
    Some((
        id,
        built_as,
        serde_json::from_str::<Option<Vec<String>>>(tags)
            .ok()?
            .unwrap_or_default(),
    ))
}

/// What of one image carrying `built_as` is the project's own: the tags equal to it (a child
/// image inherits the label but is tagged otherwise; a tag a person added keeps the image); an
/// untagged one (an earlier build a rebuild replaced) by its short id, when its own build set
/// that label (`history`: its build steps, newest first).
pub(super) fn own_names(
    id: &str,
    built_as: &str,
    tags: &[&str],
    history: impl FnOnce() -> Option<Vec<String>>,
) -> Vec<String> {
    if !tags.is_empty() {
        return tags
            .iter()
            .filter(|t| same_reference(t, built_as))
            .map(|t| t.to_string())
            .collect();
    }
    match history() {
        Some(steps) if set_by_its_own_build(&steps, built_as) => {
            vec![id.trim_start_matches("sha256:").chars().take(12).collect()]
        }
        _ => Vec::new(),
    }
}

/// Whether the build that made an image (its `steps`, newest first) set `built-as=built_as`: the
/// legacy builder ends a build with one `LABEL` step per `--label`, so the project's build ends
/// with a run of steps setting only the project's labels, one of them this one. A child's own
/// steps come first in its history (a label of its own, or any other step, ends the run). An
/// image imported whole (one step) inherited nothing. A one-commit build's own step is its newest,
/// and runs the marker naming the tag ([`crate::images::onecommit::marker`]).
pub(super) fn set_by_its_own_build(steps: &[String], built_as: &str) -> bool {
    if steps
        .first()
        .is_some_and(|s| crate::images::onecommit::is_step_of(s, built_as))
    {
        return true;
    }
    let labels: Vec<&str> = steps
        .iter()
        .map_while(|s| {
            s.trim_start_matches("/bin/sh -c #(nop)")
                .trim_start()
                .strip_prefix("LABEL ")
        })
        .collect();
    let ours = |l: &&str| {
        l.split_whitespace()
            .filter(|pair| pair.contains('='))
            .all(|pair| pair.starts_with("jupyter-docker-xtask."))
    };
    let wanted = format!("{BUILT_AS_LABEL_KEY}={built_as}");
    steps.len() == 1
        || (labels.iter().all(ours)
            && labels
                .iter()
                .any(|l| l.split_whitespace().any(|pair| pair == wanted)))
}

/// Whether a tag Docker shows is `reference` (`name` is shown as `name:latest`).
pub(super) fn same_reference(tag: &str, reference: &str) -> bool {
    let tagged = reference
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'));
    tag == reference || (!tagged && tag.strip_suffix(":latest") == Some(reference))
}

/// An image's build steps, newest first.
pub(super) fn history(docker: &Docker, id: &str) -> Option<Vec<String>> {
    let history = docker.probe([
        "image",
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        id,
    ])?;
    Some(history.lines().map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "custom-jupyter-image:named-volume";
    const UNTAGGED: &str = "sha256:0123456789abcdef0123";

    #[test]
    fn own_images_are_the_ones_built_as_their_own_tag() {
        inspected_lines_are_parsed();
        a_tagged_image_is_ours_by_its_tag();
        an_untagged_legacy_build_is_ours_by_its_history();
        a_one_commit_build_is_ours_by_its_marker();
    }

    fn inspected_lines_are_parsed() {
        assert_eq!(
            parse_inspected("sha256:1|a:b|[\"a:b\",\"c:d\"]"),
            Some((
                "sha256:1",
                "a:b",
                vec!["a:b".to_string(), "c:d".to_string()]
            ))
        );
        assert_eq!(
            parse_inspected("sha256:1|a|b|[]"),
            Some(("sha256:1", "a|b", vec![]))
        );
        assert_eq!(
            parse_inspected("sha256:1|a:b|null").map(|p| p.2.len()),
            Some(0)
        );
    }

    fn a_tagged_image_is_ours_by_its_tag() {
        let never = || -> Option<Vec<String>> { panic!("a tagged image needs no history") };
        let ours = OURS;
        assert_eq!(own_names("sha256:1", ours, &[ours], never), [ours]);
        // A person's re-tag stays (removing the project's tag leaves the image to it).
        assert_eq!(
            own_names("sha256:1", ours, &[ours, "mine:v1"], never),
            [ours]
        );
        // A child built FROM it inherits the label, tagged otherwise.
        assert!(own_names("sha256:2", ours, &["mine:child"], never).is_empty());
        assert_eq!(
            own_names("sha256:3", "plain", &["plain:latest"], never),
            ["plain:latest"]
        );
        assert!(own_names(
            "sha256:3",
            "host:5000/plain",
            &["host:5000/plain:v2"],
            never
        )
        .is_empty());
    }

    /// The history of a legacy build of ours, newest first, under the steps `top` of a child.
    fn legacy_history(top: &[&str]) -> Vec<String> {
        let build = [
            format!("LABEL {BUILT_AS_LABEL_KEY}={OURS}"),
            "LABEL jupyter-docker-xtask.managed=true".into(),
            "ENV JDX=1".into(),
            "COPY dir:abc in /work".into(),
        ];
        top.iter()
            .map(|t| t.to_string())
            .chain(build)
            .map(|s| format!("/bin/sh -c #(nop)  {s}"))
            .collect()
    }

    fn an_untagged_legacy_build_is_ours_by_its_history() {
        let (ours, untagged) = (OURS, UNTAGGED);
        // Untagged: the legacy builder's one LABEL step per --label, in any order, end our build.
        assert_eq!(
            own_names(untagged, ours, &[], || Some(legacy_history(&[
                "LABEL jupyter-docker-xtask.run=r1"
            ]))),
            ["0123456789ab"]
        );
        // An untagged child: its own steps come first (any step, or a label of its own).
        assert!(own_names(untagged, ours, &[], || Some(legacy_history(&["ENV B=1"]))).is_empty());
        assert!(own_names(untagged, ours, &[], || Some(legacy_history(&[
            "LABEL org.example.mine=yes"
        ])))
        .is_empty());
        // Another tag's label in the history is not this one's.
        assert!(own_names(untagged, "other:tag", &[], || Some(legacy_history(&[]))).is_empty());
        // An untagged import (one step: nothing to inherit from); history unreadable: left alone.
        assert_eq!(
            own_names(untagged, ours, &[], || Some(vec![String::new()])).len(),
            1
        );
        assert!(own_names(untagged, ours, &[], || None).is_empty());
    }

    fn a_one_commit_build_is_ours_by_its_marker() {
        let (ours, untagged) = (OURS, UNTAGGED);
        // A one-commit build: its own step (the marker naming the tag) is the newest, on the base's.
        let one_commit = vec![
            format!("/bin/sh -c : {BUILT_AS_LABEL_KEY}={ours} COPY . in /work"),
            String::new(),
        ];
        assert_eq!(
            own_names(untagged, ours, &[], || Some(one_commit.clone())),
            ["0123456789ab"]
        );
        assert!(own_names(untagged, "other:tag", &[], || Some(one_commit)).is_empty());
    }
}
