//! The registry as the administrator browses it: counts on the overview,
//! then one searchable list per kind of record.

use super::{REGISTRY_PATH, Tab, admin, tabs};
use crate::chrome::Chrome;
use crate::i18n::Lang;
use crate::session::Viewer;
use crate::{UiError, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_service::registry::Registry;
use tiercare_service::search::query;
use tiercare_store::{Filter, Match};

/// The kinds of record the registry lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Institutions,
    Alliances,
    Teams,
    Practitioners,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Institutions,
        Kind::Alliances,
        Kind::Teams,
        Kind::Practitioners,
    ];

    fn code(self) -> &'static str {
        match self {
            Kind::Institutions => "institutions",
            Kind::Alliances => "alliances",
            Kind::Teams => "teams",
            Kind::Practitioners => "practitioners",
        }
    }

    fn resource_type(self) -> &'static str {
        match self {
            Kind::Institutions | Kind::Alliances => "Organization",
            Kind::Teams => "CareTeam",
            Kind::Practitioners => "Practitioner",
        }
    }

    fn label(self, lang: Lang) -> String {
        match self {
            Kind::Institutions => lang.t("admin-kind-institutions"),
            Kind::Alliances => lang.t("admin-kind-alliances"),
            Kind::Teams => lang.t("admin-kind-teams"),
            Kind::Practitioners => lang.t("admin-kind-practitioners"),
        }
    }
}

/// One row of a list.
pub struct Row {
    pub id: String,
    pub name: String,
    /// Other names (aliases, pinyin), joined.
    pub also: String,
    /// What kind of record it is, in words (an institution's kind and
    /// level, an alliance's kind, a team's institution).
    pub what: String,
    pub active: bool,
}

/// A count on the overview, linking to its list.
pub struct Count {
    pub label: String,
    pub href: String,
    pub value: usize,
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    counts: Vec<Count>,
}

#[derive(Template)]
#[template(path = "admin/registry.html")]
struct ListPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    kinds: Vec<Tab>,
    kind: String,
    kind_label: String,
    q: String,
    found: String,
    rows: Vec<Row>,
}

/// The rows of one kind whose name starts (a word of it) with `q`.
async fn rows(state: &AppState, viewer: &Viewer, kind: Kind, q: &str) -> Result<Vec<Row>, UiError> {
    let lang = viewer.lang;
    let mut filters = Vec::new();
    let q = q.trim().to_lowercase();
    if !q.is_empty() {
        filters.push(Filter {
            param: "name".into(),
            values: vec![q],
            matching: Match::Prefix,
        });
    }
    let (found, _) = Registry::new(&state.ctx, &viewer.actor)
        .search(
            kind.resource_type(),
            query(kind.resource_type(), filters),
            "registry list",
        )
        .await?;
    let mut out: Vec<Row> = found
        .into_iter()
        .filter_map(|s| match (kind, s.record) {
            (Kind::Institutions, Record::Institution(i)) => Some(Row {
                id: i.id.to_string(),
                also: i.alias.join(" · "),
                what: format!(
                    "{} · {}",
                    lang.coded("kind", i.kind.code()),
                    lang.coded("level", i.level.code())
                ),
                name: i.name,
                active: i.active,
            }),
            (Kind::Alliances, Record::Alliance(a)) => Some(Row {
                id: a.id.to_string(),
                also: a.alias.join(" · "),
                what: lang.coded("alliance", a.kind.code()),
                name: a.name,
                active: true,
            }),
            (Kind::Teams, Record::Team(t)) => Some(Row {
                id: t.id.to_string(),
                also: String::new(),
                what: lang.t_with(
                    "admin-team-members",
                    &[("count", t.members.len().to_string())],
                ),
                name: t.name,
                active: t.active,
            }),
            (Kind::Practitioners, Record::Practitioner(p)) => Some(Row {
                id: p.id.to_string(),
                also: p.name.pinyin.as_ref().map(|r| r.full()).unwrap_or_default(),
                what: lang.coded("gender", p.gender.code()),
                name: p.name.full(),
                active: p.active,
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `GET /ui/admin`: how big the registry is, with links to each list.
pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    admin(&viewer)?;
    let mut counts = Vec::new();
    for kind in Kind::ALL {
        counts.push(Count {
            label: kind.label(viewer.lang),
            href: format!("{REGISTRY_PATH}?kind={}", kind.code()),
            value: rows(&state, &viewer, kind, "").await?.len(),
        });
    }
    let page = HomePage {
        chrome: viewer.chrome(&state),
        tabs: tabs(&viewer, "admin-tab-overview"),
        counts,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The list's filters.
#[derive(Debug, Deserialize)]
pub struct Params {
    kind: Option<String>,
    q: Option<String>,
}

/// `GET /ui/admin/registry?kind=…&q=…`: one kind of record, searchable by
/// name (Chinese, pinyin or English, as the FHIR name search).
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, UiError> {
    admin(&viewer)?;
    let lang = viewer.lang;
    let Query(params) = params.map_err(|_| UiError::BadRequest(lang.t("admin-bad-filter")))?;
    let code = params.kind.as_deref().unwrap_or("institutions");
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.code() == code)
        .ok_or_else(|| UiError::BadRequest(lang.t("admin-bad-filter")))?;
    let q = params.q.unwrap_or_default();
    if q.chars().count() > 100 {
        return Err(UiError::BadRequest(lang.t("admin-bad-filter")));
    }
    let rows = rows(&state, &viewer, kind, &q).await?;
    let kinds = Kind::ALL
        .into_iter()
        .map(|k| Tab {
            href: format!("{REGISTRY_PATH}?kind={}", k.code()),
            label: k.label(lang),
            current: k == kind,
        })
        .collect();
    let page = ListPage {
        chrome: viewer.chrome(&state),
        tabs: tabs(&viewer, "admin-tab-registry"),
        kinds,
        kind: kind.code().into(),
        kind_label: kind.label(lang),
        q,
        found: lang.t_with("admin-found", &[("count", rows.len().to_string())]),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}
