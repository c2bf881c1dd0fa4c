//! The case mix of the demo county's history: how often residents fall ill,
//! with what, and where they go first. Conditions come with their
//! functional positioning from the bundled catalogue, so a self-referred
//! hospital visit for a cold is over-use by positioning, and a referral of
//! a case positioned at primary care is likely to be declined.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::f64::consts::TAU;
use tiercare_core::catalogue::{Catalogue, IcdCode};
use tiercare_core::{Level, Specialty};
use time::Date;

/// The generator every choice is drawn from: one seed, one history.
pub type Dice = Xoshiro256PlusPlus;

/// Yearly first contacts per resident, by age band and chronic disease:
/// thinned from the county's real figures (a few visits a year) so a year
/// loads in seconds, while keeping the mix.
const CHILD_RATE: f64 = 1.0;
const ADULT_RATE: f64 = 0.7;
const ELDER_RATE: f64 = 1.6;
const CHRONIC_EXTRA: f64 = 0.8;

/// A condition a resident may present with.
#[derive(Debug, Clone)]
pub struct Case {
    pub code: IcdCode,
    pub specialty: Specialty,
    /// Where a typical case belongs.
    pub level: Level,
    pub chronic: bool,
    /// Emergencies go straight to a hospital.
    pub emergency_share: f64,
    /// An admission rather than a clinic visit when referred.
    pub inpatient: bool,
}

/// `(code, weight, winter amplitude, emergency share, admitted, who)`:
/// `who` is 'c' children only, 'a' adults and older people, 'e' older
/// people, 'x' anyone, 'k' chronic patients.
type Row = (&'static str, f64, f64, f64, bool, char);
const ROWS: &[Row] = &[
    ("J06", 30.0, 0.8, 0.0, false, 'x'),
    ("J20", 8.0, 0.8, 0.0, false, 'x'),
    ("J18", 3.0, 0.8, 0.0, true, 'x'),
    ("J44", 4.0, 0.6, 0.0, false, 'e'),
    ("A09", 5.0, 0.0, 0.0, false, 'x'),
    ("A08", 4.0, 0.3, 0.0, false, 'c'),
    ("I10", 14.0, 0.0, 0.0, false, 'k'),
    ("E11", 8.0, 0.0, 0.0, false, 'k'),
    ("M54", 7.0, 0.0, 0.0, false, 'a'),
    ("K29", 6.0, 0.0, 0.0, false, 'a'),
    ("R10", 4.0, 0.0, 0.0, false, 'x'),
    ("N30", 3.0, 0.0, 0.0, false, 'a'),
    ("H10", 2.0, 0.0, 0.0, false, 'x'),
    ("M17", 3.0, 0.0, 0.0, false, 'e'),
    ("I20", 3.0, 0.2, 0.1, false, 'e'),
    ("I50", 2.0, 0.3, 0.1, true, 'e'),
    ("I63", 2.0, 0.2, 0.4, true, 'e'),
    ("I21", 1.0, 0.2, 0.6, true, 'e'),
    ("K35", 2.0, 0.0, 0.3, true, 'x'),
    ("K80", 2.0, 0.0, 0.0, true, 'a'),
    ("H25", 2.0, 0.0, 0.0, false, 'e'),
    ("S52", 2.0, 0.0, 0.2, false, 'x'),
    ("N18", 1.0, 0.0, 0.0, false, 'k'),
    ("C34", 0.6, 0.0, 0.0, true, 'e'),
];

/// The case mix, checked against the catalogue once.
#[derive(Debug)]
pub struct Mix {
    cases: Vec<(Case, f64, f64, char)>,
}

impl Mix {
    pub fn bundled() -> anyhow::Result<Mix> {
        let catalogue = Catalogue::bundled();
        let mut cases = Vec::new();
        for &(code, weight, winter, emergency_share, inpatient, who) in ROWS {
            let code: IcdCode = code
                .parse()
                .map_err(|e| anyhow::anyhow!("case mix code {code}: {e:?}"))?;
            let Some(c) = catalogue.find(&code) else {
                anyhow::bail!("case mix code {code} is not in the catalogue");
            };
            let case = Case {
                code,
                specialty: c.specialty,
                level: c.level,
                chronic: c.chronic,
                emergency_share,
                inpatient,
            };
            cases.push((case, weight, winter, who));
        }
        Ok(Mix { cases })
    }

    /// How many first contacts a resident has a year.
    pub fn yearly_rate(age: i32, chronic: bool) -> f64 {
        let base = match age {
            ..15 => CHILD_RATE,
            15..65 => ADULT_RATE,
            _ => ELDER_RATE,
        };
        base + if chronic { CHRONIC_EXTRA } else { 0.0 }
    }

    /// Draws the case a resident presents with on `day`.
    pub fn draw(&self, dice: &mut Dice, day: Date, age: i32, chronic: bool) -> &Case {
        let w = winter(day);
        let fits = |who: char| match who {
            'c' => age < 15,
            'a' => age >= 15,
            'e' => age >= 55,
            'k' => chronic,
            _ => true,
        };
        let weight = |(_, base, amp, who): &(Case, f64, f64, char)| {
            if fits(*who) {
                base * (1.0 + amp * w)
            } else {
                0.0
            }
        };
        let total: f64 = self.cases.iter().map(weight).sum();
        let mut u = dice.random::<f64>() * total;
        for c in &self.cases {
            u -= weight(c);
            if u <= 0.0 {
                return &c.0;
            }
        }
        &self.cases[0].0
    }
}

/// Seasonality: 1 in mid-January, -1 in mid-July. Respiratory illness
/// peaks in winter; the overall rate follows it a little.
pub fn winter(day: Date) -> f64 {
    (TAU * (f64::from(day.ordinal()) - 15.0) / 365.0).cos()
}

/// `true` with probability `p`.
pub fn chance(dice: &mut Dice, p: f64) -> bool {
    dice.random::<f64>() < p
}

/// A whole number in `lo..=hi`.
pub fn between(dice: &mut Dice, lo: i64, hi: i64) -> i64 {
    dice.random_range(lo..=hi)
}
