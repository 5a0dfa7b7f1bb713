//! A cold local base build, the xtask's against the same steps typed by hand. Everything is tagged
//! under throwaway tags, removed at the end with the layers built on them.

use anyhow::{bail, Result};

use super::report::{Figure, Unit};
use super::{time, Runner};
use crate::engine::resources::{Guard, Resource};
use crate::engine::{tail, BuildSpec, MANAGED};
use crate::images::base;
use crate::{paths, progress};

impl Runner<'_> {
    /// Once each: the xtask's (fresh root filesystem, `--no-cache`) against the hand commands
    /// (mmdebstrap, docker import, pip download, docker build --no-cache).
    pub(super) fn cold(&self) -> Result<Vec<Figure>> {
        let mut fig = Figure::new("base-cold", "cold `cargo xtask base` (fresh root filesystem, --no-cache)", Unit::Seconds)
            .against("mmdebstrap + docker import + pip download + docker build --no-cache")
            .note("once each: it takes minutes");
        let tag = |what: &str| format!("jdx-bench/{what}:{}", self.prefix.trim_start_matches("jdx-bench-"));
        let (x_rootfs, x_base, p_rootfs, p_base) = (tag("xtask-rootfs"), tag("xtask-base"), tag("plain-rootfs"), tag("plain-base"));
        let _guards: Vec<Guard> = [&x_base, &x_rootfs, &p_base, &p_rootfs].iter().map(|t| Guard::new(&self.docker, Resource::Image(t.to_string()))).collect();
        let result = (|| -> Result<()> {
            let step = progress::Step::start("Timing a cold `base` (the xtask's way)");
            let secs = time(|| base::build_cold(self.sh, &x_rootfs, &x_base, self.verbose))?;
            step.done(&format!("{secs:.0}s"));
            fig.samples.push(secs);
            let step = progress::Step::start("Timing a cold base build by hand (mmdebstrap, import, pip download, build --no-cache)");
            let secs = time(|| self.plain_cold(&p_rootfs, &p_base))?;
            step.done(&format!("{secs:.0}s"));
            fig.baseline.push(secs);
            Ok(())
        })();
        // The layers built on the throwaway root filesystems (the first stage is left untagged).
        for image in [&x_base, &p_base] {
            let _ = self.docker.probe(["image", "rm", image.as_str()]);
        }
        for rootfs in [&x_rootfs, &p_rootfs] {
            self.remove_descendants(rootfs);
        }
        result?;
        Ok(vec![fig])
    }

    fn plain_cold(&self, rootfs: &str, tag: &str) -> Result<()> {
        let dir = tempfile::Builder::new().prefix("bench-cold-").tempdir_in(paths::cache_dir())?;
        let tar = dir.path().join("rootfs.tar");
        let run = |expr: duct::Expression, what: &str| -> Result<()> {
            let out = expr.stderr_to_stdout().stdout_capture().unchecked().run()?;
            if !out.status.success() {
                bail!("{what} failed: {}", tail(&String::from_utf8_lossy(&out.stdout), 10));
            }
            Ok(())
        };
        run(duct::cmd!("mmdebstrap", "--variant=minbase", format!("--include={}", base::ROOTFS_PACKAGES), base::SUITE, &tar), "mmdebstrap")?;
        let (label, tar) = (format!("LABEL {MANAGED}"), tar.display().to_string());
        run(self.docker.stream(["import", "--change", label.as_str(), tar.as_str(), rootfs]), "docker import")?;
        let wheels = paths::cache_dir().join("wheels");
        let lock = paths::docker_dir().join("base/requirements.lock");
        let mut pip: Vec<String> = ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--require-hashes", "-r"].map(String::from).to_vec();
        pip.extend([lock.display().to_string(), "-d".into(), wheels.display().to_string()]);
        pip.extend(base::WHEEL_PLATFORM.iter().map(|s| s.to_string()));
        run(duct::cmd("python3", pip), "pip download")?;
        let context = dir.path().join("context");
        run(duct::cmd!("cp", "-r", paths::docker_dir().join("base"), &context), "cp docker/base")?;
        run(duct::cmd!("cp", "-r", &wheels, context.join("wheels")), "cp wheels")?;
        // By hand: no progress line, the output only when it fails.
        let spec = BuildSpec { no_cache: true, ..BuildSpec::new(&context, tag).arg("ROOTFS_IMAGE", rootfs) };
        run(self.docker.stream(spec.args(&self.docker.image_labels())), "docker build")
    }

    /// Removes the untagged images built on `image` (children first), then `image`'s own tag.
    /// Only descendants of the bench's own throwaway root filesystem are touched.
    fn remove_descendants(&self, image: &str) {
        let docker = &self.docker;
        let Some(root) = docker.probe(["image", "inspect", "--format", "{{.Id}}", image]) else { return };
        let Some(all) = docker.probe(["images", "-a", "-q", "--no-trunc"]) else { return };
        let ids: Vec<&str> = all.lines().collect();
        let Some(parents) = docker.probe([&["image", "inspect", "--format", "{{.Id}} {{.Parent}}"][..], &ids].concat()) else { return };
        let parent_of: Vec<(String, String)> =
            parents.lines().filter_map(|l| l.split_once(' ')).map(|(id, p)| (id.to_string(), p.to_string())).collect();
        // Breadth-first from the root: parents come before their children.
        let mut family = vec![root.clone()];
        let mut i = 0;
        while i < family.len() {
            let current = family[i].clone();
            family.extend(parent_of.iter().filter(|(_, p)| *p == current).map(|(id, _)| id.clone()));
            i += 1;
        }
        for id in family.iter().skip(1).rev() {
            let tags = docker.probe(["image", "inspect", "--format", "{{len .RepoTags}}", id.as_str()]);
            if tags.as_deref() == Some("0") {
                let _ = docker.probe(["image", "rm", id.as_str()]);
            }
        }
        let _ = docker.probe(["image", "rm", image]);
    }
}
