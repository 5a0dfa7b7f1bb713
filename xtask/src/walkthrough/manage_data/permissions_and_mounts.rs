//! Article 2's sections on fixing file permissions, named volumes and bind mounts, as corrected.

use crate::engine::names::is_full_id;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::{HostFile, APPEND, CSV, NB_GID, NB_UID, OUTPUTS};
use crate::engine::resources::Resource;
use crate::engine::{Mount, RunSpec};
use crate::walkthrough::session::Session;
use crate::walkthrough::steps::{self, execute_notebook};

pub(super) fn fixing_permissions(s: &mut Session) -> Result<()> {
    let image = "custom-jupyter-image:anon-volume-chown";
    s.note("the article rebuilds the --chown Dockerfile under the tag anon-volume; the project tags it anon-volume-chown so both forms exist side by side");
    steps::build_series_image(s, image)?;
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(image, &c, &["-v", OUTPUTS, "-t"]))?;
    claim_jovyan_owns_the_files(s, &c)?;
    let written = claim_the_cell_writes(s, &c)?;
    claim_the_data_in_the_volume(s, &c);
    claim_the_csv_survives_a_restart(s, &c, written)
}

/// With `COPY --chown`, `ls -l` and `id` show jovyan.
fn claim_jovyan_owns_the_files(s: &mut Session, c: &str) -> Result<()> {
    let listing = s.cmd(&format!("docker exec {c} ls -l"))?;
    let owned = ["computation.ipynb", "Dockerfile", "outputs"]
        .iter()
        .all(|f| {
            listing.output.lines().any(|l| {
                l.ends_with(&format!(" {f}"))
                    && l.split_whitespace().nth(2) == Some("jovyan")
                    && l.split_whitespace().nth(3) == Some("users")
            })
        });
    s.claim(
        "chown-owns-files",
        owned,
        listing.output.trim().replace('\n', "; "),
    );
    let id = s.cmd(&format!("docker exec {c} id"))?;
    let want = "uid=1000(jovyan) gid=100(users) groups=100(users)";
    s.claim(
        "id-prints-jovyan",
        id.output.lines().any(|l| l.trim() == want),
        format!("id: {}", id.output.lines().last().unwrap_or("").trim()),
    );

    Ok(())
}

/// The notebook's cell now writes its CSV; its owner and size (None: not written).
fn claim_the_cell_writes(s: &mut Session, c: &str) -> Result<Option<String>> {
    let ran = execute_notebook(s, c)?;
    let csv = format!("/work/{CSV}");
    let written = s
        .docker
        .probe(["exec", c, "stat", "-c", "%U:%G %s", csv.as_str()]);
    s.claim(
        "cell-writes-csv",
        ran.ok() && written.is_some(),
        format!(
            "nbconvert exit {}; /work/{CSV}: {}",
            ran.exit,
            written.clone().unwrap_or_else(|| "missing".into())
        ),
    );

    Ok(written)
}

/// The CSV lands in the volume on /work/outputs (the evidence says where it went otherwise).
fn claim_the_data_in_the_volume(s: &mut Session, c: &str) {
    let out = OUTPUTS;
    let in_volume = s
        .docker
        .probe(["exec", c, "ls", "-A", out])
        .unwrap_or_default();
    let reached = in_volume
        .lines()
        .any(|l| l.trim() == "Motorized-Foot-Scooter-Trips-2020.csv");
    let probe = s
        .docker
        .probe(["exec", c, "touch", format!("{out}/probe").as_str()])
        .is_some();
    let evidence = if reached {
        format!("the volume at {out} holds the CSV")
    } else {
        format!("the volume is mounted at {out}, but WORKDIR /work makes the notebook write /work/{CSV}, the container's writable layer; {out} holds [{}] and jovyan {} write there", in_volume.replace('\n', ", "), if probe { "can" } else { "cannot" })
    };
    s.claim("data-in-volume", reached, evidence);
}

/// `docker stop` and `docker start` keep the CSV (the same container, its writable layer too).
fn claim_the_csv_survives_a_restart(
    s: &mut Session,
    c: &str,
    written: Option<String>,
) -> Result<()> {
    let csv = format!("/work/{CSV}");
    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker start {c}"))?;
    let after = s
        .docker
        .probe(["exec", c, "stat", "-c", "%U:%G %s", csv.as_str()]);
    s.claim("csv-survives-restart",
        after.is_some() && after == written,
        format!("before: {written:?}; after: {after:?} (same container, so even its writable layer survives)"));
    Ok(())
}

/// Where the named-volume and bind-mount sections start: the article's named-volume image, built;
/// where the outputs volume is mounted; the section's volume.
pub(super) fn named_volume_start(s: &mut Session) -> Result<(&'static str, &'static str, String)> {
    let image = "custom-jupyter-image:named-volume";
    steps::build_series_image(s, image)?;
    Ok((image, OUTPUTS, s.names.volume.clone()))
}

pub(super) fn named_volumes(s: &mut Session) -> Result<()> {
    let (image, out, volume) = named_volume_start(s)?;
    first_mount_creates(s, image, &format!("{volume}-first-mount"), out)?;
    steps::create_volume(s, &volume)?;
    let c = s.names.container.clone();
    s.run_ok(&steps::jupyter(
        image,
        &c,
        &["-v", &format!("{volume}:{out}"), "-t"],
    ))?;
    let ran = execute_notebook(s, &c)?;
    if !ran.ok() {
        bail!(
            "the notebook failed in the named-volume container: {}",
            crate::engine::tail(&ran.output, 3)
        );
    }
    let csv = format!("/work/{CSV}");
    let sum_before = s
        .docker
        .probe(["exec", c.as_str(), "sha256sum", csv.as_str()])
        .and_then(|l| l.split_whitespace().next().map(String::from));
    s.cmd_ok(&format!("docker stop {c}"))?;
    s.cmd_ok(&format!("docker rm {c}"))?;
    s.forget(&Resource::Container(c.clone()));
    let volume_kept = s.docker.exists("volume", &volume);

    // A new container with the same volume.
    let look = format!("ls -ln {out}; sha256sum {out}/Motorized-Foot-Scooter-Trips-2020.csv; stat -c '%U:%G' {out}; touch {out}/.probe && echo writable");
    let seen = s.run(
        &RunSpec::new(image)
            .rm()
            .raw(&["-v", &format!("{volume}:{out}")])
            .command(&["sh", "-c", &look]),
    )?;
    let sum_after = seen
        .output
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|w| is_full_id(w))
        .map(String::from);
    let same = sum_before.is_some() && sum_before == sum_after;
    s.claim("named-volume-outlives-container",
        volume_kept && same,
        if same {
            format!("volume {volume} kept; the CSV's sha256 is the same in the new container ({})", sum_after.unwrap_or_default())
        } else {
            format!("volume {volume} kept: {volume_kept}, but it is mounted at {out} while the notebook wrote /work/{CSV} (sha256 {}), which went with the removed container; the new container finds no CSV in {out}", sum_before.unwrap_or_default())
        });
    let writable = seen.output.lines().any(|l| l.trim() == "writable");
    s.claim(
        "named-volume-writable",
        writable,
        format!(
            "owner of {out} in a new container: {}",
            seen.output
                .lines()
                .find(|l| l.contains(':') && !l.contains(' '))
                .unwrap_or("?")
        ),
    );
    Ok(())
}

/// The article: a named volume is made when a container first mounts it. `--mount` with
/// `volume-label` stands in for `-v NAME:DIR` so the volume Docker creates carries the labels.
pub(super) fn first_mount_creates(
    s: &mut Session,
    image: &str,
    volume: &str,
    target: &str,
) -> Result<()> {
    if s.docker.exists("volume", volume) {
        bail!("volume {volume} exists and was not made by this walkthrough: it is left alone; run the walkthrough again (a taken name gets another)");
    }
    s.made_volume(volume);
    let mount = crate::engine::volume_mount_labelled(volume, target, &s.docker.resource_labels())?;
    s.run(
        &RunSpec::new(image)
            .rm()
            .raw(&["--mount", &mount])
            .command(&["true"]),
    )?;
    let inspect = s.cmd(&format!(
        "docker volume inspect --format '{{{{.Name}}}} created {{{{.CreatedAt}}}}' {volume}"
    ))?;
    s.claim(
        "named-volume-created-on-mount",
        inspect.ok(),
        format!(
            "before the run: no volume {volume}; after it: {}",
            if inspect.ok() {
                inspect.output.trim().to_string()
            } else {
                format!("`docker volume inspect` exit {}", inspect.exit)
            }
        ),
    );
    // Made only for this claim: it goes now, `--keep` or not.
    if inspect.ok() {
        s.cmd_ok(&format!("docker volume rm {volume}"))?;
        s.forget(&Resource::Volume(volume.to_string()));
    }
    Ok(())
}

pub(super) fn bind_mounts(s: &mut Session) -> Result<()> {
    let (image, out, volume) = named_volume_start(s)?;
    // One after another with --keep, the named-volume section's volume is still here: this run made it.
    if !s.docker.created_here("volume", &volume) {
        steps::create_volume(s, &volume)?;
    }
    let (notebook, user_flags) = the_readers_notebook(s)?;
    let run = BindRun {
        image,
        container: s.names.container.clone(),
        with_volume: format!("{volume}:{out}"),
        notebook,
        user_flags,
    };
    let marker = format!("edited-on-the-host-{}", std::process::id());
    a_writable_bind(s, &run, &marker)?;
    a_readonly_bind(s, &run, &marker)
}

/// The Jupyter container of the bind-mount section, the notebook mounted from the host.
struct BindRun {
    image: &'static str,
    container: String,
    /// `VOLUME:DIR` of the section's named volume.
    with_volume: String,
    notebook: PathBuf,
    /// `--user` and `--group-add` when the server runs as the notebook's owner.
    user_flags: Vec<String>,
}

impl BindRun {
    fn start(&self, s: &mut Session, readonly: bool) -> Result<()> {
        s.run_ok(
            &steps::jupyter(
                self.image,
                &self.container,
                &["-v", &self.with_volume, "-t"],
            )
            .raw(&self.user_flags)
            .mount(Mount::bind(
                &self.notebook,
                "/work/computation.ipynb",
                readonly,
            )),
        )?;
        Ok(())
    }
}

/// The article's folder as the person has it (the files are theirs, with their umask), and what
/// lets the notebook user write its notebook: its group's write bit, or the server run as its owner.
fn the_readers_notebook(s: &mut Session) -> Result<(PathBuf, Vec<String>)> {
    let project = s.project.path().to_path_buf();
    crate::images::series::stage_article_folder(
        &crate::paths::docker_dir().join("series/named-volume.Dockerfile"),
        &project,
    )?;
    let notebook = project.join("computation.ipynb");
    let owner = HostFile::read(&notebook)?;
    let mut user_flags: Vec<String> = Vec::new();
    if !owner.writable_by(NB_UID, NB_GID) {
        if owner.uid == 0 {
            // The server never runs as root: the notebook's group becomes the notebook user's, with write.
            s.note("corrected: the notebook is root's, and the server never runs as root, so the notebook user's group (users, 100) gets write access to it");
            s.cmd_ok(&format!("chgrp {NB_GID} {}", notebook.display()))?;
            s.cmd_ok(&format!("chmod g+w {}", notebook.display()))?;
        } else {
            s.note("corrected: the server runs as the notebook's owner (as `cargo xtask up --writable-notebooks` does), in the users group");
            user_flags = vec![
                "--user".into(),
                format!("{}:{}", owner.uid, owner.gid),
                "--group-add".into(),
                "users".into(),
            ];
        }
    }
    Ok((notebook, user_flags))
}

/// Without readonly: a host edit shows in the container, and the container writes the notebook.
fn a_writable_bind(s: &mut Session, run: &BindRun, marker: &str) -> Result<()> {
    let (c, notebook) = (&run.container, &run.notebook);
    let owner = HostFile::read(notebook)?;
    run.start(s, false)?;
    edit_on_host(notebook, marker)?;
    let seen = s.cmd(&format!(
        "docker exec {c} grep -c {marker} /work/computation.ipynb"
    ))?;
    s.claim(
        "host-edit-seen",
        seen.ok(),
        format!("grep -c {marker} in the container: {}", seen.output.trim()),
    );
    let wrote = s.cmd(&format!("docker exec {c} sh -c {APPEND}"))?;
    let who = s
        .docker
        .probe(["exec", c.as_str(), "id", "-u"])
        .unwrap_or_default();
    s.claim("writable-without-readonly",
        wrote.ok(),
        format!("the notebook on the host: {owner}; the container's user: uid {}; append from the container: exit {}{}", who.trim(), wrote.exit, if wrote.ok() { String::new() } else { format!(": {}", wrote.output.trim()) }));
    s.cmd_ok(&format!("docker rm -f {c}"))?;
    s.forget(&Resource::Container(c.clone()));
    Ok(())
}

/// With readonly: the container cannot write the notebook; the host still edits it.
fn a_readonly_bind(s: &mut Session, run: &BindRun, marker: &str) -> Result<()> {
    let (c, notebook) = (&run.container, &run.notebook);
    run.start(s, true)?;
    let refused = s.cmd(&format!("docker exec {c} sh -c {APPEND}"))?;
    let rw = s.docker.probe(["container", "inspect", "--format", r#"{{range .Mounts}}{{if eq .Destination "/work/computation.ipynb"}}{{.RW}}{{end}}{{end}}"#, c.as_str()]).unwrap_or_default();
    s.claim(
        "readonly-blocks-container",
        // Permission bits may refuse first (EACCES before EROFS): the mount's RW flag says readonly applies.
        !refused.ok() && rw.trim() == "false",
        format!(
            "append from the container: exit {}: {}; mount RW={rw}",
            refused.exit,
            refused.output.trim()
        ),
    );
    let marker2 = format!("{marker}-again");
    edit_on_host(notebook, &marker2)?;
    let seen = s.cmd(&format!(
        "docker exec {c} grep -c {marker2} /work/computation.ipynb"
    ))?;
    s.claim(
        "readonly-host-edits-seen",
        seen.ok(),
        format!(
            "host write ok; grep in the container: {}",
            seen.output.trim()
        ),
    );
    Ok(())
}

/// Changes the notebook in place (a rename would leave the bind mount on the old file).
pub(super) fn edit_on_host(notebook: &std::path::Path, marker: &str) -> Result<()> {
    let text = std::fs::read_to_string(notebook)?;
    let edited = text.replacen(
        "\"import os\\n\",",
        &format!("\"# {marker}\\n\",\n    \"import os\\n\","),
        1,
    );
    if edited == text {
        bail!("the notebook's first line changed: cannot place the host edit");
    }
    std::fs::write(notebook, edited)?;
    Ok(())
}
