//! The region's rules of tiered care, as data.
//!
//! A health commission sets these by policy document, not by code: whether a
//! family doctor's referral is required before a hospital visit, what share
//! of hospital appointment slots is kept for referrals and when unused ones
//! go back to the public, how long each step of a referral may take. They
//! live in one TOML file per region (`data/demo-policy.toml` for the demo
//! county) so the platform and the simulator read the same rules.

use crate::Level;
use crate::insurance::{InsuranceError, InsuranceRules};
use crate::level::coded_enum;
use crate::referral::Priority;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime, Weekday};

mod emergency;
pub use emergency::{EmergencyRules, TravelEntry};

coded_enum!(
    /// How strictly the region makes the family doctor the gatekeeper.
    GatekeepingMode {
        /// Anyone may go to any hospital; nothing is recorded.
        None = "none" / "No gatekeeping",
        /// A hospital visit without a referral is allowed but recorded as a
        /// bypass, and insurance may pay less for it.
        Financial = "financial" / "Financial gatekeeping",
        /// A non-emergency hospital visit needs a valid referral from the
        /// patient's family doctor.
        Mandatory = "mandatory" / "Mandatory gatekeeping",
    }
);

/// How long each step of a referral may take before it is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// Working days the receiving institution has to triage a request
    /// (accept, decline, redirect or return with advice).
    pub triage_working_days: u32,
    /// Calendar days from acceptance to a booked slot or bed, per priority.
    pub book_days: PerPriority,
    /// Working days after the visit for the result report to reach the
    /// referrer.
    pub report_working_days: u32,
    /// Working days a specialist has to answer an e-consult.
    #[serde(default = "two")]
    pub consult_working_days: u32,
}

fn two() -> u32 {
    2
}

/// One number per referral priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerPriority {
    pub routine: u32,
    pub urgent: u32,
    pub emergency: u32,
}

impl PerPriority {
    /// The number for one priority.
    pub fn get(&self, priority: Priority) -> u32 {
        match priority {
            Priority::Routine => self.routine,
            Priority::Urgent => self.urgent,
            Priority::Emergency => self.emergency,
        }
    }
}

/// The region's policy for referral, booking and gatekeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Gatekeeping mode.
    pub gatekeeping: GatekeepingMode,
    /// Percentage (0-100) of each hospital department's outpatient slots
    /// reserved for referrals from primary care.
    pub reserved_slot_percent: u32,
    /// Percentage (0-100) of each hospital department's beds kept for
    /// upward inpatient referrals.
    pub reserved_bed_percent: u32,
    /// Hours before its start at which an unused reserved slot is released
    /// to the public.
    pub release_hours_before: u32,
    /// Reserved slots starting within this many hours are kept for urgent
    /// referrals (until released), so a routine request cannot take the
    /// last near-term capacity.
    pub urgent_window_hours: u32,
    /// Minutes a family doctor may hold a slot while confirming with the
    /// patient; the hold then expires by itself.
    pub hold_minutes: u32,
    /// Step deadlines.
    pub deadlines: Deadlines,
    /// Days a test result stays recognised by other institutions, per test
    /// code (LOINC or a local code); `default` applies to any other test.
    pub result_validity_days: BTreeMap<String, u32>,
    /// Reimbursement by scheme, level and service type, with the bypass,
    /// referral and contract rules (see [`crate::insurance`]). Optional, so
    /// a region can describe its referral rules before its insurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance: Option<InsuranceRules>,
    /// How long a resource-sharing hub may take to report a reading, by
    /// kind of study and priority (see [`crate::hub`]). A region without
    /// the section gets [`HubDeadlines::default`].
    #[serde(default)]
    pub hubs: HubDeadlines,
    /// How flows between institutions are valued and partnerships
    /// classified (see [`crate::flows`]). A region without the section
    /// gets [`FlowRules::default`].
    #[serde(default)]
    pub flows: crate::flows::FlowRules,
    /// How the triage of the five time-critical emergencies routes: the
    /// rule's time limits and measured travel times (see
    /// [`crate::emergency`]). A region without the section gets the
    /// documented [`crate::emergency::Windows::default`] and estimated
    /// travel.
    #[serde(default)]
    pub emergency: EmergencyRules,
}

/// How long one kind of hub reading may take, from order to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingDeadline {
    /// Minutes for a `stat` reading (a suspected infarct's ECG).
    pub stat_minutes: u32,
    /// Minutes for an `urgent` reading.
    pub urgent_minutes: u32,
    /// Working days for a `routine` reading, reported by the same time of
    /// day.
    pub routine_working_days: u32,
}

/// Reading deadlines per kind of hub: an ECG is read in minutes, a
/// pathology slide takes days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubDeadlines {
    pub ecg: ReadingDeadline,
    pub imaging: ReadingDeadline,
    pub laboratory: ReadingDeadline,
    pub pathology: ReadingDeadline,
    /// The fee of a reading by kind and the hub's share of it; a region
    /// without the section gets [`ReadingFees::default`].
    #[serde(default)]
    pub fees: ReadingFees,
}

/// The fee of one kind of remote reading, and how it is split: the
/// ordering member takes the study and collects the fee, and pays the
/// hub's institution its share for the reading ("examined at the
/// grassroots, diagnosed above").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingFee {
    pub fee_fen: i64,
    /// Percentage (0-100) of the fee the hub's institution receives.
    pub hub_share_percent: u32,
}

/// Reading fees per kind of hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingFees {
    pub ecg: ReadingFee,
    pub imaging: ReadingFee,
    pub laboratory: ReadingFee,
    pub pathology: ReadingFee,
}

impl Default for ReadingFees {
    /// The demo county's illustrative fees.
    fn default() -> Self {
        let f = |fee_fen, hub_share_percent| ReadingFee {
            fee_fen,
            hub_share_percent,
        };
        ReadingFees {
            ecg: f(3_000, 60),
            imaging: f(8_000, 50),
            laboratory: f(2_000, 40),
            pathology: f(15_000, 70),
        }
    }
}

impl Default for HubDeadlines {
    /// The demo county's figures, for a policy file written before hubs.
    fn default() -> Self {
        let d = |stat_minutes, urgent_minutes, routine_working_days| ReadingDeadline {
            stat_minutes,
            urgent_minutes,
            routine_working_days,
        };
        HubDeadlines {
            ecg: d(10, 60, 1),
            imaging: d(30, 120, 1),
            laboratory: d(60, 240, 1),
            pathology: d(60, 24 * 60, 5),
            fees: ReadingFees::default(),
        }
    }
}

impl HubDeadlines {
    fn validate(&self) -> Result<(), PolicyError> {
        for (field, f) in [
            ("hubs.fees.ecg", self.fees.ecg),
            ("hubs.fees.imaging", self.fees.imaging),
            ("hubs.fees.laboratory", self.fees.laboratory),
            ("hubs.fees.pathology", self.fees.pathology),
        ] {
            if f.fee_fen < 0 || f.hub_share_percent > 100 {
                return Err(PolicyError::Invalid {
                    field,
                    message: "fee_fen must not be negative and hub_share_percent at most 100"
                        .to_string(),
                });
            }
        }
        for (field, d) in [
            ("hubs.ecg", self.ecg),
            ("hubs.imaging", self.imaging),
            ("hubs.laboratory", self.laboratory),
            ("hubs.pathology", self.pathology),
        ] {
            let message = if d.stat_minutes == 0 || d.routine_working_days == 0 {
                "stat_minutes and routine_working_days must be at least 1"
            } else if d.urgent_minutes < d.stat_minutes {
                "urgent_minutes must not be shorter than stat_minutes"
            } else if d.urgent_minutes > 24 * 60 * 14 {
                "urgent_minutes must be at most 14 days"
            } else {
                continue;
            };
            return Err(PolicyError::Invalid {
                field,
                message: message.to_string(),
            });
        }
        Ok(())
    }
}

/// Why a policy file was refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not TOML of the right shape (unknown or missing keys).
    #[error("policy is not valid: {0}")]
    Parse(String),
    /// A value is out of range.
    #[error("policy field `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The `[insurance]` section is out of range; the error names the
    /// field by its full path.
    #[error("policy field `{}`: {}", .0.field, .0.message)]
    Insurance(#[from] InsuranceError),
}

const DEMO: &str = include_str!("../data/demo-policy.toml");

impl Policy {
    /// The demo county's policy (`data/demo-policy.toml`).
    pub fn demo() -> Policy {
        // Checked by the `demo_policy_is_valid` test.
        Policy::from_toml(DEMO).expect("bundled data/demo-policy.toml is valid")
    }

    /// Parses and validates a policy file.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks the ranges a TOML parser cannot.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let invalid = |field, message: &str| {
            Err(PolicyError::Invalid {
                field,
                message: message.to_string(),
            })
        };
        if self.reserved_slot_percent > 100 {
            return invalid("reserved_slot_percent", "must be between 0 and 100");
        }
        if self.reserved_bed_percent > 100 {
            return invalid("reserved_bed_percent", "must be between 0 and 100");
        }
        if !(1..=60).contains(&self.hold_minutes) {
            return invalid("hold_minutes", "must be between 1 and 60 minutes");
        }
        if self.release_hours_before > 24 * 14 {
            return invalid("release_hours_before", "must be at most 336 hours");
        }
        if self.urgent_window_hours > 24 * 14 {
            return invalid("urgent_window_hours", "must be at most 336 hours");
        }
        let d = &self.deadlines;
        if d.triage_working_days == 0 {
            return invalid("deadlines.triage_working_days", "must be at least 1");
        }
        if d.book_days.routine < d.book_days.urgent || d.book_days.urgent < d.book_days.emergency {
            return invalid(
                "deadlines.book_days",
                "must not shorten with lower priority (routine >= urgent >= emergency)",
            );
        }
        if !self.result_validity_days.contains_key("default") {
            return invalid("result_validity_days", "needs a `default` entry");
        }
        if let Some(insurance) = &self.insurance {
            insurance.validate()?;
        }
        self.emergency.validate()?;
        self.hubs.validate()
    }

    /// How long a hold on a slot lasts.
    pub fn hold(&self) -> Duration {
        Duration::minutes(i64::from(self.hold_minutes))
    }

    /// Days a result of this test is recognised by another institution.
    pub fn validity_days(&self, test: &str) -> u32 {
        self.result_validity_days
            .get(test)
            .or_else(|| self.result_validity_days.get("default"))
            .copied()
            .unwrap_or(0)
    }

    /// Number of beds kept for referrals among a department's `total`.
    pub fn reserved_beds_of(&self, total: u32) -> u32 {
        total * self.reserved_bed_percent / 100
    }

    /// Number of reserved slots among `total` slots of a department's day:
    /// the policy share, rounded down so the public keeps the remainder.
    pub fn reserved_of(&self, total: u32) -> u32 {
        total * self.reserved_slot_percent / 100
    }
}

/// A visit someone wants to make, as gatekeeping sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitRequest {
    /// Level of the institution to be visited.
    pub level: Level,
    /// An emergency by the catalogue's urgency: never held at the gate.
    pub emergency: bool,
    /// There is a valid referral from the patient's family doctor to this
    /// institution.
    pub referred: bool,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Allowed,
    /// Go ahead, recorded as a bypass of the family doctor (financial
    /// gatekeeping: insurance may pay less).
    Bypass,
    /// Refused, with the reason to show the patient.
    Refused(String),
}

impl Policy {
    /// Whether a visit may be booked under the region's gatekeeping mode.
    /// Primary care, emergencies and referred visits always pass.
    pub fn gatekeep(&self, visit: VisitRequest) -> Gate {
        if visit.level == Level::Primary || visit.emergency || visit.referred {
            return Gate::Allowed;
        }
        match self.gatekeeping {
            GatekeepingMode::None => Gate::Allowed,
            GatekeepingMode::Financial => Gate::Bypass,
            GatekeepingMode::Mandatory => Gate::Refused(format!(
                "the region requires a referral from the patient's family doctor for a \
                 non-emergency visit at {} level",
                visit.level.code()
            )),
        }
    }
}

/// `from` plus `days` working days (Monday to Friday), at the same time of
/// day. Public holidays are not modelled; a region with long holidays sets
/// longer deadlines.
pub fn add_working_days(from: OffsetDateTime, days: u32) -> OffsetDateTime {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn demo_policy_is_valid() {
        let p = Policy::demo();
        assert!(p.reserved_slot_percent > 0);
        assert_eq!(
            p.validity_days("no-such-test"),
            p.result_validity_days["default"]
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut text = DEMO.replace("reserved_slot_percent = 20", "reserved_slot_percent = 120");
        assert_ne!(text, DEMO, "the demo file sets reserved_slot_percent = 20");
        let err = Policy::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("reserved_slot_percent"), "{err}");
        text = DEMO.replace("hold_minutes = 10", "hold_minutes = 0");
        assert!(
            Policy::from_toml(&text)
                .unwrap_err()
                .to_string()
                .contains("hold_minutes")
        );
        text = format!("surprise = 1\n{DEMO}");
        assert!(
            Policy::from_toml(&text)
                .unwrap_err()
                .to_string()
                .contains("surprise")
        );
    }

    #[test]
    fn hub_deadlines_are_read_and_checked() {
        let p = Policy::demo();
        assert_eq!(p.hubs.ecg.stat_minutes, 10);
        assert_eq!(p.hubs.imaging.routine_working_days, 1);
        let text = DEMO.replace("urgent_minutes = 60", "urgent_minutes = 5");
        assert_ne!(
            text, DEMO,
            "the demo file sets the ECG's urgent_minutes = 60"
        );
        let err = Policy::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("hubs.ecg"), "{err}");
        // A policy written before hubs keeps working with the defaults.
        let start = DEMO.find("[hubs.ecg]").unwrap();
        let end = DEMO.find("# Insurance of the demo county").unwrap();
        let older = format!("{}{}", &DEMO[..start], &DEMO[end..]);
        assert_eq!(
            Policy::from_toml(&older).unwrap().hubs,
            HubDeadlines::default()
        );
    }

    #[test]
    fn working_days_skip_weekends() {
        // 2026-11-20 is a Friday.
        let friday = datetime!(2026-11-20 10:00 UTC);
        assert_eq!(add_working_days(friday, 1), datetime!(2026-11-23 10:00 UTC));
        assert_eq!(add_working_days(friday, 2), datetime!(2026-11-24 10:00 UTC));
        assert_eq!(add_working_days(friday, 0), friday);
        let saturday = datetime!(2026-11-21 10:00 UTC);
        assert_eq!(
            add_working_days(saturday, 1),
            datetime!(2026-11-23 10:00 UTC)
        );
    }

    #[test]
    fn gatekeeping_by_mode() {
        let mut p = Policy::demo();
        let visit = |level, emergency, referred| VisitRequest {
            level,
            emergency,
            referred,
        };
        let self_referred = visit(Level::Secondary, false, false);
        p.gatekeeping = GatekeepingMode::None;
        assert_eq!(p.gatekeep(self_referred), Gate::Allowed);
        p.gatekeeping = GatekeepingMode::Financial;
        assert_eq!(p.gatekeep(self_referred), Gate::Bypass);
        p.gatekeeping = GatekeepingMode::Mandatory;
        match p.gatekeep(self_referred) {
            Gate::Refused(reason) => assert!(reason.contains("referral"), "{reason}"),
            other => panic!("mandatory mode let a self-referral through: {other:?}"),
        }
        for pass in [
            visit(Level::Tertiary, true, false),
            visit(Level::Tertiary, false, true),
            visit(Level::Primary, false, false),
        ] {
            assert_eq!(p.gatekeep(pass), Gate::Allowed, "{pass:?}");
        }
    }

    #[test]
    fn reserved_share_rounds_down() {
        let p = Policy::demo();
        assert_eq!(p.reserved_of(100), p.reserved_slot_percent);
        assert_eq!(p.reserved_of(0), 0);
        assert!(p.reserved_of(7) <= 7);
    }
}
