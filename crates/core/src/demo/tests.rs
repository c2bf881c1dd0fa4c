//! Tests of the demo county against the reference figures.

use super::*;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn county() -> &'static DemoCounty {
    static COUNTY: OnceLock<DemoCounty> = OnceLock::new();
    COUNTY.get_or_init(|| DemoCounty::generate(DemoCounty::DEFAULT_RESIDENTS, 2026))
}

fn institutions(c: &DemoCounty) -> HashMap<&InstitutionId, &Institution> {
    c.records
        .iter()
        .filter_map(|r| match r {
            Record::Institution(i) => Some((&i.id, i)),
            _ => None,
        })
        .collect()
}

fn residents(c: &DemoCounty) -> Vec<&Resident> {
    c.records
        .iter()
        .filter_map(|r| match r {
            Record::Resident(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn teams(c: &DemoCounty) -> Vec<&FamilyDoctorTeam> {
    c.records
        .iter()
        .filter_map(|r| match r {
            Record::Team(t) => Some(t),
            _ => None,
        })
        .collect()
}

#[test]
fn same_seed_gives_the_same_county() {
    let a = DemoCounty::generate(400, 7);
    assert_eq!(a, DemoCounty::generate(400, 7));
    assert_ne!(residents(&a), residents(&DemoCounty::generate(400, 8)));
    // More residents only add residents: the first 100 stay the same.
    let small = DemoCounty::generate(100, 7);
    assert_eq!(residents(&small)[..], residents(&a)[..100]);
    assert_eq!(small.users, a.users);
}

#[test]
fn every_record_validates() {
    let c = county();
    let by_id = institutions(c);
    for record in &c.records {
        let checked = match record {
            Record::Institution(i) => i.validate(),
            Record::Alliance(a) => a.validate(),
            Record::Practitioner(p) => p.validate(),
            Record::Role(r) => r.validate_at(by_id[&r.institution]),
            Record::Team(t) => t.validate_at(by_id[&t.institution]),
            Record::Resident(r) => r.validate(),
            Record::Membership(_)
            | Record::Site(_)
            | Record::Referral(_)
            | Record::Slot(_)
            | Record::BedPool(_)
            | Record::Appointment(_)
            | Record::Encounter(_)
            | Record::Observation(_)
            | Record::DiagnosticReport(_)
            | Record::MedicinesList(_)
            | Record::Consult(_)
            | Record::CarePlan(_)
            | Record::FollowUp(_)
            | Record::Coverage(_)
            | Record::Claim(_)
            | Record::Account(_)
            | Record::Programme(_)
            | Record::OutreachSession(_)
            | Record::Mentorship(_)
            | Record::MentorshipActivity(_)
            | Record::PanelEnrolment(_)
            | Record::Measurement(_)
            | Record::ReadingOrder(_)
            | Record::EmergencyCase(_) => Ok(()),
            Record::Hub(h) => h
                .validate()
                .map_err(|e| crate::network::NetworkError::new("hub", e.to_string())),
            Record::Centre(c) => c
                .validate()
                .map_err(|e| crate::network::NetworkError::new("centre", e.to_string())),
        };
        assert!(
            checked.is_ok(),
            "{} {}: {checked:?}",
            record.kind(),
            record.id()
        );
        // Only the prefecture's hospital, where referrals beyond the
        // county go, belongs to another region.
        assert_eq!(
            record.region().is_none_or(|r| *r == c.region.id),
            record.id() != "zx-t1",
            "{}",
            record.id()
        );
    }
}

#[test]
fn references_point_to_earlier_records() {
    let c = county();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut kinds: HashMap<String, InstitutionKind> = HashMap::new();
    for record in &c.records {
        let refs: Vec<(&str, String)> = match record {
            Record::Institution(i) => {
                if let Some(parent) = &i.part_of {
                    let expected = match i.kind {
                        InstitutionKind::VillageClinic => InstitutionKind::TownshipCentre,
                        InstitutionKind::CommunityStation => InstitutionKind::CommunityHealthCentre,
                        other => panic!("{} is a {other} with a parent", i.id),
                    };
                    assert_eq!(kinds.get(parent.as_str()), Some(&expected), "{}", i.id);
                }
                kinds.insert(i.id.to_string(), i.kind);
                i.part_of
                    .iter()
                    .map(|p| ("institution", p.to_string()))
                    .collect()
            }
            Record::Alliance(a) => vec![("institution", a.lead.to_string())],
            Record::Membership(m) => vec![
                ("alliance", m.alliance.to_string()),
                ("institution", m.institution.to_string()),
            ],
            Record::Site(s) => vec![("institution", s.institution.to_string())],
            Record::Practitioner(_) => vec![],
            Record::Role(r) => vec![
                ("practitioner", r.practitioner.to_string()),
                ("institution", r.institution.to_string()),
            ],
            Record::Team(t) => std::iter::once(("institution", t.institution.to_string()))
                .chain(t.members.iter().map(|m| ("practitioner", m.to_string())))
                .collect(),
            Record::Resident(r) => r
                .contract
                .iter()
                .map(|c| ("team", c.team.to_string()))
                .collect(),
            Record::Referral(r) => vec![
                ("resident", r.patient.to_string()),
                ("practitioner", r.requester.to_string()),
                ("institution", r.from.to_string()),
                ("institution", r.to.to_string()),
            ],
            Record::Slot(s) => vec![("institution", s.institution.to_string())],
            Record::BedPool(b) => vec![("institution", b.institution.to_string())],
            Record::Encounter(e) => vec![
                ("institution", e.institution.to_string()),
                ("resident", e.patient.to_string()),
            ],
            Record::Appointment(a) => vec![
                ("institution", a.institution.to_string()),
                ("resident", a.patient.to_string()),
            ],
            Record::MedicinesList(m) => vec![("institution", m.institution.to_string())],
            Record::Coverage(c) => vec![("resident", c.resident.to_string())],
            Record::Hub(h) => std::iter::once(("institution", h.institution.to_string()))
                .chain(h.members.iter().map(|m| ("institution", m.to_string())))
                .collect(),
            Record::Centre(c) => std::iter::once(&c.institution)
                .chain(&c.catchment)
                .chain(&c.transfers_to)
                .map(|i| ("institution", i.to_string()))
                .collect(),
            other => panic!("the demo county has no {} records", other.kind()),
        };
        for reference in refs {
            assert!(
                seen.contains(&reference),
                "{} refers to {reference:?}",
                record.id()
            );
        }
        seen.insert((record.kind(), record.id().to_string()));
    }
    for user in &c.users {
        let refs = [
            user.institution
                .as_ref()
                .map(|i| ("institution", i.to_string())),
            user.practitioner
                .as_ref()
                .map(|p| ("practitioner", p.to_string())),
            user.resident.as_ref().map(|r| ("resident", r.to_string())),
        ];
        for reference in refs.into_iter().flatten() {
            assert!(
                seen.contains(&reference),
                "{} refers to {reference:?}",
                user.username
            );
        }
    }
}

#[test]
fn ids_are_unique_per_resource_type() {
    let mut seen = HashSet::new();
    for record in &county().records {
        assert!(
            seen.insert((record.resource_type(), record.id())),
            "duplicate {}",
            record.id()
        );
    }
}

#[test]
fn capacity_matches_zx_city_and_is_an_inverted_pyramid() {
    let c = county();
    let all = institutions(c);
    assert_eq!(all.len(), 5 + 6 + 24 + 3 + 8);
    let county_own: Vec<_> = all
        .values()
        .filter(|i| i.level != Level::Tertiary)
        .collect();
    let sum = |f: fn(&Capacity) -> u32, primary: Option<bool>| -> f64 {
        county_own
            .iter()
            .filter(|i| primary.is_none_or(|p| p == (i.level == Level::Primary)))
            .map(|i| f64::from(f(&i.capacity)))
            .sum()
    };
    let per_1000 = |x: f64| x * 1000.0 / c.region.population as f64;
    let beds = per_1000(sum(|c| c.beds, None));
    let physicians = per_1000(sum(|c| c.physicians, None));
    assert!((beds / 5.1 - 1.0).abs() < 0.05, "beds per 1,000: {beds}");
    assert!(
        (physicians / 2.1 - 1.0).abs() < 0.05,
        "physicians per 1,000: {physicians}"
    );
    assert!(sum(|c| c.beds, Some(false)) > 2.0 * sum(|c| c.beds, Some(true)));
    assert!(sum(|c| c.physicians, Some(false)) > sum(|c| c.physicians, Some(true)));

    for i in all.values() {
        let cap = &i.capacity;
        assert!(
            i.departments.iter().map(|d| d.beds).sum::<u32>() <= cap.beds,
            "{}",
            i.id
        );
        let slots: u32 = i.departments.iter().map(|d| d.daily_slots).sum();
        assert!(slots <= cap.daily_outpatient_slots, "{}", i.id);
        let per_physician = f64::from(cap.daily_outpatient_slots) / f64::from(cap.physicians);
        let range = if i.level == Level::Primary {
            25.0..=40.0
        } else {
            15.0..=25.0
        };
        assert!(
            range.contains(&per_physician),
            "{}: {per_physician} slots/physician",
            i.id
        );
    }
    // Named doctors never outnumber the physicians an institution has.
    let mut doctors: HashMap<&InstitutionId, u32> = HashMap::new();
    for r in &c.records {
        if let Record::Role(r) = r
            && matches!(
                r.role,
                PractitionerRoleKind::FamilyDoctor | PractitionerRoleKind::Specialist
            )
        {
            *doctors.entry(&r.institution).or_default() += 1;
        }
    }
    for (id, n) in doctors {
        assert!(n <= all[id].capacity.physicians, "{id}");
    }
}

#[test]
fn places_are_distinct_and_around_zx_city() {
    let c = county();
    let mut seen = HashSet::new();
    for i in institutions(c).values() {
        let p = i.place.as_ref().expect("every institution has a place");
        assert!((30.8..31.4).contains(&p.latitude) && (113.6..114.2).contains(&p.longitude));
        assert!(
            seen.insert((p.latitude.to_bits(), p.longitude.to_bits())),
            "{}",
            i.id
        );
    }
}

#[test]
fn teams_and_staff_are_where_they_belong() {
    let c = county();
    let all = institutions(c);
    for t in teams(c) {
        assert_eq!(t.members.len(), 3);
        assert!(matches!(
            all[&t.institution].kind,
            InstitutionKind::TownshipCentre | InstitutionKind::CommunityHealthCentre
        ));
    }
    for i in all.values() {
        let n = teams(c).iter().filter(|t| t.institution == i.id).count();
        let has_teams = matches!(
            i.kind,
            InstitutionKind::TownshipCentre | InstitutionKind::CommunityHealthCentre
        );
        assert!(
            if has_teams {
                (2..=4).contains(&n)
            } else {
                n == 0
            },
            "{}",
            i.id
        );
    }
    let roles: Vec<_> = c
        .records
        .iter()
        .filter_map(|r| {
            if let Record::Role(r) = r {
                Some(r)
            } else {
                None
            }
        })
        .collect();
    for i in all.values().filter(|i| i.part_of.is_none()) {
        let coordinators = roles
            .iter()
            .filter(|r| {
                r.institution == i.id && r.role == PractitionerRoleKind::ReferralCoordinator
            })
            .count();
        assert_eq!(coordinators, 1, "{}", i.id);
        if i.level != Level::Primary {
            for d in &i.departments {
                let n = roles
                    .iter()
                    .filter(|r| r.institution == i.id && r.specialty == Some(d.specialty))
                    .count();
                assert!((2..=4).contains(&n), "{} {}", i.id, d.specialty);
            }
        }
    }
}

#[test]
fn residents_look_like_a_county_and_key_groups_are_all_contracted() {
    let c = county();
    let people = residents(c);
    assert_eq!(people.len(), DemoCounty::DEFAULT_RESIDENTS);
    let team_place: HashMap<&TeamId, String> = teams(c)
        .into_iter()
        .map(|t| {
            (
                &t.id,
                institutions(c)[&t.institution]
                    .place
                    .as_ref()
                    .map(|p| p.district.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let all_teams: HashMap<&TeamId, &FamilyDoctorTeam> =
        teams(c).into_iter().map(|t| (&t.id, t)).collect();
    let share = |f: &dyn Fn(&Resident) -> bool| {
        people.iter().filter(|r| f(r)).count() as f64 / people.len() as f64
    };
    let age = |r: &Resident| r.age_on(REFERENCE_DATE);
    assert!((0.12..0.18).contains(&share(&|r| age(r) < 15)));
    assert!((0.12..0.18).contains(&share(&|r| age(r) >= 65)));
    assert!((0.03..0.07).contains(&share(&|r| r.key_groups.contains(&KeyGroup::LowIncome))));
    let districts: HashSet<_> = people.iter().filter_map(|r| r.district.as_ref()).collect();
    assert_eq!(districts.len(), 9);
    let mut unforced = (0, 0);
    for r in &people {
        assert_eq!(
            age(r) >= 65,
            r.key_groups.contains(&KeyGroup::Elderly),
            "{}",
            r.id
        );
        assert!(age(r) >= 0 && age(r) <= 96);
        let id = r.identifier.as_deref().unwrap_or_default();
        assert_eq!(id.len(), 18);
        assert!(id.starts_with(ID_AREA_CODE));
        if let Some(contract) = &r.contract {
            assert!(contract.in_force_on(REFERENCE_DATE), "{}", r.id);
            assert_eq!(
                team_place.get(&contract.team),
                r.district.as_ref(),
                "{}",
                r.id
            );
            let team = all_teams[&contract.team];
            assert_eq!(contract.institution.as_ref(), Some(&team.institution));
            assert_eq!(contract.family_doctor.as_ref(), Some(&team.lead));
        }
        if r.key_groups.is_empty() {
            unforced.0 += 1;
            unforced.1 += usize::from(r.contract.is_some());
        } else {
            assert!(
                r.contract.is_some(),
                "{} is in a key group but has no contract",
                r.id
            );
        }
    }
    let voluntary = unforced.1 as f64 / unforced.0 as f64;
    assert!((0.30..0.40).contains(&voluntary), "{voluntary}");
    let elders: Vec<_> = people.iter().filter(|r| age(r) >= 65).collect();
    let chronic = elders
        .iter()
        .filter(|r| r.key_groups.contains(&KeyGroup::Chronic))
        .count();
    assert!((0.35..0.55).contains(&(chronic as f64 / elders.len() as f64)));
}

#[test]
fn demo_users_fit_together() {
    let c = county();
    let by_name: HashMap<&str, &DemoUser> =
        c.users.iter().map(|u| (u.username.as_str(), u)).collect();
    assert_eq!(by_name.len(), 8);
    assert!(
        c.users
            .iter()
            .all(|u| u.password.ends_with("-demo-2026") && !u.note.is_empty())
    );

    let doctor = by_name["doctor"];
    let team = teams(c)
        .into_iter()
        .find(|t| t.id.as_str() == "team-tc1-1")
        .expect("first team");
    assert_eq!(doctor.practitioner.as_ref(), Some(&team.lead));
    assert_eq!(doctor.institution.as_ref(), Some(&team.institution));
    assert_eq!(
        institutions(c)[&team.institution].kind,
        InstitutionKind::TownshipCentre
    );

    // The front desk works at the doctor's township centre; the insurer
    // at no institution.
    let frontdesk = by_name["frontdesk"];
    assert_eq!(frontdesk.role, UserRole::Coordinator);
    assert_eq!(frontdesk.institution.as_ref(), Some(&team.institution));
    assert_eq!(frontdesk.practitioner, None);
    let insurer = by_name["insurer"];
    assert_eq!(insurer.role, UserRole::Insurer);
    assert_eq!(insurer.institution, None);

    let resident_id = by_name["resident"]
        .resident
        .as_ref()
        .expect("demo resident");
    let resident = residents(c)
        .into_iter()
        .find(|r| &r.id == resident_id)
        .expect("exists");
    assert_eq!(resident.contracted_team_on(REFERENCE_DATE), Some(&team.id));
    assert!(resident.age_on(REFERENCE_DATE) >= 65);

    let coordinator = by_name["coordinator"];
    assert_eq!(
        coordinator.institution.as_ref().map(|i| i.as_str()),
        Some("zx-h1")
    );
    assert!(c.records.iter().any(|r| matches!(r, Record::Role(r)
        if Some(&r.practitioner) == coordinator.practitioner.as_ref()
            && r.role == PractitionerRoleKind::ReferralCoordinator
            && Some(&r.institution) == coordinator.institution.as_ref())));

    let specialist = by_name["specialist"];
    assert_eq!(specialist.institution, coordinator.institution);
    assert!(c.records.iter().any(|r| matches!(r, Record::Role(r)
        if Some(&r.practitioner) == specialist.practitioner.as_ref()
            && r.specialty == Some(Specialty::Cardiology))));

    let empty = DemoCounty::generate(0, 1);
    assert!(residents(&empty).is_empty());
    assert_eq!(empty.users.len(), 7, "no resident login without residents");
    assert!(empty.users.iter().all(|u| u.role != UserRole::Resident));
}

#[test]
fn one_county_medical_community_and_one_urban_medical_group() {
    let c = county();
    let all = institutions(c);
    for kind in [
        AllianceKind::CountyMedicalCommunity,
        AllianceKind::UrbanMedicalGroup,
    ] {
        let found: Vec<_> = c
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Alliance(a) if a.kind == kind => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(found.len(), 1, "{kind}");
        let alliance = found[0];
        let members: Vec<_> = c
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Membership(m) if m.alliance == alliance.id => Some(m),
                _ => None,
            })
            .collect();
        let leads: Vec<_> = members.iter().filter(|m| m.is_lead).collect();
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].institution, alliance.lead);
        let expected_kinds = match kind {
            AllianceKind::CountyMedicalCommunity => {
                assert_eq!(alliance.closeness, Closeness::Tight);
                [
                    InstitutionKind::TownshipCentre,
                    InstitutionKind::VillageClinic,
                ]
            }
            _ => [
                InstitutionKind::CommunityHealthCentre,
                InstitutionKind::CommunityStation,
            ],
        };
        for kind in expected_kinds {
            let expected = all.values().filter(|i| i.kind == kind).count();
            let got = members
                .iter()
                .filter(|m| all[&m.institution].kind == kind)
                .count();
            assert_eq!(got, expected, "{kind} in {}", alliance.id);
        }
    }
}

#[test]
fn every_primary_institution_has_a_medicines_list_and_hospitals_have_none() {
    let c = county();
    let lists: HashMap<String, &crate::medicines::EssentialMedicines> = c
        .records
        .iter()
        .filter_map(|r| match r {
            Record::MedicinesList(m) => Some((m.institution.to_string(), m)),
            _ => None,
        })
        .collect();
    let ticagrelor: crate::medicines::MedicineCode = "B01AC24".parse().unwrap();
    let clopidogrel: crate::medicines::MedicineCode = "B01AC04".parse().unwrap();
    for i in institutions(c).values() {
        let list = lists.get(i.id.as_str());
        assert_eq!(list.is_some(), i.level == Level::Primary, "{}", i.id);
        if let Some(list) = list {
            assert!(
                !list.has(&ticagrelor),
                "{} stocks a hospital medicine",
                i.id
            );
            assert!(list.medicines.len() >= 11, "{}", i.id);
        }
    }
    assert!(lists["zx-tc1"].has(&clopidogrel));
    assert!(
        !lists["zx-tc3"].has(&clopidogrel),
        "the gap in the data file"
    );
    assert!(
        !lists["zx-vc1-1"].has(&clopidogrel),
        "village clinics stock less"
    );
    assert!(super::formulary().contains_key(&ticagrelor));
}

#[test]
fn every_resident_is_covered_by_a_scheme_of_the_demo_policy() {
    let c = county();
    let policy = crate::policy::Policy::demo();
    let rules = policy
        .insurance
        .as_ref()
        .expect("the demo policy has insurance");
    let covered: HashMap<String, String> = c
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Coverage(cov) => Some((cov.resident.to_string(), cov.scheme.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(covered.len(), residents(c).len());
    assert!(covered.values().all(|s| rules.scheme(s).is_some()));
    let employees = covered.values().filter(|s| *s == "uebmi").count();
    let share = employees as f64 / covered.len() as f64;
    assert!((0.1..0.4).contains(&share), "employee share {share}");
}

/// The county's users read Chinese: every name they see is in hanzi, with
/// its English or pinyin kept alongside for search and for readers
/// without Chinese.
#[test]
fn names_are_chinese_with_english_or_pinyin_kept() {
    let c = county();
    let hanzi = |s: &str| s.chars().any(crate::network::is_hanzi);
    let latin = |s: &str| !s.is_empty() && !hanzi(s);
    assert!(hanzi(&c.region.name) && c.region.name.starts_with("ZX"));
    assert!(c.region.alias.iter().any(|a| latin(a)));
    for record in &c.records {
        match record {
            Record::Institution(i) => {
                assert!(hanzi(&i.name), "{}: {}", i.id, i.name);
                assert!(i.alias.len() >= 2, "{}: {:?}", i.id, i.alias);
                assert!(i.alias.iter().all(|a| latin(a)), "{:?}", i.alias);
                let district = i.place.as_ref().map(|p| p.district.as_str());
                assert!(district.is_some_and(hanzi), "{}", i.id);
            }
            Record::Alliance(a) => {
                assert!(hanzi(&a.name), "{}", a.name);
                assert!(a.alias.iter().all(|x| latin(x)) && !a.alias.is_empty());
            }
            Record::Team(t) => assert!(t.name.contains("家庭医生团队"), "{}", t.name),
            Record::Practitioner(p) => {
                let pinyin = p.name.pinyin.as_ref().expect("pinyin");
                assert!(p.name.family.chars().all(crate::network::is_hanzi));
                assert!(latin(&pinyin.family) && latin(&pinyin.given), "{pinyin:?}");
            }
            Record::Resident(r) => {
                assert!(hanzi(&r.name.full()) && !r.name.full().contains(' '));
                let given = r.name.given.chars().count();
                assert!((1..=2).contains(&given), "{}", r.name.full());
                let pinyin = r.name.pinyin_full().expect("pinyin");
                assert!(latin(&pinyin) && pinyin.contains(' '), "{pinyin}");
            }
            _ => {}
        }
    }
    let hekou = institutions(c)[&InstitutionId::new("zx-tc1").unwrap()];
    assert_eq!(hekou.name, "河口镇卫生院");
    assert!(
        hekou
            .alias
            .contains(&"Hekou Township Health Centre".to_string())
    );
    let clinic = institutions(c)[&InstitutionId::new("zx-vc1-1").unwrap()];
    assert_eq!(clinic.name, "六合村卫生室");
    assert_eq!(
        clinic.alias,
        ["Liuhe Village Clinic", "Liuhecun Weishengshi"]
    );
    // The names are drawn from the seed, like everything else.
    let again = DemoCounty::generate(DemoCounty::DEFAULT_RESIDENTS, 2026);
    let names = |c: &DemoCounty| -> Vec<PersonName> {
        residents(c).iter().map(|r| r.name.clone()).collect()
    };
    assert_eq!(names(c), names(&again));
}

#[test]
fn the_county_has_its_emergency_centres() {
    use crate::emergency::{Accreditation, Capability, CentreKind, EmergencyCentre, Hours, sites};
    let c = county();
    let centres: Vec<&EmergencyCentre> = c
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Centre(x) => Some(x),
            _ => None,
        })
        .collect();
    let at = |i: &str, k: CentreKind| {
        centres
            .iter()
            .find(|c| c.institution.as_str() == i && c.centre.kind == k)
            .copied()
    };
    // The five centres of the county, the neonatal one at the maternal
    // and child health hospital.
    for (i, k) in [
        ("zx-h1", CentreKind::ChestPain),
        ("zx-h1", CentreKind::Stroke),
        ("zx-h1", CentreKind::Trauma),
        ("zx-h1", CentreKind::Maternal),
        ("zx-h3", CentreKind::Neonatal),
    ] {
        let centre = at(i, k).unwrap_or_else(|| panic!("no {k:?} centre at {i}"));
        assert_eq!(centre.catchment.len(), 6, "{}", centre.id);
        assert!(
            centre
                .catchment
                .iter()
                .all(|t| t.as_str().starts_with("zx-tc"))
        );
    }
    // No PCI in the county: the prefecture's centre does it.
    let county_pci = centres
        .iter()
        .filter(|c| c.centre.capabilities.contains(&Capability::Pci))
        .map(|c| c.institution.as_str())
        .collect::<Vec<_>>();
    assert_eq!(county_pci, ["zx-t1"]);
    let units: Vec<_> = centres
        .iter()
        .filter(|c| c.centre.accreditation == Accreditation::TreatmentUnit)
        .collect();
    assert_eq!(units.len(), 3);
    assert!(units.iter().all(|u| {
        u.transfers_to.iter().any(|t| t.as_str() == "zx-h1")
            && !u.catchment.is_empty()
            && u.catchment.iter().all(|v| v.as_str().starts_with("zx-vc"))
    }));
    let daytime: Vec<_> = centres
        .iter()
        .filter(|c| c.centre.hours != Hours::Always)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(daytime, ["ctr-zx-tc6-chest-pain"]);
    // Every institution has a place, so every one is a routing site.
    let institutions: Vec<_> = c
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Institution(i) => Some(i.clone()),
            _ => None,
        })
        .collect();
    let owned: Vec<EmergencyCentre> = centres.into_iter().cloned().collect();
    let s = sites(&institutions, &owned);
    assert_eq!(s.len(), institutions.len());
    let h1 = s.iter().find(|s| s.institution.as_str() == "zx-h1");
    assert_eq!(h1.map(|s| s.centres.len()), Some(4));
}
