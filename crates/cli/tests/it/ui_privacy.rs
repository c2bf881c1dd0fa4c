//! Privacy across the whole web UI: every page, as every demo user, after a
//! full referral loop and a panel enrolment gave the pages something to
//! show. Each page answers exactly what its workplace allows (200 on the
//! user's own pages, 403 elsewhere, 403 or 404 for a record the API keeps
//! from them), never a server error, always with the security headers; and
//! no page, in Chinese or English, HTML or CSV, names or identifies a
//! resident the FHIR API would not show that user.

use crate::closed_loop::walk;
use crate::dashboard::{sign_in, ui_get_in};
use crate::helpers::{DEMO_RESIDENT, DOCTOR_TEAM, ROLES, Resp, TestApp, entry_ids, spawn_app};
use crate::referral::HOSPITAL;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use tiercare_core::Record;
use tiercare_web::Lang;

/// The families of pages: one per workplace, and the two region-wide pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Area {
    Doctor,
    Desk,
    Office,
    Specialist,
    Me,
    Insurer,
    Admin,
    Dashboard,
    Programmes,
}

/// The workplace each demo user lands in.
fn area_of(user: &str) -> Area {
    match user {
        "admin" => Area::Admin,
        "analyst" => Area::Dashboard,
        "coordinator" => Area::Office,
        "doctor" => Area::Doctor,
        "specialist" => Area::Specialist,
        "resident" => Area::Me,
        "insurer" => Area::Insurer,
        "frontdesk" => Area::Desk,
        other => panic!("no workplace for {other}"),
    }
}

/// One concrete page to open.
struct Page {
    url: String,
    area: Area,
    /// The FHIR record the page shows: whether the API lets the user read
    /// it decides whether the page may (None: a page without a record).
    record: Option<String>,
    /// Whether a readable record must give 200. Off for a record of another
    /// kind than the page expects (a consult on the referral page, a
    /// downward referral on the upward one's), where the page may refuse it
    /// as unknown or not applicable: only its privacy is checked there.
    strict: bool,
}

fn page(area: Area, url: impl Into<String>) -> Page {
    Page {
        url: url.into(),
        area,
        record: None,
        strict: true,
    }
}

fn of(area: Area, url: impl Into<String>, record: impl Into<String>, strict: bool) -> Page {
    Page {
        url: url.into(),
        area,
        record: Some(record.into()),
        strict,
    }
}

/// What a user may get for a page: `None` means any answer but a server
/// error (a readable record of another kind).
fn expected(user: &str, p: &Page, readable: Option<bool>) -> Option<Vec<u16>> {
    let own = area_of(user);
    match p.area {
        Area::Dashboard => Some(if matches!(user, "admin" | "analyst") {
            vec![200]
        } else {
            vec![403]
        }),
        // The programmes' evaluation is for the region's staff and for the
        // hospitals' and family doctors' workplaces taking part; not for
        // the front desk, a resident or the fund.
        Area::Programmes => Some(match user {
            "resident" | "insurer" | "frontdesk" => vec![403],
            _ => vec![200],
        }),
        area if area != own => Some(vec![403]),
        _ => match readable {
            None => Some(vec![200]),
            Some(true) if p.strict => Some(vec![200]),
            Some(true) => None,
            Some(false) => Some(vec![403, 404]),
        },
    }
}

/// A second patient of the doctor's team referred up and left open, so the
/// hospital's worklists hold more than the demo resident.
async fn open_referral(app: &TestApp, patient: &str) -> String {
    let resp = app
        .post(
            "doctor",
            "/ServiceRequest",
            &json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{patient}")},
                "performer": [{"reference": format!("Organization/{HOSPITAL}")}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Chest pain on exertion."}]
            }),
        )
        .await;
    resp.expect(201);
    resp.json()["id"].as_str().expect("id").to_string()
}

/// A resident's id and the words that would identify them on a page: the
/// id, the name in hanzi and in pinyin (names under two characters
/// identify nobody).
fn identifiers(r: &tiercare_core::resident::Resident) -> (String, Vec<String>) {
    let mut words = vec![r.id.to_string()];
    words.extend(
        [Some(r.name.full()), r.name.pinyin_full()]
            .into_iter()
            .flatten()
            .filter(|n| n.chars().count() >= 2),
    );
    (r.id.to_string(), words)
}

/// Every page of the UI with a GET route, its ids filled in.
fn pages(
    residents: &[String],
    referrals: &[String],
    consult: &str,
    down: &str,
    plan: &str,
    panel: &str,
) -> Vec<Page> {
    use Area::*;
    let nobody = "res-does-not-exist";
    let nothing = "does-not-exist";
    let mut out = vec![
        page(Dashboard, "/ui/dashboard"),
        page(Programmes, "/ui/programmes"),
        page(Doctor, "/ui/doctor"),
        page(Doctor, "/ui/doctor/residents"),
        page(Desk, "/ui/desk"),
        page(Office, "/ui/office"),
        page(Office, "/ui/office/arrivals"),
        page(Office, "/ui/office/beds"),
        page(Office, "/ui/office/outreach"),
        page(Specialist, "/ui/specialist"),
        page(Me, "/ui/me"),
        page(Insurer, "/ui/insurer"),
        page(Admin, "/ui/admin"),
        page(Admin, "/ui/admin/registry"),
        page(Admin, "/ui/admin/audit"),
        page(Admin, format!("/ui/admin/audit?patient={DEMO_RESIDENT}")),
        page(Admin, "/ui/admin/users"),
    ];
    for kind in ["institutions", "alliances", "teams", "practitioners"] {
        out.push(page(Admin, format!("/ui/admin/registry?kind={kind}")));
    }
    for table in tiercare_web::tables::KEYS {
        out.push(page(Dashboard, format!("/ui/dashboard.csv?table={table}")));
    }
    for table in tiercare_web::programmes::KEYS {
        out.push(page(
            Programmes,
            format!("/ui/programmes.csv?table={table}"),
        ));
    }
    for r in residents.iter().map(String::as_str).chain([nobody]) {
        let record = format!("Patient/{r}");
        out.push(of(
            Doctor,
            format!("/ui/doctor/residents/{r}"),
            &record,
            true,
        ));
        out.push(of(
            Doctor,
            format!("/ui/doctor/residents/{r}/refer"),
            &record,
            true,
        ));
        out.push(of(
            Doctor,
            format!("/ui/doctor/consults/new?patient={r}"),
            &record,
            true,
        ));
    }
    for r in referrals.iter().map(String::as_str).chain([nothing]) {
        let record = format!("ServiceRequest/{r}");
        out.push(of(
            Doctor,
            format!("/ui/doctor/referrals/{r}"),
            &record,
            true,
        ));
        out.push(of(
            Office,
            format!("/ui/office/referrals/{r}"),
            &record,
            true,
        ));
        out.push(of(
            Specialist,
            format!("/ui/specialist/referrals/{r}"),
            &record,
            true,
        ));
        // Referring down answers for a referral in care only: the walked one
        // is already back home.
        out.push(of(
            Specialist,
            format!("/ui/specialist/referrals/{r}/refer-down"),
            &record,
            false,
        ));
    }
    // The downward referral and the consult on the upward pages.
    for other in [down, consult] {
        let record = format!("ServiceRequest/{other}");
        out.push(of(
            Doctor,
            format!("/ui/doctor/referrals/{other}"),
            &record,
            false,
        ));
        out.push(of(
            Office,
            format!("/ui/office/referrals/{other}"),
            &record,
            false,
        ));
        out.push(of(
            Specialist,
            format!("/ui/specialist/referrals/{other}"),
            &record,
            false,
        ));
    }
    for c in [consult, nothing] {
        let record = format!("ServiceRequest/{c}");
        out.push(of(
            Doctor,
            format!("/ui/doctor/consults/{c}"),
            &record,
            true,
        ));
        out.push(of(
            Specialist,
            format!("/ui/specialist/consults/{c}"),
            &record,
            true,
        ));
    }
    for p in [plan, nothing] {
        out.push(of(
            Specialist,
            format!("/ui/specialist/plans/{p}"),
            format!("CarePlan/{p}"),
            true,
        ));
    }
    for p in [panel, nothing] {
        out.push(of(
            Doctor,
            format!("/ui/doctor/panels/{p}"),
            format!("CarePlan/{p}"),
            true,
        ));
    }
    // A care plan on the panel page and a panel on the care plan page.
    out.push(of(
        Doctor,
        format!("/ui/doctor/panels/{plan}"),
        format!("CarePlan/{plan}"),
        false,
    ));
    out.push(of(
        Specialist,
        format!("/ui/specialist/plans/{panel}"),
        format!("CarePlan/{panel}"),
        false,
    ));
    out
}

/// The security headers every page carries, and that no page is cached.
fn check_headers(resp: &Resp, user: &str, url: &str, failures: &mut Vec<String>) {
    let csp = resp.header("content-security-policy").unwrap_or_default();
    if !csp.contains("default-src 'none'") {
        failures.push(format!("{user} {url}: Content-Security-Policy {csp:?}"));
    }
    let cache = resp.header("cache-control").unwrap_or_default();
    if cache != "no-store" {
        failures.push(format!("{user} {url}: Cache-Control {cache:?}"));
    }
    if resp.header("x-content-type-options").as_deref() != Some("nosniff") {
        failures.push(format!("{user} {url}: no X-Content-Type-Options"));
    }
}

/// The residents' words found on a page shown to a user who may not see
/// them; not the words of the address the user typed (a refusal may name
/// the page asked for, which tells the user nothing they did not know).
fn leaks(body: &str, url: &str, hidden: &[(String, String)]) -> Vec<String> {
    hidden
        .iter()
        .filter(|(word, _)| body.contains(word.as_str()) && !url.contains(word.as_str()))
        .map(|(word, id)| format!("{word:?} ({id})"))
        .collect()
}

#[tokio::test]
async fn no_page_shows_a_resident_to_someone_the_api_would_not() {
    let app = spawn_app().await;
    let started = Instant::now();

    // Activity across the roles: the whole loop (e-consult, referral,
    // visit, report, downward referral, care plan, claim), a panel, and a
    // second resident of the team referred up and left open.
    let walked = walk(&app).await;
    let panel = crate::ui_doctor::enrol(&app).await;
    // The demo team cares for the demo resident alone: a second patient
    // signs with it, named in hanzi as residents are.
    let created = app
        .create(&crate::fixtures::patient("欧阳", "明轩", Some(DOCTOR_TEAM)))
        .await;
    let second = created["id"].as_str().expect("id").to_string();
    let open = open_referral(&app, &second).await;

    // Who each user may see, by the API's own answers: its search, and a
    // read of each of the county's residents (a small county: 60).
    let mut all: Vec<(String, Vec<String>)> = app.residents().map(identifiers).collect();
    all.push((second.clone(), vec![second.clone(), "欧阳明轩".to_string()]));
    let mut visible: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut claimed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for user in ROLES {
        let mut seen = BTreeSet::new();
        for (id, _) in &all {
            let resp = app.get(user, &format!("/Patient/{id}")).await;
            assert!(
                matches!(resp.status, 200 | 403 | 404),
                "{user} GET /Patient/{id}: {}",
                resp.status
            );
            if resp.status == 200 {
                seen.insert(id.clone());
            }
        }
        let search = app.get(user, "/Patient?_count=500").await;
        assert!(
            matches!(search.status, 200 | 403),
            "{user} searches patients: {}",
            search.status
        );
        if search.status == 200 {
            for id in entry_ids(&search.json()) {
                assert!(
                    seen.contains(&id),
                    "{user} finds {id} by search but may not read it"
                );
            }
        }
        visible.insert(user, seen);
        // Whose claims the API shows the user: a claim names the insured
        // person by id (never by name), so the id is known to them. (Others
        // must name a patient to search claims: 400.)
        let claims = app.get(user, "/ExplanationOfBenefit?_count=500").await;
        let mut known = BTreeSet::new();
        assert!(
            matches!(claims.status, 200 | 400 | 403),
            "{user} searches claims: {}",
            claims.status
        );
        if claims.status == 200 {
            for c in crate::helpers::entries(&claims.json()) {
                if let Some(r) = c["patient"]["reference"].as_str() {
                    known.insert(r.trim_start_matches("Patient/").to_string());
                }
            }
        }
        claimed.insert(user, known);
    }
    // The rules the matrix rests on.
    assert_eq!(visible["admin"].len(), all.len(), "the admin sees everyone");
    assert!(visible["doctor"].contains(DEMO_RESIDENT));
    assert!(visible["doctor"].contains(&second));
    assert_eq!(
        visible["resident"],
        BTreeSet::from([DEMO_RESIDENT.to_string()]),
        "a resident sees themself only"
    );
    assert!(
        visible["specialist"].contains(DEMO_RESIDENT),
        "the hospital cares for the walked resident"
    );
    let outside = all
        .iter()
        .map(|(id, _)| id.clone())
        .find(|id| !visible["doctor"].contains(id))
        .expect("a resident outside the doctor's care");

    // Words that identify someone else: practitioners' names are on pages
    // for good reason, so a resident's name that is (part of) one is no
    // evidence; nor is a name another, visible resident shares.
    let practitioners: Vec<String> = app
        .county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Practitioner(p) => Some(p),
            _ => None,
        })
        .flat_map(|p| [Some(p.name.full()), p.name.pinyin_full()])
        .flatten()
        .collect();
    let hidden: BTreeMap<&str, Vec<(String, String)>> = ROLES
        .iter()
        .map(|user| {
            let seen = &visible[user];
            let visible_words: Vec<&String> = all
                .iter()
                .filter(|(id, _)| seen.contains(id))
                .flat_map(|(_, words)| words)
                .collect();
            let words = all
                .iter()
                .filter(|(id, _)| !seen.contains(id))
                .flat_map(|(id, words)| words.iter().map(move |w| (w.clone(), id.clone())))
                .filter(|(w, id)| {
                    let claim_id = w == id && claimed[user].contains(id);
                    let shared = practitioners.iter().any(|p| p.contains(w.as_str()))
                        || visible_words.iter().any(|v| v.contains(w.as_str()));
                    !claim_id && !shared
                })
                .collect();
            (*user, words)
        })
        .collect();

    // The pages, with real ids: residents on the team and off it, the
    // walked referral and the open one, the consult, the downward
    // referral, its care plan and the panel (and ids that do not exist).
    let mut residents = vec![DEMO_RESIDENT.to_string(), second.clone(), outside.clone()];
    let last: Vec<String> = app
        .residents()
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .take(2)
        .map(|r| r.id.to_string())
        .collect();
    for id in last {
        if !residents.contains(&id) {
            residents.push(id);
        }
    }
    let pages = pages(
        &residents,
        &[walked.referral.clone(), open.clone()],
        &walked.consult,
        &walked.down,
        &walked.care_plan,
        &panel,
    );

    // Whether each user may read each page's record, asked once.
    let mut readable: BTreeMap<(&str, String), bool> = BTreeMap::new();
    for user in ROLES {
        for p in &pages {
            if let Some(record) = &p.record
                && !readable.contains_key(&(user, record.clone()))
            {
                let resp = app.get(user, &format!("/{record}")).await;
                assert!(
                    matches!(resp.status, 200 | 403 | 404),
                    "{user} GET /{record}: {}",
                    resp.status
                );
                readable.insert((user, record.clone()), resp.status == 200);
            }
        }
    }
    for record in [
        format!("ServiceRequest/{}", walked.referral),
        format!("ServiceRequest/{open}"),
        format!("CarePlan/{panel}"),
        format!("CarePlan/{}", walked.care_plan),
    ] {
        assert!(
            readable[&("admin", record.clone())],
            "the admin reads {record}"
        );
    }

    // The walk: every user, every page, in Chinese; the pages a user may
    // open also in English (pinyin names).
    let mut failures = Vec::new();
    let mut matrix: BTreeMap<(&str, Area), BTreeMap<u16, usize>> = BTreeMap::new();
    let mut opened = 0usize;
    let mut shown: BTreeMap<(&str, String, &str), String> = BTreeMap::new();
    for user in ROLES {
        let session = sign_in(&app, user).await;
        for p in &pages {
            let can_read = p.record.as_ref().map(|r| readable[&(user, r.clone())]);
            let want = expected(user, p, can_read);
            let zh = ui_get_in(&app, Some(&session), &p.url, Lang::Zh).await;
            opened += 1;
            *matrix
                .entry((user, p.area))
                .or_default()
                .entry(zh.status)
                .or_default() += 1;
            if zh.status >= 500 {
                failures.push(format!("{user} {}: {}", p.url, zh.status));
            } else if let Some(want) = &want
                && !want.contains(&zh.status)
            {
                failures.push(format!(
                    "{user} {}: {} (expected {want:?})",
                    p.url, zh.status
                ));
            }
            check_headers(&zh, user, &p.url, &mut failures);
            let mut bodies = vec![("zh", zh)];
            if bodies[0].1.status == 200 {
                let en = ui_get_in(&app, Some(&session), &p.url, Lang::En).await;
                opened += 1;
                if en.status != 200 {
                    failures.push(format!("{user} {} in English: {}", p.url, en.status));
                }
                check_headers(&en, user, &p.url, &mut failures);
                bodies.push(("en", en));
            }
            for (lang, resp) in &bodies {
                if resp.status == 200 {
                    shown.insert((user, p.url.clone(), *lang), resp.body.clone());
                }
                let found = leaks(&resp.body, &p.url, &hidden[user]);
                if !found.is_empty() {
                    failures.push(format!(
                        "{user} {} ({lang}, {}) shows residents the API keeps from them: {}",
                        p.url,
                        resp.status,
                        found.join(", ")
                    ));
                }
            }
        }
    }

    // The matrix, for the record of what was walked.
    for ((user, area), statuses) in &matrix {
        eprintln!("{user:12} {area:?}: {statuses:?}");
    }
    eprintln!(
        "{} users x {} pages: {opened} pages opened in {:?}",
        ROLES.len(),
        pages.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The check can fail: everyone but the admin has residents kept from
    // them, and the names looked for are written on the pages as they are
    // spelt here, for those who may see them.
    for user in ROLES.iter().filter(|u| **u != "admin") {
        assert!(
            !hidden[user].is_empty(),
            "{user} has residents kept from them"
        );
    }
    let demo = app
        .residents()
        .find(|r| r.id.as_str() == DEMO_RESIDENT)
        .expect("the demo resident");
    let record = format!("/ui/doctor/residents/{DEMO_RESIDENT}");
    for lang in ["zh", "en"] {
        assert!(
            shown[&("doctor", record.clone(), lang)].contains(&demo.name.full()),
            "the doctor's record names the demo resident ({lang})"
        );
    }
    assert!(
        shown[&("resident", "/ui/me".to_string(), "zh")].contains(&demo.name.full()),
        "the resident's page names them"
    );
    assert!(
        shown[&("coordinator", "/ui/office".to_string(), "zh")].contains("欧阳明轩"),
        "the referral office lists the open referral's patient"
    );
    assert!(
        shown[&("doctor", "/ui/doctor/residents".to_string(), "zh")].contains("欧阳明轩"),
        "the doctor lists the team's new patient"
    );

    // Each user opened their own pages and was refused someone else's.
    for user in ROLES {
        let own = area_of(user);
        assert!(
            matrix[&(user, own)].contains_key(&200),
            "{user} opened their own pages"
        );
        let other = if own == Area::Admin {
            Area::Doctor
        } else {
            Area::Admin
        };
        assert_eq!(
            matrix[&(user, other)].keys().copied().collect::<Vec<_>>(),
            vec![403],
            "{user} is refused the {other:?} pages"
        );
    }
}
