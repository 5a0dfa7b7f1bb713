//! `--fix`: the patch a replay writes for a tutorial's mistakes, its evidence, and the replay of
//! the fixed file.

use std::path::Path;

use super::support::*;
use super::{fixture, remove_sandbox_volumes, tail, ONE_AT_A_TIME};

/// The near miss's evidence (an image removed by an ID, with no image named before it): named, and
/// left as written.
const NEAR_MISS: &str = "the command failed (exit 1): the engine knows no image 0a1b2c3d4e5f";

/// `--fix` (issue 28): a tutorial written for the test, with `--rm` typed with an en dash, a
/// sample output that says `hullo`, a container stopped by the author's ID, a name reused while
/// its container still holds it and a `cd` into a volume by its name, replayed from a copy: the
/// patch mends exactly those, each with its evidence, and `patch -p1` takes it; the near miss (an
/// image removed by an ID, with no image named before) is named and left. `--write` makes the
/// patch and the replay of the fixed file says the five steps now hold; a second `--fix` has
/// nothing to change, and names the near miss again.
#[test]
fn fix_mends_a_look_alike_dash_and_a_stale_output_then_has_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("fixable-{}.md", std::process::id());
    let file = dir.path().join(&name);
    let written = std::fs::read_to_string(fixture("fixable.md")).unwrap();
    std::fs::write(&file, &written).unwrap();

    let patch = replay_with_fix(dir.path(), &name, &[]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "--fix alone writes nothing"
    );
    let (evidence, diff) = patch.split_once(&format!("\n--- a/{name}\n")).unwrap();
    assert!(diff.starts_with(&format!("+++ b/{name}\n")), "{patch}");
    assert_the_hunks_mend_exactly_those(&patch, diff);
    assert_the_evidence_names_each(evidence);
    assert_patch_p1_takes_it(dir.path(), &patch);

    let said = replay_with_fix(dir.path(), &name, &["--write"]);
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert_the_fix_is_written_and_holds(&fixed, &said);

    let again = replay_with_fix(dir.path(), &name, &[]);
    assert!(
        again.starts_with("no changes: nothing the replay saw has a fix here\n")
            && again.lines().count() == 2
            && again.contains(&format!("line 70: {NEAR_MISS}")),
        "{again}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
}

/// `walkthrough --from-markdown NAME --fix MORE` in `dir`, one replay at a time: what it printed
/// (the patch, or what `--write` found), nothing of its run left on the host engine.
fn replay_with_fix(dir: &Path, name: &str, more: &[&str]) -> String {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let run = own_run_id();
    let out = xtask()
        .env(RUN_ID_ENV, &run)
        .current_dir(dir)
        .args(["walkthrough", "--from-markdown", name, "--fix"])
        .args(more)
        .output()
        .unwrap();
    remove_sandbox_volumes(&run);
    let run_label = format!("label={RUN_LABEL_KEY}={run}");
    let left = docker_ok(&["ps", "-a", "--filter", &run_label, "--format", "{{.Names}}"]);
    assert!(
        left.is_empty(),
        "containers of this run left on the host engine: {left}"
    );
    let (stdout, stderr) = (text_of(&out.stdout), text_of(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{}", tail(&stderr));
    eprintln!("--fix {more:?}:\n{stdout}");
    stdout
}

/// The patch's four hunks: the dash, the stale output, the author's ID and the name reused, the
/// `cd` into a volume by its name.
fn assert_the_hunks_mend_exactly_those(patch: &str, diff: &str) {
    let hunks: Vec<&str> = diff.split("\n@@ ").skip(1).collect();
    assert_eq!(hunks.len(), 4, "{patch}");
    assert!(
        hunks[0].starts_with("-20,7 +20,7 @@")
            && hunks[0].contains("\n-    docker run \u{2013}rm jupyter/minimal-notebook true\n+    docker run --rm jupyter/minimal-notebook true\n"),
        "{patch}"
    );
    // Only `hullo` changes: the lines the mask counts equal (their times) stay as written.
    assert!(
        hunks[1].starts_with("-32,7 +32,7 @@")
            && hunks[1].contains("\n     2023-01-12 14:03:18 Executing the command: sh -c echo hello >&2\n-    hullo\n+    hello\n"),
        "{patch}"
    );
    // The container the tutorial named at line 51 stands for the author's ID, and is removed
    // before its name is given again.
    assert!(
        hunks[2].contains("\n-    docker stop 3f1c9a2b7d10\n+    docker stop fixable-box\n")
            && hunks[2].contains("\n+    docker rm -f fixable-box\n     docker run -d --name fixable-box -v fixable-data:/data"),
        "{patch}"
    );
    assert!(
        hunks[3].contains("\n-    cd fixable-data\n+    cd /data\n"),
        "{patch}"
    );
}

/// One line of evidence for each change, and one for the near miss left as written.
fn assert_the_evidence_names_each(evidence: &str) {
    let lines: Vec<&str> = evidence.lines().collect();
    assert_eq!(lines.len(), 6, "{evidence}");
    assert_eq!(
        lines[5],
        "line 81: `cd fixable-data` failed (exit 1): no fixable-data there; the step at line 75 mounted fixable-data at /data: written `cd /data`"
    );
    assert!(
        lines[0].starts_with("line 23: the command failed") && lines[0].contains("`--rm`"),
        "{evidence}"
    );
    assert!(
        lines[1].starts_with("line 29: the output block at line 32 differs")
            && lines[1].contains("(`-hullo` where it printed `+hello`)")
            && lines[1].contains("2 of its 3 lines kept as written"),
        "{evidence}"
    );
    assert!(
        lines[2].starts_with("line 57: the command failed (exit 1): the engine knows no container 3f1c9a2b7d10")
            && lines[2].ends_with("written `fixable-box`, the container the guide named at line 51, the last it named before this step"),
        "{evidence}"
    );
    assert!(
        lines[3].starts_with("line 63: the command failed (exit 125): the container the guide's step at line 51 named fixable-box still holds the name"),
        "{evidence}"
    );
    assert!(
        lines[4].starts_with(&format!("line 69: {NEAR_MISS}"))
            && lines[4]
                .ends_with("left as written: no step before it that succeeded named an image"),
        "{evidence}"
    );
}

/// The patch is one `patch -p1` reads.
fn assert_patch_p1_takes_it(dir: &Path, patch: &str) {
    let check = std::process::Command::new("patch")
        .args(["-p1", "--dry-run", "--batch"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut p| {
            use std::io::Write;
            p.stdin.take().unwrap().write_all(patch.as_bytes())?;
            p.wait_with_output()
        })
        .unwrap();
    assert!(
        check.status.success(),
        "patch -p1 refused it: {}",
        text_of(&check.stdout)
    );
}

/// `--write` wrote the fixes into the file, and the replay of the fixed file says each holds.
fn assert_the_fix_is_written_and_holds(fixed: &str, said: &str) {
    assert!(
        fixed.contains("docker run --rm jupyter/minimal-notebook true")
            && !fixed.contains('\u{2013}'),
        "{fixed}"
    );
    assert!(
        fixed.contains("    hello\n") && !fixed.contains("    hullo\n"),
        "{fixed}"
    );
    for holds in [
        "line 23: now succeeds",
        "line 57: now succeeds",
        "line 64: now succeeds",
    ] {
        assert!(said.contains(holds), "{said}");
    }
    assert!(
        said.contains("its output now matches the article's"),
        "{said}"
    );
    assert!(
        said.trim_end()
            .ends_with("the fix holds: each of the 5 changed steps now runs as the article says"),
        "{said}"
    );
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
