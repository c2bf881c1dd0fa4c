//! The resource-flow network page: what the institutions of an alliance
//! gave one another over a period, drawn as a network, in tables by edge
//! and by month, and as partnerships classified one-way, commensal or
//! mutual; with the same figures as CSV and JSON downloads.
//!
//! Every figure is [`tiercare_service::flows::flows`] for the alliance and
//! period, who may see which alliance is its [`may_see`]: administrators,
//! analysts and the fund any alliance, hospital and primary staff their
//! own alliances'. The page names institutions, never a patient.
//!
//! This file holds the addresses, the query string and the handlers;
//! `view.rs` lays the flows out as tables, `draw.rs` draws the network as
//! inline SVG and `json.rs` writes the JSON download.

mod draw;
mod json;
mod view;

use crate::dashboard::{check_period_days, period_limit, read_period, show_date};
use crate::filter_form::{Field, Refusal};
use crate::session::Viewer;
use crate::tables::disposition;
use crate::{Lang, UiError, render};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::access::{Actor, UserRole};
use tiercare_service::flows::{Flows, flows, may_see};
use tiercare_service::indicators::{Network, network};
use time::Date;

pub use view::NetworkPage;

/// The page.
pub const PATH: &str = crate::chrome::home::NETWORK;
/// The flows as CSV: [`Flows::csv`] as it is.
pub const CSV_PATH: &str = "/ui/network.csv";
/// The flows as JSON: nodes, edges by month, partnerships, totals.
pub const JSON_PATH: &str = "/ui/network.json";

/// The query string of the page and its downloads.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Params {
    pub from: Option<String>,
    pub to: Option<String>,
    pub alliance: Option<String>,
}

/// An alliance the viewer may choose: its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllianceChoice {
    pub id: String,
    pub name: String,
}

/// What a request asks for, once read: the alliance and the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub alliance: String,
    pub from: Date,
    pub to: Date,
}

impl Ask {
    /// The query string that asks for it again (the downloads' links).
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("alliance", &self.alliance)
            .append_pair("from", &show_date(self.from))
            .append_pair("to", &show_date(self.to));
        q.finish()
    }
}

/// The alliances of the region, those a viewer may see, and the one the
/// page shows them when none is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alliances {
    /// Every alliance's id.
    pub all: Vec<String>,
    /// Those the viewer may see, in the registry's order.
    pub choices: Vec<AllianceChoice>,
    /// The viewer's own institution's first alliance, else the first
    /// they may see.
    pub default: Option<String>,
}

/// The [`Alliances`] of `actor` in `net`.
pub fn alliances_of(net: &Network, actor: &Actor) -> Alliances {
    let choices: Vec<AllianceChoice> = net
        .alliances
        .iter()
        .zip(&net.alliance_names)
        .filter(|(id, _)| may_see(actor, net, Some(id.as_str())).is_ok())
        .map(|(id, name)| AllianceChoice {
            id: id.clone(),
            name: name.clone(),
        })
        .collect();
    let own = actor
        .institution
        .as_ref()
        .and_then(|i| net.institutions.iter().position(|x| x == i.as_str()))
        .and_then(|k| net.directory.institutions.get(k))
        .and_then(|f| f.alliances.first())
        .and_then(|&a| net.alliances.get(usize::from(a)))
        .filter(|a| choices.iter().any(|c| &c.id == *a))
        .cloned();
    let default = own.or_else(|| choices.first().map(|c| c.id.clone()));
    Alliances {
        all: net.alliances.clone(),
        choices,
        default,
    }
}

/// Reads the query: the period (a missing one is the twelve calendar
/// months up to today) and the alliance (a missing one the viewer's
/// own, or the first). A date that is not one, a period backwards or too
/// long, or an alliance the region does not have is refused naming the
/// field; an alliance the viewer may not see, and any for a resident, is
/// forbidden.
pub fn read(
    p: &Params,
    alliances: &Alliances,
    role: UserRole,
    today: Date,
    lang: Lang,
    max_days: i32,
) -> Result<Ask, UiError> {
    if role == UserRole::Resident {
        return Err(UiError::Forbidden);
    }
    let (from, to) = read_period(lang, &p.from, &p.to, today)?;
    check_period_days(lang, from, to, max_days)?;
    let alliance = match p.alliance.as_deref().map(str::trim) {
        None | Some("") => alliances.default.clone().ok_or(UiError::Forbidden)?,
        Some(a) if !alliances.all.iter().any(|x| x == a) => {
            return Err(UiError::Refused(Refusal::new(
                Field::Subject,
                lang.t_with("network-error-alliance", &[("alliance", a.to_string())]),
            )));
        }
        Some(a) if !alliances.choices.iter().any(|c| c.id == a) => {
            return Err(UiError::Forbidden);
        }
        Some(a) => a.to_string(),
    };
    Ok(Ask { alliance, from, to })
}

/// The flows a request asks for, as the viewer may see them.
async fn flows_of(
    state: &AppState,
    viewer: &Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<(Ask, Flows, Alliances), UiError> {
    let Query(params) = params.map_err(|_| crate::dashboard::unreadable(viewer.lang))?;
    let alliances = alliances_of(&network(&state.ctx).await?, &viewer.actor);
    let ask = read(
        &params,
        &alliances,
        viewer.actor.role,
        state.ctx.clock.today(),
        viewer.lang,
        period_limit(state),
    )?;
    let f = flows(
        &state.ctx,
        &viewer.actor,
        Some(&ask.alliance),
        ask.from,
        ask.to,
    )
    .await?;
    Ok((ask, f, alliances))
}

/// `GET /ui/network`: the page, or the form again with the field at
/// fault when the query cannot be used.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let sent = params
        .as_ref()
        .map(|Query(p)| p.clone())
        .unwrap_or_default();
    let refusal = match flows_of(&state, &viewer, params).await {
        Ok((ask, f, alliances)) => {
            let page = NetworkPage::new(
                viewer.chrome(&state),
                &state.ctx.policy.flows,
                &alliances.choices,
                &ask,
                &f,
            );
            return Ok(render(StatusCode::OK, &page));
        }
        Err(UiError::Refused(r)) => r,
        Err(e) => return Err(e),
    };
    let alliances = alliances_of(&network(&state.ctx).await?, &viewer.actor);
    if alliances.choices.is_empty() {
        return Err(UiError::Forbidden);
    }
    let page = NetworkPage::refused(viewer.chrome(&state), &alliances.choices, &sent, refusal);
    Ok(render(StatusCode::BAD_REQUEST, &page))
}

/// A download's file name: ASCII, then in the reader's language.
fn names(lang: Lang, ask: &Ask, f: &Flows, ext: &str) -> (String, String) {
    let (from, to) = (show_date(ask.from), show_date(ask.to));
    let ascii = format!("tiercare-network-{}-{from}-{to}.{ext}", ask.alliance);
    let alliance = f
        .alliance
        .as_ref()
        .map_or(ask.alliance.as_str(), |(_, n)| n.as_str());
    let name = format!("{}-{alliance}-{from}-{to}.{ext}", lang.t("nav-network"));
    (ascii, name)
}

/// `GET /ui/network.csv`: [`Flows::csv`], one line per month, giver,
/// receiver and kind, codes and exact amounts.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let (ask, f, _) = flows_of(&state, &viewer, params).await?;
    let (ascii, name) = names(viewer.lang, &ask, &f, "csv");
    download("text/csv; charset=utf-8", &ascii, &name, f.csv())
}

/// `GET /ui/network.json`: the nodes, the edges with their amounts by
/// month and kind code, the partnerships with their class code, and the
/// totals.
pub async fn json(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let (ask, f, _) = flows_of(&state, &viewer, params).await?;
    let (ascii, name) = names(viewer.lang, &ask, &f, "json");
    let body = json::Document::of(&f);
    let mut resp = axum::Json(body).into_response();
    let d = HeaderValue::from_str(&disposition(&ascii, &name))
        .map_err(|e| UiError::Internal(format!("content disposition: {e}")))?;
    resp.headers_mut().insert(header::CONTENT_DISPOSITION, d);
    Ok(resp)
}

fn download(
    content_type: &'static str,
    ascii: &str,
    name: &str,
    body: String,
) -> Result<Response, UiError> {
    let d = HeaderValue::from_str(&disposition(ascii, name))
        .map_err(|e| UiError::Internal(format!("content disposition: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, d),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests;
