//! The `tiercare` command: configuration, start-up, the demo county loader,
//! user management and the benchmark. `main.rs` only parses the command
//! line and calls in here.

pub mod bench;
pub mod config;
pub mod demo;
pub mod startup;
pub mod users;
