//! The evaluation of joint programmes, for every party: the figures of
//! [`tiercare_core::outreach::evaluation`] for a programme, a hospital, a
//! primary institution, an alliance, a specialist, a family doctor or the
//! region, read from the stored programme records.
//!
//! A year of a county's programmes is a few thousand sessions, activities
//! and panel measurements, so the evaluation reads the records themselves
//! rather than keeping aggregates; the indicators, with millions of visits,
//! are the ones that need them. Figures name no patient: anyone who may
//! see a subject's figures may see them all.

use crate::Context;
use crate::ServiceError;
use crate::indicators::every;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::outreach::evaluation::{EvaluationSubject, OutreachData};
use tiercare_core::outreach::{
    Measurement, Mentorship, MentorshipActivity, OutreachSession, PanelEnrolment, Programme,
    Targets,
};
use tiercare_core::{Level, PractitionerId};
use tiercare_store::Stored;

/// Every record of the region's joint programmes.
#[derive(Debug, Default)]
pub struct OutreachRecords {
    pub programmes: Vec<Programme>,
    pub sessions: Vec<OutreachSession>,
    pub mentorships: Vec<Mentorship>,
    pub activities: Vec<MentorshipActivity>,
    pub enrolments: Vec<PanelEnrolment>,
    pub measurements: Vec<Measurement>,
    /// The guideline targets control is judged against.
    pub targets: Targets,
}

impl OutreachRecords {
    /// Reads every programme record from the store.
    pub async fn load(ctx: &Context) -> Result<OutreachRecords, ServiceError> {
        let mut r = OutreachRecords::default();
        for rt in [
            "HealthcareService",
            "Schedule",
            "CareTeam",
            "Task",
            "CarePlan",
        ] {
            for s in every(ctx, rt).await? {
                match s.record {
                    Record::Programme(p) => r.programmes.push(p),
                    Record::OutreachSession(x) => r.sessions.push(x),
                    Record::Mentorship(m) => r.mentorships.push(m),
                    Record::MentorshipActivity(a) => r.activities.push(a),
                    Record::PanelEnrolment(e) => r.enrolments.push(e),
                    _ => {}
                }
            }
        }
        // Panel measurements are the only Observations evaluated; results
        // that travel with referrals are left where they are.
        for s in every(ctx, "Observation").await? {
            if let Record::Measurement(m) = s.record {
                r.measurements.push(m);
            }
        }
        Ok(r)
    }

    /// The records as the core's evaluation reads them.
    pub fn data(&self) -> OutreachData<'_> {
        OutreachData {
            programmes: &self.programmes,
            sessions: &self.sessions,
            mentorships: &self.mentorships,
            activities: &self.activities,
            enrolments: &self.enrolments,
            measurements: &self.measurements,
            targets: &self.targets,
        }
    }

    fn programme(&self, id: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.id.as_str() == id)
    }

    /// Whether the practitioner works as a specialist in some programme,
    /// mentorship or panel (else they are evaluated as a family doctor).
    fn is_specialist(&self, id: &str) -> bool {
        self.programmes
            .iter()
            .any(|p| p.specialists.iter().any(|s| s.as_str() == id))
            || self.mentorships.iter().any(|m| m.specialist.as_str() == id)
            || self.enrolments.iter().any(|e| e.specialist.as_str() == id)
    }
}

/// Who an evaluation is about, as the caller names it: `HealthcareService/{id}`
/// (a programme), `Organization/{id}` (a hospital, a primary institution
/// or an alliance), `Practitioner/{id}`, or nothing for the region.
pub async fn subject(
    ctx: &Context,
    records: &OutreachRecords,
    text: Option<&str>,
) -> Result<EvaluationSubject, ServiceError> {
    let Some(text) = text else {
        return Ok(EvaluationSubject::Region);
    };
    let bad = |why: String| ServiceError::invalid("subject", why);
    let (rt, id) = text.split_once('/').ok_or_else(|| {
        bad(format!(
            "{text:?} is not a subject: use HealthcareService/{{id}}, Organization/{{id}}, \
             Practitioner/{{id}}, or leave it out for the region"
        ))
    })?;
    tiercare_core::check_id(id).map_err(|e| bad(e.to_string()))?;
    match rt {
        "HealthcareService" => match records.programme(id) {
            Some(p) => Ok(EvaluationSubject::Programme(p.id.clone())),
            None => Err(bad(format!("HealthcareService/{id} is not a programme"))),
        },
        "Organization" => match ctx.store.get("Organization", id).await? {
            Some(Stored {
                record: Record::Alliance(a),
                ..
            }) => Ok(EvaluationSubject::Alliance(a.id)),
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) if i.level == Level::Primary => Ok(EvaluationSubject::Primary(i.id)),
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) => Ok(EvaluationSubject::Hospital(i.id)),
            _ => Err(bad(format!(
                "Organization/{id} is not an institution or alliance of the region"
            ))),
        },
        "Practitioner" => {
            let known = ctx.store.get("Practitioner", id).await?.is_some();
            let pid: PractitionerId = id.parse().map_err(|_| bad(format!("{id:?}")))?;
            if records.is_specialist(id) {
                Ok(EvaluationSubject::Specialist(pid))
            } else if known {
                Ok(EvaluationSubject::FamilyDoctor(pid))
            } else {
                Err(bad(format!("Practitioner/{id} does not exist")))
            }
        }
        other => Err(bad(format!(
            "{other} is not a subject of a programme's evaluation"
        ))),
    }
}

/// The subject as a reference, for reports and links.
pub fn reference(subject: &EvaluationSubject) -> Option<String> {
    Some(match subject {
        EvaluationSubject::Region => return None,
        EvaluationSubject::Alliance(id) => format!("Organization/{id}"),
        EvaluationSubject::Hospital(id) | EvaluationSubject::Primary(id) => {
            format!("Organization/{id}")
        }
        EvaluationSubject::Programme(id) => format!("HealthcareService/{id}"),
        EvaluationSubject::Specialist(id) | EvaluationSubject::FamilyDoctor(id) => {
            format!("Practitioner/{id}")
        }
    })
}

/// Administrators and analysts see every subject. Staff see themselves,
/// their own institution, the programmes it or they take part in, and the
/// alliances of those programmes: a hospital and its specialists are
/// evaluated in the open by their partners, as the primary side is.
/// Residents see none, nor do insurance fund officers: a programme's
/// evaluation is about care and teaching, not what the fund pays.
pub fn may_see(
    actor: &Actor,
    records: &OutreachRecords,
    subject: &EvaluationSubject,
) -> Result<(), ServiceError> {
    let me = actor.practitioner.as_ref();
    let home = actor.institution.as_ref();
    let takes_part = |p: &Programme| {
        home.is_some_and(|h| *h == p.hospital || *h == p.primary)
            || me.is_some_and(|m| p.specialists.contains(m))
    };
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst => true,
        UserRole::Resident | UserRole::Insurer => false,
        UserRole::Coordinator | UserRole::Doctor => match subject {
            EvaluationSubject::Region => false,
            EvaluationSubject::Hospital(id) | EvaluationSubject::Primary(id) => home == Some(id),
            EvaluationSubject::Specialist(id) | EvaluationSubject::FamilyDoctor(id) => {
                me == Some(id)
            }
            EvaluationSubject::Programme(id) => {
                records.programme(id.as_str()).is_some_and(takes_part)
            }
            EvaluationSubject::Alliance(id) => records
                .programmes
                .iter()
                .any(|p| p.alliance == *id && takes_part(p)),
        },
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "a programme's evaluation is seen by administrators and analysts, and by the \
             staff of the programmes, institutions and practitioners it is about"
                .into(),
        ))
    }
}

/// The subjects a caller may pick from, for the web page's filter: every
/// programme, institution, alliance and specialist with records.
pub fn choices(records: &OutreachRecords) -> Vec<EvaluationSubject> {
    tiercare_core::outreach::evaluation::subjects(records.data())
}
