//! tiercare's code systems, the condition catalogue as `CodeSystem` +
//! `ConceptMap` (condition -> level), and the `$triage` operation.

use crate::datatypes::{BASE, system};
use serde_json::{Value, json};
use tiercare_core::access::UserRole;
use tiercare_core::catalogue::{Case, Catalogue, IcdCode, Severity, Triage, Urgency};
use tiercare_core::consult::{ConsultMode, ConsultOutcome};
use tiercare_core::network::{AllianceKind, Closeness, InstitutionKind, PractitionerRoleKind};
use tiercare_core::referral::{DeclineReason, Direction, Setting};
use tiercare_core::resident::KeyGroup;
use tiercare_core::{Level, Specialty};
use tiercare_service::ServiceError;

/// The id of the condition catalogue's CodeSystem and of its ConceptMap.
pub const CONDITIONS: &str = "conditions";
pub const CONDITION_LEVEL_MAP: &str = "condition-level";

fn simple(id: &str, title: &str, concepts: Vec<(&'static str, &'static str)>) -> Value {
    json!({
        "resourceType": "CodeSystem",
        "id": id,
        "url": system(id),
        "name": title.replace(|c: char| !c.is_ascii_alphanumeric(), ""),
        "title": title,
        "status": "active",
        "publisher": "tiercare",
        "caseSensitive": true,
        "content": "complete",
        "count": concepts.len(),
        "concept": concepts.iter().map(|(c, d)| json!({"code": c, "display": d})).collect::<Vec<_>>(),
    })
}

macro_rules! concepts {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| (v.code(), v.display()))
            .collect::<Vec<_>>()
    };
}

/// Every CodeSystem tiercare serves, by id.
pub fn code_systems() -> Vec<Value> {
    vec![
        simple(
            "level",
            "Level of care",
            Level::ALL.iter().map(|l| (l.code(), l.display())).collect(),
        ),
        simple(
            "institution-kind",
            "Institution kind",
            concepts!(InstitutionKind),
        ),
        simple(
            "alliance-kind",
            "Medical alliance kind",
            concepts!(AllianceKind),
        ),
        simple(
            "alliance-closeness",
            "Medical alliance closeness",
            concepts!(Closeness),
        ),
        simple(
            "organization-category",
            "Organization category",
            vec![("alliance", "Medical alliance")],
        ),
        simple(
            "alliance-role",
            "Role in a medical alliance",
            vec![("lead", "Lead institution"), ("member", "Member")],
        ),
        simple(
            "practitioner-role",
            "Practitioner role",
            concepts!(PractitionerRoleKind),
        ),
        simple("specialty", "Clinical specialty", concepts!(Specialty)),
        simple(
            "team-role",
            "Role in a family-doctor team",
            vec![("lead", "Team lead"), ("member", "Team member")],
        ),
        simple(
            "care-team-category",
            "Care team category",
            vec![
                ("family-doctor-team", "Family-doctor team"),
                (crate::outreach::MENTORSHIP_CATEGORY, "Mentorship"),
            ],
        ),
        simple("key-group", "Key population group", concepts!(KeyGroup)),
        simple("user-role", "Platform user role", concepts!(UserRole)),
        simple(
            "referral-direction",
            "Referral direction",
            concepts!(Direction),
        ),
        simple("referral-setting", "Referral setting", concepts!(Setting)),
        simple(
            "referral-state",
            "Step of the referral loop",
            vec![
                ("requested", "Requested, awaiting triage"),
                ("accepted", "Accepted, awaiting a slot or bed"),
                ("booked", "Booked"),
                ("arrived", "Arrived"),
                ("no-show", "Did not come"),
                ("completed", "Visit or stay completed"),
                ("closed", "Loop closed"),
                ("declined", "Declined"),
                ("returned", "Returned with advice"),
                ("cancelled", "Cancelled"),
            ],
        ),
        simple(
            "decline-reason",
            "Why a referral is declined",
            concepts!(DeclineReason),
        ),
        simple(
            "result-recognition",
            "Whether another institution recognises a result",
            vec![
                ("recognised", "Recent enough: recognised, not repeated"),
                ("expired", "Too old: the test is repeated"),
            ],
        ),
        simple(
            "consult-state",
            "Step of an e-consult",
            vec![
                ("open", "Asked, not yet answered"),
                ("answered", "Answered"),
                ("closed", "Closed"),
            ],
        ),
        simple(
            "consult-mode",
            "How advice is given",
            concepts!(ConsultMode),
        ),
        simple(
            "consult-outcome",
            "How an e-consult ended",
            concepts!(ConsultOutcome),
        ),
        simple(
            "consult-message",
            "Kind of e-consult message",
            vec![
                ("question", "The question"),
                ("answer", "A reply from the specialist's side"),
                ("follow-up", "A further question from the asking doctor"),
            ],
        ),
        simple(
            "list-kind",
            "Kind of list",
            vec![("essential-medicines", "Essential medicines list")],
        ),
        simple(
            "medicine-gap",
            "Why a prescribed medicine needs attention",
            vec![(
                "not-on-essential-list",
                "Not on the receiving institution's essential-medicines list",
            )],
        ),
        simple(
            "care-plan-kind",
            "Kind of care plan",
            vec![("downward-referral", "Downward referral care plan")],
        ),
        simple(
            "task-kind",
            "Kind of task",
            vec![
                ("follow-up", "Follow-up after downward referral"),
                (
                    crate::emergency::case::ALERT_CODE,
                    "Emergency pre-arrival alert",
                ),
            ],
        ),
        simple(
            "adjudication",
            "Adjudication category",
            vec![("out-of-pocket", "Paid by the patient, deductible included")],
        ),
        simple(
            "follow-up-state",
            "Step of a follow-up",
            vec![("due", "Due"), ("done", "Done"), ("cancelled", "Cancelled")],
        ),
        conditions_code_system(),
    ]
    .into_iter()
    .chain(
        crate::outreach::code_systems()
            .into_iter()
            .chain(crate::emergency::code_systems())
            .chain(crate::emergency::case::code_systems())
            .map(|(id, title, concepts)| simple(id, title, concepts)),
    )
    .collect()
}

/// One CodeSystem by id.
pub fn code_system(id: &str) -> Option<Value> {
    code_systems().into_iter().find(|c| c["id"] == id)
}

fn conditions_code_system() -> Value {
    let cat = Catalogue::bundled();
    let concept: Vec<Value> = cat
        .conditions()
        .iter()
        .map(|c| {
            let mut concept = json!({
                "code": c.code.to_string(),
                "display": c.name,
                "definition": c.note,
                "property": [
                    {"code": "level", "valueCode": c.level.code()},
                    {"code": "moderate", "valueCode": c.moderate.code()},
                    {"code": "severe", "valueCode": c.severe.code()},
                    {"code": "emergency", "valueCode": c.emergency.code()},
                    {"code": "specialty", "valueCode": c.specialty.code()},
                    {"code": "chronic", "valueBoolean": c.chronic},
                ],
            });
            // The Chinese name rides as a designation: the English display
            // stays what other systems match on, and a zh-CN reader picks
            // the designation in their language.
            if let Some(zh) = &c.name_zh {
                concept["designation"] = json!([{"language": "zh-CN", "value": zh}]);
            }
            concept
        })
        .collect();
    let prop =
        |code: &str, ty: &str, desc: &str| json!({"code": code, "type": ty, "description": desc});
    json!({
        "resourceType": "CodeSystem",
        "id": CONDITIONS,
        "url": system(CONDITIONS),
        "name": "TiercareConditionCatalogue",
        "title": "Condition catalogue with functional positioning",
        "status": "active",
        "publisher": "tiercare",
        "description": "Common conditions by ICD-10 code or range, each with the level of care it is positioned at and the levels severity and urgency move it to.",
        "caseSensitive": true,
        "content": "complete",
        "count": concept.len(),
        "property": [
            prop("level", "code", "Level for a typical, uncomplicated case"),
            prop("moderate", "code", "Level when severity is moderate"),
            prop("severe", "code", "Level when severity is severe"),
            prop("emergency", "code", "Level an emergency goes straight to"),
            prop("specialty", "code", "Specialty that treats it"),
            prop("chronic", "boolean", "Stable cases are managed at primary level"),
        ],
        "concept": concept,
    })
}

/// The ConceptMap from catalogue conditions to levels.
pub fn condition_level_map() -> Value {
    let elements: Vec<Value> = Catalogue::bundled()
        .conditions()
        .iter()
        .map(|c| {
            json!({
                "code": c.code.to_string(),
                "display": c.name,
                "target": [{
                    "code": c.level.code(),
                    "display": c.level.display(),
                    "equivalence": "relatedto",
                    "comment": c.note,
                }],
            })
        })
        .collect();
    json!({
        "resourceType": "ConceptMap",
        "id": CONDITION_LEVEL_MAP,
        "url": format!("{BASE}/ConceptMap/{CONDITION_LEVEL_MAP}"),
        "name": "ConditionToLevel",
        "title": "Functional positioning: condition to level of care",
        "status": "active",
        "publisher": "tiercare",
        "sourceUri": system(CONDITIONS),
        "targetUri": system("level"),
        "group": [{"source": system(CONDITIONS), "target": system("level"), "element": elements}],
    })
}

/// Reads `$triage` inputs from name/value pairs (query string or
/// `Parameters`) and runs the catalogue's triage.
pub fn triage(inputs: &[(String, String)]) -> Result<Value, ServiceError> {
    // A misspelt modifier silently ignored would give a lower level than
    // the doctor asked about: refuse it.
    if let Some((k, _)) = inputs.iter().find(|(k, _)| {
        ![
            "code",
            "severity",
            "urgency",
            "stable-chronic",
            "_format",
            "_pretty",
        ]
        .contains(&k.as_str())
    }) {
        return Err(ServiceError::invalid(
            k.as_str(),
            format!(
                "$triage has no parameter {k:?}; it takes code, severity, urgency and stable-chronic"
            ),
        ));
    }
    let get = |n: &str| inputs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let code = get("code")
        .ok_or_else(|| ServiceError::invalid("code", "the ICD-10 code to triage is required"))?;
    let code: IcdCode = code
        .parse()
        .map_err(|e| ServiceError::invalid("code", format!("{e}")))?;
    let severity = match get("severity") {
        None => Severity::Mild,
        Some(s) => Severity::from_code(s).ok_or_else(|| {
            ServiceError::invalid(
                "severity",
                format!("unknown severity {s:?}: use mild, moderate or severe"),
            )
        })?,
    };
    let urgency = match get("urgency") {
        None => Urgency::Routine,
        Some(s) => Urgency::from_code(s).ok_or_else(|| {
            ServiceError::invalid(
                "urgency",
                format!("unknown urgency {s:?}: use routine, urgent or emergency"),
            )
        })?,
    };
    let stable_chronic = match get("stable-chronic") {
        None | Some("false") => false,
        Some("true") => true,
        Some(s) => {
            return Err(ServiceError::invalid(
                "stable-chronic",
                format!("{s:?} is not true or false"),
            ));
        }
    };
    let case = Case {
        code,
        severity,
        urgency,
        stable_chronic,
    };
    let t = Catalogue::bundled()
        .triage(&case)
        .map_err(|e| ServiceError::rule("code", e.to_string()))?;
    Ok(triage_parameters(&t))
}

fn triage_parameters(t: &Triage) -> Value {
    let mut params = vec![
        json!({"name": "level", "valueCoding": {"system": system("level"), "code": t.level.code(), "display": t.level.display()}}),
        json!({"name": "condition", "valueCoding": {"system": system(CONDITIONS), "code": t.condition_code, "display": t.condition_name}}),
        json!({"name": "emergency", "valueBoolean": t.emergency}),
    ];
    params.extend(
        t.reasons
            .iter()
            .map(|r| json!({"name": "reason", "valueString": r})),
    );
    json!({"resourceType": "Parameters", "parameter": params})
}
