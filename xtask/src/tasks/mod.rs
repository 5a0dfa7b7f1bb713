//! One module per `cargo xtask` command, each a clap struct with `run(self, sh)`. Tasks use the
//! layers (engine, jupyter, images, walkthrough) and never each other.

pub mod base;
pub mod bench;
pub mod build;
pub mod doctor;
pub mod hub;
pub mod lifecycle;
pub mod lock;
pub mod ps;
pub mod push;
pub mod run;
pub mod sandbox;
pub mod test;
pub mod up;
