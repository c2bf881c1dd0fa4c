//! A mentoring activity as a `Task`: one day's joint clinic, case
//! discussion, ward round or teaching within a mentorship.
//!
//! `focus` is the mentorship (`CareTeam`), `code` the kind of activity
//! (`mentorship-activity`), `executionPeriod` the day, `for` and the
//! `activity-patient` extensions the patients, `basedOn` the referrals and
//! the `activity-participant` extensions the family doctors who took part.
//! A referral's workflow and a care plan's follow-ups are `Task`s too;
//! [`is_activity`] tells a posted `Task` that is a mentoring activity by
//! its code. An activity is logged once done, so its status is always
//! `completed`.

use super::{Ext, check_exts, ext, ext_reference, exts, ours, reference};
use crate::datatypes::{CodeableConcept, Period, Reference, system};
use crate::{
    ParamKind, SearchParam, format_date, from_json, parse_date, reference_term, referenced_id,
    required_id, token_terms,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::outreach::{ActivityKind, MentorshipActivity};
use tiercare_service::ServiceError;

/// Search parameters of mentoring-activity `Task`s.
pub const ACTIVITY_SEARCH: &[SearchParam] = &[
    SearchParam {
        name: "focus",
        kind: ParamKind::Reference("CareTeam"),
        doc: "The mentorship (CareTeam/id)",
    },
    SearchParam {
        name: "code",
        kind: ParamKind::Token,
        doc: "joint-clinic, case-discussion, ward-round or teaching",
    },
    SearchParam {
        name: "patient",
        kind: ParamKind::Reference("Patient"),
        doc: "A patient the activity concerned",
    },
];

/// A mentoring activity as a `Task`.
pub fn render_activity(a: &MentorshipActivity) -> Value {
    let mut extension: Vec<Value> = a
        .family_doctors
        .iter()
        .map(|d| {
            ext(
                "activity-participant",
                "valueReference",
                reference("Practitioner", d.as_str()),
            )
        })
        .collect();
    for p in a.patients.iter().skip(1) {
        extension.push(ext(
            "activity-patient",
            "valueReference",
            reference("Patient", p.as_str()),
        ));
    }
    let day = format_date(a.date);
    let mut v = json!({
        "resourceType": "Task",
        "extension": extension,
        "status": "completed",
        "intent": "plan",
        "code": ours("mentorship-activity", a.kind.code(), a.kind.display()),
        "focus": reference("CareTeam", a.mentorship.as_str()),
        "executionPeriod": {"start": day, "end": day},
    });
    if let Some(p) = a.patients.first() {
        v["for"] = reference("Patient", p.as_str());
    }
    if !a.referrals.is_empty() {
        v["basedOn"] = a
            .referrals
            .iter()
            .map(|r| reference("ServiceRequest", r.as_str()))
            .collect();
    }
    if let Some(n) = &a.note {
        v["note"] = json!([{"text": n}]);
    }
    v
}

/// The search terms of a mentoring activity.
pub fn index_activity(a: &MentorshipActivity) -> Vec<(String, String)> {
    let mut t = vec![reference_term("focus", "CareTeam", a.mentorship.as_str())];
    t.extend(token_terms("code", "mentorship-activity", a.kind.code()));
    for p in &a.patients {
        t.push(reference_term("patient", "Patient", p.as_str()));
    }
    t
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct TaskJson {
    id: Option<String>,
    extension: Vec<Ext>,
    status: Option<String>,
    intent: Option<String>,
    code: Option<CodeableConcept>,
    focus: Option<Reference>,
    #[serde(rename = "for")]
    for_: Option<Reference>,
    based_on: Vec<Reference>,
    execution_period: Option<Period>,
    note: Vec<NoteJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteJson {
    text: String,
}

/// Whether a `Task` body is a mentoring activity (its code is one).
pub fn is_activity(value: &Value) -> bool {
    let sys = system("mentorship-activity");
    value["code"]["coding"]
        .as_array()
        .is_some_and(|c| c.iter().any(|k| k["system"].as_str() == Some(sys.as_str())))
}

/// A mentoring activity from a `Task`.
pub fn parse_activity(
    value: Value,
    id: tiercare_core::ActivityId,
) -> Result<MentorshipActivity, ServiceError> {
    let j: TaskJson = from_json("Task", value)?;
    let _ = j.id;
    check_exts(
        &j.extension,
        &["activity-participant", "activity-patient"],
        "Task.extension",
    )?;
    if j.status.as_deref().is_some_and(|s| s != "completed") {
        return Err(ServiceError::invalid(
            "Task.status",
            "an activity is logged once done: status completed",
        ));
    }
    if j.intent.as_deref().is_some_and(|s| s != "plan") {
        return Err(ServiceError::invalid(
            "Task.intent",
            "an activity's intent is plan",
        ));
    }
    let kind = crate::our_code(
        j.code
            .as_ref()
            .and_then(|c| c.code_in("mentorship-activity")),
        "Task.code",
        ActivityKind::from_code,
        "mentorship-activity",
    )?;
    let mentorship = required_id(
        j.focus.as_ref(),
        &["CareTeam"],
        "Task.focus",
        "the mentorship (CareTeam) is required",
    )?;
    let period = j.execution_period.unwrap_or_default();
    let day = period.start.as_deref().ok_or_else(|| {
        ServiceError::invalid(
            "Task.executionPeriod.start",
            "the day of the activity is required",
        )
    })?;
    let date = parse_date(day, "Task.executionPeriod.start")?;
    if period.end.as_deref().is_some_and(|e| e != day) {
        return Err(ServiceError::invalid(
            "Task.executionPeriod.end",
            "an activity takes one day: end must equal start",
        ));
    }
    let mut family_doctors = Vec::new();
    for e in exts(&j.extension, "activity-participant") {
        let f = "Task.extension(activity-participant)";
        family_doctors.push(ext_reference(e, &["Practitioner"], f)?);
    }
    let mut patients = Vec::new();
    if let Some(r) = &j.for_ {
        patients.push(referenced_id(r, &["Patient"], "Task.for")?);
    }
    for e in exts(&j.extension, "activity-patient") {
        let f = "Task.extension(activity-patient)";
        if patients.is_empty() {
            return Err(ServiceError::invalid(
                f,
                "name the first patient in Task.for, further ones here",
            ));
        }
        patients.push(ext_reference(e, &["Patient"], f)?);
    }
    let mut referrals = Vec::new();
    for (i, r) in j.based_on.iter().enumerate() {
        let f = format!("Task.basedOn[{i}]");
        referrals.push(referenced_id(r, &["ServiceRequest"], &f)?);
    }
    let note = match j.note.as_slice() {
        [] => None,
        [n] => Some(n.text.clone()),
        _ => return Err(ServiceError::invalid("Task.note", "give one note")),
    };
    Ok(MentorshipActivity {
        id,
        mentorship,
        kind,
        date,
        family_doctors,
        patients,
        referrals,
        note,
    })
}
