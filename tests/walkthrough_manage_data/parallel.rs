//! One section in parallel mode, under the article's own names: nothing by them is left.

use super::*;

/// The names the article's own commands give in one of its sections (`## TITLE`): the
/// containers' `--name`s and the named volumes (`-v NAME:/dir`, `docker volume create NAME`).
fn article_names(title: &str) -> (Vec<String>, Vec<String>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/series/manage-jupyter-data-docker.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the series is read from ../shared beside the project)",
            path.display()
        )
    });
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let section = &text[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let grab = |re: &str| -> Vec<String> {
        let mut v: Vec<String> = regex::Regex::new(re)
            .unwrap()
            .captures_iter(section)
            .map(|c| c[1].to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    (
        grab(r"--name ([\w.-]+)"),
        grab(r"(?:-v |volume create )([A-Za-z][\w.-]*)(?::|\s|$)"),
    )
}

#[test]
fn one_section_in_parallel_mode_leaves_nothing() {
    images();
    // What the article's Bind Mounts section makes, by its own names.
    let (containers, volumes) = article_names("Bind Mounts");
    assert_eq!(
        (containers.as_slice(), volumes.as_slice()),
        (
            ["custom-jupyter-container".to_string()].as_slice(),
            ["named-data-volume".to_string()].as_slice()
        )
    );

    // `--report` takes a plain file only (not /dev/null).
    let report_file = tempfile::NamedTempFile::new().unwrap();
    let child = spawn_bind_section(report_file.path());
    // Under a test run a walkthrough suffixes the article's names with the run and its pid (and
    // more, when a section runs beside others): every name it can have made starts with this.
    let under = format!("-{}-p{}", run_id(), child.id());
    let made: Vec<(&str, String)> = containers
        .iter()
        .map(|c| ("container", format!("{c}{under}")))
        .chain(volumes.iter().map(|v| ("volume", format!("{v}{under}"))))
        .collect();
    let _guards: Vec<Guard> = made
        .iter()
        .map(|(kind, name)| {
            if *kind == "container" {
                Guard::container(name)
            } else {
                Guard::volume(name)
            }
        })
        .collect();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sections"].as_array().unwrap().len(), 1);
    // The walkthrough worked with the article's names (so what is checked below is what it used).
    let s = section(&report, "Bind mounts");
    assert!(
        s["container"].as_str().unwrap().starts_with(&made[0].1)
            && s["volume"].as_str().unwrap().starts_with(&made[1].1),
        "{s}"
    );
    // Nothing by those names is left: not the section's, not a renamed or a `-wt` one.
    nothing_is_left_under(&made);
    // Each command was printed as it ran.
    assert!(String::from_utf8_lossy(&out.stderr).contains("$ docker run -d -v "));
}

/// `walkthrough manage-data --section bind --parallel --json --report REPORT`, started.
fn spawn_bind_section(report: &std::path::Path) -> std::process::Child {
    let bin = assert_cmd::cargo::cargo_bin("xtask");
    std::process::Command::new(bin)
        .args([
            "walkthrough",
            "manage-data",
            "--section",
            "bind",
            "--parallel",
            "--json",
            "--report",
        ])
        .arg(report)
        .env(RUN_ID_ENV, run_id())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// No container or volume (by `kind`) is left whose name starts with any of `made`'s names.
fn nothing_is_left_under(made: &[(&str, String)]) {
    for (kind, prefix) in made {
        assert!(is_gone(kind, prefix), "{kind} {prefix} left");
        let filter = format!("name={prefix}");
        let left = match *kind {
            "container" => docker_ok(&[
                "container",
                "ls",
                "-a",
                "--filter",
                &filter,
                "--format",
                "{{.Names}}",
            ]),
            _ => docker_ok(&["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
        };
        assert!(
            left.lines().all(|n| !n.starts_with(prefix.as_str())),
            "{kind} left under the article's name: {left}"
        );
    }
}
