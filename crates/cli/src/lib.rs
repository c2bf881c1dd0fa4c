//! The `tiercare` command: configuration, start-up, the demo county loader,
//! user management, audit verification, backup and restore, the benchmark,
//! and the simulator's `simulate` and `calibrate`. `main.rs` only parses the
//! command line and calls in here.
//!
//! It owns start-up and wiring: it is the one crate that may depend on all
//! the others (it mounts `tiercare-web`'s pages beside `tiercare-api`), and
//! nothing depends on it.

pub mod audit;
pub mod backup;
pub mod bench;
pub mod calibrate;
pub mod config;
pub mod demo;
pub mod simulate;
pub mod startup;
pub mod users;
