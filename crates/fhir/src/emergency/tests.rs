use super::*;
use tiercare_core::InstitutionId;

fn id(s: &str) -> InstitutionId {
    InstitutionId::new(s).unwrap()
}

fn centre(hours: Hours) -> EmergencyCentre {
    EmergencyCentre {
        id: CentreId::new("ctr-1").unwrap(),
        name: "石板镇卫生院胸痛救治单元".into(),
        institution: id("tc6"),
        centre: Centre {
            kind: CentreKind::ChestPain,
            accreditation: Accreditation::TreatmentUnit,
            hours,
            capabilities: vec![Capability::Thrombolysis],
        },
        catchment: vec![id("vc6-1"), id("vc6-2")],
        transfers_to: vec![id("h1"), id("t1")],
        active: true,
    }
}

fn parse(v: Value) -> Result<EmergencyCentre, ServiceError> {
    let v = crate::check_resource_type(v, "HealthcareService")?;
    parse_centre(v, CentreId::new("ctr-1").unwrap())
}

fn field(v: Value) -> String {
    match parse(v) {
        Err(ServiceError::Invalid { field, .. } | ServiceError::Rule { field, .. }) => {
            field.unwrap_or_default()
        }
        other => panic!("not refused as invalid: {other:?}"),
    }
}

#[test]
fn a_centre_round_trips() {
    for hours in [
        Hours::Always,
        Hours::Daily {
            from_minute: 480,
            to_minute: 1050,
        },
        // Past midnight.
        Hours::Daily {
            from_minute: 1320,
            to_minute: 0,
        },
    ] {
        let c = centre(hours);
        let v = render_centre(&c);
        assert!(is_centre(&v));
        assert_eq!(parse(v.clone()).unwrap(), c, "{v}");
    }
}

#[test]
fn hours_render_as_available_time() {
    let v = render_centre(&centre(Hours::Always));
    assert_eq!(v["availableTime"], json!([{"allDay": true}]));
    let v = render_centre(&centre(Hours::Daily {
        from_minute: 480,
        to_minute: 1050,
    }));
    assert_eq!(
        v["availableTime"],
        json!([{"availableStartTime": "08:00:00", "availableEndTime": "17:30:00"}])
    );
    assert_eq!(
        v["category"][0]["coding"][0]["system"],
        system(CENTRE_KIND).as_str()
    );
    assert_eq!(v["characteristic"][0]["coding"][0]["code"], "thrombolysis");
    assert_eq!(v["providedBy"]["reference"], "Organization/tc6");
}

#[test]
fn search_terms_name_kind_capability_and_catchment() {
    let t = index_centre(&centre(Hours::Always));
    let has = |p: &str, v: &str| t.iter().any(|(a, b)| a == p && b == v);
    assert!(has("service-category", "chest-pain"));
    assert!(has(
        "service-category",
        "https://tiercare.org/fhir/codesystem/emergency-centre|chest-pain"
    ));
    assert!(has("characteristic", "thrombolysis"));
    assert!(has("catchment", "Organization/vc6-1"));
    assert!(has("organization", "Organization/tc6"));
    assert!(has("active", "true"));
    assert!(!has("catchment", "Organization/h1"));
}

#[test]
fn bad_input_names_the_element() {
    let good = render_centre(&centre(Hours::Always));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    assert_eq!(
        field(with(
            &|v| v["characteristic"][0]["coding"][0]["code"] = json!("surgery")
        )),
        "HealthcareService.characteristic[0]"
    );
    assert_eq!(
        field(with(
            &|v| v["availableTime"] =
                json!([{"availableStartTime": "8:00", "availableEndTime": "17:30:00"}])
        )),
        "HealthcareService.availableTime[0].availableStartTime"
    );
    assert_eq!(
        field(with(
            &|v| v["availableTime"] =
                json!([{"availableStartTime": "08:00:00", "availableEndTime": "24:00:00"}])
        )),
        "HealthcareService.availableTime[0].availableEndTime"
    );
    assert_eq!(
        field(with(
            &|v| v["availableTime"] = json!([{"allDay": true, "availableStartTime": "08:00:00"}])
        )),
        "HealthcareService.availableTime"
    );
    assert_eq!(
        field(with(
            &|v| v["category"][0]["coding"][0]["code"] = json!("burns")
        )),
        "HealthcareService.category"
    );
    assert_eq!(
        field(with(
            &|v| v["extension"][0]["valueCoding"]["code"] = json!("gold")
        )),
        "HealthcareService.extension(centre-accreditation)"
    );
    assert_eq!(
        field(with(
            &|v| v["extension"][1]["valueReference"]["reference"] = json!("Patient/p1")
        )),
        "HealthcareService.extension(centre-catchment)"
    );
    assert_eq!(
        field(with(
            &|v| v["extension"][0]["url"] = json!("https://example.org/other")
        )),
        "HealthcareService.extension"
    );
    assert_eq!(
        field(with(&|v| v["providedBy"] = Value::Null)),
        "HealthcareService.providedBy"
    );
    // Unknown elements are refused, not dropped.
    assert!(
        field(with(
            &|v| v["telecom"] = json!([{"system": "phone", "value": "120"}])
        ))
        .contains("telecom")
    );
    assert!(
        field(with(
            &|v| v["availableTime"] = json!([{"daysOfWeek": ["mon"], "allDay": true}])
        ))
        .starts_with("HealthcareService.availableTime")
    );
}

#[test]
fn absent_hours_are_always_and_absent_active_is_active() {
    let mut v = render_centre(&centre(Hours::Daily {
        from_minute: 60,
        to_minute: 120,
    }));
    let map = v.as_object_mut().unwrap();
    map.remove("availableTime");
    map.remove("active");
    let c = parse(v).unwrap();
    assert_eq!(c.centre.hours, Hours::Always);
    assert!(c.active);
}
