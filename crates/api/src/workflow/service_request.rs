//! `ServiceRequest`: creating, reading and searching referrals, and the
//! named operations of the loop.

use super::*;
use tiercare_core::clinical::ResultKind;
use tiercare_core::consult::Consult;
use tiercare_core::hub::ReadingOrder;
use tiercare_core::referral::Attachments;

/// `POST /ServiceRequest`: a doctor refers a patient. With an
/// `Idempotency-Key` header a retry answers the first referral (200)
/// instead of making a second.
pub async fn request_create(
    Request(state, actor, headers): Request,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.config.max_body_bytes)?;
    if super::consult::is_consult(&value) {
        let value = fhir::check_resource_type(value, "ServiceRequest")?;
        return super::consult::consult_create(&state, &actor, &headers, value).await;
    }
    if super::reading::is_hub_body(&value) {
        let value = fhir::check_resource_type(value, "ServiceRequest")?;
        return super::reading::reading_create(&state, &actor, &headers, value).await;
    }
    let (mut new, results) = parse_request(&state, &actor, value).await?;
    new.attachments.results = Referrals::new(&state.ctx, &actor)
        .attach_results(new.patient.as_str(), &results)
        .await?;
    if let Some(key) = headers.get("idempotency-key") {
        let key = key
            .to_str()
            .map_err(|_| ApiError::invalid("Idempotency-Key", "the key must be printable text"))?;
        new.id = idempotent_id(&actor.username, key)?;
    }
    let (made, created) = Referrals::new(&state.ctx, &actor).request(new).await?;
    let mut s = referral_stored(&made);
    s.created = created;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(&s, status, &base_url(&state, &headers)))
}

/// `GET /ServiceRequest/{id}`.
pub async fn request_read(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if Consult::is_consult_id(&id) {
        return super::consult::consult_read(&state, &actor, &id, &headers).await;
    }
    if ReadingOrder::is_reading_id(&id) {
        return super::reading::reading_read(&state, &actor, &id, &headers).await;
    }
    let r = Referrals::new(&state.ctx, &actor).read(&id).await?;
    Ok(resource_response(
        &referral_stored(&r),
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// `GET /ServiceRequest?...`: the worklists.
pub async fn request_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let (rest, overdue) = take_overdue(&pairs)?;
    let mut q = query_for("ServiceRequest", SEARCH, &rest)?;
    if overdue {
        q.filters.push(Filter {
            param: DUE.into(),
            values: vec![now_text()],
            matching: Match::Below,
        });
    }
    let (found, total) = Referrals::new(&state.ctx, &actor).search(q.clone()).await?;
    let base = base_url(&state, &headers);
    let resources = found
        .iter()
        .map(|r| {
            (
                format!("{base}/ServiceRequest/{}", r.record.id()),
                fhir::render(r),
            )
        })
        .collect();
    let bundle = searchset(&base, "ServiceRequest", &pairs, &q, total, resources);
    let asked = fhir::search::includes_asked(&pairs);
    let extra =
        super::include::included(&state, &actor, &base, "ServiceRequest", &found, &asked).await?;
    Ok(FhirJson(fhir::search::with_included(bundle, extra)).into_response())
}

fn take_overdue(pairs: &[(String, String)]) -> Result<(Vec<(String, String)>, bool), ApiError> {
    let mut overdue = false;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        if k == "_overdue" {
            overdue = match v.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(ApiError::invalid("_overdue", "use true or false")),
            };
        } else {
            rest.push((k.clone(), v.clone()));
        }
    }
    Ok((rest, overdue))
}

/// `GET /ServiceRequest/{id}/$actions`.
pub async fn request_operation_get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, operation)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if operation != "$actions" {
        return Err(ApiError::NotFound(format!(
            "GET ServiceRequest/{id}/{operation} is not an operation; GET $actions lists what you may do"
        )));
    }
    Inputs::from_query(&ops::SERVICE_REQUEST_ACTIONS, &query_pairs(raw.as_deref())?)?;
    let r = Referrals::new(&state.ctx, &actor).read(&id).await?;
    let mut params: Vec<Value> = r
        .value
        .allowed_actions(&actor)
        .into_iter()
        .map(|a| json!({"name": "action", "valueCode": a.code()}))
        .collect();
    params.push(json!({"name": "state", "valueCode": r.value.state.code()}));
    if let Some(due) = r.value.due(&state.ctx.policy) {
        params.push(
            json!({"name": "due", "valueDateTime": due.by.format(&Rfc3339).unwrap_or_default()}),
        );
        params.push(json!({"name": "due-step", "valueCode": due.step.code()}));
        params.push(json!({"name": "overdue", "valueBoolean": due.by < state.ctx.clock.now()}));
    }
    Ok(FhirJson(json!({"resourceType": "Parameters", "parameter": params})).into_response())
}

/// `POST /ServiceRequest/{id}/$action`: one step of the loop.
pub async fn request_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let version = if_match(&headers)?;
    let name = operation.strip_prefix('$').unwrap_or("");
    let declared = ops::ALL
        .iter()
        .copied()
        .find(|o| o.post && o.resource == ["ServiceRequest"] && o.code == name)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "${name} is not a referral operation; GET $actions lists what you may do"
            ))
        })?;
    if Consult::is_consult_id(&id) && name != "close" {
        return Err(super::consult::no_such_operation(name));
    }
    // The body is read first: a malformed one is refused as such, whatever
    // the id names.
    let inputs = operation_inputs(declared, &headers, body, state.config.max_body_bytes)?;
    let reading = ReadingOrder::is_reading_id(&id);
    if reading != super::reading::READING_OPERATIONS.contains(&name) && name != "cancel" {
        return Err(ApiError::NotFound(format!(
            "${name} is not an operation of ServiceRequest/{id}; GET $actions lists what you may do"
        )));
    }
    if reading {
        return super::reading::reading_operation(
            &state, &actor, &id, name, &inputs, version, &headers,
        )
        .await;
    }
    if Consult::is_consult_id(&id) {
        return super::consult::consult_operation(
            &state, &actor, &id, name, &inputs, version, &headers,
        )
        .await;
    }
    // Only $complete finishes a visit and so takes its charge.
    let charge = match declared.param("charge") {
        Some(_) => charge_input(&inputs)?,
        None => None,
    };
    let service = Referrals::new(&state.ctx, &actor).with_charge(charge);
    let done = if name == "book" {
        match (inputs.reference("slot"), inputs.reference("beds")) {
            (Some(slot), None) => service.book_slot(&id, slot, version).await?.0,
            (None, Some(pool)) => service.book_bed(&id, pool, version).await?.0,
            _ => {
                return Err(ApiError::invalid(
                    "slot",
                    "give either slot (a Slot, outpatient) or beds (a bed pool Location, inpatient)",
                ));
            }
        }
    } else {
        let command = command(name, &inputs, &state).await?;
        service.act(&id, command, version).await?
    };
    Ok(task_response(&state, &done))
}

/// The command of a referral operation, from inputs read against its
/// declaration.
async fn command(name: &str, p: &Inputs, state: &AppState) -> Result<Command, ApiError> {
    let text = |n: &str| p.text(n).unwrap_or_default().to_string();
    Ok(match name {
        "accept" => Command::Accept,
        "arrive" => Command::Arrive {
            early: p.flag("early").unwrap_or(false),
        },
        "no-show" => Command::NoShow,
        "close" => {
            if p.has("outcome") {
                return Err(ApiError::invalid(
                    "outcome",
                    "outcome closes a consult; a referral's $close takes no parameters",
                ));
            }
            Command::Close
        }
        "decline" => {
            let code = p.required_text("reason")?;
            let reason = DeclineReason::from_code(code).ok_or_else(|| {
                ApiError::rule("reason", format!("unknown decline reason {code:?}"))
            })?;
            Command::Decline {
                reason,
                comment: text("comment"),
            }
        }
        "redirect" => {
            let to = p.required_reference("to")?;
            let level = institution_level(state, to, "to").await?;
            Command::Redirect {
                to: to
                    .parse()
                    .map_err(|e| ApiError::invalid("to", format!("{e}")))?,
                to_level: level,
                comment: text("comment"),
            }
        }
        "return-with-advice" => Command::ReturnWithAdvice {
            advice: text("advice"),
        },
        "cancel" => Command::Cancel {
            reason: text("reason"),
        },
        "complete" => Command::Complete {
            report: report(p, false)?,
        },
        "report" => {
            let report = report(p, true)?
                .ok_or_else(|| ApiError::invalid("report-summary", "the report needs a summary"))?;
            Command::Report { report }
        }
        other => {
            return Err(ApiError::NotFound(format!(
                "${other} is not a referral operation; GET $actions lists what you may do"
            )));
        }
    })
}

fn report(p: &Inputs, required: bool) -> Result<Option<Report>, ApiError> {
    let Some(summary) = p.text("report-summary").map(str::to_string) else {
        if required || p.has("report-recommendation") {
            return Err(ApiError::invalid(
                "report-summary",
                "the report needs a summary",
            ));
        }
        return Ok(None);
    };
    let diagnosis = p
        .text("report-diagnosis")
        .map(|d| {
            d.parse::<IcdCode>()
                .map_err(|e| ApiError::invalid("report-diagnosis", e.to_string()))
        })
        .transpose()?;
    Ok(Some(Report {
        summary,
        diagnosis,
        recommendation: p
            .text("report-recommendation")
            .unwrap_or_default()
            .to_string(),
    }))
}

pub(super) async fn institution_level(
    state: &AppState,
    id: &str,
    field: &str,
) -> Result<Level, ApiError> {
    Ok(
        tiercare_service::registry::institution(&state.ctx, id, field)
            .await?
            .level,
    )
}

/// A new referral from a `ServiceRequest` body. The referring institution
/// and requester are the caller's; the specialty defaults to the
/// condition's department in the catalogue.
async fn parse_request(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    value: Value,
) -> Result<(NewReferral, Vec<(ResultKind, String)>), ApiError> {
    let value = fhir::check_resource_type(value, "ServiceRequest")?;
    let Value::Object(map) = &value else {
        return Err(ApiError::invalid(
            "ServiceRequest",
            "the body must be an object",
        ));
    };
    const KNOWN: [&str; 16] = [
        "contained",
        "supportingInfo",
        "basedOn",
        "id",
        "extension",
        "status",
        "intent",
        "category",
        "priority",
        "code",
        "subject",
        "authoredOn",
        "requester",
        "performerType",
        "performer",
        "reasonCode",
    ];
    if let Some(k) = map
        .keys()
        .find(|k| !KNOWN.contains(&k.as_str()) && k.as_str() != "note")
    {
        return Err(ApiError::invalid(
            format!("ServiceRequest.{k}"),
            format!("ServiceRequest.{k} is not supported in a referral and would be lost"),
        ));
    }
    let reference = |field: &str, ty: &str| -> Result<String, ApiError> {
        let r: fhir::datatypes::Reference = value
            .get(field)
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| ApiError::invalid(format!("ServiceRequest.{field}"), e.to_string()))?
            .ok_or_else(|| {
                ApiError::invalid(
                    format!("ServiceRequest.{field}"),
                    format!("{field} is required"),
                )
            })?;
        Ok(reference_id(&r, &[ty], &format!("ServiceRequest.{field}"))?.1)
    };
    match value.get("status").and_then(Value::as_str) {
        None | Some("active") => {}
        Some(s) => {
            return Err(ApiError::invalid(
                "ServiceRequest.status",
                format!("a new referral is active, not {s}"),
            ));
        }
    }
    match value.get("intent").and_then(Value::as_str) {
        None | Some("order") => {}
        Some(s) => {
            return Err(ApiError::invalid(
                "ServiceRequest.intent",
                format!("a referral's intent is order, not {s}"),
            ));
        }
    }
    // The derived extensions may come back as read; the referring
    // institution must be the caller's.
    for e in value
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = e.get("url").and_then(Value::as_str).unwrap_or_default();
        let ext = fhir::datatypes::extension_url;
        if url == ext("referring-organization") {
            let from = e
                .pointer("/valueReference/reference")
                .and_then(Value::as_str);
            let mine = actor
                .institution
                .as_ref()
                .map(|i| format!("Organization/{i}"));
            if from.map(str::to_string) != mine {
                return Err(ApiError::Forbidden(
                    "the referring institution must be your own".into(),
                ));
            }
        } else if url != ext("referral-direction") && url != ext("referral-state") {
            return Err(ApiError::invalid(
                "ServiceRequest.extension",
                format!("extension {url} is not supported"),
            ));
        }
    }
    let patient = reference("subject", "Patient")?;
    let performer = value
        .get("performer")
        .and_then(Value::as_array)
        .filter(|a| a.len() == 1)
        .ok_or_else(|| {
            ApiError::invalid(
                "ServiceRequest.performer",
                "exactly one receiving Organization is required",
            )
        })?;
    let to: fhir::datatypes::Reference = serde_json::from_value(performer[0].clone())
        .map_err(|e| ApiError::invalid("ServiceRequest.performer", e.to_string()))?;
    let (_, to) = reference_id(&to, &["Organization"], "ServiceRequest.performer")?;
    if value.get("requester").is_some() {
        let requester = reference("requester", "Practitioner")?;
        if actor.practitioner.as_ref().map(|p| p.as_str()) != Some(requester.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "you may only refer as yourself (Practitioner/{})",
                actor.practitioner.as_ref().map_or("none", |p| p.as_str())
            )));
        }
    }
    let code_at = |path: &str| -> Option<String> {
        value
            .pointer(path)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let condition = code_at("/reasonCode/0/coding/0/code").ok_or_else(|| {
        ApiError::invalid(
            "ServiceRequest.reasonCode",
            "the reason (an ICD-10 code) is required",
        )
    })?;
    let condition: IcdCode = condition
        .parse()
        .map_err(|e| ApiError::invalid("ServiceRequest.reasonCode", format!("{e}")))?;
    let entry = Catalogue::bundled().find(&condition).ok_or_else(|| {
        ApiError::rule(
            "ServiceRequest.reasonCode",
            format!("{condition} is not in the condition catalogue"),
        )
    })?;
    let specialty = match code_at("/performerType/coding/0/code") {
        None => entry.specialty,
        Some(c) => Specialty::from_code(&c).ok_or_else(|| {
            ApiError::rule(
                "ServiceRequest.performerType",
                format!("unknown specialty {c:?}"),
            )
        })?,
    };
    let setting = match code_at("/code/coding/0/code") {
        None => Setting::Outpatient,
        Some(c) => Setting::from_code(&c).ok_or_else(|| {
            ApiError::rule(
                "ServiceRequest.code",
                format!("use outpatient or inpatient, not {c:?}"),
            )
        })?,
    };
    let priority = match value.get("priority").and_then(Value::as_str) {
        None | Some("routine") => Priority::Routine,
        Some("urgent") | Some("asap") => Priority::Urgent,
        Some("stat") => Priority::Emergency,
        Some(p) => {
            return Err(ApiError::invalid(
                "ServiceRequest.priority",
                format!("unknown priority {p:?}"),
            ));
        }
    };
    let summary = code_at("/note/0/text").unwrap_or_default();
    let patient_summary = fhir::referral::parse_summary(&value)?;
    let results = fhir::referral::parse_supporting(&value)?;
    let consult = match value.pointer("/basedOn").and_then(Value::as_array) {
        None => None,
        Some(list) => match list.as_slice() {
            [one] => {
                let r: fhir::datatypes::Reference = serde_json::from_value(one.clone())
                    .map_err(|e| ApiError::invalid("ServiceRequest.basedOn", e.to_string()))?;
                let (_, id) = reference_id(&r, &["ServiceRequest"], "ServiceRequest.basedOn")?;
                Some(fhir::typed_id(&id, "ServiceRequest.basedOn")?)
            }
            _ => {
                return Err(ApiError::invalid(
                    "ServiceRequest.basedOn",
                    "a referral is based on at most one consult",
                ));
            }
        },
    };
    let from = actor
        .institution
        .clone()
        .ok_or_else(|| ApiError::Forbidden("only staff of an institution may refer".into()))?;
    let from_level = institution_level(state, from.as_str(), "ServiceRequest.requester").await?;
    let to_level = institution_level(state, &to, "ServiceRequest.performer").await?;
    let new = NewReferral {
        id: new_referral_id()?,
        patient: patient
            .parse()
            .map_err(|e| ApiError::invalid("ServiceRequest.subject", format!("{e}")))?,
        from,
        from_level,
        to: to
            .parse()
            .map_err(|e| ApiError::invalid("ServiceRequest.performer", format!("{e}")))?,
        to_level,
        specialty,
        setting,
        priority,
        condition,
        summary,
        attachments: Attachments {
            patient: patient_summary,
            results: Vec::new(),
            consult,
        },
    };
    Ok((new, results))
}
