//! Article 1, "How to Set Up Jupyter with Docker" (jupyter-docker-setup-guide).
//! The literal mode is the article replayed from its Markdown in the sandbox (`literal.rs` holds
//! its claims, keyed to the steps they follow); the sections below are the corrected recipe.
//! No registry can be reached here, so the images it pulls are played by stand-ins: the sandbox's
//! anaconda3 stand-in (root, tini then bash, by its own configuration) for `continuumio/anaconda3`,
//! the project's Jupyter base as is (jovyan) for `jupyter/datascience-notebook`. What only the official images could show (conda's output,
//! the Julia and R kernels, a pull) is reported as not checkable here, never faked.
//! Its errata: `WORKDIR /work` is a new folder, not the stacks' `work` folder; the root-owned
//! `COPY . /work` leaves the notebook user unable to write there (article 2's PermissionError),
//! which the corrected mode fixes with `COPY --chown=$NB_UID:$NB_GID`; today's stacks images log
//! `start-notebook.py`, not `jupyter lab`.

mod literal;

use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::session::Session;
use super::steps::{self, wait_url};
use super::Section;
use crate::engine::resources::Resource;
use crate::engine::{wait, BuildSpec, RunSpec};
use crate::jupyter::url::{ServerUrl, Token};

pub const SECTIONS: &[Section] = &[
    Section {
        name: "Anaconda base image",
        run: anaconda,
    },
    Section {
        name: "Jupyter Docker Stacks image",
        run: stacks,
    },
    Section {
        name: "Own image from a Dockerfile",
        run: own_image,
    },
    Section {
        name: "Image with pre-loaded files",
        run: preload,
    },
];

const NO_REGISTRY: &str =
    "no container registry can be reached from this engine, so the official image cannot be had";

/// How long a server may take to print its URL.
const URL_WAIT: Duration = Duration::from_secs(90);

/// Who owns the jupyter-lab process in a container (one user name per line).
/// Who owns the jupyter-lab process. The pattern cannot match this script's own command line
/// (`l[a]b`), and the loop ends with `true`: the last /proc entry not matching is no failure.
const SERVER_OWNER: &str = "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'bin/jupyter-l[a]b' && stat -c %U $p; done; true";

fn base(s: &Session) -> Result<String> {
    crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)
}

/// The anaconda3 stand-in the sandbox serves, built here on the base (it runs as root by its own USER).
fn anaconda_stand_in(s: &Session) -> Result<String> {
    let base = base(s)?;
    crate::images::sandbox::anaconda_stand_in(&s.docker, &base)
}

/// The article's `docker run -it --rm -p 8888:8888 IMAGE`, detached with a terminal (there is none
/// here to attach), on the section's container name.
fn run_server(s: &mut Session, image: &str) -> Result<String> {
    let name = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &name, &["-t", "--rm"]))?;
    Ok(name)
}

/// The server's log so far (`docker logs`), for [`wait_url`].
fn log_of(s: &Session, container: &str) -> impl FnMut() -> String {
    let (docker, container) = (s.docker.clone(), container.to_string());
    move || docker.logs_since(&container, "0").unwrap_or_default()
}

/// The token URL claim and the token claim for a running server.
fn server_claims(
    s: &mut Session,
    container: &str,
    url: Option<&ServerUrl>,
    log: &str,
) -> Result<Option<(u16, String)>> {
    let hex48 = url.is_some_and(|u| matches!(&u.token, Token::Hex(t) if t.len() == 48));
    let shown = url.map(|u| {
        format!(
            "{}://{}:{}{}?token=<{} hex>",
            u.scheme,
            u.host,
            u.port.unwrap_or(0),
            u.path,
            u.token().map(str::len).unwrap_or(0)
        )
    });
    s.claim(
        "the log prints http://127.0.0.1:8888/lab?token=<48 hex>",
        hex48 && url.is_some_and(|u| u.path == "/lab" && u.port == Some(8888)),
        true,
        shown.unwrap_or_else(|| format!("no URL in the log ({} lines)", log.lines().count())),
    );
    let Some(token) = url.and_then(|u| u.token()).map(str::to_string) else {
        return Ok(None);
    };
    let port = s.docker.published_port(container, 8888)?.1;
    let get = |path: &str, token: Option<&str>| {
        crate::jupyter::http::get_status(port, path, token, Duration::from_secs(5)).ok()
    };
    let with = get("/api/status", Some(&token));
    let lab = get("/lab", None);
    let without = get("/api/status", None);
    s.claim(
        "token authentication is on: the URL with the token opens the server, /lab without it lands on the login page",
        with == Some(200) && lab == Some(302) && without == Some(403),
        true,
        format!("on 127.0.0.1:{port}: /api/status with the token {with:?}, without {without:?}; /lab without the token {lab:?} (a redirect to /login)"),
    );
    Ok(Some((port, token)))
}

/// `docker stop` (the article's Ctrl+C) and the `--rm` claim.
fn stop_removes(s: &mut Session, container: &str) -> Result<()> {
    s.cmd_ok(&format!("docker stop {container}"))?;
    wait::gone(&s.docker, container, Duration::from_secs(15));
    let listed = s.cmd_ok(&format!(
        "docker ps -a --filter 'name=^{container}$' --format '{{{{.Names}}}}'"
    ))?;
    s.forget(&Resource::Container(container.to_string()));
    s.claim(
        "a `--rm` container is gone once it stops (`docker ps -a` does not list it)",
        listed.is_empty(),
        true,
        format!(
            "docker ps -a: {}",
            if listed.is_empty() {
                "nothing"
            } else {
                &listed
            }
        ),
    );
    Ok(())
}

fn anaconda(s: &mut Session) -> Result<()> {
    let image = anaconda_stand_in(s)?;
    s.not_checkable(
        "`docker pull continuumio/anaconda3` fetches the tag latest",
        NO_REGISTRY,
    );
    s.note(&format!("continuumio/anaconda3 is played by the stand-in {image}: the project's Jupyter base configured as anaconda3 is (USER root, tini then bash), with a conda stand-in script"));
    let c = s.names.container.clone();
    // No --user or --entrypoint here: who the shell runs as is the image's own configuration.
    s.run_ok(&steps::jupyter(&image, &c, &["-it", "--rm"]))?;
    let id = s.cmd(&format!("docker exec {c} id -u"))?;
    let gid = s.cmd(&format!("docker exec {c} id -g"))?;
    let configured = s
        .docker
        .probe([
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            image.as_str(),
        ])
        .unwrap_or_default();
    s.claim(
        "the container's shell runs as root (UID:GID 0:0)",
        id.output.trim() == "0" && gid.output.trim() == "0",
        true,
        format!(
            "id -u: {}, id -g: {} (the stand-in's configured user: {:?})",
            id.output.trim(),
            gid.output.trim(),
            configured.trim()
        ),
    );
    let conda = s.cmd(&format!("docker exec {c} conda info"))?;
    let answered = if conda.ok() {
        "the stand-in's conda script answered, which says nothing of anaconda3's environment"
            .to_string()
    } else {
        format!("`conda info` exit {}", conda.exit)
    };
    s.not_checkable(
        "`conda info` shows the active environment base in /opt/conda, UID:GID 0:0",
        &format!("{NO_REGISTRY}; {answered}"),
    );
    s.not_checkable(
        "`conda list` already lists jupyterlab, pandas, numpy and matplotlib",
        "only continuumio/anaconda3's own conda environment could show it",
    );

    // Without --allow-root the server refuses to run as root: why the article passes it.
    let refused = s.cmd(&format!(
        "docker exec {c} timeout 60 jupyter-lab '--ip=*' --no-browser"
    ))?;
    s.claim(
        "as root, jupyter-lab needs --allow-root",
        !refused.ok() && refused.output.contains("--allow-root"),
        true,
        format!(
            "without it: exit {}: {}",
            refused.exit,
            refused
                .output
                .lines()
                .rev()
                .find(|l| l.contains("root"))
                .unwrap_or("")
                .trim()
        ),
    );
    s.note("the server's log goes to /tmp/jupyter.log, since `docker exec -d` has no terminal to print to");
    s.cmd_ok(&format!(r#"docker exec -d {c} sh -c 'jupyter-lab --ip="*" --no-browser --allow-root > /tmp/jupyter.log 2>&1'"#))?;
    let docker = s.docker.clone();
    let (url, log) = wait_url(URL_WAIT, || {
        docker
            .probe(["exec", c.as_str(), "cat", "/tmp/jupyter.log"])
            .unwrap_or_default()
    });
    s.cmd(&format!("docker exec {c} tail -n 8 /tmp/jupyter.log"))?;
    server_claims(s, &c, url.as_ref(), &log)?;
    let who = s
        .docker
        .probe(["exec", c.as_str(), "sh", "-c", SERVER_OWNER])
        .unwrap_or_default();
    s.claim(
        "the server runs as root",
        who.lines().any(|l| l.trim() == "root"),
        true,
        format!("owner of the jupyter-lab process: {}", who.trim()),
    );
    stop_removes(s, &c)
}

fn stacks(s: &mut Session) -> Result<()> {
    let image = base(s)?;
    s.not_checkable("`docker run` of an image that is not local pulls it first (`Unable to find image ... locally`)", NO_REGISTRY);
    s.note(&format!("jupyter/datascience-notebook is played by the project's base image {image}, which keeps the stacks' contract (jovyan, start.sh, JupyterLab started by itself)"));
    let c = run_server(s, &image)?;
    let (url, log) = wait_url(URL_WAIT, log_of(s, &c));
    s.cmd(&format!("docker logs --tail 8 {c}"))?;
    server_claims(s, &c, url.as_ref(), &log)?;
    let who = s.cmd(&format!("docker exec {c} whoami"))?;
    s.claim(
        "the stacks container runs as jovyan",
        who.output.trim() == "jovyan",
        true,
        format!("whoami: {}", who.output.trim()),
    );
    let runtime = s
        .docker
        .probe([
            "exec",
            c.as_str(),
            "sh",
            "-c",
            "ls /home/jovyan/.local/share/jupyter/runtime/",
        ])
        .unwrap_or_default();
    s.claim(
        "its runtime files live under /home/jovyan/.local/share/jupyter/runtime/",
        runtime.lines().any(|l| l.starts_with("jpserver-")),
        true,
        format!("runtime folder: {}", runtime.replace('\n', " ")),
    );
    let home = s.cmd(&format!("docker exec {c} ls /home/jovyan"))?;
    s.claim(
        "the file browser shows a `work` folder (/home/jovyan/work)",
        home.output.lines().any(|l| l.trim() == "work"),
        true,
        format!("ls /home/jovyan: {}", home.output.trim().replace('\n', " ")),
    );
    let kernels = s
        .docker
        .probe(["exec", c.as_str(), "jupyter", "kernelspec", "list"])
        .unwrap_or_default();
    s.not_checkable(
        "the image carries Julia, Python and R kernels",
        &format!(
            "only jupyter/datascience-notebook has them; the stand-in's kernels: {}",
            kernels
                .lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().next())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    stop_removes(s, &c)
}

/// The article's first Dockerfile: the `:preload` recipe without the appended WORKDIR/COPY block.
fn first_dockerfile() -> Result<String> {
    let preload =
        std::fs::read_to_string(crate::paths::docker_dir().join("series/preload.Dockerfile"))
            .context("reading preload.Dockerfile")?;
    let end = preload
        .find("\nWORKDIR /work")
        .context("preload.Dockerfile has no `WORKDIR /work` line")?;
    Ok(format!("{}\n", &preload[..end]))
}

/// `docker build -t TAG .` in the section's project folder, with the project's labels.
fn build_here(s: &mut Session, dockerfile: &str, tag: &str) -> Result<String> {
    let dir = s.project.path().to_path_buf();
    std::fs::write(dir.join("Dockerfile"), dockerfile)?;
    if !dir.join("computation.ipynb").exists() {
        std::fs::copy(
            crate::paths::notebooks_dir().join("computation.ipynb"),
            dir.join("computation.ipynb"),
        )?;
    }
    let base = base(s)?;
    let ran = s.build(&BuildSpec::new(&dir, tag).arg("BASE_IMAGE", &base))?;
    if !ran.ok() {
        bail!(
            "building {tag} failed: {}",
            crate::engine::last_message(&ran.output)
        );
    }
    Ok(ran.output)
}

/// `(RUN steps answered from the cache, RUN steps)` in a build's output: the legacy builder's
/// (`Step 3/7 : RUN ...` then ` ---> Using cache`) or BuildKit's plain progress (`#6 [2/3] RUN ...`
/// then `#6 CACHED`, or `=> CACHED [2/3] RUN ...` on a terminal).
pub fn cached_run_steps(output: &str) -> (usize, usize) {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let mut cached = 0;
    let mut total = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("Step ") && line.contains(" : RUN ") {
            total += 1;
            let next = lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_with("Step "))
                .any(|l| l.contains("Using cache"));
            cached += usize::from(next);
        } else if let Some(rest) = line.strip_prefix("=> ") {
            let (hit, step) = rest
                .strip_prefix("CACHED ")
                .map_or((false, rest), |r| (true, r));
            if is_buildkit_run(step) {
                total += 1;
                cached += usize::from(hit);
            }
        } else if let Some((id, step)) = line.strip_prefix('#').and_then(|l| l.split_once(' ')) {
            if is_buildkit_run(step) {
                total += 1;
                let hit = format!("#{id} CACHED");
                cached += usize::from(lines[i + 1..].iter().any(|l| *l == hit));
            }
        }
    }
    (cached, total)
}

/// `[2/3] RUN ...`: a RUN step of the Dockerfile in BuildKit's progress.
fn is_buildkit_run(step: &str) -> bool {
    step.starts_with('[')
        && step
            .split_once("] ")
            .is_some_and(|(_, s)| s.starts_with("RUN "))
}

fn own_image(s: &mut Session) -> Result<()> {
    let tag = s.name("image", "custom-jupyter-image");
    build_here(s, &first_dockerfile()?, &tag)?;
    let check = s.run(&RunSpec::new(&tag).rm().command(&["python", "-c", "import geopandas; from osgeo import gdal; print('geopandas', geopandas.__version__, 'gdal', gdal.__version__)"]))?;
    s.claim(
        "in custom-jupyter-image, geopandas imports and GDAL is present",
        check.ok() && check.output.lines().any(|l| l.starts_with("geopandas ")),
        true,
        check.output.lines().last().unwrap_or("").trim().to_string(),
    );
    // Only the official base's own conda can answer; the stand-in base has none.
    let conda = s
        .docker
        .run(
            &RunSpec::new(&tag)
                .rm()
                .entrypoint("conda")
                .command(&["list"]),
        )
        .ok();
    match conda {
        Some(list) => {
            let listed: Vec<&str> = list.lines().filter(|l| l.starts_with("geopandas ") || l.starts_with("gdal ")).collect();
            s.claim(
                "`conda list` in its terminal shows geopandas and gdal",
                listed.iter().any(|l| l.starts_with("geopandas ")) && listed.iter().any(|l| l.starts_with("gdal ")),
                true,
                format!("conda list: {}", if listed.is_empty() { "neither listed".to_string() } else { listed.iter().map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("; ") }),
            )
        }
        None => s.not_checkable("`conda list` in its terminal shows geopandas and gdal", "the offline stand-in has no conda (GDAL comes from Debian's python3-gdal there); only the official base image could show it"),
    }
    let exposed = s.cmd_ok(&format!(
        "docker image inspect --format '{{{{json .Config.ExposedPorts}}}}' {tag}"
    ))?;
    s.claim(
        "EXPOSE 8888 records the port in the image (ExposedPorts), publishing still needs -p",
        exposed.contains("8888/tcp"),
        true,
        format!("ExposedPorts: {exposed}"),
    );

    let c = run_server(s, &tag)?;
    let (url, log) = wait_url(URL_WAIT, log_of(s, &c));
    s.cmd(&format!("docker logs --tail 8 {c}"))?;
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Entered start.sh") || l.contains("Executing the command"))
        .collect();
    s.claim(
        "the container logs `Entered start.sh with args: jupyter lab` and `Executing the command: jupyter lab` first",
        lines.len() == 2 && lines.iter().all(|l| l.trim_end().ends_with("jupyter lab")),
        false,
        format!("{} (today's stacks images start start-notebook.py, which runs `jupyter lab`)", lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join("; ")),
    );
    server_claims(s, &c, url.as_ref(), &log)?;
    stop_removes(s, &c)
}

fn preload(s: &mut Session) -> Result<()> {
    // First the article's first image, so the rebuild can show the cache.
    let first = s.name("image", "custom-jupyter-image");
    build_here(s, &first_dockerfile()?, &first)?;
    s.note("corrected: the appended COPY is `COPY --chown=$NB_UID:$NB_GID . /work` (the recipe of custom-jupyter-image:named-volume), so the notebook user owns /work");
    let dockerfile = std::fs::read_to_string(
        crate::paths::docker_dir()
            .join("series")
            .join("named-volume.Dockerfile"),
    )?;
    let tag = s.name("image", "custom-jupyter-image:preload");
    let output = build_here(s, &dockerfile, &tag)?;
    let (cached, total) = cached_run_steps(&output);
    s.claim(
        "the rebuild after appending WORKDIR/COPY reuses the cached package layers",
        total >= 2 && cached == total,
        true,
        format!("{cached} of {total} RUN steps came from the build cache"),
    );

    let c = run_server(s, &tag)?;
    let (url, log) = wait_url(URL_WAIT, log_of(s, &c));
    let listing = s.cmd(&format!("docker exec {c} ls -l /work"))?;
    let has = |f: &str| {
        listing
            .output
            .lines()
            .any(|l| l.ends_with(&format!(" {f}")))
    };
    s.claim(
        "/work holds computation.ipynb and the Dockerfile",
        has("computation.ipynb") && has("Dockerfile"),
        true,
        listing.output.trim().replace('\n', "; "),
    );
    let pwd = s.cmd(&format!("docker exec {c} pwd"))?;
    let served = match server_claims(s, &c, url.as_ref(), &log)? {
        Some((port, token)) => crate::jupyter::http::get_status(
            port,
            "/api/contents/computation.ipynb",
            Some(&token),
            Duration::from_secs(5),
        )
        .ok(),
        None => None,
    };
    s.claim(
        "the working directory is /work and the server serves from it",
        pwd.output.trim() == "/work" && served == Some(200),
        true,
        format!(
            "pwd: {}; /api/contents/computation.ipynb: {served:?}",
            pwd.output.trim()
        ),
    );
    let stacks_work = s
        .docker
        .probe(["exec", c.as_str(), "ls", "-A", "/home/jovyan/work"]);
    s.claim(
        "WORKDIR /work is the `work` folder seen in the earlier sections",
        pwd.output.trim() == "/home/jovyan/work",
        false,
        format!("/work is a new folder at the root; the stacks' work folder is /home/jovyan/work, still there ({})", match &stacks_work { Some(t) if t.is_empty() => "empty".to_string(), Some(t) => t.replace('\n', " "), None => "missing".into() }),
    );
    let owners = s
        .docker
        .probe([
            "exec",
            c.as_str(),
            "stat",
            "-c",
            "%U:%G %n",
            "/work",
            "/work/computation.ipynb",
        ])
        .unwrap_or_default();
    let writes = s.cmd(&format!("docker exec {c} touch /work/computation.ipynb"))?;
    s.claim(
        "the notebook user can save the notebook copied into /work",
        writes.ok(),
        true,
        format!(
            "{}; touch /work/computation.ipynb as jovyan: {}",
            owners.replace('\n', ", "),
            if writes.ok() {
                "ok".to_string()
            } else {
                writes.output.trim().to_string()
            }
        ),
    );
    stop_removes(s, &c)
}

/// The literal mode: the article replayed from its Markdown, with these claims at their steps.
pub const LITERAL_CLAIMS: &[super::markdown::claims::ClaimCheck] = literal::CLAIMS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_hits_are_counted_per_run_step() {
        let out = "Step 1/7 : ARG BASE_IMAGE=x\nStep 2/7 : FROM ${BASE_IMAGE}\n ---> 1234\nStep 3/7 : RUN pip install geopandas\n ---> Using cache\n ---> abcd\nStep 4/7 : RUN conda install gdal\n ---> Running in 99\nStep 5/7 : EXPOSE 8888\n ---> Using cache\n";
        assert_eq!(cached_run_steps(out), (1, 2));
        assert_eq!(cached_run_steps(""), (0, 0));
        let plain = "#5 [1/3] FROM docker.io/x\n#6 [2/3] RUN pip install geopandas\n#6 CACHED\n#7 [3/3] RUN conda install gdal\n#7 0.4 Collecting\n#7 DONE 2.1s\n";
        assert_eq!(cached_run_steps(plain), (1, 2));
        let tty = " => CACHED [2/3] RUN pip install geopandas\n => [3/3] RUN conda install gdal   2.1s\n => [internal] load metadata\n";
        assert_eq!(cached_run_steps(tty), (1, 2));
    }

    #[test]
    fn the_first_dockerfile_is_preload_without_its_last_block() {
        let first = first_dockerfile().unwrap();
        assert!(first.contains("RUN pip install geopandas") && first.contains("EXPOSE 8888"));
        assert!(
            !first
                .lines()
                .any(|l| l.starts_with("WORKDIR") || l.starts_with("COPY")),
            "{first}"
        );
    }
}
