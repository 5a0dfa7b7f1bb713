//! Where every image comes from: the official one where it can be had, else built here from
//! a Debian root filesystem, tagged with a hash of its recipe so an unchanged recipe is never rebuilt.

pub mod base;
pub mod hub;
pub mod mysql;
pub mod onecommit;
pub mod recipe;
pub mod rootfs;
pub mod sandbox;
pub mod series;
