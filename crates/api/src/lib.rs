//! tiercare-api: the HTTP face of tiercare.
//!
//! - `/fhir/r4/...`: tiercare as FHIR R4, with the condition catalogue,
//!   `$triage`, transaction bundles and the audit trail;
//! - `/auth/token`: bearer tokens for the API;
//! - `/healthz`, `/readyz`, `/metrics`: operations;
//! - beside them, the `pages` the binary mounts (the web UI of
//!   `tiercare-web`).
//!
//! It owns HTTP only: routes, authentication, the server's state, and the
//! one mapping from the service error to a status and an
//! `OperationOutcome` ([`error::ApiError`]). Each handler parses with
//! `tiercare-fhir`, calls a service of `tiercare-service` and renders with
//! `tiercare-fhir`; business rules live in the services and the core, never
//! here.

pub mod auth;
pub mod body;
pub mod conditional;
pub mod conventions;
pub mod deadline;
pub mod definitions;
pub mod error;
pub mod export;
pub mod history;
pub mod limits;
pub mod ops;
pub mod routes;
pub mod server;
pub mod subscriptions;
pub mod throttle;
pub mod transaction;
pub mod workflow;

pub use limits::Limits;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use tiercare_core::RegionId;
use tiercare_core::policy::Policy;
use tiercare_fhir::clinical::RESULT_SEARCH;
use tiercare_fhir::insurance::{CLAIM_SEARCH, COVERAGE_SEARCH};
use tiercare_service::subscriptions::{DeliveryConfig, Outbox};
use tiercare_service::{Clock, Context};
use tiercare_store::Store;
use tower_http::trace::TraceLayer;

/// Settings of the HTTP face.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The base URL clients reach the server at, for links in responses;
    /// when unset, taken from the request's `Host` header.
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Lifetime of bearer tokens, in seconds.
    pub token_ttl_seconds: i64,
    /// Limits on connections, requests, sign-ins and periods.
    pub limits: Limits,
    /// Timeouts and retries of Subscription notifications.
    pub delivery: DeliveryConfig,
    /// Origins browsers may call the API from (CORS), e.g.
    /// `https://app.example.org`; `*` for any. Empty: no CORS headers.
    pub cors_origins: Vec<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            public_url: None,
            max_body_bytes: 16 * 1024 * 1024,
            token_ttl_seconds: 8 * 3600,
            limits: Limits::default(),
            delivery: DeliveryConfig::default(),
            cors_origins: Vec::new(),
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// What the services work with: store, region, policy, clock.
    pub ctx: Context,
    pub config: Arc<ApiConfig>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// A hash checked against when a username is unknown, so a failed
    /// login takes as long either way.
    pub dummy_hash: Arc<str>,
    /// Failed sign-ins and password checks under way.
    pub sign_ins: Arc<throttle::SignIns>,
    /// Bulk exports made or being made on this server.
    pub exports: Arc<export::Exports>,
}

impl AppState {
    /// Builds the state for a region, under the demo county's policy until
    /// [`with_policy`](Self::with_policy) sets the region's own.
    pub fn new(
        store: Store,
        region: RegionId,
        region_name: &str,
        config: ApiConfig,
    ) -> Result<AppState, error::ApiError> {
        Ok(AppState {
            ctx: Context::new(store, region, region_name, tiercare_fhir::search_terms),
            sign_ins: Arc::new(throttle::SignIns::new(&config.limits)),
            exports: export::exports(),
            config: Arc::new(config),
            metrics: ops::prometheus(),
            dummy_hash: auth::hash_password("not a real password")?.into(),
        })
    }

    /// The same state acting at the time `clock` tells.
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.ctx.clock = clock;
        self
    }

    /// The same state under another policy.
    pub fn with_policy(mut self, policy: Policy) -> AppState {
        self.ctx.policy = Arc::new(policy);
        self
    }
}

/// The whole HTTP application: the FHIR API, sign-in for tokens, the
/// operations endpoints and the `pages` (the web UI) mounted beside them,
/// inside the HTTP conventions clients expect ([`conventions`]).
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let config = state.config.clone();
    conventions::around(routes(state, pages), &config)
}

/// The routes of [`router`], before the conventions.
fn routes(state: AppState, pages: Router<AppState>) -> Router {
    let fhir = Router::new()
        .route("/", post(routes::transaction))
        .route("/metadata", get(routes::metadata))
        .route("/$export", get(export::system))
        .route("/Group/{id}/$export", get(export::group))
        .route(
            "/$export-status/{job}",
            get(export::status).delete(export::cancel),
        )
        .route("/$export-file/{job}/{file}", get(export::file))
        .route("/openapi.json", get(conventions::openapi))
        .route(
            "/.well-known/smart-configuration",
            get(conventions::smart_configuration),
        )
        .route(
            "/$estimate",
            get(routes::estimate_get).post(routes::estimate_post),
        )
        .route(
            "/CodeSystem",
            definitions::listing_route("CodeSystem", tiercare_fhir::terminology::code_systems),
        )
        .route(
            "/CodeSystem/$triage",
            get(routes::triage_get).post(routes::triage_post),
        )
        .route("/CodeSystem/{id}", get(definitions::code_system_read))
        .route(
            "/CodeSystem/{id}/$triage",
            get(routes::triage_get).post(routes::triage_post),
        )
        .route(
            "/OperationDefinition",
            definitions::listing_route(
                "OperationDefinition",
                tiercare_fhir::operations::definitions,
            ),
        )
        .route(
            "/OperationDefinition/{id}",
            get(definitions::operation_definition_read),
        )
        .route(
            "/ConceptMap",
            definitions::listing_route("ConceptMap", definitions::concept_maps),
        )
        .route("/ConceptMap/{id}", get(definitions::concept_map_read))
        .route(
            "/ServiceRequest",
            get(workflow::request_search).post(workflow::request_create),
        )
        .route("/ServiceRequest/{id}", get(workflow::request_read))
        .route(
            "/ServiceRequest/{id}/{operation}",
            get(workflow::request_operation_get).post(workflow::request_operation),
        )
        .route(
            "/Task",
            get(workflow::task_search).post(workflow::task_create),
        )
        .route("/Task/{id}", get(workflow::task_read))
        .route("/EpisodeOfCare", get(workflow::case_search))
        .route("/EpisodeOfCare/$alert", post(workflow::case_alert))
        .route("/EpisodeOfCare/{id}", get(workflow::case_read))
        .route(
            "/EpisodeOfCare/{id}/{operation}",
            post(workflow::case_operation),
        )
        .route("/Task/{id}/{operation}", post(workflow::task_operation))
        .route(
            "/Observation",
            get(workflow::observation_search).post(workflow::observation_create),
        )
        .route(
            "/Observation/{id}",
            workflow::record_read_route("Observation"),
        )
        .route(
            "/DiagnosticReport",
            workflow::records_search_route("DiagnosticReport", RESULT_SEARCH)
                .post(workflow::report_create),
        )
        .route(
            "/DiagnosticReport/{id}",
            workflow::record_read_route("DiagnosticReport"),
        )
        .route(
            "/Communication",
            get(workflow::communication_search).post(workflow::communication_create),
        )
        .route("/Communication/{id}", get(workflow::communication_read))
        .route(
            "/Organization/{id}/{operation}",
            get(workflow::organization_operation),
        )
        .route("/Measure", get(workflow::measure_search))
        .route(
            "/Measure/$evaluate-measure",
            get(workflow::evaluate_all_get).post(workflow::evaluate_all_post),
        )
        .route("/Measure/{id}", get(workflow::measure_read))
        .route(
            "/Measure/{id}/{operation}",
            get(workflow::measure_operation_get).post(workflow::measure_operation_post),
        )
        .route(
            "/Coverage",
            workflow::records_search_route("Coverage", COVERAGE_SEARCH),
        )
        .route(
            "/Coverage/{id}",
            workflow::record_read_route("Coverage").put(workflow::coverage_update),
        )
        .route(
            "/ExplanationOfBenefit",
            workflow::records_search_route("ExplanationOfBenefit", CLAIM_SEARCH),
        )
        .route(
            "/ExplanationOfBenefit/{id}",
            workflow::record_read_route("ExplanationOfBenefit"),
        )
        .route(
            "/CarePlan",
            get(workflow::care_plan_search).post(workflow::care_plan_create),
        )
        .route("/CarePlan/$due", get(workflow::panel_due))
        .route("/CarePlan/{id}", get(workflow::care_plan_read))
        .route(
            "/CarePlan/{id}/{operation}",
            get(workflow::panel_operation_get).post(workflow::care_plan_operation),
        )
        .route("/Slot", get(workflow::slot_search))
        .route("/Slot/{id}", get(workflow::slot_read))
        .route("/Slot/{id}/{operation}", post(workflow::slot_operation))
        .route(
            "/Schedule",
            get(workflow::schedule_search).post(workflow::schedule_create),
        )
        .route("/Schedule/{id}", get(workflow::schedule_read))
        .route(
            "/Schedule/{id}/{operation}",
            post(workflow::schedule_operation),
        )
        .route(
            "/HealthcareService",
            get(workflow::programme_search).post(workflow::programme_create),
        )
        .route("/HealthcareService/$triage", post(workflow::centre_triage))
        .route("/HealthcareService/{id}", get(workflow::programme_read))
        .route(
            "/HealthcareService/{id}/{operation}",
            post(workflow::programme_operation),
        )
        .route(
            "/CareTeam",
            get(workflow::care_team_search).post(workflow::care_team_create),
        )
        .route(
            "/CareTeam/{id}/{operation}",
            post(workflow::care_team_operation),
        )
        .route(
            "/Appointment",
            get(workflow::appointment_search).post(workflow::appointment_create),
        )
        .route(
            "/Appointment/{id}",
            workflow::visit_read_route("Appointment"),
        )
        .route(
            "/Appointment/{id}/{operation}",
            post(workflow::appointment_operation),
        )
        .route("/Encounter", get(workflow::encounter_search))
        .route("/Encounter/{id}", workflow::visit_read_route("Encounter"))
        .route(
            "/Encounter/{id}/{operation}",
            post(workflow::encounter_operation),
        )
        .route(
            "/Subscription",
            get(subscriptions::subscription_search).post(subscriptions::subscription_create),
        )
        .route(
            "/Subscription/{id}",
            get(subscriptions::subscription_read)
                .put(subscriptions::subscription_update)
                .delete(subscriptions::subscription_delete),
        )
        .route("/AuditEvent", get(routes::audit_search))
        .route("/AuditEvent/{id}", get(routes::audit_read))
        .route(
            "/{type}",
            get(routes::search)
                .post(routes::create)
                .put(conditional::update),
        )
        .route("/{type}/{id}", get(routes::read).put(routes::update))
        .route("/{type}/_history", get(history::of_type))
        .route("/{type}/{id}/_history", get(history::instance))
        .route(
            "/Organization/{id}/_history",
            history::instance_route("Organization"),
        )
        .route(
            "/CareTeam/{id}/_history",
            history::instance_route("CareTeam"),
        )
        .route("/{type}/{id}/_history/{vid}", get(routes::vread))
        .route(
            "/ServiceRequest/_history",
            workflow::history_type_route("ServiceRequest"),
        )
        .route(
            "/ServiceRequest/{id}/_history",
            workflow::history_instance_route("ServiceRequest"),
        )
        .route("/Task/_history", workflow::history_type_route("Task"))
        .route(
            "/Task/{id}/_history",
            workflow::history_instance_route("Task"),
        )
        .route(
            "/Appointment/_history",
            workflow::history_type_route("Appointment"),
        )
        .route(
            "/Appointment/{id}/_history",
            workflow::history_instance_route("Appointment"),
        )
        .route(
            "/Encounter/_history",
            workflow::history_type_route("Encounter"),
        )
        .route(
            "/Encounter/{id}/_history",
            workflow::history_instance_route("Encounter"),
        )
        .route(
            "/Observation/_history",
            workflow::history_type_route("Observation"),
        )
        .route(
            "/Observation/{id}/_history",
            workflow::history_instance_route("Observation"),
        )
        .route(
            "/DiagnosticReport/_history",
            workflow::history_type_route("DiagnosticReport"),
        )
        .route(
            "/DiagnosticReport/{id}/_history",
            workflow::history_instance_route("DiagnosticReport"),
        )
        .route(
            "/CarePlan/_history",
            workflow::history_type_route("CarePlan"),
        )
        .route(
            "/CarePlan/{id}/_history",
            workflow::history_instance_route("CarePlan"),
        )
        .route(
            "/Coverage/_history",
            workflow::history_type_route("Coverage"),
        )
        .route(
            "/Coverage/{id}/_history",
            workflow::history_instance_route("Coverage"),
        )
        .route(
            "/ExplanationOfBenefit/_history",
            workflow::history_type_route("ExplanationOfBenefit"),
        )
        .route(
            "/ExplanationOfBenefit/{id}/_history",
            workflow::history_instance_route("ExplanationOfBenefit"),
        )
        .route("/Slot/_history", workflow::history_type_route("Slot"))
        .route(
            "/Slot/{id}/_history",
            workflow::history_instance_route("Slot"),
        )
        .route(
            "/Schedule/_history",
            workflow::history_type_route("Schedule"),
        )
        .route(
            "/Schedule/{id}/_history",
            workflow::history_instance_route("Schedule"),
        )
        .route(
            "/HealthcareService/_history",
            workflow::history_type_route("HealthcareService"),
        )
        .route(
            "/HealthcareService/{id}/_history",
            workflow::history_instance_route("HealthcareService"),
        );
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/", get(ops::landing))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz_signed_in))
        .route("/metrics", get(ops::metrics_signed_in))
        .route("/auth/token", post(auth::token))
        .route("/auth/revoke", post(auth::revoke))
        .route("/auth/logout", post(auth::logout))
        .route(
            "/.well-known/smart-configuration",
            get(conventions::smart_configuration),
        )
        .nest("/fhir/r4", fhir)
        .merge(pages)
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            subscriptions::delivery::wake_after_change,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            deadline::deadline,
        ))
        .layer(axum::middleware::map_response(ops::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the application on a bound listener until `shutdown` resolves,
/// then finishes in-flight requests. The Subscription outbox runs
/// alongside and stops with it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    pages: Router<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_ops(listener, None, state, pages, shutdown).await
}

/// [`serve`], with the operations endpoints (`/healthz`, `/readyz`,
/// `/metrics`) also on `ops` without a token: a listen address for the
/// load balancer and the metrics collector, kept off the public network.
/// On the main listener `/readyz` and `/metrics` need an administrator's
/// token.
pub async fn serve_with_ops(
    listener: tokio::net::TcpListener,
    ops: Option<tokio::net::TcpListener>,
    state: AppState,
    pages: Router<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let outbox = subscriptions::delivery::RestHook::new(&state)
        .map(|hook| Outbox::start(state.ctx.clone(), state.config.delivery.clone(), hook));
    let limits = state.config.limits.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let ops_app = ops::router(state.clone());
    let trust_host = state.config.public_url.is_some();
    let app = router(state, pages);
    let main = server::accept(listener, app, &limits, trust_host, stopped.clone());
    match ops {
        Some(ops) => {
            tokio::join!(
                main,
                server::accept(ops, ops_app, &limits, trust_host, stopped)
            );
        }
        None => main.await,
    }
    if let Some(outbox) = outbox {
        outbox.stop().await;
    }
    Ok(())
}
