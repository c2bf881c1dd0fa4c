//! `Task`: the referral's workflow, read-only; a care plan's follow-ups,
//! a mentorship's activities and an emergency case's alert share the type.

use super::*;

/// `GET /Task/{id}`: the workflow of referral `id`, or a care plan's
/// follow-up.
pub async fn task_read(
    Request(state, actor, headers): Request,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if tiercare_core::care_plan::FollowUp::is_follow_up_id(&id) {
        return super::results::record_read(&state, &actor, "Task", &id, &headers).await;
    }
    if fhir::emergency::case::is_case_id(&id) {
        return super::emergency_case::alert_read(&state, &actor, &id).await;
    }
    if let Some(resp) = super::outreach::activity_read(&state, &actor, &id, &headers).await? {
        return Ok(resp);
    }
    let r = Referrals::new(&state.ctx, &actor).read(&id).await?;
    Ok(task_response(&state, &r))
}

/// `GET /Task?owner=Organization/x`: "awaiting my action".
pub async fn task_search(
    Request(state, actor, headers): Request,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(raw.as_deref())?;
    if super::emergency_case::asks_for_alerts(&pairs) {
        return super::emergency_case::alert_search(&state, &actor, &pairs, &headers).await;
    }
    if pairs.iter().any(|(k, v)| k == "code" && v == "follow-up") {
        return super::care_plan::follow_up_search(&state, &actor, &pairs, &headers).await;
    }
    // A care plan's follow-ups: `focus=CarePlan/{id}`.
    if pairs
        .iter()
        .any(|(k, v)| k == "focus" && v.starts_with("CarePlan/"))
    {
        return super::care_plan::follow_up_search(&state, &actor, &pairs, &headers).await;
    }
    // A mentorship's activities: `focus=CareTeam/{id}`.
    if let Some(m) = pairs
        .iter()
        .find(|(k, _)| k == "focus")
        .and_then(|(_, v)| v.strip_prefix("CareTeam/"))
    {
        let m = m.to_string();
        return super::outreach::activity_search(&state, &actor, &pairs, &headers, &m).await;
    }
    let mut q = query_for("Task", TASK_SEARCH, &pairs)?;
    q.resource_type = "ServiceRequest".into();
    for f in &mut q.filters {
        f.param = fhir::referral::task_param(&f.param).into();
        if f.param == "_id" {
            // `focus=ServiceRequest/{id}`: the Task shares the referral's id.
            for v in &mut f.values {
                if let Some(id) = v.strip_prefix("ServiceRequest/") {
                    *v = id.to_string();
                }
            }
        }
    }
    // E-consults are ServiceRequests with no Task: count only referrals.
    q.filters
        .push(tiercare_service::search::exact("category", "referral"));
    let (found, total) = Referrals::new(&state.ctx, &actor).search(q.clone()).await?;
    let base = base_url(&state, &headers);
    let resources = found
        .iter()
        .filter_map(|s| match &s.record {
            Record::Referral(r) => Some((
                format!("{base}/Task/{}", r.id),
                render_task(r, &state.ctx.policy),
            )),
            _ => None,
        })
        .collect();
    let bundle = searchset(&base, "Task", &pairs, &q, total, resources);
    let asked = fhir::search::includes_asked(&pairs);
    let extra = super::include::included(&state, &actor, &base, "Task", &found, &asked).await?;
    Ok(FhirJson(fhir::search::with_included(bundle, extra)).into_response())
}
