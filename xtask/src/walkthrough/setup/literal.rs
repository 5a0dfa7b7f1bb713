//! Article 1's claims, each checked right after the step of its Markdown it concerns (the literal
//! mode: the article replayed as written in the sandbox, where the images it pulls come from the
//! registry's stand-ins).

use std::time::Duration;

use crate::walkthrough::markdown::claims::{ClaimCheck, Observed, Probe};

mod images;
mod servers;

use images::{
    cached, can_save, exposed, file_browser_shows, geopandas, kernels, same_work_folder,
    serves_from_work, start_sh, work_holds,
};
use servers::{
    conda_only, gone, needs_allow_root, pull_latest, pulled_first, runtime_files, server_owner,
    shell_is_root, token_auth, url_printed,
};

const ANACONDA: &str = "Anaconda base image";
const STACKS: &str = "Jupyter Docker Stacks image";
const OWN: &str = "Own image from a Dockerfile";
const PRELOAD: &str = "Image with pre-loaded files";

const RUN_ANACONDA: &str = "docker run -it --rm -p 8888:8888 continuumio/anaconda3 /bin/bash";
const LAB_IN_SHELL: &str = r#"jupyter-lab --ip="*" --no-browser --allow-root"#;
const RUN_STACKS: &str = "docker run -it --rm -p 8888:8888 jupyter/datascience-notebook";
const RUN_OWN: &str = "docker run -it --rm -p 8888:8888 custom-jupyter-image";
const RUN_PRELOAD: &str = "docker run -it --rm -p 8888:8888 custom-jupyter-image:preload";

/// How long a server the article started may take to answer.
const READY: Duration = Duration::from_secs(60);

const fn check(
    section: &'static str,
    after: &'static str,
    claim: &'static str,
    expected: bool,
    check: fn(&Probe) -> Observed,
) -> ClaimCheck {
    ClaimCheck {
        section,
        after,
        claim,
        expected,
        check,
    }
}

pub const CLAIMS: &[ClaimCheck] = &[
    check(
        ANACONDA,
        "docker pull continuumio/anaconda3",
        "`docker pull continuumio/anaconda3` fetches the tag latest",
        true,
        pull_latest,
    ),
    check(
        ANACONDA,
        RUN_ANACONDA,
        "the container's shell runs as root (UID:GID 0:0)",
        true,
        shell_is_root,
    ),
    check(
        ANACONDA,
        "conda info",
        "`conda info` shows the active environment base in /opt/conda",
        true,
        |p| conda_only(p, "conda info"),
    ),
    check(
        ANACONDA,
        "conda list",
        "`conda list` already lists jupyterlab, pandas, numpy and matplotlib",
        true,
        |p| conda_only(p, "conda list"),
    ),
    check(
        ANACONDA,
        LAB_IN_SHELL,
        "as root, jupyter-lab needs --allow-root",
        true,
        needs_allow_root,
    ),
    check(
        ANACONDA,
        LAB_IN_SHELL,
        "the log prints http://127.0.0.1:8888/lab?token=<48 hex>",
        true,
        url_printed,
    ),
    check(
        ANACONDA,
        LAB_IN_SHELL,
        "token authentication is on",
        true,
        token_auth,
    ),
    check(
        ANACONDA,
        LAB_IN_SHELL,
        "the server runs as root",
        true,
        |p| server_owner(p, "continuumio/anaconda3", "root"),
    ),
    check(
        ANACONDA,
        "exit",
        "a `--rm` container is gone once it stops",
        true,
        |p| gone(p, "continuumio/anaconda3"),
    ),
    check(
        STACKS,
        RUN_STACKS,
        "`docker run` of an image that is not local pulls it first",
        true,
        pulled_first,
    ),
    check(
        STACKS,
        RUN_STACKS,
        "the log prints http://127.0.0.1:8888/lab?token=<48 hex>",
        true,
        url_printed,
    ),
    check(
        STACKS,
        RUN_STACKS,
        "token authentication is on",
        true,
        token_auth,
    ),
    check(
        STACKS,
        RUN_STACKS,
        "the stacks container runs as jovyan",
        true,
        |p| server_owner(p, "jupyter/datascience-notebook", "jovyan"),
    ),
    check(
        STACKS,
        RUN_STACKS,
        "its runtime files live under /home/jovyan/.local/share/jupyter/runtime/",
        true,
        runtime_files,
    ),
    check(
        STACKS,
        RUN_STACKS,
        "the file browser shows a `work` folder (/home/jovyan/work)",
        true,
        |p| file_browser_shows(p, &["work"]),
    ),
    check(
        STACKS,
        RUN_STACKS,
        "the image carries Julia, Python and R kernels",
        true,
        kernels,
    ),
    check(
        STACKS,
        "ctrl+c:docker run -it --rm -p 8888:8888 jupyter/datascience-notebook",
        "a `--rm` container is gone once it stops",
        true,
        |p| gone(p, "jupyter/datascience-notebook"),
    ),
    check(
        OWN,
        RUN_OWN,
        "in custom-jupyter-image, geopandas imports and GDAL is present",
        true,
        geopandas,
    ),
    check(
        OWN,
        "conda list #2",
        "`conda list` in its terminal shows geopandas and gdal",
        true,
        |p| conda_only(p, "conda list"),
    ),
    check(
        OWN,
        RUN_OWN,
        "EXPOSE 8888 records the port in the image",
        true,
        exposed,
    ),
    check(
        OWN,
        RUN_OWN,
        "the container logs `Entered start.sh with args: jupyter lab`",
        false,
        start_sh,
    ),
    check(
        OWN,
        RUN_OWN,
        "the log prints http://127.0.0.1:8888/lab?token=<48 hex>",
        true,
        url_printed,
    ),
    check(OWN, RUN_OWN, "token authentication is on", true, token_auth),
    check(
        OWN,
        "ctrl+c:docker run -it --rm -p 8888:8888 custom-jupyter-image",
        "a `--rm` container is gone once it stops",
        true,
        |p| gone(p, "custom-jupyter-image"),
    ),
    check(
        PRELOAD,
        "docker build -t custom-jupyter-image:preload .",
        "the rebuild after appending WORKDIR/COPY reuses the cached package layers",
        true,
        cached,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "/work holds computation.ipynb and the Dockerfile",
        true,
        work_holds,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "the working directory is /work and the server serves from it",
        true,
        serves_from_work,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "WORKDIR /work is the `work` folder seen in the earlier sections",
        false,
        same_work_folder,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "the notebook user can save the notebook copied into /work",
        false,
        can_save,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "the log prints http://127.0.0.1:8888/lab?token=<48 hex>",
        true,
        url_printed,
    ),
    check(
        PRELOAD,
        RUN_PRELOAD,
        "token authentication is on",
        true,
        token_auth,
    ),
    check(
        PRELOAD,
        "ctrl+c:docker run -it --rm -p 8888:8888 custom-jupyter-image:preload",
        "a `--rm` container is gone once it stops",
        true,
        |p| gone(p, "custom-jupyter-image:preload"),
    ),
];
