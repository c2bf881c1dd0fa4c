//! An alliance's global budget.
//!
//! Under a global budget the insurer pays a medical alliance (a county
//! medical community) a fixed amount per contracted resident per year, and
//! the alliance keeps what it saves: care kept inside the alliance, and
//! especially at primary level, is what makes a surplus. The ledger keeps
//! the fund's spending on the alliance's residents apart by where the care
//! was given, so "residents leaving the county" shows up as money.

use super::Fen;
use serde::{Deserialize, Serialize};
use time::Date;

/// The budget of one alliance for one year, and what its residents' claims
/// have cost the fund so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLedger {
    pub year: i32,
    /// The annual budget per contracted resident.
    pub per_capita: Fen,
    /// Residents contracted to the alliance's family doctors.
    pub residents: u32,
    /// Paid by the fund for care inside the alliance.
    pub inside: Fen,
    /// Paid by the fund for the same residents' care elsewhere (charged to
    /// the alliance's budget all the same).
    pub outside: Fen,
}

/// Where the ledger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "amount")]
pub enum BudgetStatus {
    Surplus(Fen),
    Balanced,
    Deficit(Fen),
}

impl BudgetLedger {
    /// A year's ledger with nothing spent.
    pub fn new(year: i32, per_capita: Fen, residents: u32) -> BudgetLedger {
        BudgetLedger {
            year,
            per_capita,
            residents,
            inside: Fen::ZERO,
            outside: Fen::ZERO,
        }
    }

    /// The whole year's budget: per capita times residents.
    pub fn budget(&self) -> Fen {
        Fen::new(
            self.per_capita
                .fen()
                .saturating_mul(i64::from(self.residents)),
        )
    }

    /// The part of the budget for the days up to and including `date`
    /// (pro rata by day, rounded down); the whole budget after the year,
    /// nothing before it.
    pub fn budget_to(&self, date: Date) -> Fen {
        if date.year() < self.year {
            return Fen::ZERO;
        }
        if date.year() > self.year {
            return self.budget();
        }
        let days = i128::from(time::util::days_in_year(self.year));
        let elapsed = i128::from(date.ordinal());
        let part = i128::from(self.budget().fen()) * elapsed / days;
        Fen::new(i64::try_from(part).unwrap_or(i64::MAX))
    }

    /// Records what the fund paid on a claim (an adjudication's `covered`)
    /// for one of the alliance's residents.
    pub fn record(&mut self, covered: Fen, inside_alliance: bool) {
        let to = if inside_alliance {
            &mut self.inside
        } else {
            &mut self.outside
        };
        *to = to.saturating_add(covered);
    }

    /// Paid so far, inside and outside.
    pub fn spent(&self) -> Fen {
        self.inside.saturating_add(self.outside)
    }

    /// The share of spending that stayed inside the alliance, in basis
    /// points (none when nothing has been spent).
    pub fn inside_share_bp(&self) -> Option<u32> {
        let spent = i128::from(self.spent().fen());
        if spent <= 0 {
            return None;
        }
        let bp = i128::from(self.inside.fen()) * 10_000 / spent;
        u32::try_from(bp.clamp(0, 10_000)).ok()
    }

    /// Surplus or deficit against the budget up to `date`.
    pub fn status_at(&self, date: Date) -> BudgetStatus {
        let balance = self.budget_to(date).saturating_sub(self.spent());
        match balance.cmp(&Fen::ZERO) {
            std::cmp::Ordering::Greater => BudgetStatus::Surplus(balance),
            std::cmp::Ordering::Equal => BudgetStatus::Balanced,
            std::cmp::Ordering::Less => BudgetStatus::Deficit(Fen::ZERO.saturating_sub(balance)),
        }
    }
}
