//! tiercare-core: the domain of tiered care ("hierarchical diagnosis and
//! treatment"), in pure Rust with no I/O.
//!
//! The modules follow the domain: [`network`] is the region's institutions,
//! alliances and practitioners; [`resident`] the people they serve and their
//! family-doctor contracts; [`catalogue`] the conditions and the level each
//! belongs at; [`access`] who may see whose data; [`events`] the record of
//! every change; [`demo`] the bundled demo county. The referral loop is
//! [`referral`] with [`booking`] (slots and beds), [`consult`] (advice
//! before referral), [`clinical`] (results that travel) and [`care_plan`]
//! (the plan that goes down with the patient, checked against
//! [`medicines`] lists). [`outreach`] is the Joint Health Centre: hospital
//! specialists' sessions and mentoring in primary care, co-managed chronic
//! panels, and their evaluation. [`insurance`] prices a visit by scheme and
//! level from the [`policy`] file's tables. Storage, HTTP and simulation
//! sit around this crate and all use the same rules.
//!
//! It owns the vocabulary and the rules; it must not do I/O, use async or
//! depend on any other tiercare crate, so the services, the simulator and
//! the tests all run the same rules in memory.

pub mod access;
pub mod booking;
pub mod care_plan;
pub mod catalogue;
pub mod clinical;
pub mod consult;
pub mod demo;
pub mod emergency;
pub mod events;
pub mod flows;
pub mod hub;
pub mod ids;
pub mod indicators;
pub mod insurance;
pub mod level;
pub mod medicines;
pub mod network;
pub mod outreach;
pub mod policy;
pub mod record;
pub mod referral;
pub mod resident;

pub use ids::*;

/// China Standard Time (UTC+8, no daylight saving): the region's wall
/// clock, by which its users count days and read times.
pub const CHINA_TIME: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => time::UtcOffset::UTC,
};
pub use level::{Level, Specialty};
pub use record::Record;
