//! The resource flows between institutions a write records
//! (`tiercare_core::flows`): each flow from the one event that is it.

use super::{Lookup, direction};
use crate::days::day_of;
use tiercare_core::Record;
use tiercare_core::booking::BedKind;
use tiercare_core::care_plan::PlanChange;
use tiercare_core::events::Event;
use tiercare_core::flows::{FlowFact, FlowKind};
use tiercare_core::hub::ReadingChange;
use tiercare_core::indicators::{Direction, Fact, Ix};
use tiercare_core::insurance::Claim;
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::outreach::OutreachEvent;
use tiercare_core::referral::{Booking, Change, Referral};
use tiercare_store::{StoreError, Stored, Write};

/// A flow fact, unless it is empty or an institution to itself.
fn flow(day: time::Date, from: Ix, to: Ix, kind: FlowKind, amount: u64) -> Option<Fact> {
    (amount > 0 && from != to).then_some(Fact::Flow(FlowFact {
        day: day_of(day),
        from,
        to,
        kind,
        amount,
    }))
}

/// The flows `event` of write `w` records; `in_call` holds the referrals
/// and claims written by the same call.
pub(super) async fn of(
    look: &mut Lookup<'_>,
    w: &Write,
    event: &Event,
    referral: Option<&Referral>,
    claim: Option<&Claim>,
    writes_slot_reserved: impl Fn(&str) -> Option<bool>,
) -> Result<Vec<Fact>, StoreError> {
    let mut out = Vec::new();
    match event {
        Event::Referral(ev) => {
            let Some(r) = referral else {
                return Ok(out);
            };
            let from = look.ix(r.from.as_str()).await?;
            let to = look.ix(r.to.as_str()).await?;
            match &ev.change {
                Change::Arrived { .. } => {
                    let kind = match direction(r) {
                        Direction::Up => FlowKind::PatientsUp,
                        Direction::Down => FlowKind::PatientsDown,
                    };
                    out.extend(flow(ev.at.date(), from, to, kind, 1));
                }
                // Reserved capacity is the receiver's gift to the sender.
                Change::Booked { booking, .. } => match booking {
                    Booking::Slot { slot, start, .. } => {
                        let reserved = match writes_slot_reserved(slot.as_str()) {
                            Some(r) => r,
                            None => match look.ctx.store.get("Slot", slot.as_str()).await? {
                                Some(Stored {
                                    record: Record::Slot(s),
                                    ..
                                }) => s.reserved,
                                _ => false,
                            },
                        };
                        if reserved {
                            out.extend(flow(start.date(), to, from, FlowKind::ReservedSlots, 1));
                        }
                    }
                    Booking::Bed {
                        bed: BedKind::Reserved,
                        from: on,
                        ..
                    } => out.extend(flow(on.date(), to, from, FlowKind::ReservedBeds, 1)),
                    Booking::Bed { .. } => {}
                },
                _ => {}
            }
        }
        Event::Outreach(OutreachEvent::SessionHeld { programme, at, .. }) => {
            let Some(Stored {
                record: Record::Programme(p),
                ..
            }) = look
                .ctx
                .store
                .get("HealthcareService", programme.as_str())
                .await?
            else {
                return Ok(out);
            };
            let (day, minutes) = match &w.record {
                Record::OutreachSession(s) => (s.start.date(), (s.end - s.start).whole_minutes()),
                _ => (at.date(), 0),
            };
            let hospital = look.ix(p.hospital.as_str()).await?;
            let primary = look.ix(p.primary.as_str()).await?;
            let minutes = u64::try_from(minutes).unwrap_or(0);
            out.extend(flow(
                day,
                hospital,
                primary,
                FlowKind::SpecialistHours,
                minutes,
            ));
        }
        Event::Outreach(OutreachEvent::ActivityLogged { activity, .. }) => {
            let Some(Stored {
                record: Record::Mentorship(m),
                ..
            }) = look
                .ctx
                .store
                .get("CareTeam", activity.mentorship.as_str())
                .await?
            else {
                return Ok(out);
            };
            let Some(mentor) = role_at(
                look,
                m.specialist.as_str(),
                PractitionerRoleKind::Specialist,
            )
            .await?
            else {
                return Ok(out);
            };
            let from = look.ix(&mentor).await?;
            for doctor in &activity.family_doctors {
                if let Some(at) =
                    role_at(look, doctor.as_str(), PractitionerRoleKind::FamilyDoctor).await?
                {
                    let to = look.ix(&at).await?;
                    out.extend(flow(activity.date, from, to, FlowKind::Mentoring, 1));
                }
            }
        }
        Event::CarePlan(ev) => {
            if let PlanChange::DrawnUp { plan, .. } = &ev.change {
                let stocked = plan.medicines.iter().filter(|m| m.on_receiver_list).count();
                let from = look.ix(plan.from.as_str()).await?;
                let to = look.ix(plan.to.as_str()).await?;
                out.extend(flow(
                    ev.at.date(),
                    from,
                    to,
                    FlowKind::MedicinesAligned,
                    stocked as u64,
                ));
            }
        }
        Event::Reading(ev) => {
            if let (ReadingChange::Reported { .. }, Record::ReadingOrder(o)) =
                (&ev.change, &w.record)
            {
                let hub = look.ix(o.hub_institution.as_str()).await?;
                let member = look.ix(o.from.as_str()).await?;
                out.extend(flow(ev.at.date(), hub, member, FlowKind::Readings, 1));
                // The member pays the hub its share of the reading's fee.
                if let Some(c) = &o.charge {
                    let fen = u64::try_from(c.hub_share.fen()).unwrap_or(0);
                    out.extend(flow(ev.at.date(), member, hub, FlowKind::Money, fen));
                }
            }
        }
        // The fund's share of a referred visit, from the referring side's
        // budget to the institution that gave the care.
        Event::VisitFinished { encounter } => {
            if let (Some(r), Some(c), Some(done)) = (referral, claim, encounter.finished) {
                let from = look.ix(r.from.as_str()).await?;
                let to = look.ix(encounter.institution.as_str()).await?;
                let fen = u64::try_from(c.adjudication.split.covered.fen()).unwrap_or(0);
                out.extend(flow(done.date(), from, to, FlowKind::Money, fen));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// The institution of a practitioner's active role of `kind` (the first
/// by id when there are several).
async fn role_at(
    look: &Lookup<'_>,
    practitioner: &str,
    kind: PractitionerRoleKind,
) -> Result<Option<String>, StoreError> {
    Ok(crate::search::active_roles(&look.ctx.store, practitioner)
        .await?
        .into_iter()
        .filter(|r| r.role == kind)
        // A multi-site practitioner's own institution: the role without days.
        .min_by_key(|r| !r.days.is_empty())
        .map(|r| r.institution.to_string()))
}
