//! The simulator's integration tests, in one binary (one link step):
//! runs are deterministic, episodes and visits are conserved, policy
//! levers move the indicators the way they should, the reference county
//! model agrees with its independent SimPy implementation, and bad
//! scenarios are refused with the field named.
//!
//! Regions are small (10,000 to 50,000 residents) so the whole binary
//! runs in seconds; the simulator crate is optimised even in test builds.

mod bad_input;
mod conservation;
mod determinism;
mod emergency;
mod flows;
mod groups;
mod helpers;
mod levers;
mod refmodel;
mod reports;
mod stays;
mod waits;
