use super::view::{Way, amount_words, classes, edges, months, partnerships, reason};
use super::*;
use tiercare_core::Level;
use tiercare_core::flows::{FlowKind, FlowNetwork, FlowRules, PartnershipClass};
use tiercare_core::indicators::Ix;
use tiercare_service::flows::Node;
use time::macros::date;

fn node(k: u32, id: &str, name: &str, level: Level) -> Node {
    Node {
        ix: Ix(k),
        id: id.into(),
        name: name.into(),
        level,
    }
}

/// A hospital and two townships: the hospital sends specialists to the
/// first and reads for it, which refers patients up; the second only
/// receives a mentored doctor.
fn sample() -> Flows {
    let day = tiercare_service::days::day_of(date!(2026 - 03 - 10));
    let next = tiercare_service::days::day_of(date!(2026 - 04 - 02));
    let mut n = FlowNetwork::new();
    n.add(day, Ix(0), Ix(1), FlowKind::SpecialistHours, 150);
    n.add(next, Ix(0), Ix(1), FlowKind::Readings, 6);
    n.add(day, Ix(1), Ix(0), FlowKind::PatientsUp, 4);
    n.add(day, Ix(1), Ix(0), FlowKind::Money, 123_456);
    n.add(day, Ix(0), Ix(2), FlowKind::Mentoring, 1);
    let rules = FlowRules::default();
    Flows {
        alliance: Some(("all-1".into(), "县域医共体".into())),
        first: date!(2026 - 01 - 01),
        last: date!(2026 - 04 - 30),
        nodes: vec![
            node(0, "h1", "县人民医院", Level::Secondary),
            node(1, "tc1", "河口镇卫生院", Level::Primary),
            node(2, "tc2", "<b>镇</b>", Level::Primary),
        ],
        partnerships: n.partnerships(&rules),
        network: n,
    }
}

#[test]
fn minutes_read_as_hours_and_fen_as_yuan() {
    assert_eq!(
        amount_words(Lang::Zh, FlowKind::SpecialistHours, 150),
        "2.5 小时"
    );
    assert_eq!(
        amount_words(Lang::En, FlowKind::Money, 123_456),
        "¥1,234.56"
    );
    assert_eq!(amount_words(Lang::En, FlowKind::PatientsUp, 4), "4");
}

#[test]
fn the_edge_table_has_a_row_per_giver_and_receiver() {
    let f = sample();
    let t = edges(Lang::Zh, &f);
    let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["h1>tc1", "h1>tc2", "tc1>h1"]);
    let col = |key: &str| t.columns.iter().position(|c| c.key == key).unwrap();
    let hours = &t.rows[0].cells[col("specialist-hours")];
    assert_eq!(
        (hours.raw(), hours.shown(Lang::Zh)),
        ("2.5".into(), "2.5 小时".into())
    );
    // Kinds that never flowed get no column.
    assert!(!t.columns.iter().any(|c| c.key == "reserved-beds"));
}

#[test]
fn months_split_flows_down_and_up() {
    assert_eq!(Way::of(Level::Secondary, Level::Primary), Way::Down);
    assert_eq!(Way::of(Level::Primary, Level::Tertiary), Way::Up);
    assert_eq!(Way::of(Level::Primary, Level::Primary), Way::Across);
    let f = sample();
    let t = months(Lang::Zh, &f);
    let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["2026-03:down", "2026-03:up", "2026-04:down"]);
    assert_eq!(t.rows[0].cells[1].shown(Lang::Zh), "下转方向");
    let en = months(Lang::En, &f);
    assert_eq!(en.rows[1].cells[1].shown(Lang::En), "Up");
    assert_eq!(en.rows[1].cells[1].raw(), "up");
}

#[test]
fn partnerships_say_their_class_and_why_in_both_languages() {
    let f = sample();
    let rules = FlowRules::default();
    let t = partnerships(Lang::Zh, &rules, &f);
    let class = t.columns.iter().position(|c| c.key == "class").unwrap();
    let classes_of: Vec<String> = t
        .rows
        .iter()
        .map(|r| r.cells[class].shown(Lang::Zh))
        .collect();
    assert_eq!(f.partnerships[1].class, PartnershipClass::OneWay);
    assert_eq!(classes_of[1], "单向");
    let en = partnerships(Lang::En, &rules, &f);
    assert_eq!(en.rows[1].cells[class].shown(Lang::En), "One-way");
    assert_eq!(en.rows[1].cells[class].raw(), "one-way");
    for p in &f.partnerships {
        let why = reason(Lang::Zh, &rules, p);
        assert!(why.contains('分'), "{why}");
    }
    let counts = classes(Lang::Zh, &f);
    let total: f64 = counts
        .rows
        .iter()
        .map(|r| r.cells[1].raw().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total as usize, f.partnerships.len());
}

#[test]
fn the_drawing_has_an_arrow_per_edge_and_kind_and_escapes_names() {
    let f = sample();
    let svg = super::draw::drawing(Lang::Zh, &f);
    assert_eq!(svg.matches(r#"<path class="flow""#).count(), 5);
    assert_eq!(svg.matches(r#"<g class="node""#).count(), 3);
    assert!(svg.contains("&lt;b&gt;镇&lt;/b&gt;"));
    assert!(!svg.contains("<b>"));
    assert!(svg.contains(r#"data-kind="specialist-hours" data-value="150""#));
    // The legend names only the kinds that flowed.
    assert_eq!(svg.matches(r#"<g class="legend""#).count(), 5);
}

#[test]
fn the_json_has_every_edge_by_kind_code() {
    let f = sample();
    let doc = super::json::Document::of(&f);
    assert_eq!(doc.edges.len(), 3);
    let e = &doc.edges[0];
    assert_eq!((e.from.as_str(), e.to.as_str()), ("h1", "tc1"));
    assert_eq!(e.total.get("specialist-hours"), Some(&150));
    assert_eq!(e.months["2026-04"].get("remote-readings"), Some(&6));
    assert_eq!(doc.totals.get("money"), Some(&123_456));
    assert_eq!(doc.partnerships[0].class, f.partnerships[0].class.code());
}

#[test]
fn a_bad_query_is_refused_naming_its_field() {
    let alliances = Alliances {
        all: vec!["all-1".into(), "all-2".into()],
        choices: vec![AllianceChoice {
            id: "all-1".into(),
            name: "县域医共体".into(),
        }],
        default: Some("all-1".into()),
    };
    let today = date!(2026 - 06 - 01);
    let ask = |from: &str, to: &str, alliance: &str| Params {
        from: Some(from.into()),
        to: Some(to.into()),
        alliance: Some(alliance.into()),
    };
    match read(
        &ask("2026-13-01", "", ""),
        &alliances,
        UserRole::Admin,
        today,
        Lang::Zh,
        3660,
    ) {
        Err(UiError::Refused(r)) => {
            assert_eq!(r.field, Field::From);
            assert!(r.message.contains("开始日期"), "{}", r.message);
        }
        other => panic!("{other:?}"),
    }
    match read(
        &ask("2026-01-01", "2026-01-01", "nowhere"),
        &alliances,
        UserRole::Admin,
        today,
        Lang::En,
        3660,
    ) {
        Err(UiError::Refused(r)) => {
            assert_eq!(r.field, Field::Subject);
            assert!(r.message.contains("nowhere"), "{}", r.message);
        }
        other => panic!("{other:?}"),
    }
    // Another alliance than one's own is forbidden, not refused.
    assert!(matches!(
        read(
            &ask("", "", "all-2"),
            &alliances,
            UserRole::Doctor,
            today,
            Lang::Zh,
            3660
        ),
        Err(UiError::Forbidden)
    ));
    assert!(matches!(
        read(
            &Params::default(),
            &alliances,
            UserRole::Resident,
            today,
            Lang::Zh,
            3660
        ),
        Err(UiError::Forbidden)
    ));
    let asked = read(
        &Params::default(),
        &alliances,
        UserRole::Doctor,
        today,
        Lang::Zh,
        3660,
    );
    match asked {
        Ok(a) => {
            assert_eq!(a.alliance, "all-1");
            assert_eq!((a.from, a.to), (date!(2025 - 07 - 01), today));
        }
        other => panic!("{other:?}"),
    }
}
