//! Subscription criteria: a `Task` search kept standing.
//!
//! Criteria are a Task search (`Task?owner=Organization/h1&status=requested`)
//! parsed with the very parameter table and query builder `GET /Task` uses,
//! and matched by running that search in the store narrowed to the one Task
//! that changed. So a subscription matches exactly the Tasks a Task search
//! with the same parameters, by the same user, returns: there is no second
//! implementation of the search semantics to drift from the first.

use crate::error::ApiError;
use crate::routes::{query_for, query_pairs};
use tiercare_fhir::referral::TASK_SEARCH;
use tiercare_service::ServiceError;
use tiercare_service::subscriptions::outbox;
use tiercare_store::{Filter, Store, StoreError};

const FIELD: &str = "Subscription.criteria";

/// The only resource type criteria may name, for now.
pub const CRITERIA_TYPE: &str = "Task";

/// Parsed criteria: the search filters of a Task search.
#[derive(Debug, Clone)]
pub struct Criteria {
    filters: Vec<Filter>,
}

impl Criteria {
    /// Parses `Task?param=value&...`, refusing another resource type, an
    /// unknown parameter or a bad value with 400 naming
    /// `Subscription.criteria` (and the parameter in the message).
    pub fn parse(text: &str) -> Result<Criteria, ApiError> {
        let text = text.trim();
        let (ty, query) = text.split_once('?').unwrap_or((text, ""));
        let ty = ty.trim_start_matches('/');
        if ty != CRITERIA_TYPE {
            return Err(ApiError::invalid(
                FIELD,
                format!(
                    "criteria on {ty:?} are not supported: only Task criteria are (e.g. Task?owner=Organization/zx-h1)"
                ),
            ));
        }
        let pairs = query_pairs(Some(query))
            .map_err(|e| ApiError::invalid(FIELD, format!("criteria: {e}")))?;
        for (key, _) in &pairs {
            let name = key.split(':').next().unwrap_or_default();
            if name.starts_with('_') && name != "_id" {
                return Err(ApiError::invalid(
                    FIELD,
                    format!("criteria parameter {name:?} has no meaning in a subscription"),
                ));
            }
        }
        let mut q = query_for(CRITERIA_TYPE, TASK_SEARCH, &pairs).map_err(|e| match e {
            ServiceError::Invalid { message, field } | ServiceError::Rule { message, field } => {
                ApiError::invalid(
                    FIELD,
                    match field {
                        Some(param) => format!("criteria parameter {param:?}: {message}"),
                        None => message,
                    },
                )
            }
            other => other.into(),
        })?;
        // The index names of Task's parameters, as `GET /Task` maps them
        // (`tiercare_fhir::referral::task_param`): a Task's status is the
        // referral's `task-status` term, its focus the referral's id.
        for f in &mut q.filters {
            f.param = tiercare_fhir::referral::task_param(&f.param).into();
            if f.param == "_id" {
                for v in &mut f.values {
                    if let Some(id) = v.strip_prefix("ServiceRequest/") {
                        *v = id.to_string();
                    }
                }
            }
        }
        Ok(Criteria { filters: q.filters })
    }

    /// Whether the Task `task_id`, as stored now, matches these criteria
    /// seen from `institution`, as the outbox judges it
    /// ([`tiercare_service::subscriptions::outbox::matches`]).
    pub async fn matches(
        &self,
        store: &Store,
        institution: Option<&str>,
        stored_as: &str,
        task_id: &str,
    ) -> Result<bool, StoreError> {
        outbox::matches(store, &self.filters, institution, stored_as, task_id).await
    }

    /// The store filters of the criteria's Task search.
    pub fn into_filters(self) -> Vec<Filter> {
        self.filters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match Criteria::parse(text) {
            Err(ApiError::Invalid {
                message,
                expression,
            }) => {
                assert_eq!(expression.as_deref(), Some(FIELD), "{text}");
                message
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn task_criteria_become_the_task_search() {
        let c = Criteria::parse("Task?owner=Organization/zx-h1&status=requested,accepted").unwrap();
        let terms: Vec<(&str, Vec<&str>)> = c
            .filters
            .iter()
            .map(|f| {
                (
                    f.param.as_str(),
                    f.values.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            terms,
            [
                ("owner", vec!["Organization/zx-h1"]),
                ("task-status", vec!["requested", "accepted"])
            ]
        );
        // A bare id is a reference to an Organization, as in a search.
        let c = Criteria::parse("Task?owner=zx-h1").unwrap();
        assert_eq!(c.filters[0].values, ["Organization/zx-h1"]);
        assert!(Criteria::parse("Task").unwrap().filters.is_empty());
        assert!(Criteria::parse("/Task?business-status=booked").is_ok());
    }

    #[test]
    fn other_types_unknown_parameters_and_paging_are_refused() {
        assert!(refused("Patient?x=y").contains("Patient"));
        assert!(refused("ServiceRequest?status=active").contains("ServiceRequest"));
        assert!(refused("Task?x=y").contains("\"x\""));
        assert!(refused("Task?owner:exact=zx-h1").contains("owner"));
        assert!(refused("Task?_count=5").contains("_count"));
        assert!(refused("").contains("only Task"));
    }
}
