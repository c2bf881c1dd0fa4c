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

mod icd;
mod load;
#[cfg(test)]
mod tests;

pub use icd::{IcdCode, IcdRange, InvalidIcdCode};
pub use load::CONDITION_FIELDS;

use crate::level::coded_enum;
use crate::{Level, Specialty};
use serde::{Deserialize, Serialize};
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

/// One entry of the catalogue: a condition and the levels it belongs at.
///
/// Invariants checked by [`Catalogue::from_toml`]:
/// `level <= moderate <= severe` and `emergency >= level`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The ICD-10 codes this entry covers; no other entry shares any of them.
    pub code: IcdRange,
    /// The name a family doctor would use, in English.
    pub name: String,
    /// The same name in Chinese, as the region's clinicians write it
    /// ("2型糖尿病"); see [`Condition::display_in`].
    pub name_zh: Option<String>,
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

impl Condition {
    /// The condition's name in a language, as a BCP 47 tag: Chinese for
    /// "zh" and its variants ("zh-CN", "zh-Hans"), English otherwise, and
    /// English when the entry has no Chinese name. The catalogue is read by
    /// clinicians in Chinese and by reviewers in English, so both are data.
    pub fn display_in(&self, lang: &str) -> &str {
        let primary = lang.split(['-', '_']).next().unwrap_or_default();
        match &self.name_zh {
            Some(zh) if primary.eq_ignore_ascii_case("zh") => zh,
            _ => &self.name,
        }
    }
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

const BUNDLED: &str = include_str!("../../data/conditions.toml");

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
