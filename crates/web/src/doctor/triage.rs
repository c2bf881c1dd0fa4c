//! The case a family doctor describes on the referral form, the
//! catalogue's suggestion for it told in the doctor's language, and what
//! the patient would pay at each level.
//!
//! The catalogue decides the level (`Catalogue::triage`); its reasons are
//! English sentences for the API, so the page composes its own from the
//! same structured facts: the condition's positioning, the severity and
//! urgency rules that raised it, and the result.

use super::fields::Fields;
use crate::Lang;
use crate::form::FieldErrors;
use crate::i18n::yuan;
use tiercare_core::Level;
use tiercare_core::catalogue::{Case, Catalogue, Condition, IcdCode, Severity, Triage, Urgency};
use tiercare_core::insurance::{Estimate, Fen, ServiceType};
use tiercare_core::referral::{Priority, Setting};

/// A case as the form describes it, checked.
#[derive(Debug, Clone)]
pub struct CaseInput {
    pub condition: &'static Condition,
    pub code: IcdCode,
    pub severity: Severity,
    pub urgency: Urgency,
    pub setting: Setting,
}

impl CaseInput {
    /// Reads the case from the form, noting a message next to each field
    /// that is missing or wrong.
    pub fn read(f: &Fields, lang: Lang, errors: &mut FieldErrors) -> Option<CaseInput> {
        let code = f.get("condition");
        let condition = if code.is_empty() {
            errors.add("condition", lang.t("doctor-error-condition"));
            None
        } else {
            match code.parse::<IcdCode>() {
                Ok(icd) => match Catalogue::bundled().find(&icd) {
                    Some(c) => Some((c, icd)),
                    None => {
                        errors.add("condition", lang.t("doctor-error-condition-unknown"));
                        None
                    }
                },
                Err(_) => {
                    errors.add("condition", lang.t("doctor-error-condition-unknown"));
                    None
                }
            }
        };
        let severity = match f.get("severity") {
            "" => Some(Severity::Mild),
            s => Severity::from_code(s).or_else(|| {
                errors.add("severity", lang.t("doctor-error-choice"));
                None
            }),
        };
        let urgency = match f.get("urgency") {
            "" => Some(Urgency::Routine),
            s => Urgency::from_code(s).or_else(|| {
                errors.add("urgency", lang.t("doctor-error-choice"));
                None
            }),
        };
        let setting = match f.get("setting") {
            "" => Some(Setting::Outpatient),
            s => Setting::from_code(s).or_else(|| {
                errors.add("setting", lang.t("doctor-error-choice"));
                None
            }),
        };
        let ((condition, code), severity, urgency, setting) =
            (condition?, severity?, urgency?, setting?);
        Some(CaseInput {
            condition,
            code,
            severity,
            urgency,
            setting,
        })
    }

    /// The referral's priority: as urgent as the case.
    pub fn priority(&self) -> Priority {
        match self.urgency {
            Urgency::Routine => Priority::Routine,
            Urgency::Urgent => Priority::Urgent,
            Urgency::Emergency => Priority::Emergency,
        }
    }

    /// The catalogue's triage of the case.
    pub fn triage(&self) -> Option<Triage> {
        Catalogue::bundled()
            .triage(&Case {
                code: self.code.clone(),
                severity: self.severity,
                urgency: self.urgency,
                stable_chronic: false,
            })
            .ok()
    }

    pub fn service(&self) -> ServiceType {
        match self.setting {
            Setting::Outpatient => ServiceType::Outpatient,
            Setting::Inpatient => ServiceType::Inpatient,
        }
    }
}

/// The catalogue's suggestion as the page shows it.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub level: Level,
    pub level_word: String,
    pub specialty_word: String,
    pub emergency: bool,
    /// Why, in the user's language, ending with the result.
    pub reasons: Vec<String>,
}

/// The suggestion for a case, its reasons composed in `lang` from the
/// structured triage: the same rules the catalogue applied, in order.
pub fn suggestion(lang: Lang, case: &CaseInput, triage: &Triage) -> Suggestion {
    let c = case.condition;
    let level = |l: Level| lang.coded("level", l.code());
    let name = crate::names::condition(lang, case.code.as_str());
    let mut reasons = vec![lang.t_with(
        "doctor-triage-base",
        &[("condition", name), ("level", level(c.level))],
    )];
    match case.severity {
        Severity::Mild => {}
        Severity::Moderate => {
            reasons.push(lang.t_with("doctor-triage-moderate", &[("level", level(c.moderate))]))
        }
        Severity::Severe => {
            reasons.push(lang.t_with("doctor-triage-severe", &[("level", level(c.severe))]))
        }
    }
    match case.urgency {
        Urgency::Routine => {}
        Urgency::Urgent => {
            reasons.push(lang.t_with("doctor-triage-urgent", &[("level", level(c.moderate))]))
        }
        Urgency::Emergency => {
            reasons.push(lang.t_with("doctor-triage-emergency", &[("level", level(c.emergency))]))
        }
    }
    let specialty_word = lang.coded("specialty", triage.specialty.code());
    reasons.push(lang.t_with(
        "doctor-triage-result",
        &[
            ("level", level(triage.level)),
            ("specialty", specialty_word.clone()),
        ],
    ));
    Suggestion {
        level: triage.level,
        level_word: level(triage.level),
        specialty_word,
        emergency: triage.emergency,
        reasons,
    }
}

/// One level of the estimate as the page shows it.
#[derive(Debug, Clone)]
pub struct EstimateRowView {
    pub level: String,
    pub level_word: String,
    pub self_referred: String,
    pub referred: String,
    pub suggested: bool,
}

/// The estimate as the page shows it.
#[derive(Debug, Clone)]
pub struct EstimateView {
    /// The visit's total the estimate is for.
    pub total: String,
    pub rows: Vec<EstimateRowView>,
}

/// The region's typical charge of a visit of `service` at `level`: the
/// total the estimate is made for.
pub fn typical_total(
    policy: &tiercare_core::policy::Policy,
    service: ServiceType,
    level: Level,
) -> Option<Fen> {
    policy
        .insurance
        .as_ref()
        .map(|rules| rules.typical_charge_fen.of(service, level))
}

/// The page's view of an estimate.
pub fn estimate_view(lang: Lang, total: Fen, e: &Estimate, suggested: Level) -> EstimateView {
    EstimateView {
        total: yuan(total),
        rows: e
            .rows
            .iter()
            .map(|r| EstimateRowView {
                level: r.level.code().to_string(),
                level_word: lang.coded("level", r.level.code()),
                self_referred: yuan(r.self_referred.out_of_pocket),
                referred: yuan(r.referred.out_of_pocket),
                suggested: r.level == suggested,
            })
            .collect(),
    }
}

/// A choice in a select or a group of radio buttons.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The catalogue's conditions by name, for the condition select.
pub fn condition_choices(lang: Lang, selected: &str) -> Vec<Choice> {
    Catalogue::bundled()
        .conditions()
        .iter()
        .map(|c| {
            let code = c.code.start.to_string();
            Choice {
                label: crate::names::condition(lang, &code),
                selected: selected.eq_ignore_ascii_case(&code),
                value: code,
            }
        })
        .collect()
}

/// Choices of a coded value, in the user's language.
pub fn coded_choices(lang: Lang, kind: &str, codes: &[&str], selected: &str) -> Vec<Choice> {
    codes
        .iter()
        .map(|code| Choice {
            value: code.to_string(),
            label: lang.coded(kind, code),
            selected: *code == selected,
        })
        .collect()
}
