//! Remote readings at the alliances' hubs: after a township visit the
//! family doctor may have a trace or a film read by the lead hospital's
//! ECG or imaging centre; a reader there reports it (stat within minutes,
//! routine within the working day, some late), now and then with a
//! critical finding that the family doctor acknowledges.

use super::mix::{between, chance};
use super::{Run, Step};
use tiercare_core::access::Actor;
use tiercare_core::hub::{
    Acquisition, Finding, HubKind, NewReading, NewReadingOrder, ReadingPriority,
};
use tiercare_core::{DiagnosticReportId, ReadingOrderId, Specialty};
use tiercare_service::ServiceError;
use tiercare_service::referrals::Referrals;
use time::Duration;

/// A reading waiting for the hub's reader, or a critical alert for the
/// family doctor.
#[derive(Debug, Clone)]
pub enum Reading {
    Report {
        id: String,
        kind: HubKind,
        priority: ReadingPriority,
        reader: Actor,
    },
    Acknowledge {
        id: String,
        doctor: Actor,
    },
}

/// Of the readings reported, those with a critical finding, by how
/// urgently the doctor asked: a stat ECG is ordered for chest pain now, a
/// routine one for a check-up (assumption, not a published figure).
fn critical_share(priority: ReadingPriority) -> f64 {
    match priority {
        ReadingPriority::Stat => 0.3,
        ReadingPriority::Urgent => 0.08,
        ReadingPriority::Routine => 0.01,
    }
}

impl Run<'_> {
    /// After a primary visit by `doctor`'s patient: a remote reading,
    /// sometimes, from the hub serving the doctor's institution.
    pub(super) async fn maybe_read(
        &mut self,
        person: usize,
        specialty: Specialty,
        doctor: &Actor,
    ) -> anyhow::Result<()> {
        let (kind, p) = match specialty {
            Specialty::Cardiology => (HubKind::Ecg, 0.3),
            Specialty::Respiratory => (HubKind::Imaging, 0.15),
            _ => (HubKind::Ecg, 0.02),
        };
        if !chance(&mut self.reading_dice, p) {
            return Ok(());
        }
        let Some(institution) = doctor.institution.clone() else {
            return Ok(());
        };
        let Some(hub) = self
            .cast
            .hubs
            .iter()
            .find(|h| h.kind == kind && h.serves(&institution))
            .cloned()
        else {
            return Ok(());
        };
        let Some(hospital) = self.cast.hospitals.iter().find(|h| h.id == hub.institution) else {
            return Ok(());
        };
        let reader = hospital.specialist(match kind {
            HubKind::Ecg => Specialty::Cardiology,
            _ => Specialty::InternalMedicine,
        });
        let draw = between(&mut self.reading_dice, 0, 100);
        let (priority, minutes) = match draw {
            0..10 => (
                ReadingPriority::Stat,
                between(&mut self.reading_dice, 2, 20),
            ),
            10..35 => (
                ReadingPriority::Urgent,
                between(&mut self.reading_dice, 10, 150),
            ),
            _ => (
                ReadingPriority::Routine,
                between(&mut self.reading_dice, 30, 1_800),
            ),
        };
        self.reading_seq += 1;
        let id = ReadingOrderId::new(format!(
            "rdg-hist-{:02}-{:06}",
            self.shard, self.reading_seq
        ))?;
        let new = NewReadingOrder {
            id: id.clone(),
            patient: self.cast.people[person].id.clone(),
            from: institution,
            kind,
            priority,
            question: match kind {
                HubKind::Ecg => "胸闷心悸，请判读心电图".into(),
                _ => "咳嗽发热，请判读胸片".into(),
            },
            acquisition: Some(Acquisition::Media {
                url: format!("https://pacs.zx.example/study/{id}"),
            }),
        };
        let ordered = Referrals::new(&self.state.ctx, doctor)
            .order_reading(new, &hub.id)
            .await;
        if lenient(ordered).is_none() {
            return Ok(());
        }
        self.report.readings += 1;
        let now = self.state.ctx.clock.now();
        self.plan(
            now + Duration::minutes(minutes),
            Step::Read(Reading::Report {
                id: id.to_string(),
                kind,
                priority,
                reader,
            }),
        );
        // The doctor stays with the reading until it is acknowledged.
        self.reading_doctors.insert(id.to_string(), doctor.clone());
        Ok(())
    }

    pub(super) async fn read(&mut self, r: Reading) -> anyhow::Result<()> {
        match r {
            Reading::Report {
                id,
                kind,
                priority,
                reader,
            } => {
                let critical = chance(&mut self.reading_dice, critical_share(priority));
                let finding = match (kind, critical) {
                    (HubKind::Ecg, true) => "164931005",
                    (HubKind::Ecg, false) => "164854000",
                    (_, true) => "36118008",
                    (_, false) => "17621005",
                };
                let new = NewReading {
                    report: DiagnosticReportId::new(format!("{id}-r"))?,
                    conclusion: if critical {
                        "危急值，请立即处理".into()
                    } else {
                        "未见明显异常".into()
                    },
                    findings: vec![Finding {
                        code: finding.into(),
                        display: String::new(),
                    }],
                    critical: None,
                };
                let done = Referrals::new(&self.state.ctx, &reader)
                    .report_reading(&id, new, None)
                    .await;
                if lenient(done).is_none() {
                    return Ok(());
                }
                let doctor = self.reading_doctors.remove(&id);
                if critical && let Some(doctor) = doctor {
                    self.report.critical_readings += 1;
                    let now = self.state.ctx.clock.now();
                    let after = between(&mut self.reading_dice, 2, 45);
                    self.plan(
                        now + Duration::minutes(after),
                        Step::Read(Reading::Acknowledge { id, doctor }),
                    );
                }
            }
            Reading::Acknowledge { id, doctor } => {
                let done = Referrals::new(&self.state.ctx, &doctor)
                    .acknowledge_reading(&id, None)
                    .await;
                lenient(done);
            }
        }
        Ok(())
    }
}

/// A reading the services refused is left out of the history: the
/// readings are a side line of a visit, never a reason to stop.
fn lenient<T>(r: Result<T, ServiceError>) -> Option<T> {
    r.map_err(|e| tracing::debug!("demo history: reading refused: {e}"))
        .ok()
}
