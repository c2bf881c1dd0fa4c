//! Resource-sharing hubs over FHIR: a hub is a `HealthcareService` with a
//! hub-kind category; a reading is a `ServiceRequest` with the same
//! category and `performer` the hub; its operations are `$take`,
//! `$release`, `$cancel`, `$report-reading`, `$acknowledge` and
//! `$refer-emergency`.

use super::*;
use tiercare_core::access::Actor;
use tiercare_core::hub::{
    Acquisition, Finding, Hub, HubKind, NewReading, NewReadingOrder, ReadingOrder, ReadingPriority,
};
use tiercare_fhir::hub::HUB_KIND;
use tiercare_service::referrals::{EmergencyReferral, new_reading_id};

/// The hub kind a body's category names, if it names one (a coding of
/// tiercare's hub-kind system).
fn hub_kind_coding(value: &Value) -> Option<&Value> {
    tiercare_fhir::datatypes::category_coding(value, HUB_KIND)
}

/// Whether a `ServiceRequest` or `HealthcareService` body is about a hub.
pub(super) fn is_hub_body(value: &Value) -> bool {
    hub_kind_coding(value).is_some()
}

fn kind_of(value: &Value, field: &str) -> Result<HubKind, ApiError> {
    let code = hub_kind_coding(value)
        .and_then(|c| c.get("code"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    HubKind::from_code(code).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("use ecg, imaging, laboratory or pathology, not {code:?}"),
        )
    })
}

fn order_stored(o: &Versioned<ReadingOrder>) -> Stored {
    versioned_stored(o, Record::ReadingOrder)
}

/// `POST /HealthcareService` with a hub-kind category: a hub
/// (administrators, the institution's coordinators).
pub(super) async fn hub_create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: Value,
) -> Result<Response, ApiError> {
    const KNOWN: [&str; 7] = [
        "resourceType",
        "extension",
        "active",
        "providedBy",
        "category",
        "name",
        "id",
    ];
    fhir::only_elements(&value, "HealthcareService", &KNOWN)?;
    let kind = kind_of(&value, "HealthcareService.category")?;
    let institution = fhir::required_reference(
        &value,
        "/providedBy",
        "HealthcareService.providedBy",
        &["Organization"],
        "the hub's institution",
    )?;
    let mut members = Vec::new();
    let member_url = fhir::datatypes::extension_url("hub-member");
    for e in value
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = "HealthcareService.extension(hub-member)";
        if e.get("url").and_then(Value::as_str) != Some(member_url.as_str()) {
            return Err(ApiError::invalid(
                "HealthcareService.extension",
                "a hub takes only hub-member extensions",
            ));
        }
        let id =
            fhir::required_reference(e, "/valueReference", field, &["Organization"], "a member")?;
        members.push(fhir::typed_id(&id, field)?);
    }
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let hub = Hub {
        id: fhir::typed_id(
            &format!("hub-{}", tiercare_service::new_id()),
            "HealthcareService.id",
        )?,
        name,
        institution: fhir::typed_id(&institution, "HealthcareService.providedBy")?,
        kind,
        members,
        active: value.get("active").and_then(Value::as_bool).unwrap_or(true),
    };
    let done = Referrals::new(&state.ctx, actor)
        .put_hub(hub, tiercare_store::Expect::New)
        .await?;
    let mut s = stored(Record::Hub(done.value), done.version, done.updated_at);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// `POST /ServiceRequest` with a hub-kind category: a primary doctor
/// orders a reading from the hub named as `performer`.
pub(super) async fn reading_create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: Value,
) -> Result<Response, ApiError> {
    const KNOWN: [&str; 12] = [
        "resourceType",
        "status",
        "intent",
        "category",
        "code",
        "priority",
        "subject",
        "requester",
        "performer",
        "reasonCode",
        "supportingInfo",
        "authoredOn",
    ];
    fhir::only_elements(&value, "ServiceRequest", &KNOWN)?;
    let kind = kind_of(&value, "ServiceRequest.category")?;
    let patient = fhir::required_reference(
        &value,
        "/subject",
        "ServiceRequest.subject",
        &["Patient"],
        "the patient",
    )?;
    let hub = fhir::required_reference(
        &value,
        "/performer/0",
        "ServiceRequest.performer",
        &["HealthcareService"],
        "the hub (a HealthcareService)",
    )?;
    let priority = match value.get("priority").and_then(Value::as_str) {
        None => ReadingPriority::Routine,
        Some(p) => ReadingPriority::from_code(p).ok_or_else(|| {
            ApiError::invalid(
                "ServiceRequest.priority",
                format!("use stat, urgent or routine, not {p:?}"),
            )
        })?,
    };
    let question = value
        .pointer("/reasonCode/0/text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let acquisition = match value.get("supportingInfo").and_then(Value::as_array) {
        None => None,
        Some(list) => match list.as_slice() {
            [one] => Some(acquisition(one)?),
            _ => {
                return Err(ApiError::invalid(
                    "ServiceRequest.supportingInfo",
                    "give one acquisition: a Media in the outside archive, or an Observation",
                ));
            }
        },
    };
    let from = actor
        .institution
        .clone()
        .ok_or_else(|| ApiError::Forbidden("only staff of an institution order readings".into()))?;
    let new = NewReadingOrder {
        id: new_reading_id()?,
        patient: fhir::typed_id(&patient, "ServiceRequest.subject")?,
        from,
        kind,
        priority,
        question,
        acquisition,
    };
    let hub = fhir::typed_id(&hub, "ServiceRequest.performer")?;
    let made = Referrals::new(&state.ctx, actor)
        .order_reading(new, &hub)
        .await?;
    let mut s = order_stored(&made);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

/// The acquisition a `supportingInfo` reference names: an absolute
/// address of a `Media` in an outside archive, or `Observation/{id}`.
fn acquisition(r: &Value) -> Result<Acquisition, ApiError> {
    const F: &str = "ServiceRequest.supportingInfo";
    let reference = r
        .get("reference")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(F, "the acquisition needs a reference"))?;
    if let Some(id) = reference.strip_prefix("Observation/") {
        return Ok(Acquisition::Observation {
            id: fhir::typed_id(id, F)?,
        });
    }
    if r.get("type").and_then(Value::as_str) == Some("Media")
        && (reference.starts_with("https://") || reference.starts_with("http://"))
    {
        return Ok(Acquisition::Media {
            url: reference.to_string(),
        });
    }
    Err(ApiError::invalid(
        F,
        "reference an Observation, or a Media (type Media) by its http(s) address in the outside archive",
    ))
}

/// `GET /ServiceRequest/{id}` for a reading order.
pub(super) async fn reading_read(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let o = Referrals::new(&state.ctx, actor).reading(id).await?;
    Ok(resource_response(
        &order_stored(&o),
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// The operations a reading order takes.
pub(super) const READING_OPERATIONS: &[&str] = &[
    "take",
    "release",
    "cancel",
    "report-reading",
    "acknowledge",
    "refer-emergency",
];

/// `POST /ServiceRequest/{id}/$…` on a reading order.
pub(super) async fn reading_operation(
    state: &AppState,
    actor: &Actor,
    id: &str,
    name: &str,
    inputs: &Inputs,
    version: Option<u32>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let service = Referrals::new(&state.ctx, actor);
    let done = match name {
        "take" => service.take_reading(id, version).await?,
        "release" => service.release_reading(id, version).await?,
        "cancel" => service.cancel_reading(id, version).await?,
        "acknowledge" => service.acknowledge_reading(id, version).await?,
        "report-reading" => {
            let findings = inputs
                .texts("finding")
                .into_iter()
                .map(|code| Finding {
                    code: code.to_string(),
                    display: String::new(),
                })
                .collect();
            let new = NewReading {
                report: fhir::typed_id(&tiercare_service::new_id(), "DiagnosticReport.id")?,
                conclusion: inputs.required_text("conclusion")?.to_string(),
                findings,
                critical: inputs.text("critical").map(str::to_string),
            };
            service.report_reading(id, new, version).await?.0
        }
        "refer-emergency" => {
            let o = service.reading(id).await?;
            let specialty = match inputs.text("specialty") {
                None => o.value.kind.referral_specialty(),
                Some(c) => Specialty::from_code(c).ok_or_else(|| {
                    ApiError::rule("specialty", format!("unknown specialty {c:?}"))
                })?,
            };
            let referral = EmergencyReferral {
                to: fhir::typed_id(inputs.required_reference("to")?, "to")?,
                specialty,
                condition: inputs
                    .required_text("condition")?
                    .parse::<IcdCode>()
                    .map_err(|e| ApiError::invalid("condition", e.to_string()))?,
                summary: inputs.required_text("summary")?.to_string(),
            };
            service.refer_from_alert(id, referral, version).await?.0
        }
        _ => {
            return Err(ApiError::NotFound(format!(
                "${name} is not a reading operation; use ${}",
                READING_OPERATIONS.join(", $")
            )));
        }
    };
    Ok(resource_response(
        &order_stored(&done),
        StatusCode::OK,
        &base_url(state, headers),
    ))
}
