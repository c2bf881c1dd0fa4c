//! `$evaluate-measure` for the resource flows between institutions: over
//! an alliance or the region, stratified by partnership. Who may see which
//! alliance is [`tiercare_service::flows::may_see`].

use super::*;
use tiercare_core::access::Actor;
use tiercare_core::flows::measures::{FlowFigures, pair_strata};
use tiercare_core::indicators::MeasureDef;
use tiercare_fhir::measure::{self as fm, ReportHeader, SubjectArg};

/// A resource flow's `MeasureReport` over an alliance (subject
/// `Organization/{id}`) or the region (no subject), stratified by
/// partnership: both directions of every pair with a flow, each naming its
/// giver and receiver. Who may see it is the flows' own rule
/// ([`tiercare_service::flows::may_see`]).
pub(super) async fn evaluate_flows(
    state: &AppState,
    actor: &Actor,
    inputs: &[(String, String)],
    m: &'static MeasureDef<FlowFigures>,
    type_level: bool,
) -> Result<Value, ApiError> {
    let e = super::measure::family_inputs(state, inputs, type_level)?;
    let network = tiercare_service::indicators::network(&state.ctx).await?;
    let alliance = match &e.subject {
        SubjectArg::Region => None,
        SubjectArg::Organization(id) if network.alliances.contains(id) => Some(id.as_str()),
        _ => {
            return Err(ApiError::invalid(
                "subject",
                "resource flows are measured over an alliance of the region \
                 (Organization/{id}) or, without a subject, the whole region",
            ));
        }
    };
    tiercare_service::flows::may_see(actor, &network, alliance)?;
    let (first, last) = e.period;
    let flows = tiercare_service::flows::flows(&state.ctx, actor, alliance, first, last).await?;
    let whole = FlowFigures::of_network(&flows.network, &flows.partnerships);
    let pairs = pair_strata(&flows.network, &flows.partnerships);
    let node = |ix| {
        flows
            .node(ix)
            .map_or(("", ""), |n| (n.id.as_str(), n.name.as_str()))
    };
    let strata: Vec<fm::Stratum<'_, FlowFigures>> = pairs
        .iter()
        .map(|(from, to, figures)| {
            let (giver, giver_name) = node(*from);
            let (receiver, receiver_name) = node(*to);
            fm::Stratum {
                value: json!({"text": format!("{giver}->{receiver}")}),
                components: vec![
                    ("giver", fm::organization_concept(giver, giver_name)),
                    (
                        "receiver",
                        fm::organization_concept(receiver, receiver_name),
                    ),
                ],
                figures,
            }
        })
        .collect();
    let date = now_text();
    let header = ReportHeader {
        period: e.period,
        subject: e
            .subject
            .reference(flows.alliance.as_ref().map(|(_, name)| name.as_str())),
        region: (state.ctx.region.as_str(), &state.ctx.region_name),
        date: &date,
    };
    Ok(fm::report_stratified(
        m,
        &fm::FLOWS,
        &header,
        &whole,
        &strata,
    ))
}
