use super::*;
use crate::emergency::{Case, Emergency, FirstContact, Rule, TravelTimes, Windows, route};
use crate::network::{Capacity, InstitutionKind, Place};
use crate::{Level, RegionId};

fn id(s: &str) -> InstitutionId {
    InstitutionId::new(s).unwrap()
}

fn institution(name: &str, level: Level, at: Option<(f64, f64)>) -> Institution {
    let kind = if level == Level::Primary {
        InstitutionKind::TownshipCentre
    } else {
        InstitutionKind::CountyHospital
    };
    Institution {
        id: id(name),
        region: RegionId::new("r").unwrap(),
        name: name.into(),
        alias: vec![],
        identifier: None,
        kind,
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

fn chest_pain() -> EmergencyCentre {
    EmergencyCentre {
        id: CentreId::new("ctr-h1-chest-pain").unwrap(),
        name: "县人民医院胸痛中心".into(),
        institution: id("h1"),
        centre: Centre {
            kind: CentreKind::ChestPain,
            accreditation: Accreditation::Standard,
            hours: Hours::Always,
            capabilities: vec![Capability::Pci, Capability::Thrombolysis],
        },
        catchment: vec![id("tc1"), id("tc2")],
        transfers_to: vec![],
        active: true,
    }
}

fn unit() -> EmergencyCentre {
    EmergencyCentre {
        id: CentreId::new("ctr-tc1-chest-pain").unwrap(),
        name: "河口镇卫生院胸痛救治单元".into(),
        institution: id("tc1"),
        centre: Centre {
            kind: CentreKind::ChestPain,
            accreditation: Accreditation::TreatmentUnit,
            hours: Hours::Daily {
                from_minute: 8 * 60,
                to_minute: 17 * 60 + 30,
            },
            capabilities: vec![Capability::Thrombolysis],
        },
        catchment: vec![],
        transfers_to: vec![id("h1")],
        active: true,
    }
}

fn field_of(c: &EmergencyCentre) -> &'static str {
    match c.validate() {
        Err(CentreError::Invalid { field, .. }) => field,
        Ok(()) => "ok",
    }
}

#[test]
fn a_county_centre_and_a_township_unit_are_valid() {
    assert_eq!(chest_pain().validate(), Ok(()));
    assert_eq!(unit().validate(), Ok(()));
}

#[test]
fn capabilities_must_fit_the_kind() {
    let mut c = chest_pain();
    c.centre.capabilities = vec![Capability::TraumaSurgery];
    assert_eq!(field_of(&c), "characteristic");
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("pci or thrombolysis"), "{err}");
    for (kind, fits, misfit) in [
        (
            CentreKind::Stroke,
            Capability::Thrombectomy,
            Capability::Pci,
        ),
        (
            CentreKind::Trauma,
            Capability::TraumaSurgery,
            Capability::Caesarean,
        ),
        (
            CentreKind::Maternal,
            Capability::Caesarean,
            Capability::NeonatalIntensiveCare,
        ),
        (
            CentreKind::Neonatal,
            Capability::NeonatalIntensiveCare,
            Capability::Thrombolysis,
        ),
    ] {
        c.centre.kind = kind;
        c.centre.capabilities = vec![fits];
        assert_eq!(field_of(&c), "ok", "{kind:?} {fits:?}");
        c.centre.capabilities = vec![misfit];
        assert_eq!(field_of(&c), "characteristic", "{kind:?} {misfit:?}");
    }
}

#[test]
fn capabilities_are_named_once_and_at_least_once() {
    let mut c = chest_pain();
    c.centre.capabilities = vec![];
    assert_eq!(field_of(&c), "characteristic");
    c.centre.capabilities = vec![Capability::Pci, Capability::Pci];
    assert_eq!(field_of(&c), "characteristic");
}

#[test]
fn a_name_is_required() {
    let mut c = chest_pain();
    c.name = "  ".into();
    assert_eq!(field_of(&c), "name");
}

#[test]
fn hours_are_times_of_day() {
    let mut c = chest_pain();
    c.centre.hours = Hours::Daily {
        from_minute: 480,
        to_minute: 1440,
    };
    assert_eq!(field_of(&c), "availableTime");
    c.centre.hours = Hours::Daily {
        from_minute: 480,
        to_minute: 480,
    };
    assert_eq!(field_of(&c), "availableTime");
    // A night window past midnight is allowed.
    c.centre.hours = Hours::Daily {
        from_minute: 1320,
        to_minute: 360,
    };
    assert_eq!(field_of(&c), "ok");
}

#[test]
fn agreements_name_each_institution_once_and_never_itself() {
    let mut c = chest_pain();
    c.catchment.push(id("tc1"));
    assert_eq!(field_of(&c), "extension(centre-catchment)");
    let mut c = chest_pain();
    c.transfers_to = vec![id("t1"), id("t1")];
    assert_eq!(field_of(&c), "extension(transfer-agreement)");
    c.transfers_to = vec![id("h1")];
    assert_eq!(field_of(&c), "extension(transfer-agreement)");
}

#[test]
fn a_treatment_unit_lyses_and_transfers() {
    let mut u = unit();
    u.transfers_to.clear();
    assert_eq!(field_of(&u), "extension(transfer-agreement)");
    let mut u = unit();
    u.centre.capabilities.push(Capability::Pci);
    assert_eq!(field_of(&u), "characteristic");
    let mut u = unit();
    u.centre.kind = CentreKind::Stroke;
    assert_eq!(field_of(&u), "extension(centre-accreditation)");
}

#[test]
fn sites_carry_active_centres_and_leave_out_places_unknown() {
    let institutions = vec![
        institution("h1", Level::Secondary, Some((31.10, 113.90))),
        institution("tc1", Level::Primary, Some((31.30, 113.70))),
        institution("tc2", Level::Primary, None),
    ];
    let mut closed = chest_pain();
    closed.id = CentreId::new("ctr-h1-old").unwrap();
    closed.active = false;
    closed.centre.kind = CentreKind::Trauma;
    closed.centre.capabilities = vec![Capability::TraumaSurgery];
    let s = sites(&institutions, &[unit(), chest_pain(), closed]);
    let ids: Vec<&str> = s.iter().map(|s| s.institution.as_str()).collect();
    assert_eq!(ids, ["h1", "tc1"]);
    assert_eq!(s[0].centres, vec![chest_pain().centre]);
    assert_eq!(s[0].level, Level::Secondary);
    assert_eq!((s[1].latitude, s[1].longitude), (31.30, 113.70));
    assert_eq!(s[1].centres, vec![unit().centre]);
    assert!(s.iter().all(|s| s.capabilities.is_empty()));
}

#[test]
fn the_rule_routes_over_registered_sites() {
    // A township unit 130 km from the only PCI centre: beyond the PCI
    // window, so lysis there by day, then PCI at the county hospital.
    let institutions = vec![
        institution("h1", Level::Secondary, Some((31.10, 113.90))),
        institution("tc1", Level::Primary, Some((32.00, 114.50))),
    ];
    let s = sites(&institutions, &[chest_pain(), unit()]);
    let case = Case {
        emergency: Emergency::Stemi,
        onset_minutes: 30,
        large_vessel: false,
    };
    let from = FirstContact {
        latitude: 32.00,
        longitude: 114.50,
        institution: Some(id("tc1")),
    };
    let w = Windows::default();
    let by_day = route(&case, &from, 600, &s, &TravelTimes::default(), &w).unwrap();
    assert_eq!(by_day.rule, Rule::LysisThenPci);
    assert_eq!(by_day.first.institution, id("tc1"));
    assert_eq!(by_day.then.map(|t| t.institution), Some(id("h1")));
    // At night the unit is closed; the county hospital lyses.
    let at_night = route(&case, &from, 120, &s, &TravelTimes::default(), &w).unwrap();
    assert_eq!(at_night.first.institution, id("h1"));
}
