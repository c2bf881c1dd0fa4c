//! Tests of the catalogue: parsing, lookup and the triage rules.

use super::*;
use proptest::prelude::*;

fn code(s: &str) -> IcdCode {
    s.parse().expect("test code is valid")
}

fn case(c: &str, severity: Severity, urgency: Urgency, stable_chronic: bool) -> Case {
    Case {
        code: code(c),
        severity,
        urgency,
        stable_chronic,
    }
}

/// Every code of the usual shapes inside `range`, for exhaustive and
/// property tests.
fn codes_in(range: &IcdRange) -> Vec<IcdCode> {
    let number = |c: &IcdCode| {
        let b = c.as_str().as_bytes();
        u32::from(b[0] - b'A') * 100 + u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0')
    };
    let suffixes = [
        "", ".0", ".1", ".2", ".3", ".4", ".5", ".8", ".9", ".X", ".00", ".19",
    ];
    let mut out = Vec::new();
    for n in number(&range.start)..=number(&range.end) {
        let letter = char::from(b'A' + u8::try_from(n / 100).expect("letter index"));
        for suffix in suffixes {
            let c = code(&format!("{letter}{:02}{suffix}", n % 100));
            if range.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

#[test]
fn icd_codes_parse_and_normalise() {
    assert_eq!(code(" e11.9 ").as_str(), "E11.9");
    assert_eq!(code("S72.0").category(), "S72");
    assert!(code("I10").is_category());
    assert!(!code("B08.4").is_category());
    for bad in [
        "", "I1", "I100", "10I", "I10.", "I10.123", "I1O", "E11-9", "中10",
    ] {
        assert!(
            bad.parse::<IcdCode>().is_err(),
            "{bad:?} should be rejected"
        );
    }
    assert!(code("I10") < code("I10.0") && code("I10.9") < code("I11"));
    let json = serde_json::to_string(&code("E11.9")).expect("serialises");
    assert_eq!(json, "\"E11.9\"");
    assert!(serde_json::from_str::<IcdCode>("\"E1\"").is_err());
}

#[test]
fn icd_ranges_contain_their_subcategories() {
    let r: IcdRange = "I10-I15".parse().expect("valid range");
    assert_eq!(r.to_string(), "I10-I15");
    assert!(r.contains(&code("I10")) && r.contains(&code("I15.9")) && r.contains(&code("I12.0")));
    assert!(!r.contains(&code("I09.9")) && !r.contains(&code("I16")));
    let single: IcdRange = "J45".parse().expect("valid");
    assert_eq!(single.to_string(), "J45");
    assert!(single.contains(&code("J45.0")) && !single.contains(&code("J46")));
    let sub: IcdRange = "K92.0-K92.2".parse().expect("valid");
    assert!(sub.contains(&code("K92.1")) && sub.contains(&code("K92.20")));
    assert!(!sub.contains(&code("K92")) && !sub.contains(&code("K92.8")));
    assert!("I15-I10".parse::<IcdRange>().is_err());
    assert!("I10-".parse::<IcdRange>().is_err());
    assert!(r.overlaps(&"I15-I20".parse().expect("valid")));
    assert!(!r.overlaps(&"I16-I20".parse().expect("valid")));
    assert!(sub.overlaps(&"K92".parse().expect("valid")));
}

#[test]
fn bundled_catalogue_parses_without_overlaps() {
    let cat = Catalogue::from_toml(BUNDLED).expect("bundled catalogue is valid");
    assert!(
        cat.conditions().len() >= 60,
        "only {} conditions",
        cat.conditions().len()
    );
    let all = cat.conditions();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert!(!a.code.overlaps(&b.code), "{} overlaps {}", a.code, b.code);
        }
        assert_eq!(cat.by_range_code(&a.code.to_string()), Some(a));
    }
    assert_eq!(Catalogue::bundled().conditions().len(), all.len());
}

#[test]
fn bundled_catalogue_finds_every_code_in_its_own_entry() {
    let cat = Catalogue::bundled();
    for c in cat.conditions() {
        let codes = codes_in(&c.code);
        assert!(!codes.is_empty(), "{} holds no codes", c.code);
        for code in codes {
            assert_eq!(
                cat.find(&code).map(|f| &f.code),
                Some(&c.code),
                "code {code}"
            );
        }
    }
    assert!(cat.find(&code("Q21")).is_none());
    assert!(
        cat.find(&code("K92")).is_none(),
        "only K92.0-K92.2 is catalogued"
    );
    assert_eq!(
        cat.by_range_code("i10-i15").map(|c| c.name.as_str()),
        Some("Hypertensive diseases")
    );
    assert!(
        cat.by_range_code("I10").is_none(),
        "I10 is inside an entry, not an entry"
    );
    assert!(cat.by_range_code("nonsense").is_none());
}

#[test]
fn worked_triage_examples() {
    use Severity::*;
    use Urgency::*;
    let p = Level::Primary;
    let s = Level::Secondary;
    let t = Level::Tertiary;
    // (code, severity, urgency, stable chronic, level, emergency, entry)
    let table = [
        ("I10", Mild, Routine, false, p, false, "I10-I15"),
        ("I10", Mild, Routine, true, p, false, "I10-I15"),
        ("I10", Mild, Emergency, false, s, true, "I10-I15"),
        ("I10", Severe, Routine, false, s, false, "I10-I15"),
        ("E11.9", Mild, Routine, true, p, false, "E11"),
        ("E11.9", Severe, Routine, true, s, false, "E11"),
        ("I21.0", Mild, Routine, false, t, false, "I21-I24"),
        ("I21.9", Severe, Emergency, false, t, true, "I21-I24"),
        ("J06.9", Mild, Routine, false, p, false, "J00-J06"),
        ("J06.9", Mild, Routine, true, p, false, "J00-J06"),
        ("K35.8", Mild, Routine, false, s, false, "K35-K38"),
        ("C34.1", Mild, Routine, false, t, false, "C33-C34"),
        ("I63.9", Mild, Routine, true, p, false, "I63"),
        ("I63.9", Mild, Routine, false, s, false, "I63"),
        ("I63.9", Severe, Routine, true, t, false, "I63"),
        ("I63.9", Mild, Emergency, true, s, true, "I63"),
        ("N18.3", Mild, Routine, true, p, false, "N18"),
        ("J18.9", Mild, Routine, false, p, false, "J12-J18"),
        ("J18.9", Moderate, Routine, false, s, false, "J12-J18"),
        ("J18.9", Severe, Routine, false, t, false, "J12-J18"),
        ("J45.9", Mild, Urgent, false, s, false, "J45-J46"),
        ("S72.0", Mild, Emergency, false, s, true, "S72"),
        ("S72.1", Severe, Routine, false, t, false, "S72"),
        ("R07.4", Mild, Emergency, false, t, true, "R07.1-R07.4"),
        ("K92.1", Moderate, Urgent, false, s, false, "K92.0-K92.2"),
        ("B08.4", Mild, Routine, false, p, false, "B08.4"),
    ];
    let cat = Catalogue::bundled();
    for (c, severity, urgency, stable, level, emergency, entry) in table {
        let t = cat
            .triage(&case(c, severity, urgency, stable))
            .expect("code is catalogued");
        let what = format!("{c} {severity} {urgency} stable={stable}: {:?}", t.reasons);
        assert_eq!(t.level, level, "{what}");
        assert_eq!(t.emergency, emergency, "{what}");
        assert_eq!(t.condition_code, entry, "{what}");
    }
}

#[test]
fn triage_reasons_read_as_sentences() {
    let cat = Catalogue::bundled();
    let t = cat
        .triage(&case("I10", Severity::Mild, Urgency::Emergency, false))
        .expect("catalogued");
    assert_eq!(
        t.reasons[0],
        "Hypertensive diseases (I10-I15) is positioned at primary level."
    );
    assert!(t.reasons[1].contains("goes straight to secondary level, no referral needed"));
    assert_eq!(
        t.reasons.last().map(String::as_str),
        Some("The case belongs at secondary level.")
    );

    let stroke = cat
        .triage(&case("I63.9", Severity::Mild, Urgency::Routine, true))
        .expect("catalogued");
    assert!(stroke.reasons[1].contains("stable chronic disease is managed at primary level"));
    assert!(stroke.reasons[1].contains("belongs at secondary level"));

    let cold = cat
        .triage(&case("J06.9", Severity::Mild, Urgency::Routine, true))
        .expect("catalogued");
    assert!(cold.reasons[1].contains("is not a chronic condition, so that is ignored"));

    let worse = cat
        .triage(&case("I63.9", Severity::Severe, Urgency::Emergency, true))
        .expect("catalogued");
    assert!(
        worse
            .reasons
            .iter()
            .any(|r| r.contains("the case is severe and an emergency"))
    );

    for t in [t, stroke, cold, worse] {
        for r in &t.reasons {
            assert!(
                r.ends_with('.') && r.chars().next().is_some_and(char::is_uppercase),
                "{r:?}"
            );
        }
    }
}

#[test]
fn unknown_code_is_an_error() {
    let err = Catalogue::bundled()
        .triage(&case("Q21.0", Severity::Mild, Urgency::Routine, false))
        .expect_err("Q21 is not catalogued");
    assert_eq!(err, CatalogueError::UnknownCode("Q21.0".into()));
    assert!(
        err.to_string()
            .contains("Q21.0 is not in the condition catalogue")
    );
}

const GOOD: &str = r#"
[[condition]]
code = "I10-I15"
name = "Hypertensive diseases"
specialty = "cardiology"
level = "primary"
moderate = "primary"
severe = "secondary"
emergency = "secondary"
chronic = true
note = "Family doctors."
"#;

fn second(fields: &str) -> String {
    format!("{GOOD}\n[[condition]]\n{fields}\n")
}

const J45: &str = r#"code = "J45"
name = "Asthma"
specialty = "respiratory"
chronic = true
note = "x""#;

fn invalid_field(text: &str) -> (String, &'static str, String) {
    match Catalogue::from_toml(text) {
        Err(CatalogueError::Invalid {
            condition,
            field,
            message,
        }) => (condition, field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_minimal_catalogue_parses() {
    let cat = Catalogue::from_toml(GOOD).expect("valid");
    assert_eq!(cat.conditions().len(), 1);
    assert_eq!(cat.conditions()[0].specialty, Specialty::Cardiology);
}

#[test]
fn bad_level_ordering_names_condition_and_field() {
    let levels = |l: &str, m: &str, s: &str, e: &str| {
        second(&format!(
            "{J45}\nlevel = \"{l}\"\nmoderate = \"{m}\"\nsevere = \"{s}\"\nemergency = \"{e}\""
        ))
    };
    let (condition, field, message) =
        invalid_field(&levels("secondary", "primary", "tertiary", "tertiary"));
    assert_eq!((condition.as_str(), field), ("#2 J45 Asthma", "moderate"));
    assert!(message.contains("below"), "{message}");
    let (_, field, _) = invalid_field(&levels("primary", "secondary", "primary", "secondary"));
    assert_eq!(field, "severe");
    let (_, field, _) = invalid_field(&levels("secondary", "secondary", "secondary", "primary"));
    assert_eq!(field, "emergency");
    assert!(Catalogue::from_toml(&levels("primary", "primary", "primary", "primary")).is_ok());
}

#[test]
fn overlapping_ranges_are_rejected() {
    let text = second(
        "code = \"I15-I20\"\nname = \"Overlap\"\nspecialty = \"cardiology\"\nlevel = \"primary\"\n\
         moderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"\nchronic = false\nnote = \"x\"",
    );
    let (condition, field, message) = invalid_field(&text);
    assert_eq!((condition.as_str(), field), ("#2 I15-I20 Overlap", "code"));
    assert!(
        message.contains("#1 I10-I15 Hypertensive diseases"),
        "{message}"
    );
    let sub = text.replace("I15-I20", "I12.0");
    assert_eq!(invalid_field(&sub).1, "code");
}

#[test]
fn unknown_specialty_level_and_key_are_rejected() {
    let base = "level = \"primary\"\nmoderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"";
    let spec = second(&format!("{}\n{base}", J45.replace("respiratory", "lungs")));
    let (condition, field, message) = invalid_field(&spec);
    assert_eq!((condition.as_str(), field), ("#2 J45 Asthma", "specialty"));
    assert!(
        message.contains("\"lungs\"") && message.contains("respiratory"),
        "{message}"
    );

    let lvl = second(&format!(
        "{J45}\n{}",
        base.replace("severe = \"primary\"", "severe = \"county\"")
    ));
    assert_eq!(invalid_field(&lvl).1, "severe");

    let typo = second(&format!("{J45}\n{base}\nseverity = \"primary\""));
    assert_eq!(
        Catalogue::from_toml(&typo).map(|c| c.conditions().len()),
        Err(CatalogueError::UnknownKey {
            condition: "#2 J45 Asthma".into(),
            key: "severity".into()
        })
    );
}

#[test]
fn malformed_fields_are_rejected() {
    let base = "level = \"primary\"\nmoderate = \"primary\"\nsevere = \"primary\"\nemergency = \"primary\"";
    let cases = [
        (J45.replace("\"J45\"", "\"J4\""), "code"),
        (J45.replace("\"J45\"", "\"J46-J45\""), "code"),
        (
            J45.replace("chronic = true", "chronic = \"yes\""),
            "chronic",
        ),
        (J45.replace("chronic = true\n", ""), "chronic"),
        (J45.replace("name = \"Asthma\"", "name = \"  \""), "name"),
        (J45.replace("note = \"x\"", "note = 3"), "note"),
    ];
    for (fields, expected) in cases {
        let (_, field, _) = invalid_field(&second(&format!("{fields}\n{base}")));
        assert_eq!(field, expected, "{fields}");
    }
    assert!(matches!(
        Catalogue::from_toml("[[condition"),
        Err(CatalogueError::Parse(_))
    ));
    assert!(matches!(
        Catalogue::from_toml("title = \"x\""),
        Err(CatalogueError::Parse(_))
    ));
    assert_eq!(
        Catalogue::from_toml("").map(|_| ()),
        Err(CatalogueError::Empty)
    );
}

proptest! {
    #[test]
    fn triage_respects_positioning_and_is_monotone(
        entry in any::<prop::sample::Index>(),
        pick in any::<prop::sample::Index>(),
        severity in prop::sample::select(Severity::ALL),
        urgency in prop::sample::select(Urgency::ALL),
        stable in any::<bool>(),
    ) {
        let cat = Catalogue::bundled();
        let condition = entry.get(cat.conditions());
        let codes = codes_in(&condition.code);
        let code = pick.get(&codes);
        let level_of = |severity, urgency, stable_chronic| {
            cat.triage(&Case { code: code.clone(), severity, urgency, stable_chronic })
                .map(|t| t.level)
        };
        let t = cat.triage(&Case { code: code.clone(), severity, urgency, stable_chronic: stable })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&t.condition_code, &condition.code.to_string());
        prop_assert_eq!(t.emergency, urgency == Urgency::Emergency);
        // Never below the positioning, except the stable-chronic rule.
        prop_assert!(level_of(severity, urgency, false)? >= condition.level);
        let stable_rule = stable && condition.chronic
            && severity == Severity::Mild && urgency == Urgency::Routine;
        if stable_rule {
            prop_assert_eq!(t.level, Level::Primary);
        } else {
            prop_assert!(t.level >= condition.level);
        }
        // Worse never goes lower.
        for &worse in Severity::ALL.iter().filter(|&&s| s >= severity) {
            prop_assert!(level_of(worse, urgency, stable)? >= t.level);
        }
        // Sooner never goes lower, up to urgent. An emergency is the
        // exception by design: it goes straight to the nearest level that can
        // stabilise it (`emergency`, never below `level`), which may be below
        // where an urgent complicated case is sent (a haemorrhagic stroke to
        // the nearest stroke centre, not the neurosurgery centre).
        for &sooner in Urgency::ALL.iter().filter(|&&u| u >= urgency && u != Urgency::Emergency) {
            prop_assert!(level_of(severity, sooner, stable)? >= t.level);
        }
        let emergency = level_of(severity, Urgency::Emergency, stable)?;
        prop_assert!(emergency >= condition.emergency && emergency >= condition.level);
    }
}

#[test]
fn every_bundled_condition_has_a_chinese_name() {
    let cat = Catalogue::bundled();
    for c in cat.conditions() {
        let zh = c.display_in("zh-CN");
        assert!(
            zh.chars().any(crate::network::is_hanzi),
            "{} has no Chinese name: {zh:?}",
            c.code
        );
        assert_eq!(c.display_in("en"), c.name);
    }
    let diabetes = cat.find(&code("E11.9")).unwrap();
    assert_eq!(diabetes.display_in("zh"), "2型糖尿病");
    assert_eq!(diabetes.display_in("zh-Hans"), "2型糖尿病");
    assert_eq!(diabetes.display_in("en-GB"), "Type 2 diabetes mellitus");
    let hypertension = cat.find(&code("I10")).unwrap();
    assert_eq!(hypertension.display_in("zh-CN"), "高血压病");
}

#[test]
fn a_chinese_name_is_optional_but_never_empty() {
    let entry = |extra: &str| {
        format!(
            "[[condition]]\ncode = \"J45\"\nname = \"Asthma\"\n{extra}specialty = \"respiratory\"\n\
             level = \"primary\"\nmoderate = \"primary\"\nsevere = \"secondary\"\n\
             emergency = \"secondary\"\nchronic = true\nnote = \"n\"\n"
        )
    };
    let plain = Catalogue::from_toml(&entry("")).unwrap();
    assert_eq!(plain.conditions()[0].display_in("zh-CN"), "Asthma");
    let zh = Catalogue::from_toml(&entry("name_zh = \"哮喘\"\n")).unwrap();
    assert_eq!(zh.conditions()[0].display_in("zh-CN"), "哮喘");
    let err = Catalogue::from_toml(&entry("name_zh = \" \"\n")).unwrap_err();
    assert!(err.to_string().contains("name_zh"), "{err}");
}
