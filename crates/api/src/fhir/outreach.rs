//! Joint programmes as FHIR: a programme is a `HealthcareService`, a
//! session the `Schedule` its slots belong to, a mentorship a `CareTeam`,
//! a mentoring activity a `Task`.

use super::reference_term;
use serde_json::{Value, json};
use tiercare_core::outreach::{Mentorship, MentorshipActivity, OutreachSession, Programme};

/// A programme as a `HealthcareService`.
pub fn render_programme(p: &Programme) -> Value {
    json!({
        "resourceType": "HealthcareService",
        "active": p.end.is_none(),
        "providedBy": {"reference": format!("Organization/{}", p.hospital)},
    })
}

/// The search terms of a programme.
pub fn index_programme(p: &Programme) -> Vec<(String, String)> {
    vec![reference_term(
        "organization",
        "Organization",
        p.hospital.as_str(),
    )]
}

/// A session as a `Schedule`.
pub fn render_session(s: &OutreachSession) -> Value {
    json!({
        "resourceType": "Schedule",
        "actor": [{"reference": format!("HealthcareService/{}", s.programme)}],
    })
}

/// The search terms of a session.
pub fn index_session(s: &OutreachSession) -> Vec<(String, String)> {
    vec![reference_term(
        "actor",
        "HealthcareService",
        s.programme.as_str(),
    )]
}

/// A mentorship as a `CareTeam`.
pub fn render_mentorship(m: &Mentorship) -> Value {
    json!({
        "resourceType": "CareTeam",
        "participant": [{"member": {"reference": format!("Practitioner/{}", m.specialist)}}],
    })
}

/// The search terms of a mentorship.
pub fn index_mentorship(m: &Mentorship) -> Vec<(String, String)> {
    vec![reference_term(
        "participant",
        "Practitioner",
        m.specialist.as_str(),
    )]
}

/// A mentoring activity as a `Task`.
pub fn render_activity(a: &MentorshipActivity) -> Value {
    json!({
        "resourceType": "Task",
        "status": "completed",
        "intent": "order",
        "focus": {"reference": format!("CareTeam/{}", a.mentorship)},
    })
}

/// The search terms of a mentoring activity.
pub fn index_activity(a: &MentorshipActivity) -> Vec<(String, String)> {
    vec![reference_term("focus", "CareTeam", a.mentorship.as_str())]
}
