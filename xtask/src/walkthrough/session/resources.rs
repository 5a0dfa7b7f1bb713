//! What a section made (containers, volumes, networks, images), each under a guard that removes it
//! unless the run keeps it.

use super::Session;
use crate::engine::resources::{Guard, Resource};
use crate::walkthrough::names::is_anonymous_volume;
use crate::walkthrough::names::slug;

impl Session {
    /// Registers a container made by this section without `run` (e.g. by Compose): removed at the
    /// end unless `--keep`.
    pub fn made_container(&mut self, name: &str) {
        self.guards.push(Guard::new(
            &self.docker,
            Resource::Container(name.to_string()),
        ));
    }

    /// Registers a volume: an anonymous one (its container's, unlabelled) is removed at the end;
    /// a named one only if this process created it, so a volume that was there is never adopted.
    pub fn made_volume(&mut self, name: &str) {
        let volume = Resource::Volume(name.to_string());
        let guard = if is_anonymous_volume(name) {
            Guard::new(&self.docker, volume)
        } else {
            self.mine_only(volume)
        };
        self.guards.push(guard);
    }

    /// Registers a network, removed at the end only if this process created it.
    pub fn made_network(&mut self, name: &str) {
        let guard = self.mine_only(Resource::Network(name.to_string()));
        self.guards.push(guard);
    }

    pub(super) fn mine_only(&self, resource: Resource) -> Guard {
        let mut guard = Guard::before_create(&self.docker, resource);
        guard.created();
        guard
    }

    /// An image tag this section built (removed at the end unless `--keep`; shared layers stay).
    pub fn made_image(&mut self, tag: &str) {
        self.guards
            .push(Guard::new(&self.docker, Resource::Image(tag.to_string())));
    }

    /// The resource is gone (the article removed it): no need to remove it again.
    pub fn forget(&mut self, resource: &Resource) {
        if let Some(i) = self.guards.iter().position(|g| g.resource() == resource) {
            self.guards.remove(i).keep();
        }
    }

    pub(super) fn release(&mut self) {
        if !self.keep {
            // Newest first: containers go before the volumes and networks they use.
            while let Some(guard) = self.guards.pop() {
                drop(guard);
            }
            return;
        }
        // Keep everything; free the tutorial's container name for the next section.
        for guard in std::mem::take(&mut self.guards) {
            // A dangling anonymous volume has no label and nothing to inspect: never keep it.
            if matches!(guard.resource(), Resource::Volume(n) if is_anonymous_volume(n)) {
                drop(guard);
                continue;
            }
            if let Resource::Container(name) = guard.resource().clone() {
                if !self.parallel && self.docker.exists("container", &name) {
                    let kept = format!("{name}-{}", slug(&self.section));
                    let _ = self.docker.probe(["rename", name.as_str(), kept.as_str()]);
                    self.note(&format!("kept container {kept}"));
                }
            }
            guard.keep();
        }
    }
}
