//! What the project needs on the host beyond Rust and Docker (mmdebstrap, pip, Chromium, Compose),
//! installed where it can be: as root with apt-get, after asking on a terminal (or at once with
//! `--yes`, or with no terminal to ask on, as in CI). Otherwise one error lists everything missing
//! with the command that installs it.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Result};

/// A program the project runs, the Debian package that brings it, and why it is needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Need {
    pub program: &'static str,
    /// Arguments that make the program answer when it is usable (e.g. `--version`).
    pub probe: &'static [&'static str],
    pub package: &'static str,
    pub why: &'static str,
}

impl Need {
    /// A program from the Debian package of its own name that answers `--version` when usable.
    const fn own_package(name: &'static str, why: &'static str) -> Need {
        Need {
            program: name,
            probe: &["--version"],
            package: name,
            why,
        }
    }
}

pub const MMDEBSTRAP: Need = Need::own_package(
    "mmdebstrap",
    "makes the Debian root filesystem of the offline base image",
);
pub const PIP: Need = Need {
    program: "python3",
    probe: &["-m", "pip", "--version"],
    package: "python3-pip",
    why: "downloads the locked Python wheels on the host",
};
pub const CHROMIUM: Need = Need::own_package(
    "chromium",
    "opens JupyterLab in a real browser in the browser test",
);
pub const COMPOSE: Need = Need::own_package(
    "docker-compose",
    "runs the compose walkthrough when the `docker compose` plugin is absent",
);

static ASSUME_YES: AtomicBool = AtomicBool::new(false);

/// `--yes`: install what is missing without asking.
pub fn assume_yes(yes: bool) {
    ASSUME_YES.store(yes, Ordering::Relaxed);
}

pub fn present(need: &Need) -> bool {
    std::process::Command::new(need.program)
        .args(need.probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Compose is there as the v2 plugin or as v1.
pub fn compose_present() -> bool {
    let plugin = xshell::Shell::new().is_ok_and(|sh| {
        crate::engine::Docker::new(&sh)
            .probe(["compose", "version"])
            .is_some()
    });
    plugin || present(&COMPOSE)
}

/// Makes sure every need is met: installs the missing ones where it can, else fails with one line
/// listing them all and the command that installs them.
pub fn ensure(needs: &[Need]) -> Result<()> {
    let missing: Vec<Need> = needs.iter().copied().filter(|n| !present(n)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|n| n.package).collect();
    let listed = missing
        .iter()
        .map(|n| format!("{} ({})", n.program, n.why))
        .collect::<Vec<_>>()
        .join(", ");
    if !can_install() {
        bail!("missing on this host: {listed}: install them (`sudo apt-get install {}`) and run again", packages.join(" "));
    }
    if !ASSUME_YES.load(Ordering::Relaxed)
        && std::io::stdin().is_terminal()
        && !ask(&format!(
            "Install {} with apt-get? Needed: {listed}",
            packages.join(" ")
        ))?
    {
        bail!("missing on this host: {listed}: install them (`apt-get install {}`), or pass --yes to let the xtask do it", packages.join(" "));
    }
    apt_install(&packages)?;
    let still: Vec<&str> = missing
        .iter()
        .filter(|n| !present(n))
        .map(|n| n.program)
        .collect();
    if !still.is_empty() {
        bail!(
            "apt-get installed {} but {} still does not answer: check the packages' installation",
            packages.join(" "),
            still.join(", ")
        );
    }
    Ok(())
}

/// Root, with apt-get: the only case where the xtask installs packages itself.
fn can_install() -> bool {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    root && std::process::Command::new("apt-get")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ask(question: &str) -> Result<bool> {
    eprint!("{question} [Y/n] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "" | "y" | "Y" | "yes"))
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let step = crate::progress::Step::start(format!(
        "Installing {} with apt-get (run as root, needed by the xtask)",
        packages.join(" ")
    ));
    let update = duct::cmd!("apt-get", "update", "-qq")
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    if !update.status.success() {
        bail!(
            "`apt-get update` failed: {}: check the network and /etc/apt/sources.list",
            crate::engine::tail(&String::from_utf8_lossy(&update.stdout), 1)
        );
    }
    let mut args = vec!["install", "-y", "-qq"];
    args.extend_from_slice(packages);
    let install = duct::cmd("apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    if !install.status.success() {
        let log = String::from_utf8_lossy(&install.stdout);
        bail!(
            "`apt-get install {}` failed: {}",
            packages.join(" "),
            crate::engine::last_message(&log)
        );
    }
    step.done("installed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_present_program_is_found_and_a_missing_one_is_not() {
        let sh = Need {
            program: "sh",
            probe: &["-c", "true"],
            package: "dash",
            why: "test",
        };
        assert!(present(&sh));
        let none = Need {
            program: "no-such-program-jdx",
            probe: &[],
            package: "x",
            why: "test",
        };
        assert!(!present(&none));
        assert!(ensure(&[sh]).is_ok());
    }
}
