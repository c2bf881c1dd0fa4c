//! The evaluation page of joint programmes: whether hospitals keep their
//! outreach commitments, which side cancels, what the sessions and the
//! mentoring achieve and how the co-managed panels are controlled, for a
//! programme, a hospital, a primary institution, an alliance, a specialist
//! or a family doctor, month by month.
//!
//! Every figure is the core's evaluation
//! ([`tiercare_core::outreach::evaluation`]) over the stored records, as
//! `Measure/{code}/$evaluate-measure` reports it; the page names no
//! patient. Administrators and analysts see every subject, staff the
//! subjects [`tiercare_service::evaluation::may_see`] allows them.
//!
//! This file holds the addresses, the query string and the two handlers;
//! `filters.rs` reads the query, `names.rs` names the parties, `report.rs`
//! evaluates the records, `table.rs` lays the figures out as tables (for
//! the page and for CSV) and `view.rs` renders the page.

mod filters;
mod names;
mod report;
mod table;
mod view;

pub use filters::{parse_subject, subject_code};

use crate::UiError;
use crate::dashboard::{show_date, unreadable};
use crate::filter_form::{FilterForm, refused};
use crate::render;
use crate::session::Viewer;
use crate::tables::csv_response;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;

/// The page.
pub const PATH: &str = crate::chrome::home::PROGRAMMES;
/// A table of the page as CSV.
pub const CSV_PATH: &str = "/ui/programmes.csv";

/// Every table, by key, in page order.
pub const KEYS: [&str; 6] = [
    "measures",
    "months",
    "programmes",
    "specialists",
    "family-doctors",
    "capability",
];

/// The query string of the page and its downloads.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    subject: Option<String>,
    table: Option<String>,
}

/// `GET /ui/programmes`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let (p, refusal) = match params {
        Ok(Query(p)) => match report::build(&state, &viewer, &p).await {
            Ok(report) => {
                let page = view::page_of(viewer.chrome(&state), &report);
                return Ok(render(StatusCode::OK, &page));
            }
            Err(UiError::Refused(r)) => (p, r),
            Err(e) => return Err(e),
        },
        Err(_) => match unreadable(viewer.lang) {
            UiError::Refused(r) => (Params::default(), r),
            e => return Err(e),
        },
    };
    // The form again, holding what was sent, with the field at fault.
    let lang = viewer.lang;
    let subject = p.subject.as_deref().unwrap_or_default();
    let choices = report::choices(&state, &viewer).await?;
    let form = FilterForm::new(
        PATH,
        p.from.as_deref().unwrap_or_default(),
        p.to.as_deref().unwrap_or_default(),
        subject,
        view::choice_groups(lang, &choices),
    )
    .as_sent(subject);
    Ok(refused(
        StatusCode::BAD_REQUEST,
        &viewer.chrome(&state),
        lang.t("nav-programmes"),
        form,
        refusal,
    ))
}

/// `GET /ui/programmes.csv?table=...`.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let Query(p) = params.map_err(|_| unreadable(lang))?;
    let key = p.table.clone().unwrap_or_default();
    let key = KEYS.iter().find(|k| **k == key).copied().ok_or_else(|| {
        UiError::BadRequest(lang.t_with("dashboard-error-table", &[("tables", KEYS.join(", "))]))
    })?;
    let report = report::build(&state, &viewer, &p).await?;
    let t = table::table(&report, key, lang)
        .ok_or_else(|| UiError::Internal(format!("table {key} is listed but not built")))?;
    let (from, to) = (show_date(report.filters.from), show_date(report.filters.to));
    let ascii = format!(
        "tiercare-programmes-{key}-{}-{from}-{to}.csv",
        subject_code(&report.filters.subject)
    );
    let name = format!(
        "{}-{}-{}-{from}-{to}.csv",
        lang.t("nav-programmes"),
        t.title,
        report.label
    );
    csv_response(&ascii, &name, &t)
}
