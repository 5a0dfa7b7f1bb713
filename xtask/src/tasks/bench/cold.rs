//! A cold first `up`, stage by stage, as on a fresh clone: the xtask compiled into an empty target
//! folder, the wheels downloaded into an empty cache beside mmdebstrap, the hook, the import, the
//! series image `up` runs, the start. The images go under throwaway tags, removed at the end.

use std::path::Path;

use anyhow::{Context, Result};

use super::report::{Figure, Target, Unit};
use super::{time, timed, Runner};
use crate::engine::resources::{Guard, Resource};
use crate::engine::Created;
use crate::images::{base, series};
use crate::jupyter::DEFAULT_IMAGE;
use crate::{paths, progress};

impl Runner<'_> {
    /// Once: each stage's seconds, and their sum against the 120 s target.
    pub(super) fn cold(&self) -> Result<Vec<Figure>> {
        let pid = self.prefix.trim_start_matches("jdx-bench-");
        let (base_tag, series_tag) = (
            format!("jdx-bench/base:{pid}"),
            format!("jdx-bench/named-volume:{pid}"),
        );
        let (name, volume) = (
            format!("{}-cold", self.prefix),
            format!("{}-cold-vol", self.prefix),
        );
        // Dropped in reverse: the container, then the volume, then the images.
        let _images = [&series_tag, &base_tag]
            .map(|t| Guard::new(&self.docker, Resource::Image(t.to_string())));
        let made = self.docker.create_volume(&volume, &[])?;
        let _volume = (made == Created::Now)
            .then(|| Guard::new(&self.docker, Resource::Volume(volume.clone())));
        std::fs::create_dir_all(paths::cache_dir())?;
        let fresh = tempfile::Builder::new()
            .prefix("bench-cold-")
            .tempdir_in(paths::cache_dir())?;
        let mut stages: Vec<(&str, f64)> = Vec::new();

        stages.push(("compile", self.time_cold_compile(fresh.path())?));
        let built = self.time_cold_base(&base_tag, fresh.path(), &mut stages)?;
        stages.push((
            "series image",
            self.time_series_image(pid, &base_tag, &series_tag)?,
        ));
        let _container = Guard::new(&self.docker, Resource::Container(name.clone()));
        stages.push((
            "start (`up` on the built image)",
            self.time_cold_start(&name, &volume, &series_tag)?,
        ));

        Ok(cold_figures(&stages, &built))
    }

    /// The xtask compiled into an empty target folder under `fresh`.
    fn time_cold_compile(&self, fresh: &Path) -> Result<f64> {
        let step =
            progress::Step::start("Timing a cold compile of the xtask (an empty target folder)");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let compile = duct::cmd!(cargo, "build", "-p", "xtask")
            .dir(paths::root())
            .env("CARGO_TARGET_DIR", fresh.join("target"));
        let secs = timed(compile)?.0;
        step.done(&format!("{secs:.1}s"));
        Ok(secs)
    }

    /// The base image built with an empty wheel cache under `fresh`: its two stages go on `stages`.
    fn time_cold_base(
        &self,
        base_tag: &str,
        fresh: &Path,
        stages: &mut Vec<(&str, f64)>,
    ) -> Result<base::Stages> {
        let step = progress::Step::start("Timing a cold base build (an empty wheel cache)");
        let built = base::build(&self.docker, base_tag, &fresh.join("wheels"))?;
        step.done(&format!("{:.1}s", built.rootfs + built.import));
        stages.push((
            "mmdebstrap, the Python environment in its hook",
            built.rootfs,
        ));
        stages.push(("docker import", built.import));
        Ok(built)
    }

    /// The series image `up` runs, built on the cold base.
    fn time_series_image(&self, pid: &str, base_tag: &str, series_tag: &str) -> Result<f64> {
        let image = series::find(DEFAULT_IMAGE)?;
        let recipe = format!("bench-{pid}");
        time(|| {
            series::build_as(
                &self.docker,
                image,
                base_tag,
                series_tag,
                &recipe,
                self.verbose,
            )
        })
    }

    /// `up` on the built image.
    fn time_cold_start(&self, name: &str, volume: &str, series_tag: &str) -> Result<f64> {
        let up = [
            "up", "--name", name, "--volume", volume, "--image", series_tag, "--port", "0",
        ];
        Ok(timed(self.xtask(&up)).context("starting the cold image")?.0)
    }
}

/// The stages' sum against the target, then one figure per stage and one for the wheel download.
fn cold_figures(stages: &[(&str, f64)], built: &base::Stages) -> Vec<Figure> {
    let total: f64 = stages.iter().map(|(_, s)| s).sum();
    let breakdown: Vec<String> = stages
        .iter()
        .map(|(what, s)| format!("{what} {s:.1} s"))
        .collect();
    let mut figures = vec![Figure::new("up-cold", "cold first `cargo xtask up` (compile included), the stages' sum", Unit::Seconds)
        .target(Target::Below(120.0))
        .note(format!(
            "{}; the wheel download ({:.1} s) runs beside mmdebstrap's package stage, whose hook spent {:.1} s on the Python environment",
            breakdown.join(", "),
            built.wheels,
            built.python_env
        ))];
    figures[0].samples.push(total);
    for (i, (what, secs)) in stages.iter().enumerate() {
        let mut fig = Figure::new(
            &format!("up-cold-{i}"),
            &format!("cold: {what}"),
            Unit::Seconds,
        );
        fig.samples.push(*secs);
        figures.push(fig);
    }
    let mut wheels = Figure::new(
        "up-cold-wheels",
        "cold: wheel download (beside mmdebstrap)",
        Unit::Seconds,
    );
    wheels.samples.push(built.wheels);
    figures.push(wheels);
    figures
}
