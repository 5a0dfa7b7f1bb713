//! The checks of article 1's claims about the images it builds: what the file browser shows, the
//! kernels and packages, the Dockerfile's steps, the files pre-loaded into /work.

use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::servers::url;
use super::READY;

/// The top of the server's file browser (its contents API), with the token from the log.
pub(super) fn top_folder(p: &Probe) -> Option<Vec<String>> {
    let (_, token) = url(p)?;
    let body = p.http_body(8888, "/api/contents", Some(&token))?;
    let listing: serde_json::Value = serde_json::from_str(&body).ok()?;
    Some(
        listing["content"]
            .as_array()?
            .iter()
            .filter_map(|i| i["name"].as_str().map(String::from))
            .collect(),
    )
}

pub(super) fn file_browser_shows(p: &Probe, names: &[&str]) -> Observed {
    let (listed, waited) = p.within(READY, || top_folder(p));
    match listed {
        Some(listed) => seen(
            names.iter().all(|n| listed.iter().any(|l| l == n)),
            format!(
                "the file browser's top folder ({:.1}s): {}",
                waited.as_secs_f64(),
                listed.join(", ")
            ),
        ),
        None => seen(
            false,
            format!(
                "the contents API did not answer in {:.0}s",
                waited.as_secs_f64()
            ),
        ),
    }
}

pub(super) fn kernels(p: &Probe) -> Observed {
    let Some(c) = p.container_of("jupyter/datascience-notebook") else {
        return seen(
            false,
            "no running container of jupyter/datascience-notebook",
        );
    };
    let specs = p.exec(&c, &["jupyter", "kernelspec", "list"]).stdout;
    let names: Vec<&str> = specs
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    Observed::NotCheckable(format!(
        "only the official datascience image carries Julia and R; the stand-in's kernels: {}",
        names.join(", ")
    ))
}

/// Whether the article's RUN lines are what gives the image geopandas and GDAL: not when it stands
/// on the project's notebook stand-in, which carries both already. That is read from the image (the
/// stand-in's recipe label, which the built image inherits), the same whether the build ran its
/// RUN lines or took them from a cache; the build's pip line is only evidence.
pub(super) fn geopandas(p: &Probe) -> Observed {
    let build = p
        .earlier("docker build -t custom-jupyter-image .")
        .unwrap_or_default();
    let pip = build
        .lines()
        .find(|l| l.starts_with("Requirement already satisfied: geopandas"))
        .map_or(
            "no `Requirement already satisfied: geopandas` line",
            str::trim,
        )
        .to_string();
    let label = format!(
        "{{{{index .Config.Labels \"{}\"}}}}",
        crate::engine::RECIPE_LABEL_KEY
    );
    let recipe = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            &label,
            "custom-jupyter-image",
        ])
        .stdout;
    let Some(c) = p.container_of("custom-jupyter-image") else {
        return seen(false, "no running container of custom-jupyter-image");
    };
    let out = p.exec(&c, &["python", "-c", "import geopandas; from osgeo import gdal; print(geopandas.__version__, gdal.__version__)"]);
    let said = format!("{}{}", out.stdout, out.stderr);
    let imported = format!(
        "import geopandas; from osgeo import gdal: exit {}: {}",
        out.code,
        said.lines().last().unwrap_or("").trim()
    );
    if recipe.trim() == "notebook-standin" {
        return Observed::NotCheckable(format!(
            "custom-jupyter-image stands on the stand-in for jupyter/minimal-notebook (its label {}={}), which already carries geopandas and GDAL, so the article's RUN lines are not what gives them (the build's pip: {pip}); only the official image, which lacks them, could show they install ({imported})",
            crate::engine::RECIPE_LABEL_KEY,
            recipe.trim()
        ));
    }
    seen(out.ok(), format!("{imported} (the build's pip: {pip})"))
}

pub(super) fn exposed(p: &Probe) -> Observed {
    let ports = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.ExposedPorts}}",
            "custom-jupyter-image",
        ])
        .stdout;
    seen(
        ports.contains("8888/tcp"),
        format!("ExposedPorts of custom-jupyter-image: {ports}"),
    )
}

pub(super) fn start_sh(p: &Probe) -> Observed {
    let out = p.output();
    let first = out
        .lines()
        .find(|l| l.contains("Entered start.sh") || l.contains("Executing the command"))
        .unwrap_or("no start.sh line")
        .trim()
        .to_string();
    seen(
        out.contains("Entered start.sh with args: jupyter lab"),
        format!("the log's first start line: {first}"),
    )
}

pub(super) fn cached(p: &Probe) -> Observed {
    let (cached, total) = super::super::own_image::cached_run_steps(&p.output());
    seen(
        p.exit() == Some(0) && total >= 2 && cached == total,
        format!(
            "exit {:?}; {cached} of {total} RUN steps came from the build cache",
            p.exit()
        ),
    )
}

pub(super) fn work_holds(p: &Probe) -> Observed {
    let Some(c) = p.container_of("custom-jupyter-image:preload") else {
        return seen(
            false,
            "no running container of custom-jupyter-image:preload",
        );
    };
    let listed = p.exec(&c, &["ls", "/work"]).stdout;
    let names: Vec<&str> = listed.lines().collect();
    seen(
        names.contains(&"computation.ipynb") && names.contains(&"Dockerfile"),
        format!("ls /work: {}", names.join(", ")),
    )
}

pub(super) fn serves_from_work(p: &Probe) -> Observed {
    let workdir = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.WorkingDir}}",
            "custom-jupyter-image:preload",
        ])
        .stdout;
    let (listed, waited) = p.within(READY, || top_folder(p));
    let listed = listed.unwrap_or_default();
    seen(
        workdir == "/work" && listed.iter().any(|n| n == "computation.ipynb"),
        format!(
            "WorkingDir {workdir:?}; the file browser's top folder ({:.1}s): {}",
            waited.as_secs_f64(),
            listed.join(", ")
        ),
    )
}

pub(super) fn same_work_folder(p: &Probe) -> Observed {
    let workdir = |image: &str| {
        p.docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.WorkingDir}}",
            image,
        ])
        .stdout
    };
    let (preload, stacks) = (
        workdir("custom-jupyter-image:preload"),
        workdir("jupyter/datascience-notebook"),
    );
    seen(
        preload == "/home/jovyan/work",
        format!("the preload image works in {preload:?}; the stacks image whose file browser showed `work` works in {stacks:?}, so that folder is {stacks}/work"),
    )
}

pub(super) fn can_save(p: &Probe) -> Observed {
    let Some(c) = p.container_of("custom-jupyter-image:preload") else {
        return seen(
            false,
            "no running container of custom-jupyter-image:preload",
        );
    };
    // `test -w` asks the kernel whether the server's user may write, without writing.
    let out = p.exec(&c, &["sh", "-c", "ls -ln /work/computation.ipynb; id -un; test -w /work/computation.ipynb && echo writable || echo not writable"]);
    seen(
        out.stdout.lines().last() == Some("writable"),
        out.stdout.lines().collect::<Vec<_>>().join("; "),
    )
}
