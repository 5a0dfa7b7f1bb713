//! The volatile parts of an output line (ids, digests, dates, durations, sizes, tokens, addresses)
//! replaced by fixed tokens, so the article's output and a real one compare on what matters.

use std::sync::OnceLock;

use regex::Regex;

/// (pattern, replacement), applied in order: digests before bare hex ids, dates before times.
const RULES: &[(&str, &str)] = &[
    (r"\x1b\[[0-9;]*[A-Za-z]", ""),
    (r"token=[A-Za-z0-9]+", "token=<token>"),
    (r"sha256:[0-9a-f]{6,64}", "sha256:<digest>"),
    (r"\b[0-9a-f]{64}\b", "<id>"),
    (r"\b[0-9a-f]{12}\b", "<id>"),
    (
        r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
        "<time>",
    ),
    (r"\b\d{4}-\d{2}-\d{2}\b", "<date>"),
    (
        r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +(\d{2}:\d{2}|\d{4})\b",
        "<date>",
    ),
    (
        r"\b(About |Less than )?(an?|\d+) (second|minute|hour|day|week|month|year)s?( ago)?\b",
        "<duration>",
    ),
    (r"\b\d+(\.\d+)?s\b", "<secs>"),
    (r"\b\d+(\.\d+)? ?([kKMGT]i?B|B)\b", "<size>"),
    // Where a port is published is a claim, not noise: loopback (this machine only) and the
    // any-address (every interface) keep names of their own; other addresses are the engine's.
    (r"\b127(\.\d{1,3}){3}\b", "<loopback>"),
    (r"\b0\.0\.0\.0\b", "<all-interfaces>"),
    (r"(\[::1\]|::1):(\d)", "<loopback>:$2"),
    (r"(\[::\]|::):(\d)", "<all-interfaces>:$2"),
    (r"\b\d{1,3}(\.\d{1,3}){3}\b", "<ip>"),
    // A release (`Docker version 20.10.24+dfsg1`, `jupyterlab 4.0.7`): the author's machine had
    // another; after the addresses, whose four parts it would otherwise take.
    (
        r"\bv?\d+\.\d+\.\d+(?:[-+~][0-9A-Za-z.+~-]*)?\b",
        "<version>",
    ),
    (r"jpserver-\d+-open", "jpserver-<pid>-open"),
    (r"\s+", " "),
];

fn rules() -> &'static Vec<(Regex, &'static str)> {
    static COMPILED: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        RULES
            .iter()
            .map(|(p, r)| (Regex::new(p).unwrap(), *r))
            .collect()
    })
}

/// Bytes of a line masked: what docker prints puts its volatile parts early, and masking
/// megabytes of one line would take seconds. The rest stays as printed, and still compares.
const MASKED_BYTES: usize = 4096;

/// A line with its volatile parts masked and its spacing collapsed.
pub fn mask(line: &str) -> String {
    let mut cut = line.len().min(MASKED_BYTES);
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    let (head, rest) = line.split_at(cut);
    let head = rules().iter().fold(head.to_string(), |text, (re, with)| {
        re.replace_all(&text, *with).into_owned()
    });
    format!("{head}{rest}").trim().to_string()
}

/// A table cell masked by what its column holds: star counts are volatile; ports compare as a set.
pub fn mask_cell(column: &str, cell: &str) -> String {
    match column {
        "STARS" => "<n>".to_string(),
        "PORTS" => {
            let mut ports: Vec<String> = cell
                .split(", ")
                .map(mask)
                .filter(|p| !p.is_empty())
                .collect();
            ports.sort();
            ports.dedup();
            ports.join(", ")
        }
        _ => mask(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_parts_are_masked() {
        let cases = [
            ("http://127.0.0.1:8888/lab?token=3a302df24cdc263306cc5975c6b96574f768ca8b639b4baf", "http://<loopback>:8888/lab?token=<token>"),
            ("Listening on http://172.17.0.2:8888/", "Listening on http://<ip>:8888/"),
            ("Digest: sha256:c6c9b3ce502b51ac7736960be026a18e8c04819a22998a4493406bb261739a25", "Digest: sha256:<digest>"),
            ("local     f8af09353ab6f969792bc4f7a64e28e4cf4fa752f9c2a8140cb7fb17f5ed0a84", "local <id>"),
            (" ---> 7d7387d31253", "---> <id>"),
            ("(base) root@e57b3643e08c:/#", "(base) root@<id>:/#"),
            ("[I 2023-01-12 14:03:18.068 ServerApp] jupyterlab | extension was successfully linked.", "[I <time> ServerApp] jupyterlab | extension was successfully linked."),
            ("-rw-rw-r-- 1 jovyan users  571 Jan 18 15:12 Dockerfile", "-rw-rw-r-- 1 jovyan users 571 <date> Dockerfile"),
            ("About a minute ago   Up About a minute (healthy)", "<duration> Up <duration> (healthy)"),
            ("24 minutes ago       Up 24 minutes", "<duration> Up <duration>"),
            (" => [2/3] RUN pip install geopandas                                       27.6s", "=> [2/3] RUN pip install geopandas <secs>"),
            ("jupyter-jupyter   latest    1d4520408d5e   17 hours ago   2.78GB", "jupyter-jupyter latest <id> <duration> <size>"),
            ("Sending build context to Docker daemon  17.92kB", "Sending build context to Docker daemon <size>"),
            ("file:///home/jovyan/.local/share/jupyter/runtime/jpserver-7-open.html", "file:///home/jovyan/.local/share/jupyter/runtime/jpserver-<pid>-open.html"),
            ("Docker version 20.10.24+dfsg1, build 297e128", "Docker version <version>, build 297e128"),
            ("jupyterlab                4.0.7              pyhd8ed1ab_0    conda-forge", "jupyterlab <version> pyhd8ed1ab_0 conda-forge"),
        ];
        for (line, want) in cases {
            assert_eq!(mask(line), want, "{line}");
        }
    }

    #[test]
    fn what_a_step_claims_is_kept() {
        for line in [
            "uid=1000(jovyan) gid=100(users) groups=100(users)",
            "Successfully tagged custom-jupyter-image:anon-volume",
            "connection successfully",
            "('154744', '256', '1108', '2018/07/10 12:00:00+00')",
        ] {
            assert_eq!(mask(line), line);
        }
    }

    #[test]
    fn a_long_line_is_masked_at_its_start_and_kept_whole() {
        let line = format!(
            "{} 0123456789ab {}",
            "é".repeat(1000),
            "x  ".repeat(MASKED_BYTES)
        );
        let masked = mask(&line);
        assert!(
            masked.starts_with(&format!("{} <id> x x x", "é".repeat(1000))),
            "masked at its start"
        );
        assert!(masked.ends_with("x  x  x"), "the rest kept as printed");
        assert!(mask(&"é ".repeat(1_000_000)).len() > 2_000_000 - 1);
    }

    #[test]
    fn loopback_and_every_interface_stay_apart() {
        // A publish on 127.0.0.1 is reachable from this machine only, on 0.0.0.0 from any: an
        // output comparison must tell them apart, in IPv4 and IPv6, in a line and in a table cell.
        let loopback = [
            "127.0.0.1:8888->8888/tcp",
            "[::1]:8888->8888/tcp",
            "::1:8888->8888/tcp",
        ];
        let public = [
            "0.0.0.0:8888->8888/tcp",
            "[::]:8888->8888/tcp",
            ":::8888->8888/tcp",
        ];
        for l in loopback {
            assert_eq!(mask(l), "<loopback>:8888->8888/tcp", "{l}");
            for p in public {
                assert_eq!(mask(p), "<all-interfaces>:8888->8888/tcp", "{p}");
                assert_ne!(mask(l), mask(p), "{l} and {p}");
                assert_ne!(mask_cell("PORTS", l), mask_cell("PORTS", p), "{l} and {p}");
            }
        }
        // Neither is mistaken for a nearby address, nor another address for either.
        assert_eq!(mask("10.0.0.0 and 192.168.1.127"), "<ip> and <ip>");
    }

    #[test]
    fn port_cells_compare_as_sets() {
        assert_eq!(
            mask_cell("PORTS", "0.0.0.0:8888->8888/tcp, :::8888->8888/tcp"),
            "<all-interfaces>:8888->8888/tcp"
        );
        assert_eq!(
            mask_cell("PORTS", "0.0.0.0:8888->8888/tcp"),
            "<all-interfaces>:8888->8888/tcp"
        );
        assert_eq!(
            mask_cell("PORTS", "127.0.0.1:8888->8888/tcp, [::1]:8888->8888/tcp"),
            "<loopback>:8888->8888/tcp"
        );
        assert_eq!(mask_cell("STARS", "722"), "<n>");
    }
}
