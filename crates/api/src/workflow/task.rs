//! `Task`: the referral's workflow, read-only.

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
    if pairs.iter().any(|(k, v)| k == "code" && v == "follow-up") {
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
    let mut q = query_for("ServiceRequest", TASK_SEARCH, &pairs)?;
    for f in &mut q.filters {
        f.param = match f.param.as_str() {
            "status" => "task-status".into(),
            "business-status" => "state".into(),
            other => other.into(),
        };
    }
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
    Ok(FhirJson(searchset(&base, "Task", &pairs, &q, total, resources)).into_response())
}
