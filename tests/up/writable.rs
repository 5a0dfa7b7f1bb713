//! `up --writable-notebooks`: a notebook saved in JupyterLab is the notebooks folder's owner's on
//! the host, and the outputs still go to the named volume.

use std::path::Path;

use super::support::*;
use super::volume_sha;

#[test]
fn writable_notebooks_are_saved_as_the_folders_owner() {
    let lab = Lab::new("jdx-writable");
    let Lab {
        name,
        volume,
        notebooks,
        ..
    } = &lab;
    // A host user other than root and other than the image's 1000.
    let (uid, gid) = (1234u32, 1234u32);
    chown_tree(notebooks.path(), uid, gid);
    let running = up_json(&lab.up_args(&["--writable-notebooks"]));
    let port = running["port"].as_u64().unwrap() as u16;
    let token = running["token"].as_str().unwrap();
    assert!(docker_ok(&["exec", name, "id", "-u"]).ends_with("1234"));

    // Save a notebook through the server, as JupyterLab's Save does.
    let body = r#"{"type":"notebook","format":"json","content":{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}}"#;
    let status = http_put(port, "/api/contents/saved-in-lab.ipynb", token, body);
    assert!(status == 200 || status == 201, "PUT answered {status}");
    let saved = notebooks.path().join("saved-in-lab.ipynb");
    let meta = std::fs::metadata(&saved).expect("the saved notebook is on the host");
    use std::os::unix::fs::MetadataExt;
    assert_eq!((meta.uid(), meta.gid()), (uid, gid));

    // The notebook still writes its outputs to the named volume.
    super::execute_the_notebook(name);
    assert_eq!(
        volume_sha(volume, running["image"].as_str().unwrap()).len(),
        64
    );
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .expect("the tests run as root (CI does) to chown");
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

/// `PUT path` with a JSON body, written in one piece; the status code.
fn http_put(port: u16, path: &str, token: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "PUT {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: token {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let head = String::from_utf8_lossy(&response);
    xtask::jupyter::http::parse_status(&head).unwrap_or_else(|e| panic!("PUT {path}: {e:#}"))
}
