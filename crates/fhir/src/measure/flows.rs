//! The resource flows' family of measures (`tiercare_core::flows::measures`):
//! reports over an alliance or the region, stratified by partnership.

use super::Family;
use crate::datatypes::identifier_system;
use serde_json::{Value, json};

/// The resource flows between the institutions of an alliance or the
/// region (`tiercare_core::flows`).
pub const FLOWS: Family = Family {
    subject_type: "Organization",
    stratifier: "partnership",
    stratifier_description: "By partnership: one stratum for each direction of every pair of the subject's institutions with a flow between them in the period, with what that giver gave that receiver; the partnership measures count the pair's partnership once in each direction's stratum. The subject is an alliance (Organization) or the region.",
    stratifier_criteria: "The giver and the receiver, as {giver id}->{receiver id}.",
    components: &[
        (
            "giver",
            "The institution that gave: its Organization id as the code, its name as the display.",
        ),
        (
            "receiver",
            "The institution that received: its Organization id as the code, its name as the display.",
        ),
    ],
};

/// The system of the codes naming an `Organization` by its id in a
/// partnership stratum's components.
pub fn organization_system() -> String {
    identifier_system("organization")
}

/// An institution as a stratum component's value: its id as the code.
pub fn organization_concept(id: &str, name: &str) -> Value {
    json!({
        "coding": [{"system": organization_system(), "code": id, "display": name}],
        "text": name,
    })
}
