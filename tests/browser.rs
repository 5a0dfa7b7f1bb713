//! JupyterLab in a real browser: `up --port 0 --json`, then Debian's headless Chromium opens the
//! URL, JupyterLab renders, its file browser lists the notebook and, once the notebook ran in the
//! container, the `outputs` folder with the CSV. A screenshot goes to target/browser/.
//! Without the token the same server shows its login form.
//! Chromium is found on PATH (or $CHROMIUM); it never downloads a browser of its own.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const CSV: &str = "Motorized-Foot-Scooter-Trips-2020.csv";

/// Debian's `chromium` (or $CHROMIUM), else a failure that names the fix.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "$CHROMIUM is {}, which is not a file: unset it to use Debian's `chromium` (`apt-get install chromium`)", path.display());
        return path;
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(dir) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .find(|d| d.join(name).is_file())
        {
            return dir.join(name);
        }
    }
    panic!("Chromium was not found on PATH: install Debian's package (`apt-get install chromium`; .ci/run does this) or point $CHROMIUM at a Chromium binary");
}

/// Where the screenshots go: target/browser/.
fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium with no network of its own beyond the page (no updates, sync, metrics),
/// a throwaway profile, and a bound on its run time.
fn headless(args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--mute-audio",
        "--hide-scrollbars",
        "--window-size=1280,800",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("starting Chromium: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        use std::io::Read;
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within 180s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// The page's DOM once JupyterLab rendered, retried with a longer budget until `wanted` shows.
fn rendered_dom(url: &str, wanted: &[&str]) -> String {
    let mut dom = String::new();
    for budget in [15_000, 30_000, 60_000] {
        dom = headless(&[
            format!("--virtual-time-budget={budget}"),
            "--dump-dom".into(),
            url.into(),
        ]);
        if wanted.iter().all(|w| dom.contains(w)) {
            return dom;
        }
    }
    panic!(
        "{url} never showed {wanted:?}; last DOM ({} bytes):\n{}",
        dom.len(),
        &dom[dom.len().saturating_sub(3000)..]
    );
}

fn screenshot(url: &str, file: &str) -> PathBuf {
    let path = shots_dir().join(file);
    let _ = std::fs::remove_file(&path);
    headless(&[
        "--virtual-time-budget=30000".into(),
        format!("--screenshot={}", path.display()),
        url.into(),
    ]);
    assert!(
        std::fs::metadata(&path)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "no screenshot at {}",
        path.display()
    );
    path
}

/// The names in JupyterLab's file browser listing.
fn listed(dom: &str) -> Vec<String> {
    dom.split("jp-DirListing-itemText")
        .skip(1)
        .filter_map(|chunk| {
            let text = chunk.split_once('>')?.1;
            let text = text.trim_start_matches("<span>");
            Some(text.split('<').next()?.trim().to_string())
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn jupyterlab_shows_the_notebook_and_its_outputs_in_a_browser() {
    chromium();
    images();
    let (name, volume) = (unique("jdx-browser"), unique("jdx-browser-vol"));
    // Locals drop in reverse order: the container goes first, then its volume.
    let _v = Guard::volume(&volume);
    let _c = Guard::container(&name);
    let out = xtask()
        .args([
            "up", "--port", "0", "--json", "--name", &name, "--volume", &volume,
        ])
        .assert()
        .success();
    let running: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("up --json prints one JSON object");
    let url = running["url"].as_str().unwrap().to_string();
    let port = running["port"].as_u64().unwrap();
    let token = running["token"].as_str().unwrap().to_string();

    // JupyterLab renders, and its file browser lists the notebook.
    let dom = rendered_dom(&url, &["jp-DirListing-content", "computation.ipynb"]);
    let names = listed(&dom);
    assert!(
        names.iter().any(|n| n == "computation.ipynb"),
        "file browser lists {names:?}"
    );
    assert!(
        names.iter().any(|n| n == "outputs"),
        "file browser lists {names:?}"
    );
    screenshot(&url, "jupyterlab.png");

    // The notebook runs in the container; its CSV lands in outputs/, and the browser shows it there.
    docker_ok(&[
        "exec",
        &name,
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "computation.ipynb",
        "--output-dir",
        "/tmp/x",
    ]);
    let outputs = format!("http://127.0.0.1:{port}/lab/tree/outputs?token={token}");
    let dom = rendered_dom(&outputs, &["jp-DirListing-content", CSV]);
    assert!(
        listed(&dom).iter().any(|n| n == CSV),
        "outputs lists {:?}",
        listed(&dom)
    );
    let shot = screenshot(&outputs, "jupyterlab-outputs.png");
    eprintln!(
        "screenshots: {} and jupyterlab.png beside it",
        shot.display()
    );

    // Without the token: the login form, and no file browser.
    let login = rendered_dom(&format!("http://127.0.0.1:{port}/lab"), &["<form"]);
    assert!(
        login.contains("name=\"password\"") || login.contains("id=\"password_input\""),
        "no login form: {}",
        &login[..login.len().min(3000)]
    );
    assert!(
        !login.contains("computation.ipynb"),
        "the files show without the token"
    );
    screenshot(
        &format!("http://127.0.0.1:{port}/lab"),
        "jupyterlab-login.png",
    );
}
