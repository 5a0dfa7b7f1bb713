//! The names a walkthrough works with: the tutorial's, suffixed under a test run, per section in
//! parallel, and when a person's own resource holds the name already.

use crate::engine::{Docker, RUN_ID_ENV};

/// The names a section works with: the tutorial's, unless taken.
#[derive(Debug, Clone)]
pub struct Names {
    pub container: String,
    pub volume: String,
    pub network: String,
    /// The database container (`mysql-db` in articles 3 and 4).
    pub db: String,
    /// What is appended to the tutorial's names (empty when they are used as written).
    pub suffix: String,
}

/// The tutorial's names for a section (`Some(name)` when sections run in parallel, each on its own).
pub fn pick_names(docker: &Docker, parallel_section: Option<&str>) -> Names {
    let mut suffix = String::new();
    if let Some(run) = std::env::var(RUN_ID_ENV).ok().filter(|r| !r.is_empty()) {
        // Under a test run: unique per process, so concurrent walkthroughs never collide.
        suffix.push_str(&format!("-{run}-p{}", std::process::id()));
    }
    if let Some(section) = parallel_section {
        suffix.push('-');
        suffix.push_str(&slug(section));
    }
    let pick = |kind: &str, base: &str| pick_name(docker, kind, base, &suffix);
    Names {
        container: pick("container", "custom-jupyter-container"),
        volume: pick("volume", "named-data-volume"),
        network: pick("network", "jupyter-mysql-net"),
        db: pick("container", "mysql-db"),
        suffix,
    }
}

/// `base` plus the run's suffix, and `-wt<pid>` (`:wt<pid>` for an untagged image) when a
/// resource of that name exists already.
pub fn pick_name(docker: &Docker, kind: &str, base: &str, suffix: &str) -> String {
    let name = format!("{base}{suffix}");
    if docker.exists(kind, &name) {
        format!(
            "{name}{}wt{}",
            taken_separator(kind, &name),
            std::process::id()
        )
    } else {
        name
    }
}

/// What joins a taken name to its `wt<pid>` suffix: an image's tag, or a dash.
fn taken_separator(kind: &str, name: &str) -> char {
    if kind == "image" && !name.contains(':') {
        ':'
    } else {
        '-'
    }
}

/// An anonymous volume's generated name (64 hex digits): it belongs to its container and carries no label.
pub fn is_anonymous_volume(name: &str) -> bool {
    crate::engine::names::is_full_id(name)
}

/// `Fixing File Permissions` -> `fixing-file-permissions`.
pub fn slug(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_separators() {
        assert_eq!(slug("Fixing File Permissions"), "fixing-file-permissions");
        assert_eq!(
            slug("Volume flag, detached mode and permissions"),
            "volume-flag-detached-mode-and-permissions"
        );
        assert_eq!(taken_separator("image", "custom-jupyter-image"), ':');
        assert_eq!(
            taken_separator("image", "custom-jupyter-image:preload"),
            '-'
        );
        assert_eq!(taken_separator("volume", "named-data-volume"), '-');
    }

    #[test]
    fn anonymous_volumes_are_64_hex() {
        assert!(is_anonymous_volume(&"0123456789abcdef".repeat(4)));
        assert!(!is_anonymous_volume("named-data-volume"));
        assert!(!is_anonymous_volume(&"g".repeat(64)));
    }
}
