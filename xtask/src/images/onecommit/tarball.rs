//! A build context as one tar stream for `docker cp - CONTAINER:DEST`: what `COPY . DEST` copies
//! (everything but what `.dockerignore` leaves out), each entry's mode and time as on disk, and
//! the owner COPY gives it (root, or `--chown`). `docker cp` from a stream keeps the archive's
//! owners, so the files land exactly as the builder's COPY puts them; the folder DEST itself is
//! no entry, so it keeps the owner it has (the builder's COPY leaves an existing folder's too).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// The tar stream of the context folder `dir`, every entry owned by `owner` (uid, gid).
pub fn context(dir: &Path, owner: (u32, u32)) -> Result<Vec<u8>> {
    let ignored = ignore_list(dir)?;
    let mut entries = Vec::new();
    walk(dir, dir, &ignored, &mut entries)?;
    let mut out = Vec::new();
    for rel in entries {
        append(&mut out, dir, &rel, owner)?;
    }
    out.extend([0u8; 1024]);
    Ok(out)
}

/// The context's `.dockerignore`: plain paths only (a pattern with `*`, `?`, `[` or `!` is an
/// error naming the fix, rather than a guess at Docker's matching).
pub fn ignore_list(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(".dockerignore");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.contains(['*', '?', '[', '!', '\\']) {
            bail!("{}: the pattern {line:?} is not read by the one-commit build (plain paths only): write the paths out, or build with `docker build`", path.display());
        }
        let clean: Vec<&str> = line
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        out.push(clean.join("/"));
    }
    Ok(out)
}

fn is_ignored(rel: &str, ignored: &[String]) -> bool {
    ignored
        .iter()
        .any(|p| rel == p || rel.starts_with(&format!("{p}/")))
}

/// Every path below `dir` (relative, sorted, a folder before what it holds), but the ignored.
fn walk(root: &Path, dir: &Path, ignored: &[String], out: &mut Vec<String>) -> Result<()> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for path in names {
        let rel = path.strip_prefix(root)?.to_string_lossy().into_owned();
        if is_ignored(&rel, ignored) {
            continue;
        }
        out.push(rel);
        if std::fs::symlink_metadata(&path)?.is_dir() {
            walk(root, &path, ignored, out)?;
        }
    }
    Ok(())
}

/// One ustar entry: a header block, then the content padded to 512 bytes.
fn append(out: &mut Vec<u8>, root: &Path, rel: &str, owner: (u32, u32)) -> Result<()> {
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path)?;
    let (kind, name, content, link) = if meta.is_dir() {
        (b'5', format!("{rel}/"), Vec::new(), String::new())
    } else if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&path)?;
        (
            b'2',
            rel.to_string(),
            Vec::new(),
            target.to_string_lossy().into_owned(),
        )
    } else if meta.is_file() {
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        (b'0', rel.to_string(), data, String::new())
    } else {
        bail!(
            "{}: only files, folders and links can be copied",
            path.display()
        );
    };
    let mut header = [0u8; 512];
    let (prefix, short) = split_name(&name)?;
    put(&mut header[0..100], short.as_bytes())?;
    octal(
        &mut header[100..108],
        u64::from(meta.permissions().mode() & 0o7777),
    );
    octal(&mut header[108..116], u64::from(owner.0));
    octal(&mut header[116..124], u64::from(owner.1));
    octal(&mut header[124..136], content.len() as u64);
    octal(&mut header[136..148], meta.mtime().max(0) as u64);
    header[156] = kind;
    put(&mut header[157..257], link.as_bytes())?;
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    put(&mut header[345..500], prefix.as_bytes())?;
    // The checksum is counted with its own field as spaces.
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&content);
    out.resize(out.len().div_ceil(512) * 512, 0);
    Ok(())
}

/// A name longer than 100 bytes goes into ustar's prefix field, split at a `/`.
fn split_name(name: &str) -> Result<(&str, &str)> {
    if name.len() <= 100 {
        return Ok(("", name));
    }
    let body = name.trim_end_matches('/');
    for (i, _) in body.match_indices('/') {
        if i <= 155 && name.len() - i - 1 <= 100 {
            return Ok((&name[..i], &name[i + 1..]));
        }
    }
    bail!("the path {name:?} is too long for the copy (255 bytes at most): shorten it")
}

fn put(field: &mut [u8], value: &[u8]) -> Result<()> {
    if value.len() > field.len() {
        bail!(
            "{:?} does not fit a tar header",
            String::from_utf8_lossy(value)
        );
    }
    field[..value.len()].copy_from_slice(value);
    Ok(())
}

/// A number as zero-padded octal digits and a NUL, filling the field.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let digits = format!("{value:0width$o}");
    field[..width].copy_from_slice(&digits.as_bytes()[digits.len() - width..]);
    field[width] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tar -tv` (GNU tar, as on the hosts this runs on) reads the stream: names, modes, owners.
    fn listing(stream: &[u8]) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), stream).unwrap();
        let out = std::process::Command::new("tar")
            .args(["--numeric-owner", "-tvf"])
            .arg(file.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn the_stream_carries_modes_owners_and_leaves_out_the_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("data/deep")).unwrap();
        std::fs::create_dir(d.join("outputs")).unwrap();
        std::fs::write(d.join("data/a.csv"), "x,y\n").unwrap();
        std::fs::write(d.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(d.join("run.sh"), std::fs::Permissions::from_mode(0o750)).unwrap();
        std::fs::write(d.join(".env"), "MYSQL_PASSWORD=x\n").unwrap();
        std::fs::write(d.join(".dockerignore"), "# secrets\n./.env\ndata/deep/\n").unwrap();
        std::os::unix::fs::symlink("run.sh", d.join("link")).unwrap();
        let long = "n".repeat(90);
        std::fs::create_dir(d.join(&long)).unwrap();
        std::fs::write(d.join(&long).join("f".repeat(30)), "long").unwrap();

        let list = listing(&context(d, (1000, 100)).unwrap());
        let line = |name: &str| -> String {
            list.lines()
                .find(|l| {
                    (l.ends_with(&format!(" {name}")) && !l.contains(" -> "))
                        || l.contains(&format!(" {name} -> "))
                })
                .unwrap_or_else(|| panic!("{name} missing from\n{list}"))
                .to_string()
        };
        assert!(line("run.sh").starts_with("-rwxr-x--- 1000/100 "), "{list}");
        assert!(line("data/").starts_with("drwx"), "{list}");
        assert!(line("data/a.csv").contains(" 1000/100 "), "{list}");
        assert!(line("link").starts_with("lrwx"), "{list}");
        assert!(line(".dockerignore").contains(" 1000/100 "), "{list}");
        assert!(
            line(&format!("{long}/{}", "f".repeat(30))).contains(" 4 "),
            "{list}"
        );
        assert!(list.lines().all(|l| !l.ends_with(" .env")), "{list}");
        assert!(!list.contains("data/deep"), "{list}");
        assert!(
            !list.lines().any(|l| l.ends_with(" ./")),
            "the folder itself is no entry: {list}"
        );

        let root = listing(&context(d, (0, 0)).unwrap());
        assert!(root.lines().all(|l| l.contains(" 0/0 ")), "{root}");
    }

    #[test]
    fn patterns_are_refused_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "*.log\n").unwrap();
        let error = context(dir.path(), (0, 0)).unwrap_err().to_string();
        assert!(error.contains("plain paths only"), "{error}");
        assert!(split_name(&"x".repeat(300)).is_err());
    }
}
