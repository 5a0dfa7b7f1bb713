//! Where a file block is written: inside the project folder (a `..` that stays inside is fine, one
//! that leaves it is refused), or in the replay's home for `~/...`, as the reader's shell reads `~`.
//! An article is untrusted input: it never names a place outside those two.

/// The replay's shells' home (`HOME` in `job`'s wrapper): where `~/x` goes.
pub const HOME: &str = "/root";

/// Longest path a file block may name (Linux's PATH_MAX).
const PATH_MAX: usize = 4096;

/// The path to write a file block named `name` to: relative to the project folder, or absolute
/// under `HOME` for `~/...`, with `.` and `..` resolved. Why not, when it would leave its folder.
pub fn resolve(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("a file block without a file name".into());
    }
    if name.chars().any(char::is_control) || name.len() > PATH_MAX {
        return Err(format!("its file name {:?} is not one a file can have (a control character, or longer than {PATH_MAX} bytes)", short(name)));
    }
    if name.starts_with('/') {
        return Err(format!(
            "writes the system file {name}, outside the project folder"
        ));
    }
    if matches!(name.rsplit('/').next(), Some("" | "." | "..")) {
        return Err(format!("names the folder {name}, not a file"));
    }
    if let Some(rest) = name.strip_prefix("~/") {
        let inside = normalise(rest).ok_or_else(|| {
            format!("writes {name}, which leads out of the replay's home folder ({HOME}) with `..`")
        })?;
        return Ok(format!("{HOME}/{inside}"));
    }
    if name.starts_with('~') {
        return Err(format!(
            "writes {name}, in another user's home folder, outside the project folder"
        ));
    }
    normalise(name)
        .ok_or_else(|| format!("writes {name}, which leads out of the project folder with `..`"))
}

/// A relative path with `.`, `..` and empty parts resolved; None when it climbs out.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn short(name: &str) -> String {
    name.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_the_project_folder_are_written_there() {
        assert_eq!(resolve("Dockerfile").as_deref(), Ok("Dockerfile"));
        assert_eq!(resolve("./app/../data/x.csv").as_deref(), Ok("data/x.csv"));
        assert_eq!(resolve("a//b/./c").as_deref(), Ok("a/b/c"));
    }

    #[test]
    fn a_tilde_is_the_replays_home() {
        assert_eq!(resolve("~/.bashrc").as_deref(), Ok("/root/.bashrc"));
        assert_eq!(resolve("~/a/../b").as_deref(), Ok("/root/b"));
        assert!(resolve("~/../etc/passwd")
            .unwrap_err()
            .contains("out of the replay's home folder"));
        assert!(resolve("~alice/.bashrc")
            .unwrap_err()
            .contains("another user's home"));
    }

    #[test]
    fn names_that_leave_the_folder_say_why() {
        for name in ["../../../etc/x", "a/../../x", "../x", "./../x"] {
            let why = resolve(name).unwrap_err();
            assert!(
                why.contains("out of the project folder with `..`") && why.contains(name),
                "{name}: {why}"
            );
        }
        assert!(resolve("/etc/x")
            .unwrap_err()
            .contains("system file /etc/x"));
        assert_eq!(resolve("").unwrap_err(), "a file block without a file name");
        assert!(resolve("a\0b").unwrap_err().contains("control character"));
        assert!(resolve(&"x".repeat(5000))
            .unwrap_err()
            .contains("longer than 4096"));
        for folder in ["folder/", ".", "..", "a/.."] {
            assert!(
                resolve(folder).unwrap_err().contains("not a file"),
                "{folder}"
            );
        }
    }
}
