//! Advice before referral: e-consults and remote consultations.
//!
//! A family doctor unsure whether a patient needs the hospital asks a
//! specialist first, either a named one or the specialty's pool at an
//! institution. The question and every reply are messages on one consult;
//! the first reply from the specialist's side is the answer, and the time
//! it took is recorded (a consult left unanswered is as bad as a lost
//! referral). The family doctor then closes it as resolved (the patient
//! stays in primary care: a referral avoided) or turns it into a referral,
//! which carries the consult along.
//!
//! A remote consultation is the same exchange held live, with the patient
//! present at the family doctor's; it differs only in its mode.

use crate::access::{Actor, UserRole};
use crate::catalogue::IcdCode;
use crate::level::coded_enum;
use crate::policy::{Policy, add_working_days};
use crate::referral::Side;
use crate::{ConsultId, InstitutionId, PractitionerId, ReferralId, ResidentId, Specialty};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

#[cfg(test)]
mod tests;

coded_enum!(
    /// How the advice is given.
    ConsultMode {
        /// Written question and answer, answered when the specialist can.
        Written = "written" / "E-consult (written advice)",
        /// A live remote consultation, the patient at the family doctor's.
        Live = "live" / "Remote consultation (live)",
    }
);

coded_enum!(
    /// How a consult ended.
    ConsultOutcome {
        /// The advice was enough: the patient stays in primary care.
        Resolved = "resolved" / "Resolved in primary care",
        /// The advice was to refer, and the family doctor did.
        Referred = "referred" / "Turned into a referral",
        /// Withdrawn by the family doctor before it was useful.
        Withdrawn = "withdrawn" / "Withdrawn",
    }
);

/// One message of the exchange. The first is the question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub author: PractitionerId,
    pub side: Side,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub text: String,
}

/// Where a consult stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ConsultState {
    /// Asked, not yet answered.
    Open,
    /// Answered; the family doctor may ask more, close it or refer.
    Answered,
    Closed {
        outcome: ConsultOutcome,
        #[serde(default)]
        referral: Option<ReferralId>,
    },
}

impl ConsultState {
    pub fn code(&self) -> &'static str {
        match self {
            ConsultState::Open => "open",
            ConsultState::Answered => "answered",
            ConsultState::Closed { .. } => "closed",
        }
    }
}

/// A question to a specialist about one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consult {
    pub id: ConsultId,
    pub patient: ResidentId,
    pub requester: PractitionerId,
    pub from: InstitutionId,
    /// The institution whose specialists are asked.
    pub to: InstitutionId,
    /// A named specialist; `None` asks the specialty's pool at `to`.
    pub specialist: Option<PractitionerId>,
    pub specialty: Specialty,
    pub mode: ConsultMode,
    /// The condition asked about, when the doctor names one.
    pub condition: Option<IcdCode>,
    #[serde(with = "time::serde::rfc3339")]
    pub asked_at: OffsetDateTime,
    /// When the specialist's side first answered.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub messages: Vec<Message>,
    pub state: ConsultState,
}

/// What a family doctor fills in to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsult {
    pub id: ConsultId,
    pub patient: ResidentId,
    pub from: InstitutionId,
    pub to: InstitutionId,
    pub specialist: Option<PractitionerId>,
    pub specialty: Specialty,
    pub mode: ConsultMode,
    pub condition: Option<IcdCode>,
    pub question: String,
}

/// Why a consult action was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsultError {
    #[error("cannot {action} a consult that is {state}")]
    IllegalTransition {
        action: &'static str,
        state: &'static str,
    },
    #[error("{0}")]
    NotAllowed(String),
    #[error("a user with role {0} may not take part in consults")]
    Role(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// A change to a consult, stored with it and fed to indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultEvent {
    pub consult: ConsultId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub change: ConsultChange,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum ConsultChange {
    Asked {
        consult: Box<Consult>,
    },
    /// The specialist's side answered for the first time.
    Answered {
        response_seconds: i64,
    },
    /// Any later message, from either side.
    Messaged {
        side: Side,
    },
    Closed {
        outcome: ConsultOutcome,
        referral: Option<ReferralId>,
    },
}

impl ConsultEvent {
    /// A stable, versioned event name.
    pub fn kind(&self) -> &'static str {
        match self.change {
            ConsultChange::Asked { .. } => "consult.asked.v1",
            ConsultChange::Answered { .. } => "consult.answered.v1",
            ConsultChange::Messaged { .. } => "consult.messaged.v1",
            ConsultChange::Closed { .. } => "consult.closed.v1",
        }
    }
}

fn invalid(field: &'static str, message: &str) -> ConsultError {
    ConsultError::Invalid {
        field,
        message: message.into(),
    }
}

impl Consult {
    /// Every consult id starts with this, and no referral id does (those
    /// are hex), so a `ServiceRequest` id says which it is without a read.
    pub const ID_PREFIX: &'static str = "con-";

    /// Whether a `ServiceRequest` id is a consult's.
    pub fn is_consult_id(id: &str) -> bool {
        id.starts_with(Self::ID_PREFIX)
    }

    /// Opens a consult. Only a doctor at the asking institution may ask,
    /// of another institution, with a question.
    pub fn ask(
        new: NewConsult,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<(Consult, ConsultEvent), ConsultError> {
        let requester = match (&by.role, &by.practitioner, &by.institution) {
            (UserRole::Doctor, Some(p), Some(i)) if *i == new.from => p.clone(),
            (UserRole::Doctor, ..) => {
                return Err(ConsultError::NotAllowed(
                    "a consult is asked by a doctor of the asking institution, as themself".into(),
                ));
            }
            (role, ..) => return Err(ConsultError::Role(role.code())),
        };
        if new.to == new.from {
            return Err(invalid(
                "performer",
                "ask a specialist of another institution",
            ));
        }
        if new.question.trim().is_empty() {
            return Err(invalid("note", "the consult needs a question"));
        }
        let consult = Consult {
            id: new.id,
            patient: new.patient,
            requester: requester.clone(),
            from: new.from,
            to: new.to,
            specialist: new.specialist,
            specialty: new.specialty,
            mode: new.mode,
            condition: new.condition,
            asked_at: now,
            answered_at: None,
            messages: vec![Message {
                author: requester,
                side: Side::Referrer,
                at: now,
                text: new.question,
            }],
            state: ConsultState::Open,
        };
        let event = ConsultEvent {
            consult: consult.id.clone(),
            at: now,
            by: by.username.clone(),
            change: ConsultChange::Asked {
                consult: Box::new(consult.clone()),
            },
        };
        Ok((consult, event))
    }

    /// Which sides the user is on: staff of the asking institution are on
    /// the referrer's side, staff of the asked institution on the other.
    pub fn sides(&self, by: &Actor) -> Vec<Side> {
        Side::of(by, &self.from, &self.to)
    }

    /// The side a doctor writes for: the asker on the referrer's side; on
    /// the other, the named specialist or, for a pool, any of its doctors.
    fn writing_side(&self, by: &Actor) -> Result<(PractitionerId, Side), ConsultError> {
        let Some(me) = by
            .practitioner
            .clone()
            .filter(|_| by.role == UserRole::Doctor)
        else {
            return Err(ConsultError::Role(by.role.code()));
        };
        if me == self.requester {
            return Ok((me, Side::Referrer));
        }
        if by.institution.as_ref() == Some(&self.to)
            && self.specialist.as_ref().is_none_or(|s| *s == me)
        {
            return Ok((me, Side::Receiver));
        }
        Err(ConsultError::NotAllowed(match &self.specialist {
            Some(s) => format!(
                "only the asking doctor and the specialist asked (Practitioner/{s}) write on this consult"
            ),
            None => format!(
                "only the asking doctor and doctors of Organization/{} write on this consult",
                self.to
            ),
        }))
    }

    /// Adds a message. The specialist side's first message is the answer.
    pub fn post(
        &mut self,
        text: String,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ConsultEvent, ConsultError> {
        let (author, side) = self.writing_side(by)?;
        if matches!(self.state, ConsultState::Closed { .. }) {
            return Err(ConsultError::IllegalTransition {
                action: "write on",
                state: self.state.code(),
            });
        }
        if text.trim().is_empty() {
            return Err(invalid("payload", "the message is empty"));
        }
        self.messages.push(Message {
            author,
            side,
            at: now,
            text,
        });
        let change = if side == Side::Receiver && self.answered_at.is_none() {
            self.answered_at = Some(now);
            self.state = ConsultState::Answered;
            ConsultChange::Answered {
                response_seconds: (now - self.asked_at).whole_seconds(),
            }
        } else {
            ConsultChange::Messaged { side }
        };
        Ok(self.event(by, now, change))
    }

    /// The asking doctor ends the consult: resolved or withdrawn. A
    /// consult is resolved only once answered.
    pub fn close(
        &mut self,
        outcome: ConsultOutcome,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ConsultEvent, ConsultError> {
        self.check_requester(by, "close")?;
        match (outcome, &self.state) {
            (_, ConsultState::Closed { .. }) | (ConsultOutcome::Resolved, ConsultState::Open) => {
                return Err(ConsultError::IllegalTransition {
                    action: if outcome == ConsultOutcome::Resolved {
                        "resolve"
                    } else {
                        "close"
                    },
                    state: self.state.code(),
                });
            }
            (ConsultOutcome::Referred, _) => {
                return Err(invalid(
                    "outcome",
                    "a consult becomes `referred` by making the referral (basedOn the consult)",
                ));
            }
            _ => {}
        }
        self.state = ConsultState::Closed {
            outcome,
            referral: None,
        };
        Ok(self.event(
            by,
            now,
            ConsultChange::Closed {
                outcome,
                referral: None,
            },
        ))
    }

    /// The asking doctor followed the advice and referred the patient.
    pub fn referred(
        &mut self,
        referral: ReferralId,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ConsultEvent, ConsultError> {
        self.check_requester(by, "refer from")?;
        if matches!(self.state, ConsultState::Closed { .. }) {
            return Err(ConsultError::IllegalTransition {
                action: "refer from",
                state: self.state.code(),
            });
        }
        self.state = ConsultState::Closed {
            outcome: ConsultOutcome::Referred,
            referral: Some(referral.clone()),
        };
        Ok(self.event(
            by,
            now,
            ConsultChange::Closed {
                outcome: ConsultOutcome::Referred,
                referral: Some(referral),
            },
        ))
    }

    fn check_requester(&self, by: &Actor, action: &str) -> Result<(), ConsultError> {
        if by.role == UserRole::Doctor && by.practitioner.as_ref() == Some(&self.requester) {
            Ok(())
        } else {
            Err(ConsultError::NotAllowed(format!(
                "only the asking doctor (Practitioner/{}) may {action} this consult",
                self.requester
            )))
        }
    }

    fn event(&self, by: &Actor, now: OffsetDateTime, change: ConsultChange) -> ConsultEvent {
        ConsultEvent {
            consult: self.id.clone(),
            at: now,
            by: by.username.clone(),
            change,
        }
    }

    /// How long the specialist's side took to answer, once it has.
    pub fn response_time(&self) -> Option<Duration> {
        self.answered_at.map(|a| a - self.asked_at)
    }

    /// When the answer is due under the region's policy, while it is not in.
    pub fn answer_due(&self, policy: &Policy) -> Option<OffsetDateTime> {
        (self.state == ConsultState::Open)
            .then(|| add_working_days(self.asked_at, policy.deadlines.consult_working_days))
    }
}
