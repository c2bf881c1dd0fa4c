//! The hospital referral office's pages (转诊办): a referral the family
//! doctor sends through the API arrives in the office's worklist; the
//! coordinator books it a reserved slot, records the arrival and the
//! completion with its charge and sends the report back; the page's
//! states and counts are then those the API gives. Every form refuses bad
//! input next to its field without writing anything, a double click
//! books once, and no other role sees these pages.

use crate::browser::{Driver, Session};
use crate::dashboard::{sign_in, ui_get};
use crate::helpers::{DEMO_RESIDENT, Resp, TestApp, entries, field, send, spawn_app, ui_client};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

pub(crate) const HOSPITAL: &str = "zx-h1";

/// Posts a page's form as a signed-in browser would.
pub(crate) async fn ui_post(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Resp {
    send(
        ui_client()
            .post(app.url(path))
            .header("cookie", format!("tiercare_session={session}"))
            .form(fields),
    )
    .await
}

/// The text right after `marker` up to the next tag.
pub(crate) fn after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('<').unwrap()].trim().to_string()
}

/// The number an element with `id` shows.
pub(crate) fn count(html: &str, id: &str) -> u64 {
    after(html, &format!(r#"id="{id}">"#))
        .parse()
        .unwrap_or_else(|_| panic!("{id} is not a number"))
}

/// The error shown next to the field `id` (its `id-error` span).
pub(crate) fn field_error(html: &str, id: &str) -> String {
    assert!(
        html.contains(&format!(r#"aria-describedby="{id}-error""#)),
        "the field {id} points at its error"
    );
    after(html, &format!(r#"id="{id}-error">"#))
}

/// The total of an API search, as the coordinator.
pub(crate) async fn api_total(app: &TestApp, user: &str, query: &str) -> u64 {
    let resp = app.get(user, query).await;
    resp.expect(200);
    resp.json()["total"].as_u64().unwrap()
}

/// A referral of the demo resident from the demo family doctor to the
/// hospital, through the API; its id.
pub(crate) async fn refer(app: &TestApp, code: &str) -> String {
    refer_for(app, code, "outpatient").await
}

/// A referral for an outpatient visit or an admission (`setting`).
pub(crate) async fn refer_for(app: &TestApp, code: &str, setting: &str) -> String {
    let body = json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "code": {"coding": [{"code": setting}]},
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]}],
        "note": [{"text": "Exertional chest pain for three weeks."}]
    });
    let resp = app.post("doctor", "/ServiceRequest", &body).await;
    resp.expect(201);
    resp.json()["id"].as_str().unwrap().to_string()
}

/// A referral with the patient summary and a recent HbA1c attached.
async fn refer_with_summary(app: &TestApp) -> String {
    let taken = (OffsetDateTime::now_utc() - Duration::days(20))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let hba1c = app
        .post(
            "doctor",
            "/Observation",
            &json!({
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
                "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
                "effectiveDateTime": taken,
                "valueQuantity": {"value": 7.4, "unit": "%"}
            }),
        )
        .await;
    hba1c.expect(201);
    let observation = hba1c.json()["id"].as_str().unwrap().to_string();
    let body = json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
        "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
        "note": [{"text": "Exertional chest pain for three weeks."}],
        "contained": [
            {"resourceType": "Condition", "id": "c1",
             "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"}]},
             "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")}},
            {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02", "display": "metformin"}]},
             "subject": {"reference": format!("Patient/{DEMO_RESIDENT}")},
             "dosage": [{"text": "500 mg twice a day"}]},
            {"resourceType": "AllergyIntolerance", "id": "a1",
             "code": {"text": "penicillin: rash"},
             "patient": {"reference": format!("Patient/{DEMO_RESIDENT}")}}
        ],
        "supportingInfo": [
            {"reference": "#c1"}, {"reference": "#m1"}, {"reference": "#a1"},
            {"reference": format!("Observation/{observation}")}
        ]
    });
    let resp = app.post("doctor", "/ServiceRequest", &body).await;
    resp.expect(201);
    resp.json()["id"].as_str().unwrap().to_string()
}

/// The referral's state as the API's Task gives it to the coordinator.
pub(crate) async fn task_state(app: &TestApp, id: &str) -> String {
    let resp = app.get("coordinator", &format!("/Task/{id}")).await;
    resp.expect(200);
    resp.json()["businessStatus"]["coding"][0]["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The slot id booked for a referral, from its Appointment in the API.
async fn appointments_of(app: &TestApp, id: &str) -> Vec<Value> {
    let resp = app
        .get(
            "coordinator",
            &format!("/Appointment?based-on=ServiceRequest/{id}"),
        )
        .await;
    resp.expect(200);
    entries(&resp.json())
}

/// The first slot offered in the booking form, and the day it is on.
fn first_slot(html: &str) -> String {
    let select = &html[html.find(r#"id="book-slot""#).expect("a slot picker")..];
    let marker = r#"<option value=""#;
    let mut rest = select;
    loop {
        let at = rest.find(marker).expect("a slot offered");
        rest = &rest[at + marker.len()..];
        let value = &rest[..rest.find('"').unwrap()];
        if !value.is_empty() {
            return value.to_string();
        }
    }
}

/// The day (China time) a slot starts, as the arrivals page's field.
async fn slot_day(app: &TestApp, slot: &str) -> String {
    let resp = app.get("coordinator", &format!("/Slot/{slot}")).await;
    resp.expect(200);
    let start = resp.json()["start"].as_str().unwrap().to_string();
    let t = OffsetDateTime::parse(&start, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A step's form with bad input: the step, its fields, the field whose
/// error is expected.
type BadStep<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// The worklist's counts equal the API's searches.
async fn counts_match(app: &TestApp, html: &str) {
    let base = format!("/ServiceRequest?performer=Organization/{HOSPITAL}");
    assert_eq!(
        count(html, "new-count"),
        api_total(app, "coordinator", &format!("{base}&state=requested")).await
    );
    assert_eq!(
        count(html, "awaiting-count"),
        api_total(app, "coordinator", &format!("{base}&state=accepted")).await
    );
    assert_eq!(
        count(html, "overdue-count"),
        api_total(app, "coordinator", &format!("{base}&_overdue=true")).await
    );
}

#[tokio::test]
async fn a_referral_from_arrival_in_the_worklist_to_the_report_back_over_http() {
    let app = spawn_app().await;
    let id = refer_with_summary(&app).await;
    let other = refer(&app, "I10").await;
    let session = sign_in(&app, "coordinator").await;

    // Both arrive in the office's new list, by patient and condition name.
    let home = ui_get(&app, Some(&session), "/ui/office").await;
    home.expect(200);
    assert!(
        home.body
            .contains(&format!(r#"data-referral="{id}" data-state="requested""#))
    );
    assert!(home.body.contains(&format!(r#"data-referral="{other}""#)));
    assert!(home.body.contains("（I20）"), "the condition by its name");
    assert!(!home.body.contains(">I20<"), "never a bare code");
    assert_eq!(count(&home.body, "new-count"), 2);
    counts_match(&app, &home.body).await;

    // The referral's page: patient, condition, referrer, the steps the
    // core allows in this state and nothing else.
    let path = format!("/ui/office/referrals/{id}");
    let page = ui_get(&app, Some(&session), &path).await;
    page.expect(200);
    for step in [
        "accept",
        "book",
        "decline",
        "redirect",
        "return-with-advice",
    ] {
        assert!(page.body.contains(&format!(r#"id="act-{step}""#)), "{step}");
    }
    for step in ["arrive", "complete", "report", "cancel", "close"] {
        assert!(
            !page.body.contains(&format!(r#"id="act-{step}""#)),
            "{step}"
        );
    }
    assert!(page.body.contains(r#"data-state="requested""#));
    // The patient summary and the attached result, recognised.
    let summary = &page.body[page.body.find(r#"id="patient-summary""#).unwrap()..];
    assert!(summary.contains("（E11）"), "conditions by name");
    assert!(summary.contains("metformin · 500 mg twice a day"));
    assert!(summary.contains("penicillin: rash"));
    let results = &page.body[page.body.find(r#"id="results""#).unwrap()..];
    assert!(results.contains("HbA1c"));
    assert!(results.contains("可互认"), "recognised, in Chinese");
    let referrer = crate::outreach::practitioner_of(&app, "doctor");
    let doctor = app
        .get("admin", &format!("/Practitioner/{referrer}"))
        .await
        .json();
    let family = doctor["name"][0]["family"].as_str().unwrap();
    assert!(page.body.contains(family), "the referring doctor by name");
    let csrf = field(&page.body, "csrf");
    let version = field(&page.body, "version");
    let slot = first_slot(&page.body);

    // Bad input on every step's form: the message next to the field, in
    // Chinese, and the referral untouched.
    let bad: &[BadStep] = &[
        (
            "decline",
            &[("reason", "other"), ("comment", " ")],
            "decline-comment",
        ),
        (
            "decline",
            &[("reason", ""), ("comment", "x")],
            "decline-reason",
        ),
        (
            "decline",
            &[("reason", "bored"), ("comment", "x")],
            "decline-reason",
        ),
        ("redirect", &[("to", "")], "redirect-to"),
        ("redirect", &[("to", "zx-nowhere")], "redirect-to"),
        ("return-with-advice", &[("advice", "  ")], "return-advice"),
        ("book", &[("slot", "")], "book-slot"),
        ("book", &[("slot", "no-such-slot")], "book-slot"),
    ];
    for (step, fields, id_of_field) in bad {
        let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        form.extend_from_slice(fields);
        let resp = ui_post(&app, &session, &format!("{path}/{step}"), &form).await;
        assert!(
            resp.status == 422 || resp.status == 409,
            "{step} {fields:?}: {}",
            resp.status
        );
        let message = field_error(&resp.body, id_of_field);
        assert!(!message.is_empty(), "{step}: a message");
        assert!(
            message.chars().any(|c| c as u32 >= 0x4E00),
            "{step}: in Chinese: {message}"
        );
        assert_eq!(
            task_state(&app, &id).await,
            "requested",
            "{step}: nothing written"
        );
    }
    assert!(appointments_of(&app, &id).await.is_empty());
    // A forged form is refused outright.
    let forged = ui_post(
        &app,
        &session,
        &format!("{path}/accept"),
        &[("csrf", "0000"), ("version", &version)],
    )
    .await;
    forged.expect(403);

    // Booked with a reserved slot; the same form sent twice books once.
    let form = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("slot", slot.as_str()),
    ];
    let first = ui_post(&app, &session, &format!("{path}/book"), &form).await;
    first.expect(303);
    assert_eq!(
        first.header("location").unwrap(),
        format!("{path}?done=book")
    );
    let second = ui_post(&app, &session, &format!("{path}/book"), &form).await;
    second.expect(303);
    assert_eq!(
        second.header("location").unwrap(),
        format!("{path}?stale=1")
    );
    let booked = appointments_of(&app, &id).await;
    assert_eq!(booked.len(), 1, "one booking for two clicks");
    assert_eq!(booked[0]["slot"][0]["reference"], format!("Slot/{slot}"));
    let stale = ui_get(&app, Some(&session), &format!("{path}?stale=1")).await;
    assert!(stale.body.contains(r#"id="notice""#));
    assert!(stale.body.contains(r#"data-state="booked""#));
    assert_eq!(task_state(&app, &id).await, "booked");

    // Arrivals on the slot's day; a day that is not one is refused.
    let day = slot_day(&app, &slot).await;
    let bad_day = ui_get(&app, Some(&session), "/ui/office/arrivals?day=tomorrow").await;
    bad_day.expect(400);
    assert!(!field_error(&bad_day.body, "day").is_empty());
    let arrivals_path = format!("/ui/office/arrivals?day={day}");
    let arrivals = ui_get(&app, Some(&session), &arrivals_path).await;
    arrivals.expect(200);
    assert_eq!(count(&arrivals.body, "booked-count"), 1);
    let card = &arrivals.body[arrivals
        .body
        .find(&format!(r#"data-referral="{id}""#))
        .unwrap()..];
    let v = field(card, "version");
    app.on_day_of_slot(&slot).await;
    let arrived = ui_post(
        &app,
        &session,
        &format!("{path}/arrive"),
        &[("csrf", &csrf), ("version", &v), ("back", &arrivals_path)],
    )
    .await;
    arrived.expect(303);
    assert_eq!(
        arrived.header("location").unwrap(),
        format!("{arrivals_path}&done=arrive")
    );
    assert_eq!(task_state(&app, &id).await, "arrived");

    // Completion needs a charge in yuan.
    let page = ui_get(&app, Some(&session), &path).await;
    let v = field(&page.body, "version");
    for charge in ["", "abc", "-5", "1.234"] {
        let resp = ui_post(
            &app,
            &session,
            &format!("{path}/complete"),
            &[("csrf", &csrf), ("version", &v), ("charge", charge)],
        )
        .await;
        resp.expect(422);
        assert!(
            !field_error(&resp.body, "complete-charge").is_empty(),
            "{charge:?}"
        );
        assert_eq!(task_state(&app, &id).await, "arrived");
    }
    ui_post(
        &app,
        &session,
        &format!("{path}/complete"),
        &[
            ("csrf", &csrf),
            ("version", &v),
            ("charge", "226.00"),
            ("back", &arrivals_path),
        ],
    )
    .await
    .expect(303);
    assert_eq!(task_state(&app, &id).await, "completed");
    let claim = app
        .get("admin", &format!("/ExplanationOfBenefit/eob-enc-{id}"))
        .await;
    claim.expect(200);
    assert_eq!(claim.json()["total"][0]["amount"]["value"], json!(226.0));

    // The report back: a summary is required, a diagnosis must be ICD-10.
    let page = ui_get(&app, Some(&session), &path).await;
    let v = field(&page.body, "version");
    for (fields, at) in [
        (vec![("summary", "")], "report-summary"),
        (
            vec![("summary", "Stable angina."), ("diagnosis", "angina")],
            "report-diagnosis",
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str()), ("version", v.as_str())];
        form.extend(fields);
        let resp = ui_post(&app, &session, &format!("{path}/report"), &form).await;
        resp.expect(422);
        assert!(!field_error(&resp.body, at).is_empty());
    }
    ui_post(
        &app,
        &session,
        &format!("{path}/report"),
        &[
            ("csrf", &csrf),
            ("version", &v),
            ("summary", "Stable angina; exercise test positive."),
            ("diagnosis", "I20"),
            (
                "recommendation",
                "Aspirin and a statin; review in four weeks.",
            ),
        ],
    )
    .await
    .expect(303);
    let task = app.get("coordinator", &format!("/Task/{id}")).await.json();
    assert_eq!(task["status"], "completed");

    // The page now says what the API says, and its history has every step.
    let page = ui_get(&app, Some(&session), &path).await;
    assert!(page.body.contains(r#"data-state="completed""#));
    assert!(page.body.contains(r#"id="no-steps""#));
    let steps = page.body.matches("<li data-version=").count();
    let etag = app
        .get("coordinator", &format!("/ServiceRequest/{id}"))
        .await
        .header("etag")
        .unwrap();
    assert_eq!(
        etag,
        format!("W/\"{steps}\""),
        "one history line per version"
    );
    let home = ui_get(&app, Some(&session), "/ui/office").await;
    assert!(!home.body.contains(&format!(r#"data-referral="{id}""#)));
    assert_eq!(count(&home.body, "new-count"), 1);
    counts_match(&app, &home.body).await;

    // The other referral: accepted, then declined for "other" with a
    // comment; it leaves the office's lists.
    let path = format!("/ui/office/referrals/{other}");
    let page = ui_get(&app, Some(&session), &path).await;
    let v = field(&page.body, "version");
    ui_post(
        &app,
        &session,
        &format!("{path}/accept"),
        &[("csrf", &csrf), ("version", &v)],
    )
    .await
    .expect(303);
    let home = ui_get(&app, Some(&session), "/ui/office").await;
    assert_eq!(count(&home.body, "awaiting-count"), 1);
    counts_match(&app, &home.body).await;
    let page = ui_get(&app, Some(&session), &path).await;
    assert!(!page.body.contains(r#"id="act-accept""#));
    assert!(
        !page.body.contains(r#"id="act-redirect""#),
        "not from accepted"
    );
    let v = field(&page.body, "version");
    ui_post(
        &app,
        &session,
        &format!("{path}/decline"),
        &[
            ("csrf", &csrf),
            ("version", &v),
            ("reason", "other"),
            ("comment", "The patient moved away."),
        ],
    )
    .await
    .expect(303);
    assert_eq!(task_state(&app, &other).await, "declined");
}

#[tokio::test]
async fn beds_and_outreach_sessions_with_their_forms() {
    let app = spawn_app().await;
    let session = sign_in(&app, "coordinator").await;

    // The bed board shows each pool of the hospital as the store has it.
    let beds = ui_get(&app, Some(&session), "/ui/office/beds").await;
    beds.expect(200);
    let mut free = 0;
    let mut pools = 0;
    for r in &app.county.records {
        if let tiercare_core::Record::Institution(i) = r
            && i.id.as_str() == HOSPITAL
        {
            for d in i.departments.iter().filter(|d| d.beds > 0) {
                pools += 1;
                free += d.beds;
                let id = format!("{HOSPITAL}-{}-beds", d.specialty.code());
                assert!(beds.body.contains(&format!(r#"data-pool="{id}""#)), "{id}");
            }
        }
    }
    assert!(pools > 0);
    assert_eq!(count(&beds.body, "total-free"), u64::from(free));
    assert_eq!(count(&beds.body, "total-occupied"), 0);

    // An outreach programme of the demo cardiologist at the township centre.
    let now = OffsetDateTime::now_utc();
    let specialist = crate::outreach::practitioner_of(&app, "specialist");
    let programme = app
        .post(
            "coordinator",
            "/HealthcareService",
            &crate::outreach::programme(
                &[&specialist],
                now - Duration::days(1),
                now + Duration::days(60),
            ),
        )
        .await;
    programme.expect(201);
    let pid = programme.json()["id"].as_str().unwrap().to_string();
    let page = ui_get(&app, Some(&session), "/ui/office/outreach").await;
    page.expect(200);
    assert!(page.body.contains(&format!(r#"<option value="{pid}""#)));
    let csrf = field(&page.body, "csrf");
    let submission = field(&page.body, "submission");
    let day = (now + Duration::days(7)).date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    let sessions_before = app.count("Schedule").await;
    let good = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("programme", pid.as_str()),
        ("specialist", specialist.as_str()),
        ("day", day.as_str()),
        ("start", "09:00"),
        ("end", "11:00"),
        ("slots", ""),
    ];
    let with = |name: &str, value: &'static str| -> Vec<(&str, String)> {
        good.iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == name {
                        value.to_string()
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect()
    };
    for (name, value, at) in [
        ("programme", "", "programme"),
        ("specialist", "", "specialist"),
        ("day", "next week", "session-day"),
        ("start", "nine", "session-start"),
        ("end", "08:00", "session-end"),
        ("slots", "0", "session-slots"),
    ] {
        let form = with(name, value);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = ui_post(&app, &session, "/ui/office/outreach/schedule", &form).await;
        resp.expect(422);
        assert!(!field_error(&resp.body, at).is_empty(), "{name}");
        assert_eq!(
            app.count("Schedule").await,
            sessions_before,
            "{name}: nothing written"
        );
    }
    // Sent twice, one session.
    for _ in 0..2 {
        let resp = ui_post(&app, &session, "/ui/office/outreach/schedule", &good).await;
        resp.expect(303);
        assert_eq!(
            resp.header("location").unwrap(),
            "/ui/office/outreach?done=schedule"
        );
    }
    let sessions = app
        .get(
            "coordinator",
            &format!("/Schedule?actor=HealthcareService/{pid}"),
        )
        .await;
    let sessions = entries(&sessions.json());
    assert_eq!(sessions.len(), 1);
    let sid = sessions[0]["id"].as_str().unwrap().to_string();
    let page = ui_get(&app, Some(&session), "/ui/office/outreach").await;
    assert_eq!(count(&page.body, "upcoming-count"), 1);
    assert!(
        page.body
            .contains(&format!(r#"data-session="{sid}" data-status="scheduled""#))
    );

    // Cancelling needs a reason; then the session is on the rebook list.
    let cancel = format!("/ui/office/outreach/{sid}/cancel");
    let resp = ui_post(&app, &session, &cancel, &[("csrf", &csrf), ("reason", " ")]).await;
    resp.expect(422);
    assert!(!field_error(&resp.body, &format!("cancel-{sid}")).is_empty());
    let status = app
        .get("coordinator", &format!("/Schedule/{sid}"))
        .await
        .json();
    assert!(status.to_string().contains("scheduled"));
    ui_post(
        &app,
        &session,
        &cancel,
        &[("csrf", &csrf), ("reason", "The specialist is on call.")],
    )
    .await
    .expect(303);
    let again = ui_post(
        &app,
        &session,
        &cancel,
        &[("csrf", &csrf), ("reason", "again")],
    )
    .await;
    assert_eq!(
        again.header("location").unwrap(),
        "/ui/office/outreach?done=already"
    );
    let page = ui_get(&app, Some(&session), "/ui/office/outreach").await;
    assert_eq!(count(&page.body, "upcoming-count"), 0);
    assert_eq!(count(&page.body, "rebook-count"), 1);
    assert!(
        page.body
            .contains(&format!(r#"data-session="{sid}" data-status="cancelled""#))
    );
    assert!(page.body.contains("The specialist is on call."));
}

#[tokio::test]
async fn no_other_role_sees_the_referral_office() {
    let app = spawn_app().await;
    let id = refer(&app, "I20").await;
    let pages = [
        "/ui/office".to_string(),
        "/ui/office/arrivals".into(),
        "/ui/office/beds".into(),
        "/ui/office/outreach".into(),
        format!("/ui/office/referrals/{id}"),
    ];
    let coordinator = sign_in(&app, "coordinator").await;
    for p in &pages {
        ui_get(&app, Some(&coordinator), p).await.expect(200);
    }
    for user in ["doctor", "specialist", "resident", "analyst", "admin"] {
        let session = sign_in(&app, user).await;
        for p in &pages {
            let resp = ui_get(&app, Some(&session), p).await;
            assert_eq!(resp.status, 403, "{user} {p}");
            assert!(
                !resp.body.contains(&id) || p.contains(&id),
                "{user} sees no referral on {p}"
            );
            assert!(!resp.body.contains("data-referral"), "{user} {p}");
        }
        // The CSRF token of their own session, from the header's forms.
        let page = ui_get(&app, Some(&session), "/ui/office").await;
        let csrf = field(&page.body, "csrf");
        let post = ui_post(
            &app,
            &session,
            &format!("/ui/office/referrals/{id}/accept"),
            &[("csrf", &csrf), ("version", "1")],
        )
        .await;
        assert_eq!(post.status, 403, "{user} may not accept");
    }
    assert_eq!(task_state(&app, &id).await, "requested");
    // Without a session: the sign-in page.
    let anonymous = ui_get(&app, None, "/ui/office").await;
    assert_eq!(anonymous.status, 303);
}

/// The page fits the window: nothing wider than a phone's screen.
pub(crate) async fn assert_fits(b: &Session, what: &str) {
    let widths = b
        .script("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    let (page, window) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    let wide = b
        .script(
            "return [...document.querySelectorAll('main *')]
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
               .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className);",
        )
        .await;
    assert!(
        page <= window,
        "{what} is {page} px wide in a {window} px window: {wide}"
    );
}

/// Signs in, books the referral's first slot on its page, records the
/// arrival and the completion on the arrivals page, and checks the page
/// against the API; screenshots every office page in `lang`.
async fn walk(b: &Session, app_base: &str, id: &str, lang: &str) {
    b.goto(&format!("{app_base}/ui/office")).await;
    assert_eq!(b.page_lang().await, lang);
    assert!(b.has(&format!(r#"#new tr[data-referral="{id}"]"#)).await);
    assert_fits(b, "the worklist").await;
    b.screenshot(&format!("office-worklist-{lang}")).await;
    b.click(&format!(r#"#new tr[data-referral="{id}"] a"#))
        .await;
    b.wait_for_url("the referral", |u| {
        u.contains(&format!("/ui/office/referrals/{id}"))
    })
    .await;
    assert_fits(b, "the referral").await;
    b.screenshot(&format!("office-referral-{lang}")).await;
    // The first offered slot.
    b.click("#book-slot option:nth-child(2)").await;
    b.click("#act-book button[type=submit]").await;
    b.wait_for_url("the booked referral", |u| u.contains("done=book"))
        .await;
    assert!(b.has(r#"#summary[data-state="booked"]"#).await);
    assert!(b.has("#notice").await);
}

#[tokio::test]
async fn the_coordinator_books_records_and_completes_in_a_browser_in_chinese_and_english() {
    let app = spawn_app().await;
    let zh_referral = refer(&app, "I20").await;
    let en_referral = refer(&app, "I10").await;
    // An outreach programme, so the outreach page has its form to show.
    let now = OffsetDateTime::now_utc();
    let specialist = crate::outreach::practitioner_of(&app, "specialist");
    app.post(
        "coordinator",
        "/HealthcareService",
        &crate::outreach::programme(
            &[&specialist],
            now - Duration::days(1),
            now + Duration::days(60),
        ),
    )
    .await
    .expect(201);
    let base = app.base.clone();
    let password = app.user("coordinator").password.clone();
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let b = browser.clone();
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    let run = tokio::spawn(async move {
        b.set_window_size(390, 844).await;
        let landed = b.sign_in(&base, "coordinator", &password).await;
        assert!(landed.ends_with("/ui/office"), "{landed}");
        for (id, lang) in [(&zh_referral, "zh-CN"), (&en_referral, "en")] {
            if lang == "en" {
                b.switch_language().await;
            }
            walk(&b, &base, id, lang).await;
            // Arrival and completion on the arrivals page of the slot's day.
            let appointment = appointments_of(&a, id).await;
            assert_eq!(appointment.len(), 1);
            let slot = appointment[0]["slot"][0]["reference"]
                .as_str()
                .unwrap()
                .trim_start_matches("Slot/")
                .to_string();
            let day = slot_day(&a, &slot).await;
            a.on_day_of_slot(&slot).await;
            b.goto(&format!("{base}/ui/office/arrivals?day={day}"))
                .await;
            assert_fits(&b, "the arrivals").await;
            b.screenshot(&format!("office-arrivals-{lang}")).await;
            b.click(&format!(
                r#"#booked li[data-referral="{id}"] button.arrive"#
            ))
            .await;
            b.wait_for_url("the arrival", |u| u.contains("done=arrive"))
                .await;
            assert_eq!(task_state(&a, id).await, "arrived");
            b.type_into(&format!("#charge-{id}"), "226.50").await;
            b.click(&format!(
                r#"#in-visit li[data-referral="{id}"] button.complete"#
            ))
            .await;
            b.wait_for_url("the completion", |u| u.contains("done=complete"))
                .await;
            assert!(
                b.has(&format!(r#"#to-report li[data-referral="{id}"]"#))
                    .await
            );
            // The page's state and counts are the API's.
            assert_eq!(task_state(&a, id).await, "completed");
            let to_report = b.text("#to-report-count").await;
            let mut api = 0;
            for r in [&zh_referral, &en_referral] {
                let task = a.get("coordinator", &format!("/Task/{r}")).await.json();
                if task["status"] == "in-progress"
                    && task["businessStatus"]["coding"][0]["code"] == "completed"
                {
                    api += 1;
                }
            }
            assert_eq!(to_report.parse::<u64>().unwrap(), api, "to report back");
            b.goto(&format!("{base}/ui/office/referrals/{id}")).await;
            assert!(b.has(r#"#summary[data-state="completed"]"#).await);
            let claim = a
                .get("admin", &format!("/ExplanationOfBenefit/eob-enc-{id}"))
                .await;
            assert_eq!(claim.json()["total"][0]["amount"]["value"], json!(226.5));
            b.goto(&format!("{base}/ui/office")).await;
            let html = b
                .script("return document.documentElement.outerHTML;")
                .await
                .as_str()
                .unwrap()
                .to_string();
            counts_match(&a, &html).await;
            b.goto(&format!("{base}/ui/office/beds")).await;
            assert!(b.has("#beds").await);
            assert_fits(&b, "the bed board").await;
            b.screenshot(&format!("office-beds-{lang}")).await;
            b.goto(&format!("{base}/ui/office/outreach")).await;
            assert!(b.has("#rebook").await);
            assert!(b.has("#schedule-form").await);
            assert_fits(&b, "the outreach page").await;
            b.screenshot(&format!("office-outreach-{lang}")).await;
        }
        assert_eq!(b.page_lang().await, "en");
        assert_eq!(b.text("h1").await, "Specialist outreach");
    });
    let outcome = run.await;
    browser.quit().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The first non-empty option of the select `id` on a page.
fn first_option(html: &str, id: &str) -> String {
    let select = &html[html.find(&format!(r#"id="{id}""#)).expect("the select")..];
    let select = &select[..select.find("</select>").unwrap()];
    let marker = r#"<option value=""#;
    select
        .match_indices(marker)
        .map(|(at, _)| {
            let rest = &select[at + marker.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .find(|v| !v.is_empty())
        .expect("an option")
}

#[tokio::test]
async fn triage_steps_the_bed_picker_no_shows_and_the_overdue_list() {
    // The doctor refers ten days ago; the office opens the page today.
    let now = OffsetDateTime::now_utc();
    let clock = tiercare_service::clock::Clock::set_at(now - Duration::days(10));
    let app = crate::helpers::spawn_app_at(crate::helpers::RESIDENTS, |_| {}, clock.clone()).await;
    let late = refer(&app, "I20").await;
    clock.set(now);
    let admission = refer_for(&app, "I21", "inpatient").await;
    let onward = refer(&app, "I10").await;
    let advice = refer(&app, "I10").await;
    let session = sign_in(&app, "coordinator").await;

    // Past its triage deadline: in the new and the overdue list, as the
    // API's `_overdue` search says.
    let home = ui_get(&app, Some(&session), "/ui/office").await;
    assert_eq!(count(&home.body, "overdue-count"), 1);
    let overdue = &home.body[home.body.find(r#"id="overdue""#).unwrap()..];
    assert!(overdue.contains(&format!(r#"data-referral="{late}""#)));
    assert!(overdue.contains("badge bad"));
    counts_match(&app, &home.body).await;

    // The inpatient referral books a bed, never a slot.
    let path = format!("/ui/office/referrals/{admission}");
    let page = ui_get(&app, Some(&session), &path).await;
    assert!(page.body.contains(r#"id="book-beds""#));
    assert!(!page.body.contains(r#"id="book-slot""#));
    let csrf = field(&page.body, "csrf");
    let v = field(&page.body, "version");
    let pool = first_option(&page.body, "book-beds");
    let before = ui_get(&app, Some(&session), "/ui/office/beds").await;
    let resp = ui_post(
        &app,
        &session,
        &format!("{path}/book"),
        &[("csrf", &csrf), ("version", &v), ("beds", "")],
    )
    .await;
    resp.expect(422);
    assert!(!field_error(&resp.body, "book-beds").is_empty());
    ui_post(
        &app,
        &session,
        &format!("{path}/book"),
        &[("csrf", &csrf), ("version", &v), ("beds", &pool)],
    )
    .await
    .expect(303);
    assert_eq!(task_state(&app, &admission).await, "booked");
    let after_booking = ui_get(&app, Some(&session), "/ui/office/beds").await;
    assert_eq!(count(&before.body, "total-occupied"), 0);
    assert_eq!(count(&after_booking.body, "total-occupied"), 1);
    assert_eq!(
        count(&after_booking.body, "total-free") + 1,
        count(&before.body, "total-free")
    );
    let stored = app
        .state
        .ctx
        .store
        .get("Location", &pool)
        .await
        .unwrap()
        .unwrap();
    let tiercare_core::Record::BedPool(p) = stored.record else {
        panic!("a bed pool")
    };
    assert_eq!(
        p.reserved_occupied, 1,
        "a primary-care referral takes a reserved bed"
    );

    // The admission is expected today; the patient does not come.
    let today = now
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap())
        .date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    let arrivals = ui_get(
        &app,
        Some(&session),
        &format!("/ui/office/arrivals?day={day}"),
    )
    .await;
    let card = &arrivals.body[arrivals
        .body
        .find(&format!(r#"data-referral="{admission}""#))
        .unwrap()..];
    let v = field(card, "version");
    ui_post(
        &app,
        &session,
        &format!("{path}/no-show"),
        &[("csrf", &csrf), ("version", &v)],
    )
    .await
    .expect(303);
    assert_eq!(task_state(&app, &admission).await, "no-show");
    let arrivals = ui_get(
        &app,
        Some(&session),
        &format!("/ui/office/arrivals?day={day}"),
    )
    .await;
    assert_eq!(count(&arrivals.body, "no-shows-count"), 1);
    assert_eq!(count(&arrivals.body, "booked-count"), 0);

    // Redirected to another hospital: it leaves this office's lists.
    let path = format!("/ui/office/referrals/{onward}");
    let page = ui_get(&app, Some(&session), &path).await;
    let v = field(&page.body, "version");
    let to = first_option(&page.body, "redirect-to");
    ui_post(
        &app,
        &session,
        &format!("{path}/redirect"),
        &[
            ("csrf", &csrf),
            ("version", &v),
            ("to", &to),
            ("comment", "Nearer home."),
        ],
    )
    .await
    .expect(303);
    let sr = app
        .get("doctor", &format!("/ServiceRequest/{onward}"))
        .await
        .json();
    assert_eq!(
        sr["performer"][0]["reference"],
        format!("Organization/{to}")
    );

    // Returned with advice.
    let path = format!("/ui/office/referrals/{advice}");
    let page = ui_get(&app, Some(&session), &path).await;
    let v = field(&page.body, "version");
    ui_post(
        &app,
        &session,
        &format!("{path}/return-with-advice"),
        &[
            ("csrf", &csrf),
            ("version", &v),
            ("advice", "Titrate amlodipine; recheck in two weeks."),
        ],
    )
    .await
    .expect(303);
    assert_eq!(task_state(&app, &advice).await, "returned");

    let home = ui_get(&app, Some(&session), "/ui/office").await;
    assert!(!home.body.contains(&format!(r#"data-referral="{onward}""#)));
    assert!(!home.body.contains(&format!(r#"data-referral="{advice}""#)));
    assert_eq!(count(&home.body, "new-count"), 1);
    counts_match(&app, &home.body).await;
}

#[tokio::test]
async fn a_referrals_history_is_read_by_its_two_sides_only_and_audited() {
    use tiercare_core::access::{Actor, UserRole};
    use tiercare_service::ServiceError;
    use tiercare_service::referrals::Referrals;
    use tiercare_store::{AuditOutcome, AuditQuery};
    let app = spawn_app().await;
    let id = refer(&app, "I20").await;
    crate::referral::op(&app, "coordinator", &id, "accept", None, None)
        .await
        .expect(200);
    let actor = |user: &str| {
        let u = app.user(user);
        Actor {
            username: u.username.clone(),
            role: u.role,
            institution: u.institution.clone(),
            practitioner: u.practitioner.clone(),
            resident: u.resident.clone(),
        }
    };
    let audited = |user: &'static str| {
        let store = app.state.ctx.store.clone();
        let id = id.clone();
        async move {
            let (entries, _) = store
                .audit_search(&AuditQuery {
                    username: Some(user.into()),
                    count: 500,
                    ..Default::default()
                })
                .await
                .unwrap();
            entries
                .into_iter()
                .filter(|e| e.resource_id.as_deref() == Some(id.as_str()) && e.action == "read")
                .map(|e| e.outcome)
                .collect::<Vec<_>>()
        }
    };

    // Oldest first, one entry per version, read once in the audit trail.
    for user in ["coordinator", "doctor"] {
        let history = Referrals::new(&app.state.ctx, &actor(user))
            .history(&id)
            .await
            .unwrap();
        let states: Vec<_> = history.iter().map(|v| v.value.state.code()).collect();
        assert_eq!(states, ["requested", "accepted"], "{user}");
        let versions: Vec<_> = history.iter().map(|v| v.version).collect();
        assert_eq!(versions, [1, 2]);
        assert_eq!(audited(user).await, [AuditOutcome::Success]);
    }
    // Neither side: answered as for a referral that does not exist, and
    // the refusal is audited.
    for user in ["resident", "analyst"] {
        let refused = Referrals::new(&app.state.ctx, &actor(user))
            .history(&id)
            .await;
        assert!(matches!(refused, Err(ServiceError::NotFound(_))), "{user}");
    }
    let other = Actor {
        username: "elsewhere".into(),
        role: UserRole::Coordinator,
        institution: Some("zx-tc2".parse().unwrap()),
        practitioner: None,
        resident: None,
    };
    let refused = Referrals::new(&app.state.ctx, &other).history(&id).await;
    assert!(matches!(refused, Err(ServiceError::NotFound(_))));
    assert_eq!(audited("elsewhere").await, [AuditOutcome::Denied]);
}
