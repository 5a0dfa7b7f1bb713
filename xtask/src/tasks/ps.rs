//! `cargo xtask ps`: the project's containers, as `docker compose ps` lists a project's: name,
//! status, image, the host port of the Jupyter server, and the named volume at /work/outputs.
//! Only containers carrying the owner label are listed (a person's own containers never are, even
//! ones started from the project's images, which inherit only the `managed` label).

use anyhow::Result;
use xshell::Shell;

use crate::engine::resources::list;
use crate::engine::{fields, Docker, OWNER};
use crate::jupyter::{PORT, VOLUME_LABEL_KEY};
use crate::progress::say;

#[derive(clap::Args, Debug)]
pub struct Ps {
    /// Print one JSON array: for each container its name, status, running, image, port (the host
    /// port of the server's 8888, or null), ports (every published port) and volume (or null).
    #[arg(long)]
    pub json: bool,
}

/// One container as `docker ps` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub status: String,
    pub running: bool,
    pub image: String,
    pub ports: String,
    pub volume: String,
}

/// The fields asked of `docker ps`, separated by a tab (which no name, image or label holds).
fn format() -> String {
    format!("{{{{.Names}}}}\t{{{{.State}}}}\t{{{{.Status}}}}\t{{{{.Image}}}}\t{{{{.Ports}}}}\t{{{{.Label \"{VOLUME_LABEL_KEY}\"}}}}")
}

impl Row {
    fn parse(line: &str) -> Option<Row> {
        let [name, state, status, image, ports, volume] = fields(line, '\t')?;
        Some(Row {
            name: name.into(),
            status: status.into(),
            running: state == "running",
            image: image.into(),
            ports: ports.into(),
            volume: volume.into(),
        })
    }

    /// The host port published for the server's port, if any.
    pub fn port(&self) -> Option<u16> {
        host_port(&self.ports, PORT)
    }

    fn to_json(&self) -> serde_json::Value {
        let volume = (!self.volume.is_empty()).then_some(self.volume.as_str());
        serde_json::json!({
            "name": self.name, "status": self.status, "running": self.running, "image": self.image,
            "port": self.port(), "ports": self.ports, "volume": volume,
        })
    }
}

/// `127.0.0.1:49153->8888/tcp, 0.0.0.0:3306->3306/tcp` -> the host port of `container_port`/tcp.
pub fn host_port(ports: &str, container_port: u16) -> Option<u16> {
    let target = format!("->{container_port}/tcp");
    ports.split(", ").find_map(|p| {
        p.strip_suffix(target.as_str())?
            .rsplit(':')
            .next()?
            .parse()
            .ok()
    })
}

impl Ps {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let docker = Docker::new(sh);
        docker.require_engine()?;
        let mut rows: Vec<Row> = list(&docker, "container", &format!("label={OWNER}"), &format())?
            .iter()
            .filter_map(|l| Row::parse(l))
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        if self.json {
            say(serde_json::Value::Array(
                rows.iter().map(Row::to_json).collect(),
            ));
            return Ok(());
        }
        if rows.is_empty() {
            say("no containers of the project's (`cargo xtask up` starts one)");
            return Ok(());
        }
        let port = |r: &Row| {
            r.port()
                .map(|p| format!("{p}->{PORT}"))
                .unwrap_or_else(|| "-".into())
        };
        let table: Vec<[String; 5]> = rows
            .iter()
            .map(|r| {
                [
                    r.name.clone(),
                    r.status.clone(),
                    r.image.clone(),
                    port(r),
                    if r.volume.is_empty() {
                        "-".into()
                    } else {
                        r.volume.clone()
                    },
                ]
            })
            .collect();
        let header = ["NAME", "STATUS", "IMAGE", "PORT", "VOLUME"].map(String::from);
        let widths: Vec<usize> = (0..5)
            .map(|i| {
                table
                    .iter()
                    .chain([&header])
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in [&header].into_iter().chain(&table) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            say(cells.join("  ").trim_end());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_reads_the_volume_label() {
        assert!(
            format().ends_with("\t{{.Label \"jupyter-docker-xtask.volume\"}}"),
            "{}",
            format()
        );
    }

    #[test]
    fn rows_and_ports() {
        let row = Row::parse("jdx-up-1\trunning\tUp 3 minutes\tcustom-jupyter-image:named-volume\t127.0.0.1:49153->8888/tcp\tnamed-data-volume").unwrap();
        assert_eq!(row.port(), Some(49153));
        assert!(row.running);
        assert_eq!(row.to_json()["volume"], "named-data-volume");
        let db = Row::parse("mysql-db\texited\tExited (0) 2 seconds ago\tmysql:8.4\t\t").unwrap();
        assert_eq!(db.port(), None);
        assert!(!db.running);
        assert!(db.to_json()["volume"].is_null());
        assert_eq!(Row::parse("too\tfew"), None);
        assert_eq!(
            host_port("0.0.0.0:3306->3306/tcp, :::3306->3306/tcp", 3306),
            Some(3306)
        );
        assert_eq!(host_port("[::1]:8890->8888/tcp", 8888), Some(8890));
        assert_eq!(host_port("8888/tcp", 8888), None);
        assert_eq!(host_port("127.0.0.1:5000->18888/tcp", 8888), None);
    }
}
