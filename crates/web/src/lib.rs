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
//!   its tables once for the page and for CSV, [`page`] lays them out;
//! - [`network`]: the resource-flow network of an alliance, drawn and in
//!   tables, with its partnerships classified, and as CSV and JSON;
//! - [`filter_form`]: the period and subject form of the dashboard and the
//!   joint programmes page, and the page that refuses a filter with the
//!   form again, the values sent kept and the field at fault marked.
//!
//! Pages are askama templates (`crates/web/templates`), which escape
//! everything they insert; charts are inline SVG drawn in Rust
//! ([`charts`]), so a page needs no script at all and the
//! Content-Security-Policy forbids scripts outright. The one stylesheet is
//! compiled into the binary and served under `/ui/static/`.

pub mod admin;
pub mod charts;
pub mod chrome;
pub mod dashboard;
pub mod desk;
pub mod doctor;
pub mod emergency;
pub mod filter_form;
pub mod form;
pub mod i18n;
pub mod insurer;
pub mod me;
pub mod names;
pub mod network;
pub mod notices;
pub mod office;
pub mod page;
pub mod programmes;
pub mod session;
pub mod specialist;
pub mod subjects;
pub mod tables;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tiercare_api::AppState;
use tiercare_api::error::ApiError;

pub use chrome::{Chrome, SignedIn, Workplace};
pub use i18n::Lang;

/// The UI's routes, with the security headers every UI response carries.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/ui", get(session::home))
        .route("/ui/", get(session::home))
        .route("/ui/lang", post(session::switch_language))
        .route(
            session::LOGIN_PATH,
            get(session::login_page).post(session::login),
        )
        .route("/ui/logout", post(session::logout))
        .route(dashboard::PATH, get(dashboard::page))
        .route(dashboard::CSV_PATH, get(dashboard::csv))
        .route(programmes::PATH, get(programmes::page))
        .route(programmes::CSV_PATH, get(programmes::csv))
        .route(network::PATH, get(network::page))
        .route(network::CSV_PATH, get(network::csv))
        .route(network::JSON_PATH, get(network::json))
        .route(STYLESHEET_PATH, get(stylesheet))
        .merge(specialist::routes())
        .merge(me::routes())
        .merge(admin::routes())
        .merge(office::routes())
        .merge(desk::routes())
        .merge(doctor::routes())
        .merge(emergency::routes())
        .merge(insurer::routes())
        .layer(axum::middleware::from_fn_with_state(state, in_frame))
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

/// The pages' own policy and referrer rule; `nosniff` and `DENY` framing
/// come from the server's headers on every answer
/// (`tiercare_api::ops::security_headers`), which fill in only what is
/// missing.
async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
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

/// Why a UI request was not answered with its page. Handlers return it;
/// [`in_frame`] renders it inside the page header, in the user's language.
#[derive(Debug, Clone)]
pub enum UiError {
    /// No valid session: go and sign in.
    SignIn,
    /// Signed in, but the role may not see the page.
    Forbidden,
    /// A form that did not come from this session.
    Csrf,
    /// A filter or form field the page cannot use (already in words).
    BadRequest(String),
    /// A filter of an oversight page it cannot use, with the field at
    /// fault: the page handler shows its form again with it
    /// ([`filter_form::refused`]); anywhere else it is a bad request.
    Refused(filter_form::Refusal),
    NotFound(String),
    /// Logged with its detail, shown as a bare 500.
    Internal(String),
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
            ServiceError::Forbidden(_) => UiError::Forbidden,
            other => UiError::Internal(other.to_string()),
        }
    }
}

impl From<tiercare_store::StoreError> for UiError {
    fn from(e: tiercare_store::StoreError) -> UiError {
        UiError::from(tiercare_service::ServiceError::from(e))
    }
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

/// A failure waiting for [`in_frame`] to render it, carried in the
/// response's extensions.
#[derive(Debug, Clone)]
struct Failure(UiError);

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = match &self {
            UiError::SignIn => return Redirect::to(session::LOGIN_PATH).into_response(),
            UiError::Forbidden | UiError::Csrf => StatusCode::FORBIDDEN,
            UiError::BadRequest(_) | UiError::Refused(_) => StatusCode::BAD_REQUEST,
            UiError::NotFound(_) => StatusCode::NOT_FOUND,
            UiError::Internal(detail) => {
                tracing::error!(%detail, "internal error in the web UI");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut resp = status.into_response();
        resp.extensions_mut().insert(Failure(self));
        resp
    }
}

impl UiError {
    /// The page for this error, in `chrome`'s language and frame.
    fn page(self, status: StatusCode, chrome: &Chrome) -> Response {
        let lang = chrome.lang;
        let (title, message) = match self {
            UiError::SignIn => return Redirect::to(session::LOGIN_PATH).into_response(),
            UiError::Forbidden => {
                let message = match &chrome.user {
                    Some(u) => lang.t_with(
                        "error-forbidden",
                        &[("user", u.username.clone()), ("role", u.role.clone())],
                    ),
                    None => lang.t("error-forbidden-title"),
                };
                (lang.t("error-forbidden-title"), message)
            }
            UiError::Csrf => (lang.t("error-forbidden-title"), lang.t("error-csrf")),
            UiError::BadRequest(m) => (lang.t("error-bad-request-title"), m),
            UiError::Refused(r) => (lang.t("error-bad-request-title"), r.message),
            UiError::NotFound(m) => (lang.t("error-not-found-title"), m),
            UiError::Internal(_) => (lang.t("error-internal-title"), lang.t("error-internal")),
        };
        render(
            status,
            &MessagePage {
                chrome,
                title: &title,
                message: &message,
            },
        )
    }
}

/// Renders a handler's [`UiError`] as a page with the full header (who is
/// signed in, their navigation, the language switch) in their language.
async fn in_frame(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let path = session::page_path(req.uri());
    let mut resp = next.run(req).await;
    let Some(Failure(error)) = resp.extensions_mut().remove::<Failure>() else {
        return resp;
    };
    let chrome = match session::viewer_of(&state, &headers, &path).await {
        Ok(Some(viewer)) => viewer.chrome(&state),
        _ => Chrome::anonymous(&state.ctx.region_name, Lang::of_request(&headers), &path),
    };
    error.page(resp.status(), &chrome)
}
