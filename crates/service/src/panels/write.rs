//! How a panel change is written: the record, its `OutreachEvent`, its
//! audit entry and the chronic-management snapshot of the institution, in
//! one store transaction (see "The chronic-management indicator" in the
//! documentation of the `panels` module). Enrolment and measurement both
//! write through here.

use super::Panels;
use crate::ServiceError;
use crate::search::any_of;
use std::collections::BTreeSet;
use tiercare_core::events::Event;
use tiercare_core::indicators::{Fact, REGULAR_FOLLOW_UP_DAYS};
use tiercare_core::outreach::{OutreachEvent, PanelEnrolment};
use tiercare_core::{EnrolmentId, Record};
use tiercare_store::{AuditOutcome, Expect, Write};
use time::{Date, Duration};

impl Panels<'_> {
    /// Writes a panel record with its event, its audit entry and the
    /// institution's chronic-management snapshot, in one transaction.
    pub(super) async fn write(
        &self,
        record: Record,
        expect: Expect,
        event: OutreachEvent,
        enrolment: &PanelEnrolment,
        action: &str,
        detail: &str,
    ) -> Result<(u32, String), ServiceError> {
        let day = self.ctx.clock.today();
        let fact = self.snapshot(enrolment, &record, day).await?;
        let audit = self.registry().audit_entry(
            action,
            record.resource_type(),
            Some(record.id()),
            Some(enrolment.patient.as_str()),
            AuditOutcome::Success,
            detail.to_string(),
        );
        let write = Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events: vec![Event::Outreach(event)],
            facts: vec![fact],
        };
        let stored = self.ctx.store.write_all(vec![write], vec![audit]).await?;
        Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        }))
    }

    /// The chronic-management snapshot of the enrolment's institution as
    /// of `day`, counting `pending` (the record being written) as stored.
    async fn snapshot(
        &self,
        enrolment: &PanelEnrolment,
        pending: &Record,
        day: Date,
    ) -> Result<Fact, ServiceError> {
        let mut enrolments = self
            .all_enrolments(any_of(
                "performer",
                vec![format!("Organization/{}", enrolment.institution)],
            ))
            .await?;
        if let Record::PanelEnrolment(p) = pending {
            enrolments.retain(|e| e.id != p.id);
            enrolments.push(p.clone());
        }
        enrolments.retain(|e| e.active_on(day));
        let ids: Vec<&EnrolmentId> = enrolments.iter().map(|e| &e.id).collect();
        let from = day
            .checked_sub(Duration::days(i64::from(REGULAR_FOLLOW_UP_DAYS)))
            .unwrap_or(Date::MIN);
        // Only the window's measurements count, so only they are read: a
        // panel's whole history, read again at every write, made each
        // write cost more than the last.
        let mut measurements = self.measurements_since(&ids, Some(from)).await?;
        if let Record::Measurement(m) = pending {
            measurements.push(m.clone());
        }
        let followed_enrolments: BTreeSet<&EnrolmentId> = measurements
            .iter()
            .filter(|m| (from..=day).contains(&m.at.date()))
            .map(|m| &m.enrolment)
            .collect();
        // Patients, not enrolments: one patient in two panels is one
        // known patient.
        let known: BTreeSet<&str> = enrolments.iter().map(|e| e.patient.as_str()).collect();
        let followed: BTreeSet<&str> = enrolments
            .iter()
            .filter(|e| followed_enrolments.contains(&e.id))
            .map(|e| e.patient.as_str())
            .collect();
        let institution = self
            .ctx
            .store
            .institution_ix(enrolment.institution.as_str())
            .await?;
        Ok(Fact::ChronicPanel {
            day: crate::days::day_of(day),
            institution,
            known: u32::try_from(known.len()).unwrap_or(u32::MAX),
            followed: u32::try_from(followed.len()).unwrap_or(u32::MAX),
        })
    }
}
