//! Starting the server: open the store, build the app, bind, serve until
//! SIGTERM or Ctrl-C, then drain requests and close the database.

use crate::config::Settings;
use anyhow::Context;
use std::time::Duration;
use tiercare_api::{ApiConfig, AppState};
use tiercare_service::subscriptions::{DeliveryConfig, EndpointRules};
use tiercare_store::Store;

/// Opens the database named in the settings.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database_url)
        .await
        .with_context(|| format!("opening database {}", settings.database_url))
}

/// Records re-indexed per transaction when the search-term rules changed:
/// small enough that the writes of other servers wait little between
/// batches.
const REINDEX_BATCH: u32 = 500;

/// Re-indexes every record when the database's index was built by older
/// search-term rules than this build's ([`tiercare_fhir::INDEX_VERSION`]);
/// run at start, before serving. One server re-indexes and the others
/// wait for it, then find the index current.
pub async fn reindex(state: &AppState) -> anyhow::Result<()> {
    let ctx = &state.ctx;
    let terms = ctx.terms;
    let policy = ctx.policy.clone();
    let to = tiercare_fhir::INDEX_VERSION;
    let done = ctx
        .store
        .reindex_to(
            to,
            REINDEX_BATCH,
            |r| terms(r, &policy),
            |done, total| tracing::info!(done, total, to, "re-indexing search terms"),
        )
        .await
        .context("re-indexing the search terms")?;
    if let tiercare_store::Reindexed::Done { records, from } = done {
        tracing::info!(records, from, to, "search index rebuilt");
    }
    Ok(())
}

/// Builds the application state for the settings' region.
pub fn app_state(store: Store, settings: &Settings) -> anyhow::Result<AppState> {
    let region = settings
        .region_id
        .parse()
        .with_context(|| format!("region_id {:?}", settings.region_id))?;
    let config = ApiConfig {
        public_url: settings.public_url.clone(),
        max_body_bytes: settings.max_body_bytes,
        token_ttl_seconds: settings.token_ttl_seconds,
        limits: settings.limits.clone(),
        cors_origins: settings.cors_origins.clone(),
        delivery: DeliveryConfig {
            timeout: Duration::from_millis(settings.subscription_timeout_ms),
            retry_base: Duration::from_millis(settings.subscription_retry_ms),
            max_attempts: settings.subscription_attempts.max(1),
            poll_interval: Duration::from_millis(settings.subscription_poll_ms.max(1)),
            endpoints: EndpointRules::new(
                &settings.subscription_allow,
                settings.subscription_allow_only,
            )?,
            extra_roots_pem: extra_roots(settings.subscription_ca_file.as_deref())?,
            ..DeliveryConfig::default()
        },
    };
    let state = AppState::new(store, region, &settings.region_name, config)?;
    Ok(match &settings.policy_file {
        None => state,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the policy file {path}"))?;
            let policy = tiercare_core::policy::Policy::from_toml(&text)
                .with_context(|| format!("policy file {path}"))?;
            state.with_policy(policy)
        }
    })
}

/// The certificate authorities of `subscription_ca_file`, checked now: a
/// file that cannot be read or holds no certificate stops the start rather
/// than every https delivery.
fn extra_roots(file: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(path) = file else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading subscription_ca_file {path}"))?;
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .with_context(|| format!("subscription_ca_file {path}"))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "subscription_ca_file {path} holds no PEM certificate"
    );
    Ok(Some(pem))
}

/// Binds the listener; port 0 picks a free port. First raises the
/// process's open-file limit as far as the system allows, and warns when
/// it is still below `max_connections`.
pub async fn bind(settings: &Settings) -> anyhow::Result<tokio::net::TcpListener> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) if files < settings.limits.max_connections as u64 + 256 => tracing::warn!(
            files,
            max_connections = settings.limits.max_connections,
            "the open-file limit is below max_connections plus the database's files"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))
}

/// Binds the operations listener, if the settings ask for one.
pub async fn bind_ops(settings: &Settings) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(addr) = &settings.ops_listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding ops_listen {addr}"))?;
    Ok(Some(listener))
}

/// Serves until SIGTERM or Ctrl-C, with the operations endpoints on `ops`
/// if given.
pub async fn run(
    listener: tokio::net::TcpListener,
    ops: Option<tokio::net::TcpListener>,
    state: AppState,
) -> anyhow::Result<()> {
    let store = state.ctx.store.clone();
    let pages = tiercare_web::routes(state.clone());
    if state.config.public_url.is_none() {
        tracing::warn!(
            "public_url is not set: links in answers name the address each connection reached"
        );
    }
    tiercare_api::serve_with_ops(listener, ops, state, pages, shutdown_signal())
        .await
        .context("serving HTTP")?;
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Sets up logging: `RUST_LOG` filters (default `info`), text or JSON.
pub fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_is_checked_at_start() {
        assert_eq!(extra_roots(None).unwrap(), None);
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = extra_roots(missing.to_str()).unwrap_err();
        assert!(format!("{e:#}").contains("subscription_ca_file"), "{e:#}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = extra_roots(empty.to_str()).unwrap_err();
        assert!(format!("{e:#}").contains("no PEM certificate"), "{e:#}");
        let ca = dir.path().join("ca.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.example".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(&ca, cert.pem()).unwrap();
        assert_eq!(extra_roots(ca.to_str()).unwrap(), Some(cert.pem()));
    }
}
