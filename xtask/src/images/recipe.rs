//! Content hashes of build inputs: an image whose recipe did not change is never rebuilt.

use std::path::Path;

use anyhow::{Context, Result};

/// FNV-1a, 64 bit: stable across Rust versions and platforms (std's hasher is not), no dependency.
#[derive(Clone)]
pub struct RecipeHash(u64);

impl Default for RecipeHash {
    fn default() -> Self {
        RecipeHash(0xcbf2_9ce4_8422_2325)
    }
}

impl RecipeHash {
    pub fn bytes(&mut self, data: &[u8]) -> &mut Self {
        for byte in data {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    /// Hashes every file below `dir` (names relative to it, sorted, and contents, and the executable bit).
    pub fn tree(&mut self, dir: &Path) -> Result<&mut Self> {
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        files.sort();
        for rel in files {
            let path = dir.join(&rel);
            let data =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            self.text(&rel);
            self.bytes(&data);
            self.text(if is_executable(&path) { "x" } else { "-" });
        }
        Ok(self)
    }

    pub fn file(&mut self, path: &Path) -> Result<&mut Self> {
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        self.text(&path.file_name().unwrap_or_default().to_string_lossy());
        Ok(self.bytes(&data))
    }

    /// Twelve hex digits: short enough for a tag, long enough not to collide by chance here.
    pub fn short(&self) -> String {
        format!("{:012x}", self.0 >> 16)
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            out.push(path.strip_prefix(root)?.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_hash_and_any_change_shows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        let first = RecipeHash::default().tree(dir.path()).unwrap().short();
        let again = RecipeHash::default().tree(dir.path()).unwrap().short();
        assert_eq!(first, again);
        assert_eq!(first.len(), 12);

        std::fs::write(dir.path().join("sub/a.txt"), "b").unwrap();
        let edited = RecipeHash::default().tree(dir.path()).unwrap().short();
        assert_ne!(first, edited);

        std::fs::rename(dir.path().join("sub/a.txt"), dir.path().join("sub/b.txt")).unwrap();
        let renamed = RecipeHash::default().tree(dir.path()).unwrap().short();
        assert_ne!(edited, renamed);
    }

    #[test]
    fn the_executable_bit_is_part_of_the_recipe() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("start.sh");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
        let plain = RecipeHash::default().tree(dir.path()).unwrap().short();
        // Same bytes, same name: only the mode differs, and a COPY keeps it in the image.
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let executable = RecipeHash::default().tree(dir.path()).unwrap().short();
        assert_ne!(
            plain, executable,
            "making a file executable must change the recipe"
        );
    }

    #[test]
    fn separators_keep_pieces_apart() {
        let ab_c = RecipeHash::default().text("ab").text("c").short();
        let a_bc = RecipeHash::default().text("a").text("bc").short();
        assert_ne!(ab_c, a_bc);
    }

    #[test]
    fn known_value_is_stable() {
        // Pinned so that a change to the hash function (which would rebuild every image) is noticed.
        // Computed outside the project (a few lines of Python): 64-bit FNV-1a over the bytes, then
        // the 0xff separator, top 48 bits.
        assert_eq!(
            RecipeHash::default().text("jupyter").short(),
            "603e74f9dab7"
        );
        assert_eq!(
            RecipeHash::default().text("").short(),
            "af64724c8602",
            "the separator alone"
        );
        assert_eq!(
            RecipeHash::default().short(),
            "cbf29ce48422",
            "the offset basis"
        );
    }
}
