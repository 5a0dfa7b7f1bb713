//! Article 1's claims, each checked right after the step of its Markdown it concerns (the literal
//! mode: the article replayed as written in the sandbox, where the images it pulls come from the
//! registry's stand-ins).

use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

use crate::walkthrough::markdown::claims::{seen, ClaimCheck, Observed, Probe};

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

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid pattern"))
}

/// The token URL the step printed: (the URL with its token masked, the token).
fn url(p: &Probe) -> Option<(String, String)> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let output = p.output();
    let found = re(&URL, r"http://127\.0\.0\.1:(\d+)(/lab)\?token=([0-9a-f]+)")
        .captures_iter(&output)
        .last()?;
    Some((
        format!(
            "http://127.0.0.1:{}{}?token=<{} hex>",
            &found[1],
            &found[2],
            found[3].len()
        ),
        found[3].to_string(),
    ))
}

fn url_printed(p: &Probe) -> Observed {
    match url(p) {
        Some((shown, token)) => seen(
            shown.starts_with("http://127.0.0.1:8888/lab?") && token.len() == 48,
            format!("the log shows {shown}"),
        ),
        None => seen(
            false,
            format!(
                "no token URL in what the step printed ({} lines)",
                p.output().lines().count()
            ),
        ),
    }
}

/// The article's server answers on the sandbox's port 8888: with its token, without, and /lab.
fn token_auth(p: &Probe) -> Observed {
    let Some((_, token)) = url(p) else {
        return seen(false, "no token URL in the log to try");
    };
    let (with, waited) = p.within(READY, || {
        Some(p.http(8888, "/api/status", Some(&token))).filter(|s| *s != 0)
    });
    let without = p.http(8888, "/api/status", None);
    let lab = p.http(8888, "/lab", None);
    seen(
        with == Some(200) && without == 403 && lab == 302,
        format!("port 8888 answered after {:.1}s: /api/status with the token {}, without {without}; /lab without it {lab} (302: to /login)", waited.as_secs_f64(), with.unwrap_or(0)),
    )
}

fn pull_latest(p: &Probe) -> Observed {
    let out = p.output();
    let tag = out
        .lines()
        .find(|l| l.contains("default tag"))
        .unwrap_or("no `Using default tag` line")
        .trim()
        .to_string();
    let status = out
        .lines()
        .find(|l| l.starts_with("Status:"))
        .unwrap_or("no Status line")
        .trim()
        .to_string();
    seen(
        p.exit() == Some(0)
            && tag.ends_with("latest")
            && out.contains("continuumio/anaconda3:latest"),
        format!("exit {:?}: {tag}; {status}", p.exit()),
    )
}

fn pulled_first(p: &Probe) -> Observed {
    let out = p.output();
    let line = |word: &str| {
        out.lines()
            .find(|l| l.contains(word))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let unable = line("Unable to find image");
    let pulling = line("Pulling from");
    seen(
        !unable.is_empty() && !pulling.is_empty(),
        format!("{:?}, then {:?}", unable, pulling),
    )
}

fn shell_is_root(p: &Probe) -> Observed {
    let Some(c) = p.container_of("continuumio/anaconda3") else {
        return seen(false, "no running container of continuumio/anaconda3");
    };
    let (uid, gid) = (p.exec(&c, &["id", "-u"]), p.exec(&c, &["id", "-g"]));
    let configured = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            "continuumio/anaconda3",
        ])
        .stdout;
    seen(
        uid.stdout == "0" && gid.stdout == "0",
        format!(
            "id -u: {}, id -g: {} (the image's configured user: {:?})",
            uid.stdout, gid.stdout, configured
        ),
    )
}

/// What only anaconda3's own conda environment could show: the stand-in's conda says nothing of it.
fn conda_only(p: &Probe, command: &str) -> Observed {
    Observed::NotCheckable(format!(
        "only the official image's conda environment could show it; `{command}` here ran the stand-in's conda script (exit {:?})",
        p.exit()
    ))
}

fn needs_allow_root(p: &Probe) -> Observed {
    let Some(c) = p.container_of("continuumio/anaconda3") else {
        return seen(false, "no running container of continuumio/anaconda3");
    };
    // A second server, on another port, only to see it refuse; it changes nothing of the first.
    let refused = p.exec(
        &c,
        &[
            "timeout",
            "60",
            "jupyter-lab",
            "--ip=*",
            "--no-browser",
            "--port=8899",
        ],
    );
    let said = format!("{}{}", refused.stdout, refused.stderr);
    let why = said
        .lines()
        .rev()
        .find(|l| l.contains("root"))
        .unwrap_or("")
        .trim()
        .to_string();
    seen(
        !refused.ok() && said.contains("--allow-root"),
        format!("as root without --allow-root: exit {}: {why}", refused.code),
    )
}

fn server_owner(p: &Probe, image: &str, user: &str) -> Observed {
    let Some(c) = p.container_of(image) else {
        return seen(false, format!("no running container of {image}"));
    };
    let (who, waited) = p.within(READY, || {
        Some(p.exec(&c, &["sh", "-c", super::SERVER_OWNER]).stdout).filter(|w| !w.trim().is_empty())
    });
    let who = who.unwrap_or_default();
    seen(
        who.lines().any(|l| l.trim() == user),
        format!(
            "owner of the jupyter-lab process in {image}: {:?} (asked for {:.1}s)",
            who.trim(),
            waited.as_secs_f64()
        ),
    )
}

fn gone(p: &Probe, image: &str) -> Observed {
    let listing = || {
        p.docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("ancestor={image}"),
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .stdout
    };
    let mut listed = String::new();
    let (left, waited) = p.within(Duration::from_secs(15), || {
        listed = listing();
        listed.is_empty().then_some(())
    });
    seen(
        left.is_some(),
        format!(
            "docker ps -a, containers of {image}, {:.1}s after it stopped: {}",
            waited.as_secs_f64(),
            if listed.is_empty() { "none" } else { &listed }
        ),
    )
}

fn runtime_files(p: &Probe) -> Observed {
    let Some(c) = p.container_of("jupyter/datascience-notebook") else {
        return seen(
            false,
            "no running container of jupyter/datascience-notebook",
        );
    };
    let dir = "/home/jovyan/.local/share/jupyter/runtime/";
    let listing = p.exec(&c, &["ls", dir]);
    let servers = listing
        .stdout
        .lines()
        .filter(|l| l.starts_with("jpserver-"))
        .count();
    seen(
        listing.ok() && servers > 0,
        format!(
            "ls {dir}: exit {}, {servers} jpserver-* files",
            listing.code
        ),
    )
}

/// The top of the server's file browser (its contents API), with the token from the log.
fn top_folder(p: &Probe) -> Option<Vec<String>> {
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

fn file_browser_shows(p: &Probe, names: &[&str]) -> Observed {
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

fn kernels(p: &Probe) -> Observed {
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
fn geopandas(p: &Probe) -> Observed {
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

fn exposed(p: &Probe) -> Observed {
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

fn start_sh(p: &Probe) -> Observed {
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

fn cached(p: &Probe) -> Observed {
    let (cached, total) = super::cached_run_steps(&p.output());
    seen(
        p.exit() == Some(0) && total >= 2 && cached == total,
        format!(
            "exit {:?}; {cached} of {total} RUN steps came from the build cache",
            p.exit()
        ),
    )
}

fn work_holds(p: &Probe) -> Observed {
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

fn serves_from_work(p: &Probe) -> Observed {
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

fn same_work_folder(p: &Probe) -> Observed {
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

fn can_save(p: &Probe) -> Observed {
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
