//! No walkthrough prints a secret: every transcript, report and JSON of every article, in both
//! modes, checked for the passwords and tokens its containers were given while it ran (on the
//! host engine, or inside the sandbox engine of a literal replay).

use std::time::Duration;

use super::stdout;
use super::support::*;

/// The secrets in the run's containers now: the passwords given to them at run time (not the
/// image's own ENV defaults, such as `MYSQL_PASSWORD=NOT_DEFINED`) and the Jupyter tokens in their
/// logs. A container may go at any moment: then it is skipped.
fn secrets_in_containers(run: &str, found: &mut std::collections::BTreeSet<String>) {
    let filter = format!("label={RUN_LABEL_KEY}={run}");
    let on_host = stdout(&docker(&[
        "ps",
        "--filter",
        &filter,
        "--format",
        "{{.Names}}",
    ]));
    // The literal modes run the articles' containers inside a sandbox engine: asked through it.
    let mut engines: Vec<Vec<String>> = vec![vec![]];
    for sandbox in on_host
        .lines()
        .filter(|n| n.starts_with("jdx-sandbox-") && *n != "jdx-sandbox-registry")
    {
        engines.push(vec![
            "exec".into(),
            "-e".into(),
            "DOCKER_HOST=unix:///run/sandbox/docker.sock".into(),
            sandbox.to_string(),
            "docker".into(),
        ]);
    }
    for engine in engines {
        let d = |args: &[&str]| {
            let mut all: Vec<&str> = engine.iter().map(String::as_str).collect();
            all.extend_from_slice(args);
            docker(&all)
        };
        let listed = if engine.is_empty() {
            stdout(&d(&[
                "ps",
                "-a",
                "--filter",
                &filter,
                "--format",
                "{{.Names}}",
            ]))
        } else {
            stdout(&d(&["ps", "-a", "--format", "{{.Names}}"]))
        };
        let env_of = |kind: &str, name: &str| {
            stdout(&d(&[
                kind,
                "inspect",
                "--format",
                "{{range .Config.Env}}{{println .}}{{end}}",
                name,
            ]))
        };
        for c in listed.lines() {
            let image = stdout(&d(&["inspect", "--format", "{{.Image}}", c]));
            let image_env = env_of("image", image.trim());
            let env = env_of("container", c);
            for (key, value) in env
                .lines()
                .filter(|l| !image_env.lines().any(|i| i == *l))
                .filter_map(|l| l.split_once('='))
            {
                if (key.contains("PASSWORD") || key.contains("TOKEN")) && value.len() >= 6 {
                    found.insert(value.to_string());
                }
            }
            for part in text(&d(&["logs", c])).split("token=").skip(1) {
                let token: String = part
                    .chars()
                    .take_while(|ch| ch.is_ascii_hexdigit())
                    .collect();
                if token.len() == 48 {
                    found.insert(token);
                }
            }
        }
    }
}

/// Every secret the walkthrough `cmd` used, read from its containers while it runs (the articles
/// remove their own, Compose's `down -v` included), with the walkthrough's output.
fn run_collecting_secrets(
    mut cmd: assert_cmd::Command,
    run: &str,
) -> (std::process::Output, Vec<String>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let (flag, run_label) = (done.clone(), run.to_string());
    let watcher = std::thread::spawn(move || {
        let mut found = std::collections::BTreeSet::new();
        while !flag.load(Ordering::SeqCst) {
            secrets_in_containers(&run_label, &mut found);
            std::thread::sleep(Duration::from_millis(250));
        }
        found
    });
    let out = cmd.env(RUN_ID_ENV, run).assert().get_output().clone();
    done.store(true, Ordering::SeqCst);
    (out, watcher.join().unwrap().into_iter().collect())
}

/// Every walkthrough in both modes: the passwords it used (registered with `Session::secret`) and
/// the Jupyter tokens appear in no transcript, report or JSON.
#[test]
fn no_walkthrough_prints_a_secret() {
    images();
    let reports = tempfile::tempdir().unwrap();
    for article in ["setup", "manage-data", "mysql", "compose"] {
        for literal in [false, true] {
            let run = format!("{}-secrets-{article}-{literal}", run_id());
            let report_file = reports.path().join(format!("{article}-{literal}.md"));
            let mut cmd = xtask();
            cmd.args([
                "walkthrough",
                article,
                "--json",
                "--report",
                report_file.to_str().unwrap(),
            ]);
            // The corrected sections run in parallel; the literal mode is one replay in a sandbox.
            cmd.arg(if literal { "--literal" } else { "--parallel" });
            let (out, secrets) = run_collecting_secrets(cmd, &run);
            if literal {
                remove_sandbox_data_of(&run);
            }
            let json: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
            assert!(
                json.is_object(),
                "{article} (literal {literal}) printed no JSON report:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report = std::fs::read_to_string(&report_file).unwrap_or_default();
            for secret in &secrets {
                for (what, shown) in [
                    ("JSON", stdout(&out)),
                    (
                        "transcript",
                        String::from_utf8_lossy(&out.stderr).to_string(),
                    ),
                    ("report", report.clone()),
                ] {
                    assert!(
                        !shown.contains(secret.as_str()),
                        "{article} (literal {literal}): a secret ({}...) is in its {what}",
                        &secret[..3]
                    );
                }
            }
            // Each article runs a Jupyter server (a token); mysql and compose a database (a password).
            assert!(
                !secrets.is_empty(),
                "{article} (literal {literal}): no secret found to look for"
            );
            if article == "mysql" || article == "compose" {
                assert!(
                    secrets.iter().any(|s| s.len() != 48),
                    "{article} (literal {literal}): no password found to look for: {}",
                    secrets.len()
                );
            }
            eprintln!("{article} (literal {literal}): none of its {} secrets in its JSON, transcript or report", secrets.len());
        }
    }
}

/// The literal replay's sandbox data volume, named for `run` (the watcher's run id, not the suite's).
fn remove_sandbox_data_of(run: &str) {
    let filter = format!("label={RUN_LABEL_KEY}={run}");
    for v in stdout(&docker(&[
        "volume",
        "ls",
        "--filter",
        &filter,
        "--format",
        "{{.Name}}",
    ]))
    .lines()
    .filter(|v| v.starts_with("jdx-sandbox-"))
    {
        let _ = docker(&["volume", "rm", v]);
    }
}
