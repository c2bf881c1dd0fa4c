//! What a visit would cost the resident at each level, with and without a
//! referral: the service's estimate under their own scheme, with what they
//! already paid this year counted (as `$estimate` with `patient`).

use crate::UiError;
use crate::form::FieldErrors;
use crate::i18n::{Lang, yuan};
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Level;
use tiercare_core::access::Actor;
use tiercare_core::insurance::{Fen, ServiceType, Split};
use tiercare_service::referrals::{Referrals, VisitQuestion};

/// One level's row: what the fund and the resident pay, self-referred
/// and referred.
pub struct EstimateRow {
    pub level: String,
    pub level_code: &'static str,
    pub self_fund: String,
    pub self_mine: String,
    pub referred_fund: String,
    pub referred_mine: String,
    pub saving: String,
}

/// The estimate part of the page: the form's values, its errors and the
/// figures.
pub struct EstimateView {
    pub service: &'static str,
    pub total: String,
    pub scheme: String,
    pub rows: Vec<EstimateRow>,
    pub errors: FieldErrors,
}

/// The estimate for the form's `service` and `total` (a typical visit
/// when the form was not sent yet).
pub async fn estimate(
    state: &AppState,
    actor: &Actor,
    lang: Lang,
    resident: &str,
    q: &HashMap<String, String>,
) -> Result<EstimateView, UiError> {
    let mut errors = FieldErrors::new();
    let service = match q.get("service").map(String::as_str) {
        None | Some("outpatient") => ServiceType::Outpatient,
        Some("inpatient") => ServiceType::Inpatient,
        Some(_) => {
            errors.add("service", lang.t("me-service-error"));
            ServiceType::Outpatient
        }
    };
    let typical = state
        .ctx
        .policy
        .insurance
        .as_ref()
        .map(|r| r.typical_charge_fen.of(service, Level::Secondary))
        .unwrap_or(Fen::ZERO);
    let total = match q.get("total").map(|t| t.trim()) {
        None => Some(typical),
        Some(t) => match t.trim_start_matches('¥').parse::<Fen>() {
            Ok(f) if f > Fen::ZERO && f <= Fen::yuan(10_000_000) => Some(f),
            _ => {
                errors.add("total", lang.t("me-total-error"));
                None
            }
        },
    };
    let service_code = match service {
        ServiceType::Outpatient => "outpatient",
        ServiceType::Inpatient => "inpatient",
    };
    let shown_total = match (total, q.get("total")) {
        (Some(f), _) => f.to_string(),
        (None, Some(t)) => t.clone(),
        (None, None) => String::new(),
    };
    let mut view = EstimateView {
        service: service_code,
        total: shown_total,
        scheme: String::new(),
        rows: vec![],
        errors,
    };
    let Some(total) = total else {
        return Ok(view);
    };
    if !view.errors.is_empty() {
        return Ok(view);
    }
    let question = VisitQuestion {
        service,
        total,
        date: state.ctx.clock.today(),
        follow_up: false,
        emergency: false,
        at_contracted_primary: false,
    };
    let own = match Referrals::new(&state.ctx, actor)
        .own_estimate(resident, &question)
        .await
    {
        Ok(own) => own,
        Err(e) => {
            view.errors = FieldErrors::from_service(e, lang, &[], "total")?;
            return Ok(view);
        }
    };
    view.scheme = lang.coded("scheme", own.scheme.as_str());
    let fund = |s: &Split| yuan(s.covered);
    let mine = |s: &Split| yuan(s.out_of_pocket);
    view.rows = own
        .estimate
        .rows
        .iter()
        .map(|r| EstimateRow {
            level: lang.coded("level", r.level.code()),
            level_code: r.level.code(),
            self_fund: fund(&r.self_referred),
            self_mine: mine(&r.self_referred),
            referred_fund: fund(&r.referred),
            referred_mine: mine(&r.referred),
            saving: yuan(
                r.self_referred
                    .out_of_pocket
                    .saturating_sub(r.referred.out_of_pocket),
            ),
        })
        .collect();
    Ok(view)
}
