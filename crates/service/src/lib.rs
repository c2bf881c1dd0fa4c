//! tiercare-service: the use cases of tiered care, over the domain core and
//! the store.
//!
//! Every face of tiercare (the FHIR API, the web pages, the demo loaders,
//! the benchmarks) does its work through these services, so one rule is
//! checked in one place whatever door a request came in by. A service is
//! built for one caller ([`Actor`](tiercare_core::access::Actor), a core
//! type) over a [`Context`]; it checks the caller's rights, lets the core
//! decide, writes the changed records with their events, indicator facts
//! and audit entries in one store transaction, and answers with core
//! records or small result structs.
//!
//! It owns: the [`Context`] the services share, the [`clock`] they act at,
//! and the one error type, [`ServiceError`].
//!
//! It must not depend on: axum, HTTP types, FHIR JSON (`serde_json`), an
//! HTTP client. How records are indexed for search and how notifications
//! travel are handed in ([`SearchTerms`]), so this crate stays testable
//! without a server.

pub mod audit;
pub mod budget;
pub mod clock;
pub mod days;
pub mod emergency;
pub mod error;
pub mod evaluation;
pub mod export;
pub mod facts;
pub mod flows;
pub mod fund;
pub mod indicators;
pub mod open;
pub mod outreach;
pub mod panels;
pub mod referrals;
pub mod registry;
pub mod search;
pub mod subscriptions;
pub mod units;
pub mod users;

pub use clock::Clock;
pub use error::ServiceError;

use std::sync::Arc;
use tiercare_core::policy::Policy;
use tiercare_core::{Record, RegionId};
use tiercare_store::Store;

/// The search terms a record is stored under, so it can be found again.
/// They are the names and values the FHIR face searches by, so that face
/// decides them and hands the function in.
pub type SearchTerms = fn(&Record, &Policy) -> Vec<(String, String)>;

/// What every service works with. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    /// The region this deployment serves; every record written is in it.
    pub region: RegionId,
    pub region_name: Arc<str>,
    /// The region's rules for referral, booking and gatekeeping.
    pub policy: Arc<Policy>,
    /// The time the services act at: the system clock, or one a history
    /// loader sets.
    pub clock: Clock,
    /// Signalled after every change, to wake the Subscription delivery
    /// worker.
    pub changes: Arc<tokio::sync::Notify>,
    /// How a record is indexed for search.
    pub terms: SearchTerms,
}

impl Context {
    /// A context for a region under the demo county's policy, on the
    /// system clock, until [`with_policy`](Self::with_policy) and
    /// [`with_clock`](Self::with_clock) set the region's own.
    pub fn new(store: Store, region: RegionId, region_name: &str, terms: SearchTerms) -> Context {
        Context {
            // The store writes its rows in the region it serves.
            store: store.in_region(&region),
            region,
            region_name: region_name.into(),
            policy: Arc::new(Policy::demo()),
            clock: Clock::system(),
            changes: Arc::new(tokio::sync::Notify::new()),
            terms,
        }
    }

    /// The search terms of a record under this region's policy.
    pub fn terms_of(&self, record: &Record) -> Vec<(String, String)> {
        (self.terms)(record, &self.policy)
    }
}

/// A record the services read or wrote, and the version it is at: a
/// later write names that version, so two users acting on the same record
/// cannot both win.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u32,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

impl<T> Versioned<T> {
    /// A stored record of the kind `pick` takes, with its version.
    pub(crate) fn picked(
        stored: tiercare_store::Stored,
        pick: impl FnOnce(Record) -> Option<T>,
    ) -> Option<Versioned<T>> {
        let (version, updated_at) = (stored.version, stored.updated_at);
        pick(stored.record).map(|value| Versioned {
            value,
            version,
            updated_at,
        })
    }
}

/// The current version of `rt/id`, if it is stored and of the kind `pick`
/// takes; unaudited (callers check access and audit what they show).
pub(crate) async fn load_as<T>(
    store: &Store,
    rt: &str,
    id: &str,
    pick: impl FnOnce(Record) -> Option<T>,
) -> Result<Option<Versioned<T>>, tiercare_store::StoreError> {
    Ok(store
        .get(rt, id)
        .await?
        .and_then(|s| Versioned::picked(s, pick)))
}

/// A fresh server-assigned id: 128 random bits in hex.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Parses an id of a typed kind, naming `field` when it is malformed.
pub fn typed_id<T: std::str::FromStr<Err = tiercare_core::InvalidId>>(
    id: &str,
    field: &str,
) -> Result<T, ServiceError> {
    id.parse()
        .map_err(|e: tiercare_core::InvalidId| ServiceError::invalid(field, e.to_string()))
}

/// A fresh server-assigned id of the id type `T`.
pub fn fresh_id<T: std::str::FromStr<Err = tiercare_core::InvalidId>>() -> Result<T, ServiceError> {
    new_id()
        .parse()
        .map_err(|e: tiercare_core::InvalidId| ServiceError::Unavailable(e.to_string()))
}
