//! Authentication: opaque bearer tokens issued by an OAuth2-style token
//! endpoint, and the extractor that turns a request's `Authorization`
//! header into the [`Actor`] making it. Passwords are hashed and checked by
//! `tiercare_service::users::password`, the one place argon2 is used.
//!
//! Tokens are 256 random bits, shown to the client once and stored only as
//! their SHA-256 hash. A disabled account is refused at sign-in and its
//! tokens stop working: the store's lookups skip it.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use tiercare_core::access::Actor;
use tiercare_service::users;
use tiercare_store::User;

/// Hashes a password (PHC string format), without the service's length
/// rule: for the dummy hash of failed sign-ins and for accounts made
/// directly in the store.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    users::hash_password(password)
        .map(users::PasswordHash::into_string)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    users::verify_password(password, hash)
}

/// The SHA-256 of a token, in hex: what the store keeps instead of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new opaque token: 256 random bits in hex.
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The user with this username and password, or `None` when either is
/// wrong or the account is disabled. The password is checked even for an
/// unknown or disabled username, so a failed login takes as long either
/// way and does not reveal which names exist. Shared by the token endpoint
/// and the browser login; `from` is the client's address. Throttled
/// ([`SignIns`](crate::throttle::SignIns)): a locked account or address is
/// refused with [`ApiError::Throttled`] before any password is checked,
/// and [`ApiError::Busy`] answers when too many checks already wait.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: String,
    from: Option<IpAddr>,
) -> Result<Option<User>, ApiError> {
    let guard = &state.sign_ins;
    guard.admit(username, from)?;
    let user = state.ctx.store.enabled_user(username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let ok = guard
        .check(username, from, move || verify_password(&password, &hash))
        .await?;
    match user.filter(|_| ok) {
        Some(user) => {
            guard.succeeded(username);
            Ok(Some(user))
        }
        None => {
            guard.failed(username, from);
            Ok(None)
        }
    }
}

/// The client address of a request, from its connection.
pub fn client_address(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<crate::server::ConnectionAddrs>()
        .map(|a| a.peer.ip())
}

/// When a token issued now with lifetime `ttl` seconds expires.
pub fn expiry(ttl: i64) -> i64 {
    unix_now().saturating_add(ttl)
}

/// The bearer token of a request's `Authorization` header.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The authenticated user making a request. Extracting it fails with 401
/// when the token is missing, unknown or expired, or its account disabled.
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let user = state
            .ctx
            .store
            .user_by_token(&token_hash(token), unix_now())
            .await?;
        user.map(|u| Caller(u.actor))
            .ok_or(ApiError::Unauthenticated)
    }
}

/// What every FHIR handler starts from: the server's state, who is asking
/// (401 without a valid token) and the request's headers (for `If-Match`,
/// the base URL of links, the body's media type). A handler takes it as
/// `Request(state, actor, headers): Request`.
pub struct Request(pub AppState, pub Actor, pub axum::http::HeaderMap);

impl FromRequestParts<AppState> for Request {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        Ok(Request(state.clone(), actor, parts.headers.clone()))
    }
}

/// Form fields of the token request (RFC 6749 section 4.3).
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}

/// `POST /auth/token`: exchanges a username and password for a bearer
/// token. Errors follow OAuth2: `invalid_request`,
/// `unsupported_grant_type`, `invalid_grant`.
pub async fn token(
    State(state): State<AppState>,
    addrs: Option<axum::Extension<crate::server::ConnectionAddrs>>,
    form: Result<Form<TokenRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(req)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send grant_type, username and password as application/x-www-form-urlencoded",
        );
    };
    if req.grant_type.as_deref() != Some("password") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=password is supported",
        );
    }
    let (Some(username), Some(password)) = (req.username, req.password) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "username and password are required",
        );
    };
    let from = addrs.map(|a| a.peer.ip());
    let user = match authenticate(&state, &username, password, from).await {
        Ok(u) => u,
        Err(ApiError::Throttled {
            message,
            retry_after,
        }) => {
            let mut resp = oauth_error(StatusCode::TOO_MANY_REQUESTS, "invalid_grant", &message);
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after.into());
            return resp;
        }
        Err(ApiError::Busy(message)) => {
            let mut resp = oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                &message,
            );
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1u64.into());
            return resp;
        }
        Err(e) => return e.into_response(),
    };
    let Some(user) = user else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown username or wrong password",
        );
    };
    let token = new_token();
    let ttl = state.config.token_ttl_seconds;
    let site = match users::site::away_today(&state.ctx, &user.actor).await {
        Ok(site) => site,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(e) = state
        .ctx
        .store
        .add_token(
            &token_hash(&token),
            &user.actor.username,
            expiry(ttl),
            site.as_ref().map(|s| s.as_str()),
        )
        .await
    {
        return ApiError::from(e).into_response();
    }
    let mut resp = Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": user.actor.role.code(),
    }))
    .into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}

/// Form field of a revocation request (RFC 7009).
#[derive(Debug, Deserialize)]
pub struct RevokeRequest {
    token: Option<String>,
}

/// `POST /auth/revoke` with `token=...`: ends that token at once, on every
/// server. As RFC 7009 asks, the answer is 200 whether or not the token
/// was known, so the endpoint tells nobody which tokens exist; whoever
/// holds a token may end it.
pub async fn revoke(
    State(state): State<AppState>,
    form: Result<Form<RevokeRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(token) = form
        .ok()
        .and_then(|Form(f)| f.token)
        .filter(|t| !t.is_empty())
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send token=... as application/x-www-form-urlencoded",
        );
    };
    match state.ctx.store.revoke_token(&token_hash(&token)).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /auth/logout` with a bearer token: ends the caller's own token
/// (204). The account's other tokens and sessions go on.
pub async fn logout(
    State(state): State<AppState>,
    _caller: Caller,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return ApiError::Unauthenticated.into_response();
    };
    match state.ctx.store.revoke_token(&token_hash(token)).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
