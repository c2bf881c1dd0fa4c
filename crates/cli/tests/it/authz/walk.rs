//! The walk: one demo server with a full referral loop and a panel behind
//! it, every entry of the matrix requested as every role (and anonymously)
//! in each context its path names, each answer compared with the
//! decision. Reads run concurrently; requests that change something run
//! one at a time after them, with bodies the walk leaves incomplete, so an
//! allowed caller's answer is most often a 400 or 409 and the fixtures
//! stay as they were.

use super::{Decision, Entry, ROLES, Rule, matrix};
use crate::closed_loop::walk;
use crate::dashboard::sign_in;
use crate::helpers::{
    DEMO_RESIDENT, DOCTOR_TEAM, Resp, TestApp, entry_ids, field, send, spawn_app, ui_client,
};
use reqwest::Method;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tiercare_core::Record;
use tokio::task::JoinSet;

/// The county hospital and the demo doctor's centre.
const HOSPITAL: &str = "zx-h1";

/// Ids that fill a path's placeholders.
#[derive(Clone)]
struct Fixtures {
    /// `{name}` -> an id, the same for every caller.
    ids: BTreeMap<String, String>,
    /// A patient in every demo user's care (the walked resident) and one
    /// in nobody's but the administrator's.
    in_care: String,
    out_of_care: String,
    /// Each role's own institution and another one.
    institutions: BTreeMap<String, (String, String)>,
    /// Each role's own alliance (of its institution) and another one.
    alliances: BTreeMap<String, (String, String)>,
}

/// A mentorship of the demo doctor by the hospital's specialist.
fn mentorship(app: &TestApp) -> serde_json::Value {
    use crate::fixtures::CS;
    let specialist = app
        .user("specialist")
        .practitioner
        .clone()
        .expect("practitioner");
    let doctor = app
        .user("doctor")
        .practitioner
        .clone()
        .expect("practitioner");
    let start = (time::OffsetDateTime::now_utc() - time::Duration::days(30)).date();
    serde_json::json!({
        "resourceType": "CareTeam",
        "category": [{"coding": [{"system": format!("{CS}/care-team-category"), "code": "mentorship"}]}],
        "period": {"start": start.to_string()},
        "participant": [
            {"role": [{"coding": [{"system": format!("{CS}/mentorship-role"), "code": "mentor"}]}],
             "member": {"reference": format!("Practitioner/{specialist}")}},
            {"role": [{"coding": [{"system": format!("{CS}/mentorship-role"), "code": "mentee"}]}],
             "member": {"reference": format!("Practitioner/{doctor}")}}
        ]
    })
}

/// The first id an administrator's search finds.
async fn first(app: &TestApp, search: &str) -> Option<String> {
    let resp = app.get("admin", search).await;
    (resp.status == 200)
        .then(|| entry_ids(&resp.json()).into_iter().next())
        .flatten()
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let walked = walk(app).await;
    let panel = crate::ui_doctor::enrol(app).await;
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (name, id) in [
        ("referral", walked.referral.clone()),
        ("consult", walked.consult.clone()),
        ("down", walked.down.clone()),
        ("care_plan", walked.care_plan.clone()),
        ("panel", panel),
        (
            "follow_up",
            walked.follow_ups.first().expect("a follow-up").clone(),
        ),
    ] {
        ids.insert(name.into(), id);
    }
    ids.insert("subscription".into(), subscribe(app).await);
    // A joint programme with a session next week, and a mentorship.
    let (programme, session) = crate::outreach::programme_and_session(app).await;
    ids.insert("programme".into(), programme);
    ids.insert("schedule".into(), session);
    let mentorship = app.post("coordinator", "/CareTeam", &mentorship(app)).await;
    mentorship.expect(201);
    ids.insert(
        "mentorship".into(),
        mentorship.json()["id"].as_str().expect("id").into(),
    );
    let (hub, reading) = crate::hubs::hub_and_reading(app).await;
    ids.insert("hub".into(), hub);
    ids.insert("reading".into(), reading);
    // An emergency case from the demo doctor's centre to the county
    // hospital, where the coordinator and the specialist work.
    let case = crate::emergency_cases::opened_by_the_demo_doctor(app, HOSPITAL).await;
    ids.insert("emergency_case".into(), case);
    let consult = walked.consult.clone();
    if let Some(id) = first(
        app,
        &format!("/Communication?based-on=ServiceRequest/{consult}"),
    )
    .await
    {
        ids.insert("communication".into(), id);
    }
    let p = format!("patient={DEMO_RESIDENT}");
    for (name, search) in [
        ("appointment", format!("/Appointment?{p}")),
        ("encounter", format!("/Encounter?{p}")),
        ("observation", format!("/Observation?{p}")),
        ("report", format!("/DiagnosticReport?{p}")),
        ("communication", format!("/Communication?{p}")),
        ("coverage", format!("/Coverage?beneficiary={DEMO_RESIDENT}")),
        ("claim", format!("/ExplanationOfBenefit?{p}")),
        ("schedule", "/Schedule?_count=1".into()),
        (
            "programme",
            "/HealthcareService?service-category=outreach&_count=1".into(),
        ),
        ("measure", "/Measure?_count=1".into()),
        ("code_system", "/CodeSystem".into()),
        ("concept_map", "/ConceptMap".into()),
        ("audit", format!("/AuditEvent?{p}&_count=1")),
        ("list", "/List?_count=1".into()),
        ("affiliation", "/OrganizationAffiliation?_count=1".into()),
        ("practitioner_role", "/PractitionerRole?_count=1".into()),
    ] {
        if let Some(id) = first(app, &search).await {
            ids.insert(name.into(), id);
        }
    }
    let doctor = app.user("doctor");
    ids.insert(
        "practitioner".into(),
        doctor
            .practitioner
            .clone()
            .expect("the doctor's practitioner")
            .to_string(),
    );
    ids.insert(
        "specialist".into(),
        app.user("specialist")
            .practitioner
            .clone()
            .expect("practitioner")
            .to_string(),
    );
    ids.insert("team".into(), DOCTOR_TEAM.into());
    // A site (the registry's Location; a bed pool is a Location the loop
    // keeps) and a public slot at the county hospital.
    let site = app
        .create(&serde_json::json!({
            "resourceType": "Location",
            "status": "active",
            "name": "Outpatient building",
            "managingOrganization": {"reference": format!("Organization/{HOSPITAL}")}
        }))
        .await;
    ids.insert("location".into(), site["id"].as_str().expect("id").into());
    let slots = crate::helpers::open_public_session(app).await;
    ids.insert("slot".into(), slots[0].clone());
    ids.insert("other_slot".into(), slots[1].clone());
    ids.insert(
        "today".into(),
        time::OffsetDateTime::now_utc().date().to_string(),
    );
    let centre = doctor
        .institution
        .clone()
        .expect("the doctor's centre")
        .to_string();
    ids.insert("organization".into(), centre.clone());

    let out_of_care = app
        .residents()
        .find(|r| {
            r.contract
                .as_ref()
                .is_none_or(|c| c.team.as_str() != DOCTOR_TEAM)
        })
        .expect("a resident off the doctor's team")
        .id
        .to_string();
    let alliance_of: BTreeMap<String, String> = app
        .county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Membership(m) => Some((m.institution.to_string(), m.alliance.to_string())),
            _ => None,
        })
        .collect();
    let mut institutions = BTreeMap::new();
    let mut alliances = BTreeMap::new();
    for role in ROLES {
        let own = app
            .user(role)
            .institution
            .as_ref()
            .map_or(centre.clone(), ToString::to_string);
        let other = if own == HOSPITAL {
            centre.clone()
        } else {
            HOSPITAL.to_string()
        };
        let own_alliance = alliance_of.get(&own).cloned().unwrap_or_default();
        let other_alliance = alliance_of
            .values()
            .find(|a| **a != own_alliance)
            .cloned()
            .expect("a second alliance");
        institutions.insert(role.to_string(), (own, other));
        alliances.insert(role.to_string(), (own_alliance, other_alliance));
    }
    Fixtures {
        ids,
        in_care: DEMO_RESIDENT.into(),
        out_of_care,
        institutions,
        alliances,
    }
}

/// One request of the walk.
#[derive(Clone)]
struct Case {
    entry: usize,
    role: &'static str,
    context: &'static str,
    path: String,
    want: Decision,
}

/// The contexts a path is walked in.
fn contexts(path: &str) -> &'static [&'static str] {
    if path.contains("{patient}") {
        &["in_care", "out_of_care"]
    } else if path.contains("{institution}") || path.contains("{alliance}") {
        &["own", "other"]
    } else {
        &["-"]
    }
}

/// The path with its placeholders filled for a role in a context.
fn fill(path: &str, role: &str, context: &str, f: &Fixtures) -> Result<String, String> {
    let mut out = path.to_string();
    let patient = if context == "out_of_care" {
        &f.out_of_care
    } else {
        &f.in_care
    };
    out = out.replace("{patient}", patient);
    let pick = |pair: &(String, String)| {
        if context == "other" {
            pair.1.clone()
        } else {
            pair.0.clone()
        }
    };
    let key = if role == "anonymous" { "admin" } else { role };
    out = out.replace("{institution}", &pick(&f.institutions[key]));
    out = out.replace("{alliance}", &pick(&f.alliances[key]));
    for (name, id) in &f.ids {
        out = out.replace(&format!("{{{name}}}"), id);
    }
    match placeholder(&out.replace("{new_subscription}", "")) {
        Some(name) => Err(format!("no fixture for {name}")),
        None => Ok(out),
    }
}

/// The first `{name}` left in a text (not JSON's braces).
fn placeholder(text: &str) -> Option<String> {
    text.match_indices('{').find_map(|(at, _)| {
        let rest = &text[at + 1..];
        let end = rest.find(|c: char| !(c.is_ascii_lowercase() || c == '_'))?;
        (end > 0 && rest[end..].starts_with('}')).then(|| format!("{{{}}}", &rest[..end]))
    })
}

/// The decision of a rule in a context.
fn decide(rule: &Rule, context: &str) -> Result<Decision, String> {
    match (rule, context) {
        (Rule::One(d), _) => Ok(*d),
        (Rule::Care { in_care, .. }, "in_care") => Ok(*in_care),
        (Rule::Care { out_of_care, .. }, "out_of_care") => Ok(*out_of_care),
        (Rule::Institution { own, .. }, "own") => Ok(*own),
        (Rule::Institution { other, .. }, "other") => Ok(*other),
        (rule, context) => Err(format!("{rule:?} does not apply to the context {context}")),
    }
}

/// How each role is signed in: a bearer token, and a browser session
/// with its CSRF token.
struct Credentials {
    tokens: BTreeMap<&'static str, String>,
    sessions: BTreeMap<&'static str, (String, String)>,
}

async fn session_of(app: &TestApp, role: &str) -> (String, String) {
    let session = sign_in(app, role).await;
    let home = send(
        ui_client()
            .get(app.url("/ui/programmes"))
            .header("cookie", format!("tiercare_session={session}")),
    )
    .await;
    let home = if home.status == 200 {
        home
    } else {
        let to = send(
            ui_client()
                .get(app.url("/ui"))
                .header("cookie", format!("tiercare_session={session}")),
        )
        .await
        .header("location")
        .expect("a home page");
        send(
            ui_client()
                .get(app.url(&to))
                .header("cookie", format!("tiercare_session={session}")),
        )
        .await
    };
    let csrf = field(&home.body, "csrf");
    (session, csrf)
}

/// Sends one case's request.
async fn request(app: &TestApp, creds: &Credentials, e: &Entry, c: &Case, f: &Fixtures) -> Resp {
    let method = Method::from_bytes(e.method().as_bytes()).expect("method");
    let page = c.path.starts_with("/ui");
    let mut path = c.path.clone();
    if path.contains("{new_subscription}") {
        // A subscription of its own for each request that may end one.
        path = path.replace("{new_subscription}", &subscribe(app).await);
    }
    let mut rb = ui_client().request(method.clone(), app.url(&path));
    let fresh;
    let (token, session) = if c.role == "anonymous" {
        (None, None)
    } else if e.fresh {
        fresh = (
            app.login(c.role, &app.user(c.role).password).await,
            session_of(app, c.role).await,
        );
        fresh.0.expect(200);
        (
            fresh.0.json()["access_token"].as_str().map(str::to_string),
            Some(fresh.1.clone()),
        )
    } else {
        (
            Some(creds.tokens[c.role].clone()),
            Some(creds.sessions[c.role].clone()),
        )
    };
    if page {
        if let Some((s, _)) = &session {
            rb = rb.header("cookie", format!("tiercare_session={s}"));
        }
    } else if let Some(t) = &token {
        rb = rb.bearer_auth(t);
    }
    if method != Method::GET {
        if page || !e.form.is_empty() {
            let mut form: Vec<(String, String)> = e.form.clone().into_iter().collect();
            if let Some((_, csrf)) = &session
                && page
            {
                form.push(("csrf".into(), csrf.clone()));
            }
            rb = rb.form(&form);
        } else {
            let body = match e.body.as_deref() {
                Some("@read") => read_body(app, &path, None).await,
                // An outreach session of the walk's programme (a read
                // Schedule does not parse back: its extensions are
                // computed).
                Some("@new-session") => crate::outreach::session(
                    &f.ids["programme"],
                    &f.ids["specialist"],
                    time::OffsetDateTime::now_utc() + time::Duration::days(14),
                    2,
                )
                .to_string(),
                Some(b) if b.starts_with("@copy ") => {
                    let from =
                        fill(&b["@copy ".len()..], c.role, c.context, f).expect("copied path");
                    read_body(
                        app,
                        &from,
                        Some(&["id", "meta", "identifier", "contributor", "created"]),
                    )
                    .await
                }
                Some(b) => fill(b, c.role, c.context, f).expect("body fixtures"),
                None => default_body(&path),
            };
            rb = rb
                .header("content-type", crate::helpers::FHIR_JSON)
                .body(body);
        }
    }
    send(rb).await
}

/// A body the walk leaves incomplete: an operation's empty `Parameters`,
/// or a resource with only its type.
fn default_body(path: &str) -> String {
    if path.contains("/$") {
        r#"{"resourceType": "Parameters"}"#.to_string()
    } else {
        let rt = path
            .trim_start_matches("/fhir/r4/")
            .split('/')
            .next()
            .unwrap_or("");
        format!(r#"{{"resourceType": "{rt}"}}"#)
    }
}

/// A resource as the administrator reads it (a valid body for an update
/// that changes nothing), without the named elements.
async fn read_body(app: &TestApp, path: &str, without: Option<&[&str]>) -> String {
    let resp = app.get("admin", path.trim_start_matches("/fhir/r4")).await;
    resp.expect(200);
    let mut v = resp.json();
    for key in without.unwrap_or_default() {
        if let Some(o) = v.as_object_mut() {
            o.remove(*key);
        }
    }
    v.to_string()
}

/// A new subscription of the hospital's coordinator (nothing listens at
/// the endpoint: a failed delivery changes nothing here).
async fn subscribe(app: &TestApp) -> String {
    let sub = app
        .post(
            "coordinator",
            "/Subscription",
            &serde_json::json!({
                "resourceType": "Subscription",
                "status": "requested",
                "reason": "The hospital's referral inbox",
                "criteria": format!("Task?owner=Organization/{HOSPITAL}"),
                "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/hook",
                            "payload": crate::helpers::FHIR_JSON}
            }),
        )
        .await;
    sub.expect(201);
    sub.json()["id"].as_str().expect("id").to_string()
}

/// Whether an answer is what the decision says; the reason if not.
fn verdict(e: &Entry, want: Decision, resp: &Resp) -> Option<String> {
    let s = resp.status;
    let to_login = (300..400).contains(&s)
        && resp
            .header("location")
            .is_some_and(|l| l.starts_with(tiercare_web::session::LOGIN_PATH));
    let denied = e.denied();
    let ok = match want {
        _ if s >= 500 => false,
        Decision::NA => true,
        Decision::Login => s == 401 || to_login,
        Decision::Deny => denied.contains(&s) || (e.validates_first && matches!(s, 400 | 422)),
        // A change may end at the sign-in page (signing out does).
        Decision::Allow => {
            s != 401 && s != 403 && !denied.contains(&s) && !(to_login && e.method() == "GET")
        }
    };
    (!ok).then(|| {
        let body: String = resp.body.chars().take(160).collect();
        format!("{s} (expected {want:?}) {body:?}")
    })
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_matrix_says() {
    let matrix = Arc::new(matrix());
    let app = Arc::new(spawn_app().await);
    let f = Arc::new(fixtures(&app).await);
    let started = Instant::now();
    let mut creds = Credentials {
        tokens: BTreeMap::new(),
        sessions: BTreeMap::new(),
    };
    for role in ROLES {
        creds.tokens.insert(role, app.token(role).await);
        creds.sessions.insert(role, session_of(&app, role).await);
    }
    let creds = Arc::new(creds);

    let mut problems = Vec::new();
    let (mut reads, mut writes) = (Vec::new(), Vec::new());
    for (i, e) in matrix.route.iter().enumerate() {
        let path = e.request_path();
        for role in std::iter::once("anonymous").chain(ROLES) {
            // A missing rule is the other test's finding.
            let Some(rule) = e.rule(role) else { continue };
            for context in contexts(&format!("{path} {}", e.body.as_deref().unwrap_or(""))) {
                let want = match decide(&rule, context) {
                    Ok(Decision::NA) => continue,
                    Ok(d) => d,
                    Err(err) => {
                        problems.push(format!("{} {role}: {err}", e.route));
                        continue;
                    }
                };
                match fill(&path, role, context, &f) {
                    Ok(path) => {
                        let case = Case {
                            entry: i,
                            role,
                            context,
                            path,
                            want,
                        };
                        if e.method() == "GET" {
                            reads.push(case)
                        } else {
                            writes.push(case)
                        }
                    }
                    Err(err) => problems.push(format!("{}: {err}", e.route)),
                }
            }
        }
    }
    let total = reads.len() + writes.len();
    let observe = std::env::var_os("TIERCARE_AUTHZ_OBSERVE").is_some();
    let mut answers: Vec<(Case, Resp)> = Vec::new();
    // Reads, eight at a time.
    let mut pending = reads.into_iter();
    let mut set = JoinSet::new();
    loop {
        while set.len() < 8 {
            let Some(case) = pending.next() else { break };
            let (app, creds, matrix, f) = (app.clone(), creds.clone(), matrix.clone(), f.clone());
            set.spawn(async move {
                let resp = request(&app, &creds, &matrix.route[case.entry], &case, &f).await;
                (case, resp)
            });
        }
        match set.join_next().await {
            Some(done) => answers.push(done.expect("request task")),
            None => break,
        }
    }
    // Changes, one at a time.
    for case in writes {
        let resp = request(&app, &creds, &matrix.route[case.entry], &case, &f).await;
        answers.push((case, resp));
    }
    for (case, resp) in &answers {
        let e = &matrix.route[case.entry];
        if observe {
            eprintln!(
                "OBSERVED\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.route,
                case.path,
                case.role,
                case.context,
                resp.status,
                resp.header("location").unwrap_or_default(),
                resp.body
                    .chars()
                    .take(200)
                    .collect::<String>()
                    .replace(['\n', '\t'], " ")
            );
        }
        if let Some(why) = verdict(e, case.want, resp) {
            let note = e
                .note
                .as_deref()
                .map(|n| format!(" [note: {n}]"))
                .unwrap_or_default();
            problems.push(format!(
                "{} as {} ({}): {} {}{note}",
                e.route, case.role, case.context, case.path, why
            ));
        }
    }
    problems.sort();
    eprintln!(
        "{} entries, {total} requests in {:?}",
        matrix.route.len(),
        started.elapsed()
    );
    assert!(
        problems.is_empty(),
        "{} answers differ from docs/authorisation.toml:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The walk can fail: each decision was met at least once.
    for want in [Decision::Allow, Decision::Deny, Decision::Login] {
        assert!(
            answers.iter().any(|(c, _)| c.want == want),
            "no {want:?} walked"
        );
    }
}
