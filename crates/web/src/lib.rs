//! tiercare-web: the server-rendered pages for people in a browser.
//!
//! It owns the pages, their templates and stylesheet, browser sessions and
//! the one mapping from the service error to a page ([`UiError`]). Pages
//! call the services (`tiercare_service`) directly; they take the server's
//! state and its password and token checks from `tiercare_api`, and must
//! not use its FHIR handlers or speak FHIR JSON.
//!
//! - [`session`]: sign-in with a username and password, a session cookie
//!   (HttpOnly, SameSite=Strict, Secure behind https), CSRF tokens on every
//!   form that changes something, sign-out;
//! - [`dashboard`]: the indicator dashboard for administrators and
//!   analysts: its filters, its figures and its handlers; [`tables`] holds
//!   its tables once for the page and for CSV, [`page`] lays them out.
//!
//! Pages are askama templates (`crates/web/templates`), which escape
//! everything they insert; charts are inline SVG drawn in Rust
//! ([`charts`]), so a page needs no script at all and the
//! Content-Security-Policy forbids scripts outright. The one stylesheet is
//! compiled into the binary and served under `/ui/static/`.

pub mod charts;
pub mod dashboard;
pub mod page;
pub mod programmes;
pub mod session;
pub mod tables;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tiercare_api::AppState;
use tiercare_api::error::ApiError;

/// The UI's routes, with the security headers every UI response carries.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::to(dashboard::PATH) }))
        .route(
            session::LOGIN_PATH,
            get(session::login_page).post(session::login),
        )
        .route("/ui/logout", post(session::logout))
        .route(dashboard::PATH, get(dashboard::page))
        .route(dashboard::CSV_PATH, get(dashboard::csv))
        .route(programmes::PATH, get(programmes::page))
        .route(programmes::CSV_PATH, get(programmes::csv))
        .route(STYLESHEET_PATH, get(stylesheet))
        .layer(axum::middleware::map_response(security_headers))
}

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/ui/static/tiercare.css";

const STYLESHEET: &str = include_str!("../static/tiercare.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// No scripts, no plugins, no framing, forms only to ourselves: the pages
/// are plain HTML with inline SVG and one stylesheet of our own.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    ];
    for (name, value) in set {
        h.insert(name, value);
    }
    // Pages show figures that change and are for one user: never cached.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The frame every page shares: the region, and who is signed in (with
/// the sign-out form and its CSRF token).
#[derive(Debug)]
pub struct Chrome {
    pub region: String,
    pub user: Option<SignedIn>,
}

/// The signed-in user as the page header shows them.
#[derive(Debug)]
pub struct SignedIn {
    pub username: String,
    pub role: String,
    pub csrf: String,
}

/// A page with a title and a message: errors, and the 403 page.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    message: &'a str,
}

/// Renders a template, or a plain 500 if it cannot be (a template bug:
/// logged, not shown).
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Why a UI request was not answered with its page.
#[derive(Debug)]
pub enum UiError {
    /// No valid session: go and sign in.
    SignIn,
    /// Signed in, but the role may not see the page (the header still
    /// shows who is signed in, with the sign-out form).
    Forbidden(Box<Chrome>),
    /// A filter or form field the page cannot use.
    BadRequest(String),
    NotFound(String),
    /// Logged with its detail, shown as a bare 500.
    Internal(String),
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        match e {
            ApiError::Invalid { message, .. } | ApiError::Unprocessable { message, .. } => {
                UiError::BadRequest(message)
            }
            ApiError::NotFound(m) => UiError::NotFound(m),
            ApiError::Unauthenticated => UiError::SignIn,
            other => UiError::Internal(other.to_string()),
        }
    }
}

/// The one mapping from the services' error to a page.
impl From<tiercare_service::ServiceError> for UiError {
    fn from(e: tiercare_service::ServiceError) -> UiError {
        use tiercare_service::ServiceError;
        match e {
            ServiceError::Invalid { message, .. } | ServiceError::Rule { message, .. } => {
                UiError::BadRequest(message)
            }
            ServiceError::NotFound(m) => UiError::NotFound(m),
            other => UiError::Internal(other.to_string()),
        }
    }
}

impl From<tiercare_store::StoreError> for UiError {
    fn from(e: tiercare_store::StoreError) -> UiError {
        UiError::from(ApiError::from(e))
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let bare = Chrome {
            region: String::new(),
            user: None,
        };
        let (status, chrome, title, message) = match self {
            UiError::SignIn => return Redirect::to(session::LOGIN_PATH).into_response(),
            UiError::Forbidden(chrome) => {
                let message = match &chrome.user {
                    Some(u) => format!(
                        "You are signed in as {} ({}). The indicator dashboard is for \
                         administrators and analysts; a joint programme's evaluation for them \
                         and for the staff of the programme.",
                        u.username, u.role
                    ),
                    None => "This page is for administrators and analysts.".into(),
                };
                (StatusCode::FORBIDDEN, *chrome, "Not allowed", message)
            }
            UiError::BadRequest(m) => (StatusCode::BAD_REQUEST, bare, "Cannot show this", m),
            UiError::NotFound(m) => (StatusCode::NOT_FOUND, bare, "Not found", m),
            UiError::Internal(detail) => {
                tracing::error!(%detail, "internal error in the web UI");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    bare,
                    "Something went wrong",
                    "The server could not build this page; the error is logged.".into(),
                )
            }
        };
        render(
            status,
            &MessagePage {
                chrome: &chrome,
                title,
                message: &message,
            },
        )
    }
}
