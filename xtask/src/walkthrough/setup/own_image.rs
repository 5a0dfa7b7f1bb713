//! Article 1's sections on an own image from a Dockerfile and an image with pre-loaded files, as
//! corrected, and what a build's output says of its cache.

use anyhow::{bail, Context, Result};

use super::{base, log_of, run_server, server_claims, stop_removes, URL_WAIT};
use crate::engine::{BuildSpec, RunSpec};
use crate::jupyter::url::ServerUrl;
use crate::walkthrough::session::Session;
use crate::walkthrough::steps::wait_url;

/// The article's first Dockerfile: the `:preload` recipe without the appended WORKDIR/COPY block.
pub(super) fn first_dockerfile() -> Result<String> {
    let preload =
        std::fs::read_to_string(crate::paths::docker_dir().join("series/preload.Dockerfile"))
            .context("reading preload.Dockerfile")?;
    let end = preload
        .find("\nWORKDIR /work")
        .context("preload.Dockerfile has no `WORKDIR /work` line")?;
    Ok(format!("{}\n", &preload[..end]))
}

/// `docker build -t TAG .` in the section's project folder, with the project's labels.
pub(super) fn build_here(s: &mut Session, dockerfile: &str, tag: &str) -> Result<String> {
    // Both Dockerfiles of this article begin as named-volume's: its steps are cached from there.
    super::super::steps::dockerfile_cache(s, "custom-jupyter-image:named-volume")?;
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
pub(super) fn is_buildkit_run(step: &str) -> bool {
    step.starts_with('[')
        && step
            .split_once("] ")
            .is_some_and(|(_, s)| s.starts_with("RUN "))
}

pub(super) fn own_image(s: &mut Session) -> Result<()> {
    let tag = s.name("image", "custom-jupyter-image");
    build_here(s, &first_dockerfile()?, &tag)?;
    let check = s.run(&RunSpec::new(&tag).rm().command(&["python", "-c", "import geopandas; from osgeo import gdal; print('geopandas', geopandas.__version__, 'gdal', gdal.__version__)"]))?;
    s.claim(
        "geopandas-gdal",
        check.ok() && check.output.lines().any(|l| l.starts_with("geopandas ")),
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
            s.claim("conda-list-geopandas",
                listed.iter().any(|l| l.starts_with("geopandas ")) && listed.iter().any(|l| l.starts_with("gdal ")),
                format!("conda list: {}", if listed.is_empty() { "neither listed".to_string() } else { listed.iter().map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("; ") }))
        }
        None => s.not_checkable("conda-list-geopandas", "the offline stand-in has no conda (GDAL comes from Debian's python3-gdal there); only the official base image could show it"),
    }
    let exposed = s.cmd_ok(&format!(
        "docker image inspect --format '{{{{json .Config.ExposedPorts}}}}' {tag}"
    ))?;
    s.claim(
        "expose-records-port",
        exposed.contains("8888/tcp"),
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
        "start-sh-jupyter-lab",
        lines.len() == 2 && lines.iter().all(|l| l.trim_end().ends_with("jupyter lab")),
        format!(
            "{} (today's stacks images start start-notebook.py, which runs `jupyter lab`)",
            lines
                .iter()
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    );
    server_claims(s, &c, url.as_ref(), &log)?;
    stop_removes(s, &c)
}

pub(super) fn preload(s: &mut Session) -> Result<()> {
    let tag = rebuild_with_the_files(s)?;
    let c = run_server(s, &tag)?;
    let (url, log) = wait_url(URL_WAIT, log_of(s, &c));
    work_holds_the_files(s, &c)?;
    served_from_work(s, &c, url.as_ref(), &log)?;
    the_notebook_user_can_save(s, &c)?;
    stop_removes(s, &c)
}

/// The article's first image, then the one with the files appended: the rebuild shows the cache.
fn rebuild_with_the_files(s: &mut Session) -> Result<String> {
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
        "rebuild-cached",
        total >= 2 && cached == total,
        format!("{cached} of {total} RUN steps came from the build cache"),
    );
    Ok(tag)
}

/// `ls -l /work`: the notebook and the Dockerfile were copied in.
fn work_holds_the_files(s: &mut Session, c: &str) -> Result<()> {
    let listing = s.cmd(&format!("docker exec {c} ls -l /work"))?;
    let has = |f: &str| {
        listing
            .output
            .lines()
            .any(|l| l.ends_with(&format!(" {f}")))
    };
    s.claim(
        "work-holds-files",
        has("computation.ipynb") && has("Dockerfile"),
        listing.output.trim().replace('\n', "; "),
    );
    Ok(())
}

/// The working directory is /work, the server serves the notebook from it, and it is not the
/// stacks' `work` folder.
fn served_from_work(s: &mut Session, c: &str, url: Option<&ServerUrl>, log: &str) -> Result<()> {
    let pwd = s.cmd(&format!("docker exec {c} pwd"))?;
    let served = match server_claims(s, c, url, log)? {
        Some((port, token)) => crate::jupyter::http::status_for_claim(
            port,
            "/api/contents/computation.ipynb",
            Some(&token),
        ),
        None => None,
    };
    s.claim(
        "serves-from-work",
        pwd.output.trim() == "/work" && served == Some(200),
        format!(
            "pwd: {}; /api/contents/computation.ipynb: {served:?}",
            pwd.output.trim()
        ),
    );
    let stacks_work = s.docker.probe(["exec", c, "ls", "-A", "/home/jovyan/work"]);
    s.claim("same-work-folder",
        pwd.output.trim() == "/home/jovyan/work",
        format!("/work is a new folder at the root; the stacks' work folder is /home/jovyan/work, still there ({})", match &stacks_work { Some(t) if t.is_empty() => "empty".to_string(), Some(t) => t.replace('\n', " "), None => "missing".into() }));
    Ok(())
}

/// The notebook copied into /work, its owner, and whether the notebook user can write it.
fn the_notebook_user_can_save(s: &mut Session, c: &str) -> Result<()> {
    let owners = s
        .docker
        .probe([
            "exec",
            c,
            "stat",
            "-c",
            "%U:%G %n",
            "/work",
            "/work/computation.ipynb",
        ])
        .unwrap_or_default();
    let writes = s.cmd(&format!("docker exec {c} touch /work/computation.ipynb"))?;
    s.claim(
        "can-save",
        writes.ok(),
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
    Ok(())
}

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
