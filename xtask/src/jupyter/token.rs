//! A token a person chooses, so that the URL stays the same across restarts and `down`/`up`.
//! Read from JUPYTER_TOKEN or from a file only its owner can read, never from the command line
//! (every user sees arguments in `ps`). The server gets it as a file in the container's own
//! filesystem, copied in (`docker cp`) before the first start and read through JUPYTER_TOKEN_FILE:
//! so it is in no `docker inspect` field (a `-e JUPYTER_TOKEN=...` would be in Config.Env), in no
//! process's arguments or environment, and in no host file. Jupyter then logs `?token=...`.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::engine::Docker;

/// Where the server's token is read from, in the environment `up` gives the container.
pub const TOKEN_FILE_ENV: &str = "JUPYTER_TOKEN_FILE";
/// The token's file in the container; its folder is readable by the server's user only.
pub const TOKEN_PATH: &str = "/run/jupyter-docker-xtask/token";
const TOKEN_IN_ARCHIVE: &str = "run/jupyter-docker-xtask/token";
const FOLDER_IN_ARCHIVE: &str = "run/jupyter-docker-xtask/";
/// The variable jupyter_server itself reads; `up` reads it too (from its own environment).
pub const TOKEN_ENV: &str = "JUPYTER_TOKEN";

/// `text` with every Jupyter token (`token=` and 32 or more hex digits) and each of `secrets`
/// replaced by `<redacted>`: the one redaction the transcripts, reports and evidence go through.
pub fn redact(text: &str, secrets: &[String]) -> String {
    static TOKEN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // The regex only where a token can be: a report's megabytes are mostly without one.
    let text = if text.contains("token=") {
        TOKEN
            .get_or_init(|| regex::Regex::new(r"token=[0-9a-f]{32,}").expect("a valid pattern"))
            .replace_all(text, "token=<redacted>")
    } else {
        text.into()
    };
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.into_owned(), |t, s| {
            t.replace(s.as_str(), "<redacted>")
        })
}

/// A token: printed only as part of the URL, never in a debug line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The token asked for: `--token-file` first, else JUPYTER_TOKEN; `None`: the server makes a
/// new one at each start.
pub fn chosen(file: Option<&Path>) -> Result<Option<Secret>> {
    if let Some(path) = file {
        return from_file(path).map(Some);
    }
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.is_empty() => {
            check(token.trim(), &format!("the token in {TOKEN_ENV}")).map(Some)
        }
        _ => Ok(None),
    }
}

/// A regular file, owned by this user, that nobody else may read or write (0600 or 0400).
fn from_file(path: &Path) -> Result<Secret> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("--token-file {shown} cannot be read: create it (`umask 077; openssl rand -hex 24 > {shown}`)"))?;
    if !meta.is_file() {
        bail!("--token-file {shown} is not a file: pass the file that holds the token");
    }
    let me = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    if meta.uid() != me {
        bail!("--token-file {shown} belongs to uid {}, not to you (uid {me}): use a token file of your own", meta.uid());
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!("--token-file {shown} can be read or changed by others (mode {mode:o}): `chmod 600 {shown}`");
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading --token-file {shown}"))?;
    check(text.trim(), &format!("the token in {shown}"))
}

/// Long enough to guess at no cost, and only characters a URL carries as they are.
fn check(token: &str, what: &str) -> Result<Secret> {
    let fix = "use at least 16 letters, digits, `-`, `_`, `.` or `~` (e.g. `openssl rand -hex 24`)";
    if token.len() < 16 {
        bail!(
            "{what} is too short ({} characters) to keep others out: {fix}",
            token.len()
        );
    }
    if token.len() > 256
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
    {
        bail!("{what} holds characters a URL cannot carry as they are, or is over 256 long: {fix}");
    }
    Ok(Secret(token.to_string()))
}

/// Copies the token into a created (not yet started) container, readable by its server's user only.
pub fn install(docker: &Docker, container: &str, token: &Secret, owner: (u32, u32)) -> Result<()> {
    docker
        .copy_in(container, "/", &archive(token, owner))
        .context("giving the server its token")
}

/// The token a container of the project was given, if any (running or stopped).
pub fn installed(docker: &Docker, container: &str) -> Option<Secret> {
    let tar = docker.copy_out(container, TOKEN_PATH)?;
    from_archive(&tar).map(|t| Secret(t.trim().to_string()))
}

/// A tar archive of the token's folder (0500) and file (0400), owned by `owner` (`uid`, `gid`).
fn archive(token: &Secret, owner: (u32, u32)) -> Vec<u8> {
    let mut tar = Vec::new();
    tar.extend_from_slice(&header(FOLDER_IN_ARCHIVE, 0o500, owner, 0, b'5'));
    tar.extend_from_slice(&header(TOKEN_IN_ARCHIVE, 0o400, owner, token.0.len(), b'0'));
    tar.extend_from_slice(token.0.as_bytes());
    tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
    tar
}

/// One ustar header block.
fn header(name: &str, mode: u32, (uid, gid): (u32, u32), size: usize, kind: u8) -> [u8; 512] {
    fn put(block: &mut [u8; 512], at: usize, value: &[u8]) {
        block[at..at + value.len()].copy_from_slice(value);
    }
    let mut block = [0u8; 512];
    put(&mut block, 0, name.as_bytes());
    put(&mut block, 100, format!("{mode:07o}\0").as_bytes());
    put(&mut block, 108, format!("{uid:07o}\0").as_bytes());
    put(&mut block, 116, format!("{gid:07o}\0").as_bytes());
    put(&mut block, 124, format!("{size:011o}\0").as_bytes());
    put(&mut block, 136, format!("{:011o}\0", 0).as_bytes());
    put(&mut block, 148, b"        ");
    block[156] = kind;
    put(&mut block, 257, b"ustar\x0000");
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    put(&mut block, 148, format!("{sum:06o}\0 ").as_bytes());
    block
}

/// The content of the first regular file in a tar archive (skipping pax headers).
fn from_archive(tar: &[u8]) -> Option<String> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let block = &tar[at..at + 512];
        let size_field = std::str::from_utf8(&block[124..136])
            .ok()?
            .trim_matches(['\0', ' ']);
        let size = usize::from_str_radix(
            if size_field.is_empty() {
                "0"
            } else {
                size_field
            },
            8,
        )
        .ok()?;
        let body = tar.get(at + 512..at + 512 + size)?;
        match block[156] {
            b'0' | 0 if block[0] != 0 => return String::from_utf8(body.to_vec()).ok(),
            _ if block[0] == 0 => return None,
            _ => at += 512 + size.next_multiple_of(512),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_the_token_for_its_owner_only() {
        let token = Secret("0123456789abcdef0123".into());
        let tar = archive(&token, (1234, 100));
        assert_eq!(tar.len() % 512, 0);
        assert_eq!(from_archive(&tar).as_deref(), Some("0123456789abcdef0123"));
        let file = &tar[512..1024];
        assert_eq!(&file[100..107], b"0000400");
        assert_eq!(&file[108..115], format!("{:07o}", 1234).as_bytes());
        // The checksum is what tar computes: the header's bytes with the field as spaces.
        let mut blank = file.to_vec();
        blank[148..156].copy_from_slice(b"        ");
        let sum: u32 = blank.iter().map(|&b| u32::from(b)).sum();
        assert_eq!(
            std::str::from_utf8(&file[148..154]).unwrap(),
            format!("{sum:06o}")
        );
        assert_eq!(format!("{token:?}"), "Secret(..)");
    }

    #[test]
    fn tokens_are_long_and_url_safe() {
        assert!(check("0123456789abcdef", "t").is_ok());
        // One short of the minimum, and half of it: both refused.
        for short in ["0123456789abcde", "01234567"] {
            let error = check(short, "t").unwrap_err().to_string();
            assert!(
                error.contains(&format!("too short ({} characters)", short.len())),
                "{short}: {error}"
            );
        }
        assert!(check("short", "t")
            .unwrap_err()
            .to_string()
            .contains("too short"));
        assert!(check("has space in it 0123456", "t")
            .unwrap_err()
            .to_string()
            .contains("URL"));
        assert!(check("a&b=c0123456789abcdef", "t").is_err());
    }

    #[test]
    fn a_token_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "0123456789abcdef0123\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = chosen(Some(&file)).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        // Any bit for the group or for others is refused: read, write or execute.
        for mode in [0o640, 0o620, 0o610, 0o604, 0o602, 0o601, 0o660] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = chosen(Some(&file)).unwrap_err().to_string();
            assert!(
                error.contains(&format!("(mode {mode:o})")) && error.contains("chmod 600"),
                "{mode:o}: {error}"
            );
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(
            chosen(Some(&file)).unwrap().unwrap().expose(),
            "0123456789abcdef0123"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            chosen(Some(&file)).unwrap().unwrap().expose(),
            "0123456789abcdef0123"
        );
        assert!(chosen(Some(&dir.path().join("missing")))
            .unwrap_err()
            .to_string()
            .contains("openssl rand"));
    }
}
