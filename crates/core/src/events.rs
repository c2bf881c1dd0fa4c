//! Domain events: every change in the care network is recorded as one.
//!
//! Storage writes each event in the same transaction as the state it
//! changes; indicators and the simulator read the same events. Events are
//! versioned by their `kind` name: a new shape gets a new name, an old name
//! never changes meaning.

use crate::ResidentId;
use crate::booking::{Appointment, Encounter};
use crate::care_plan::CarePlanEvent;
use crate::clinical::ResultKind;
use crate::consult::ConsultEvent;
use crate::emergency::EmergencyEvent;
use crate::hub::ReadingEvent;
use crate::insurance::Claim;
use crate::outreach::OutreachEvent;
use crate::record::Record;
use crate::referral::ReferralEvent;
use crate::resident::{Contract, Resident};
use serde::{Deserialize, Serialize};

/// Something that happened in the care network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A registry record was created.
    Registered { record: Record },
    /// A registry record was changed; `version` is its new version.
    Revised { record: Record, version: u32 },
    /// A resident signed a family-doctor contract (or moved to a new team).
    ContractSigned {
        resident: ResidentId,
        contract: Contract,
    },
    /// A resident's contract was ended or withdrawn.
    ContractEnded {
        resident: ResidentId,
        contract: Contract,
    },
    /// A referral was requested or moved along its loop.
    Referral(ReferralEvent),
    /// A visit was booked in a slot; `bypass` when self-referred to a
    /// hospital under financial gatekeeping.
    AppointmentBooked { appointment: Appointment },
    /// A patient arrived for a visit or admission, referred or not:
    /// indicators count visits by level from these.
    VisitArrived { encounter: Encounter },
    /// A visit or stay ended.
    VisitFinished { encounter: Encounter },
    /// An e-consult was asked, answered or closed.
    Consult(ConsultEvent),
    /// A downward referral's care plan changed (drawn up, decided, a
    /// follow-up done).
    CarePlan(CarePlanEvent),
    /// A finished visit was adjudicated: the claim, with its split and the
    /// rule lines, for insurance indicators and the alliance budget.
    ClaimAdjudicated { claim: Box<Claim> },
    /// A result was recorded for a patient (mutual recognition counts the
    /// tests a referral did not repeat).
    ResultRecorded {
        patient: ResidentId,
        kind: ResultKind,
        id: String,
        test: String,
    },
    /// A joint programme changed: a session scheduled, held, cancelled or
    /// missed, mentoring logged, a patient enrolled in a panel or measured.
    Outreach(OutreachEvent),
    /// A hub reading was ordered, taken, reported, cancelled or its
    /// critical alert acknowledged.
    Reading(ReadingEvent),
    /// An emergency case was opened (its alert sent), acknowledged, its
    /// clock filled in, or closed with its outcome.
    Emergency(EmergencyEvent),
}

impl Event {
    /// A stable, versioned name for the event, e.g. `institution.registered.v1`.
    pub fn kind(&self) -> String {
        match self {
            Event::Registered { record } => format!("{}.registered.v1", record.kind()),
            Event::Revised { record, .. } => format!("{}.revised.v1", record.kind()),
            Event::ContractSigned { .. } => "contract.signed.v1".to_string(),
            Event::ContractEnded { .. } => "contract.ended.v1".to_string(),
            Event::Referral(e) => e.kind().to_string(),
            Event::AppointmentBooked { .. } => "appointment.booked.v1".to_string(),
            Event::VisitArrived { .. } => "visit.arrived.v1".to_string(),
            Event::VisitFinished { .. } => "visit.finished.v1".to_string(),
            Event::Consult(e) => e.kind().to_string(),
            Event::CarePlan(e) => e.kind().to_string(),
            Event::ResultRecorded { .. } => "result.recorded.v1".to_string(),
            Event::ClaimAdjudicated { .. } => "claim.adjudicated.v1".to_string(),
            Event::Outreach(e) => e.kind().to_string(),
            Event::Reading(e) => e.kind().to_string(),
            Event::Emergency(e) => e.kind().to_string(),
        }
    }

    /// The events a change of a registry record produces: the record event,
    /// plus contract events when a resident's contract changed.
    pub fn for_change(before: Option<&Record>, after: &Record, version: u32) -> Vec<Event> {
        if !after.is_registry() {
            return Vec::new();
        }
        let mut events = vec![match before {
            None => Event::Registered {
                record: after.clone(),
            },
            Some(_) => Event::Revised {
                record: after.clone(),
                version,
            },
        }];
        if let Record::Resident(new) = after {
            let old = match before {
                Some(Record::Resident(old)) => old.contract.as_ref(),
                _ => None,
            };
            events.extend(contract_events(old, new));
        }
        events
    }
}

fn contract_events(old: Option<&Contract>, new: &Resident) -> Vec<Event> {
    let resident = new.id.clone();
    match (old, new.contract.as_ref()) {
        (None, Some(c)) => vec![Event::ContractSigned {
            resident,
            contract: c.clone(),
        }],
        (Some(o), None) => vec![Event::ContractEnded {
            resident,
            contract: o.clone(),
        }],
        (Some(o), Some(c)) if o.team != c.team || o.signed_on != c.signed_on => vec![
            Event::ContractEnded {
                resident: resident.clone(),
                contract: o.clone(),
            },
            Event::ContractSigned {
                resident,
                contract: c.clone(),
            },
        ],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OutreachSessionId, ProgrammeId};
    use time::macros::datetime;

    /// Stored events are read back by the subscription worker and the
    /// indicator rebuild; a nested event must not collide with the outer
    /// `event` tag.
    #[test]
    fn an_outreach_event_survives_the_round_trip_through_json() {
        let event = Event::Outreach(OutreachEvent::SessionMissed {
            session: OutreachSessionId::new("s-1").unwrap(),
            programme: ProgrammeId::new("p-1").unwrap(),
            at: datetime!(2026-03-02 08:00 UTC),
        });
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
        assert_eq!(event.kind(), back.kind());
    }
}
