//! The project's promises about what it must never do: touch a person's own things, listen beyond
//! loopback, leak the token, run privileged or as root, let the container change read-only
//! notebooks, or bake secrets into images.

mod support;

use support::*;

const IMAGE: &str = "custom-jupyter-image:named-volume";

// The promises by what they are about, in files of their own (the binary is still `safety`).
#[path = "safety/persons.rs"]
mod persons;
#[path = "safety/secrets.rs"]
mod secrets;

/// Every port `up` publishes is bound on 127.0.0.1 only, as the kernel's socket table shows.
#[test]
fn nothing_listens_beyond_loopback() {
    let lab = Lab::new("jdx-sec");
    let name = &lab.name;
    let running = lab.up();
    let port = running["port"].as_u64().unwrap() as u16;
    let listeners = listening_addresses(port);
    assert!(!listeners.is_empty(), "nothing listens on {port}");
    assert!(
        listeners.iter().all(|a| a == "127.0.0.1"),
        "port {port} listens on {listeners:?}"
    );
    for line in docker_ok(&["port", name]).lines() {
        assert!(line.contains("127.0.0.1:"), "{line}");
    }

    // The notebook user, no-new-privileges, not privileged.
    assert_eq!(
        docker_ok(&[
            "inspect",
            "-f",
            "{{.Config.User}} {{.HostConfig.Privileged}} {{.HostConfig.SecurityOpt}}",
            name
        ]),
        "1000:100 false [no-new-privileges]"
    );
    assert_eq!(docker_ok(&["exec", name, "id", "-u"]), "1000");
    // no-new-privileges holds inside: the kernel reports NoNewPrivs for the server's process.
    assert!(docker_ok(&["exec", name, "grep", "NoNewPrivs", "/proc/1/status"]).ends_with('1'));

    // The token: refused without it, and in no world-readable file in the container.
    let token = running["token"].as_str().unwrap();
    assert_eq!(http_status(port, "/api/status", None), 403);
    let runtime = docker_ok(&[
        "exec",
        name,
        "sh",
        "-c",
        "stat -c '%a %n' /home/jovyan/.local/share/jupyter/runtime/jpserver-*.json",
    ]);
    assert!(runtime.lines().all(|l| l.starts_with("600 ")), "{runtime}");
    // The search must find a world-readable canary holding the token (proof that it looks), and
    // nothing else; it runs to the end or fails (its own exit status is checked).
    let canary = "/tmp/jdx-token-canary";
    docker_ok(&[
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        &format!("printf %s {token} > {canary} && chmod 644 {canary}"),
    ]);
    let search = docker(&["exec", "-u", "0", name, "python3", "-c", FIND_TOKEN, token]);
    assert!(search.ok(), "the token search failed: {}", text(&search));
    let mut lines = search.stdout.lines();
    let scanned: usize = lines.next().unwrap().parse().unwrap();
    assert!(scanned > 1000, "the search read only {scanned} files");
    assert_eq!(
        lines.collect::<Vec<_>>(),
        [canary],
        "world-readable files hold the token"
    );
}

/// World-readable regular files under 2 MiB on the container's root filesystem (as `find -xdev`)
/// that hold argv[1]: the number of files read, then one path a line. Errors fail it.
const FIND_TOKEN: &str = r#"
import os, stat, sys
token, root_dev = sys.argv[1].encode(), os.stat("/").st_dev
found, scanned = [], 0
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == root_dev]
    for name in files:
        path = os.path.join(top, name)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o004 or st.st_size >= 2 << 20:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        scanned += 1
        if token in data:
            found.append(path)
print(scanned)
for path in found:
    print(path)
"#;

/// Local addresses (IPv4 dotted, or IPv6 hex) listening on `port`, from /proc/net/tcp{,6}.
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(table) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields[1], fields[3]);
            let (addr, p) = local.split_once(':').unwrap();
            if state != "0A" || u16::from_str_radix(p, 16).unwrap() != port {
                continue;
            }
            if v6 {
                found.push(addr.to_string());
            } else {
                let n = u32::from_str_radix(addr, 16).unwrap();
                found.push(std::net::Ipv4Addr::from(n.swap_bytes()).to_string());
            }
        }
    }
    found
}
