//! A reading order's life: ordered, taken by a reader, reported (with any
//! critical alert and its acknowledgement); or cancelled.

use super::{Finding, Hub, HubError, HubKind, ReadingPriority, check_findings, invalid};
use crate::access::{Actor, UserRole};
use crate::clinical::DiagnosticReport;
use crate::policy::Policy;
use crate::referral::Side;
use crate::{
    DiagnosticReportId, HubId, InstitutionId, ObservationId, PractitionerId, ReadingOrderId,
    ReferralId, ResidentId,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The study the township took, as the hub reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Acquisition {
    /// A trace or images kept in an outside archive (a PACS, the ECG
    /// network's server), by its address: FHIR `Media`.
    Media { url: String },
    /// A result already recorded here.
    Observation { id: ObservationId },
}

impl Acquisition {
    fn check(&self) -> Result<(), HubError> {
        if let Acquisition::Media { url } = self {
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            if !scheme_ok || url.len() > 2048 || url.chars().any(char::is_whitespace) {
                return Err(invalid(
                    "supportingInfo",
                    "the acquisition is an http(s) address of the outside archive",
                ));
            }
        }
        Ok(())
    }
}

/// An alert on a critical finding, until the ordering side acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalAlert {
    /// What was found, in words (the reader's or the catalogue's).
    pub finding: String,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    #[serde(default)]
    pub acknowledged: Option<Acknowledgement>,
}

/// Who acknowledged a critical alert, when, and the emergency referral it
/// was turned into, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: PractitionerId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default)]
    pub referral: Option<ReferralId>,
}

/// Where a reading stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ReadingState {
    /// In the hub's queue.
    Ordered,
    /// A reader has it; nobody else reports it.
    Taken {
        reader: PractitionerId,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    Reported {
        reader: PractitionerId,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        report: DiagnosticReportId,
        #[serde(default)]
        alert: Option<CriticalAlert>,
    },
    /// Withdrawn by the ordering side before it was reported.
    Cancelled {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl ReadingState {
    pub fn code(&self) -> &'static str {
        match self {
            ReadingState::Ordered => "ordered",
            ReadingState::Taken { .. } => "taken",
            ReadingState::Reported { .. } => "reported",
            ReadingState::Cancelled { .. } => "cancelled",
        }
    }
}

/// A remote reading of one patient's study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingOrder {
    pub id: ReadingOrderId,
    pub patient: ResidentId,
    pub requester: PractitionerId,
    /// The ordering institution.
    pub from: InstitutionId,
    pub hub: HubId,
    /// The hub's institution, kept so access needs no read of the hub.
    pub hub_institution: InstitutionId,
    pub kind: HubKind,
    pub priority: ReadingPriority,
    /// The clinical question ("chest pain for 40 minutes").
    pub question: String,
    #[serde(default)]
    pub acquisition: Option<Acquisition>,
    #[serde(with = "time::serde::rfc3339")]
    pub ordered_at: OffsetDateTime,
    /// The report is due by then, under the policy in force when ordered.
    #[serde(with = "time::serde::rfc3339")]
    pub due: OffsetDateTime,
    pub state: ReadingState,
    /// The fee and its split, fixed by the policy in force when the
    /// reading was reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<ReadingCharge>,
}

/// What a reported reading costs and what of it the hub's institution
/// receives from the ordering member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingCharge {
    pub fee: crate::insurance::Fen,
    pub hub_share: crate::insurance::Fen,
}

impl ReadingCharge {
    /// The charge a fee rule gives: the hub's share rounded down to the
    /// fen, so the member never pays out more than the fee.
    pub fn of(rule: crate::policy::ReadingFee) -> ReadingCharge {
        let fee = rule.fee_fen.max(0);
        let share = i128::from(fee) * i128::from(rule.hub_share_percent.min(100)) / 100;
        ReadingCharge {
            fee: crate::insurance::Fen::new(fee),
            hub_share: crate::insurance::Fen::new(i64::try_from(share).unwrap_or(0)),
        }
    }
}

/// What a primary doctor fills in to order a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReadingOrder {
    pub id: ReadingOrderId,
    pub patient: ResidentId,
    pub from: InstitutionId,
    /// The kind of study, which must be the hub's.
    pub kind: HubKind,
    pub priority: ReadingPriority,
    pub question: String,
    pub acquisition: Option<Acquisition>,
}

/// What a reader fills in to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReading {
    pub report: DiagnosticReportId,
    pub conclusion: String,
    pub findings: Vec<Finding>,
    /// The reader marks the reading critical (beyond the catalogue's
    /// critical findings), with the finding in words.
    pub critical: Option<String>,
}

/// A change to a reading, stored with it and fed to indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingEvent {
    pub order: ReadingOrderId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub change: ReadingChange,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum ReadingChange {
    Ordered {
        order: Box<ReadingOrder>,
    },
    Taken,
    /// The reader gave it back to the queue.
    Released,
    Reported {
        report: DiagnosticReportId,
        turnaround_seconds: i64,
        within_deadline: bool,
        critical: bool,
    },
    Cancelled,
    Acknowledged {
        seconds_after_report: i64,
        referral: Option<ReferralId>,
    },
}

impl ReadingEvent {
    /// A stable, versioned event name.
    pub fn kind(&self) -> &'static str {
        match self.change {
            ReadingChange::Ordered { .. } => "reading.ordered.v1",
            ReadingChange::Taken => "reading.taken.v1",
            ReadingChange::Released => "reading.released.v1",
            ReadingChange::Reported { .. } => "reading.reported.v1",
            ReadingChange::Cancelled => "reading.cancelled.v1",
            ReadingChange::Acknowledged { .. } => "reading.acknowledged.v1",
        }
    }
}

/// The doctor acting, or why not: only doctors order, read and
/// acknowledge.
fn doctor(by: &Actor) -> Result<(PractitionerId, &InstitutionId), HubError> {
    match (&by.role, &by.practitioner, &by.institution) {
        (UserRole::Doctor, Some(p), Some(i)) => Ok((p.clone(), i)),
        (UserRole::Doctor, ..) => Err(HubError::NotAllowed(
            "a doctor acts on readings as themself, at their institution".into(),
        )),
        (role, ..) => Err(HubError::Role(role.code())),
    }
}

impl ReadingOrder {
    /// Every reading order id starts with this, and no referral (hex) or
    /// consult (`con-`) id does, so a `ServiceRequest` id says which it is.
    pub const ID_PREFIX: &'static str = "rdg-";

    /// Whether a `ServiceRequest` id is a reading order's.
    pub fn is_reading_id(id: &str) -> bool {
        id.starts_with(Self::ID_PREFIX)
    }

    /// Orders a reading from `hub`. Only a doctor of a member institution
    /// may, as themself, with a clinical question.
    pub fn order(
        new: NewReadingOrder,
        hub: &Hub,
        by: &Actor,
        now: OffsetDateTime,
        policy: &Policy,
    ) -> Result<(ReadingOrder, ReadingEvent), HubError> {
        let (requester, institution) = doctor(by)?;
        if *institution != new.from {
            return Err(HubError::NotAllowed(
                "a reading is ordered by a doctor of the ordering institution".into(),
            ));
        }
        if !hub.serves(&new.from) {
            return Err(invalid(
                "performer",
                format!(
                    "HealthcareService/{} does not read for Organization/{}",
                    hub.id, new.from
                ),
            ));
        }
        if new.kind != hub.kind {
            return Err(invalid(
                "category",
                format!(
                    "HealthcareService/{} reads {} studies, not {}",
                    hub.id,
                    hub.kind.code(),
                    new.kind.code()
                ),
            ));
        }
        if !Self::is_reading_id(new.id.as_str()) {
            return Err(invalid(
                "id",
                format!("a reading order's id starts with {}", Self::ID_PREFIX),
            ));
        }
        if new.question.trim().is_empty() {
            return Err(invalid(
                "reasonCode",
                "the reading needs a clinical question",
            ));
        }
        if let Some(a) = &new.acquisition {
            a.check()?;
        }
        let order = ReadingOrder {
            id: new.id,
            patient: new.patient,
            requester,
            from: new.from,
            hub: hub.id.clone(),
            hub_institution: hub.institution.clone(),
            kind: hub.kind,
            priority: new.priority,
            question: new.question,
            acquisition: new.acquisition,
            ordered_at: now,
            due: new.priority.due(hub.kind, now, policy),
            state: ReadingState::Ordered,
            charge: None,
        };
        let event = order.event(
            by,
            now,
            ReadingChange::Ordered {
                order: Box::new(order.clone()),
            },
        );
        Ok((order, event))
    }

    /// Which sides the user is on: staff of the ordering institution on
    /// the referrer's, staff of the hub's institution on the receiver's.
    pub fn sides(&self, by: &Actor) -> Vec<Side> {
        Side::of(by, &self.from, &self.hub_institution)
    }

    fn reader(&self, by: &Actor) -> Result<PractitionerId, HubError> {
        let (me, institution) = doctor(by)?;
        if *institution != self.hub_institution {
            return Err(HubError::NotAllowed(format!(
                "only doctors of Organization/{} read for this hub",
                self.hub_institution
            )));
        }
        Ok(me)
    }

    fn illegal(&self, action: &'static str) -> HubError {
        HubError::IllegalTransition {
            action,
            state: self.state.code(),
        }
    }

    /// A reader of the hub takes the order from the queue.
    pub fn take(&mut self, by: &Actor, now: OffsetDateTime) -> Result<ReadingEvent, HubError> {
        let reader = self.reader(by)?;
        if self.state != ReadingState::Ordered {
            return Err(self.illegal("take"));
        }
        self.state = ReadingState::Taken { reader, at: now };
        Ok(self.event(by, now, ReadingChange::Taken))
    }

    /// The reader who took it gives it back to the queue.
    pub fn release(&mut self, by: &Actor, now: OffsetDateTime) -> Result<ReadingEvent, HubError> {
        let me = self.reader(by)?;
        match &self.state {
            ReadingState::Taken { reader, .. } if *reader == me => {}
            ReadingState::Taken { reader, .. } => {
                return Err(HubError::NotAllowed(format!(
                    "Practitioner/{reader} took this reading; only they may release it"
                )));
            }
            _ => return Err(self.illegal("release")),
        }
        self.state = ReadingState::Ordered;
        Ok(self.event(by, now, ReadingChange::Released))
    }

    /// The reader reports: answers the report to store with the order.
    /// A reading still in the queue is taken and reported at once; a
    /// taken one only by its reader.
    pub fn report(
        &mut self,
        new: NewReading,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<(DiagnosticReport, ReadingEvent), HubError> {
        let me = self.reader(by)?;
        match &self.state {
            ReadingState::Ordered => {}
            ReadingState::Taken { reader, .. } if *reader == me => {}
            ReadingState::Taken { reader, .. } => {
                return Err(HubError::NotAllowed(format!(
                    "Practitioner/{reader} took this reading; only they may report it"
                )));
            }
            _ => return Err(self.illegal("report")),
        }
        if new.conclusion.trim().is_empty() {
            return Err(invalid("conclusion", "a report needs a conclusion"));
        }
        let (findings, by_catalogue) = check_findings(self.kind, new.findings)?;
        let marked = match new.critical {
            Some(text) if text.trim().is_empty() => {
                return Err(invalid(
                    "extension:critical",
                    "name the critical finding in words",
                ));
            }
            marked => marked,
        };
        let alert = marked
            .or_else(|| {
                by_catalogue.then(|| {
                    findings
                        .iter()
                        .filter(|f| super::is_critical(self.kind, &f.code))
                        .map(|f| f.display.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            })
            .map(|finding| CriticalAlert {
                finding,
                raised_at: now,
                acknowledged: None,
            });
        let (code, name) = self.kind.report_code();
        let report = DiagnosticReport {
            id: new.report.clone(),
            patient: self.patient.clone(),
            test: self.kind.test(),
            name: name.to_string(),
            conclusion: new.conclusion,
            effective: now,
            performer: self.hub_institution.clone(),
            results: Vec::new(),
            recorded_by: me.clone(),
            based_on: Some(self.id.clone()),
            findings,
        };
        debug_assert_eq!(report.test.as_str(), code);
        let change = ReadingChange::Reported {
            report: new.report.clone(),
            turnaround_seconds: (now - self.ordered_at).whole_seconds(),
            within_deadline: now <= self.due,
            critical: alert.is_some(),
        };
        self.state = ReadingState::Reported {
            reader: me,
            at: now,
            report: new.report,
            alert,
        };
        Ok((report, self.event(by, now, change)))
    }

    /// The ordering side withdraws the order before it is reported.
    pub fn cancel(&mut self, by: &Actor, now: OffsetDateTime) -> Result<ReadingEvent, HubError> {
        let (_, institution) = doctor(by)?;
        if *institution != self.from {
            return Err(HubError::NotAllowed(
                "only doctors of the ordering institution may cancel a reading".into(),
            ));
        }
        if !matches!(
            self.state,
            ReadingState::Ordered | ReadingState::Taken { .. }
        ) {
            return Err(self.illegal("cancel"));
        }
        self.state = ReadingState::Cancelled { at: now };
        Ok(self.event(by, now, ReadingChange::Cancelled))
    }

    /// A doctor of the ordering side acknowledges the critical alert,
    /// naming the emergency referral it became, if any.
    pub fn acknowledge(
        &mut self,
        referral: Option<ReferralId>,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReadingEvent, HubError> {
        let (me, institution) = doctor(by)?;
        if *institution != self.from {
            return Err(HubError::NotAllowed(
                "a critical alert is acknowledged by a doctor of the ordering institution".into(),
            ));
        }
        let ReadingState::Reported {
            alert: Some(alert), ..
        } = &mut self.state
        else {
            return Err(invalid(
                "alert",
                "the reading raised no critical alert to acknowledge",
            ));
        };
        if alert.acknowledged.is_some() {
            return Err(HubError::IllegalTransition {
                action: "acknowledge",
                state: "acknowledged",
            });
        }
        let seconds_after_report = (now - alert.raised_at).whole_seconds();
        alert.acknowledged = Some(Acknowledgement {
            by: me,
            at: now,
            referral: referral.clone(),
        });
        Ok(self.event(
            by,
            now,
            ReadingChange::Acknowledged {
                seconds_after_report,
                referral,
            },
        ))
    }

    fn event(&self, by: &Actor, now: OffsetDateTime, change: ReadingChange) -> ReadingEvent {
        ReadingEvent {
            order: self.id.clone(),
            at: now,
            by: by.username.clone(),
            change,
        }
    }

    /// The critical alert, if the report raised one.
    pub fn alert(&self) -> Option<&CriticalAlert> {
        match &self.state {
            ReadingState::Reported { alert, .. } => alert.as_ref(),
            _ => None,
        }
    }

    /// Whether a critical alert waits for its acknowledgement.
    pub fn alert_open(&self) -> bool {
        self.alert().is_some_and(|a| a.acknowledged.is_none())
    }

    /// Whether it still waits in the hub's queue (ordered or taken).
    pub fn in_queue(&self) -> bool {
        matches!(
            self.state,
            ReadingState::Ordered | ReadingState::Taken { .. }
        )
    }

    /// The report's time from the order, once reported.
    pub fn turnaround(&self) -> Option<Duration> {
        match &self.state {
            ReadingState::Reported { at, .. } => Some(*at - self.ordered_at),
            _ => None,
        }
    }

    /// Whether it is past its deadline and still not reported at `now`.
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        self.in_queue() && now > self.due
    }

    /// The order of a hub's queue: priority first, then the earliest
    /// deadline, then the oldest order; the id makes it total.
    pub fn queue_key(&self) -> (u8, OffsetDateTime, OffsetDateTime, &str) {
        (
            self.priority.rank(),
            self.due,
            self.ordered_at,
            self.id.as_str(),
        )
    }
}

/// Sorts a hub's queue: priority, then deadline.
pub fn sort_queue(orders: &mut [ReadingOrder]) {
    orders.sort_by(|a, b| a.queue_key().cmp(&b.queue_key()));
}
