//! Search: the parameters users reach for, each checked against the demo
//! county (what the server should find is computed from the county's records,
//! never written down), with paging, bundle shape and refusals.

use crate::helpers::{TestApp, assert_outcome, entries, entry_ids, send, spawn_app};
use serde_json::Value;
use std::collections::BTreeSet;
use tiercare_core::Record;
use tiercare_core::network::{Alliance, FamilyDoctorTeam, Institution, PractitionerRole, Site};
use tiercare_core::resident::Resident;

/// The base of tiercare's identifier systems and code systems.
const SID: &str = crate::fixtures::SID;
const CS: &str = crate::fixtures::CS;

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of a Bundle's link with this relation.
pub(crate) fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)?["url"]
        .as_str()
        .map(str::to_string)
}

/// Checks the shape every search answer has: a `searchset` Bundle with a
/// self link, a total, and entries of the searched type with their full URL.
#[track_caller]
pub(crate) fn check_searchset(app: &TestApp, bundle: &Value, resource_type: &str) {
    assert_eq!(bundle["resourceType"], "Bundle", "{bundle}");
    assert_eq!(bundle["type"], "searchset", "{bundle}");
    assert!(bundle["total"].is_u64(), "no total: {bundle}");
    let me = link(bundle, "self").unwrap_or_else(|| panic!("no self link: {bundle}"));
    assert!(
        me.starts_with(&app.fhir_url(&format!("/{resource_type}?")))
            || me == app.fhir_url(&format!("/{resource_type}")),
        "self link {me}"
    );
    for e in bundle["entry"].as_array().into_iter().flatten() {
        let r = &e["resource"];
        assert_eq!(r["resourceType"], resource_type, "{e}");
        let id = r["id"].as_str().expect("id");
        assert_eq!(
            e["fullUrl"].as_str(),
            Some(app.fhir_url(&format!("/{resource_type}/{id}")).as_str()),
            "{e}"
        );
        assert_eq!(e["search"]["mode"], "match", "{e}");
    }
}

/// One page of a search: the ids found and the total the server reports.
pub(crate) async fn search_page(app: &TestApp, user: &str, path: &str) -> (Vec<String>, u64) {
    let resp = app.get(user, path).await;
    resp.expect(200);
    let bundle = resp.json();
    let rt = path[1..].split(['?', '/']).next().unwrap_or_default();
    check_searchset(app, &bundle, rt);
    (entry_ids(&bundle), bundle["total"].as_u64().expect("total"))
}

/// Every id a search finds, following `next` links to the end. Asserts that
/// every page reports the same total, that no page is larger than asked for,
/// that the last page has no `next` link and that no id comes twice.
pub(crate) async fn search_all(app: &TestApp, user: &str, path: &str) -> Vec<String> {
    let token = app.token(user).await;
    search_all_as(app, &token, path).await
}

/// [`search_all`] with a bearer token (for users who are not demo users).
pub(crate) async fn search_all_as(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let rt = path[1..]
        .split(['?', '/'])
        .next()
        .unwrap_or_default()
        .to_string();
    let mut url = app.fhir_url(path);
    let mut ids = Vec::new();
    let mut total = None;
    for page in 0.. {
        assert!(page < 1000, "paging does not end: {url}");
        let resp = send(app.client.get(&url).bearer_auth(token)).await;
        resp.expect(200);
        let bundle = resp.json();
        check_searchset(app, &bundle, &rt);
        let t = bundle["total"].as_u64().expect("total");
        assert_eq!(
            *total.get_or_insert(t),
            t,
            "the total changed while paging: {url}"
        );
        ids.extend(entry_ids(&bundle));
        match link(&bundle, "next") {
            Some(next) => {
                assert!(
                    !entries(&bundle).is_empty(),
                    "a page with a next link has no entries: {url}"
                );
                url = next;
            }
            None => break,
        }
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "an id came twice in {path}: {ids:?}"
    );
    assert_eq!(
        ids.len() as u64,
        total.unwrap_or(0),
        "the total disagrees with what paging returned for {path}"
    );
    ids
}

/// Sorted, for comparing as sets.
pub(crate) fn sorted<S: ToString>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

pub(crate) fn institutions(app: &TestApp) -> Vec<&Institution> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Institution(i) => Some(i),
            _ => None,
        })
        .collect()
}

fn alliances(app: &TestApp) -> Vec<&Alliance> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Alliance(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn practitioners(app: &TestApp) -> Vec<&tiercare_core::network::Practitioner> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Practitioner(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn roles(app: &TestApp) -> Vec<&PractitionerRole> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Role(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn sites(app: &TestApp) -> Vec<&Site> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Site(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub(crate) fn teams(app: &TestApp) -> Vec<&FamilyDoctorTeam> {
    app.county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Team(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// Ids of the residents that satisfy `pred`, sorted.
pub(crate) fn residents_where(app: &TestApp, pred: impl Fn(&Resident) -> bool) -> Vec<String> {
    sorted(
        app.residents()
            .filter(|r| pred(r))
            .map(|r| r.id.to_string()),
    )
}

/// The team a resident is contracted to today, if the contract is in force:
/// access follows contracts in force.
pub(crate) fn team_in_force(r: &Resident) -> Option<String> {
    let today = time::OffsetDateTime::now_utc().date();
    r.contracted_team_on(today).map(|t| t.to_string())
}

/// Residents whose contract in force is with one of these teams, sorted.
pub(crate) fn contracted_to(app: &TestApp, team_ids: &[String]) -> Vec<String> {
    residents_where(app, |r| {
        team_in_force(r).is_some_and(|t| team_ids.contains(&t))
    })
}

/// The documented string match: case-insensitive, from the start of the
/// whole text or of any word in it.
fn string_matches(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let query = query.to_lowercase();
    text.starts_with(&query)
        || text
            .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
            .any(|w| w.starts_with(&query))
}

/// Whether a person is found by a name search for `query` typed in the
/// name's own script: a name in hanzi has no spaces, so its family and
/// given names count as words of it.
fn name_matches(name: &tiercare_core::network::PersonName, query: &str) -> bool {
    string_matches(&name.full(), query)
        || string_matches(&name.family, query)
        || string_matches(&name.given, query)
}

fn fhir_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test]
async fn search_answers_a_searchset_bundle_with_self_link_and_total() {
    let app = spawn_app().await;
    let primary = sorted(
        institutions(&app)
            .iter()
            .filter(|i| i.level.code() == "primary")
            .map(|i| i.id.to_string()),
    );
    assert!(primary.len() > 1, "the county needs primary institutions");
    let resp = app
        .get("admin", "/Organization?type=primary&_count=500")
        .await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("application/fhir+json")),
        "{:?}",
        resp.headers
    );
    let bundle = resp.json();
    check_searchset(&app, &bundle, "Organization");
    assert_eq!(bundle["total"].as_u64(), Some(primary.len() as u64));
    assert_eq!(sorted(entry_ids(&bundle)), primary);
    let me = link(&bundle, "self").unwrap();
    assert!(
        me.contains("type=primary"),
        "self link loses the search: {me}"
    );
    assert!(link(&bundle, "next").is_none(), "{bundle}");
    assert!(link(&bundle, "previous").is_none(), "{bundle}");
    // Following the self link gives the same answer.
    let token = app.token("admin").await;
    let again = send(app.client.get(&me).bearer_auth(&token)).await;
    again.expect(200);
    assert_eq!(sorted(entry_ids(&again.json())), primary);

    // Nothing found: still a searchset, total 0, no entries.
    let resp = app.get("admin", "/Organization?_id=no-such-org").await;
    resp.expect(200);
    let empty = resp.json();
    check_searchset(&app, &empty, "Organization");
    assert_eq!(empty["total"], 0);
    assert!(entries(&empty).is_empty(), "{empty}");
}

#[tokio::test]
async fn search_by_id_and_comma_separated_ids() {
    let app = spawn_app().await;
    let all = residents_where(&app, |_| true);
    let (one, total) = search_page(&app, "admin", &format!("/Patient?_id={}", all[3])).await;
    assert_eq!(one, [all[3].clone()]);
    assert_eq!(total, 1);

    // A comma list is an OR; an id that does not exist just matches nothing.
    let picked = [all[0].clone(), all[7].clone(), all[all.len() - 1].clone()];
    let q = format!(
        "/Patient?_id={},no-such-patient,{},{}",
        picked[2], picked[0], picked[1]
    );
    let (found, total) = search_page(&app, "admin", &q).await;
    assert_eq!(sorted(found), sorted(&picked));
    assert_eq!(total, 3);

    // Repeating the parameter is an AND: two different ids match nothing.
    let (found, total) = search_page(
        &app,
        "admin",
        &format!("/Patient?_id={}&_id={}", all[0], all[1]),
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(total, 0);

    // The same on another type, with its own id space.
    let orgs = sorted(institutions(&app).iter().take(2).map(|i| i.id.to_string()));
    let (found, _) = search_page(
        &app,
        "admin",
        &format!("/Organization?_id={}", orgs.join(",")),
    )
    .await;
    assert_eq!(sorted(found), orgs);
    let (found, _) = search_page(&app, "admin", &format!("/Practitioner?_id={}", orgs[0])).await;
    assert!(
        found.is_empty(),
        "an Organization id found a Practitioner: {found:?}"
    );
}

#[tokio::test]
async fn search_by_identifier_with_and_without_system() {
    let app = spawn_app().await;
    let someone = app.residents().nth(5).expect("residents");
    let value = someone
        .identifier
        .clone()
        .expect("residents have identifiers");
    let expected = residents_where(&app, |r| r.identifier.as_deref() == Some(value.as_str()));
    assert!(expected.contains(&someone.id.to_string()));

    let (found, total) = search_page(
        &app,
        "admin",
        &format!("/Patient?identifier={}", enc(&value)),
    )
    .await;
    assert_eq!(sorted(found), expected);
    assert_eq!(total, expected.len() as u64);
    let system = format!("{SID}/resident-id");
    let (found, _) = search_page(
        &app,
        "admin",
        &format!("/Patient?identifier={}", enc(&format!("{system}|{value}"))),
    )
    .await;
    assert_eq!(sorted(found), expected);
    // Another system with the same value is someone else's identifier.
    let (found, total) = search_page(
        &app,
        "admin",
        &format!(
            "/Patient?identifier={}",
            enc(&format!("https://example.org/ids|{value}"))
        ),
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(total, 0);
    // A comma list of identifiers.
    let other = app.residents().nth(9).unwrap();
    let other_value = other.identifier.clone().unwrap();
    let expected = residents_where(&app, |r| {
        r.identifier.as_deref() == Some(value.as_str())
            || r.identifier.as_deref() == Some(other_value.as_str())
    });
    let (found, _) = search_page(
        &app,
        "admin",
        &format!("/Patient?identifier={},{}", enc(&value), enc(&other_value)),
    )
    .await;
    assert_eq!(sorted(found), expected);

    // Institutions by licence, practitioners by practising licence.
    let inst = institutions(&app)
        .into_iter()
        .find(|i| i.identifier.is_some())
        .expect("an institution with a licence");
    let licence = inst.identifier.clone().unwrap();
    let expected = sorted(
        institutions(&app)
            .iter()
            .filter(|i| i.identifier.as_deref() == Some(licence.as_str()))
            .map(|i| i.id.to_string()),
    );
    for q in [
        licence.clone(),
        format!("{SID}/institution-licence|{licence}"),
    ] {
        let (found, _) = search_page(
            &app,
            "admin",
            &format!("/Organization?identifier={}", enc(&q)),
        )
        .await;
        assert_eq!(sorted(found), expected, "identifier={q}");
    }
    let pr = practitioners(&app)
        .into_iter()
        .find(|p| p.licence.is_some())
        .expect("a practitioner with a licence");
    let licence = pr.licence.clone().unwrap();
    let expected = sorted(
        practitioners(&app)
            .iter()
            .filter(|p| p.licence.as_deref() == Some(licence.as_str()))
            .map(|p| p.id.to_string()),
    );
    for q in [
        licence.clone(),
        format!("{SID}/practitioner-licence|{licence}"),
    ] {
        let (found, _) = search_page(
            &app,
            "admin",
            &format!("/Practitioner?identifier={}", enc(&q)),
        )
        .await;
        assert_eq!(sorted(found), expected, "identifier={q}");
    }
}

#[tokio::test]
async fn search_by_name_matches_word_prefixes_case_insensitively() {
    let app = spawn_app().await;
    let all = app.residents().count();
    let first = app.residents().next().unwrap();
    // A prefix of a family name, shouted.
    let family = first.name.family.clone();
    let prefix: String = family.chars().take(2).collect::<String>().to_uppercase();
    let expected = residents_where(&app, |r| string_matches(&r.name.full(), &prefix));
    assert!(expected.contains(&first.id.to_string()));
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?name={}&_count=500", enc(&prefix)),
    )
    .await;
    assert_eq!(sorted(found), expected, "name={prefix}");

    // A given-name prefix in lower case finds people by their given name.
    let given = app
        .residents()
        .find(|r| !r.name.given.is_empty())
        .unwrap()
        .name
        .given
        .clone();
    let prefix = given.chars().take(3).collect::<String>().to_lowercase();
    let expected = residents_where(&app, |r| name_matches(&r.name, &prefix));
    let found = search_all(&app, "admin", &format!("/Patient?name={}", enc(&prefix))).await;
    assert_eq!(sorted(found), expected, "name={prefix}");
    let expected_given = residents_where(&app, |r| string_matches(&r.name.given, &prefix));
    let found = search_all(&app, "admin", &format!("/Patient?given={}", enc(&prefix))).await;
    assert_eq!(sorted(found), expected_given, "given={prefix}");

    // The whole name, family name first, with the given name cut short.
    let full = first.name.full();
    let cut: String = full.chars().take(full.chars().count() - 1).collect();
    let expected = residents_where(&app, |r| string_matches(&r.name.full(), &cut));
    assert!(expected.len() < all, "{cut:?} should discriminate");
    let found = search_all(&app, "admin", &format!("/Patient?name={}", enc(&cut))).await;
    assert_eq!(sorted(found), expected, "name={cut}");

    // family: prefix by default, the whole word with :exact.
    let expected = residents_where(&app, |r| string_matches(&r.name.family, &family));
    let found = search_all(&app, "admin", &format!("/Patient?family={}", enc(&family))).await;
    assert_eq!(sorted(found), expected, "family={family}");
    let exact = residents_where(&app, |r| r.name.family.eq_ignore_ascii_case(&family));
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?family:exact={}", enc(&family)),
    )
    .await;
    assert_eq!(sorted(found), exact, "family:exact={family}");

    // Several prefixes are ORed.
    let other = app
        .residents()
        .map(|r| r.name.family.clone())
        .find(|f| !string_matches(f, &family) && !string_matches(&family, f))
        .expect("two family names");
    let expected = residents_where(&app, |r| {
        string_matches(&r.name.full(), &family) || string_matches(&r.name.full(), &other)
    });
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?name={},{}", enc(&family), enc(&other)),
    )
    .await;
    assert_eq!(sorted(found), expected);

    // Practitioners and organisations by name.
    let p = practitioners(&app)[3].name.family.clone();
    let prefix = p.chars().take(2).collect::<String>().to_uppercase();
    let expected = sorted(
        practitioners(&app)
            .iter()
            .filter(|x| string_matches(&x.name.full(), &prefix))
            .map(|x| x.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/Practitioner?name={}", enc(&prefix)),
    )
    .await;
    assert_eq!(sorted(found), expected, "Practitioner?name={prefix}");

    let inst = institutions(&app)[0].name.clone();
    let word = inst.split_whitespace().last().unwrap();
    let prefix = word.chars().take(4).collect::<String>().to_lowercase();
    let mut expected: Vec<String> = institutions(&app)
        .iter()
        .filter(|i| string_matches(&i.name, &prefix))
        .map(|i| i.id.to_string())
        .collect();
    expected.extend(
        alliances(&app)
            .iter()
            .filter(|a| string_matches(&a.name, &prefix))
            .map(|a| a.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/Organization?name={}", enc(&prefix)),
    )
    .await;
    assert_eq!(
        sorted(found),
        sorted(expected),
        "Organization?name={prefix}"
    );
}

#[tokio::test]
async fn search_organizations_by_level_kind_and_category() {
    let app = spawn_app().await;
    let insts = institutions(&app);
    for level in ["primary", "secondary", "tertiary"] {
        let expected = sorted(
            insts
                .iter()
                .filter(|i| i.level.code() == level)
                .map(|i| i.id.to_string()),
        );
        assert!(!expected.is_empty(), "no {level} institution in the county");
        let found = search_all(&app, "admin", &format!("/Organization?type={level}")).await;
        assert_eq!(sorted(found), expected, "type={level}");
        let with_system = enc(&format!("{CS}/level|{level}"));
        let found = search_all(&app, "admin", &format!("/Organization?type={with_system}")).await;
        assert_eq!(sorted(found), expected, "type=level|{level}");
    }
    // A comma list is an OR.
    let expected = sorted(
        insts
            .iter()
            .filter(|i| i.level.code() != "primary")
            .map(|i| i.id.to_string()),
    );
    let found = search_all(&app, "admin", "/Organization?type=secondary,tertiary").await;
    assert_eq!(sorted(found), expected);

    // Institution kinds, and kind AND level.
    let kind = insts
        .iter()
        .find(|i| i.level.code() == "primary")
        .unwrap()
        .kind
        .code();
    let expected = sorted(
        insts
            .iter()
            .filter(|i| i.kind.code() == kind)
            .map(|i| i.id.to_string()),
    );
    let found = search_all(&app, "admin", &format!("/Organization?type={kind}")).await;
    assert_eq!(sorted(found), expected, "type={kind}");
    let found = search_all(
        &app,
        "admin",
        &format!("/Organization?type={kind}&type=secondary"),
    )
    .await;
    assert!(found.is_empty(), "a {kind} is not secondary: {found:?}");
    let found = search_all(
        &app,
        "admin",
        &format!(
            "/Organization?type={}",
            enc(&format!("{CS}/institution-kind|{kind}"))
        ),
    )
    .await;
    assert_eq!(sorted(found), expected);

    // Alliances: the category, and each kind.
    let all_alliances = sorted(alliances(&app).iter().map(|a| a.id.to_string()));
    assert!(!all_alliances.is_empty());
    let found = search_all(&app, "admin", "/Organization?type=alliance").await;
    assert_eq!(sorted(found), all_alliances);
    let kind = alliances(&app)[0].kind.code();
    let expected = sorted(
        alliances(&app)
            .iter()
            .filter(|a| a.kind.code() == kind)
            .map(|a| a.id.to_string()),
    );
    let found = search_all(&app, "admin", &format!("/Organization?type={kind}")).await;
    assert_eq!(sorted(found), expected, "type={kind}");
    // The rendered resources carry what was searched for.
    let resp = app.get("admin", "/Organization?type=tertiary").await;
    for org in entries(&resp.json()) {
        let codes: Vec<&Value> = org["type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["coding"][0]["code"])
            .collect();
        assert!(codes.contains(&&Value::from("tertiary")), "{org}");
    }
}

#[tokio::test]
async fn search_organizations_by_partof_active_and_district() {
    let app = spawn_app().await;
    let insts = institutions(&app);
    let parent = insts
        .iter()
        .filter_map(|i| i.part_of.clone())
        .next()
        .expect("the county has village clinics or stations");
    let expected = sorted(
        insts
            .iter()
            .filter(|i| i.part_of.as_ref() == Some(&parent))
            .map(|i| i.id.to_string()),
    );
    assert!(expected.len() < insts.len());
    for q in [
        format!("Organization/{parent}"),
        parent.to_string(),
        app.fhir_url(&format!("/Organization/{parent}")),
    ] {
        let found = search_all(&app, "admin", &format!("/Organization?partof={}", enc(&q))).await;
        assert_eq!(sorted(found), expected, "partof={q}");
    }
    let found = search_all(
        &app,
        "admin",
        "/Organization?partof=Organization/no-such-org",
    )
    .await;
    assert!(found.is_empty());

    // active: every institution and alliance in the county is active.
    let active = sorted(
        insts
            .iter()
            .filter(|i| i.active)
            .map(|i| i.id.to_string())
            .chain(alliances(&app).iter().map(|a| a.id.to_string())),
    );
    let found = search_all(&app, "admin", "/Organization?active=true").await;
    assert_eq!(sorted(found), active);
    let inactive = sorted(insts.iter().filter(|i| !i.active).map(|i| i.id.to_string()));
    let found = search_all(&app, "admin", "/Organization?active=false").await;
    assert_eq!(sorted(found), inactive);

    // address-district, a word prefix.
    let district = insts
        .iter()
        .find_map(|i| i.place.as_ref().map(|p| p.district.clone()))
        .expect("a place");
    let word = district.split_whitespace().next().unwrap().to_string();
    let expected = sorted(
        insts
            .iter()
            .filter(|i| {
                i.place
                    .as_ref()
                    .is_some_and(|p| string_matches(&p.district, &word))
            })
            .map(|i| i.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/Organization?address-district={}", enc(&word)),
    )
    .await;
    assert_eq!(sorted(found), expected, "address-district={word}");
}

#[tokio::test]
async fn search_by_organization_on_locations_roles_and_teams() {
    let app = spawn_app().await;
    // Location?organization and name: the county has no sites, so add some
    // (plus any it may have) and search for them.
    let hospitals: Vec<String> = institutions(&app)
        .iter()
        .filter(|i| i.level.code() != "primary")
        .take(2)
        .map(|i| i.id.to_string())
        .collect();
    let mut created: Vec<(String, String, String)> = sites(&app)
        .iter()
        .map(|s| (s.id.to_string(), s.institution.to_string(), s.name.clone()))
        .collect();
    for (name, inst) in [
        ("East wing", &hospitals[0]),
        ("West wing", &hospitals[0]),
        ("Annex", &hospitals[1]),
    ] {
        let v = app.create(&crate::fixtures::location(name, inst)).await;
        created.push((
            v["id"].as_str().unwrap().to_string(),
            inst.clone(),
            name.to_string(),
        ));
    }
    for inst in &hospitals {
        // The hospital's wards (bed pools, opened by the demo) are
        // Locations of it too.
        let pools = app
            .state
            .ctx
            .store
            .ids_where("Location", "organization", &format!("Organization/{inst}"))
            .await
            .unwrap()
            .into_iter()
            .filter(|id| id.ends_with("-beds"));
        let expected = sorted(
            created
                .iter()
                .filter(|(_, i, _)| i == inst)
                .map(|(id, _, _)| id.clone())
                .chain(pools),
        );
        for q in [format!("Organization/{inst}"), inst.clone()] {
            let found = search_all(
                &app,
                "admin",
                &format!("/Location?organization={}", enc(&q)),
            )
            .await;
            assert_eq!(sorted(found), expected, "Location?organization={q}");
        }
    }
    let expected = sorted(
        created
            .iter()
            .filter(|(_, _, n)| string_matches(n, "WING"))
            .map(|(id, _, _)| id),
    );
    assert_eq!(expected.len(), 2);
    let found = search_all(&app, "admin", "/Location?name=WING").await;
    assert_eq!(sorted(found), expected);
    // PractitionerRole?organization, role, practitioner, specialty
    let all_roles = roles(&app);
    let inst = all_roles[0].institution.to_string();
    let expected = sorted(
        all_roles
            .iter()
            .filter(|r| r.institution.as_str() == inst)
            .map(|r| r.id.to_string()),
    );
    assert!(expected.len() < all_roles.len());
    for q in [format!("Organization/{inst}"), inst.clone()] {
        let found = search_all(
            &app,
            "admin",
            &format!("/PractitionerRole?organization={}", enc(&q)),
        )
        .await;
        assert_eq!(sorted(found), expected, "PractitionerRole?organization={q}");
    }
    let kind = all_roles[0].role.code();
    let expected = sorted(
        all_roles
            .iter()
            .filter(|r| r.role.code() == kind && r.institution.as_str() == inst)
            .map(|r| r.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/PractitionerRole?role={kind}&organization={}", enc(&inst)),
    )
    .await;
    assert_eq!(sorted(found), expected);
    let who = all_roles[0].practitioner.to_string();
    let expected = sorted(
        all_roles
            .iter()
            .filter(|r| r.practitioner.as_str() == who)
            .map(|r| r.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/PractitionerRole?practitioner={}", enc(&who)),
    )
    .await;
    assert_eq!(sorted(found), expected);
    if let Some(spec) = all_roles.iter().find_map(|r| r.specialty) {
        let expected = sorted(
            all_roles
                .iter()
                .filter(|r| r.specialty == Some(spec))
                .map(|r| r.id.to_string()),
        );
        let found = search_all(
            &app,
            "admin",
            &format!("/PractitionerRole?specialty={}", spec.code()),
        )
        .await;
        assert_eq!(sorted(found), expected, "specialty={}", spec.code());
    }

    // CareTeam?organization and participant
    let all_teams = teams(&app);
    let inst = all_teams[0].institution.to_string();
    let expected = sorted(
        all_teams
            .iter()
            .filter(|t| t.institution.as_str() == inst)
            .map(|t| t.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/CareTeam?organization=Organization/{}", enc(&inst)),
    )
    .await;
    assert_eq!(sorted(found), expected);
    let member = all_teams[0].members.last().unwrap().to_string();
    let expected = sorted(
        all_teams
            .iter()
            .filter(|t| t.members.iter().any(|m| m.as_str() == member))
            .map(|t| t.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!("/CareTeam?participant=Practitioner/{}", enc(&member)),
    )
    .await;
    assert_eq!(sorted(found), expected);

    // OrganizationAffiliation?primary-organization
    let memberships: Vec<_> = app
        .county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Membership(m) => Some(m),
            _ => None,
        })
        .collect();
    let alliance = memberships[0].alliance.to_string();
    let expected = sorted(
        memberships
            .iter()
            .filter(|m| m.alliance.as_str() == alliance)
            .map(|m| m.id.to_string()),
    );
    let found = search_all(
        &app,
        "admin",
        &format!(
            "/OrganizationAffiliation?primary-organization={}",
            enc(&alliance)
        ),
    )
    .await;
    assert_eq!(sorted(found), expected);
}

#[tokio::test]
async fn search_patients_by_general_practitioner_and_care_team() {
    let app = spawn_app().await;
    let contracted = app
        .residents()
        .find(|r| r.contract.is_some())
        .expect("a contracted resident");
    let c = contracted.contract.clone().unwrap();
    let doctor = c.family_doctor.clone().expect("a family doctor");
    let institution = c.institution.clone().expect("an institution");

    let expected = residents_where(&app, |r| {
        r.contract
            .as_ref()
            .is_some_and(|k| k.family_doctor.as_ref() == Some(&doctor))
    });
    for q in [format!("Practitioner/{doctor}"), doctor.to_string()] {
        let found = search_all(
            &app,
            "admin",
            &format!("/Patient?general-practitioner={}", enc(&q)),
        )
        .await;
        assert_eq!(sorted(found), expected, "general-practitioner={q}");
    }
    let expected = residents_where(&app, |r| {
        r.contract
            .as_ref()
            .is_some_and(|k| k.institution.as_ref() == Some(&institution))
    });
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?general-practitioner=Organization/{institution}"),
    )
    .await;
    assert_eq!(
        sorted(found),
        expected,
        "general-practitioner=Organization/{institution}"
    );

    let expected = residents_where(&app, |r| {
        r.contract.as_ref().is_some_and(|k| k.team == c.team)
    });
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?care-team=CareTeam/{}", c.team),
    )
    .await;
    assert_eq!(sorted(found), expected);
    // Every Patient found names that team in its contract.
    let resp = app
        .get(
            "admin",
            &format!("/Patient?care-team={}&_count=500", c.team),
        )
        .await;
    for p in entries(&resp.json()) {
        assert_eq!(
            crate::helpers::contract_team(&p).as_deref(),
            Some(format!("CareTeam/{}", c.team).as_str()),
            "{p}"
        );
    }
}

#[tokio::test]
async fn search_patients_by_gender_birthdate_key_group_and_district() {
    let app = spawn_app().await;
    for gender in ["female", "male"] {
        let expected = residents_where(&app, |r| r.gender.code() == gender);
        let found = search_all(&app, "admin", &format!("/Patient?gender={gender}&_count=9")).await;
        assert_eq!(sorted(found), expected, "gender={gender}");
    }
    let someone = app.residents().nth(4).unwrap();
    let day = fhir_date(someone.birth_date);
    let expected = residents_where(&app, |r| r.birth_date == someone.birth_date);
    let found = search_all(&app, "admin", &format!("/Patient?birthdate={day}")).await;
    assert_eq!(sorted(found), expected, "birthdate={day}");
    let found = search_all(&app, "admin", &format!("/Patient?birthdate=eq{day}")).await;
    assert_eq!(sorted(found), expected, "birthdate=eq{day}");

    for group in ["elderly", "chronic", "low-income"] {
        let expected = residents_where(&app, |r| r.key_groups.iter().any(|g| g.code() == group));
        let found = search_all(&app, "admin", &format!("/Patient?key-group={group}")).await;
        assert_eq!(sorted(found), expected, "key-group={group}");
        let q = enc(&format!("{CS}/key-group|{group}"));
        let found = search_all(&app, "admin", &format!("/Patient?key-group={q}")).await;
        assert_eq!(sorted(found), expected, "key-group=system|{group}");
    }
    // AND across parameters.
    let expected = residents_where(&app, |r| {
        r.gender.code() == "female" && r.key_groups.iter().any(|g| g.code() == "elderly")
    });
    let found = search_all(&app, "admin", "/Patient?gender=female&key-group=elderly").await;
    assert_eq!(sorted(found), expected);

    let district = app.residents().find_map(|r| r.district.clone()).unwrap();
    let expected = residents_where(&app, |r| r.district.as_deref() == Some(district.as_str()));
    let found = search_all(
        &app,
        "admin",
        &format!("/Patient?address-district={}", enc(&district)),
    )
    .await;
    assert_eq!(sorted(found), expected, "address-district={district}");
}

/// A date prefix (`ge`, `lt`...) must be honoured or refused: silently
/// treating `ge1960-01-01` as a date that matches nobody returns less than
/// was asked for.
#[tokio::test]
async fn birthdate_comparisons_are_honoured_or_refused() {
    let app = spawn_app().await;
    let pivot = app.residents().nth(2).unwrap().birth_date;
    let day = fhir_date(pivot);
    type Keep = fn(time::Date, time::Date) -> bool;
    let checks: [(&str, Keep); 2] = [("ge", |b, p| b >= p), ("lt", |b, p| b < p)];
    for (prefix, keep) in checks {
        let resp = app
            .get(
                "admin",
                &format!("/Patient?birthdate={prefix}{day}&_count=500"),
            )
            .await;
        if resp.status == 400 {
            assert_outcome(&resp, 400, "birthdate");
            continue;
        }
        resp.expect(200);
        let expected = residents_where(&app, |r| keep(r.birth_date, pivot));
        assert!(!expected.is_empty());
        assert_eq!(
            sorted(entry_ids(&resp.json())),
            expected,
            "birthdate={prefix}{day} was neither honoured nor refused"
        );
    }
    // Not a date at all.
    let resp = app.get("admin", "/Patient?birthdate=yesterday").await;
    assert_outcome(&resp, 400, "birthdate");
}

#[tokio::test]
async fn paging_follows_next_links_to_every_match_once() {
    let app = spawn_app().await;
    let all = residents_where(&app, |_| true);

    // Page by page by hand: sizes, totals, next and previous links.
    let token = app.token("admin").await;
    let mut url = app.fhir_url("/Patient?_count=7");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let resp = send(app.client.get(&url).bearer_auth(&token)).await;
        resp.expect(200);
        let b = resp.json();
        check_searchset(&app, &b, "Patient");
        assert_eq!(b["total"].as_u64(), Some(all.len() as u64));
        let ids = entry_ids(&b);
        assert!(ids.len() <= 7, "page of {}", ids.len());
        assert_eq!(
            link(&b, "previous").is_some(),
            pages > 0,
            "previous link on page {pages}: {b}"
        );
        seen.extend(ids);
        pages += 1;
        match link(&b, "next") {
            Some(n) => {
                assert!(n.contains("_count=7"), "next link loses _count: {n}");
                url = n;
            }
            None => break,
        }
        assert!(pages <= all.len(), "paging does not end");
    }
    assert_eq!(pages, all.len().div_ceil(7));
    assert_eq!(seen.len(), all.len(), "some ids came twice or not at all");
    assert_eq!(sorted(seen), all);

    // A filtered search keeps its filter on every page.
    let expected = residents_where(&app, |r| r.gender.code() == "female");
    let found = search_all(&app, "admin", "/Patient?gender=female&_count=3").await;
    assert_eq!(sorted(found), expected);

    // The default page size pages a type with more than one page of records.
    let practitioners = sorted(practitioners(&app).iter().map(|p| p.id.to_string()));
    let (first, total) = search_page(&app, "admin", "/Practitioner").await;
    assert_eq!(total, practitioners.len() as u64);
    assert!(
        first.len() < practitioners.len(),
        "the county needs more practitioners than one default page"
    );
    let found = search_all(&app, "admin", "/Practitioner").await;
    assert_eq!(sorted(found), practitioners);

    // _offset beyond the end: an empty page, same total, a previous link.
    let resp = app
        .get("admin", &format!("/Patient?_offset={}", all.len() + 10))
        .await;
    resp.expect(200);
    let b = resp.json();
    assert!(entries(&b).is_empty());
    assert_eq!(b["total"].as_u64(), Some(all.len() as u64));
    assert!(link(&b, "next").is_none());
}

#[tokio::test]
async fn count_and_offset_must_be_whole_numbers() {
    let app = spawn_app().await;
    for q in ["_count=many", "_count=-1", "_offset=x", "_offset=-5"] {
        let name = q.split('=').next().unwrap();
        let resp = app.get("admin", &format!("/Organization?{q}")).await;
        assert_outcome(&resp, 400, name);
    }
    // A huge _count is capped at the server's largest page, not refused.
    let resp = app.get("admin", "/Practitioner?_count=100000").await;
    resp.expect(200);
    let b = resp.json();
    let me = link(&b, "self").unwrap();
    assert!(me.contains("_count=500"), "{me}");
    assert_eq!(
        entries(&b).len(),
        practitioners(&app).len().min(500),
        "{me}"
    );
}

#[tokio::test]
async fn unknown_parameters_and_modifiers_are_refused_by_name() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/Patient?foo=bar", "foo"),
        ("/Patient?name=li&colour=blue", "colour"),
        ("/Organization?level=primary", "level"),
        ("/Practitioner?birthdate=1980-01-01", "birthdate"),
        ("/Patient?_sort=name", "_sort"),
        ("/Patient?_include=Patient:general-practitioner", "_include"),
        ("/Patient?name:contains=an", "name:contains"),
        ("/Patient?gender:not=male", "gender:not"),
        ("/Organization?partof:missing=true", "partof:missing"),
    ] {
        let resp = app.get("admin", path).await;
        let v = assert_outcome(&resp, 400, needle);
        assert_eq!(v["issue"][0]["code"], "invalid", "{path}: {v}");
    }
    // Refused for every user, before any access decision.
    let resp = app.get("doctor", "/Patient?foo=bar").await;
    assert_outcome(&resp, 400, "foo");
    // Unknown resource types are not found.
    let resp = app.get("admin", "/Immunization?code=1234").await;
    assert_outcome(&resp, 404, "Immunization");
}

/// `_id:not=X` must not be treated as `_id=X` (the opposite search).
#[tokio::test]
async fn modifiers_on_id_are_refused() {
    let app = spawn_app().await;
    let first = app.residents().next().unwrap().id.to_string();
    for modifier in ["not", "missing", "contains", "above"] {
        let resp = app
            .get("admin", &format!("/Patient?_id:{modifier}={first}"))
            .await;
        assert_outcome(&resp, 400, &format!("_id:{modifier}"));
    }
}

/// `_count` pages the fixed terminology searches too.
#[tokio::test]
async fn code_system_search_honours_count() {
    let app = spawn_app().await;
    let (all, total) = search_page(&app, "admin", "/CodeSystem").await;
    assert!(all.len() > 2, "{all:?}");
    assert_eq!(total, all.len() as u64);
    let resp = app.get("admin", "/CodeSystem?_count=2").await;
    resp.expect(200);
    let b = resp.json();
    assert_eq!(b["total"].as_u64(), Some(total));
    assert!(
        entries(&b).len() <= 2,
        "_count=2 returned {} code systems",
        entries(&b).len()
    );
}

/// The county is named in Chinese: a name search in hanzi and the same
/// name typed in pinyin (any case, with or without spaces) or English find
/// the same records, for organisations, teams, practitioners and patients.
#[tokio::test]
async fn chinese_names_are_found_by_hanzi_and_by_pinyin() {
    let app = spawn_app().await;
    let org_search = |q: &str| format!("/Organization?name={}", enc(q));
    let hekou = search_all(&app, "admin", &org_search("河口")).await;
    assert_eq!(sorted(&hekou), ["zx-tc1"]);
    for q in [
        "hekou",
        "Hekou",
        "HEKOU",
        "he kou",
        "hekouzhen",
        "Hekou Township",
    ] {
        let found = search_all(&app, "admin", &org_search(q)).await;
        assert_eq!(sorted(found), sorted(&hekou), "Organization?name={q}");
    }
    let resp = app.get("admin", "/Organization/zx-tc1").await;
    resp.expect(200);
    let org = resp.json();
    assert_eq!(org["name"], "河口镇卫生院");
    let alias = org["alias"].as_array().expect("alias");
    assert!(
        alias.contains(&Value::from("Hekou Township Health Centre")),
        "{org}"
    );
    // The county's hospital by its Chinese name, pinyin and English.
    for q in ["ZX市人民", "zxshirenmin", "ZX City People"] {
        let found = search_all(&app, "admin", &org_search(q)).await;
        assert_eq!(sorted(found), ["zx-h1"], "Organization?name={q}");
    }

    // The family-doctor teams of that centre, by either script.
    let expected = sorted(
        teams(&app)
            .iter()
            .filter(|t| t.institution.as_str() == "zx-tc1")
            .map(|t| t.id.to_string()),
    );
    assert!(!expected.is_empty());
    for q in ["河口", "hekou", "HekouzhenWeisheng"] {
        let found = search_all(&app, "admin", &format!("/CareTeam?name={}", enc(q))).await;
        assert_eq!(sorted(found), expected, "CareTeam?name={q}");
    }

    // A patient by the name in hanzi and by its pinyin.
    let person = app.residents().next().unwrap();
    let hanzi = person.name.full();
    let pinyin = person
        .name
        .pinyin
        .clone()
        .expect("demo residents have pinyin");
    let by_hanzi = search_all(&app, "admin", &format!("/Patient?name={}", enc(&hanzi))).await;
    assert_eq!(
        sorted(&by_hanzi),
        residents_where(&app, |r| r.name.full().starts_with(&hanzi))
    );
    assert!(by_hanzi.contains(&person.id.to_string()));
    let together = format!("{}{}", pinyin.family, pinyin.given);
    for q in [
        together.to_lowercase(),
        pinyin.full(),
        together.to_uppercase(),
    ] {
        let found = search_all(&app, "admin", &format!("/Patient?name={}", enc(&q))).await;
        // Others may share the sound (王芳 and 汪芳 are both wangfang), so
        // the pinyin finds at least everyone the hanzi finds.
        for id in &by_hanzi {
            assert!(found.contains(id), "Patient?name={q} misses {id}");
        }
        let expected = residents_where(&app, |r| {
            r.name.pinyin.as_ref().is_some_and(|p| {
                let both = format!("{}{}", p.family, p.given).to_lowercase();
                both.starts_with(&together.to_lowercase())
            })
        });
        for id in expected {
            assert!(found.contains(&id), "Patient?name={q} misses {id}");
        }
    }
    // By family name alone, hanzi or pinyin.
    let family = search_all(
        &app,
        "admin",
        &format!("/Patient?family={}", enc(&person.name.family)),
    )
    .await;
    let family_py = search_all(
        &app,
        "admin",
        &format!("/Patient?family={}", enc(&pinyin.family.to_lowercase())),
    )
    .await;
    assert!(!family.is_empty());
    assert!(family.iter().all(|id| family_py.contains(id)));

    // The Patient carries both names; sent back as read, it is accepted.
    let path = format!("/Patient/{}", person.id);
    let resp = app.get("admin", &path).await;
    resp.expect(200);
    let patient = resp.json();
    assert_eq!(patient["name"][0]["use"], "official", "{patient}");
    assert_eq!(patient["name"][0]["text"], hanzi.as_str());
    assert_eq!(patient["name"][0]["family"], person.name.family.as_str());
    assert_eq!(patient["name"][1]["use"], "usual");
    assert_eq!(patient["name"][1]["text"], pinyin.full().as_str());
    let version = patient["meta"]["versionId"].as_str().unwrap().to_string();
    let resp = app
        .put("admin", &path, &patient, Some(&format!("W/\"{version}\"")))
        .await;
    resp.expect(200);
    let again = resp.json();
    assert_eq!(again["name"], patient["name"]);

    // A practitioner by pinyin.
    let p = &practitioners(&app)[0];
    let py = p.name.pinyin.as_ref().expect("pinyin").full();
    let found = search_all(&app, "admin", &format!("/Practitioner?name={}", enc(&py))).await;
    assert!(found.contains(&p.id.to_string()), "Practitioner?name={py}");
}
