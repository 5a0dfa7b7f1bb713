//! The test binaries, built before any runs: `cargo test --no-run --message-format=json` names
//! each executable, the package it belongs to, and the xtask binary the tests drive.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// One test executable, as `cargo test` would run it.
#[derive(Debug, Clone, PartialEq)]
pub struct Executable {
    /// The name the table shows: `xtask (src/lib.rs)`, `foundation` (as `cargo test` names it).
    pub name: String,
    /// The target's own name (`foundation`; `xtask` for the unit tests), what `--test` selects.
    pub target: String,
    /// A unit-test executable (a library's or a binary's own tests), not a `tests/` one.
    pub unit: bool,
    pub path: PathBuf,
    /// The package's folder: cargo runs a test binary there, and names its manifest to it.
    pub package_dir: PathBuf,
}

/// What the build produced.
#[derive(Debug, Default, PartialEq)]
pub struct Built {
    pub executables: Vec<Executable>,
    /// The packages' binaries (package folder, `xtask`, its path), for `CARGO_BIN_EXE_<name>`.
    pub bins: Vec<(PathBuf, String, PathBuf)>,
    /// Libraries that may have doc-tests (package folder, package name): the dependencies' too.
    pub doctest_libs: Vec<(PathBuf, String)>,
    /// The `build-finished` message said it succeeded.
    pub success: bool,
}

impl Built {
    /// The packages whose doc-tests `cargo test` runs (`cargo test --doc -p NAME`): those with
    /// doc-tests whose unit tests were built, the workspace's (a dependency's never are).
    pub fn doctests(&self) -> Vec<String> {
        let mut packages: Vec<String> = self
            .doctest_libs
            .iter()
            .filter(|(dir, _)| {
                self.executables
                    .iter()
                    .any(|e| e.unit && &e.package_dir == dir)
            })
            .map(|(_, name)| name.clone())
            .collect();
        packages.dedup();
        packages
    }
}

/// Builds every test binary `selection` names (cargo's own target flags: `--workspace`, or
/// `--lib --bins --test foundation ...`), cargo's progress and errors on stderr as it goes.
pub fn build(root: &Path, selection: &[String]) -> Result<Built> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut args = vec![
        "test".to_string(),
        "--no-run".into(),
        "--message-format=json-render-diagnostics".into(),
    ];
    args.extend(selection.iter().cloned());
    let reader = duct::cmd(&cargo, &args)
        .dir(root)
        .unchecked()
        .reader()
        .with_context(|| format!("running `{cargo} {}`", args.join(" ")))?;
    let mut built = Built::default();
    for line in BufReader::new(&reader).lines() {
        read_message(&mut built, &line?);
    }
    let status = reader.try_wait()?.map(|o| o.status);
    if !built.success || !status.is_some_and(|s| s.success()) {
        bail!(
            "building the test binaries failed (`cargo {}`: see cargo's errors above)",
            args.join(" ")
        );
    }
    Ok(built)
}

/// One line of cargo's JSON messages; anything else (a build script's output) is skipped.
pub fn read_message(built: &mut Built, line: &str) {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
        return;
    };
    match message["reason"].as_str() {
        Some("build-finished") => built.success = message["success"].as_bool() == Some(true),
        Some("compiler-artifact") => read_artifact(built, &message),
        _ => {}
    }
}

fn read_artifact(built: &mut Built, message: &serde_json::Value) {
    let target = &message["target"];
    let kinds: Vec<&str> = target["kind"]
        .as_array()
        .map(|k| k.iter().filter_map(|k| k.as_str()).collect())
        .unwrap_or_default();
    let (Some(name), Some(manifest)) = (
        target["name"].as_str(),
        message["manifest_path"].as_str().map(Path::new),
    ) else {
        return;
    };
    let package_dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let in_test = message["profile"]["test"].as_bool() == Some(true);
    if kinds.contains(&"lib") && !in_test && target["doctest"].as_bool() == Some(true) {
        let package = package_name(message).unwrap_or(name).to_string();
        built.doctest_libs.push((package_dir.clone(), package));
    }
    let Some(path) = message["executable"].as_str().map(PathBuf::from) else {
        return;
    };
    if !in_test {
        if kinds.contains(&"bin") {
            built.bins.push((package_dir, name.to_string(), path));
        }
        return;
    }
    let unit = kinds
        .iter()
        .any(|k| matches!(*k, "lib" | "bin" | "proc-macro"));
    let shown = if unit {
        let src = target["src_path"].as_str().map(Path::new);
        let relative = src.map(|s| {
            s.strip_prefix(&package_dir)
                .unwrap_or(s)
                .display()
                .to_string()
        });
        format!("{name} ({})", relative.unwrap_or_default())
    } else {
        name.to_string()
    };
    built.executables.push(Executable {
        name: shown,
        target: name.to_string(),
        unit,
        path,
        package_dir,
    });
}

/// `path+file:///w/xtask#0.1.0` -> `xtask`; `path+file:///w/x#name@0.1.0` -> `name`.
fn package_name(message: &serde_json::Value) -> Option<&str> {
    let id = message["package_id"].as_str()?;
    let fragment = id.rsplit_once('#')?.1;
    match fragment.split_once('@') {
        Some((name, _)) => Some(name),
        None => id.rsplit_once('#')?.0.rsplit('/').next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As cargo 1.95 printed them for this workspace (paths shortened), plus the lines around.
    const MESSAGES: &str = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#anyhow@1.0.98","manifest_path":"/r/anyhow-1.0.98/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"anyhow","src_path":"/r/anyhow-1.0.98/src/lib.rs","edition":"2018","doc":true,"doctest":true,"test":true},"profile":{"test":false},"features":["std"],"filenames":["/t/debug/deps/libanyhow.rlib"],"executable":null,"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"xtask","src_path":"/w/xtask/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"profile":{"test":false},"features":[],"filenames":["/t/debug/deps/libxtask.rlib"],"executable":null,"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"xtask","src_path":"/w/xtask/src/main.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"test":true},"features":[],"filenames":["/t/debug/deps/xtask-7030c8db61262a28"],"executable":"/t/debug/deps/xtask-7030c8db61262a28","fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"xtask","src_path":"/w/xtask/src/main.rs","edition":"2021","doc":true,"doctest":false,"test":true},"profile":{"test":false},"features":[],"filenames":["/t/debug/xtask"],"executable":"/t/debug/xtask","fresh":true}
not json: a build script's line
{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"foundation","src_path":"/w/xtask/../tests/foundation.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"test":true},"features":[],"filenames":["/t/debug/deps/foundation-0a1b"],"executable":"/t/debug/deps/foundation-0a1b","fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.1.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"xtask","src_path":"/w/xtask/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"profile":{"test":true},"features":[],"filenames":["/t/debug/deps/xtask-6a24"],"executable":"/t/debug/deps/xtask-6a24","fresh":false}
{"reason":"build-finished","success":true}"#;

    fn built(text: &str) -> Built {
        let mut built = Built::default();
        for line in text.lines() {
            read_message(&mut built, line);
        }
        built
    }

    #[test]
    fn the_messages_name_each_test_binary_the_xtask_binary_and_the_doctests() {
        let built = built(MESSAGES);
        assert!(built.success);
        let rows: Vec<(&str, &str, bool, &str)> = built
            .executables
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.target.as_str(),
                    e.unit,
                    e.path.to_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "xtask (src/main.rs)",
                    "xtask",
                    true,
                    "/t/debug/deps/xtask-7030c8db61262a28"
                ),
                (
                    "foundation",
                    "foundation",
                    false,
                    "/t/debug/deps/foundation-0a1b"
                ),
                (
                    "xtask (src/lib.rs)",
                    "xtask",
                    true,
                    "/t/debug/deps/xtask-6a24"
                ),
            ]
        );
        assert!(built
            .executables
            .iter()
            .all(|e| e.package_dir == Path::new("/w/xtask")));
        assert_eq!(
            built.bins,
            [(
                PathBuf::from("/w/xtask"),
                "xtask".to_string(),
                PathBuf::from("/t/debug/xtask")
            )]
        );
        // A dependency's library is never tested; the workspace's own is, once.
        assert_eq!(built.doctests(), ["xtask"]);
    }

    #[test]
    fn a_failed_or_unfinished_build_is_no_success() {
        let failed = MESSAGES.replace(r#""success":true"#, r#""success":false"#);
        assert!(!built(&failed).success);
        let cut: String = MESSAGES.lines().take(3).collect::<Vec<_>>().join("\n");
        assert!(!built(&cut).success);
    }

    #[test]
    fn package_names_from_their_ids() {
        let id = |s: &str| serde_json::json!({ "package_id": s });
        assert_eq!(
            package_name(&id("path+file:///w/xtask#0.1.0")),
            Some("xtask")
        );
        assert_eq!(
            package_name(&id("path+file:///w/dir#other@0.1.0")),
            Some("other")
        );
    }
}
