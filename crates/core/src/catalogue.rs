//! The condition catalogue: which level of care each condition belongs at.
//!
//! Tiered care only works if everyone agrees where a condition should be
//! treated. The catalogue records that "functional positioning" per ICD-10
//! code range, with modifiers for severity and urgency, and [`Catalogue::triage`]
//! applies it to one case and explains the answer in sentences a family doctor
//! can check. The bundled catalogue lives in `data/conditions.toml`; see
//! `docs/catalogue.md` for the reasoning behind each positioning.
//!
//! # Triage rules
//!
//! For a [`Case`] whose code falls in a [`Condition`]'s range:
//!
//! 1. Start at the condition's `level` (a typical, uncomplicated case).
//! 2. Severity: moderate raises the level to at least `moderate`; severe to at
//!    least `severe`.
//! 3. Urgency: urgent raises it to at least `moderate` (an urgent case is never
//!    handled like a routine mild one); emergency raises it to at least
//!    `emergency` and marks the result as an emergency, which goes straight
//!    up without waiting for a referral.
//! 4. Stable chronic disease: if the condition is chronic, the patient is
//!    marked stable, the severity is mild and the urgency routine, the result
//!    is primary level, even when the condition's `level` is higher: stable
//!    chronic disease is managed by the family doctor (the "separation of
//!    acute and chronic" principle). Any higher severity or urgency overrides
//!    the stable flag; on a condition that is not chronic the flag is ignored.
//!    Both cases say so in the reasons.
//! 5. Otherwise the result is the highest level reached by rules 1-3.

use crate::level::coded_enum;
use crate::{Level, Specialty};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

coded_enum!(
    /// How ill the patient is with the condition, as judged by the doctor.
    ///
    /// Ordered `Mild < Moderate < Severe`; a more severe case is never
    /// positioned lower.
    Severity {
        /// A typical, uncomplicated case.
        Mild = "mild" / "Mild",
        /// Complicated or poorly controlled, but not critical.
        Moderate = "moderate" / "Moderate",
        /// Critical, or with serious complications.
        Severe = "severe" / "Severe",
    }
);

coded_enum!(
    /// How soon the patient must be seen.
    ///
    /// Ordered `Routine < Urgent < Emergency`; a more urgent case is never
    /// positioned lower.
    Urgency {
        /// Can wait for a planned visit or a normal referral.
        Routine = "routine" / "Routine",
        /// Must be seen within a day or two.
        Urgent = "urgent" / "Urgent",
        /// Life or limb at risk: goes straight up, no referral needed.
        Emergency = "emergency" / "Emergency",
    }
);

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

/// One entry of the catalogue: a condition and the levels it belongs at.
///
/// Invariants checked by [`Catalogue::from_toml`]:
/// `level <= moderate <= severe` and `emergency >= level`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The ICD-10 codes this entry covers; no other entry shares any of them.
    pub code: IcdRange,
    /// The name a family doctor would use.
    pub name: String,
    /// The hospital department a referral for it goes to.
    pub specialty: Specialty,
    /// Functional positioning of a typical, uncomplicated case.
    pub level: Level,
    /// Level for a moderate case, and the floor for an urgent one.
    pub moderate: Level,
    /// Level for a severe case.
    pub severe: Level,
    /// Level an emergency goes straight to, without a referral.
    pub emergency: Level,
    /// Whether a stable patient is followed up at primary level.
    pub chronic: bool,
    /// Why it is positioned so.
    pub note: String,
}

/// One patient's problem, as the doctor sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// The diagnosis (or presenting symptom) code.
    pub code: IcdCode,
    /// How ill the patient is.
    pub severity: Severity,
    /// How soon the patient must be seen.
    pub urgency: Urgency,
    /// The patient has a known chronic condition that is currently stable
    /// (e.g. coming back for follow-up after a hospital stay).
    #[serde(default)]
    pub stable_chronic: bool,
}

/// The level a case belongs at, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Triage {
    /// Where the case should be treated.
    pub level: Level,
    /// The code text of the catalogue entry used, e.g. `I10-I15`.
    pub condition_code: String,
    /// The name of that entry.
    pub condition_name: String,
    /// The department a referral should go to.
    pub specialty: Specialty,
    /// True for an emergency: the patient goes straight to `level` without
    /// waiting for a referral.
    pub emergency: bool,
    /// Every rule that was applied, as full sentences, ending with the result.
    pub reasons: Vec<String>,
}

/// The keys a `[[condition]]` table may have.
pub const CONDITION_FIELDS: [&str; 9] = [
    "code",
    "name",
    "specialty",
    "level",
    "moderate",
    "severe",
    "emergency",
    "chronic",
    "note",
];

/// Why a catalogue could not be loaded or a case could not be triaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// The case's code is in no catalogue entry, so no positioning is known.
    #[error("ICD-10 code {0} is not in the condition catalogue, so no level can be suggested")]
    UnknownCode(String),
    /// A code given as text is not valid ICD-10.
    #[error(transparent)]
    InvalidCode(#[from] InvalidIcdCode),
    /// One field of one condition is missing or wrong.
    #[error("condition {condition}, field `{field}`: {message}")]
    Invalid {
        /// Which entry: its number in the file, code and name.
        condition: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A condition has a key that is not one of [`CONDITION_FIELDS`]
    /// (usually a typo, which would otherwise be silently ignored).
    #[error("condition {condition}: unknown key `{key}`")]
    UnknownKey {
        /// Which entry.
        condition: String,
        /// The unknown key.
        key: String,
    },
    /// The text is not TOML, or not shaped as `[[condition]]` tables.
    #[error("catalogue is not valid: {0}")]
    Parse(String),
    /// The text has no conditions at all.
    #[error("catalogue has no [[condition]] entries")]
    Empty,
}

/// The condition catalogue: conditions in file order, with a lookup by code.
#[derive(Debug, Clone)]
pub struct Catalogue {
    conditions: Vec<Condition>,
    /// Indices into `conditions`, sorted by range start, for binary search.
    by_start: Vec<usize>,
}

const BUNDLED: &str = include_str!("../data/conditions.toml");

impl Catalogue {
    /// The catalogue shipped with tiercare (`data/conditions.toml`), parsed
    /// once on first use.
    pub fn bundled() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            // The bundled file is checked by the `bundled_catalogue_*` tests.
            Catalogue::from_toml(BUNDLED).expect("bundled data/conditions.toml is valid")
        })
    }

    /// Parses and validates a catalogue in the format of `data/conditions.toml`.
    ///
    /// Rejects, naming the condition and field: missing or mistyped fields,
    /// unknown keys, invalid codes, ranges that end before they start or
    /// overlap another entry, unknown specialties or levels, and levels out of
    /// order (`level <= moderate <= severe`, `emergency >= level`).
    pub fn from_toml(text: &str) -> Result<Catalogue, CatalogueError> {
        let root: toml::Table =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        if let Some(key) = root.keys().find(|k| *k != "condition") {
            return Err(CatalogueError::Parse(format!(
                "unknown top-level key `{key}`; expected only [[condition]] tables"
            )));
        }
        let entries = match root.get("condition") {
            None => return Err(CatalogueError::Empty),
            Some(toml::Value::Array(entries)) => entries,
            Some(_) => {
                return Err(CatalogueError::Parse(
                    "`condition` must be written as [[condition]] tables".into(),
                ));
            }
        };
        if entries.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let conditions = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| parse_condition(i + 1, entry))
            .collect::<Result<Vec<_>, _>>()?;

        let mut by_start: Vec<usize> = (0..conditions.len()).collect();
        by_start.sort_by(|&a, &b| conditions[a].code.start.cmp(&conditions[b].code.start));
        // Sorted by start, any overlap shows up between neighbours.
        for pair in by_start.windows(2) {
            let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
            if conditions[a].code.overlaps(&conditions[b].code) {
                return Err(CatalogueError::Invalid {
                    condition: label(b + 1, &conditions[b]),
                    field: "code",
                    message: format!(
                        "overlaps condition {}; every code must belong to one entry only",
                        label(a + 1, &conditions[a])
                    ),
                });
            }
        }
        Ok(Catalogue {
            conditions,
            by_start,
        })
    }

    /// All conditions, in file order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The entry whose range holds `code`. A subcategory such as `E11.9`
    /// matches the entry for its category (`E11`) unless an entry names that
    /// subcategory itself; ranges never overlap, so at most one entry matches.
    pub fn find(&self, code: &IcdCode) -> Option<&Condition> {
        let after = self
            .by_start
            .partition_point(|&i| self.conditions[i].code.start <= *code);
        let candidate = &self.conditions[self.by_start[after.checked_sub(1)?]];
        candidate.code.contains(code).then_some(candidate)
    }

    /// The entry whose own code is exactly `range_text` (e.g. `"I10-I15"`),
    /// as used in triage results and references to an entry.
    pub fn by_range_code(&self, range_text: &str) -> Option<&Condition> {
        let range: IcdRange = range_text.parse().ok()?;
        self.find(&range.start).filter(|c| c.code == range)
    }

    /// The level a case belongs at, with the reasons, following the rules in
    /// the module documentation. Fails only if the code is in no entry.
    pub fn triage(&self, case: &Case) -> Result<Triage, CatalogueError> {
        let condition = self
            .find(&case.code)
            .ok_or_else(|| CatalogueError::UnknownCode(case.code.to_string()))?;
        Ok(triage_condition(condition, case))
    }
}

fn triage_condition(c: &Condition, case: &Case) -> Triage {
    let mut reasons = vec![format!(
        "{} ({}) is positioned at {} level.",
        c.name, c.code, c.level
    )];
    let mut level = c.level;
    match case.severity {
        Severity::Mild => {}
        Severity::Moderate => {
            level = level.max(c.moderate);
            reasons.push(format!(
                "A moderate case of {} belongs at {} level.",
                c.name, c.moderate
            ));
        }
        Severity::Severe => {
            level = level.max(c.severe);
            reasons.push(format!(
                "A severe case of {} belongs at {} level.",
                c.name, c.severe
            ));
        }
    }
    let emergency = case.urgency == Urgency::Emergency;
    match case.urgency {
        Urgency::Routine => {}
        Urgency::Urgent => {
            level = level.max(c.moderate);
            reasons.push(format!(
                "The case is urgent, so it needs at least the level of a moderate case ({} level).",
                c.moderate
            ));
        }
        Urgency::Emergency => {
            level = level.max(c.emergency);
            reasons.push(format!(
                "This is an emergency: the patient goes straight to {} level, no referral needed.",
                c.emergency
            ));
        }
    }
    if case.stable_chronic {
        let mut not_stable = Vec::new();
        if case.severity != Severity::Mild {
            not_stable.push(case.severity.code());
        }
        match case.urgency {
            Urgency::Routine => {}
            Urgency::Urgent => not_stable.push("urgent"),
            Urgency::Emergency => not_stable.push("an emergency"),
        }
        if !c.chronic {
            reasons.push(format!(
                "The patient is marked as stable chronic, but {} is not a chronic condition, so that is ignored.",
                c.name
            ));
        } else if not_stable.is_empty() {
            level = Level::Primary;
            reasons.push(if c.level > Level::Primary {
                format!(
                    "{} is chronic and the patient is stable: stable chronic disease is managed at primary level by the family doctor, even though a new or unstable case belongs at {} level.",
                    c.name, c.level
                )
            } else {
                format!(
                    "{} is chronic and the patient is stable: stable chronic disease is managed at primary level by the family doctor.",
                    c.name
                )
            });
        } else {
            reasons.push(format!(
                "The patient is marked as stable chronic, but the case is {}, so it is not managed as stable chronic disease at primary level.",
                not_stable.join(" and ")
            ));
        }
    }
    reasons.push(format!("The case belongs at {level} level."));
    Triage {
        level,
        condition_code: c.code.to_string(),
        condition_name: c.name.clone(),
        specialty: c.specialty,
        emergency,
        reasons,
    }
}

/// How an entry is named in errors: its number in the file, code and name.
fn label(number: usize, c: &Condition) -> String {
    format!("#{number} {} {}", c.code, c.name)
}

fn parse_condition(number: usize, entry: &toml::Value) -> Result<Condition, CatalogueError> {
    let Some(table) = entry.as_table() else {
        return Err(CatalogueError::Parse(format!(
            "condition #{number} is not a table"
        )));
    };
    let mut name_of = format!("#{number}");
    for key in ["code", "name"] {
        if let Some(text) = table.get(key).and_then(toml::Value::as_str) {
            name_of.push(' ');
            name_of.push_str(text);
        }
    }
    if let Some(key) = table
        .keys()
        .find(|k| !CONDITION_FIELDS.contains(&k.as_str()))
    {
        return Err(CatalogueError::UnknownKey {
            condition: name_of,
            key: key.clone(),
        });
    }
    let invalid = |field: &'static str, message: String| CatalogueError::Invalid {
        condition: name_of.clone(),
        field,
        message,
    };
    let text = |field: &'static str| -> Result<&str, CatalogueError> {
        match table.get(field) {
            None => Err(invalid(field, "is missing".into())),
            Some(toml::Value::String(s)) if s.trim().is_empty() => {
                Err(invalid(field, "must not be empty".into()))
            }
            Some(toml::Value::String(s)) => Ok(s.as_str()),
            Some(other) => Err(invalid(
                field,
                format!("must be a string, not {}", other.type_str()),
            )),
        }
    };
    let level = |field: &'static str| -> Result<Level, CatalogueError> {
        let code = text(field)?;
        Level::from_code(code).ok_or_else(|| {
            invalid(
                field,
                format!("unknown level {code:?}; expected primary, secondary or tertiary"),
            )
        })
    };

    let code: IcdRange = text("code")?
        .parse()
        .map_err(|e: InvalidIcdCode| invalid("code", e.to_string()))?;
    let name = text("name")?.trim().to_string();
    let specialty_code = text("specialty")?;
    let specialty = Specialty::from_code(specialty_code).ok_or_else(|| {
        let known: Vec<&str> = Specialty::ALL.iter().map(|s| s.code()).collect();
        invalid(
            "specialty",
            format!(
                "unknown specialty {specialty_code:?}; expected one of {}",
                known.join(", ")
            ),
        )
    })?;
    let base = level("level")?;
    let moderate = level("moderate")?;
    let severe = level("severe")?;
    let emergency = level("emergency")?;
    let chronic = match table.get("chronic") {
        None => return Err(invalid("chronic", "is missing".into())),
        Some(toml::Value::Boolean(b)) => *b,
        Some(other) => {
            return Err(invalid(
                "chronic",
                format!("must be true or false, not {}", other.type_str()),
            ));
        }
    };
    let note = text("note")?.trim().to_string();

    let below = |field: &'static str, lower: Level, what: &str, higher: Level| {
        invalid(
            field,
            format!(
                "{field} level ({lower}) is below the {what} ({higher}); a worse case never belongs at a lower level"
            ),
        )
    };
    if moderate < base {
        return Err(below("moderate", moderate, "condition's level", base));
    }
    if severe < moderate {
        return Err(below("severe", severe, "moderate level", moderate));
    }
    if emergency < base {
        return Err(below("emergency", emergency, "condition's level", base));
    }
    Ok(Condition {
        code,
        name,
        specialty,
        level: base,
        moderate,
        severe,
        emergency,
        chronic,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> IcdCode {
        s.parse().expect("test code is valid")
    }

    fn case(c: &str, severity: Severity, urgency: Urgency, stable_chronic: bool) -> Case {
        Case {
            code: code(c),
            severity,
            urgency,
            stable_chronic,
        }
    }

    /// Every code of the usual shapes inside `range`, for exhaustive and
    /// property tests.
    fn codes_in(range: &IcdRange) -> Vec<IcdCode> {
        let number = |c: &IcdCode| {
            let b = c.as_str().as_bytes();
            u32::from(b[0] - b'A') * 100 + u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0')
        };
        let suffixes = [
            "", ".0", ".1", ".2", ".3", ".4", ".5", ".8", ".9", ".X", ".00", ".19",
        ];
        let mut out = Vec::new();
        for n in number(&range.start)..=number(&range.end) {
            let letter = char::from(b'A' + u8::try_from(n / 100).expect("letter index"));
            for suffix in suffixes {
                let c = code(&format!("{letter}{:02}{suffix}", n % 100));
                if range.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    #[test]
    fn icd_codes_parse_and_normalise() {
        assert_eq!(code(" e11.9 ").as_str(), "E11.9");
        assert_eq!(code("S72.0").category(), "S72");
        assert!(code("I10").is_category());
        assert!(!code("B08.4").is_category());
        for bad in [
            "", "I1", "I100", "10I", "I10.", "I10.123", "I1O", "E11-9", "中10",
        ] {
            assert!(
                bad.parse::<IcdCode>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(code("I10") < code("I10.0") && code("I10.9") < code("I11"));
        let json = serde_json::to_string(&code("E11.9")).expect("serialises");
        assert_eq!(json, "\"E11.9\"");
        assert!(serde_json::from_str::<IcdCode>("\"E1\"").is_err());
    }

    #[test]
    fn icd_ranges_contain_their_subcategories() {
        let r: IcdRange = "I10-I15".parse().expect("valid range");
        assert_eq!(r.to_string(), "I10-I15");
        assert!(
            r.contains(&code("I10")) && r.contains(&code("I15.9")) && r.contains(&code("I12.0"))
        );
        assert!(!r.contains(&code("I09.9")) && !r.contains(&code("I16")));
        let single: IcdRange = "J45".parse().expect("valid");
        assert_eq!(single.to_string(), "J45");
        assert!(single.contains(&code("J45.0")) && !single.contains(&code("J46")));
        let sub: IcdRange = "K92.0-K92.2".parse().expect("valid");
        assert!(sub.contains(&code("K92.1")) && sub.contains(&code("K92.20")));
        assert!(!sub.contains(&code("K92")) && !sub.contains(&code("K92.8")));
        assert!("I15-I10".parse::<IcdRange>().is_err());
        assert!("I10-".parse::<IcdRange>().is_err());
        assert!(r.overlaps(&"I15-I20".parse().expect("valid")));
        assert!(!r.overlaps(&"I16-I20".parse().expect("valid")));
        assert!(sub.overlaps(&"K92".parse().expect("valid")));
    }

    #[test]
    fn bundled_catalogue_parses_without_overlaps() {
        let cat = Catalogue::from_toml(BUNDLED).expect("bundled catalogue is valid");
        assert!(
            cat.conditions().len() >= 60,
            "only {} conditions",
            cat.conditions().len()
        );
        let all = cat.conditions();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!a.code.overlaps(&b.code), "{} overlaps {}", a.code, b.code);
            }
            assert_eq!(cat.by_range_code(&a.code.to_string()), Some(a));
        }
        assert_eq!(Catalogue::bundled().conditions().len(), all.len());
    }

    #[test]
    fn bundled_catalogue_finds_every_code_in_its_own_entry() {
        let cat = Catalogue::bundled();
        for c in cat.conditions() {
            let codes = codes_in(&c.code);
            assert!(!codes.is_empty(), "{} holds no codes", c.code);
            for code in codes {
                assert_eq!(
                    cat.find(&code).map(|f| &f.code),
                    Some(&c.code),
                    "code {code}"
                );
            }
        }
        assert!(cat.find(&code("Q21")).is_none());
        assert!(
            cat.find(&code("K92")).is_none(),
            "only K92.0-K92.2 is catalogued"
        );
        assert_eq!(
            cat.by_range_code("i10-i15").map(|c| c.name.as_str()),
            Some("Hypertensive diseases")
        );
        assert!(
            cat.by_range_code("I10").is_none(),
            "I10 is inside an entry, not an entry"
        );
        assert!(cat.by_range_code("nonsense").is_none());
    }

    #[test]
    fn worked_triage_examples() {
        use Severity::*;
        use Urgency::*;
        let p = Level::Primary;
        let s = Level::Secondary;
        let t = Level::Tertiary;
        // (code, severity, urgency, stable chronic, level, emergency, entry)
        let table = [
            ("I10", Mild, Routine, false, p, false, "I10-I15"),
            ("I10", Mild, Routine, true, p, false, "I10-I15"),
            ("I10", Mild, Emergency, false, s, true, "I10-I15"),
            ("I10", Severe, Routine, false, s, false, "I10-I15"),
            ("E11.9", Mild, Routine, true, p, false, "E11"),
            ("E11.9", Severe, Routine, true, s, false, "E11"),
            ("I21.0", Mild, Routine, false, t, false, "I21-I24"),
            ("I21.9", Severe, Emergency, false, t, true, "I21-I24"),
            ("J06.9", Mild, Routine, false, p, false, "J00-J06"),
            ("J06.9", Mild, Routine, true, p, false, "J00-J06"),
            ("K35.8", Mild, Routine, false, s, false, "K35-K38"),
            ("C34.1", Mild, Routine, false, t, false, "C33-C34"),
            ("I63.9", Mild, Routine, true, p, false, "I63"),
            ("I63.9", Mild, Routine, false, s, false, "I63"),
            ("I63.9", Severe, Routine, true, t, false, "I63"),
            ("I63.9", Mild, Emergency, true, s, true, "I63"),
            ("N18.3", Mild, Routine, true, p, false, "N18"),
            ("J18.9", Mild, Routine, false, p, false, "J12-J18"),
            ("J18.9", Moderate, Routine, false, s, false, "J12-J18"),
            ("J18.9", Severe, Routine, false, t, false, "J12-J18"),
            ("J45.9", Mild, Urgent, false, s, false, "J45-J46"),
            ("S72.0", Mild, Emergency, false, s, true, "S72"),
            ("S72.1", Severe, Routine, false, t, false, "S72"),
            ("R07.4", Mild, Emergency, false, t, true, "R07.1-R07.4"),
            ("K92.1", Moderate, Urgent, false, s, false, "K92.0-K92.2"),
            ("B08.4", Mild, Routine, false, p, false, "B08.4"),
        ];
        let cat = Catalogue::bundled();
        for (c, severity, urgency, stable, level, emergency, entry) in table {
            let t = cat
                .triage(&case(c, severity, urgency, stable))
                .expect("code is catalogued");
            let what = format!("{c} {severity} {urgency} stable={stable}: {:?}", t.reasons);
            assert_eq!(t.level, level, "{what}");
            assert_eq!(t.emergency, emergency, "{what}");
            assert_eq!(t.condition_code, entry, "{what}");
        }
    }

    #[test]
    fn triage_reasons_read_as_sentences() {
        let cat = Catalogue::bundled();
        let t = cat
            .triage(&case("I10", Severity::Mild, Urgency::Emergency, false))
            .expect("catalogued");
        assert_eq!(
            t.reasons[0],
            "Hypertensive diseases (I10-I15) is positioned at primary level."
        );
        assert!(t.reasons[1].contains("goes straight to secondary level, no referral needed"));
        assert_eq!(
            t.reasons.last().map(String::as_str),
            Some("The case belongs at secondary level.")
        );

        let stroke = cat
            .triage(&case("I63.9", Severity::Mild, Urgency::Routine, true))
            .expect("catalogued");
        assert!(stroke.reasons[1].contains("stable chronic disease is managed at primary level"));
        assert!(stroke.reasons[1].contains("belongs at secondary level"));

        let cold = cat
            .triage(&case("J06.9", Severity::Mild, Urgency::Routine, true))
            .expect("catalogued");
        assert!(cold.reasons[1].contains("is not a chronic condition, so that is ignored"));

        let worse = cat
            .triage(&case("I63.9", Severity::Severe, Urgency::Emergency, true))
            .expect("catalogued");
        assert!(
            worse
                .reasons
                .iter()
                .any(|r| r.contains("the case is severe and an emergency"))
        );

        for t in [t, stroke, cold, worse] {
            for r in &t.reasons {
                assert!(
                    r.ends_with('.') && r.chars().next().is_some_and(char::is_uppercase),
                    "{r:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_code_is_an_error() {
        let err = Catalogue::bundled()
            .triage(&case("Q21.0", Severity::Mild, Urgency::Routine, false))
            .expect_err("Q21 is not catalogued");
        assert_eq!(err, CatalogueError::UnknownCode("Q21.0".into()));
        assert!(
            err.to_string()
                .contains("Q21.0 is not in the condition catalogue")
        );
    }

    const GOOD: &str = r#"
[[condition]]
code = "I10-I15"
name = "Hypertensive diseases"
specialty = "cardiology"
level = "primary"
moderate = "primary"
severe = "secondary"
emergency = "secondary"
chronic = true
note = "Family doctors."
"#;

    fn second(fields: &str) -> String {
        format!("{GOOD}\n[[condition]]\n{fields}\n")
    }

    const J45: &str = r#"code = "J45"
name = "Asthma"
specialty = "respiratory"
chronic = true
note = "x""#;

    fn invalid_field(text: &str) -> (String, &'static str, String) {
        match Catalogue::from_toml(text) {
            Err(CatalogueError::Invalid {
                condition,
                field,
                message,
            }) => (condition, field, message),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_catalogue_parses() {
        let cat = Catalogue::from_toml(GOOD).expect("valid");
        assert_eq!(cat.conditions().len(), 1);
        assert_eq!(cat.conditions()[0].specialty, Specialty::Cardiology);
    }

    #[test]
    fn bad_level_ordering_names_condition_and_field() {
        let levels = |l: &str, m: &str, s: &str, e: &str| {
            second(&format!(
                "{J45}\nlevel = \"{l}\"\nmoderate = \"{m}\"\nsevere = \"{s}\"\nemergency = \"{e}\""
            ))
        };
        let (condition, field, message) =
            invalid_field(&levels("secondary", "primary", "tertiary", "tertiary"));
        assert_eq!((condition.as_str(), field), ("#2 J45 Asthma", "moderate"));
        assert!(message.contains("below"), "{message}");
        let (_, field, _) = invalid_field(&levels("primary", "secondary", "primary", "secondary"));
        assert_eq!(field, "severe");
        let (_, field, _) =
            invalid_field(&levels("secondary", "secondary", "secondary", "primary"));
        assert_eq!(field, "emergency");
        assert!(Catalogue::from_toml(&levels("primary", "primary", "primary", "primary")).is_ok());
    }

    #[test]
    fn overlapping_ranges_are_rejected() {
        let text = second(
            "code = \"I15-I20\"\nname = \"Overlap\"\nspecialty = \"cardiology\"\nlevel = \"primary\"\n\
             moderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"\nchronic = false\nnote = \"x\"",
        );
        let (condition, field, message) = invalid_field(&text);
        assert_eq!((condition.as_str(), field), ("#2 I15-I20 Overlap", "code"));
        assert!(
            message.contains("#1 I10-I15 Hypertensive diseases"),
            "{message}"
        );
        let sub = text.replace("I15-I20", "I12.0");
        assert_eq!(invalid_field(&sub).1, "code");
    }

    #[test]
    fn unknown_specialty_level_and_key_are_rejected() {
        let base = "level = \"primary\"\nmoderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"";
        let spec = second(&format!("{}\n{base}", J45.replace("respiratory", "lungs")));
        let (condition, field, message) = invalid_field(&spec);
        assert_eq!((condition.as_str(), field), ("#2 J45 Asthma", "specialty"));
        assert!(
            message.contains("\"lungs\"") && message.contains("respiratory"),
            "{message}"
        );

        let lvl = second(&format!(
            "{J45}\n{}",
            base.replace("severe = \"primary\"", "severe = \"county\"")
        ));
        assert_eq!(invalid_field(&lvl).1, "severe");

        let typo = second(&format!("{J45}\n{base}\nseverity = \"primary\""));
        assert_eq!(
            Catalogue::from_toml(&typo).map(|c| c.conditions().len()),
            Err(CatalogueError::UnknownKey {
                condition: "#2 J45 Asthma".into(),
                key: "severity".into()
            })
        );
    }

    #[test]
    fn malformed_fields_are_rejected() {
        let base = "level = \"primary\"\nmoderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"";
        let cases = [
            (J45.replace("\"J45\"", "\"J4\""), "code"),
            (J45.replace("\"J45\"", "\"J46-J45\""), "code"),
            (
                J45.replace("chronic = true", "chronic = \"yes\""),
                "chronic",
            ),
            (J45.replace("chronic = true\n", ""), "chronic"),
            (J45.replace("name = \"Asthma\"", "name = \"  \""), "name"),
            (J45.replace("note = \"x\"", "note = 3"), "note"),
        ];
        for (fields, expected) in cases {
            let (_, field, _) = invalid_field(&second(&format!("{fields}\n{base}")));
            assert_eq!(field, expected, "{fields}");
        }
        assert!(matches!(
            Catalogue::from_toml("[[condition"),
            Err(CatalogueError::Parse(_))
        ));
        assert!(matches!(
            Catalogue::from_toml("title = \"x\""),
            Err(CatalogueError::Parse(_))
        ));
        assert_eq!(
            Catalogue::from_toml("").map(|_| ()),
            Err(CatalogueError::Empty)
        );
    }

    proptest! {
        #[test]
        fn triage_respects_positioning_and_is_monotone(
            entry in any::<prop::sample::Index>(),
            pick in any::<prop::sample::Index>(),
            severity in prop::sample::select(Severity::ALL),
            urgency in prop::sample::select(Urgency::ALL),
            stable in any::<bool>(),
        ) {
            let cat = Catalogue::bundled();
            let condition = entry.get(cat.conditions());
            let codes = codes_in(&condition.code);
            let code = pick.get(&codes);
            let level_of = |severity, urgency, stable_chronic| {
                cat.triage(&Case { code: code.clone(), severity, urgency, stable_chronic })
                    .map(|t| t.level)
            };
            let t = cat.triage(&Case { code: code.clone(), severity, urgency, stable_chronic: stable })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&t.condition_code, &condition.code.to_string());
            prop_assert_eq!(t.emergency, urgency == Urgency::Emergency);
            // Never below the positioning, except the stable-chronic rule.
            prop_assert!(level_of(severity, urgency, false)? >= condition.level);
            let stable_rule = stable && condition.chronic
                && severity == Severity::Mild && urgency == Urgency::Routine;
            if stable_rule {
                prop_assert_eq!(t.level, Level::Primary);
            } else {
                prop_assert!(t.level >= condition.level);
            }
            // Worse never goes lower.
            for &worse in Severity::ALL.iter().filter(|&&s| s >= severity) {
                prop_assert!(level_of(worse, urgency, stable)? >= t.level);
            }
            for &sooner in Urgency::ALL.iter().filter(|&&u| u >= urgency) {
                prop_assert!(level_of(severity, sooner, stable)? >= t.level);
            }
        }
    }
}
