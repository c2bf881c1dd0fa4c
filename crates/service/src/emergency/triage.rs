//! The triage of a time-critical emergency: where a patient goes from the
//! first point of contact, by the core's documented rule
//! ([`tiercare_core::emergency::route`]) over the sites the registry holds
//! now and the region's policy (`[emergency]`: its windows and measured
//! travel times).
//!
//! The triage reads registry data only (institutions and designated
//! centres) and writes nothing. No patient is named in the request or the
//! answer, so no audit entry is made: there is no patient data to account
//! for.

use super::registry_of;
use crate::days::LOCAL;
use crate::{Context, ServiceError};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::emergency::{
    Capability, Case, CentreKind, Decision, Emergency, EmergencyCentre, FirstContact, Step,
    Treatment, route,
};
use tiercare_core::{CentreId, InstitutionId, Record};
use time::OffsetDateTime;

/// Where the patient first meets the system.
#[derive(Debug, Clone, PartialEq)]
pub enum Contact {
    /// At an institution of the registry (a village clinic, a township,
    /// a hospital): its registered place is where the patient is.
    Institution(InstitutionId),
    /// An ambulance at the roadside, by its coordinates (WGS 84 degrees).
    Roadside { latitude: f64, longitude: f64 },
}

/// What the first contact knows when asking where the patient goes.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageRequest {
    pub emergency: Emergency,
    pub from: Contact,
    /// Minutes since symptom onset (strokes; 0 when not known).
    pub onset_minutes: u32,
    /// A suspected large-vessel occlusion (strokes).
    pub large_vessel: bool,
    /// The moment of the decision, by default the services' clock: the
    /// time of day in China Standard Time decides which centres are open.
    pub at: Option<OffsetDateTime>,
}

/// One step of the answer as the caller needs it: the destination's name
/// and the designated centre that takes the patient there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub step: Step,
    /// The institution's name, as the registry holds it.
    pub name: String,
    /// The designated centre (its `HealthcareService` id) that gives the
    /// step's treatment there; none when the step only stabilises or no
    /// centre of the institution is involved.
    pub centre: Option<CentreId>,
}

/// The triage's answer: the rule's decision, and each of its steps with
/// the destination's name and centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub decision: Decision,
    pub first: Destination,
    pub then: Option<Destination>,
    /// The moment decided at.
    pub at: OffsetDateTime,
    /// Its minute of the day in China Standard Time, which the rule read.
    pub minute: u16,
}

/// The minute of the day of `at` in China Standard Time.
pub fn local_minute(at: OffsetDateTime) -> u16 {
    let local = at.to_offset(LOCAL);
    u16::from(local.hour()) * 60 + u16::from(local.minute())
}

/// The kind of centre an emergency is taken in.
fn kind_of(emergency: Emergency) -> CentreKind {
    match emergency {
        Emergency::Stemi => CentreKind::ChestPain,
        Emergency::Stroke => CentreKind::Stroke,
        Emergency::MajorTrauma => CentreKind::Trauma,
        Emergency::Obstetric => CentreKind::Maternal,
        Emergency::Newborn => CentreKind::Neonatal,
    }
}

/// What a centre must be able to do to give a treatment; `None` for a
/// treatment any open centre of the kind gives (stroke-unit care).
fn capability_of(treatment: Treatment) -> Option<Capability> {
    match treatment {
        Treatment::Pci => Some(Capability::Pci),
        Treatment::Thrombolysis => Some(Capability::Thrombolysis),
        Treatment::Thrombectomy => Some(Capability::Thrombectomy),
        Treatment::TraumaSurgery => Some(Capability::TraumaSurgery),
        Treatment::Caesarean => Some(Capability::Caesarean),
        Treatment::NeonatalIntensiveCare => Some(Capability::NeonatalIntensiveCare),
        Treatment::StrokeUnit | Treatment::Stabilise => None,
    }
}

/// The centre that takes the patient for `step`: an open centre of the
/// emergency's kind at the step's institution able to give the treatment
/// (the lowest id when several); failing that, any open centre there able
/// to give it (the rule lets a STEMI be lysed wherever lysis is open).
/// Stabilising is done by the hospital, not a centre.
pub fn centre_for(
    emergency: Emergency,
    step: &Step,
    minute: u16,
    centres: &[EmergencyCentre],
) -> Option<CentreId> {
    if step.treatment == Treatment::Stabilise {
        return None;
    }
    let need = capability_of(step.treatment);
    let open_here = |c: &&EmergencyCentre| {
        c.active
            && c.institution == step.institution
            && c.centre.hours.open_at(minute)
            && need.is_none_or(|n| c.centre.capabilities.contains(&n))
    };
    let mut here: Vec<&EmergencyCentre> = centres.iter().filter(open_here).collect();
    here.sort_by(|a, b| a.id.cmp(&b.id));
    let kind = kind_of(emergency);
    here.iter()
        .find(|c| c.centre.kind == kind)
        .or_else(|| here.first().filter(|_| need.is_some()))
        .map(|c| c.id.clone())
}

/// Whether `actor` may ask: the people who decide where an emergency goes
/// (doctors and coordinators of any institution, administrators).
fn may_triage(actor: &Actor) -> bool {
    matches!(
        actor.role,
        UserRole::Doctor | UserRole::Coordinator | UserRole::Admin
    )
}

fn in_range(field: &str, value: f64, limit: f64) -> Result<f64, ServiceError> {
    if value.is_finite() && value.abs() <= limit {
        Ok(value)
    } else {
        Err(ServiceError::invalid(
            field,
            format!("{field} must be between -{limit} and {limit} degrees, not {value}"),
        ))
    }
}

/// Where the patient of `request` goes, by the documented rule over the
/// registry's sites and the region's policy. Doctors, coordinators and
/// administrators may ask (anyone else is refused); an institution the
/// registry lacks, or one without a registered place, breaks a rule of
/// the network; a region where nothing can take the patient is a broken
/// rule too, with a message saying so. Nothing is written, and since no
/// patient data is read or named nothing is audited.
pub async fn triage(
    ctx: &Context,
    actor: &Actor,
    request: &TriageRequest,
) -> Result<Triage, ServiceError> {
    if !may_triage(actor) {
        return Err(ServiceError::Forbidden(
            "only doctors, coordinators and administrators triage emergencies".into(),
        ));
    }
    decide(ctx, request).await
}

/// The rule's answer for `request`, without asking who wants it: what
/// [`triage`] answers and what an opened emergency case stores, so the two
/// never disagree.
pub(super) async fn decide(ctx: &Context, request: &TriageRequest) -> Result<Triage, ServiceError> {
    let from = match &request.from {
        Contact::Roadside {
            latitude,
            longitude,
        } => FirstContact {
            latitude: in_range("latitude", *latitude, 90.0)?,
            longitude: in_range("longitude", *longitude, 180.0)?,
            institution: None,
        },
        Contact::Institution(id) => {
            let institution = match ctx.store.get("Organization", id.as_str()).await? {
                Some(s) => match s.record {
                    Record::Institution(i) => i,
                    _ => {
                        return Err(ServiceError::rule(
                            "from",
                            format!("Organization/{id} is an alliance, not an institution"),
                        ));
                    }
                },
                None => {
                    return Err(ServiceError::rule(
                        "from",
                        format!("Organization/{id} is not in the registry"),
                    ));
                }
            };
            let place = institution.place.ok_or_else(|| {
                ServiceError::rule(
                    "from",
                    format!(
                        "Organization/{id} has no registered place to route from; give latitude and longitude"
                    ),
                )
            })?;
            FirstContact {
                latitude: place.latitude,
                longitude: place.longitude,
                institution: Some(institution.id),
            }
        }
    };
    let at = request.at.unwrap_or_else(|| ctx.clock.now());
    let minute = local_minute(at);
    let (institutions, centres) = registry_of(ctx).await?;
    let sites = tiercare_core::emergency::sites(&institutions, &centres);
    let case = Case {
        emergency: request.emergency,
        onset_minutes: request.onset_minutes,
        large_vessel: request.large_vessel,
    };
    let rules = &ctx.policy.emergency;
    let decision = route(
        &case,
        &from,
        minute,
        &sites,
        &rules.travel_times(),
        &rules.windows,
    )
    .ok_or_else(|| {
        ServiceError::rule(
            "emergency",
            format!(
                "no institution of the region can take a patient with {} at {:02}:{:02} China time: no open centre or hospital for it is registered",
                request.emergency.display().to_lowercase(),
                minute / 60,
                minute % 60
            ),
        )
    })?;
    let destination = |step: &Step| Destination {
        step: step.clone(),
        name: institutions
            .iter()
            .find(|i| i.id == step.institution)
            .map_or_else(|| step.institution.to_string(), |i| i.name.clone()),
        centre: centre_for(request.emergency, step, minute, &centres),
    };
    Ok(Triage {
        first: destination(&decision.first),
        then: decision.then.as_ref().map(destination),
        decision,
        at,
        minute,
    })
}
