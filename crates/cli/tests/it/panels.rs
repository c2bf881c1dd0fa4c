//! Co-managed chronic panels over HTTP: enrolment, measurements and their
//! control status at the targets' edges, units, the due list, who sees a
//! panel (and the audit trail of it), and the chronic-management indicator
//! the panels feed.
//!
//! The joint programmes are written straight into the store as fixtures:
//! their own API (`HealthcareService`) is built separately; once it lands
//! these fixtures may go through it instead.

use crate::helpers::{DOCTOR_TEAM, TestApp, assert_hidden, assert_outcome, entries, spawn_app};
use crate::validate::assert_valid_fhir;
use serde_json::{Value, json};
use tiercare_api::auth::hash_password;
use tiercare_core::access::UserRole;
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::outreach::{OutreachService, Programme, ProgrammeKind, ProgrammeStatus};
use tiercare_core::{Record, Specialty};
use tiercare_store::{AuditOutcome, AuditQuery, Expect, NewUser, Write};
use time::{Date, Duration};

const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The panel's cast: the demo family doctor and their institution, the
/// demo cardiologist and their hospital, a second specialist with a
/// programme of their own, and residents on the doctor's team.
struct Cast {
    today: Date,
    primary: String,
    family_doctor: String,
    hospital: String,
    specialist: String,
    other_specialist: String,
    patients: Vec<String>,
}

fn cast(app: &TestApp) -> Cast {
    let doctor = app.user("doctor");
    let specialist = app.user("specialist");
    let specialist_id = specialist.practitioner.clone().unwrap().to_string();
    let other_specialist = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Role(r)
                if r.role == PractitionerRoleKind::Specialist
                    && r.practitioner.as_str() != specialist_id =>
            {
                Some(r.practitioner.to_string())
            }
            _ => None,
        })
        .expect("a second specialist");
    // The doctor's own team's residents first; then others, whom the
    // doctor follows up as staff of the primary institution.
    let on_team = |r: &&tiercare_core::resident::Resident| {
        r.contract
            .as_ref()
            .is_some_and(|c| c.team.as_str() == DOCTOR_TEAM)
    };
    let mut patients: Vec<String> = app
        .residents()
        .filter(on_team)
        .map(|r| r.id.to_string())
        .collect();
    assert!(!patients.is_empty(), "residents on the doctor's team");
    patients.extend(
        app.residents()
            .filter(|r| !on_team(r))
            .map(|r| r.id.to_string())
            .take(4),
    );
    Cast {
        today: app.state.ctx.clock.today(),
        primary: doctor.institution.clone().unwrap().to_string(),
        family_doctor: doctor.practitioner.clone().unwrap().to_string(),
        hospital: specialist.institution.clone().unwrap().to_string(),
        specialist: specialist_id,
        other_specialist,
        patients,
    }
}

/// Writes a joint programme into the store (fixture; see the module doc).
async fn programme(app: &TestApp, c: &Cast, id: &str, specialist: &str) {
    let alliance = app
        .county
        .records
        .iter()
        .find_map(|r| match r {
            Record::Alliance(a) => Some(a.id.clone()),
            _ => None,
        })
        .expect("an alliance");
    let record = Record::Programme(Programme {
        id: id.parse().unwrap(),
        hospital: c.hospital.parse().unwrap(),
        department: Specialty::Cardiology,
        primary: c.primary.parse().unwrap(),
        alliance,
        kind: ProgrammeKind::Outreach,
        start: c.today - Duration::days(400),
        end: None,
        sessions_per_month: 2,
        slots_per_session: 10,
        specialists: vec![specialist.parse().unwrap()],
        services: vec![OutreachService::Hypertension, OutreachService::Diabetes],
        status: ProgrammeStatus::Active,
    });
    app.state
        .ctx
        .store
        .write_all(
            vec![Write {
                index: tiercare_fhir::index(&record),
                record,
                expect: Expect::New,
                actor: "test".into(),
                events: vec![],
                facts: vec![],
            }],
            vec![],
        )
        .await
        .expect("programme fixture");
}

/// Adds a doctor's account straight to the store; returns the username.
async fn add_doctor(app: &TestApp, username: &str, institution: &str, practitioner: &str) {
    app.state
        .ctx
        .store
        .add_user(&NewUser {
            username: username.into(),
            password_hash: hash_password(&format!("{username}-password-1")).expect("hash"),
            role: UserRole::Doctor,
            institution: Some(institution.parse().unwrap()),
            practitioner: Some(practitioner.parse().unwrap()),
            resident: None,
        })
        .await
        .expect("add user");
}

async fn token_of(app: &TestApp, username: &str) -> String {
    let resp = app.login(username, &format!("{username}-password-1")).await;
    resp.expect(200);
    resp.json()["access_token"].as_str().unwrap().to_string()
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> crate::helpers::Resp {
    crate::helpers::send(app.client.get(app.fhir_url(path)).bearer_auth(token)).await
}

/// A panel enrolment CarePlan.
fn enrolment(
    c: &Cast,
    patient: &str,
    programme: Option<&str>,
    conditions: &[&str],
    start: Date,
    interval_days: u32,
) -> Value {
    let mut contained = vec![json!({
        "resourceType": "CareTeam", "id": "team",
        "participant": [
            {"role": [{"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/practitioner-role", "code": "family-doctor"}]}],
             "member": {"reference": format!("Practitioner/{}", c.family_doctor)}},
            {"role": [{"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/practitioner-role", "code": "specialist"}]}],
             "member": {"reference": format!("Practitioner/{}", c.specialist)}},
        ],
        "managingOrganization": [{"reference": format!("Organization/{}", c.primary)}],
    })];
    let mut addresses = vec![];
    for code in conditions {
        contained.push(json!({"resourceType": "Condition", "id": code,
            "code": {"coding": [{"system": ICD10, "code": code}]},
            "subject": {"reference": format!("Patient/{patient}")}}));
        addresses.push(json!({"reference": format!("#{code}")}));
    }
    let mut v = json!({
        "resourceType": "CarePlan",
        "contained": contained,
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [{"system": "https://tiercare.org/fhir/CodeSystem/care-plan-kind", "code": "chronic-panel"}]}],
        "subject": {"reference": format!("Patient/{patient}")},
        "period": {"start": ymd(start)},
        "careTeam": [{"reference": "#team"}],
        "addresses": addresses,
        "activity": [{"detail": {"status": "scheduled",
            "scheduledTiming": {"repeat": {"frequency": 1, "period": interval_days, "periodUnit": "d"}}}}],
    });
    if let Some(p) = programme {
        v["extension"] = json!([{"url": "https://tiercare.org/fhir/StructureDefinition/panel-programme",
                                 "valueReference": {"reference": format!("HealthcareService/{p}")}}]);
    }
    v
}

fn at(d: Date) -> String {
    format!("{}T10:00:00Z", ymd(d))
}

fn bp(plan: &str, patient: &str, on: Date, sys: f64, dia: f64, unit: &str) -> Value {
    let q = |v: f64| json!({"value": v, "unit": unit, "system": UCUM, "code": unit});
    json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": format!("Patient/{patient}")},
        "basedOn": [{"reference": format!("CarePlan/{plan}")}],
        "effectiveDateTime": at(on),
        "component": [
            {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": q(sys)},
            {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": q(dia)},
        ],
    })
}

fn lab(plan: &str, patient: &str, on: Date, loinc: &str, value: f64, unit: &str) -> Value {
    json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": format!("Patient/{patient}")},
        "basedOn": [{"reference": format!("CarePlan/{plan}")}],
        "effectiveDateTime": at(on),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    })
}

/// `$status` as of a day: (overall, hypertension, diabetes), `-` where the
/// panel has no such condition.
async fn status(app: &TestApp, user: &str, plan: &str, on: Date) -> (String, String, String) {
    let resp = app
        .get(user, &format!("/CarePlan/{plan}/$status?date={}", ymd(on)))
        .await;
    resp.expect(200);
    let p = resp.json();
    assert_eq!(p["resourceType"], "Parameters", "{p}");
    let params = p["parameter"].as_array().unwrap();
    let value = |name: &str| {
        params
            .iter()
            .find(|x| x["name"] == name)
            .map(|x| x["valueCode"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    let condition = |code: &str| {
        params
            .iter()
            .filter(|x| x["name"] == "condition")
            .find(|x| x["part"][0]["valueCode"] == code)
            .map(|x| x["part"][1]["valueCode"].as_str().unwrap().to_string())
            .unwrap_or_else(|| "-".into())
    };
    (
        value("overall"),
        condition("hypertension"),
        condition("diabetes"),
    )
}

fn s3(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[tokio::test]
async fn control_status_follows_the_measurements_at_the_targets_edges() {
    let app = spawn_app().await;
    let c = cast(&app);
    programme(&app, &c, "prog-htn-dm", &c.specialist).await;
    let patient = &c.patients[0];
    let start = c.today - Duration::days(170);
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, Some("prog-htn-dm"), &["I10", "E11"], start, 90),
        )
        .await;
    resp.expect(201);
    let plan_json = resp.json();
    let plan = plan_json["id"].as_str().unwrap().to_string();
    assert_eq!(plan_json["status"], "active");
    assert_eq!(plan_json["period"]["start"], ymd(start));
    let mut rendered = vec![plan_json.clone()];

    let day = |n: i64| c.today - Duration::days(n);
    assert_eq!(
        status(&app, "doctor", &plan, day(160)).await,
        s3("unknown", "unknown", "unknown")
    );

    // (day, observation, expected status as of that day)
    let steps: Vec<(i64, Value, (String, String, String))> = vec![
        (
            150,
            bp(&plan, patient, day(150), 139.0, 89.0, "mm[Hg]"),
            s3("unknown", "controlled", "unknown"),
        ),
        (
            150,
            lab(&plan, patient, day(150), "4548-4", 6.9, "%"),
            s3("controlled", "controlled", "controlled"),
        ),
        (
            140,
            bp(&plan, patient, day(140), 140.0, 89.0, "mm[Hg]"),
            s3("uncontrolled", "uncontrolled", "controlled"),
        ),
        (
            130,
            bp(&plan, patient, day(130), 139.0, 90.0, "mm[Hg]"),
            s3("uncontrolled", "uncontrolled", "controlled"),
        ),
        (
            120,
            bp(&plan, patient, day(120), 139.0, 89.0, "mm[Hg]"),
            s3("controlled", "controlled", "controlled"),
        ),
        (
            110,
            lab(&plan, patient, day(110), "4548-4", 7.0, "%"),
            s3("uncontrolled", "controlled", "uncontrolled"),
        ),
        // A fasting glucose in range does not overrule a recent HbA1c.
        (
            100,
            lab(&plan, patient, day(100), "1558-6", 90.0, "mg/dL"),
            s3("uncontrolled", "controlled", "uncontrolled"),
        ),
        // HbA1c in IFCC units: 48 mmol/mol is 6.5 %.
        (
            90,
            lab(&plan, patient, day(90), "4548-4", 48.0, "mmol/mol"),
            s3("controlled", "controlled", "controlled"),
        ),
    ];
    for (n, obs, expected) in steps {
        let resp = app.post("doctor", "/Observation", &obs).await;
        resp.expect(201);
        let saved = resp.json();
        assert_eq!(saved["basedOn"][0]["reference"], format!("CarePlan/{plan}"));
        rendered.push(saved);
        assert_eq!(
            status(&app, "doctor", &plan, day(n)).await,
            expected,
            "as of day -{n} after {obs}"
        );
    }
    // As of a day before a measurement, it does not count: 140/89 (day
    // -140) is not yet known on day -145.
    assert_eq!(
        status(&app, "doctor", &plan, day(145)).await,
        s3("controlled", "controlled", "controlled")
    );
    // Measurements older than two intervals (180 days) tell nothing.
    assert_eq!(
        status(&app, "doctor", &plan, c.today + Duration::days(200)).await,
        s3("unknown", "unknown", "unknown")
    );

    // The mg/dL glucose is stored in mmol/L: 90 mg/dL is 5.0 mmol/L.
    let obs = app
        .get(
            "doctor",
            &format!("/Observation?patient=Patient/{patient}&code=1558-6"),
        )
        .await;
    obs.expect(200);
    let found = entries(&obs.json());
    assert_eq!(found.len(), 1, "{}", obs.body);
    let q = &found[0]["valueQuantity"];
    assert_eq!(q["value"].as_f64(), Some(5.0), "{}", obs.body);
    assert_eq!(q["code"], "mmol/L");
    assert_eq!(q["system"], UCUM);

    // A diabetes-only panel decided by fasting glucose at both ends of the
    // range: 4.4 and 7.0 mmol/L are at target, 7.1 is not.
    let other = &c.patients[1];
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, other, Some("prog-htn-dm"), &["E11"], start, 30),
        )
        .await;
    resp.expect(201);
    let dm = resp.json()["id"].as_str().unwrap().to_string();
    for (n, value, unit, expected) in [
        (60, 7.0, "mmol/L", "controlled"),
        (50, 127.0, "mg/dL", "uncontrolled"), // 7.06 mmol/L, 7.1 once rounded
        (40, 4.4, "mmol/L", "controlled"),
        (30, 4.3, "mmol/L", "uncontrolled"),
        (20, 126.0, "mg/dL", "controlled"), // exactly 7.0 mmol/L
    ] {
        let resp = app
            .post(
                "doctor",
                "/Observation",
                &lab(&dm, other, day(n), "1558-6", value, unit),
            )
            .await;
        resp.expect(201);
        assert_eq!(
            status(&app, "doctor", &dm, day(n)).await,
            s3(expected, "-", expected),
            "glucose {value} {unit}"
        );
    }

    // Read with its control as of today and its team; valid FHIR R4.
    let read = app.get("doctor", &format!("/CarePlan/{plan}")).await;
    read.expect(200);
    let read = read.json();
    let control = read["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("panel-control"))
        .expect("panel-control extension");
    assert!(
        control["extension"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["url"] == "overall" && e["valueCode"] == "controlled"),
        "{control}"
    );
    assert_eq!(read["contained"][0]["resourceType"], "CareTeam");
    assert_eq!(
        read["contained"][0]["managingOrganization"][0]["reference"],
        format!("Organization/{}", c.primary)
    );
    rendered.push(read);
    let status_params = app
        .get("doctor", &format!("/CarePlan/{plan}/$status"))
        .await;
    status_params.expect(200);
    rendered.push(status_params.json());
    let search = app
        .get(
            "doctor",
            &format!("/CarePlan?patient=Patient/{patient}&category=chronic-panel"),
        )
        .await;
    search.expect(200);
    assert_eq!(entries(&search.json()).len(), 1, "{}", search.body);
    rendered.push(search.json());
    assert_valid_fhir(&rendered);
}

#[tokio::test]
async fn impossible_units_and_wrong_measurements_are_refused() {
    let app = spawn_app().await;
    let c = cast(&app);
    programme(&app, &c, "prog-units", &c.specialist).await;
    let patient = &c.patients[0];
    let start = c.today - Duration::days(100);
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, Some("prog-units"), &["I10", "E11"], start, 90),
        )
        .await;
    resp.expect(201);
    let plan = resp.json()["id"].as_str().unwrap().to_string();
    let day = |n: i64| c.today - Duration::days(n);
    let before = app.count("Observation").await;

    // Blood pressure in mmol/L, HbA1c in mm[Hg], glucose in %.
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, patient, day(5), 130.0, 80.0, "mmol/L"),
        )
        .await;
    assert_outcome(&resp, 400, "valueQuantity.unit");
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &lab(&plan, patient, day(5), "4548-4", 6.5, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 400, "valueQuantity.unit");
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &lab(&plan, patient, day(5), "1558-6", 6.5, "%"),
        )
        .await;
    assert_outcome(&resp, 400, "valueQuantity.unit");
    // Implausible values and a diastolic above the systolic.
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &lab(&plan, patient, day(5), "4548-4", 65.0, "%"),
        )
        .await;
    assert_outcome(&resp, 400, "valueQuantity.value");
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, patient, day(5), 80.0, 120.0, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 400, "diastolic");
    // A code that is no panel measurement.
    let mut wrong = lab(&plan, patient, day(5), "4548-4", 6.5, "%");
    wrong["code"]["coding"][0]["code"] = json!("2345-7");
    assert_outcome(
        &app.post("doctor", "/Observation", &wrong).await,
        400,
        "Observation.code",
    );
    // Another patient's measurement on this panel.
    let other = &c.patients[1];
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, other, day(5), 130.0, 80.0, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 422, "subject");
    // Before enrolment, and in the future.
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, patient, day(101), 130.0, 80.0, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 422, "effectiveDateTime");
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(
                &plan,
                patient,
                c.today + Duration::days(2),
                130.0,
                80.0,
                "mm[Hg]",
            ),
        )
        .await;
    assert_outcome(&resp, 422, "effectiveDateTime");
    // A panel that does not exist.
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp("no-such-plan", patient, day(5), 130.0, 80.0, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 422, "basedOn");
    assert_eq!(app.count("Observation").await, before, "nothing was stored");
    // Each refusal is in the audit trail against the patient.
    let (trail, _) = app
        .state
        .ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("doctor".into()),
            patient: Some(patient.clone()),
            outcomes: vec![AuditOutcome::Failed],
            count: 500,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(
        trail
            .iter()
            .any(|a| a.resource_type == "Observation" && a.detail.contains("mmol/L")),
        "{trail:?}"
    );
    assert!(
        trail
            .iter()
            .filter(|a| a.resource_type == "Observation")
            .count()
            >= 8,
        "{trail:?}"
    );

    // After the enrolment ended.
    let end = json!({"resourceType": "Parameters",
                     "parameter": [{"name": "date", "valueDate": ymd(day(10))}]});
    let resp = app
        .post("doctor", &format!("/CarePlan/{plan}/$end"), &end)
        .await;
    resp.expect(200);
    let ended = resp.json();
    assert_eq!(ended["status"], "completed");
    assert_eq!(ended["period"]["end"], ymd(day(10)));
    assert_eq!(ended["contained"][0]["status"], "inactive");
    assert_valid_fhir(std::slice::from_ref(&ended));
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, patient, day(5), 130.0, 80.0, "mm[Hg]"),
        )
        .await;
    assert_outcome(&resp, 422, "effectiveDateTime");
    // Before the end it still is accepted.
    let resp = app
        .post(
            "doctor",
            "/Observation",
            &bp(&plan, patient, day(11), 130.0, 80.0, "mm[Hg]"),
        )
        .await;
    resp.expect(201);
    // Ending twice conflicts.
    let resp = app
        .post("doctor", &format!("/CarePlan/{plan}/$end"), &end)
        .await;
    assert_outcome(&resp, 409, "already ended");

    // Enrolments that break the rules.
    let mut at_hospital = enrolment(&c, patient, None, &["I10"], start, 90);
    at_hospital["contained"][0]["managingOrganization"][0]["reference"] =
        json!(format!("Organization/{}", c.hospital));
    let resp = app.post("admin", "/CarePlan", &at_hospital).await;
    assert_outcome(&resp, 422, "primary");
    let unknown_condition = {
        let mut v = enrolment(&c, patient, None, &["I10"], start, 90);
        v["contained"][1]["code"]["coding"][0]["code"] = json!("J45");
        v
    };
    let resp = app.post("doctor", "/CarePlan", &unknown_condition).await;
    assert_outcome(&resp, 422, "addresses");
    // The programme does not list this specialist.
    programme(&app, &c, "prog-other", &c.other_specialist).await;
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, Some("prog-other"), &["I10"], start, 90),
        )
        .await;
    assert_outcome(&resp, 422, "careTeam");
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, None, &[], start, 90),
        )
        .await;
    assert_outcome(&resp, 422, "addresses");
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, None, &["I10"], start, 0),
        )
        .await;
    assert_outcome(&resp, 400, "scheduledTiming");
}

#[tokio::test]
async fn the_due_list_puts_the_most_overdue_first() {
    let app = spawn_app().await;
    let c = cast(&app);
    let day = |n: i64| c.today - Duration::days(n);
    let mut plans = vec![];
    // (patient, enrolled days ago, interval): overdue by 110 days, due in
    // 10 days, not due for 80 days, and one followed up recently.
    for (i, (ago, interval)) in [(200, 90), (80, 90), (10, 90), (120, 90)]
        .iter()
        .enumerate()
    {
        let resp = app
            .post(
                "doctor",
                "/CarePlan",
                &enrolment(&c, &c.patients[i], None, &["I10"], day(*ago), *interval),
            )
            .await;
        resp.expect(201);
        plans.push(resp.json()["id"].as_str().unwrap().to_string());
    }
    // The fourth patient was seen 60 days ago: next due in 30 days.
    app.post(
        "doctor",
        "/Observation",
        &bp(&plans[3], &c.patients[3], day(60), 130.0, 80.0, "mm[Hg]"),
    )
    .await
    .expect(201);

    let due = app
        .get(
            "doctor",
            &format!(
                "/CarePlan/$due?practitioner=Practitioner/{}",
                c.family_doctor
            ),
        )
        .await;
    due.expect(200);
    let bundle = due.json();
    let list = entries(&bundle);
    let ids: Vec<&str> = list.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![plans[0].as_str(), plans[1].as_str()], "{bundle}");
    let follow_up = |e: &Value, part: &str| -> Value {
        e["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["url"].as_str().unwrap().ends_with("panel-follow-up"))
            .unwrap()["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["url"] == part)
            .unwrap()
            .clone()
    };
    assert_eq!(follow_up(&list[0], "state")["valueCode"], "overdue");
    assert_eq!(follow_up(&list[0], "days-overdue")["valueInteger"], 110);
    assert_eq!(follow_up(&list[0], "due")["valueDate"], ymd(day(110)));
    assert_eq!(follow_up(&list[1], "state")["valueCode"], "due");
    assert_eq!(follow_up(&list[1], "days-overdue")["valueInteger"], -10);

    // By institution, the same; 40 days on, the recent one is due too and
    // the one enrolled 10 days ago not yet.
    let later = ymd(c.today + Duration::days(40));
    let due = app
        .get(
            "doctor",
            &format!(
                "/CarePlan/$due?organization=Organization/{}&date={later}",
                c.primary
            ),
        )
        .await;
    due.expect(200);
    let later_list = entries(&due.json());
    let ids: Vec<&str> = later_list
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![plans[0].as_str(), plans[1].as_str(), plans[3].as_str()]
    );
    assert_eq!(follow_up(&later_list[2], "state")["valueCode"], "overdue");

    // Another doctor's list is not theirs to see; an analyst sees none.
    let other = app
        .get(
            "specialist",
            &format!(
                "/CarePlan/$due?practitioner=Practitioner/{}",
                c.family_doctor
            ),
        )
        .await;
    assert_outcome(&other, 403, "due list");
    let analyst = app
        .get(
            "analyst",
            &format!("/CarePlan/$due?organization=Organization/{}", c.primary),
        )
        .await;
    assert_outcome(&analyst, 403, "due list");
    assert_valid_fhir(&[bundle]);
}

#[tokio::test]
async fn a_specialist_sees_the_panels_of_their_programmes_only_and_all_is_audited() {
    let app = spawn_app().await;
    let c = cast(&app);
    programme(&app, &c, "prog-mine", &c.specialist).await;
    programme(&app, &c, "prog-theirs", &c.other_specialist).await;
    add_doctor(&app, "spec2", &c.hospital, &c.other_specialist).await;
    let spec2 = token_of(&app, "spec2").await;
    let patient = &c.patients[0];
    let start = c.today - Duration::days(60);
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(&c, patient, Some("prog-mine"), &["I10"], start, 90),
        )
        .await;
    resp.expect(201);
    let plan = resp.json()["id"].as_str().unwrap().to_string();
    let obs = app
        .post(
            "doctor",
            "/Observation",
            &bp(
                &plan,
                patient,
                c.today - Duration::days(3),
                150.0,
                95.0,
                "mm[Hg]",
            ),
        )
        .await;
    obs.expect(201);
    let obs_id = obs.json()["id"].as_str().unwrap().to_string();

    // The programme's specialist reads the panel, its status, its
    // measurements, and finds them by patient; may record one too.
    app.get("specialist", &format!("/CarePlan/{plan}"))
        .await
        .expect(200);
    app.get("specialist", &format!("/Observation/{obs_id}"))
        .await
        .expect(200);
    assert_eq!(
        status(&app, "specialist", &plan, c.today).await,
        s3("uncontrolled", "uncontrolled", "-")
    );
    let found = app
        .get(
            "specialist",
            &format!("/Observation?patient=Patient/{patient}"),
        )
        .await;
    found.expect(200);
    assert_eq!(entries(&found.json()).len(), 1, "{}", found.body);
    let found = app
        .get(
            "specialist",
            &format!("/CarePlan?patient=Patient/{patient}"),
        )
        .await;
    found.expect(200);
    assert_eq!(entries(&found.json()).len(), 1, "{}", found.body);
    app.post(
        "specialist",
        "/Observation",
        &bp(
            &plan,
            patient,
            c.today - Duration::days(1),
            135.0,
            85.0,
            "mm[Hg]",
        ),
    )
    .await
    .expect(201);
    // ... but cannot end it (the primary side does), and sees nothing of
    // the patient outside the panel.
    let resp = app
        .post(
            "specialist",
            &format!("/CarePlan/{plan}/$end"),
            &json!({"resourceType": "Parameters"}),
        )
        .await;
    assert_outcome(&resp, 403, "primary side");
    assert_outcome(
        &app.get("specialist", &format!("/Patient/{patient}")).await,
        404,
        "does not exist",
    );

    // Another programme's specialist sees none of it.
    let r = get_as(&app, &spec2, &format!("/CarePlan/{plan}")).await;
    assert_hidden(&r, &format!("CarePlan/{plan}"));
    let r = get_as(&app, &spec2, &format!("/Observation/{obs_id}")).await;
    assert_hidden(&r, &format!("Observation/{obs_id}"));
    let r = get_as(&app, &spec2, &format!("/CarePlan/{plan}/$status")).await;
    assert_outcome(&r, 403, "CarePlan");
    let r = get_as(
        &app,
        &spec2,
        &format!("/Observation?patient=Patient/{patient}"),
    )
    .await;
    assert_outcome(&r, 403, "not in your care");
    // Nor an analyst (patient data).
    assert_hidden(
        &app.get("analyst", &format!("/CarePlan/{plan}")).await,
        &format!("CarePlan/{plan}"),
    );
    assert_outcome(
        &app.get("analyst", &format!("/CarePlan/{plan}/$status"))
            .await,
        403,
        "",
    );

    // The audit trail: the write, the specialist's reads, the refusals.
    let audit = |username: &str| {
        let store = app.state.ctx.store.clone();
        let username = username.to_string();
        let patient = patient.clone();
        async move {
            store
                .audit_search(&AuditQuery {
                    username: Some(username),
                    patient: Some(patient),
                    count: 500,
                    ..Default::default()
                })
                .await
                .expect("audit")
                .0
        }
    };
    let doctor = audit("doctor").await;
    assert!(
        doctor.iter().any(|a| a.action == "create"
            && a.resource_type == "CarePlan"
            && a.resource_id.as_deref() == Some(plan.as_str())
            && a.outcome == AuditOutcome::Success),
        "{doctor:?}"
    );
    assert!(doctor.iter().any(|a| a.action == "create"
        && a.resource_type == "Observation"
        && a.resource_id.as_deref() == Some(obs_id.as_str())));
    let specialist = audit("specialist").await;
    for rt in ["CarePlan", "Observation"] {
        assert!(
            specialist.iter().any(|a| a.action == "read"
                && a.resource_type == rt
                && a.outcome == AuditOutcome::Success),
            "no read of {rt}: {specialist:?}"
        );
    }
    assert!(
        specialist
            .iter()
            .any(|a| a.action == "end" && a.outcome == AuditOutcome::Denied)
    );
    let spec2_trail = audit("spec2").await;
    assert!(
        spec2_trail
            .iter()
            .filter(|a| a.outcome == AuditOutcome::Denied)
            .count()
            >= 4,
        "{spec2_trail:?}"
    );
    let analyst = audit("analyst").await;
    assert!(
        analyst.iter().any(|a| a.outcome == AuditOutcome::Denied),
        "{analyst:?}"
    );
}

#[tokio::test]
async fn panel_writes_feed_the_chronic_management_indicator() {
    let app = spawn_app().await;
    let c = cast(&app);
    let period = format!(
        "periodStart={}&periodEnd={}&subject=Organization/{}",
        ymd(c.today - Duration::days(1)),
        ymd(c.today),
        c.primary
    );
    let score = |report: &Value| report["group"][0]["measureScore"]["value"].as_f64();
    let evaluate = || async {
        let resp = app
            .get(
                "analyst",
                &format!("/Measure/chronic-management/$evaluate-measure?{period}"),
            )
            .await;
        resp.expect(200);
        resp.json()
    };
    let empty = evaluate().await;
    assert_eq!(score(&empty), None, "no panel yet: {empty}");

    // Three patients enrolled, two of them measured within 90 days.
    let mut plans = vec![];
    for p in &c.patients[..3] {
        let resp = app
            .post(
                "doctor",
                "/CarePlan",
                &enrolment(&c, p, None, &["I10"], c.today - Duration::days(200), 90),
            )
            .await;
        resp.expect(201);
        plans.push(resp.json()["id"].as_str().unwrap().to_string());
    }
    for (i, ago) in [(0, 10), (1, 30), (2, 120)] {
        app.post(
            "doctor",
            "/Observation",
            &bp(
                &plans[i],
                &c.patients[i],
                c.today - Duration::days(ago),
                130.0,
                80.0,
                "mm[Hg]",
            ),
        )
        .await
        .expect(201);
    }
    let report = evaluate().await;
    let s = score(&report).expect("a chronic-management score");
    assert!((s - 2.0 / 3.0).abs() < 1e-9, "{report}");

    // Ending one of the followed panels: one of two known is followed.
    app.post(
        "doctor",
        &format!("/CarePlan/{}/$end", plans[0]),
        &json!({"resourceType": "Parameters"}),
    )
    .await
    .expect(200);
    let report = evaluate().await;
    let s = score(&report).expect("a chronic-management score");
    // Ended today, the patient is still enrolled today: 2 of 3.
    assert!((s - 2.0 / 3.0).abs() < 1e-9, "{report}");
    let resp = app
        .post(
            "doctor",
            "/CarePlan",
            &enrolment(
                &c,
                &c.patients[3],
                None,
                &["E11"],
                c.today - Duration::days(5),
                90,
            ),
        )
        .await;
    resp.expect(201);
    let report = evaluate().await;
    let s = score(&report).expect("a chronic-management score");
    assert!((s - 2.0 / 4.0).abs() < 1e-9, "{report}");
    assert_valid_fhir(&[report]);
}
