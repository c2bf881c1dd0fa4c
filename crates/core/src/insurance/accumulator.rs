//! The resident's yearly accumulator: what has been paid toward the
//! deductibles and caps of one scheme in one calendar year.
//!
//! [`Accumulator`] is what the store keeps per resident, scheme and year,
//! one number per service type ([`PerService`]); [`YearUse`] is the slice of
//! it one service type's tariff reads and updates while pricing a visit.
//! Keeping both here lets the platform (through
//! [`adjudicate`](super::adjudicate())) and the simulator (through
//! [`Tariff::settle`](super::Tariff::settle)) count a year the same way.

use super::{ClaimError, Fen, SchemeId, ServiceType};
use serde::{Deserialize, Serialize};

/// One number per service type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerService<T> {
    pub outpatient: T,
    pub inpatient: T,
}

impl<T> PerService<T> {
    /// The number for one service type.
    pub fn get(&self, service: ServiceType) -> &T {
        match service {
            ServiceType::Outpatient => &self.outpatient,
            ServiceType::Inpatient => &self.inpatient,
        }
    }

    /// The number for one service type, to change.
    pub fn get_mut(&mut self, service: ServiceType) -> &mut T {
        match service {
            ServiceType::Outpatient => &mut self.outpatient,
            ServiceType::Inpatient => &mut self.inpatient,
        }
    }
}

/// A resident's running totals in one scheme for one calendar year. The
/// store keeps one per resident, scheme and year and writes the updated one
/// returned by [`adjudicate`](super::adjudicate()) in the same transaction as the claim, so the
/// totals are always the sum of the stored claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulator {
    pub scheme: SchemeId,
    pub year: i32,
    /// Paid toward annual deductibles this year. Per-admission deductibles
    /// are due in full on each claim and never counted here.
    pub deductible_met: PerService<Fen>,
    /// Paid by the fund this year, toward the caps.
    pub reimbursed: PerService<Fen>,
}

impl Accumulator {
    /// Nothing paid yet in `year`.
    pub fn new(scheme: SchemeId, year: i32) -> Accumulator {
        Accumulator {
            scheme,
            year,
            deductible_met: PerService::default(),
            reimbursed: PerService::default(),
        }
    }

    /// Paid by the fund this year over both service types.
    pub fn reimbursed_total(&self) -> Fen {
        self.reimbursed
            .outpatient
            .saturating_add(self.reimbursed.inpatient)
    }

    /// The accumulator for a claim dated in `year`: this one in its own
    /// year, a fresh one in a later year (deductibles and caps start again
    /// on 1 January). A claim dated before this accumulator's year needs
    /// that year's accumulator, so it is an error.
    pub fn rolled_to(&self, year: i32) -> Result<Accumulator, ClaimError> {
        match year.cmp(&self.year) {
            std::cmp::Ordering::Equal => Ok(self.clone()),
            std::cmp::Ordering::Greater => Ok(Accumulator::new(self.scheme.clone(), year)),
            std::cmp::Ordering::Less => Err(ClaimError::AccumulatorYear {
                claim: year,
                accumulator: self.year,
            }),
        }
    }
}

/// What a resident has used of one scheme and service type this year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearUse {
    /// Paid toward this service type's annual deductibles.
    pub deductible_met: Fen,
    /// Paid by the fund for this service type.
    pub reimbursed: Fen,
    /// Paid by the fund over all service types (for the scheme's cap).
    pub reimbursed_total: Fen,
}
