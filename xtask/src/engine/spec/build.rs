//! What `docker build` is given: context, tag, build arguments and labels.

use std::path::PathBuf;

/// `docker build`: a context folder, a tag, build arguments, labels.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    pub context: PathBuf,
    pub tag: String,
    pub dockerfile: Option<PathBuf>,
    pub build_args: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub no_cache: bool,
}

impl BuildSpec {
    pub fn new(context: impl Into<PathBuf>, tag: &str) -> BuildSpec {
        BuildSpec {
            context: context.into(),
            tag: tag.into(),
            ..BuildSpec::default()
        }
    }
    pub fn arg(mut self, key: &str, value: &str) -> Self {
        self.build_args.push((key.into(), value.into()));
        self
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// `build ...` arguments; `--force-rm` so a failed step leaves no container.
    pub fn args(&self, labels: &[(String, String)]) -> Vec<String> {
        let mut a = vec!["build".to_string(), "--force-rm".into()];
        if self.no_cache {
            a.push("--no-cache".into());
        }
        if let Some(file) = &self.dockerfile {
            a.extend(["-f".into(), file.display().to_string()]);
        }
        for (k, v) in &self.build_args {
            a.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        for (k, v) in labels.iter().chain(&self.labels) {
            a.extend(["--label".into(), format!("{k}={v}")]);
        }
        a.extend([
            "-t".into(),
            self.tag.clone(),
            self.context.display().to_string(),
        ]);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_render_with_labels_and_args() {
        let spec = BuildSpec::new("/ctx", "t:1")
            .arg("BASE_IMAGE", "b")
            .label("k", "v");
        assert_eq!(
            spec.args(&[]).join(" "),
            "build --force-rm --build-arg BASE_IMAGE=b --label k=v -t t:1 /ctx"
        );
    }
}
