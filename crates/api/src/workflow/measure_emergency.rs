//! `$evaluate-measure` for the emergency centres' accreditation measures:
//! over the region (no subject) or the institution credited with the cases
//! (`Organization/{id}`), stratified by where the patient first met the
//! system (and, for 30-day mortality, by condition). Who may see which
//! subject is [`tiercare_service::emergency::measures::may_see`].

use super::*;
use tiercare_core::InstitutionId;
use tiercare_core::access::Actor;
use tiercare_core::emergency::accreditation::Figures;
use tiercare_core::indicators::MeasureDef;
use tiercare_fhir::emergency::measures::render_emergency_report;
use tiercare_fhir::measure::{ReportHeader, SubjectArg};
use tiercare_service::emergency::measures::{accreditation_between, may_see};

/// One emergency measure's report, or with `type_level` the one the
/// `measure` parameter names.
pub(super) async fn evaluate_emergency(
    state: &AppState,
    actor: &Actor,
    inputs: &[(String, String)],
    m: &'static MeasureDef<Figures>,
    type_level: bool,
) -> Result<Value, ApiError> {
    let e = super::measure::family_inputs(state, inputs, type_level)?;
    let network = tiercare_service::indicators::network(&state.ctx).await?;
    let (institution, name) = match &e.subject {
        SubjectArg::Region => (None, None),
        SubjectArg::Organization(id) => match network.institutions.iter().position(|i| i == id) {
            Some(k) => (
                Some(fhir::typed_id::<InstitutionId>(id, "subject")?),
                network.names.get(k).map(String::as_str),
            ),
            None => {
                return Err(ApiError::invalid(
                    "subject",
                    format!(
                        "Organization/{id} is not an institution of the region; the \
                         emergency measures are counted over the region or the \
                         institution credited with the cases"
                    ),
                ));
            }
        },
        _ => {
            return Err(ApiError::invalid(
                "subject",
                "the emergency measures are counted over the region (no subject) or an \
                 institution (Organization/{id})",
            ));
        }
    };
    may_see(actor, institution.as_ref())?;
    let (first, last) = e.period;
    let figures = accreditation_between(&state.ctx, first, last)
        .await?
        .of(institution.as_ref());
    let date = now_text();
    let header = ReportHeader {
        period: e.period,
        subject: e.subject.reference(name),
        region: (state.ctx.region.as_str(), &state.ctx.region_name),
        date: &date,
    };
    render_emergency_report(m.code, &header, &figures)
        .ok_or_else(|| ApiError::NotFound(format!("Measure/{} does not exist", m.code)))
}
