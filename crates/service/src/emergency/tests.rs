use super::*;
use tiercare_core::access::UserRole;
use tiercare_core::emergency::{Accreditation, Capability, Centre, CentreKind, Hours};
use tiercare_core::network::{Capacity, Institution, InstitutionKind, Place};
use tiercare_core::{CentreId, InstitutionId, Level, Record};
use tiercare_store::{AuditOutcome, AuditQuery, Store, Write};

/// The terms the services search centres by (the FHIR face hands in the
/// full set; these tests need only `active`).
fn terms(r: &Record, _: &tiercare_core::policy::Policy) -> Vec<(String, String)> {
    match r {
        Record::Centre(c) => vec![("active".into(), c.active.to_string())],
        _ => vec![],
    }
}

fn id(s: &str) -> InstitutionId {
    InstitutionId::new(s).unwrap()
}

fn institution(name: &str, level: Level, at: Option<(f64, f64)>) -> Institution {
    Institution {
        id: id(name),
        region: "zx".parse().unwrap(),
        name: name.into(),
        alias: vec![],
        identifier: None,
        kind: if level == Level::Primary {
            InstitutionKind::TownshipCentre
        } else {
            InstitutionKind::CountyHospital
        },
        level,
        part_of: None,
        place: at.map(|(latitude, longitude)| Place {
            address: String::new(),
            district: String::new(),
            latitude,
            longitude,
        }),
        departments: vec![],
        capacity: Capacity::default(),
        active: true,
    }
}

async fn context() -> Context {
    let url = tiercare_store::scratch::database_url("sqlite::memory:")
        .await
        .unwrap();
    let store = Store::open(&url).await.unwrap();
    let ctx = Context::new(store, "zx".parse().unwrap(), "ZX", terms);
    let writes = [
        institution("h1", Level::Secondary, Some((31.10, 113.90))),
        institution("tc1", Level::Primary, Some((31.20, 113.80))),
        institution("tc2", Level::Primary, None),
    ]
    .into_iter()
    .map(|i| Write {
        record: Record::Institution(i),
        expect: Expect::New,
        index: vec![],
        actor: "root".into(),
        events: vec![],
        facts: vec![],
    })
    .collect();
    ctx.store.write_all(writes, Vec::new()).await.unwrap();
    ctx
}

fn actor(role: UserRole, institution: Option<&str>) -> Actor {
    Actor {
        username: format!("{role:?}").to_lowercase(),
        role,
        institution: institution.map(id),
        practitioner: None,
        resident: None,
    }
}

fn unit(active: bool) -> EmergencyCentre {
    EmergencyCentre {
        id: CentreId::new(if active { "ctr-tc1" } else { "ctr-tc1-old" }).unwrap(),
        name: "河口镇卫生院胸痛救治单元".into(),
        institution: id("tc1"),
        centre: Centre {
            kind: CentreKind::ChestPain,
            accreditation: Accreditation::TreatmentUnit,
            hours: Hours::Always,
            capabilities: vec![Capability::Thrombolysis],
        },
        catchment: vec![],
        transfers_to: vec![id("h1")],
        active,
    }
}

#[tokio::test]
async fn registered_centres_become_routing_sites() {
    let ctx = context().await;
    let admin = actor(UserRole::Admin, None);
    let e = Emergency::new(&ctx, &admin);
    e.put_centre(unit(true), Expect::New).await.unwrap();
    e.put_centre(unit(false), Expect::New).await.unwrap();
    let s = sites(&ctx).await.unwrap();
    let at: Vec<&str> = s.iter().map(|s| s.institution.as_str()).collect();
    // tc2 has no coordinates.
    assert_eq!(at, ["h1", "tc1"]);
    assert!(s[0].centres.is_empty());
    assert_eq!(s[1].centres, vec![unit(true).centre]);
}

#[tokio::test]
async fn only_admins_and_the_institutions_coordinators_write_and_refusals_are_audited() {
    let ctx = context().await;
    let elsewhere = actor(UserRole::Coordinator, Some("h1"));
    let refused = Emergency::new(&ctx, &elsewhere)
        .put_centre(unit(true), Expect::New)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden(_))),
        "{refused:?}"
    );
    let (audit, _) = ctx
        .store
        .audit_search(&AuditQuery {
            patient: None,
            username: Some("coordinator".into()),
            outcomes: vec![AuditOutcome::Denied],
            count: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].resource_id.as_deref(), Some("ctr-tc1"));
    let own = actor(UserRole::Coordinator, Some("tc1"));
    let done = Emergency::new(&ctx, &own)
        .put_centre(unit(true), Expect::New)
        .await
        .unwrap();
    assert_eq!(done.version, 1);
    let doctor = actor(UserRole::Doctor, Some("tc1"));
    let refused = Emergency::new(&ctx, &doctor)
        .put_centre(unit(true), Expect::Version(1))
        .await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))));
}

#[tokio::test]
async fn a_centre_is_checked_on_its_own_and_against_the_network() {
    let ctx = context().await;
    let admin = actor(UserRole::Admin, None);
    let e = Emergency::new(&ctx, &admin);
    let mut bad = unit(true);
    bad.transfers_to = vec![id("tc1")];
    match e.put_centre(bad, Expect::New).await {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(
            field.as_deref(),
            Some("HealthcareService.extension(transfer-agreement)")
        ),
        other => panic!("{other:?}"),
    }
    let mut bad = unit(true);
    bad.catchment = vec![id("nowhere")];
    match e.put_centre(bad, Expect::New).await {
        Err(ServiceError::Rule { field, .. }) => assert_eq!(
            field.as_deref(),
            Some("HealthcareService.extension(centre-catchment)")
        ),
        other => panic!("{other:?}"),
    }
    assert!(active_centres(&ctx).await.unwrap().is_empty());
}

mod triage {
    use super::*;
    use crate::emergency::{Contact, TriageRequest, local_minute, triage};
    use tiercare_core::emergency::{Emergency as Condition, Rule, Treatment};
    use time::macros::datetime;

    fn pci_centre() -> EmergencyCentre {
        EmergencyCentre {
            id: CentreId::new("ctr-h1-chest-pain").unwrap(),
            name: "h1胸痛中心".into(),
            institution: id("h1"),
            centre: Centre {
                kind: CentreKind::ChestPain,
                accreditation: Accreditation::Standard,
                hours: Hours::Always,
                capabilities: vec![Capability::Pci, Capability::Thrombolysis],
            },
            catchment: vec![],
            transfers_to: vec![],
            active: true,
        }
    }

    fn stemi_from(from: Contact) -> TriageRequest {
        TriageRequest {
            emergency: Condition::Stemi,
            from,
            onset_minutes: 0,
            large_vessel: false,
            at: Some(datetime!(2026-03-01 19:00 UTC)),
        }
    }

    #[test]
    fn the_time_of_day_is_china_standard_time() {
        assert_eq!(local_minute(datetime!(2026-03-01 19:00 UTC)), 180);
        assert_eq!(local_minute(datetime!(2026-03-02 10:30 +08:00)), 630);
    }

    #[tokio::test]
    async fn a_stemi_goes_to_the_pci_centre_named_with_its_centre() {
        let ctx = context().await;
        let admin = actor(UserRole::Admin, None);
        Emergency::new(&ctx, &admin)
            .put_centre(pci_centre(), Expect::New)
            .await
            .unwrap();
        let doctor = actor(UserRole::Doctor, Some("tc1"));
        let t = triage(&ctx, &doctor, &stemi_from(Contact::Institution(id("tc1"))))
            .await
            .unwrap();
        assert_eq!(t.decision.rule, Rule::DirectPci);
        assert_eq!(t.first.step.institution, id("h1"));
        assert_eq!(t.first.step.treatment, Treatment::Pci);
        assert_eq!(t.first.name, "h1");
        assert_eq!(t.first.centre, Some(pci_centre().id));
        assert_eq!(t.minute, 180);
        assert!(t.then.is_none());
        // Nothing was written: the triage leaves no audit entry.
        let (audit, _) = ctx
            .store
            .audit_search(&AuditQuery {
                patient: None,
                username: Some("doctor".into()),
                outcomes: vec![],
                count: 10,
                offset: 0,
            })
            .await
            .unwrap();
        assert!(audit.is_empty(), "{audit:?}");
    }

    #[tokio::test]
    async fn who_asks_and_from_where_is_checked() {
        let ctx = context().await;
        let road = Contact::Roadside {
            latitude: 31.0,
            longitude: 113.8,
        };
        for role in [UserRole::Resident, UserRole::Analyst, UserRole::Insurer] {
            let r = triage(&ctx, &actor(role, None), &stemi_from(road.clone())).await;
            assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{role:?}");
        }
        let doctor = actor(UserRole::Doctor, Some("tc1"));
        for (from, field) in [
            (Contact::Institution(id("nowhere")), "from"),
            // tc2 has no registered place.
            (Contact::Institution(id("tc2")), "from"),
        ] {
            match triage(&ctx, &doctor, &stemi_from(from)).await {
                Err(ServiceError::Rule { field: f, .. }) => assert_eq!(f.as_deref(), Some(field)),
                other => panic!("{other:?}"),
            }
        }
        let north = Contact::Roadside {
            latitude: 95.0,
            longitude: 113.8,
        };
        match triage(&ctx, &doctor, &stemi_from(north)).await {
            Err(ServiceError::Invalid { field, .. }) => {
                assert_eq!(field.as_deref(), Some("latitude"))
            }
            other => panic!("{other:?}"),
        }
        // No centre registered: nothing can take a STEMI.
        match triage(&ctx, &doctor, &stemi_from(road)).await {
            Err(ServiceError::Rule { field, message }) => {
                assert_eq!(field.as_deref(), Some("emergency"));
                assert!(message.contains("no institution"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
