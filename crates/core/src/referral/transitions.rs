//! The transition table: which action is legal in which state, for which
//! side, and what it changes.

use super::*;

/// An action with what it needs, as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Accept,
    Book {
        booking: Booking,
    },
    Decline {
        reason: DeclineReason,
        comment: String,
    },
    Redirect {
        to: InstitutionId,
        to_level: Level,
        comment: String,
    },
    ReturnWithAdvice {
        advice: String,
    },
    Cancel {
        reason: String,
    },
    /// The patient came. `early`: the receiving side confirms a patient
    /// who came before the booked day (otherwise refused, so an arrival is
    /// never recorded early by mistake).
    Arrive {
        early: bool,
    },
    NoShow,
    Complete {
        report: Option<Report>,
    },
    Report {
        report: Report,
    },
    Close,
}

impl Command {
    /// The action this command takes.
    pub fn action(&self) -> Action {
        match self {
            Command::Accept => Action::Accept,
            Command::Book { .. } => Action::Book,
            Command::Decline { .. } => Action::Decline,
            Command::Redirect { .. } => Action::Redirect,
            Command::ReturnWithAdvice { .. } => Action::ReturnWithAdvice,
            Command::Cancel { .. } => Action::Cancel,
            Command::Arrive { .. } => Action::Arrive,
            Command::NoShow => Action::NoShow,
            Command::Complete { .. } => Action::Complete,
            Command::Report { .. } => Action::Report,
            Command::Close => Action::Close,
        }
    }
}

impl Action {
    /// The sides that may take this action.
    pub fn sides(self) -> &'static [Side] {
        match self {
            // "Book now": a family doctor books a reserved slot directly.
            Action::Book => &[Side::Receiver, Side::Referrer],
            Action::Cancel | Action::Close => &[Side::Referrer],
            Action::Accept
            | Action::Decline
            | Action::Redirect
            | Action::ReturnWithAdvice
            | Action::Arrive
            | Action::NoShow
            | Action::Complete
            | Action::Report => &[Side::Receiver],
        }
    }
}

impl Referral {
    /// Whether the action is legal in the current state (whoever asks).
    pub fn legal(&self, action: Action) -> bool {
        use ReferralState as S;
        let emergency = self.priority == Priority::Emergency;
        match (&self.state, action) {
            (
                S::Requested,
                Action::Accept
                | Action::Book
                | Action::Decline
                | Action::Redirect
                | Action::ReturnWithAdvice
                | Action::Cancel,
            ) => true,
            (S::Accepted, Action::Book | Action::Decline | Action::Cancel) => true,
            // An emergency is seen on arrival, booked or not.
            (S::Requested | S::Accepted, Action::Arrive) => emergency,
            (S::Booked { .. }, Action::Arrive | Action::NoShow | Action::Cancel) => true,
            (S::NoShow { .. }, Action::Book | Action::Close) => true,
            (S::Arrived { .. }, Action::Complete) => true,
            (S::Completed { report: None }, Action::Report) => true,
            (S::Completed { report: Some(_) }, Action::Close) => true,
            (S::Declined { .. } | S::Returned { .. }, Action::Close) => true,
            _ => false,
        }
    }

    /// Whether `by` may take the action now: legal in this state, and the
    /// user is on a side that may take it.
    pub fn permits(&self, action: Action, by: &Actor) -> Result<(), ReferralError> {
        if !matches!(by.role, UserRole::Doctor | UserRole::Coordinator) {
            return Err(ReferralError::Role(by.role.code()));
        }
        if !self.legal(action) {
            return Err(ReferralError::IllegalTransition {
                action: action.code(),
                state: self.state.code(),
            });
        }
        let mine = self.sides(by);
        if action.sides().iter().any(|s| mine.contains(s)) {
            Ok(())
        } else {
            Err(ReferralError::WrongSide {
                action: action.code(),
                side: action.sides()[0].code(),
            })
        }
    }

    /// Takes one action: checks it, changes the state and returns the event.
    /// On error nothing has changed.
    pub fn apply(
        &mut self,
        command: Command,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<ReferralEvent, ReferralError> {
        self.permits(command.action(), by)?;
        // A booked patient is recorded as arrived from the booked day on;
        // an unbooked emergency arrives whenever it comes.
        let command = match (command, self.state.booking()) {
            (Command::Arrive { early }, Some(booking)) => {
                let reached = crate::booking::arrival_day_reached(booking.start(), now);
                if let (Err(booked), false) = (reached, early) {
                    return Err(ReferralError::BeforeBookedDay { booked });
                }
                // Early only when it was: a confirmation on the day is none.
                Command::Arrive {
                    early: reached.is_err(),
                }
            }
            (Command::Arrive { .. }, None) => Command::Arrive { early: false },
            (other, _) => other,
        };
        let redirect_level = match &command {
            Command::Redirect { to_level, .. } => Some(*to_level),
            _ => None,
        };
        let (state, change) = self.next(command)?;
        if let Change::Redirected { to, .. } = &change {
            self.redirected_from
                .push(std::mem::replace(&mut self.to, to.clone()));
        }
        if let Some(level) = redirect_level {
            self.to_level = level;
        }
        self.state = state;
        self.since = now;
        Ok(ReferralEvent {
            referral: self.id.clone(),
            at: now,
            by: by.username.clone(),
            change,
        })
    }

    /// The state after a permitted command, and the change to record;
    /// checks the command's own fields. Does not touch `self`.
    fn next(&self, command: Command) -> Result<(ReferralState, Change), ReferralError> {
        use ReferralState as S;
        Ok(match command {
            Command::Accept => (S::Accepted, Change::Accepted),
            Command::Book { booking } => {
                match (&booking, self.setting) {
                    (Booking::Slot { .. }, Setting::Outpatient)
                    | (Booking::Bed { .. }, Setting::Inpatient) => {}
                    (Booking::Slot { .. }, Setting::Inpatient) => {
                        return Err(invalid("booking", "an inpatient referral books a bed"));
                    }
                    (Booking::Bed { .. }, Setting::Outpatient) => {
                        return Err(invalid("booking", "an outpatient referral books a slot"));
                    }
                }
                (
                    S::Booked {
                        booking: booking.clone(),
                    },
                    Change::Booked {
                        booking,
                        rebooked: matches!(self.state, S::NoShow { .. }),
                    },
                )
            }
            Command::Decline { reason, comment } => {
                if reason == DeclineReason::Other && comment.trim().is_empty() {
                    return Err(invalid("comment", "say why when the reason is `other`"));
                }
                (
                    S::Declined {
                        reason,
                        comment: comment.clone(),
                    },
                    Change::Declined { reason, comment },
                )
            }
            Command::Redirect { to, comment, .. } => {
                if to == self.to || to == self.from {
                    return Err(invalid(
                        "to",
                        "redirect to an institution other than the referrer and the current receiver",
                    ));
                }
                (
                    S::Requested,
                    Change::Redirected {
                        from: self.to.clone(),
                        to,
                        comment,
                    },
                )
            }
            Command::ReturnWithAdvice { advice } => {
                if advice.trim().is_empty() {
                    return Err(invalid(
                        "advice",
                        "returning a referral needs advice for the referrer",
                    ));
                }
                (
                    S::Returned {
                        advice: advice.clone(),
                    },
                    Change::Returned { advice },
                )
            }
            Command::Cancel { reason } => {
                if reason.trim().is_empty() {
                    return Err(invalid("reason", "say why the referral is cancelled"));
                }
                (
                    S::Cancelled {
                        reason: reason.clone(),
                    },
                    Change::Cancelled {
                        reason,
                        released: self.state.booking().cloned(),
                    },
                )
            }
            Command::Arrive { early } => (
                S::Arrived {
                    booking: self.state.booking().cloned(),
                },
                Change::Arrived {
                    unbooked: self.state.booking().is_none(),
                    early,
                },
            ),
            Command::NoShow => {
                let booking =
                    self.state.booking().cloned().ok_or_else(|| {
                        invalid("state", "only a booked referral can be a no-show")
                    })?;
                (
                    S::NoShow {
                        booking: booking.clone(),
                    },
                    Change::NoShow { booking },
                )
            }
            Command::Complete { report } => {
                if let Some(r) = &report {
                    check_report(r)?;
                }
                (
                    S::Completed {
                        report: report.clone(),
                    },
                    Change::Completed { report },
                )
            }
            Command::Report { report } => {
                check_report(&report)?;
                (
                    S::Completed {
                        report: Some(report.clone()),
                    },
                    Change::Reported { report },
                )
            }
            Command::Close => (S::Closed, Change::Closed),
        })
    }
}

fn check_report(report: &Report) -> Result<(), ReferralError> {
    if report.summary.trim().is_empty() {
        return Err(invalid("report.summary", "the report needs a summary"));
    }
    Ok(())
}
