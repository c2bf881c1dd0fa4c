//! The audit trail page: who read or changed which resident's data, and
//! what was refused, searchable by resident, user and outcome.

use super::{AUDIT_PATH, Tab, admin, tabs};
use crate::chrome::Chrome;
use crate::form::FieldErrors;
use crate::session::Viewer;
use crate::{UiError, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_store::{AuditOutcome, AuditQuery};

/// Entries per page.
const PAGE: u32 = 50;

/// One entry as the table shows it.
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub user: String,
    pub role: String,
    pub action: String,
    pub what: String,
    pub patient: String,
    pub outcome: String,
    pub refused: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    patient: String,
    user: String,
    outcome: String,
    errors: FieldErrors,
    entries: Vec<Entry>,
    total: u64,
    shown: String,
    newer: Option<String>,
    older: Option<String>,
}

/// The trail's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    patient: Option<String>,
    user: Option<String>,
    outcome: Option<String>,
    page: Option<String>,
}

fn link(patient: &str, user: &str, outcome: &str, page: u32) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("patient", patient)
        .append_pair("user", user)
        .append_pair("outcome", outcome)
        .append_pair("page", &page.to_string())
        .finish();
    format!("{AUDIT_PATH}?{q}")
}

/// A filter value: printable, at most 100 characters.
fn clean(errors: &mut FieldErrors, field: &str, value: Option<String>, message: &str) -> String {
    let v = value.unwrap_or_default().trim().to_string();
    if v.chars().count() > 100 || v.chars().any(char::is_control) {
        errors.add(field, message);
        return String::new();
    }
    v
}

/// `GET /ui/admin/audit`: the newest entries first, 50 to a page.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, UiError> {
    admin(&viewer)?;
    let lang = viewer.lang;
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let bad = lang.t("admin-audit-bad-value");
    let patient = clean(&mut errors, "patient", params.patient, &bad);
    let user = clean(&mut errors, "user", params.user, &bad);
    let outcome = params.outcome.unwrap_or_default();
    let outcomes = match outcome.as_str() {
        "" => vec![],
        "success" => vec![AuditOutcome::Success],
        "refused" => vec![AuditOutcome::Denied, AuditOutcome::Failed],
        _ => {
            errors.add("outcome", lang.t("admin-audit-bad-outcome"));
            vec![]
        }
    };
    let page: u32 = match params.page.as_deref().map(str::parse::<u32>) {
        None => 0,
        Some(Ok(p)) if p < 100_000 => p,
        Some(_) => {
            errors.add("page", bad.clone());
            0
        }
    };
    let patient_id = patient.rsplit('/').next().unwrap_or_default().to_string();
    let q = AuditQuery {
        patient: (!patient_id.is_empty()).then_some(patient_id),
        username: (!user.is_empty()).then(|| user.clone()),
        outcomes,
        count: PAGE,
        offset: page * PAGE,
    };
    let (found, total) = if errors.is_empty() {
        tiercare_service::audit::trail(&state.ctx, &viewer.actor, &q).await?
    } else {
        (Vec::new(), 0)
    };
    let entries: Vec<Entry> = found
        .into_iter()
        .map(|a| {
            let refused = a.outcome != AuditOutcome::Success;
            Entry {
                seq: a.seq,
                at: a
                    .recorded_at
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_string(),
                role: lang.coded("role", &a.role),
                action: lang.coded("audit-action", &a.action),
                what: match &a.resource_id {
                    Some(id) => format!("{}/{id}", a.resource_type),
                    None => a.resource_type.clone(),
                },
                patient: a.patient.unwrap_or_default(),
                outcome: lang.coded("audit-outcome", a.outcome.code()),
                refused,
                detail: a.detail,
                user: a.username,
            }
        })
        .collect();
    let from = u64::from(page * PAGE);
    let to = from + entries.len() as u64;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page_view = AuditPage {
        chrome: viewer.chrome(&state),
        tabs: tabs(&viewer, "admin-tab-audit"),
        newer: (page > 0).then(|| link(&patient, &user, &outcome, page - 1)),
        older: (to < total).then(|| link(&patient, &user, &outcome, page + 1)),
        patient,
        user,
        outcome,
        errors,
        entries,
        total,
        shown: lang.t_with(
            "admin-audit-shown",
            &[
                ("from", if to == 0 { 0 } else { from + 1 }.to_string()),
                ("to", to.to_string()),
                ("total", total.to_string()),
            ],
        ),
    };
    Ok(render(status, &page_view))
}
