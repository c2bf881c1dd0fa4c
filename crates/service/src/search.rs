//! Reading many records: the page size the services read with, and the
//! small query builders they share.

use tiercare_store::{Filter, Match, Query, Store, StoreError, Stored};

/// The most records one page of a search returns; the services read
/// longer lists page by page.
pub const MAX_COUNT: u32 = 500;

/// A filter matching one exact value.
pub fn exact(param: &str, value: impl Into<String>) -> Filter {
    any_of(param, vec![value.into()])
}

/// A filter matching any of several exact values.
pub fn any_of(param: &str, values: Vec<String>) -> Filter {
    Filter {
        param: param.into(),
        values,
        matching: Match::Exact,
    }
}

/// A query of `resource_type` under `filters`, one full page at a time.
pub fn query(resource_type: &str, filters: Vec<Filter>) -> Query {
    Query {
        resource_type: resource_type.into(),
        filters,
        count: MAX_COUNT,
        offset: 0,
    }
}

/// Every record a query finds, page by page (a page shorter than asked
/// for is the last).
pub async fn all(store: &Store, mut q: Query) -> Result<Vec<Stored>, StoreError> {
    let mut out = Vec::new();
    q.count = q.count.max(1);
    loop {
        let page = store.search_page(&q).await?;
        let n = page.len();
        out.extend(page);
        if n < q.count as usize {
            return Ok(out);
        }
        q.offset += q.count;
    }
}

/// A practitioner's active roles, by role id: where they work (an
/// institution each; several for multi-site practice).
pub async fn active_roles(
    store: &Store,
    practitioner: &str,
) -> Result<Vec<tiercare_core::network::PractitionerRole>, StoreError> {
    let mut ids = store
        .ids_where(
            "PractitionerRole",
            "practitioner",
            &format!("Practitioner/{practitioner}"),
        )
        .await?;
    ids.sort();
    let mut roles = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(Stored {
            record: tiercare_core::Record::Role(r),
            ..
        }) = store.get("PractitionerRole", &id).await?
            && r.active
        {
            roles.push(r);
        }
    }
    Ok(roles)
}
