//! One `docker inspect` for what `up` must know before `docker run`: whether the container and
//! the volume exist, and whether the image is there as built from its recipe now (the series
//! image's recipe label against the base it is built on). What it cannot tell is asked the slow way.

use serde_json::Value;

use super::Up;
use crate::engine::{Docker, RECIPE_LABEL_KEY};
use crate::images::{base, series};

/// The objects one inspect found, of any kind.
pub(super) struct Found(Vec<Value>);

impl Found {
    pub(super) fn has_container(&self, name: &str) -> bool {
        let name = format!("/{name}");
        self.0
            .iter()
            .any(|o| o["State"].is_object() && o["Name"].as_str() == Some(name.as_str()))
    }

    pub(super) fn has_volume(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|o| o["Mountpoint"].is_string() && o["Name"].as_str() == Some(name))
    }

    fn image(&self, tag: &str) -> Option<&Value> {
        self.0.iter().find(|o| {
            o["RepoTags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag)))
        })
    }

    /// The image `up` runs is there and, for a series image, built from its recipe on the base
    /// `auto` picks; `false` also when that cannot be told from here.
    pub(super) fn image_ready(&self, image: &str) -> bool {
        let Some(found) = self.image(image) else {
            return false;
        };
        let Ok(recipe) = series::find(image) else {
            return true;
        };
        let Ok(local) = base::local_tag() else {
            return false;
        };
        let Some(base) = base::present_base(|tag| self.image(tag).is_some(), &local) else {
            return false;
        };
        let base_id = self
            .image(&base)
            .and_then(|b| b["Id"].as_str())
            .unwrap_or_default();
        series::is_current(
            recipe,
            base_id,
            found["Config"]["Labels"][RECIPE_LABEL_KEY].as_str(),
        )
    }
}

impl Up {
    /// The container, the volume, the image and the bases it may be built on, in one inspect;
    /// `None` when the engine did not answer it.
    pub(super) fn look(&self, docker: &Docker) -> Option<Found> {
        let mut names = vec![self.name.clone(), self.volume.clone(), self.image.clone()];
        if series::find(&self.image).is_ok() {
            names.push(base::OFFICIAL.into());
            names.extend(base::local_tag().ok());
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        docker.inspect_all(&names).map(Found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_told_apart_by_kind_and_name() {
        let found = Found(vec![
            serde_json::json!({"Name": "/c", "State": {"Running": false}}),
            serde_json::json!({"Name": "v", "Mountpoint": "/var/lib/docker/volumes/v/_data"}),
            serde_json::json!({"Id": "sha256:1", "RepoTags": ["some/image:tag"], "Config": {"Labels": null}}),
        ]);
        assert!(found.has_container("c") && !found.has_container("v"));
        assert!(found.has_volume("v") && !found.has_volume("c"));
        assert!(
            found.image_ready("some/image:tag"),
            "not a series image: present is ready"
        );
        assert!(!found.image_ready("other:tag"));
        // A series image without its recipe label (or without a base to compare with) is rebuilt.
        let series = Found(vec![
            serde_json::json!({"Id": "sha256:2", "RepoTags": ["custom-jupyter-image:named-volume"], "Config": {"Labels": {}}}),
        ]);
        assert!(!series.image_ready("custom-jupyter-image:named-volume"));
    }
}
