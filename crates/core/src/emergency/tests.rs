//! The routing rule on a small county: the county hospital H (chest pain,
//! stroke, trauma and maternal centres, a daytime neonatal unit), the city
//! hospital C far to the north (thrombectomy, neonatal intensive care,
//! PCI), a near township T and a far one F that can both give
//! thrombolysis, a village clinic V beside F, and a small hospital G near
//! them that can operate but has no centre. Each emergency from each first
//! point of contact goes where the documented rule says.

use super::*;
use crate::InstitutionId;

fn id(s: &str) -> InstitutionId {
    InstitutionId::new(s).unwrap_or_else(|e| panic!("{e}"))
}

fn centre(kind: CentreKind, hours: Hours, caps: &[Capability]) -> Centre {
    Centre {
        kind,
        accreditation: Accreditation::Basic,
        hours,
        capabilities: caps.to_vec(),
    }
}

const DAY: Hours = Hours::Daily {
    from_minute: 8 * 60,
    to_minute: 20 * 60,
};
const NOON: u16 = 12 * 60;
const NIGHT: u16 = 3 * 60;

fn site(name: &str, level: Level, lat: f64, centres: Vec<Centre>, caps: &[Capability]) -> Site {
    Site {
        institution: id(name),
        level,
        latitude: lat,
        longitude: 104.0,
        centres,
        capabilities: caps.to_vec(),
    }
}

fn county(pci_hours: Hours) -> Vec<Site> {
    use Capability::*;
    vec![
        site(
            "h",
            Level::Secondary,
            30.0,
            vec![
                centre(CentreKind::ChestPain, pci_hours, &[Pci, Thrombolysis]),
                centre(CentreKind::Stroke, Hours::Always, &[Thrombolysis]),
                centre(CentreKind::Trauma, Hours::Always, &[TraumaSurgery]),
                centre(CentreKind::Maternal, Hours::Always, &[Caesarean]),
                centre(CentreKind::Neonatal, DAY, &[NeonatalIntensiveCare]),
            ],
            &[],
        ),
        site(
            "c",
            Level::Tertiary,
            30.9,
            vec![
                centre(CentreKind::ChestPain, Hours::Always, &[Pci]),
                centre(
                    CentreKind::Stroke,
                    Hours::Always,
                    &[Thrombolysis, Thrombectomy],
                ),
                centre(
                    CentreKind::Neonatal,
                    Hours::Always,
                    &[NeonatalIntensiveCare],
                ),
            ],
            &[],
        ),
        site("t", Level::Primary, 30.2, vec![], &[Thrombolysis]),
        site("f", Level::Primary, 29.4, vec![], &[Thrombolysis]),
        site("v", Level::Primary, 29.45, vec![], &[]),
        site("g", Level::Secondary, 29.42, vec![], &[Caesarean]),
    ]
}

fn at(name: &str, lat: f64) -> FirstContact {
    FirstContact {
        latitude: lat,
        longitude: 104.0,
        institution: Some(id(name)),
    }
}

fn ambulance(lat: f64) -> FirstContact {
    FirstContact {
        latitude: lat,
        longitude: 104.0,
        institution: None,
    }
}

fn case(emergency: Emergency) -> Case {
    Case {
        emergency,
        onset_minutes: 60,
        large_vessel: false,
    }
}

/// The route as (first place, its treatment, next place, rule).
fn go(
    c: &Case,
    from: &FirstContact,
    minute: u16,
    sites: &[Site],
) -> (String, Treatment, Option<String>, Rule) {
    let d = route(
        c,
        from,
        minute,
        sites,
        &TravelTimes::default(),
        &Windows::default(),
    )
    .unwrap_or_else(|| panic!("no route for {c:?}"));
    (
        d.first.institution.to_string(),
        d.first.treatment,
        d.then.map(|s| s.institution.to_string()),
        d.rule,
    )
}

#[test]
fn the_travel_estimate_is_the_documented_one_and_a_matrix_overrides_it() {
    // 0.2 degrees of latitude is 22.24 km; by road 31.1 km; 46.7 minutes.
    assert_eq!(estimate_minutes((30.2, 104.0), (30.0, 104.0)), 47);
    assert_eq!(estimate_minutes((30.0, 104.0), (30.0, 104.0)), 0);
    let sites = county(Hours::Always);
    let mut travel = TravelTimes::default();
    assert_eq!(travel.minutes((30.2, 104.0), Some(&id("t")), &sites[0]), 47);
    travel.matrix.insert((id("h"), id("t")), 25);
    assert_eq!(
        travel.minutes((30.2, 104.0), Some(&id("t")), &sites[0]),
        25,
        "either way"
    );
}

#[test]
fn hours_open_and_close_and_wrap_past_midnight() {
    assert!(DAY.open_at(NOON) && !DAY.open_at(NIGHT) && !DAY.open_at(20 * 60));
    let nights = Hours::Daily {
        from_minute: 20 * 60,
        to_minute: 8 * 60,
    };
    assert!(nights.open_at(NIGHT) && nights.open_at(23 * 60) && !nights.open_at(NOON));
}

#[test]
fn a_stemi_goes_to_pci_within_the_window_or_is_lysed_first() {
    let sites = county(Hours::Always);
    let stemi = case(Emergency::Stemi);
    // From the near township: 47 minutes + 30 at the door is within 120.
    assert_eq!(
        go(&stemi, &at("t", 30.2), NOON, &sites),
        ("h".into(), Treatment::Pci, None, Rule::DirectPci)
    );
    // An ambulance beside the county hospital.
    assert_eq!(go(&stemi, &ambulance(30.05), NOON, &sites).0, "h");
    // From the far township (141 minutes away), which lyses itself.
    assert_eq!(
        go(&stemi, &at("f", 29.4), NOON, &sites),
        (
            "f".into(),
            Treatment::Thrombolysis,
            Some("h".into()),
            Rule::LysisThenPci
        )
    );
    // From the village beside it: lysed at the township 12 minutes away.
    assert_eq!(
        go(&stemi, &at("v", 29.45), NOON, &sites),
        (
            "f".into(),
            Treatment::Thrombolysis,
            Some("h".into()),
            Rule::LysisThenPci
        )
    );
}

#[test]
fn a_closed_pci_centre_is_passed_over() {
    // The county's catheter laboratory works days only: at 3 a.m. the
    // near township lyses and sends on to the city, 164 minutes away.
    let sites = county(DAY);
    let stemi = case(Emergency::Stemi);
    assert_eq!(
        go(&stemi, &at("t", 30.2), NIGHT, &sites),
        (
            "t".into(),
            Treatment::Thrombolysis,
            Some("c".into()),
            Rule::LysisThenPci
        )
    );
    assert_eq!(go(&stemi, &at("t", 30.2), NOON, &sites).3, Rule::DirectPci);
    // With no place able to lyse, the nearest PCI centre however far.
    let no_lysis: Vec<Site> = sites
        .into_iter()
        .map(|mut s| {
            s.capabilities.retain(|c| *c != Capability::Thrombolysis);
            for c in &mut s.centres {
                c.capabilities.retain(|c| *c != Capability::Thrombolysis);
            }
            s
        })
        .collect();
    assert_eq!(
        go(&stemi, &at("t", 30.2), NIGHT, &no_lysis),
        ("c".into(), Treatment::Pci, None, Rule::PciOutOfWindow)
    );
}

#[test]
fn a_stroke_goes_by_vessel_onset_and_window() {
    let sites = county(Hours::Always);
    let mut stroke = case(Emergency::Stroke);
    // 60 + 47 + 60 minutes is within 4.5 hours.
    assert_eq!(
        go(&stroke, &at("t", 30.2), NOON, &sites),
        ("h".into(), Treatment::Thrombolysis, None, Rule::StrokeLysis)
    );
    // A large vessel: the city's thrombectomy, 60 + 164 within 6 hours.
    stroke.large_vessel = true;
    assert_eq!(
        go(&stroke, &at("t", 30.2), NOON, &sites),
        (
            "c".into(),
            Treatment::Thrombectomy,
            None,
            Rule::Thrombectomy
        )
    );
    // Four hours after onset neither window is open: the stroke unit.
    stroke.onset_minutes = 240;
    assert_eq!(
        go(&stroke, &at("t", 30.2), NOON, &sites),
        ("h".into(), Treatment::StrokeUnit, None, Rule::StrokeUnit)
    );
    // From the village two hours after onset: 120 + 129 + 60 > 270.
    let late = Case {
        onset_minutes: 120,
        ..case(Emergency::Stroke)
    };
    assert_eq!(go(&late, &at("v", 29.45), NOON, &sites).3, Rule::StrokeUnit);
}

#[test]
fn trauma_goes_to_the_centre_within_the_hour_or_is_stabilised_first() {
    let sites = county(Hours::Always);
    let trauma = case(Emergency::MajorTrauma);
    assert_eq!(
        go(&trauma, &at("t", 30.2), NOON, &sites),
        (
            "h".into(),
            Treatment::TraumaSurgery,
            None,
            Rule::TraumaCentre
        )
    );
    // From the village the centre is 129 minutes away: the small hospital
    // 7 minutes away stabilises, then the centre.
    assert_eq!(
        go(&trauma, &at("v", 29.45), NOON, &sites),
        (
            "g".into(),
            Treatment::Stabilise,
            Some("h".into()),
            Rule::StabiliseThenTrauma
        )
    );
    assert_eq!(
        go(&trauma, &ambulance(29.43), NOON, &sites).3,
        Rule::StabiliseThenTrauma
    );
}

#[test]
fn obstetric_and_newborn_emergencies_follow_their_windows_and_hours() {
    let sites = county(Hours::Always);
    let mother = case(Emergency::Obstetric);
    assert_eq!(
        go(&mother, &at("t", 30.2), NOON, &sites),
        ("h".into(), Treatment::Caesarean, None, Rule::MaternalCentre)
    );
    assert_eq!(
        go(&mother, &at("v", 29.45), NOON, &sites),
        ("g".into(), Treatment::Caesarean, None, Rule::NearestTheatre)
    );
    let baby = case(Emergency::Newborn);
    assert_eq!(
        go(&baby, &at("t", 30.2), NOON, &sites),
        (
            "h".into(),
            Treatment::NeonatalIntensiveCare,
            None,
            Rule::NeonatalCentre
        )
    );
    // At night the county's unit is closed and the city's is 164 minutes
    // away: the county hospital stabilises, then the city.
    assert_eq!(
        go(&baby, &at("t", 30.2), NIGHT, &sites),
        (
            "h".into(),
            Treatment::Stabilise,
            Some("c".into()),
            Rule::StabiliseThenNeonatal
        )
    );
    assert_eq!(
        go(&baby, &at("v", 29.45), NOON, &sites),
        (
            "g".into(),
            Treatment::Stabilise,
            Some("h".into()),
            Rule::StabiliseThenNeonatal
        )
    );
}

#[test]
fn an_empty_network_routes_nobody() {
    let none = route(
        &case(Emergency::Stemi),
        &ambulance(30.0),
        NOON,
        &[],
        &TravelTimes::default(),
        &Windows::default(),
    );
    assert_eq!(none, None);
}
