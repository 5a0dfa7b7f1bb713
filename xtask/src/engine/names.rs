//! Docker's naming rules, checked before any docker call so bad input fails with the fix.

use std::sync::OnceLock;

use anyhow::{bail, Result};
use regex::Regex;

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// A full id as docker prints it: 64 hex digits (a container's, an image's, an anonymous volume's
/// name).
pub fn is_full_id(word: &str) -> bool {
    word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An id shortened as `docker ps` shows it (12 hex digits, `sha256:` dropped); a name stays whole.
pub fn short_id(id: &str) -> &str {
    let bare = id.strip_prefix("sha256:").unwrap_or(id);
    if is_full_id(bare) {
        &bare[..12]
    } else {
        id
    }
}

/// Docker's rule for container and volume names; `flag` is the option that gave it (`name`, `volume`).
pub fn check_name(flag: &str, name: &str) -> Result<()> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    if !regex(&NAME, r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$").is_match(name) {
        // `--name` names a container: "invalid name name" said nothing.
        let what = if flag == "name" { "container" } else { flag };
        bail!("invalid {what} name {name:?}: Docker requires [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a letter or digit first, at least 2 characters); choose another with --{flag}");
    }
    Ok(())
}

/// Docker's rule for image references (`[host[:port]/]path[:tag]`, lowercase path).
pub fn check_image_ref(image: &str) -> Result<()> {
    static REF: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &REF,
        r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
    );
    if image.len() > 255 || !re.is_match(image) {
        bail!("invalid image reference {image:?}: Docker requires a lowercase name (letters, digits, . _ - separators) and an optional :tag of up to 128 letters, digits, _ . -");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert!(check_name("name", "custom-jupyter-container").is_ok());
        assert!(check_name("name", "a").is_err());
        assert!(check_name("name", "-bad").is_err());
        assert!(check_name("volume", "has space").is_err());
        assert!(check_name("volume", "ünï").is_err());
        let said = check_name("name", "bad name!").unwrap_err().to_string();
        assert!(
            said.starts_with("invalid container name \"bad name!\": ")
                && said.ends_with("choose another with --name"),
            "{said}"
        );
        assert!(check_name("volume", "x")
            .unwrap_err()
            .to_string()
            .starts_with("invalid volume name \"x\""));
    }

    #[test]
    fn image_refs_follow_dockers_rule() {
        for ok in [
            "custom-jupyter-image:named-volume",
            "quay.io/jupyter/minimal-notebook:2025-03-17",
            "localhost:5000/a/b",
            "busybox",
        ] {
            assert!(check_image_ref(ok).is_ok(), "{ok}");
        }
        for bad in ["Custom:tag", "a:b:c", "img:", "img:-tag", "a//b", ""] {
            assert!(check_image_ref(bad).is_err(), "{bad}");
        }
    }
}
