//! The `tiercare` command: configuration, start-up, the demo county loader,
//! user management, the benchmark, and the simulator's `simulate` and
//! `calibrate`. `main.rs` only parses the command
//! line and calls in here.

pub mod bench;
pub mod calibrate;
pub mod config;
pub mod demo;
pub mod simulate;
pub mod startup;
pub mod users;
