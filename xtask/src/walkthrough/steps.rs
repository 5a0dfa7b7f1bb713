//! Steps the articles share: the series' images, the Jupyter container, the notebook's Run All,
//! volumes made (never adopted), and waiting for the server's URL.

use std::time::Duration;

use anyhow::{bail, Result};

use super::session::{Ran, Session};
use crate::engine::{wait, Created, Publish, RunSpec};
use crate::jupyter::url::{find_url, ServerUrl};

/// `docker build -t TAG .` of one of the series' images, as `cargo xtask build` makes it (in one
/// commit; skipped when its recipe is unchanged).
pub fn build_series_image(s: &mut Session, tag: &str) -> Result<()> {
    s.say(&format!(
        "$ docker build -t {tag} .    # via `cargo xtask build` (the Dockerfile's result in one commit), with the project's labels"
    ));
    let image = crate::images::series::find(tag)?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;
    crate::images::series::ensure_image(&s.sh, image, &base, false)?;
    s.say(&format!("   {tag} is built (from {base})"));
    Ok(())
}

/// The builder's cache of one of the series' Dockerfiles, for a section that replays the article's
/// own `docker build`: the series' images are made in one commit, which leaves nothing cached, so
/// the Dockerfile is built once with `docker build` under a tag of the project's own (kept, and
/// rebuilt only when its recipe changes), as a person's earlier build of it would have left it.
pub fn dockerfile_cache(s: &mut Session, tag: &str) -> Result<()> {
    let image = crate::images::series::find(tag)?;
    let base = crate::images::base::ensure(&s.sh, crate::images::base::Source::Auto, false, false)?;
    let held = crate::images::series::ensure_dockerfile_build(&s.sh, image, &base)?;
    s.say(&format!(
        "$ docker build -t {held} .    # {}'s Dockerfile, once, so that the article's build finds its steps cached",
        image.dockerfile
    ));
    Ok(())
}

/// The series' Jupyter container, detached: `docker run -d FLAGS --name NAME ... -p 127.0.0.1::8888 IMAGE`.
/// `flags` are the article's, as it writes them (`-it` becomes `-t`: there is no terminal here to
/// attach); the port goes on 127.0.0.1 with a free host port, never on every interface. Add what
/// a stand-in needs (`.user`, `.entrypoint`, `.command`) and start it with [`Session::run_ok`],
/// which removes it at the end of the section unless `--keep`.
pub fn jupyter(image: &str, name: &str, flags: &[&str]) -> RunSpec {
    RunSpec::detached(image, name)
        .raw(flags)
        .publish(Publish::loopback(None, 8888))
}

/// Executes the notebook inside the container, as pressing Run All in JupyterLab would.
pub fn execute_notebook(s: &mut Session, container: &str) -> Result<Ran> {
    s.cmd(&format!("docker exec {container} jupyter nbconvert --to notebook --execute computation.ipynb --output-dir /tmp/executed"))
}

/// `docker volume create NAME`, with the project's labels; removed at the end unless `--keep`.
/// A volume of that name this walkthrough did not make (a person's, or one that appeared after
/// the names were picked) is never adopted: the section fails and the volume is left alone.
pub fn create_volume(s: &mut Session, name: &str) -> Result<()> {
    let created = s.docker.create_volume(name, &[])?;
    if created == Created::Existed {
        bail!(not_made_here("volume", name));
    }
    s.made_volume(name);
    s.record(
        &format!("docker volume create {name}    # with the project's labels"),
        &format!("{name}\n"),
        0,
    );
    Ok(())
}

/// Why a section stops rather than use a volume (or network) it found.
fn not_made_here(kind: &str, name: &str) -> String {
    format!(
        "{kind} {name} exists and was not made by this walkthrough: it is left alone; run the walkthrough again (a taken name gets another) or, if what it holds may go, remove it with `docker {kind} rm {name}`"
    )
}

/// Polls `read` (a server's log) until a URL shows in it or `limit` passes: the URL, and the text last read.
pub fn wait_url(limit: Duration, mut read: impl FnMut() -> String) -> (Option<ServerUrl>, String) {
    let mut log = String::new();
    let mut url = None;
    wait::poll(limit, Duration::from_millis(250), || {
        log = read();
        url = find_url(&log);
        url.is_some()
    });
    (url, log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jupyter_container_keeps_the_articles_flags_in_its_order() {
        let spec = jupyter(
            "custom-jupyter-image:anon-volume",
            "c",
            &["-v", "/project/outputs", "-t"],
        );
        assert_eq!(spec.args(&[]).unwrap().join(" "), "run -d -v /project/outputs -t --name c -p 127.0.0.1::8888 custom-jupyter-image:anon-volume");
        let root = jupyter("base", "c", &["-it", "--rm"])
            .user("root")
            .entrypoint("bash");
        assert_eq!(
            root.args(&[]).unwrap().join(" "),
            "run -d -it --rm --name c -p 127.0.0.1::8888 --user root --entrypoint bash base"
        );
    }

    #[test]
    fn a_volume_found_is_left_alone_with_a_way_out() {
        let line = not_made_here("volume", "named-data-volume");
        assert!(line.starts_with("volume named-data-volume exists and was not made by this walkthrough: it is left alone;"), "{line}");
        assert!(
            line.contains("docker volume rm named-data-volume"),
            "{line}"
        );
    }

    #[test]
    fn waits_for_the_url_in_the_log() {
        let mut reads = 0;
        let (url, log) = wait_url(Duration::from_secs(5), || {
            reads += 1;
            if reads < 2 {
                "starting".into()
            } else {
                "    http://127.0.0.1:8888/lab?token=0123456789abcdef0123456789abcdef0123456789abcdef\n".into()
            }
        });
        assert_eq!(url.map(|u| u.port), Some(Some(8888)));
        assert!(log.contains("token="));
        let (none, last) = wait_url(Duration::from_millis(10), || "nothing yet".into());
        assert!(none.is_none() && last == "nothing yet");
    }
}
