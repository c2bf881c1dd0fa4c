//! Browser sessions: sign-in with the same password check as the token
//! endpoint, a session cookie, CSRF tokens, sign-out.
//!
//! A session is an opaque 256-bit token in an HttpOnly, SameSite=Strict
//! cookie (Secure when the public URL is https), limited to `/ui`. The
//! store keeps only its hash, in the tokens table, under a `ui-session:`
//! prefix: an API bearer token's hash is plain hex, so a session cookie can
//! never be replayed as a bearer token against the FHIR API, nor a bearer
//! token as a session. Sign-out writes an `ui-ended:` marker for the
//! session next to it (the store has no token removal), and a session with
//! a marker is over.
//!
//! Forms that change something carry a CSRF token besides SameSite=Strict:
//! the sign-out form a token derived from the session (SHA-256 of the
//! session token, so it needs no storage and reveals nothing), the sign-in
//! form a random token also set as a short-lived cookie (double submit),
//! since there is no session yet to tie it to.

use super::{Chrome, UiError, Workplace, render};
use crate::i18n::{LANG_COOKIE, Lang};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_api::auth::{authenticate, expiry, new_token, token_hash, unix_now};
use tiercare_api::error::ApiError;
use tiercare_core::access::{Actor, UserRole};

/// The sign-in page.
pub const LOGIN_PATH: &str = "/ui/login";

/// The session cookie.
pub const SESSION_COOKIE: &str = "tiercare_session";

/// The sign-in form's double-submit CSRF cookie.
pub const LOGIN_COOKIE: &str = "tiercare_login";

/// How long the sign-in form stays valid, in seconds.
const LOGIN_FORM_SECONDS: i64 = 3600;

fn session_key(token: &str) -> String {
    format!("ui-session:{}", token_hash(token))
}

fn ended_key(token: &str) -> String {
    format!("ui-ended:{}", token_hash(token))
}

/// The CSRF token of a session's forms.
fn csrf_of(token: &str) -> String {
    token_hash(&format!("csrf:{token}"))
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Tokens are 64 lowercase hex digits; anything else in a cookie is not
/// ours and is ignored before it reaches the store.
fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The value of a cookie in the request, if it holds a token.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| is_token(v))
}

/// A `Set-Cookie` value for one of our cookies (`max_age` 0 removes it).
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

fn with_cookies(
    mut resp: Response,
    cookies: impl IntoIterator<Item = Option<HeaderValue>>,
) -> Response {
    for c in cookies.into_iter().flatten() {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// A signed-in browser user, from the session cookie. Extracting it fails
/// with a redirect to the sign-in page when there is no live session.
pub struct Viewer {
    pub actor: Actor,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// The language the pages speak to this user.
    pub lang: Lang,
    /// Where the user's work is: their home page and navigation.
    pub workplace: Workplace,
    /// The page asked for (path and query), for the language switch.
    pub path: String,
    token: String,
}

impl Viewer {
    /// The page header for this user.
    pub fn chrome(&self, state: &AppState) -> Chrome {
        Chrome::signed_in(
            &state.ctx.region_name,
            self.lang,
            &self.path,
            &self.actor,
            self.workplace,
            &self.csrf,
        )
    }

    /// Refuses (403) anyone but administrators and analysts: the
    /// dashboard shows aggregates of the whole region.
    pub fn may_see_indicators(&self) -> Result<(), UiError> {
        match self.actor.role {
            UserRole::Admin | UserRole::Analyst => Ok(()),
            _ => Err(UiError::Forbidden),
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        if same_secret(&self.csrf, sent) {
            Ok(())
        } else {
            Err(UiError::Csrf)
        }
    }
}

/// The path and query of a page, for coming back to it: only our own
/// pages, so a crafted link cannot send the browser elsewhere.
pub fn page_path(uri: &axum::http::Uri) -> String {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/ui");
    safe_back(path).unwrap_or("/ui").to_string()
}

/// `back` if it is a page of ours (a path under `/ui`, not `//host`).
fn safe_back(back: &str) -> Option<&str> {
    let ours = back == "/ui" || back.starts_with("/ui/") || back.starts_with("/ui?");
    let clean = !back.contains(['\\', '\r', '\n']) && !back.starts_with("//");
    (ours && clean && back.len() <= 2000).then_some(back)
}

/// The live session the request's cookie names, if any.
pub async fn viewer_of(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<Option<Viewer>, UiError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = unix_now();
    let Some(user) = state
        .ctx
        .store
        .user_by_token(&session_key(&token), now)
        .await?
    else {
        return Ok(None);
    };
    if state
        .ctx
        .store
        .user_by_token(&ended_key(&token), now)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let workplace = Workplace::of(&state.ctx, &user.actor).await;
    // The language the user chose is theirs on every device; a browser's
    // own choice applies until they make one.
    let lang = user
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| Lang::of_request(headers));
    Ok(Some(Viewer {
        actor: user.actor,
        csrf: csrf_of(&token),
        lang,
        workplace,
        path: path.to_string(),
        token,
    }))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let path = page_path(&parts.uri);
        viewer_of(state, &parts.headers, &path)
            .await?
            .ok_or(UiError::SignIn)
    }
}

/// `GET /ui`: the signed-in user's worklist, or the sign-in page.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match viewer_of(&state, &headers, "/ui").await {
        Ok(Some(v)) => Redirect::to(v.workplace.home()).into_response(),
        Ok(None) => Redirect::to(LOGIN_PATH).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The language switch's fields.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    lang: Option<String>,
    back: Option<String>,
    csrf: Option<String>,
}

/// `POST /ui/lang`: remembers the language in this browser and goes back
/// to the page it was chosen on. A signed-in user's switch must carry the
/// session's CSRF token; before sign-in it only sets a cookie.
pub async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LanguageForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return UiError::BadRequest(Lang::of_request(&headers).t("error-csrf")).into_response();
    };
    let viewer = match viewer_of(&state, &headers, "/ui").await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let lang = form
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_default();
    if let Some(v) = &viewer {
        if let Err(e) = v.check_csrf(form.csrf.as_deref().unwrap_or("")) {
            return e.into_response();
        }
        // Remembered for the user, not only for this browser.
        if let Err(e) = tiercare_service::users::Users::new(&state.ctx, &v.actor)
            .set_lang(Some(lang.code()))
            .await
        {
            return UiError::from(e).into_response();
        }
    }
    let back = form
        .back
        .as_deref()
        .and_then(safe_back)
        .unwrap_or("/ui")
        .to_string();
    with_cookies(
        Redirect::to(&back).into_response(),
        [lang_cookie(&state, lang)],
    )
}

/// The cookie that remembers a language for a year.
fn lang_cookie(state: &AppState, lang: Lang) -> Option<HeaderValue> {
    set_cookie(state, LANG_COOKIE, lang.code(), 365 * 24 * 3600)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    chrome: &'a Chrome,
    csrf: &'a str,
    username: &'a str,
    message: &'a str,
}

/// The sign-in form with a fresh CSRF token (also set as its cookie).
fn login_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    username: &str,
    message_key: &str,
) -> Response {
    let csrf = new_token();
    let chrome = Chrome::anonymous(&state.ctx.region_name, lang, LOGIN_PATH);
    let message = if message_key.is_empty() {
        String::new()
    } else {
        lang.t(message_key)
    };
    let message = message.as_str();
    let page = render(
        status,
        &LoginPage {
            chrome: &chrome,
            csrf: &csrf,
            username,
            message,
        },
    );
    with_cookies(
        page,
        [set_cookie(state, LOGIN_COOKIE, &csrf, LOGIN_FORM_SECONDS)],
    )
}

/// `GET /ui/login`: the sign-in form, or the user's worklist when already
/// signed in.
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match viewer_of(&state, &headers, LOGIN_PATH).await {
        Ok(Some(v)) => Redirect::to(v.workplace.home()).into_response(),
        Ok(None) => login_form(&state, Lang::of_request(&headers), StatusCode::OK, "", ""),
        Err(e) => e.into_response(),
    }
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
}

/// `POST /ui/login`: checks the form's CSRF token and the password, opens
/// a session and sends the browser to the user's worklist. Wrong credentials
/// give the form again with a message and 401.
pub async fn login(
    State(state): State<AppState>,
    addrs: Option<axum::Extension<tiercare_api::server::ConnectionAddrs>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let from = addrs.map(|a| a.peer.ip());
    let lang = Lang::of_request(&headers);
    let Ok(Form(form)) = form else {
        return login_form(&state, lang, StatusCode::BAD_REQUEST, "", "login-not-form");
    };
    let username = form.username.unwrap_or_default();
    let expected = cookie(&headers, LOGIN_COOKIE);
    let sent = form.csrf.unwrap_or_default();
    if !expected.is_some_and(|e| same_secret(&e, &sent)) {
        return login_form(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            &username,
            "login-expired",
        );
    }
    let password = form.password.unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        return login_form(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            &username,
            "login-missing",
        );
    }
    let user = match authenticate(&state, &username, password, from).await {
        Ok(u) => u,
        Err(ApiError::Throttled { retry_after, .. }) => {
            let mut resp = login_form(
                &state,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                &username,
                "login-locked",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            return resp;
        }
        Err(ApiError::Busy(_)) => {
            return login_form(
                &state,
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                &username,
                "login-busy",
            );
        }
        Err(e) => return UiError::from(e).into_response(),
    };
    let Some(user) = user else {
        return login_form(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            &username,
            "login-wrong",
        );
    };
    let token = new_token();
    let ttl = state.config.token_ttl_seconds;
    // A multi-site practitioner's session works at the day's site.
    let site = match tiercare_service::users::site::away_today(&state.ctx, &user.actor).await {
        Ok(site) => site,
        Err(e) => return UiError::from(e).into_response(),
    };
    let mut actor = user.actor.clone();
    if let Some(site) = &site {
        actor.institution = Some(site.clone());
    }
    if let Err(e) = state
        .ctx
        .store
        .add_token(
            &session_key(&token),
            &actor.username,
            expiry(ttl),
            site.as_ref().map(|s| s.as_str()),
        )
        .await
    {
        return UiError::from(e).into_response();
    }
    let workplace = Workplace::of(&state.ctx, &actor).await;
    // The user's own language follows them to this browser, the sign-in
    // page included.
    let remembered = user
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .and_then(|l| lang_cookie(&state, l));
    with_cookies(
        Redirect::to(workplace.home()).into_response(),
        [
            set_cookie(&state, SESSION_COOKIE, &token, ttl),
            set_cookie(&state, LOGIN_COOKIE, "", 0),
            remembered,
        ],
    )
}

/// The sign-out form's field.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /ui/logout`: ends the session (its CSRF token must match) and
/// sends the browser to the sign-in page.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let viewer = match viewer_of(&state, &headers, LOGIN_PATH).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let clear = set_cookie(&state, SESSION_COOKIE, "", 0);
    let Some(viewer) = viewer else {
        return with_cookies(Redirect::to(LOGIN_PATH).into_response(), [clear]);
    };
    let sent = form.ok().and_then(|Form(f)| f.csrf).unwrap_or_default();
    if !same_secret(&viewer.csrf, &sent) {
        return UiError::BadRequest(viewer.lang.t("error-signout-csrf")).into_response();
    }
    let ttl = state.config.token_ttl_seconds;
    if let Err(e) = state
        .ctx
        .store
        .add_token(
            &ended_key(&viewer.token),
            &viewer.actor.username,
            expiry(ttl),
            None,
        )
        .await
    {
        return UiError::from(e).into_response();
    }
    with_cookies(Redirect::to(LOGIN_PATH).into_response(), [clear])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_cookies_are_read() {
        let token = "ab".repeat(32);
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {SESSION_COOKIE}={token}")).unwrap(),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("tiercare_login=x'; DROP TABLE users"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some(token));
        assert_eq!(cookie(&h, LOGIN_COOKIE), None);
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn session_keys_never_look_like_bearer_token_hashes() {
        let t = new_token();
        // The API looks tokens up by their plain hex hash.
        assert!(is_token(&token_hash(&t)));
        assert!(!is_token(&session_key(&t)));
        assert!(!is_token(&ended_key(&t)));
        assert_ne!(csrf_of(&t), token_hash(&t));
        assert!(same_secret(&csrf_of(&t), &csrf_of(&t)));
        assert!(!same_secret(&csrf_of(&t), &csrf_of(&new_token())));
        assert!(!same_secret("abc", "ab"));
    }
}
