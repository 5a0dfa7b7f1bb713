//! Where `--report F.md` goes: checked before anything runs (a report that cannot be written
//! would otherwise fail only after the whole replay), and written whole at the end: a temporary
//! file beside it, renamed over it, so an existing report is never left half-written. It refuses
//! the article itself, a symbolic link (its target would be replaced) and anything not a file.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tempfile::NamedTempFile;

pub struct ReportFile {
    path: PathBuf,
    temp: NamedTempFile,
}

impl ReportFile {
    /// Checks `path` and makes the temporary file beside it; `article`: the file being replayed.
    pub fn prepare(path: &Path, article: Option<&Path>) -> Result<ReportFile> {
        let shown = path.display();
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if meta.file_type().is_symlink() {
                bail!("--report {shown} is a symbolic link: give the path of a plain file (the link's target is never overwritten)");
            }
            if meta.is_dir() {
                bail!("--report {shown} is a folder: give a file name, e.g. {shown}/report.md");
            }
            if !meta.is_file() {
                bail!("--report {shown} is not a regular file (a device, a pipe or a socket): give the path of a plain file");
            }
            let same = |a: &Path| {
                std::fs::metadata(a).is_ok_and(|m| (m.dev(), m.ino()) == (meta.dev(), meta.ino()))
            };
            if article.is_some_and(same) {
                bail!("--report {shown} is the article being replayed: give another file name, e.g. report.md");
            }
            if meta.permissions().readonly() {
                bail!("--report {shown} is read-only: make it writable or choose another file");
            }
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            bail!("cannot write the report to {shown}: its folder does not exist; create it or choose another place");
        }
        let temp = NamedTempFile::new_in(&folder).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the report to {shown} ({e}): choose a folder you can write to"
            )
        })?;
        Ok(ReportFile {
            path: path.to_path_buf(),
            temp,
        })
    }

    /// Writes `text` and puts it in place of the file named (one rename).
    pub fn write(mut self, text: &str) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let shown = self.path.display().to_string();
        // The old report's mode, or a plain file's (the temporary file is only its owner's).
        let mode = std::fs::metadata(&self.path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        self.temp
            .as_file()
            .set_permissions(mode)
            .with_context(|| format!("writing the report {shown}"))?;
        self.temp
            .write_all(text.as_bytes())
            .and_then(|_| self.temp.flush())
            .with_context(|| format!("writing the report {shown}"))?;
        self.temp
            .persist(&self.path)
            .with_context(|| format!("putting the report in place at {shown}"))?;
        eprintln!("report written to {shown}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(path: &Path, article: Option<&Path>) -> String {
        ReportFile::prepare(path, article)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("{} was accepted", path.display()))
    }

    #[test]
    fn a_report_place_is_checked_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ReportFile::prepare(&dir.path().join("r.md"), None).is_ok());
        assert!(refused(dir.path(), None).contains("is a folder"));
        let missing = refused(&dir.path().join("no/such/r.md"), None);
        assert!(
            missing.contains("does not exist") && missing.contains("no/such/r.md"),
            "{missing}"
        );
        assert!(refused(Path::new("/dev/full"), None).contains("not a regular file"));
    }

    #[test]
    fn the_article_a_link_and_a_read_only_file_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let article = dir.path().join("article.md");
        std::fs::write(&article, "# the article").unwrap();
        let same = refused(&article, Some(&article));
        assert!(same.contains("is the article being replayed"), "{same}");
        let hard = dir.path().join("hard.md");
        std::fs::hard_link(&article, &hard).unwrap();
        assert!(
            refused(&hard, Some(&article)).contains("is the article"),
            "the same file under another name"
        );
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink(&article, &link).unwrap();
        assert!(refused(&link, Some(Path::new("other.md"))).contains("symbolic link"));
        assert_eq!(std::fs::read_to_string(&article).unwrap(), "# the article");
    }

    #[test]
    fn an_old_report_stays_whole_until_the_new_one_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.md");
        std::fs::write(&path, "old report").unwrap();
        let report = ReportFile::prepare(&path, None).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old report",
            "checked, not truncated"
        );
        report.write("new report").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new report");
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        ReportFile::prepare(&path, None)
            .unwrap()
            .write("again")
            .unwrap();
        assert_eq!(
            mode(&path),
            0o640,
            "the old report's mode, not the temporary file's"
        );
        let fresh = dir.path().join("fresh.md");
        ReportFile::prepare(&fresh, None)
            .unwrap()
            .write("x")
            .unwrap();
        assert_eq!(mode(&fresh), 0o644);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary file left"
        );
    }
}
