//! The request timeout, which never fires after a write has gone to the
//! store.
//!
//! A request still running after `request_timeout_ms` is answered 408 and
//! dropped, unless it has reached its commit point
//! ([`tiercare_store::commit_point`]): a write handed to the store commits
//! whether or not anyone waits, so its request waits for the real answer.
//! A client is never told 408 for a write that happened, and so never
//! retries it into a duplicate.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tiercare_store::commit_point::{self, CommitPoint};

/// Middleware: answers 408 at the deadline unless a write is under way.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let point = CommitPoint::new();
    let answer = commit_point::scope(point.clone(), next.run(req));
    tokio::pin!(answer);
    tokio::select! {
        resp = &mut answer => resp,
        () = tokio::time::sleep(state.config.limits.request_timeout()) => {
            if point.reached() {
                tracing::warn!("request past its deadline has a write under way; waiting for it");
                answer.await
            } else {
                ApiError::Timeout.into_response()
            }
        }
    }
}
