//! `cargo xtask`: Jupyter in Docker with the data handled right, and the tutorial series replayed
//! against a real engine. The layers, from the bottom up (each uses only the ones below it):
//!
//! - [`engine`]: the docker CLI behind a typed handle (run/build specs, labels, guards, waits);
//! - [`jupyter`]: what a Jupyter server prints and answers (URL parser, status probe, notebooks);
//! - [`images`]: where every image comes from (official, else built here) and its recipe hash;
//! - [`sandbox`]: a Docker engine in a container, with a registry of stand-ins, for replays as written;
//! - [`walkthrough`]: the articles replayed, with their claims and reports;
//! - [`tasks`]: one module per `cargo xtask` command; tasks never import each other.

pub mod engine;
pub mod exit;
pub mod images;
pub mod jupyter;
pub mod paths;
pub mod prereqs;
pub mod progress;
pub mod sandbox;
pub mod tasks;
pub mod walkthrough;
