//! `Slot` and `Schedule`: outpatient capacity, searched and held.

use super::*;

/// `GET /Slot/{id}`: open to any signed-in user (no patient data).
pub async fn slot_read(
    State(state): State<AppState>,
    _c: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = tiercare_service::open::read(&state.ctx, "Slot", &id).await?;
    Ok(resource_response(
        &s,
        StatusCode::OK,
        &base_url(&state, &headers),
    ))
}

/// `GET /Slot?...`: `status=free` finds what is free now, lapsed holds
/// included.
pub async fn slot_search(
    State(state): State<AppState>,
    _c: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    let mut q = query_for("Slot", SLOT_SEARCH, &pairs)?;
    let now = now_text();
    let mut extra = Vec::new();
    // The status in its system (`system|code`) is the bare status; in
    // another system it matches nothing; `system|` is any status.
    let system = fhir::tokens::declared_system("Slot", "status").unwrap_or_default();
    let ours = format!("{system}|").to_lowercase();
    let mut nothing = false;
    q.filters
        .retain(|f| !(f.param == "status" && f.values == [ours.clone()]));
    for f in &mut q.filters {
        if f.param != "status" {
            continue;
        }
        for v in &mut f.values {
            if let Some(code) = v.strip_prefix(&ours) {
                *v = code.to_string();
            } else if v.contains('|') {
                nothing = true;
            }
        }
        if nothing {
            *f = Filter {
                param: "_id".into(),
                values: vec![String::new()],
                matching: Match::Exact,
            };
            continue;
        }
        match f.values.as_slice() {
            [v] if v == "free" => {
                *f = Filter {
                    param: FREE_FROM.into(),
                    values: vec![now.clone()],
                    matching: Match::AtMost,
                };
            }
            [v] if v == "busy-tentative" => extra.push(Filter {
                param: FREE_FROM.into(),
                values: vec![now.clone()],
                matching: Match::Above,
            }),
            [v] if v == "busy" => {}
            _ => {
                return Err(ApiError::invalid(
                    "status",
                    "give one of free, busy-tentative or busy",
                ));
            }
        }
    }
    q.filters.extend(extra);
    let (found, total) = tiercare_service::open::search(&state.ctx, &q).await?;
    let base = base_url(&state, &headers);
    let resources = found
        .iter()
        .map(|s| (format!("{base}/Slot/{}", s.record.id()), fhir::render(s)))
        .collect();
    Ok(FhirJson(searchset(&base, "Slot", &pairs, &q, total, resources)).into_response())
}

/// `POST /Slot/{id}/$hold` with parameter `referral`: holds the slot for
/// the caller while the patient is asked.
pub async fn slot_operation(
    Request(state, actor, headers): Request,
    Path((id, operation)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if operation != "$hold" {
        return Err(ApiError::NotFound(format!(
            "Slot/{id}/{operation} is not an operation; use $hold"
        )));
    }
    let p = Inputs::read(
        &ops::SLOT_HOLD,
        &json_body(&headers, body, state.config.max_body_bytes)?,
    )?;
    let referral = p.required_reference("referral")?;
    let held = Referrals::new(&state.ctx, &actor)
        .hold_slot(referral, &id)
        .await?;
    let mut v = fhir::render(&stored(
        Record::Slot(held.value.clone()),
        held.version,
        held.updated_at.clone(),
    ));
    if let tiercare_core::booking::SlotStatus::Held { until, .. } = &held.value.status
        && let Some(a) = v["extension"].as_array_mut()
    {
        {
            a.push(json!({"url": fhir::datatypes::extension_url("held-until"),
                          "valueDateTime": until.format(&Rfc3339).unwrap_or_default()}));
        }
    }
    Ok(FhirJson(v).into_response())
}

/// `GET /Schedule/{id}`: an outreach session, or a department's calendar
/// as its slots name it.
pub async fn schedule_read(
    State(state): State<AppState>,
    _c: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(s) = super::outreach::session_stored(&state, &id).await? {
        return Ok(resource_response(
            &s,
            StatusCode::OK,
            &base_url(&state, &headers),
        ));
    }
    let slots = state
        .ctx
        .store
        .search_page(&tiercare_store::Query {
            resource_type: "Slot".into(),
            filters: vec![Filter {
                param: "schedule".into(),
                values: vec![format!("Schedule/{id}")],
                matching: Match::Exact,
            }],
            count: 1,
            offset: 0,
        })
        .await?;
    let Some(Stored {
        record: Record::Slot(s),
        ..
    }) = slots.first()
    else {
        return Err(ApiError::NotFound(format!("Schedule/{id} does not exist")));
    };
    Ok(FhirJson(json!({
        "resourceType": "Schedule",
        "id": id,
        "active": true,
        "serviceType": [{"coding": [{"system": fhir::datatypes::system("specialty"), "code": s.specialty.code()}]}],
        "actor": [{"reference": format!("Organization/{}", s.institution)}],
        "comment": "Outpatient slots of one department; a policy share is reserved for referrals from primary care."
    }))
    .into_response())
}
