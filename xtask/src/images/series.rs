//! The tagged images the series builds (`cargo xtask build`), from docker/series/.
//! Each build context is laid out like the article's `jupyter` folder: the Dockerfile,
//! `computation.ipynb`, `data/` and an empty `outputs/`.

use std::path::Path;

use anyhow::{Context, Result};
use xshell::Shell;

use crate::engine::{BuildSpec, Docker, RECIPE_LABEL_KEY};
use crate::images::onecommit;
use crate::images::recipe::RecipeHash;
use crate::paths;

#[derive(Debug)]
pub struct SeriesImage {
    pub tag: &'static str,
    pub dockerfile: &'static str,
    pub about: &'static str,
}

pub const IMAGES: &[SeriesImage] = &[
    SeriesImage {
        tag: "custom-jupyter-image:anon-volume",
        dockerfile: "anon-volume.Dockerfile",
        about: "article 2: root-owned COPY and VOLUME [\"/project/outputs\"]",
    },
    SeriesImage {
        tag: "custom-jupyter-image:anon-volume-chown",
        dockerfile: "anon-volume-chown.Dockerfile",
        about: "article 2: the same with COPY --chown=$NB_UID:$NB_GID",
    },
    SeriesImage {
        tag: "custom-jupyter-image:named-volume",
        dockerfile: "named-volume.Dockerfile",
        about: "article 2: --chown, no VOLUME (for named volumes)",
    },
    SeriesImage {
        tag: "custom-jupyter-image:preload",
        dockerfile: "preload.Dockerfile",
        about: "article 1: WORKDIR /work and the notebook copied in",
    },
    SeriesImage {
        tag: "custom-jupyter-image:mysql-connected",
        dockerfile: "mysql-connected.Dockerfile",
        about: "article 3: the MySQL connector; credentials at run time, none baked in",
    },
];

/// Resolves names to images before anything runs, so a typo fails with nothing done.
pub fn select(names: &[String]) -> Result<Vec<&'static SeriesImage>> {
    if names.is_empty() {
        return Ok(IMAGES.iter().collect());
    }
    names.iter().map(|name| find(name)).collect()
}

pub fn find(name: &str) -> Result<&'static SeriesImage> {
    IMAGES
        .iter()
        .find(|i| i.tag == name || i.tag.split_once(':').map(|(_, t)| t) == Some(name))
        .with_context(|| {
            let known: Vec<&str> = IMAGES.iter().map(|i| i.tag).collect();
            format!("unknown image {name:?}: choose one of {}", known.join(", "))
        })
}

/// Builds `image` on `base` unless an image with the same recipe hash is already tagged.
pub fn ensure_image(sh: &Shell, image: &SeriesImage, base: &str, verbose: bool) -> Result<()> {
    let docker = Docker::new(sh);
    let recipe = recipe_hash(&docker, image, base)?;
    let built = || {
        docker
            .label("image", image.tag, RECIPE_LABEL_KEY)
            .as_deref()
            == Some(recipe.as_str())
    };
    if built() {
        return Ok(());
    }
    let _lock = paths::exclusive(&image.tag.replace([':', '/'], "_"))?;
    if built() {
        return Ok(());
    }
    build_as(&docker, image, base, image.tag, &recipe, verbose)
}

/// Builds `image` on `base` as `tag` (the bench's cold run uses a throwaway tag), labelled with
/// its `recipe` hash: the Dockerfile's result in one commit (see [`crate::images::onecommit`]).
pub fn build_as(
    docker: &Docker,
    image: &SeriesImage,
    base: &str,
    tag: &str,
    recipe: &str,
    verbose: bool,
) -> Result<()> {
    let context = staged(image)?;
    let dockerfile = std::fs::read_to_string(context.path().join("Dockerfile"))?;
    let what = format!("Building {tag} ({}) in one commit", image.about);
    let step = crate::progress::Step::start_maybe_lines(&what, verbose);
    let times = onecommit::build(
        docker,
        context.path(),
        &dockerfile,
        &[("BASE_IMAGE".into(), base.into())],
        tag,
        &[(RECIPE_LABEL_KEY.into(), recipe.into())],
        verbose,
    )
    .with_context(|| format!("{what} failed"))?;
    step.done(&format!("built ({times})"));
    Ok(())
}

/// Builds `image`'s Dockerfile with `docker build` on `base` as `tag`, labelled with `recipe`:
/// the reference the one-commit build is held to, and what the walkthroughs' own builds find cached.
pub fn build_with_dockerfile_as(
    docker: &Docker,
    image: &SeriesImage,
    base: &str,
    tag: &str,
    recipe: &str,
    verbose: bool,
) -> Result<()> {
    let context = staged(image)?;
    let spec = BuildSpec::new(context.path(), tag)
        .arg("BASE_IMAGE", base)
        .label(RECIPE_LABEL_KEY, recipe);
    docker.build(
        &spec,
        &format!("Building {tag} ({}) with docker build", image.about),
        verbose,
    )
}

/// The repository of the images [`ensure_dockerfile_build`] makes.
pub const DOCKERFILE_BUILDS: &str = "jupyter-docker-xtask/series-dockerfile";

/// `image`'s Dockerfile built with `docker build` on `base`, tagged
/// `jupyter-docker-xtask/series-dockerfile:NAME` (rebuilt when its recipe changes): it holds the
/// builder's cache of that Dockerfile, so that a walkthrough replaying the article's own
/// `docker build` finds its steps cached, as it did when the series images were built so. Its tag.
pub fn ensure_dockerfile_build(sh: &Shell, image: &SeriesImage, base: &str) -> Result<String> {
    let docker = Docker::new(sh).with_run(None);
    let tag = format!("{DOCKERFILE_BUILDS}:{}", short_name(image));
    let recipe = recipe_hash(&docker, image, base)?;
    let built =
        || docker.label("image", &tag, RECIPE_LABEL_KEY).as_deref() == Some(recipe.as_str());
    if built() {
        return Ok(tag);
    }
    let _lock = paths::exclusive(&tag.replace([':', '/'], "_"))?;
    if !built() {
        build_with_dockerfile_as(&docker, image, base, &tag, &recipe, false)?;
    }
    Ok(tag)
}

/// The part of the tag after `custom-jupyter-image:`.
pub fn short_name(image: &SeriesImage) -> &'static str {
    image.tag.split_once(':').map_or(image.tag, |(_, t)| t)
}

/// The article's folder for `image`, staged in a temporary folder.
fn staged(image: &SeriesImage) -> Result<tempfile::TempDir> {
    let context = tempfile::Builder::new()
        .prefix("series-context-")
        .tempdir()?;
    stage_article_folder(
        &paths::docker_dir().join("series").join(image.dockerfile),
        context.path(),
    )?;
    Ok(context)
}

/// The base image's id, the Dockerfile and the notebooks folder decide whether a rebuild is due.
pub fn recipe_hash(docker: &Docker, image: &SeriesImage, base: &str) -> Result<String> {
    let base_id = docker.output(["image", "inspect", "--format", "{{.Id}}", base])?;
    recipe_hash_on(image, &base_id)
}

/// Whether an image carrying the recipe label `built` is `image` built as it is now on the base
/// with id `base_id` (what `up` knows from its one inspect).
pub fn is_current(image: &SeriesImage, base_id: &str, built: Option<&str>) -> bool {
    built.is_some() && recipe_hash_on(image, base_id).ok().as_deref() == built
}

fn recipe_hash_on(image: &SeriesImage, base_id: &str) -> Result<String> {
    let mut hash = RecipeHash::default();
    hash.text(base_id)
        .file(&paths::docker_dir().join("series").join(image.dockerfile))?;
    let ignore = dockerignore_of(&paths::docker_dir().join("series").join(image.dockerfile));
    if ignore.is_file() {
        hash.file(&ignore)?;
    }
    for name in ["computation.ipynb", "data"] {
        let path = paths::notebooks_dir().join(name);
        if path.is_dir() {
            hash.text(name).tree(&path)?;
        } else {
            hash.file(&path)?;
        }
    }
    Ok(hash.short())
}

/// Lays out the article's project folder: Dockerfile, computation.ipynb, data/, empty outputs/.
pub fn stage_article_folder(dockerfile: &Path, dir: &Path) -> Result<()> {
    std::fs::copy(dockerfile, dir.join("Dockerfile"))
        .with_context(|| format!("reading {}", dockerfile.display()))?;
    let ignore = dockerignore_of(dockerfile);
    if ignore.is_file() {
        std::fs::copy(&ignore, dir.join(".dockerignore"))
            .with_context(|| format!("reading {}", ignore.display()))?;
    }
    let notebooks = paths::notebooks_dir();
    std::fs::copy(
        notebooks.join("computation.ipynb"),
        dir.join("computation.ipynb"),
    )?;
    std::fs::create_dir_all(dir.join("data"))?;
    for entry in std::fs::read_dir(notebooks.join("data"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.join("data").join(path.file_name().unwrap()))?;
        }
    }
    std::fs::create_dir_all(dir.join("outputs"))?;
    Ok(())
}

/// `NAME.dockerignore` beside `NAME.Dockerfile`: the image's `.dockerignore`, when it has one.
pub fn dockerignore_of(dockerfile: &Path) -> std::path::PathBuf {
    dockerfile.with_extension("dockerignore")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_full_names() {
        assert_eq!(
            find("named-volume").unwrap().tag,
            "custom-jupyter-image:named-volume"
        );
        assert_eq!(
            find("custom-jupyter-image:preload").unwrap().tag,
            "custom-jupyter-image:preload"
        );
        let err = find("nope").unwrap_err().to_string();
        assert!(
            err.contains("unknown image \"nope\"") && err.contains("anon-volume"),
            "{err}"
        );
        assert!(select(&["preload".into(), "bad".into()]).is_err());
    }

    #[test]
    fn every_dockerfile_takes_its_base_through_a_build_arg() {
        for image in IMAGES {
            let text =
                std::fs::read_to_string(paths::docker_dir().join("series").join(image.dockerfile))
                    .unwrap();
            assert!(text.contains("FROM ${BASE_IMAGE}"), "{}", image.dockerfile);
            // The notebook content comes last, so editing notebooks/ rebuilds only the last layers.
            // (ENV defaults from build arguments may follow, as in article 3.)
            let last = text
                .lines()
                .rev()
                .find(|l| {
                    !l.trim().is_empty()
                        && !l.starts_with('#')
                        && !l.starts_with("ENV")
                        && !l.starts_with("ARG")
                })
                .unwrap();
            assert!(
                last.starts_with("COPY") || last.starts_with("VOLUME"),
                "{}: {last}",
                image.dockerfile
            );
        }
    }

    #[test]
    fn a_changed_base_makes_every_series_image_stale() {
        let (old, new) = ("sha256:1111111111111111", "sha256:2222222222222222");
        for image in IMAGES {
            let built = recipe_hash_on(image, old).unwrap();
            assert!(
                is_current(image, old, Some(&built)),
                "{}: unchanged must not rebuild",
                image.tag
            );
            assert!(
                !is_current(image, new, Some(&built)),
                "{}: a new base must rebuild what stands on it",
                image.tag
            );
            assert!(
                !is_current(image, old, None),
                "{}: an image with no recipe label is not current",
                image.tag
            );
        }
    }

    #[test]
    fn staged_folder_is_the_articles() {
        let dir = tempfile::tempdir().unwrap();
        stage_article_folder(
            &paths::docker_dir().join("series/named-volume.Dockerfile"),
            dir.path(),
        )
        .unwrap();
        for name in [
            "Dockerfile",
            "computation.ipynb",
            "data/Motorized-Foot-Scooter-Trips-2020.csv",
        ] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("outputs"))
                .unwrap()
                .count(),
            0
        );
    }
}
