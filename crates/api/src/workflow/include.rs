//! `_include` and `_revinclude` on the referral loop's searches: a
//! referral with its patient and its Task in one call. Included resources
//! pass the same access rules as a read (a patient is read through the
//! registry, which checks the caller's scope and audits the read; one
//! the caller may not read is left out), and never count in the total.

use super::*;
use tiercare_service::registry::Registry;

/// The included entries of a ServiceRequest or Task search over `found`
/// (referrals and consults), for the includes `asked`.
pub(super) async fn included(
    state: &AppState,
    actor: &tiercare_core::access::Actor,
    base: &str,
    searched: &str,
    found: &[Stored],
    asked: &[&str],
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for include in asked {
        match (searched, *include) {
            (
                _,
                "ServiceRequest:patient" | "ServiceRequest:subject" | "Task:patient" | "Task:for",
            ) => {
                let registry = Registry::new(&state.ctx, actor);
                for s in found {
                    let Some(p) = s.record.patient() else {
                        continue;
                    };
                    if !seen.insert(format!("Patient/{p}")) {
                        continue;
                    }
                    match registry.read("Patient", p.as_str(), None).await {
                        Ok(patient) => {
                            out.push((format!("{base}/Patient/{p}"), fhir::render(&patient)))
                        }
                        // Not the caller's to read (the refusal is audited):
                        // left out, as a read would refuse it.
                        Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            // A referral's Task (same id): the caller has just been shown
            // the referral, and the Task is its workflow.
            ("ServiceRequest", "Task:focus") => {
                for s in found {
                    if let Record::Referral(r) = &s.record
                        && seen.insert(format!("Task/{}", r.id))
                    {
                        out.push((
                            format!("{base}/Task/{}", r.id),
                            render_task(r, &state.ctx.policy),
                        ));
                    }
                }
            }
            // The Tasks' referrals: the same records the search found.
            ("Task", "Task:focus") => {
                for s in found {
                    if seen.insert(format!("ServiceRequest/{}", s.record.id())) {
                        out.push((
                            format!("{base}/ServiceRequest/{}", s.record.id()),
                            fhir::render(s),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
