//! One patient's time-critical emergency: where they first met the system,
//! the destination the triage rule chose, the pre-arrival alert the
//! centre's team acknowledges, and the clock the centres are accredited
//! on, from first medical contact to the outcome at 30 days.
//!
//! The clock's milestones are set once each and never run backwards (an
//! ECG cannot precede the first contact, a door cannot precede the
//! departure), so every interval the measures take is a real one.

use super::{Decision, Emergency, Treatment, Windows};
use crate::level::coded_enum;
use crate::{EmergencyCaseId, InstitutionId, PractitionerId, ReadingOrderId, ResidentId};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

coded_enum!(
    /// Where the patient first met the system: what the measures are
    /// stratified by, since tiered care promises that a village patient is
    /// not slower to treatment than one who walks into the county hospital.
    ContactPoint {
        VillageClinic = "village-clinic" / "Village clinic",
        Township = "township" / "Township or community health centre",
        Ambulance = "ambulance" / "Ambulance (120)",
        Hospital = "hospital" / "Walked into a hospital",
    }
);

coded_enum!(
    /// A point on the case's clock.
    Milestone {
        FirstContact = "first-contact" / "First medical contact",
        Ecg = "ecg" / "First ECG",
        Decision = "decision" / "Destination decided",
        Departure = "departure" / "Departure for the destination",
        Door = "door" / "Arrival at the destination",
        Treatment = "treatment" / "Definitive treatment (needle, balloon, knife)",
    }
);

/// The clock of a case: when each milestone happened, once known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClock {
    #[serde(with = "time::serde::rfc3339")]
    pub first_contact: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ecg: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub decision: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub departure: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub door: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub treatment: Option<OffsetDateTime>,
}

impl CaseClock {
    /// When a milestone happened, if it has.
    pub fn at(&self, m: Milestone) -> Option<OffsetDateTime> {
        match m {
            Milestone::FirstContact => Some(self.first_contact),
            Milestone::Ecg => self.ecg,
            Milestone::Decision => Some(self.decision),
            Milestone::Departure => self.departure,
            Milestone::Door => self.door,
            Milestone::Treatment => self.treatment,
        }
    }

    /// Minutes from one milestone to another, when both happened.
    pub fn minutes(&self, from: Milestone, to: Milestone) -> Option<i64> {
        Some((self.at(to)? - self.at(from)?).whole_minutes())
    }
}

/// The pre-arrival alert to the destination's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "kebab-case")]
pub enum Alert {
    /// Sent; the team has not yet said it is ready.
    Sent {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The team acknowledged: it is waiting at the door (or the
    /// catheter laboratory).
    Acknowledged {
        #[serde(with = "time::serde::rfc3339")]
        sent: OffsetDateTime,
        by: PractitionerId,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

/// A transfer onward from the first destination (after bridging care).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOut {
    pub to: InstitutionId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The outcome at 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Alive,
    Died,
}

/// One patient's emergency. Created when the first contact sends the
/// alert; the destination is the triage rule's first step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyCase {
    pub id: EmergencyCaseId,
    pub patient: ResidentId,
    pub emergency: Emergency,
    pub contact: ContactPoint,
    /// The institution of the first contact (none for an ambulance at the
    /// roadside).
    pub from: Option<InstitutionId>,
    /// What the triage rule decided.
    pub decision: Decision,
    pub alert: Alert,
    pub clock: CaseClock,
    /// The treatment given at the destination, once given.
    #[serde(default)]
    pub treated_with: Option<Treatment>,
    /// Whether the patient went straight to the team (catheter laboratory,
    /// CT, theatre) without stopping in the emergency department; known
    /// at the door.
    #[serde(default)]
    pub bypassed_emergency_department: Option<bool>,
    #[serde(default)]
    pub transfer_out: Option<TransferOut>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The hub's remote reading of the first ECG, when the trace was sent
    /// to the alliance's ECG centre (its order's `ServiceRequest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecg_reading: Option<ReadingOrderId>,
    /// The institution whose doctor opened the case when the patient was
    /// met at none (an ambulance's base): a party to the case, as the
    /// first contact's institution is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_by: Option<InstitutionId>,
    /// Minutes since symptom onset at the first contact, when known: a
    /// stroke's window runs from the onset, not from the first contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_minutes: Option<u32>,
}

/// Why a change to a case was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("{0} is already recorded")]
    AlreadyRecorded(&'static str),
    #[error("{what} cannot come before {before}")]
    OutOfOrder {
        what: &'static str,
        before: &'static str,
    },
    #[error("the alert was already acknowledged")]
    AlreadyAcknowledged,
    #[error("the outcome is recorded 30 days after the first contact, not before {0}")]
    TooEarly(String),
    #[error("the case is closed: its outcome is recorded")]
    Closed,
}

impl EmergencyCase {
    /// The destination's institution (the triage rule's first step).
    pub fn destination(&self) -> &InstitutionId {
        &self.decision.first.institution
    }

    /// When the condition's window closes: its minutes from the first
    /// contact, except a stroke's, which run from the symptoms' onset
    /// (the onset minutes given at the first contact, when known).
    pub fn window_closes(&self, w: &Windows) -> OffsetDateTime {
        let minutes = i64::from(window(self.emergency, w));
        let before = match (self.emergency, self.onset_minutes) {
            (Emergency::Stroke, Some(onset)) => i64::from(onset),
            _ => 0,
        };
        self.clock.first_contact + Duration::minutes(minutes - before)
    }

    /// Whether the 30-day outcome closes the case.
    pub fn closed(&self) -> bool {
        self.outcome.is_some()
    }

    fn open(&self) -> Result<(), CaseError> {
        if self.closed() {
            Err(CaseError::Closed)
        } else {
            Ok(())
        }
    }

    /// The destination's team acknowledges the alert.
    pub fn acknowledge(&mut self, by: PractitionerId, at: OffsetDateTime) -> Result<(), CaseError> {
        self.open()?;
        match self.alert {
            Alert::Sent { at: sent } => {
                if at < sent {
                    return Err(CaseError::OutOfOrder {
                        what: "the acknowledgement",
                        before: "the alert",
                    });
                }
                self.alert = Alert::Acknowledged { sent, by, at };
                Ok(())
            }
            Alert::Acknowledged { .. } => Err(CaseError::AlreadyAcknowledged),
        }
    }

    /// Records a milestone of the clock, once; it may not come before the
    /// milestones it follows.
    pub fn record(&mut self, m: Milestone, at: OffsetDateTime) -> Result<(), CaseError> {
        self.open()?;
        if self.clock.at(m).is_some() {
            return Err(CaseError::AlreadyRecorded(m.display()));
        }
        let after: &[Milestone] = match m {
            Milestone::FirstContact | Milestone::Decision => &[],
            Milestone::Ecg => &[Milestone::FirstContact],
            Milestone::Departure => &[Milestone::Decision],
            Milestone::Door => &[Milestone::Departure, Milestone::FirstContact],
            Milestone::Treatment => &[Milestone::Door, Milestone::FirstContact],
        };
        if let Some(&before) = after
            .iter()
            .find(|&&b| self.clock.at(b).is_some_and(|t| at < t))
        {
            return Err(CaseError::OutOfOrder {
                what: m.display(),
                before: before.display(),
            });
        }
        let slot = match m {
            Milestone::Ecg => &mut self.clock.ecg,
            Milestone::Departure => &mut self.clock.departure,
            Milestone::Door => &mut self.clock.door,
            Milestone::Treatment => &mut self.clock.treatment,
            // Set when the case is opened; the check above refused them.
            Milestone::FirstContact | Milestone::Decision => {
                return Err(CaseError::AlreadyRecorded(m.display()));
            }
        };
        *slot = Some(at);
        Ok(())
    }

    /// The patient arrives at the destination, through the emergency
    /// department or straight to the team.
    pub fn arrive(&mut self, at: OffsetDateTime, bypassed: bool) -> Result<(), CaseError> {
        self.record(Milestone::Door, at)?;
        self.bypassed_emergency_department = Some(bypassed);
        Ok(())
    }

    /// The definitive treatment is given.
    pub fn treat(&mut self, with: Treatment, at: OffsetDateTime) -> Result<(), CaseError> {
        self.record(Milestone::Treatment, at)?;
        self.treated_with = Some(with);
        Ok(())
    }

    /// The patient is sent on from the destination (after bridging care).
    pub fn transfer(&mut self, to: InstitutionId, at: OffsetDateTime) -> Result<(), CaseError> {
        self.open()?;
        if self.transfer_out.is_some() {
            return Err(CaseError::AlreadyRecorded("the transfer"));
        }
        if self.clock.door.is_some_and(|d| at < d) {
            return Err(CaseError::OutOfOrder {
                what: "the transfer",
                before: Milestone::Door.display(),
            });
        }
        self.transfer_out = Some(TransferOut { to, at });
        Ok(())
    }

    /// Records the outcome at 30 days, closing the case.
    pub fn close(&mut self, outcome: Outcome, at: OffsetDateTime) -> Result<(), CaseError> {
        self.open()?;
        let due = self.clock.first_contact + Duration::days(30);
        if at < due {
            return Err(CaseError::TooEarly(due.date().to_string()));
        }
        self.outcome = Some(outcome);
        Ok(())
    }
}

/// What the centres are accredited on, for one case: each `None` when
/// the measure does not apply to it (or its clock is not yet complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseMeasures {
    /// First medical contact to first ECG within 10 minutes (STEMI).
    pub ecg_within_10: Option<bool>,
    /// Door to balloon within 90 minutes (primary PCI).
    pub door_to_balloon_within_90: Option<bool>,
    /// Door to needle within 60 minutes (stroke thrombolysis).
    pub door_to_needle_within_60: Option<bool>,
    /// Straight to the team, bypassing the emergency department.
    pub direct: Option<bool>,
    /// Sent on from the first destination after the condition's window
    /// had closed.
    pub transferred_after_window: Option<bool>,
    /// Died within 30 days.
    pub died: Option<bool>,
}

/// The accreditation measures of a case, by the targets of the chest pain
/// and stroke centre standards (10, 90 and 60 minutes) and the routing
/// windows.
pub fn measures(case: &EmergencyCase, w: &Windows) -> CaseMeasures {
    use Milestone::{Door, Ecg, FirstContact, Treatment as Tx};
    let c = &case.clock;
    let stemi = case.emergency == Emergency::Stemi;
    CaseMeasures {
        ecg_within_10: stemi
            .then(|| c.minutes(FirstContact, Ecg).map(|m| m <= 10))
            .flatten(),
        door_to_balloon_within_90: (case.treated_with == Some(Treatment::Pci))
            .then(|| c.minutes(Door, Tx).map(|m| m <= 90))
            .flatten(),
        door_to_needle_within_60: (case.emergency == Emergency::Stroke
            && case.treated_with == Some(Treatment::Thrombolysis))
        .then(|| c.minutes(Door, Tx).map(|m| m <= 60))
        .flatten(),
        direct: case.bypassed_emergency_department,
        transferred_after_window: case
            .transfer_out
            .as_ref()
            .map(|t| t.at > case.window_closes(w)),
        died: case.outcome.map(|o| o == Outcome::Died),
    }
}

/// The window of an emergency in minutes: from the first contact, or for a
/// stroke from the onset (see [`EmergencyCase::window_closes`]); what a
/// transfer onward must beat.
pub fn window(e: Emergency, w: &Windows) -> u32 {
    match e {
        Emergency::Stemi => w.pci_first_contact_to_wire,
        Emergency::Stroke => w.stroke_thrombolysis_from_onset,
        Emergency::MajorTrauma => w.trauma_golden_hour,
        Emergency::Obstetric => w.obstetric,
        Emergency::Newborn => w.neonatal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::{Rule, Step};
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-12-01 08:00 UTC);

    fn minutes(m: i64) -> OffsetDateTime {
        T0 + Duration::minutes(m)
    }

    fn stemi_from_village() -> EmergencyCase {
        EmergencyCase {
            id: EmergencyCaseId::new("emg-1").unwrap(),
            patient: ResidentId::new("res-1").unwrap(),
            emergency: Emergency::Stemi,
            contact: ContactPoint::VillageClinic,
            from: Some(InstitutionId::new("vc-1").unwrap()),
            decision: Decision {
                first: Step {
                    institution: InstitutionId::new("h1").unwrap(),
                    travel_minutes: 40,
                    treatment: Treatment::Pci,
                },
                then: None,
                rule: Rule::DirectPci,
            },
            alert: Alert::Sent { at: minutes(12) },
            clock: CaseClock {
                first_contact: T0,
                ecg: None,
                decision: minutes(12),
                departure: None,
                door: None,
                treatment: None,
            },
            treated_with: None,
            bypassed_emergency_department: None,
            transfer_out: None,
            outcome: None,
            ecg_reading: None,
            opened_by: None,
            onset_minutes: None,
        }
    }

    fn by() -> PractitionerId {
        PractitionerId::new("pr-1").unwrap()
    }

    #[test]
    fn a_stemi_from_a_village_fills_its_clock_and_meets_its_targets() {
        let mut c = stemi_from_village();
        c.record(Milestone::Ecg, minutes(8)).unwrap();
        c.acknowledge(by(), minutes(14)).unwrap();
        c.record(Milestone::Departure, minutes(15)).unwrap();
        c.arrive(minutes(55), true).unwrap();
        c.treat(Treatment::Pci, minutes(80)).unwrap();
        let m = measures(&c, &Windows::default());
        assert_eq!(m.ecg_within_10, Some(true));
        assert_eq!(m.door_to_balloon_within_90, Some(true));
        assert_eq!(m.door_to_needle_within_60, None, "not a stroke");
        assert_eq!(m.direct, Some(true));
        assert_eq!(m.transferred_after_window, None);
        assert_eq!(m.died, None, "open until day 30");
        assert_eq!(
            c.clock
                .minutes(Milestone::FirstContact, Milestone::Treatment),
            Some(80)
        );
    }

    #[test]
    fn the_clock_never_runs_backwards_and_each_milestone_is_set_once() {
        let mut c = stemi_from_village();
        assert_eq!(
            c.record(Milestone::Ecg, T0 - Duration::minutes(1)),
            Err(CaseError::OutOfOrder {
                what: "First ECG",
                before: "First medical contact"
            })
        );
        c.record(Milestone::Departure, minutes(20)).unwrap();
        assert!(matches!(
            c.record(Milestone::Door, minutes(19)),
            Err(CaseError::OutOfOrder { .. })
        ));
        assert!(matches!(
            c.record(Milestone::Departure, minutes(21)),
            Err(CaseError::AlreadyRecorded(_))
        ));
        assert!(matches!(
            c.record(Milestone::FirstContact, minutes(21)),
            Err(CaseError::AlreadyRecorded(_))
        ));
        c.arrive(minutes(60), false).unwrap();
        assert!(matches!(
            c.treat(Treatment::Pci, minutes(59)),
            Err(CaseError::OutOfOrder { .. })
        ));
        assert!(
            c.transfer(InstitutionId::new("h2").unwrap(), minutes(30))
                .is_err()
        );
    }

    #[test]
    fn the_alert_is_acknowledged_once_and_not_before_it_was_sent() {
        let mut c = stemi_from_village();
        assert!(matches!(
            c.acknowledge(by(), minutes(11)),
            Err(CaseError::OutOfOrder { .. })
        ));
        c.acknowledge(by(), minutes(13)).unwrap();
        assert_eq!(
            c.acknowledge(by(), minutes(14)),
            Err(CaseError::AlreadyAcknowledged)
        );
    }

    #[test]
    fn the_outcome_waits_thirty_days_and_closes_the_case() {
        let mut c = stemi_from_village();
        assert!(matches!(
            c.close(Outcome::Alive, T0 + Duration::days(29)),
            Err(CaseError::TooEarly(_))
        ));
        c.close(Outcome::Died, T0 + Duration::days(30)).unwrap();
        assert!(c.closed());
        assert_eq!(measures(&c, &Windows::default()).died, Some(true));
        assert_eq!(c.record(Milestone::Ecg, minutes(5)), Err(CaseError::Closed));
    }

    #[test]
    fn a_late_ecg_a_slow_needle_and_a_transfer_after_the_window_are_counted() {
        let mut c = stemi_from_village();
        c.record(Milestone::Ecg, minutes(25)).unwrap();
        c.arrive(minutes(60), false).unwrap();
        c.transfer(InstitutionId::new("h2").unwrap(), minutes(150))
            .unwrap();
        let m = measures(&c, &Windows::default());
        assert_eq!(m.ecg_within_10, Some(false));
        assert_eq!(m.direct, Some(false));
        assert_eq!(m.transferred_after_window, Some(true), "150 > 120 minutes");

        let mut s = stemi_from_village();
        s.emergency = Emergency::Stroke;
        s.arrive(minutes(30), true).unwrap();
        s.treat(Treatment::Thrombolysis, minutes(95)).unwrap();
        let m = measures(&s, &Windows::default());
        assert_eq!(m.door_to_needle_within_60, Some(false), "65 minutes");
        assert_eq!(m.ecg_within_10, None, "not a STEMI");
        assert_eq!(m.door_to_balloon_within_90, None);
    }

    #[test]
    fn a_strokes_window_runs_from_the_onset_and_a_stemis_from_the_first_contact() {
        let w = Windows::default();
        let mut stemi = stemi_from_village();
        stemi.onset_minutes = Some(100);
        let stemi_window = i64::from(window(Emergency::Stemi, &w));
        assert_eq!(stemi.window_closes(&w), minutes(stemi_window));

        let mut stroke = stemi_from_village();
        stroke.emergency = Emergency::Stroke;
        let stroke_window = i64::from(window(Emergency::Stroke, &w));
        assert_eq!(
            stroke.window_closes(&w),
            minutes(stroke_window),
            "onset unknown"
        );
        stroke.onset_minutes = Some(100);
        assert_eq!(stroke.window_closes(&w), minutes(stroke_window - 100));
        // Sent on just after the window closes, counted late; the same
        // moment without the onset would have been in time.
        stroke.arrive(minutes(10), true).unwrap();
        stroke
            .transfer(
                InstitutionId::new("h2").unwrap(),
                minutes(stroke_window - 99),
            )
            .unwrap();
        assert_eq!(measures(&stroke, &w).transferred_after_window, Some(true));
        stroke.onset_minutes = None;
        assert_eq!(measures(&stroke, &w).transferred_after_window, Some(false));
    }
}
