//! Exact money and rates.
//!
//! Amounts are whole fen (1 yuan = 100 fen) in an `i64`, never floating
//! point: a reimbursement that is one fen off is a complaint, and a sum of
//! floats over a year of claims is not the sum on the receipt. Rates are
//! basis points (1% = 100 bp), so Hangzhou's 88% is `Rate::from_bp(8800)`.
//!
//! There is exactly one place where an amount is multiplied by a rate,
//! [`Fen::apply_rate`], and so exactly one rounding rule: **the fund's share
//! is rounded to the nearest fen, and a half fen goes to the patient** (the
//! fund pays it). A rule that rounds against the patient would let a
//! penalty-free visit cost more than its rate says; a rule that truncates
//! would do so on every claim.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An amount of money in fen (hundredths of a yuan).
///
/// In data files amounts are integers of fen (`deductible_fen = 100000` is
/// 1,000.00 yuan), so a file can never hold an amount that is not exact.
/// [`Display`](fmt::Display) and [`FromStr`] use yuan with two decimals
/// (`"1000.00"`), for people.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    /// Nothing.
    pub const ZERO: Fen = Fen(0);

    /// An amount of fen.
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// Whole yuan, saturating at the limits of `i64` fen.
    pub const fn yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Below zero: never valid as a price, deductible or cap.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, saturating instead of overflowing.
    pub const fn saturating_add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }

    /// `self - other`, saturating instead of overflowing (it may go below
    /// zero; see [`Fen::minus_floor_zero`]).
    pub const fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    /// `self - other`, but never below zero: what is left of an allowance.
    pub fn minus_floor_zero(self, other: Fen) -> Fen {
        self.saturating_sub(other).max(Fen::ZERO)
    }

    /// The share `rate` of this amount, rounded to the nearest fen with a
    /// half fen rounded away from zero (up, for the non-negative amounts
    /// that claims use): the fund pays the half fen. For `0 <= rate <= 100%`
    /// the result is between zero and the amount itself, and it never falls
    /// when the rate rises.
    pub fn apply_rate(self, rate: Rate) -> Fen {
        let product = i128::from(self.0) * i128::from(rate.bp());
        let half = i128::from(Rate::FULL_BP) / 2;
        let rounded = if product >= 0 {
            (product + half) / i128::from(Rate::FULL_BP)
        } else {
            (product - half) / i128::from(Rate::FULL_BP)
        };
        // |rounded| <= |self| * rate / 100% + 1, within i64 for rates up to
        // 100%; clamp anyway rather than wrap for larger rates.
        Fen(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals: `1234.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Text that is not an amount of yuan with at most two decimals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid amount {0:?}: write yuan with at most two decimals, e.g. 1234.50")]
pub struct InvalidAmount(pub String);

impl FromStr for Fen {
    type Err = InvalidAmount;

    /// Parses yuan with at most two decimals (`"12"`, `"12.3"`, `"-0.05"`),
    /// exactly: no floating point on the way.
    fn from_str(s: &str) -> Result<Fen, InvalidAmount> {
        let bad = || InvalidAmount(s.to_string());
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
            return Err(bad());
        }
        if digits.contains('.') && frac.is_empty() {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        Ok(Fen(if negative { -fen } else { fen }))
    }
}

/// A rate in basis points: 10000 bp is 100%.
///
/// Stored as an unsigned integer so a negative rate cannot be written; a
/// rate above 100% can be written and is refused by validation, naming the
/// field.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rate(u32);

impl Rate {
    /// Basis points in 100%.
    pub const FULL_BP: u32 = 10_000;
    /// 100%.
    pub const FULL: Rate = Rate(Rate::FULL_BP);
    /// 0%.
    pub const ZERO: Rate = Rate(0);

    /// A rate of `bp` basis points.
    pub const fn from_bp(bp: u32) -> Rate {
        Rate(bp)
    }

    /// Whole percent: `Rate::percent(88)` is 88%.
    pub const fn percent(pct: u32) -> Rate {
        Rate(pct.saturating_mul(100))
    }

    /// The rate in basis points.
    pub const fn bp(self) -> u32 {
        self.0
    }

    /// Lower by `points`, not below 0%.
    pub const fn minus(self, points: Rate) -> Rate {
        Rate(self.0.saturating_sub(points.0))
    }

    /// Higher by `points`, not above 100%.
    pub fn plus_capped(self, points: Rate) -> Rate {
        Rate(self.0.saturating_add(points.0).min(Rate::FULL_BP))
    }
}

impl fmt::Display for Rate {
    /// Percent with two decimals: `88.00%`, `7.50%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_yuan() {
        for (text, fen, shown) in [
            ("0", 0, "0.00"),
            ("12", 1200, "12.00"),
            ("12.3", 1230, "12.30"),
            ("12.34", 1234, "12.34"),
            ("-0.05", -5, "-0.05"),
            ("1000.00", 100_000, "1000.00"),
        ] {
            let parsed: Fen = text.parse().unwrap();
            assert_eq!(parsed, Fen::new(fen), "{text}");
            assert_eq!(parsed.to_string(), shown, "{text}");
        }
        for bad in [
            "",
            "1.234",
            "1.",
            ".5",
            "1,00",
            "abc",
            "--1",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<Fen>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(Fen::new(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn rounding_rule_half_fen_to_the_patient() {
        // (amount fen, rate bp, fund's share fen, why)
        let cases = [
            (100, 8800, 88, "exact"),
            (1, 5000, 1, "half a fen: the fund pays it"),
            (3, 5000, 2, "1.5 fen rounds up to 2"),
            (1, 4999, 0, "just under half a fen rounds down"),
            (12345, 7650, 9444, "9443.925 rounds up"),
            (12345, 7600, 9382, "9382.2 rounds down"),
            (999, 10000, 999, "100% is the whole amount"),
            (999, 0, 0, "0% is nothing"),
            (
                -3,
                5000,
                -2,
                "negative amounts round away from zero, mirroring",
            ),
        ];
        for (amount, bp, share, why) in cases {
            assert_eq!(
                Fen::new(amount).apply_rate(Rate::from_bp(bp)),
                Fen::new(share),
                "{amount} fen at {bp} bp: {why}"
            );
        }
        assert_eq!(
            Fen::new(i64::MAX).apply_rate(Rate::FULL),
            Fen::new(i64::MAX)
        );
    }

    #[test]
    fn rates_saturate() {
        assert_eq!(Rate::percent(40).minus(Rate::percent(50)), Rate::ZERO);
        assert_eq!(Rate::percent(95).plus_capped(Rate::percent(10)), Rate::FULL);
        assert_eq!(Rate::from_bp(8850).to_string(), "88.50%");
    }
}
