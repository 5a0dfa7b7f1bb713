//! Article 1's claims, each checked right after the step of its Markdown it concerns (the literal
//! mode: the article replayed as written in the sandbox, where the images it pulls come from the
//! registry's stand-ins).

use std::time::Duration;

use crate::walkthrough::markdown::claims::{check, ClaimCheck};

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

const RUN_ANACONDA: &str = "docker run -it --rm -p 8888:8888 continuumio/anaconda3 /bin/bash";
const LAB_IN_SHELL: &str = r#"jupyter-lab --ip="*" --no-browser --allow-root"#;
const RUN_STACKS: &str = "docker run -it --rm -p 8888:8888 jupyter/datascience-notebook";
const RUN_OWN: &str = "docker run -it --rm -p 8888:8888 custom-jupyter-image";
const RUN_PRELOAD: &str = "docker run -it --rm -p 8888:8888 custom-jupyter-image:preload";

/// How long a server the article started may take to answer.
const READY: Duration = Duration::from_secs(60);

pub const CLAIMS: &[ClaimCheck] = &[
    check(
        "pull-latest",
        "docker pull continuumio/anaconda3",
        pull_latest,
    ),
    check("shell-as-root", RUN_ANACONDA, shell_is_root),
    check("conda-info", "conda info", |p| conda_only(p, "conda info")),
    check("conda-list", "conda list", |p| conda_only(p, "conda list")),
    check("needs-allow-root", LAB_IN_SHELL, needs_allow_root),
    check("token-url-printed", LAB_IN_SHELL, url_printed),
    check("token-auth", LAB_IN_SHELL, token_auth),
    check("server-as-root", LAB_IN_SHELL, |p| {
        server_owner(p, "continuumio/anaconda3", "root")
    }),
    check("rm-container-gone", "exit", |p| {
        gone(p, "continuumio/anaconda3")
    }),
    check("pulled-first", RUN_STACKS, pulled_first),
    check("token-url-printed", RUN_STACKS, url_printed),
    check("token-auth", RUN_STACKS, token_auth),
    check("stacks-as-jovyan", RUN_STACKS, |p| {
        server_owner(p, "jupyter/datascience-notebook", "jovyan")
    }),
    check("runtime-files", RUN_STACKS, runtime_files),
    check("work-folder-shown", RUN_STACKS, |p| {
        file_browser_shows(p, &["work"])
    }),
    check("kernels", RUN_STACKS, kernels),
    check(
        "rm-container-gone",
        "ctrl+c:docker run -it --rm -p 8888:8888 jupyter/datascience-notebook",
        |p| gone(p, "jupyter/datascience-notebook"),
    ),
    check("geopandas-gdal", RUN_OWN, geopandas),
    check("conda-list-geopandas", "conda list #2", |p| {
        conda_only(p, "conda list")
    }),
    check("expose-records-port", RUN_OWN, exposed),
    check("start-sh-jupyter-lab", RUN_OWN, start_sh),
    check("token-url-printed", RUN_OWN, url_printed),
    check("token-auth", RUN_OWN, token_auth),
    check(
        "rm-container-gone",
        "ctrl+c:docker run -it --rm -p 8888:8888 custom-jupyter-image",
        |p| gone(p, "custom-jupyter-image"),
    ),
    check(
        "rebuild-cached",
        "docker build -t custom-jupyter-image:preload .",
        cached,
    ),
    check("work-holds-files", RUN_PRELOAD, work_holds),
    check("serves-from-work", RUN_PRELOAD, serves_from_work),
    check("same-work-folder", RUN_PRELOAD, same_work_folder),
    check("can-save", RUN_PRELOAD, can_save),
    check("token-url-printed", RUN_PRELOAD, url_printed),
    check("token-auth", RUN_PRELOAD, token_auth),
    check(
        "rm-container-gone",
        "ctrl+c:docker run -it --rm -p 8888:8888 custom-jupyter-image:preload",
        |p| gone(p, "custom-jupyter-image:preload"),
    ),
];
