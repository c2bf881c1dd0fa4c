//! Whether a request has reached the point where its write may commit.
//!
//! A request that times out is answered 408 and its handler dropped. That
//! is only honest before the handler has handed a write to the store:
//! after it, the write commits whether or not anyone waits, and a client
//! told 408 would retry and write it twice. So the HTTP face runs each
//! request inside [`scope`] with a [`CommitPoint`], the store marks it
//! when a write is queued or a write transaction begins, and the timeout
//! waits for the answer of any request so marked.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

tokio::task_local! {
    static CURRENT: CommitPoint;
}

/// Set once a request's write has gone to the database. Cheap to clone;
/// the clones share one flag.
#[derive(Debug, Clone, Default)]
pub struct CommitPoint(Arc<AtomicBool>);

impl CommitPoint {
    pub fn new() -> CommitPoint {
        CommitPoint::default()
    }

    /// Whether a write of the request has gone to the database.
    pub fn reached(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Runs `fut` with `point` marked by every write it makes.
pub async fn scope<F: Future>(point: CommitPoint, fut: F) -> F::Output {
    CURRENT.scope(point, fut).await
}

/// Marks the current request's commit point, if it has one.
pub(crate) fn mark() {
    let _ = CURRENT.try_with(|p| p.0.store(true, Ordering::Release));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_mark_inside_the_scope_is_seen_outside() {
        let point = CommitPoint::new();
        scope(point.clone(), async {}).await;
        assert!(!point.reached());
        scope(point.clone(), async { mark() }).await;
        assert!(point.reached());
        // Outside any scope a mark is a no-op, not a panic.
        mark();
    }
}
