//! Referral down with a care plan (下转): the hospital sends a stable
//! patient to a primary institution with goals, follow-up visits and
//! medicines. The medicine picker shows which medicines the receiving
//! centre's pharmacy stocks (its essential-medicines list) and flags the
//! ones it does not, so supply can be arranged or the medicine switched
//! before the patient leaves (用药衔接); the drawn-up plan flags them again,
//! as the core recorded them.

use super::only_specialists;
use crate::form::{FieldErrors, submission_key};
use crate::names::Names;
use crate::session::Viewer;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::{BTreeMap, HashMap};
use tiercare_api::AppState;
use tiercare_core::care_plan::{CarePlan, NewCarePlan, PlannedFollowUp, Target};
use tiercare_core::clinical::MedicineUse;
use tiercare_core::medicines::MedicineCode;
use tiercare_core::referral::{Command, NewReferral, Priority, Referral, Setting};
use tiercare_core::{InstitutionId, Level, Record, Specialty};
use tiercare_service::referrals::{Referrals, idempotent_id};
use tiercare_service::registry::{Registry, institution};
use tiercare_service::search::{exact, query};
use tiercare_service::{ServiceError, Versioned};

pub mod plan;
pub use plan::plan;

/// How many goal rows the form offers.
const TARGET_ROWS: usize = 3;

/// A medicine in the picker.
pub struct MedicineRow {
    pub code: String,
    pub name: String,
    /// On the receiving centre's essential-medicines list.
    pub stocked: bool,
    pub checked: bool,
    pub dose: String,
}

/// A primary institution to send the patient to.
pub struct Receiver {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "specialist/refer_down.html")]
struct ReferDownPage {
    chrome: Chrome,
    action: String,
    patient: String,
    condition: String,
    receivers: Vec<Receiver>,
    to: String,
    to_name: String,
    has_list: bool,
    medicines: Vec<MedicineRow>,
    targets: Vec<(usize, String, String)>,
    values: HashMap<String, String>,
    submission: String,
    errors: FieldErrors,
}

impl ReferDownPage {
    /// A field's value as sent (empty when not).
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

/// The primary institutions of the region, by name.
async fn receivers(state: &AppState, viewer: &Viewer) -> Result<Vec<(String, String)>, UiError> {
    let registry = Registry::new(&state.ctx, &viewer.actor);
    let q = query("Organization", vec![exact("type", Level::Primary.code())]);
    let (found, _) = registry.search("Organization", q, "").await?;
    let mut out: Vec<(String, String)> = found
        .into_iter()
        .filter_map(|s| match s.record {
            Record::Institution(i) if i.level == Level::Primary && i.active => {
                Some((i.id.to_string(), i.name))
            }
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The medicines a care plan can name: the region's formulary, with
/// whatever the receiver's list has besides.
fn formulary(
    list: Option<&tiercare_core::medicines::EssentialMedicines>,
) -> BTreeMap<MedicineCode, String> {
    let mut all = tiercare_core::demo::formulary();
    if let Some(l) = list {
        for (code, name) in &l.medicines {
            all.entry(code.clone()).or_insert_with(|| name.clone());
        }
    }
    all
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    r: &Versioned<Referral>,
    to: &str,
    values: HashMap<String, String>,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let referral = &r.value;
    let mut names = Names::new(&state.ctx, &viewer.actor);
    // A receiver that is no institution has no list (its error is shown).
    let list = match institution_id(to) {
        Ok(i) => {
            Referrals::new(&state.ctx, &viewer.actor)
                .essential_medicines(&i)
                .await?
        }
        Err(_) => None,
    };
    let medicines = formulary(list.as_ref())
        .into_iter()
        .map(|(code, name)| {
            let c = code.to_string();
            MedicineRow {
                stocked: list.as_ref().is_some_and(|l| l.has(&code)),
                checked: values.contains_key(&format!("med-{c}")),
                dose: values
                    .get(&format!("dose-{c}"))
                    .cloned()
                    .unwrap_or_default(),
                code: c,
                name,
            }
        })
        .collect();
    let receivers = receivers(state, viewer)
        .await?
        .into_iter()
        .map(|(id, name)| Receiver {
            selected: id == to,
            id,
            name,
        })
        .collect();
    let targets = (1..=TARGET_ROWS)
        .map(|n| {
            let get = |k: &str| values.get(&format!("{k}-{n}")).cloned().unwrap_or_default();
            (n, get("measure"), get("goal"))
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ReferDownPage {
        chrome: viewer.chrome(state),
        action: format!("/ui/specialist/referrals/{}/refer-down", referral.id),
        patient: names.resident(referral.patient.as_str()).await,
        condition: crate::names::condition(lang, referral.condition.as_str()),
        receivers,
        to: to.to_string(),
        to_name: names.institution(to).await,
        has_list: list.is_some(),
        medicines,
        targets,
        submission: values
            .get("submission")
            .cloned()
            .unwrap_or_else(submission_key),
        values,
        errors,
    };
    Ok(render(status, &page))
}

fn institution_id(id: &str) -> Result<InstitutionId, UiError> {
    id.parse()
        .map_err(|_| UiError::NotFound(format!("Organization/{id}")))
}

/// `GET /ui/specialist/referrals/{id}/refer-down?to=...`: the form, for
/// the receiver chosen (the referring centre unless another is named).
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    let r = Referrals::new(&state.ctx, &viewer.actor).read(&id).await?;
    let to = match q.get("to").map(|t| t.trim()).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => r.value.from.to_string(),
    };
    let mut errors = FieldErrors::new();
    if !is_primary(&state, &to).await {
        errors.add("to", viewer.lang.t("specialist-to-error"));
    }
    let mut values = HashMap::new();
    values.insert("interval".to_string(), "30".to_string());
    values.insert("visits".to_string(), "3".to_string());
    show(&state, &viewer, &r, &to, values, errors).await
}

async fn is_primary(state: &AppState, id: &str) -> bool {
    institution(&state.ctx, id, "to")
        .await
        .is_ok_and(|i| i.level == Level::Primary && i.active)
}

/// What the form asks for, checked.
struct Checked {
    to: InstitutionId,
    summary: String,
    plan: NewCarePlan,
}

fn check(
    state: &AppState,
    viewer: &Viewer,
    values: &HashMap<String, String>,
    errors: &mut FieldErrors,
    list: Option<&tiercare_core::medicines::EssentialMedicines>,
) -> Option<(String, NewCarePlan)> {
    let lang = viewer.lang;
    let get = |k: &str| values.get(k).map(|v| v.trim()).unwrap_or("");
    let summary = crate::form::required(errors, lang, "summary", Some(get("summary")));
    let description = get("description").to_string();
    let mut targets = Vec::new();
    for n in 1..=TARGET_ROWS {
        let (measure, goal) = (get(&format!("measure-{n}")), get(&format!("goal-{n}")));
        match (measure.is_empty(), goal.is_empty()) {
            (true, true) => {}
            (false, false) => targets.push(Target {
                measure: measure.to_string(),
                goal: goal.to_string(),
            }),
            _ => errors.add(&format!("goal-{n}"), lang.t("specialist-target-half")),
        }
    }
    if targets.is_empty() && errors.get("goal-1").is_none() {
        errors.add("goal-1", lang.t("specialist-target-required"));
    }
    let interval = match get("interval").parse::<i64>() {
        Ok(d) if (7..=180).contains(&d) => Some(d),
        _ => {
            errors.add("interval", lang.t("specialist-interval-error"));
            None
        }
    };
    let visits = match get("visits").parse::<i64>() {
        Ok(n) if (1..=12).contains(&n) => Some(n),
        _ => {
            errors.add("visits", lang.t("specialist-visits-error"));
            None
        }
    };
    let followup = crate::form::required(errors, lang, "followup", Some(get("followup")));
    let known = formulary(list);
    let mut medicines = Vec::new();
    for (key, _) in values.iter().filter(|(k, _)| k.starts_with("med-")) {
        let code = &key["med-".len()..];
        let Some((code, name)) = code
            .parse::<MedicineCode>()
            .ok()
            .and_then(|c| known.get(&c).map(|n| (c, n.clone())))
        else {
            errors.add("medicines", lang.t("specialist-medicine-unknown"));
            continue;
        };
        let dose = get(&format!("dose-{code}"));
        if dose.is_empty() {
            errors.add(
                "medicines",
                lang.t_with("specialist-dose-required", &[("medicine", name.clone())]),
            );
        }
        medicines.push(MedicineUse {
            medicine: code,
            name,
            dosage: dose.to_string(),
        });
    }
    medicines.sort_by(|a, b| a.medicine.cmp(&b.medicine));
    let (summary, interval, visits, followup) = (summary?, interval?, visits?, followup?);
    if !errors.is_empty() {
        return None;
    }
    let today = state.ctx.clock.today();
    let follow_ups = (1..=visits)
        .map(|n| PlannedFollowUp {
            due: today + time::Duration::days(interval * n),
            description: followup.clone(),
        })
        .collect();
    Some((
        summary,
        NewCarePlan {
            description,
            targets,
            medicines,
            follow_ups,
        },
    ))
}

/// `POST /ui/specialist/referrals/{id}/refer-down`: the downward referral
/// and its care plan. The plan is checked before the referral is made; if
/// the plan is still refused, the new referral is cancelled again, so
/// nothing is left half-done.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(mut values): Form<HashMap<String, String>>,
) -> Result<Response, UiError> {
    only_specialists(&viewer)?;
    viewer.check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))?;
    let lang = viewer.lang;
    let referrals = Referrals::new(&state.ctx, &viewer.actor);
    let r = referrals.read(&id).await?;
    let to = values
        .get("to")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    let receiver = if is_primary(&state, &to).await {
        institution_id(&to).ok()
    } else {
        errors.add("to", lang.t("specialist-to-error"));
        None
    };
    let list = match &receiver {
        Some(i) => referrals.essential_medicines(i).await?,
        None => None,
    };
    let checked = check(&state, &viewer, &values, &mut errors, list.as_ref());
    let submission = values.get("submission").cloned().unwrap_or_default();
    if let (Some(to), Some((summary, plan))) = (receiver, checked) {
        let form = Checked { to, summary, plan };
        match send_down(&state, &viewer, &r.value, &submission, form).await? {
            Ok(plan_id) => {
                let to = format!("/ui/specialist/plans/{plan_id}?done=drawn-up");
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e) => {
                errors = e;
                // The referral made for this key was cancelled: the
                // corrected form makes a new one.
                values.remove("submission");
            }
        }
    }
    let shown = if to.is_empty() {
        r.value.from.to_string()
    } else {
        to
    };
    show(&state, &viewer, &r, &shown, values, errors).await
}

/// Makes the downward referral and draws up its plan; a refusal comes
/// back as field errors.
async fn send_down(
    state: &AppState,
    viewer: &Viewer,
    up: &Referral,
    submission: &str,
    form: Checked,
) -> Result<Result<String, FieldErrors>, UiError> {
    let lang = viewer.lang;
    let actor = &viewer.actor;
    let referrals = Referrals::new(&state.ctx, actor);
    let Some(from) = actor.institution.clone() else {
        return Err(UiError::Forbidden);
    };
    let from_level = institution(&state.ctx, from.as_str(), "institution")
        .await?
        .level;
    let down_id = idempotent_id(&actor.username, submission)
        .map_err(|_| UiError::BadRequest(lang.t("specialist-resend")))?;
    let new = NewReferral {
        id: down_id,
        patient: up.patient.clone(),
        from,
        from_level,
        to: form.to,
        to_level: Level::Primary,
        specialty: Specialty::GeneralPractice,
        setting: Setting::Outpatient,
        priority: Priority::Routine,
        condition: up.condition.clone(),
        summary: form.summary,
        attachments: Default::default(),
    };
    let fields = [
        ("performer", "to"),
        ("summary", "summary"),
        ("CarePlan.activity", "followup"),
        ("CarePlan", "summary"),
    ];
    let (down, created) = match referrals.request(new).await {
        Ok(done) => done,
        Err(e) => return Ok(Err(FieldErrors::from_service(e, lang, &fields, "summary")?)),
    };
    let plan_id = CarePlan::id_for(&down.value.id)
        .map(|p| p.to_string())
        .unwrap_or_default();
    match referrals.draw_up(down.value.id.as_str(), form.plan).await {
        Ok(plan) => Ok(Ok(plan.value.id.to_string())),
        // The same form sent again: the first made both.
        Err(ServiceError::Conflict(_))
            if !created && referrals.read_record("CarePlan", &plan_id).await.is_ok() =>
        {
            Ok(Ok(plan_id))
        }
        Err(e) => {
            if created {
                let cancel = Command::Cancel {
                    reason: "care plan not drawn up".into(),
                };
                referrals
                    .act(down.value.id.as_str(), cancel, Some(down.version))
                    .await?;
            }
            Ok(Err(FieldErrors::from_service(e, lang, &fields, "summary")?))
        }
    }
}
