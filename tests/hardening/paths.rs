//! Paths that would reach another folder (issue 12.1) and linked folders (issue 12.5).

use std::path::PathBuf;

use super::*;

/// Issue 12.1: a folder whose name is a whole `--mount` value mounts that folder, read-only, and
/// nothing else; what Docker mounted is checked after `docker run`. A newline is refused.
#[test]
fn a_notebooks_path_is_mounted_exactly_as_named() {
    let lab = Lab::new("jdx-hmount");
    let base = open_dir();
    let other = base.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("from-other.txt"), "not asked for").unwrap();
    // With an `outputs` folder, Docker could run a container on it, were it mounted instead.
    std::fs::create_dir(other.join("outputs")).unwrap();
    chmod(&other, 0o755);
    let named = PathBuf::from(format!(
        "{}/nb,source={},target=/work,readonly=false",
        base.path().display(),
        other.display()
    ));
    notebooks_in(&named);

    succeeded(&up(&lab.args(&["--notebooks", named.to_str().unwrap()])));
    let mounts = mounts(&lab.name);
    let bind = mount_at(&mounts, "/work");
    assert_eq!(bind["Type"], "bind");
    assert_eq!(
        bind["Source"].as_str().unwrap(),
        named.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(bind["RW"], false, "the notebooks are writable");
    let outputs = mount_at(&mounts, "/work/outputs");
    assert_eq!(
        (
            outputs["Type"].as_str(),
            outputs["Name"].as_str(),
            outputs["RW"].as_bool()
        ),
        (Some("volume"), Some(lab.volume.as_str()), Some(true))
    );
    let listed = docker_ok(&["exec", &lab.name, "ls", "/work"]);
    assert!(
        listed.contains("computation.ipynb") && !listed.contains("from-other.txt"),
        "{listed}"
    );

    let newline = base.path().join("nb\nreadonly=false");
    notebooks_in(&newline);
    let refused = Lab::new("jdx-hmount-nl");
    let out = up(&refused.args(&["--notebooks", newline.to_str().unwrap()]));
    assert!(the_error(&out).contains("control character"));
    assert!(
        !exists("container", &refused.name) && !exists("volume", &refused.volume),
        "a refused path left something"
    );
}

/// Issue 12.5: a linked notebooks folder: the real folder is mounted and named in the progress
/// output; `outputs` is made only in it; an `outputs` link is refused before anything is made.
#[test]
fn a_linked_notebooks_folder_is_mounted_where_it_leads() {
    let lab = Lab::new("jdx-link");
    let base = open_dir();
    let real = base.path().join("real");
    notebooks_in(&real);
    let link = base.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    // An `outputs` link to elsewhere would take the volume there: refused, nothing made.
    let elsewhere = base.path().join("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, real.join("outputs")).unwrap();
    let out = up(&lab.args(&["--notebooks", link.to_str().unwrap()]));
    assert!(the_error(&out).contains("is a link"));
    assert!(
        !exists("volume", &lab.volume) && !exists("container", &lab.name) && !elsewhere.exists()
    );
    std::fs::remove_file(real.join("outputs")).unwrap();

    let out = up(&lab.args(&["--notebooks", link.to_str().unwrap()]));
    let err = stderr(succeeded(&out));
    let real = real.canonicalize().unwrap();
    assert!(
        err.contains(&format!("leads to {} (through a link)", real.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("created {}", real.join("outputs").display())),
        "{err}"
    );
    assert!(real.join("outputs").is_dir());
    assert_eq!(
        mount_at(&mounts(&lab.name), "/work")["Source"]
            .as_str()
            .unwrap(),
        real.to_str().unwrap()
    );
    let after: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "something was made beside the folder named");
}
