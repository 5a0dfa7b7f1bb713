//! The checks of article 5's claims about the Linode: the images it pulls, the MySQL volume, no
//! password in the image, the notebook's server and cells there.

use crate::walkthrough::deploy::linode::row_values;
use crate::walkthrough::markdown::claims::{seen, Observed, Probe};

use super::{line_starting, pushed_digest, repository, status, DB, JUPYTER};

pub(super) fn mysql_pulled(p: &Probe) -> Observed {
    let out = p.lines();
    let last = out
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    let unable = out
        .iter()
        .any(|l| l.contains("Unable to find image 'mysql:latest' locally"));
    let downloaded = out
        .iter()
        .any(|l| l.contains("Downloaded newer image for mysql:latest"));
    seen(
        p.exit() == Some(0) && unable && downloaded && last.len() == 64 && last.bytes().all(|b| b.is_ascii_hexdigit()),
        format!("exit {}; `Unable to find image 'mysql:latest' locally`: {unable}; status: {}; last line: {last}", p.exit_text(), line_starting(&out, "Status:")),
    )
}

pub(super) fn mysql_volume(p: &Probe) -> Observed {
    let mounts = p
        .docker(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}\n{{end}}",
            DB,
        ])
        .stdout;
    // `TYPE NAME /var/lib/mysql`; an anonymous volume's name is its 64-hex id.
    let data: Option<(String, String)> = mounts
        .lines()
        .find(|l| l.ends_with(" /var/lib/mysql"))
        .map(|l| {
            let mut w = l.split_whitespace();
            (
                w.next().unwrap_or("").to_string(),
                w.next().unwrap_or("").to_string(),
            )
        });
    let anonymous = |name: &str| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
    let named = data
        .as_ref()
        .is_some_and(|(kind, name)| kind == "volume" && !anonymous(name));
    let shown = data.map(|(kind, name)| match anonymous(&name) {
        true => format!("{kind} {} (anonymous: no name to find it by when the container is re-created) at /var/lib/mysql", &name[..12]),
        false => format!("{kind} {name} at /var/lib/mysql"),
    });
    let image = p
        .docker(&["inspect", "--format", "{{.Config.Image}}", DB])
        .stdout
        .trim()
        .to_string();
    let declared = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Volumes}}",
            &image,
        ])
        .stdout
        .trim()
        .to_string();
    seen(
        named,
        format!(
            "{DB}'s data folder: {}; the volumes its image {image} declares: {declared}",
            shown.unwrap_or_else(|| "on the container's own layer (no volume)".into())
        ),
    )
}

pub(super) fn linode_pulls(p: &Probe) -> Observed {
    let out = p.lines();
    let repo = repository(p);
    let pulling = out
        .iter()
        .any(|l| l.contains(&format!("Pulling from {repo}")));
    seen(
        p.exit() == Some(0)
            && pulling
            && out
                .iter()
                .any(|l| l.contains("Status: Downloaded newer image")),
        format!(
            "exit {}; `Pulling from {repo}`: {pulling}; status: {}",
            p.exit_text(),
            line_starting(&out, "Status:")
        ),
    )
}

pub(super) fn pinned_by_digest(p: &Probe) -> Observed {
    let config = p
        .docker(&["inspect", "--format", "{{.Config.Image}}", JUPYTER])
        .stdout
        .trim()
        .to_string();
    let digest = pushed_digest(p).unwrap_or_default();
    seen(
        !digest.is_empty() && config == format!("{}@{digest}", repository(p)),
        format!(
            "{JUPYTER} runs {config:?}; the push printed digest {}",
            if digest.is_empty() { "none" } else { &digest }
        ),
    )
}

pub(super) fn no_password_in_image(p: &Probe) -> Observed {
    let env = p
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            &repository(p),
        ])
        .stdout;
    let mysql: Vec<String> = env
        .lines()
        .filter(|l| l.starts_with("MYSQL_"))
        .map(|l| match l.split_once('=') {
            Some((name, value)) if name.contains("PASSWORD") && !value.is_empty() => {
                format!("{name}=<a value, redacted>")
            }
            _ => l.to_string(),
        })
        .collect();
    let baked = mysql.iter().any(|l| {
        l.starts_with("MYSQL_PASSWORD=<a value") || l.starts_with("MYSQL_ROOT_PASSWORD=<a value")
    });
    seen(
        !baked,
        format!(
            "MYSQL_ entries of the pulled image's config: {}",
            if mysql.is_empty() {
                "none".into()
            } else {
                mysql.join(" ")
            }
        ),
    )
}

pub(super) fn logs_url(p: &Probe) -> Observed {
    let has = p
        .lines()
        .iter()
        .any(|l| l.contains("http://127.0.0.1:8888/lab?token="));
    seen(
        p.exit() == Some(0) && has,
        format!(
            "exit {}; a `http://127.0.0.1:8888/lab?token=` line in the log: {has}",
            p.exit_text()
        ),
    )
}

pub(super) fn opens_at_linode(p: &Probe) -> Observed {
    let (Some(address), Some(token)) = (p.remote_address(), p.token()) else {
        return seen(false, "no Linode address, or no URL in the log");
    };
    let (lab, api) = (
        p.http_at(address, 8888, "/lab", Some(&token)),
        p.http_at(address, 8888, "/api/status", None),
    );
    seen(lab == 200 && api == 403, format!("from the local machine, http://LINODE_IP_ADDRESS:8888 ({address}): /lab with the token {}; /api/status without it {}", status(lab), status(api)))
}

pub(super) fn not_public(p: &Probe) -> Observed {
    let Some(address) = p.remote_address() else {
        return seen(false, "no Linode address");
    };
    let (lab, api) = (
        p.http_at(address, 8888, "/lab", p.token().as_deref()),
        p.http_at(address, 8888, "/api/status", None),
    );
    let ports = p
        .docker(&["port", JUPYTER])
        .stdout
        .trim()
        .replace('\n', ", ");
    seen(lab == 0 && api == 0, format!("http://{address}:8888 from the local machine, plain HTTP: /lab with the token: {}; /api/status: {}; {JUPYTER} publishes {ports}", status(lab), status(api)))
}

pub(super) fn d1_writes(p: &Probe) -> Observed {
    let out = p.lines();
    let lines = p
        .exec(
            JUPYTER,
            &[
                "sh",
                "-c",
                "wc -l < outputs/Motorized-Foot-Scooter-Trips-2018.csv",
            ],
        )
        .stdout
        .trim()
        .to_string();
    seen(
        lines == "1001" && out.iter().any(|l| l == "connection successfully"),
        format!("lines in {JUPYTER}'s outputs/Motorized-Foot-Scooter-Trips-2018.csv (with its header): {lines:?}; the cell printed: {}", out.join(" / ")),
    )
}

pub(super) fn d2_prints(p: &Probe) -> Observed {
    let out: Vec<String> = p.lines().into_iter().filter(|l| !l.is_empty()).collect();
    let expected = [
        "connection successfully",
        "You're connected to database:  ('scooter_trips',)",
        "Motorized_Foot_Scooter_Trips_2018 table created",
    ];
    seen(
        out == expected,
        format!("the cell printed: {}", out.join(" / ")),
    )
}

pub(super) fn d3_rows(p: &Probe) -> Observed {
    let out = p.lines();
    let rows: Vec<(usize, usize)> = out.iter().filter_map(|l| row_values(l)).collect();
    seen(
        out.first().map(String::as_str) == Some("connection successfully")
            && rows.len() == 5
            && rows.iter().all(|(n, none)| *n == 7 && *none == 0),
        format!(
            "{} row(s) printed, as (values, of them None): {rows:?}",
            rows.len()
        ),
    )
}
