//! E-consults over FHIR: `ServiceRequest` with category consult, and
//! `Communication` for the question and every reply.

use super::*;
use tiercare_core::access::Actor;
use tiercare_core::consult::{Consult, ConsultMode, ConsultOutcome, NewConsult};
use tiercare_fhir::consult::{
    COMMUNICATION_SEARCH, CONSULT_CATEGORY, message_id, render_message, split_message_id,
};

/// Whether a `ServiceRequest` body asks for an e-consult (category
/// consult) rather than a referral.
pub(super) fn is_consult(value: &Value) -> bool {
    value
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .any(|c| c.get("code").and_then(Value::as_str) == Some(CONSULT_CATEGORY))
}

fn consult_stored(c: &Versioned<Consult>) -> Stored {
    versioned_stored(c, Record::Consult)
}

/// `POST /ServiceRequest` with category consult: a family doctor asks a
/// specialist (`performer` Practitioner) or a specialty's pool at an
/// institution (`performer` Organization with `performerType`).
pub(super) async fn consult_create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    value: Value,
) -> Result<Response, ApiError> {
    let new = parse_consult(state, actor, &value).await?;
    let made = Referrals::new(&state.ctx, actor).ask(new).await?;
    let mut s = consult_stored(&made);
    s.created = true;
    Ok(resource_response(
        &s,
        StatusCode::CREATED,
        &base_url(state, headers),
    ))
}

async fn parse_consult(
    state: &AppState,
    actor: &Actor,
    value: &Value,
) -> Result<NewConsult, ApiError> {
    const KNOWN: [&str; 12] = [
        "resourceType",
        "status",
        "intent",
        "category",
        "code",
        "subject",
        "requester",
        "performerType",
        "performer",
        "reasonCode",
        "note",
        "authoredOn",
    ];
    fhir::only_elements(value, "ServiceRequest", &KNOWN)?;
    let patient = fhir::required_reference(
        value,
        "/subject",
        "ServiceRequest.subject",
        &["Patient"],
        "the patient",
    )?;
    let mut to = None;
    let mut specialist = None;
    for p in value
        .get("performer")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r: fhir::datatypes::Reference = serde_json::from_value(p.clone())
            .map_err(|e| ApiError::invalid("ServiceRequest.performer", e.to_string()))?;
        match reference_id(
            &r,
            &["Organization", "Practitioner"],
            "ServiceRequest.performer",
        )? {
            (ty, id) if ty == "Organization" => to = Some(id),
            (_, id) => specialist = Some(id),
        }
    }
    let to = to.ok_or_else(|| {
        ApiError::invalid(
            "ServiceRequest.performer",
            "the institution asked (an Organization) is required",
        )
    })?;
    institution_level(state, &to, "ServiceRequest.performer").await?;
    let condition = value
        .pointer("/reasonCode/0/coding/0/code")
        .and_then(Value::as_str)
        .map(|c| {
            c.parse::<IcdCode>()
                .map_err(|e| ApiError::invalid("ServiceRequest.reasonCode", e.to_string()))
        })
        .transpose()?;
    let specialty = match value
        .pointer("/performerType/coding/0/code")
        .and_then(Value::as_str)
    {
        Some(c) => Specialty::from_code(c).ok_or_else(|| {
            ApiError::rule(
                "ServiceRequest.performerType",
                format!("unknown specialty {c:?}"),
            )
        })?,
        None => condition
            .as_ref()
            .and_then(|c| Catalogue::bundled().find(c))
            .map(|e| e.specialty)
            .ok_or_else(|| {
                ApiError::invalid(
                    "ServiceRequest.performerType",
                    "name the specialty asked (or a reasonCode from the catalogue)",
                )
            })?,
    };
    let mode = match value.pointer("/code/coding/0/code").and_then(Value::as_str) {
        None => ConsultMode::Written,
        Some(c) => ConsultMode::from_code(c).ok_or_else(|| {
            ApiError::rule(
                "ServiceRequest.code",
                format!("use written or live, not {c:?}"),
            )
        })?,
    };
    let from = actor
        .institution
        .clone()
        .ok_or_else(|| ApiError::Forbidden("only staff of an institution may ask".into()))?;
    Ok(NewConsult {
        id: fhir::typed_id(
            &format!("{}{}", Consult::ID_PREFIX, tiercare_service::new_id()),
            "ServiceRequest.id",
        )?,
        patient: fhir::typed_id(&patient, "ServiceRequest.subject")?,
        from,
        to: fhir::typed_id(&to, "ServiceRequest.performer")?,
        specialist: specialist
            .map(|s| fhir::typed_id(&s, "ServiceRequest.performer"))
            .transpose()?,
        specialty,
        mode,
        condition,
        question: value
            .pointer("/note/0/text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// `GET /ServiceRequest/{id}` for a consult.
pub(super) async fn consult_read(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let c = Referrals::new(&state.ctx, actor).consult(id).await?;
    Ok(resource_response(
        &consult_stored(&c),
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// A consult has only `$close`.
pub(super) fn no_such_operation(name: &str) -> ApiError {
    ApiError::NotFound(format!(
        "${name} is not a consult operation: reply with a Communication, end with $close, or refer with a ServiceRequest basedOn the consult"
    ))
}

/// `POST /ServiceRequest/{id}/$close` on a consult: `outcome` resolved
/// (the advice was enough) or withdrawn.
pub(super) async fn consult_operation(
    state: &AppState,
    actor: &Actor,
    id: &str,
    name: &str,
    inputs: &Inputs,
    version: Option<u32>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if name != "close" {
        return Err(no_such_operation(name));
    }
    let code = inputs.required_text("outcome")?;
    let outcome = ConsultOutcome::from_code(code).ok_or_else(|| {
        ApiError::rule(
            "outcome",
            format!("use resolved or withdrawn, not {code:?}"),
        )
    })?;
    let c = Referrals::new(&state.ctx, actor)
        .close_consult(id, outcome, version)
        .await?;
    Ok(resource_response(
        &consult_stored(&c),
        StatusCode::OK,
        &base_url(state, headers),
    ))
}

/// `POST /Communication`: a message on a consult (`basedOn`), from the
/// caller; the first reply from the specialist's side is the answer.
/// Sender, recipient and time are the server's.
pub async fn communication_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fhir::check_resource_type(
        json_body(&headers, body, state.config.max_body_bytes)?,
        "Communication",
    )?;
    const KNOWN: [&str; 9] = [
        "resourceType",
        "basedOn",
        "status",
        "category",
        "subject",
        "sent",
        "sender",
        "recipient",
        "payload",
    ];
    fhir::only_elements(&value, "Communication", &KNOWN)?;
    let consult = fhir::required_reference(
        &value,
        "/basedOn/0",
        "Communication.basedOn",
        &["ServiceRequest"],
        "the consult (a ServiceRequest)",
    )?;
    let payload = value.get("payload").and_then(Value::as_array);
    let text = match payload.map(Vec::as_slice) {
        Some([p]) => p.get("contentString").and_then(Value::as_str),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid(
            "Communication.payload",
            "exactly one payload with contentString is required",
        )
    })?;
    if let Some(sender) = value.pointer("/sender/reference").and_then(Value::as_str)
        && Some(sender.to_string())
            != actor
                .practitioner
                .as_ref()
                .map(|p| format!("Practitioner/{p}"))
    {
        return Err(ApiError::Forbidden("you may only write as yourself".into()));
    }
    if let Some(subject) = value.pointer("/subject/reference").and_then(Value::as_str)
        && let Some(Stored {
            record: Record::Consult(c),
            ..
        }) = state.ctx.store.get("ServiceRequest", &consult).await?
        && subject != format!("Patient/{}", c.patient)
    {
        return Err(ApiError::rule(
            "Communication.subject",
            "the subject must be the consult's patient",
        ));
    }
    let (c, n) = Referrals::new(&state.ctx, &actor)
        .post_message(&consult, text.to_string())
        .await?;
    let base = base_url(&state, &headers);
    let m = &c.value.messages[n - 1];
    let mut resp = (
        StatusCode::CREATED,
        FhirJson(render_message(&c.value, n, m)),
    )
        .into_response();
    if let Ok(v) =
        HeaderValue::from_str(&format!("{base}/Communication/{}", message_id(&c.value, n)))
    {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `GET /Communication/{id}`: one message of a consult.
pub async fn communication_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound(format!("Communication/{id} does not exist"));
    let (consult, n) = split_message_id(&id).ok_or_else(missing)?;
    let c = Referrals::new(&state.ctx, &actor)
        .consult(consult)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => missing(),
            other => other.into(),
        })?;
    let m = c.value.messages.get(n - 1).ok_or_else(missing)?;
    Ok(FhirJson(render_message(&c.value, n, m)).into_response())
}

/// `GET /Communication?based-on=ServiceRequest/{consult}`: the exchange in
/// order (without `based-on`: the messages of every consult the caller may
/// see, up to the largest page of consults).
pub async fn communication_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let q = query_for("Communication", COMMUNICATION_SEARCH, &pairs)?;
    // The consults the caller may see (one named by based-on, or all of
    // them), then their messages in order.
    let mut consults = query_for(
        "ServiceRequest",
        SEARCH,
        &[("category".into(), "consult".into())],
    )?;
    consults.count = crate::routes::MAX_COUNT;
    if let Some((_, v)) = pairs.iter().find(|(k, _)| k == "based-on") {
        consults.filters.push(Filter {
            param: "_id".into(),
            values: vec![v.strip_prefix("ServiceRequest/").unwrap_or(v).to_string()],
            matching: Match::Exact,
        });
    }
    let (found, _) = Referrals::new(&state.ctx, &actor).search(consults).await?;
    let base = base_url(&state, &headers);
    let all: Vec<(String, Value)> = found
        .iter()
        .filter_map(|s| match &s.record {
            Record::Consult(c) => Some(c),
            _ => None,
        })
        .flat_map(|c| {
            c.messages.iter().enumerate().map(|(i, m)| {
                (
                    format!("{base}/Communication/{}", message_id(c, i + 1)),
                    render_message(c, i + 1, m),
                )
            })
        })
        .collect();
    let total = all.len() as u64;
    let page = all
        .into_iter()
        .skip(q.offset as usize)
        .take(q.count as usize)
        .collect();
    Ok(FhirJson(searchset(&base, "Communication", &pairs, &q, total, page)).into_response())
}
