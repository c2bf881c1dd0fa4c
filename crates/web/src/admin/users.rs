//! User accounts: the administrator lists them, adds one, changes a role,
//! disables or enables an account and sets a new password. Every change
//! goes through the user service, which checks and audits it; a disabled
//! account's sessions end at once.

use super::{Tab, USERS_PATH, admin, tabs};
use crate::chrome::Chrome;
use crate::form::{FieldErrors, required};
use crate::i18n::Lang;
use crate::session::Viewer;
use crate::{UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::access::UserRole;
use tiercare_service::ServiceError;
use tiercare_service::users::{NewAccount, Users};

/// One account as the list shows it.
pub struct AccountRow {
    pub username: String,
    pub role: String,
    pub role_code: String,
    pub institution: String,
    pub disabled: bool,
    pub lang: String,
    /// A refused change of this account, shown in its row.
    pub error: Option<String>,
    /// Which of the row's fields the error is about (`role`, `password`,
    /// `disable`, `enable`).
    pub error_field: String,
}

/// A choice in a drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    notice: String,
    accounts: Vec<AccountRow>,
    roles: Vec<Choice>,
    institutions: Vec<Choice>,
    /// The add form's values when it comes back with errors.
    add: AddForm,
    errors: FieldErrors,
}

/// The add form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub practitioner: String,
    #[serde(default)]
    pub resident: String,
    #[serde(default)]
    csrf: String,
}

/// The row forms' fields: a role, or a new password.
#[derive(Debug, Default, Deserialize)]
pub struct ChangeForm {
    role: Option<String>,
    password: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// What was done, for the notice after the redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    user: Option<String>,
}

fn role_choices(lang: Lang) -> Vec<Choice> {
    UserRole::ALL
        .iter()
        .map(|r| Choice {
            value: r.code().into(),
            label: lang.coded("role", r.code()),
        })
        .collect()
}

async fn page_of(
    state: &AppState,
    viewer: &Viewer,
    notice: String,
    add: AddForm,
    errors: FieldErrors,
) -> Result<UsersPage, UiError> {
    let lang = viewer.lang;
    let accounts = Users::new(&state.ctx, &viewer.actor).list().await?;
    let (orgs, _) = tiercare_service::registry::Registry::new(&state.ctx, &viewer.actor)
        .search(
            "Organization",
            tiercare_service::search::query("Organization", vec![]),
            "user administration",
        )
        .await?;
    let names: HashMap<String, String> = orgs
        .into_iter()
        .filter_map(|s| match s.record {
            tiercare_core::Record::Institution(i) => Some((i.id.to_string(), i.name)),
            _ => None,
        })
        .collect();
    let mut institutions: Vec<Choice> = names
        .iter()
        .map(|(id, name)| Choice {
            value: id.clone(),
            label: name.clone(),
        })
        .collect();
    institutions.sort_by(|a, b| a.label.cmp(&b.label));
    let accounts = accounts
        .into_iter()
        .map(|a| {
            let mine = format!("{}.", a.actor.username);
            let err = errors.all().iter().find(|(f, _)| f.starts_with(&mine));
            AccountRow {
                error: err.map(|(_, m)| m.clone()),
                error_field: err
                    .map(|(f, _)| f[mine.len()..].to_string())
                    .unwrap_or_default(),
                role: lang.coded("role", a.actor.role.code()),
                role_code: a.actor.role.code().into(),
                institution: a
                    .actor
                    .institution
                    .as_ref()
                    .map(|i| {
                        names
                            .get(i.as_str())
                            .cloned()
                            .unwrap_or_else(|| i.to_string())
                    })
                    .unwrap_or_default(),
                disabled: a.disabled,
                lang: a
                    .lang
                    .as_deref()
                    .and_then(Lang::parse)
                    .map(|l| l.name().to_string())
                    .unwrap_or_default(),
                username: a.actor.username,
            }
        })
        .collect();
    Ok(UsersPage {
        chrome: viewer.chrome(state),
        tabs: tabs(viewer, "admin-tab-users"),
        notice,
        accounts,
        roles: role_choices(lang),
        institutions,
        add,
        errors,
    })
}

/// `GET /ui/admin/users`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    done: Result<Query<Done>, QueryRejection>,
) -> Result<Response, UiError> {
    admin(&viewer)?;
    let lang = viewer.lang;
    let done = done.map(|Query(d)| d).unwrap_or_default();
    let notice = match (done.done.as_deref(), done.user.as_deref()) {
        (Some(what @ ("added" | "role" | "disabled" | "enabled" | "password")), Some(user)) => lang
            .t_with(
                &format!("admin-users-done-{what}"),
                &[("user", user.to_string())],
            ),
        _ => String::new(),
    };
    let page = page_of(
        &state,
        &viewer,
        notice,
        AddForm::default(),
        FieldErrors::new(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

fn back(done: &str, user: &str) -> Response {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("done", done)
        .append_pair("user", user)
        .finish();
    Redirect::to(&format!("{USERS_PATH}?{q}")).into_response()
}

/// Shows the page again with the refusal next to its field (400), or
/// passes on what is not about input.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    err: ServiceError,
    fields: &[(&str, &str)],
    fallback: &str,
    add: AddForm,
) -> Result<Response, UiError> {
    let errors = FieldErrors::from_service(err, viewer.lang, fields, fallback)?;
    let page = page_of(state, viewer, String::new(), add, errors).await?;
    Ok(render(StatusCode::BAD_REQUEST, &page))
}

/// Notes a password shorter than the service accepts, in words.
fn check_password(errors: &mut FieldErrors, lang: Lang, field: &str, password: &str) {
    let min = tiercare_service::users::MIN_PASSWORD_CHARS;
    if password.chars().count() < min {
        errors.add(
            field,
            lang.t_with("admin-users-password-short", &[("min", min.to_string())]),
        );
    }
}

fn optional(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// `POST /ui/admin/users`: adds an account.
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<AddForm>, FormRejection>,
) -> Result<Response, UiError> {
    admin(&viewer)?;
    let lang = viewer.lang;
    let Ok(Form(mut form)) = form else {
        return Err(UiError::BadRequest(lang.t("admin-bad-filter")));
    };
    viewer.check_csrf(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let username = required(&mut errors, lang, "username", Some(&form.username));
    if required(&mut errors, lang, "password", Some(&form.password)).is_some() {
        check_password(&mut errors, lang, "password", &form.password);
    }
    if let Some(role) = required(&mut errors, lang, "role", Some(&form.role)) {
        match UserRole::from_code(&role) {
            None => errors.add("role", lang.t("admin-users-bad-role")),
            Some(UserRole::Doctor | UserRole::Coordinator)
                if optional(&form.institution).is_none() =>
            {
                errors.add("institution", lang.t("admin-users-needs-institution"))
            }
            Some(UserRole::Resident) if optional(&form.resident).is_none() => {
                errors.add("resident", lang.t("admin-users-needs-resident"))
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        form.password.clear();
        let page = page_of(&state, &viewer, String::new(), form, errors).await?;
        return Ok(render(StatusCode::BAD_REQUEST, &page));
    }
    let username = username.unwrap_or_default();
    let new = NewAccount {
        username: username.clone(),
        password: form.password.clone(),
        role: form.role.clone(),
        institution: optional(&form.institution),
        practitioner: optional(&form.practitioner),
        resident: optional(&form.resident),
    };
    match Users::new(&state.ctx, &viewer.actor).add(new).await {
        Ok(_) => Ok(back("added", &username)),
        Err(e) => {
            form.password.clear();
            let fields = [
                ("username", "username"),
                ("password", "password"),
                ("role", "role"),
                ("institution", "institution"),
                ("practitioner", "practitioner"),
                ("resident", "resident"),
            ];
            refused(&state, &viewer, e, &fields, "username", form).await
        }
    }
}

/// `POST /ui/admin/users/{name}/{change}`: a new role, disabled, enabled
/// or a new password.
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((name, change)): Path<(String, String)>,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Result<Response, UiError> {
    admin(&viewer)?;
    let lang = viewer.lang;
    let Ok(Form(form)) = form else {
        return Err(UiError::BadRequest(lang.t("admin-bad-filter")));
    };
    viewer.check_csrf(&form.csrf)?;
    let users = Users::new(&state.ctx, &viewer.actor);
    let field = format!("{name}.{change}");
    let outcome = match change.as_str() {
        "role" => users
            .change_role(&name, form.role.as_deref().unwrap_or(""))
            .await
            .map(|_| "role"),
        "disable" => users.disable(&name).await.map(|_| "disabled"),
        "enable" => users.enable(&name).await.map(|_| "enabled"),
        "password" => {
            let password = form.password.as_deref().unwrap_or("");
            let mut errors = FieldErrors::new();
            check_password(&mut errors, lang, &field, password);
            if !errors.is_empty() {
                let page =
                    page_of(&state, &viewer, String::new(), AddForm::default(), errors).await?;
                return Ok(render(StatusCode::BAD_REQUEST, &page));
            }
            users
                .reset_password(&name, password)
                .await
                .map(|_| "password")
        }
        _ => return Err(UiError::NotFound(lang.t("admin-bad-filter"))),
    };
    match outcome {
        Ok(done) => Ok(back(done, &name)),
        Err(e) => refused(&state, &viewer, e, &[], &field, AddForm::default()).await,
    }
}
