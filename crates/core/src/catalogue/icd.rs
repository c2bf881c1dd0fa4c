//! ICD-10 codes and code ranges, as the catalogue keys conditions by them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A piece of text that is not a valid ICD-10 code or code range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ICD-10 code {text:?}: {reason}")]
pub struct InvalidIcdCode {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidIcdCode {
    fn new(text: &str, reason: impl Into<String>) -> Self {
        Self {
            text: text.to_string(),
            reason: reason.into(),
        }
    }
}

/// A validated ICD-10 (WHO) code: a letter, two digits and optionally a dot
/// followed by one or two letters or digits, e.g. `I10`, `E11.9`, `S72.0`.
///
/// Parsing trims spaces and upper-cases letters, so `" e11.9"` becomes
/// `E11.9`; once parsed, codes compare in ICD-10 order (`I10 < I10.0 < I11`).
/// Longer national extension codes (e.g. China's clinical version
/// `I10.x00x002`) are rejected: truncate them to the WHO code first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IcdCode(String);

impl IcdCode {
    /// The code as text, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-character category, e.g. `"E11"` for `E11.9`. The catalogue
    /// positions most conditions by category.
    pub fn category(&self) -> &str {
        &self.0[..3]
    }

    /// True for a bare category such as `I10` (no subcategory after a dot).
    pub fn is_category(&self) -> bool {
        self.0.len() == 3
    }
}

impl FromStr for IcdCode {
    type Err = InvalidIcdCode;

    fn from_str(text: &str) -> Result<Self, InvalidIcdCode> {
        let s = text.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let head_ok = b.len() >= 3
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit();
        let tail_ok = match b.len() {
            3 => true,
            5 | 6 => b[3] == b'.' && b[4..].iter().all(u8::is_ascii_alphanumeric),
            _ => false,
        };
        if head_ok && tail_ok {
            Ok(IcdCode(s))
        } else {
            Err(InvalidIcdCode::new(
                text,
                "expected a letter, two digits and optionally a dot with one or two letters or digits (e.g. I10, E11.9)",
            ))
        }
    }
}

impl TryFrom<String> for IcdCode {
    type Error = InvalidIcdCode;
    fn try_from(s: String) -> Result<Self, InvalidIcdCode> {
        s.parse()
    }
}

impl From<IcdCode> for String {
    fn from(code: IcdCode) -> String {
        code.0
    }
}

impl fmt::Display for IcdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An inclusive range of ICD-10 codes, written `I10-I15`, or a single code
/// written `J45` (start and end equal).
///
/// Each end covers everything under it: `I10-I15` holds `I10` to `I15.9`;
/// `K92.0-K92.2` holds `K92.0` to `K92.2x` but not the bare category `K92`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IcdRange {
    /// The first code in the range.
    pub start: IcdCode,
    /// The last code in the range, including its subcategories.
    pub end: IcdCode,
}

impl IcdRange {
    /// A range from `start` to `end`; fails if `start` comes after `end`.
    pub fn new(start: IcdCode, end: IcdCode) -> Result<Self, InvalidIcdCode> {
        if start > end {
            return Err(InvalidIcdCode::new(
                &format!("{start}-{end}"),
                "the range starts after it ends",
            ));
        }
        Ok(Self { start, end })
    }

    /// The range holding one code and its subcategories.
    pub fn single(code: IcdCode) -> Self {
        Self {
            start: code.clone(),
            end: code,
        }
    }

    /// Whether `code` lies in the range. A code is compared with each end at
    /// that end's precision, so `I15.9` is inside `I10-I15`.
    pub fn contains(&self, code: &IcdCode) -> bool {
        let c = code.as_str();
        let upto_end = &c[..c.len().min(self.end.0.len())];
        *code >= self.start && upto_end <= self.end.as_str()
    }

    /// Whether the two ranges share at least one code.
    pub fn overlaps(&self, other: &IcdRange) -> bool {
        self.contains(&other.start) || other.contains(&self.start)
    }
}

impl FromStr for IcdRange {
    type Err = InvalidIcdCode;

    fn from_str(text: &str) -> Result<Self, InvalidIcdCode> {
        let wrap = |e: InvalidIcdCode| InvalidIcdCode::new(text, e.reason);
        match text.split_once('-') {
            None => Ok(IcdRange::single(text.parse().map_err(wrap)?)),
            Some((a, b)) => {
                IcdRange::new(a.parse().map_err(wrap)?, b.parse().map_err(wrap)?).map_err(wrap)
            }
        }
    }
}

impl TryFrom<String> for IcdRange {
    type Error = InvalidIcdCode;
    fn try_from(s: String) -> Result<Self, InvalidIcdCode> {
        s.parse()
    }
}

impl From<IcdRange> for String {
    fn from(range: IcdRange) -> String {
        range.to_string()
    }
}

impl fmt::Display for IcdRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}
