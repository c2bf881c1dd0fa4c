//! The extensions the service adds to a panel `CarePlan` when it is read:
//! `panel-control` (control status per condition and overall, the next
//! follow-up date and its state) and, on the due list, `panel-follow-up`.
//!
//! They are not part of the stored enrolment: they depend on the day of
//! the read and on the measurements recorded since, so the service
//! computes them and adds them to the rendered `CarePlan`.

use crate::datatypes::extension_url;
use crate::format_date;
use serde_json::{Value, json};
use tiercare_core::outreach::{DueEntry, FollowUpState, PanelStatus};

/// The `panel-control` extension: control as of `as_of` and the next
/// follow-up. Added by the service on reads (it depends on the day and on
/// the measurements, not on the enrolment alone).
pub fn control_extension(
    status: &PanelStatus,
    as_of: time::Date,
    due: time::Date,
    state: FollowUpState,
) -> Value {
    let mut parts = vec![
        json!({"url": "as-of", "valueDate": format_date(as_of)}),
        json!({"url": "overall", "valueCode": status.overall.code()}),
    ];
    for (c, s) in &status.conditions {
        parts.push(json!({"url": "condition", "extension": [
            {"url": "condition", "valueCode": c.code()},
            {"url": "status", "valueCode": s.code()},
        ]}));
    }
    parts.push(json!({"url": "next-due", "valueDate": format_date(due)}));
    parts.push(json!({"url": "follow-up", "valueCode": state.code()}));
    json!({"url": extension_url("panel-control"), "extension": parts})
}

/// Adds the `panel-control` extension to a rendered `CarePlan`.
pub fn add_control(plan: &mut Value, control: Value) {
    match plan.get_mut("extension").and_then(Value::as_array_mut) {
        Some(list) => list.push(control),
        None => plan["extension"] = json!([control]),
    }
}

/// The `panel-follow-up` extension of a due-list entry.
pub fn due_extension(d: &DueEntry) -> Value {
    json!({"url": extension_url("panel-follow-up"), "extension": [
        {"url": "due", "valueDate": format_date(d.due)},
        {"url": "state", "valueCode": d.state.code()},
        {"url": "days-overdue", "valueInteger": d.days_overdue},
    ]})
}
