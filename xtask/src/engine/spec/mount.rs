//! A container's published ports and mounts, rendered as the CLI takes them (a mount as one CSV
//! record, control characters refused).

use std::path::PathBuf;

use anyhow::{bail, Result};

/// A port published on the host: `IP:HOST:CONTAINER`; `host: None` lets Docker pick a free port.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub ip: Option<String>,
    pub host: Option<u16>,
    pub container: u16,
}

impl Publish {
    /// On 127.0.0.1 only: never reachable from other machines.
    pub fn loopback(host: Option<u16>, container: u16) -> Publish {
        Publish {
            ip: Some("127.0.0.1".into()),
            host,
            container,
        }
    }

    pub fn render(&self) -> String {
        let host = self.host.map(|p| p.to_string()).unwrap_or_default();
        match &self.ip {
            Some(ip) => format!("{ip}:{host}:{}", self.container),
            None if self.host.is_some() => format!("{host}:{}", self.container),
            None => self.container.to_string(),
        }
    }
}

/// A filesystem mounted into a container, rendered as one `--mount` value.
#[derive(Debug, Clone, PartialEq)]
pub enum Mount {
    /// A named volume (created by Docker on first use if missing: create it first to label it).
    Volume {
        name: String,
        target: String,
        readonly: bool,
        nocopy: bool,
    },
    /// A host folder; Docker's `--mount` never creates a missing source (unlike `-v`).
    Bind {
        source: PathBuf,
        target: String,
        readonly: bool,
    },
    /// A small in-memory filesystem.
    Tmpfs {
        target: String,
        size_bytes: Option<u64>,
    },
}

impl Mount {
    pub fn volume(name: &str, target: &str) -> Mount {
        Mount::Volume {
            name: name.into(),
            target: target.into(),
            readonly: false,
            nocopy: false,
        }
    }

    pub fn bind(source: impl Into<PathBuf>, target: &str, readonly: bool) -> Mount {
        Mount::Bind {
            source: source.into(),
            target: target.into(),
            readonly,
        }
    }

    pub fn target(&self) -> &str {
        match self {
            Mount::Volume { target, .. }
            | Mount::Bind { target, .. }
            | Mount::Tmpfs { target, .. } => target,
        }
    }

    pub fn readonly(&self) -> bool {
        matches!(
            self,
            Mount::Volume { readonly: true, .. } | Mount::Bind { readonly: true, .. }
        )
    }

    /// The `--mount` value. Docker reads it as one CSV record: a field holding a comma or a quote
    /// is quoted, so a path can never add or override a field (`,source=/elsewhere`, `,readonly`).
    /// Paths with control characters (a newline ends the record) are refused: nothing can carry them.
    pub fn render(&self) -> Result<String> {
        let mut fields = Vec::new();
        match self {
            Mount::Volume {
                name,
                target,
                readonly,
                nocopy,
            } => {
                fields.extend([
                    "type=volume".to_string(),
                    format!("source={name}"),
                    format!("target={target}"),
                ]);
                if *readonly {
                    fields.push("readonly".into());
                }
                if *nocopy {
                    fields.push("volume-nocopy".into());
                }
            }
            Mount::Bind {
                source,
                target,
                readonly,
            } => {
                let source = source.to_str().ok_or_else(|| {
                    anyhow::anyhow!(
                        "the path {} is not valid UTF-8: Docker cannot mount it; rename the folder",
                        source.display()
                    )
                })?;
                fields.extend([
                    "type=bind".to_string(),
                    format!("source={source}"),
                    format!("target={target}"),
                ]);
                if *readonly {
                    fields.push("readonly".into());
                }
            }
            Mount::Tmpfs { target, size_bytes } => {
                fields.extend(["type=tmpfs".to_string(), format!("target={target}")]);
                if let Some(size) = size_bytes {
                    fields.push(format!("tmpfs-size={size}"));
                }
            }
        }
        fields
            .iter()
            .map(|f| csv_field(f))
            .collect::<Result<Vec<_>>>()
            .map(|f| f.join(","))
    }
}

/// A named volume's `--mount` value that labels the volume when Docker creates it on this mount
/// (`docker run -v NAME:DIR` creates a missing volume with no labels; `volume-label` fixes that).
pub fn volume_mount_labelled(
    name: &str,
    target: &str,
    labels: &[(String, String)],
) -> Result<String> {
    let mut rendered = Mount::volume(name, target).render()?;
    for (k, v) in labels {
        rendered.push(',');
        rendered.push_str(&csv_field(&format!("volume-label={k}={v}"))?);
    }
    Ok(rendered)
}

pub(super) fn csv_field(field: &str) -> Result<String> {
    if field.chars().any(char::is_control) {
        bail!("{field:?} holds a control character (a newline?), which Docker's --mount cannot carry: rename the folder");
    }
    if field.contains([',', '"']) {
        return Ok(format!("\"{}\"", field.replace('"', "\"\"")));
    }
    Ok(field.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_render_as_one_csv_record() {
        let m = Mount::bind("/home/me/notebooks", "/work", true);
        assert_eq!(
            m.render().unwrap(),
            "type=bind,source=/home/me/notebooks,target=/work,readonly"
        );
        // A comma cannot add a field: the whole field is quoted.
        let evil = Mount::bind("/tmp/nb,source=/tmp/v,target=/work", "/work", true);
        assert_eq!(
            evil.render().unwrap(),
            "type=bind,\"source=/tmp/nb,source=/tmp/v,target=/work\",target=/work,readonly"
        );
        let quote = Mount::bind("/tmp/a\"b", "/work", false);
        assert_eq!(
            quote.render().unwrap(),
            "type=bind,\"source=/tmp/a\"\"b\",target=/work"
        );
        let newline = Mount::bind("/tmp/nb\nx", "/work", true);
        assert!(newline
            .render()
            .unwrap_err()
            .to_string()
            .contains("control character"));
        let v = Mount::Volume {
            name: "v".into(),
            target: "/work/outputs".into(),
            readonly: false,
            nocopy: true,
        };
        assert_eq!(
            v.render().unwrap(),
            "type=volume,source=v,target=/work/outputs,volume-nocopy"
        );
        let ro = Mount::Volume {
            name: "v".into(),
            target: "/cache".into(),
            readonly: true,
            nocopy: false,
        };
        assert_eq!(
            ro.render().unwrap(),
            "type=volume,source=v,target=/cache,readonly"
        );
        assert!(ro.readonly());
    }

    #[test]
    fn every_control_character_is_refused_in_a_mount() {
        // Not only the newline: a carriage return, a tab, an escape, a NUL, DEL and a C1 control.
        for c in ['\n', '\r', '\t', '\x1b', '\0', '\x7f', '\u{85}'] {
            let bind = Mount::bind(format!("/tmp/nb{c}x"), "/work", true);
            let error = bind
                .render()
                .expect_err(&format!("{c:?} in a bind source was accepted"));
            assert!(
                error.to_string().contains("control character"),
                "{c:?}: {error}"
            );
            let volume = Mount::volume("v", &format!("/work/out{c}x"));
            assert!(
                volume.render().is_err(),
                "{c:?} in a volume target was accepted"
            );
        }
        assert!(
            Mount::bind("/tmp/nb é", "/work", true).render().is_ok(),
            "a space or a letter is no control character"
        );
    }
}
