//! Each series image on the warm base: the one-commit build the project uses against a plain
//! `docker build --no-cache` of the same Dockerfile, both under throwaway tags of the bench's own.

use anyhow::Result;

use super::report::{Figure, Target, Unit};
use super::{time, Runner};
use crate::engine::resources::{Guard, Resource};
use crate::engine::BuildSpec;
use crate::images::series;
use crate::progress;

impl Runner<'_> {
    /// One figure per series image: seconds in one commit, against `docker build --no-cache`.
    pub(super) fn images(&self) -> Result<Vec<Figure>> {
        let pid = self.prefix.trim_start_matches("jdx-bench-");
        let mut figures = Vec::new();
        for image in series::IMAGES {
            let short = series::short_name(image);
            let mut fig = Figure::new(
                &format!("image-{short}"),
                &format!("{} in one commit (warm base)", image.tag),
                Unit::Seconds,
            )
            .against("`docker build --no-cache` of the same Dockerfile")
            .target(Target::Below(15.0))
            .note("docker create + RUN steps + docker cp + one docker commit; the baseline commits once per Dockerfile step");
            let recipe = format!("bench-{pid}");
            for i in 0..self.heavy_runs {
                let step = progress::Step::start(format!(
                    "Timing {} in one commit and with docker build (run {}/{})",
                    image.tag,
                    i + 1,
                    self.heavy_runs
                ));
                let (fast, plain) = (
                    format!("jdx-bench/onecommit-{short}:{pid}-{i}"),
                    format!("jdx-bench/dockerfile-{short}:{pid}-{i}"),
                );
                let _images = [&fast, &plain]
                    .map(|t| Guard::new(&self.docker, Resource::Image(t.to_string())));
                // Alternate which goes first, so neither always meets a busier engine.
                for one_commit in [i % 2 == 0, i % 2 != 0] {
                    if one_commit {
                        fig.samples.push(time(|| {
                            series::build_as(&self.docker, image, &self.base, &fast, &recipe, false)
                        })?);
                    } else {
                        fig.baseline.push(time(|| self.plain_build(image, &plain))?);
                    }
                }
                step.done(&format!(
                    "one commit {:.1}s, docker build {:.1}s",
                    fig.samples[i], fig.baseline[i]
                ));
            }
            figures.push(fig);
        }
        Ok(figures)
    }

    /// `docker build --no-cache` of `image`'s Dockerfile on the bench's base as `tag`.
    fn plain_build(&self, image: &series::SeriesImage, tag: &str) -> Result<()> {
        let context = tempfile::Builder::new()
            .prefix("bench-context-")
            .tempdir()?;
        series::stage_article_folder(
            &crate::paths::docker_dir()
                .join("series")
                .join(image.dockerfile),
            context.path(),
        )?;
        let spec = BuildSpec {
            no_cache: true,
            ..BuildSpec::new(context.path(), tag).arg("BASE_IMAGE", &self.base)
        };
        self.docker
            .build(&spec, &format!("docker build of {tag}"), false)
    }
}
