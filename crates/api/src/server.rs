//! The connection loop: accepts connections, serves each over HTTP/1.1
//! with the router, and shuts down gracefully.
//!
//! It is ours rather than `axum::serve` for two limits a public server
//! needs (see [`Limits`](crate::limits::Limits)): a client that opens a
//! connection and never finishes its headers is cut off after
//! `header_read_timeout_ms`, and no more than `max_connections` are open at
//! once, so idle or half-open connections cannot use up the process's file
//! handles and lock everyone else out. Each request carries the addresses
//! of its connection ([`ConnectionAddrs`]): the client's for sign-in
//! throttling, the server's own for links when no public URL is set.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Where a request came from and where it arrived, from its connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionAddrs {
    /// The client's address (a proxy's, behind one).
    pub peer: SocketAddr,
    /// The address the connection reached on this server.
    pub local: Option<SocketAddr>,
}

/// Pause after a failed `accept` (out of file handles, say) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How long in-flight requests get to finish after shutdown is asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// Accepts and serves connections until `stopped` turns true, then waits
/// (up to [`DRAIN`]) for the requests under way. Unless `trust_host` (a
/// public URL is configured, and links are built from it), each request's
/// `Host` is set to the address its connection reached: links in answers
/// (`fullUrl`, `next`) then name this server, never a host a client made
/// up.
pub(crate) async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &crate::limits::Limits,
    trust_host: bool,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout())
        .keep_alive(true);
    loop {
        let (stream, peer) = tokio::select! {
            () = async {
                // Stopped, or the sender gone without a word: stop too.
                let _ = stopped.wait_for(|stop| *stop).await;
            } => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            metrics::counter!("tiercare_connections_refused_total").increment(1);
            tracing::warn!(%peer, limit = limits.max_connections, "connection refused: too many open");
            drop(stream);
            continue;
        };
        let addrs = ConnectionAddrs {
            peer,
            local: stream.local_addr().ok(),
        };
        let host = match addrs.local {
            Some(local) if !trust_host => {
                axum::http::HeaderValue::from_str(&local.to_string()).ok()
            }
            _ => None,
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                if let Some(host) = &host {
                    req.headers_mut()
                        .insert(axum::http::header::HOST, host.clone());
                }
                req.extensions_mut().insert(addrs);
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(addrs.peer));
                req
            });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!("requests still running after {DRAIN:?}; closing them");
        }
    }
}
