use super::*;
use crate::Level::{self, Primary, Secondary, Tertiary};
use crate::policy::{Policy, PolicyError};
use ReferralDirection::{Down, Up};
use ServiceType::{Inpatient, Outpatient};
use proptest::prelude::*;
use time::{Date, Month};

const DEMO: &str = include_str!("../../data/demo-policy.toml");

fn demo_rules() -> InsuranceRules {
    Policy::demo()
        .insurance
        .expect("the demo policy has an [insurance] section")
}

fn id(code: &str) -> SchemeId {
    SchemeId::new(code).unwrap()
}

fn day(year: i32) -> Date {
    Date::from_calendar_date(year, Month::June, 1).unwrap()
}

/// A plain visit: no referral, no flags, in 2026.
fn visit(scheme: &str, service: ServiceType, level: Level, total: i64) -> Visit {
    Visit {
        scheme: id(scheme),
        level,
        service,
        total: Fen::new(total),
        date: day(2026),
        referral: None,
        follow_up: false,
        emergency: false,
        at_contracted_primary: false,
        episode_deductible_paid: Fen::ZERO,
    }
}

#[test]
fn bundled_policies_load() {
    let demo = demo_rules();
    assert!(demo.scheme("urrbmi").is_some() && demo.scheme("uebmi").is_some());
    let hz = Policy::from_toml(HANGZHOU_2014_POLICY).unwrap();
    assert!(hz.insurance.is_some());
}

#[test]
fn hangzhou_2014_outpatient_rates() {
    let rules = Policy::from_toml(HANGZHOU_2014_POLICY)
        .unwrap()
        .insurance
        .unwrap();
    for (scheme, primary, tertiary) in [("uebmi", 8800, 7600), ("urbmi", 7000, 4000)] {
        let out = &rules.scheme(scheme).unwrap().outpatient;
        let p = out.level(Primary).unwrap();
        let t = out.level(Tertiary).unwrap();
        assert_eq!(
            (p.rate_bp.bp(), t.rate_bp.bp()),
            (primary, tertiary),
            "{scheme}"
        );
        assert_eq!(
            p.deductible_fen, t.deductible_fen,
            "{scheme}: same deductible"
        );
        assert_eq!(
            out.level(Secondary).unwrap().deductible_fen,
            p.deductible_fen
        );
    }
    // 1,500 yuan of visits with the 1,000-yuan deductible already met: the
    // employee pays 180.00 at a CHC and 360.00 at a tertiary hospital.
    let mut acc = Accumulator::new(id("uebmi"), 2026);
    acc.deductible_met.outpatient = Fen::yuan(1000);
    let v = visit("uebmi", Outpatient, Primary, 150_000);
    let est = estimate(&rules, &v, &acc).unwrap();
    assert_eq!(
        est.row(Primary).unwrap().self_referred.out_of_pocket,
        Fen::yuan(180)
    );
    assert_eq!(
        est.row(Tertiary).unwrap().self_referred.out_of_pocket,
        Fen::yuan(360)
    );
}

/// (why, scheme, service, level, total, referral, flags, episode deductible
/// paid, accumulator (year, deductible met, reimbursed), expected
/// (deductible, covered, out of pocket)).
type Case = (
    &'static str,
    &'static str,
    ServiceType,
    Level,
    i64,
    Option<ReferralDirection>,
    &'static str,
    i64,
    (i32, i64, i64),
    (i64, i64, i64),
);

/// Worked examples against the demo county's tables
/// (`data/demo-policy.toml`), computed by hand.
///
/// Demo URRBMI outpatient: annual deductible 0 / 200 / 500 yuan, rates
/// 60 / 50 / 30%, cap 600 yuan, bypass -10 points, contract +10 points,
/// downward waiver. URRBMI inpatient: per admission 200 / 500 / 1,000
/// yuan, 90 / 80 / 60%, bypass -15 points, top-up after upward referral,
/// downward waiver. UEBMI outpatient: annual 600 / 800 / 1,000 yuan,
/// 85 / 75 / 65%, contract +5; inpatient: per admission 300 / 600 / 1,000
/// yuan, 95 / 88 / 82%, waived after upward referral.
#[test]
fn worked_examples() {
    let rules = demo_rules();
    // flags: e = emergency, f = follow-up, c = at the contracted primary
    // institution.
    #[rustfmt::skip]
    let cases: &[Case] = &[
        // (why, scheme, service, level, total, referral, flags, episode deductible paid,
        //  accumulator (year, deductible met, reimbursed), expected (deductible, covered, out of pocket))
        ("primary: no deductible, 60% of 100.00",
         "urrbmi", Outpatient, Primary, 10_000, None, "", 0, (2026, 0, 0), (0, 6_000, 4_000)),
        ("contracted primary: 60% + 10 points",
         "urrbmi", Outpatient, Primary, 10_000, None, "c", 0, (2026, 0, 0), (0, 7_000, 3_000)),
        ("self-referred secondary: deductible 200.00, then 50% - 10 points of 100.00",
         "urrbmi", Outpatient, Secondary, 30_000, None, "", 0, (2026, 0, 0), (20_000, 4_000, 26_000)),
        ("referred secondary: no penalty, 50% of 100.00",
         "urrbmi", Outpatient, Secondary, 30_000, Some(Up), "", 0, (2026, 0, 0), (20_000, 5_000, 25_000)),
        ("emergency at secondary: never a bypass",
         "urrbmi", Outpatient, Secondary, 30_000, None, "e", 0, (2026, 0, 0), (20_000, 5_000, 25_000)),
        ("follow-up at secondary: not a bypass",
         "urrbmi", Outpatient, Secondary, 30_000, None, "f", 0, (2026, 0, 0), (20_000, 5_000, 25_000)),
        ("contract bonus only at primary: self-referred secondary still penalised",
         "urrbmi", Outpatient, Secondary, 30_000, None, "c", 0, (2026, 0, 0), (20_000, 4_000, 26_000)),
        ("annual deductible met across levels: 500.00 less 200.00 met, 30% of 100.00",
         "urrbmi", Outpatient, Tertiary, 40_000, Some(Up), "", 0, (2026, 20_000, 0), (30_000, 3_000, 37_000)),
        ("annual top-up ignores the episode figure: the accumulator already holds it",
         "urrbmi", Outpatient, Tertiary, 40_000, Some(Up), "", 20_000, (2026, 20_000, 0), (30_000, 3_000, 37_000)),
        ("total below the deductible: all of it is deductible",
         "urrbmi", Outpatient, Tertiary, 30_000, Some(Up), "", 0, (2026, 0, 0), (30_000, 0, 30_000)),
        ("downward referral to secondary: deductible waived, 50% of 300.00",
         "urrbmi", Outpatient, Secondary, 30_000, Some(Down), "", 0, (2026, 0, 0), (0, 15_000, 15_000)),
        ("outpatient cap: 60.00 due but only 20.00 of the 600.00 cap left",
         "urrbmi", Outpatient, Primary, 10_000, None, "", 0, (2026, 0, 58_000), (0, 2_000, 8_000)),
        ("cap already reached: the patient pays all",
         "urrbmi", Outpatient, Primary, 10_000, None, "c", 0, (2026, 0, 60_000), (0, 0, 10_000)),
        ("bypass and cap together: 40% of 100.00 is 40.00, 10.00 of the cap left",
         "urrbmi", Outpatient, Secondary, 10_000, None, "", 0, (2026, 20_000, 59_000), (0, 1_000, 9_000)),
        ("a new year: last year's spent cap does not count",
         "urrbmi", Outpatient, Primary, 10_000, None, "", 0, (2025, 0, 60_000), (0, 6_000, 4_000)),
        ("rounding: 60% of 1 fen is 0.6 fen, rounded to 1",
         "urrbmi", Outpatient, Primary, 1, None, "", 0, (2026, 0, 0), (0, 1, 0)),
        ("rounding: 30% of 5 fen is 1.5 fen, the half fen to the patient",
         "urrbmi", Outpatient, Tertiary, 5, Some(Up), "", 0, (2026, 50_000, 0), (0, 2, 3)),
        ("rounding: 50% - 10 points of 333 fen is 133.2 fen, rounded to 133",
         "urrbmi", Outpatient, Secondary, 333, None, "", 0, (2026, 20_000, 0), (0, 133, 200)),
        ("nothing billed: nothing paid",
         "urrbmi", Outpatient, Tertiary, 0, None, "", 0, (2026, 0, 0), (0, 0, 0)),
        ("self-referred admission at county hospital: 500.00 deductible, 80% - 15 points",
         "urrbmi", Inpatient, Secondary, 1_000_000, None, "", 0, (2026, 0, 0), (50_000, 617_500, 382_500)),
        ("referred admission: top up 500.00 less 200.00 paid at the township, 80%",
         "urrbmi", Inpatient, Secondary, 1_000_000, Some(Up), "", 20_000, (2026, 0, 0), (30_000, 776_000, 224_000)),
        ("referred admission above the county: top up 1,000.00 less 500.00, 60%",
         "urrbmi", Inpatient, Tertiary, 500_000, Some(Up), "", 50_000, (2026, 0, 0), (50_000, 270_000, 230_000)),
        ("top-up when more was paid lower down: nothing more is due",
         "urrbmi", Inpatient, Secondary, 100_000, Some(Up), "", 80_000, (2026, 0, 0), (0, 80_000, 20_000)),
        ("per-admission deductible is due again whatever was met before",
         "urrbmi", Inpatient, Primary, 100_000, None, "", 0, (2026, 20_000, 0), (20_000, 72_000, 28_000)),
        ("downward referral to the township: admission deductible waived, 90%",
         "urrbmi", Inpatient, Primary, 100_000, Some(Down), "", 0, (2026, 0, 0), (0, 90_000, 10_000)),
        ("inpatient cap: 10.00 left of 200,000.00",
         "urrbmi", Inpatient, Primary, 100_000, None, "", 0, (2026, 0, 19_999_000), (20_000, 1_000, 99_000)),
        ("employee emergency admission at tertiary, self-referred: no penalty, full deductible",
         "uebmi", Inpatient, Tertiary, 200_000, None, "e", 0, (2026, 0, 0), (100_000, 82_000, 118_000)),
        ("employee referred up to tertiary: deductible waived, 82%",
         "uebmi", Inpatient, Tertiary, 200_000, Some(Up), "", 30_000, (2026, 0, 0), (0, 164_000, 36_000)),
        ("employee self-referred admission: 82% - 5 points",
         "uebmi", Inpatient, Tertiary, 200_000, None, "", 0, (2026, 0, 0), (100_000, 77_000, 123_000)),
        ("employee at own family doctor, deductible met: 85% + 5 points",
         "uebmi", Outpatient, Primary, 10_000, None, "c", 0, (2026, 60_000, 0), (0, 9_000, 1_000)),
        ("employee: part of the annual deductible left",
         "uebmi", Outpatient, Primary, 10_000, None, "", 0, (2026, 55_000, 0), (5_000, 4_250, 5_750)),
        ("employee: a higher level's annual deductible charges the difference",
         "uebmi", Outpatient, Tertiary, 100_000, Some(Up), "", 0, (2026, 60_000, 0), (40_000, 39_000, 61_000)),
    ];
    for &(
        why,
        scheme,
        service,
        level,
        total,
        referral,
        flags,
        paid,
        (year, met, reimb),
        expected,
    ) in cases
    {
        let mut v = visit(scheme, service, level, total);
        v.referral = referral;
        v.emergency = flags.contains('e');
        v.follow_up = flags.contains('f');
        v.at_contracted_primary = flags.contains('c');
        v.episode_deductible_paid = Fen::new(paid);
        let mut acc = Accumulator::new(id(scheme), year);
        *acc.deductible_met.get_mut(service) = Fen::new(met);
        *acc.reimbursed.get_mut(service) = Fen::new(reimb);
        let a = adjudicate(&rules, &v, &acc).unwrap_or_else(|e| panic!("{why}: {e}"));
        let got = (
            a.split.deductible.fen(),
            a.split.covered.fen(),
            a.split.out_of_pocket.fen(),
        );
        assert_eq!(got, expected, "{why}\n{:#?}", a.lines);
        assert_eq!(a.split.total, Fen::new(total), "{why}");
        assert_eq!(a.accumulator.year, 2026, "{why}");
        let before = if year == 2026 { reimb } else { 0 };
        assert_eq!(
            a.accumulator.reimbursed.get(service).fen(),
            before + expected.1,
            "{why}: the accumulator takes the covered amount"
        );
    }
}

#[test]
fn rule_lines_explain_the_split() {
    let rules = demo_rules();
    let code_list = |v: &Visit, acc: &Accumulator| {
        let a = adjudicate(&rules, v, acc).unwrap();
        let share: i64 = a
            .lines
            .iter()
            .filter(|l| l.code != RuleCode::Deductible && !is_waiver(l.code))
            .map(|l| l.amount.fen())
            .sum();
        assert_eq!(share, a.split.covered.fen(), "{:#?}", a.lines);
        a.lines.iter().map(|l| l.code).collect::<Vec<_>>()
    };
    let fresh = Accumulator::new(id("urrbmi"), 2026);
    let mut v = visit("urrbmi", Outpatient, Secondary, 30_000);
    assert_eq!(
        code_list(&v, &fresh),
        [
            RuleCode::Deductible,
            RuleCode::Rate,
            RuleCode::BypassPenalty
        ]
    );
    v.referral = Some(Down);
    assert_eq!(
        code_list(&v, &fresh),
        [
            RuleCode::DownwardWaiver,
            RuleCode::Deductible,
            RuleCode::Rate
        ]
    );
    let mut v = visit("urrbmi", Outpatient, Primary, 10_000);
    v.at_contracted_primary = true;
    let mut full = fresh.clone();
    full.reimbursed.outpatient = Fen::new(59_000);
    assert_eq!(
        code_list(&v, &full),
        [
            RuleCode::Deductible,
            RuleCode::Rate,
            RuleCode::ContractBonus,
            RuleCode::ServiceCap
        ]
    );
    let mut v = visit("urrbmi", Inpatient, Tertiary, 500_000);
    v.referral = Some(Up);
    v.episode_deductible_paid = Fen::new(50_000);
    let a = adjudicate(&rules, &v, &fresh).unwrap();
    assert_eq!(a.lines[0].code, RuleCode::UpwardTopUp);
    assert_eq!(
        a.lines[0].amount,
        Fen::new(50_000),
        "half the deductible waived"
    );
    assert!(
        a.lines[1].text.contains("500.00 paid"),
        "{}",
        a.lines[1].text
    );
    let v = Visit {
        scheme: id("uebmi"),
        ..v
    };
    let a = adjudicate(&rules, &v, &Accumulator::new(id("uebmi"), 2026)).unwrap();
    assert_eq!(a.lines[0].code, RuleCode::UpwardWaiver);
    assert_eq!(a.lines[0].amount, Fen::yuan(1000));
}

fn is_waiver(code: RuleCode) -> bool {
    matches!(
        code,
        RuleCode::UpwardWaiver | RuleCode::UpwardTopUp | RuleCode::DownwardWaiver
    )
}

#[test]
fn scheme_cap_limits_both_service_types() {
    let mut rules = demo_rules();
    let scheme = rules.schemes.get_mut(&id("urrbmi")).unwrap();
    scheme.annual_cap_fen = Some(Fen::yuan(1_000));
    let mut acc = Accumulator::new(id("urrbmi"), 2026);
    acc.reimbursed.outpatient = Fen::yuan(500);
    acc.reimbursed.inpatient = Fen::yuan(450);
    // 90% of 1,000.00 after the 200.00 deductible is 900.00; 50.00 left.
    let v = visit("urrbmi", Inpatient, Primary, 120_000);
    let a = adjudicate(&rules, &v, &acc).unwrap();
    assert_eq!(a.split.covered, Fen::yuan(50));
    assert_eq!(a.lines.last().unwrap().code, RuleCode::SchemeCap);
    assert_eq!(a.lines.last().unwrap().amount, Fen::yuan(-850));
    assert_eq!(a.accumulator.reimbursed_total(), Fen::yuan(1_000));
}

#[test]
fn claim_errors() {
    let rules = demo_rules();
    let acc = Accumulator::new(id("urrbmi"), 2026);
    let v = visit("ncms", Outpatient, Primary, 100);
    assert_eq!(
        adjudicate(&rules, &v, &acc),
        Err(ClaimError::UnknownScheme("ncms".into()))
    );
    let v = visit("urrbmi", Outpatient, Primary, -1);
    assert!(matches!(
        adjudicate(&rules, &v, &acc),
        Err(ClaimError::Negative { field: "total", .. })
    ));
    let v = visit("uebmi", Outpatient, Primary, 100);
    assert!(matches!(
        adjudicate(&rules, &v, &acc),
        Err(ClaimError::AccumulatorScheme { .. })
    ));
    let mut v = visit("urrbmi", Outpatient, Primary, 100);
    v.date = day(2025);
    assert_eq!(
        adjudicate(&rules, &v, &acc),
        Err(ClaimError::AccumulatorYear {
            claim: 2025,
            accumulator: 2026
        })
    );
}

#[test]
fn estimate_is_adjudication_at_each_level() {
    let rules = demo_rules();
    let acc = Accumulator::new(id("urrbmi"), 2026);
    let mut v = visit("urrbmi", Inpatient, Tertiary, 1_000_000);
    v.episode_deductible_paid = Fen::new(20_000);
    let est = estimate(&rules, &v, &acc).unwrap();
    assert_eq!(est.rows.len(), 3);
    let oop = |level, referred: bool| {
        let row = est.row(level).unwrap();
        if referred {
            row.referred
        } else {
            row.self_referred
        }
        .out_of_pocket
        .fen()
    };
    // Township: 200.00 + 10% of 9,800.00; down from a hospital: 10% of all.
    assert_eq!(oop(Primary, false), 20_000 + 98_000);
    assert_eq!(oop(Primary, true), 100_000);
    // County: self-referred 500.00 + 35% of 9,500.00; referred 300.00 + 20% of 9,700.00.
    assert_eq!(oop(Secondary, false), 50_000 + 332_500);
    assert_eq!(oop(Secondary, true), 30_000 + 194_000);
    // Above the county: 1,000.00 + 55% of 9,000.00; referred 800.00 + 40% of 9,200.00.
    assert_eq!(oop(Tertiary, false), 100_000 + 495_000);
    assert_eq!(oop(Tertiary, true), 80_000 + 368_000);
    for row in &est.rows {
        let mut at = v.clone();
        at.level = row.level;
        assert_eq!(
            adjudicate(&rules, &at, &acc).unwrap().split,
            row.self_referred
        );
    }
}

#[test]
fn validation_names_the_field() {
    let cases = [
        (
            "tertiary = { deductible_fen = 100000, rate_bp = 6500 }",
            "tertiary = { deductible_fen = 100000, rate_bp = 12000 }",
            "insurance.schemes.uebmi.outpatient.tertiary.rate_bp: 12000 is above 100%",
        ),
        (
            "secondary = { deductible_fen = 50000, rate_bp = 8000 }",
            "secondary = { deductible_fen = -50000, rate_bp = 8000 }",
            "insurance.schemes.urrbmi.inpatient.secondary.deductible_fen: -50000 is negative",
        ),
        (
            "tertiary = { deductible_fen = 50000, rate_bp = 3000 }\n",
            "",
            "insurance.schemes.urrbmi.outpatient.tertiary: missing level `tertiary`",
        ),
        (
            "bypass_penalty_bp = 1500",
            "bypass_penalty_bp = 15000",
            "insurance.schemes.urrbmi.inpatient.bypass_penalty_bp: 15000 is above 100%",
        ),
        (
            "annual_cap_fen = 60000",
            "annual_cap_fen = -1",
            "insurance.schemes.urrbmi.outpatient.annual_cap_fen: -1 is negative",
        ),
        (
            "[insurance.schemes.urrbmi]\nname = \"Urban and rural resident basic medical insurance (URRBMI)\"",
            "[insurance.schemes.urrbmi]\nname = \" \"",
            "insurance.schemes.urrbmi.name: must not be empty",
        ),
    ];
    for (from, to, expected) in cases {
        let text = DEMO.replacen(from, to, 1);
        assert_ne!(text, DEMO, "the demo file holds {from:?}");
        match Policy::from_toml(&text) {
            Err(PolicyError::Insurance(e)) => {
                assert_eq!(e.to_string(), expected);
                let shown = PolicyError::Insurance(e).to_string();
                assert!(shown.contains(&expected[..expected.find(':').unwrap()]));
            }
            other => panic!("{expected}: got {other:?}"),
        }
    }
    // Shapes a parser refuses: a negative rate, an unknown key, a bad code.
    for (from, to, word) in [
        ("rate_bp = 6000", "rate_bp = -6000", "rate_bp"),
        (
            "contracted_bonus_bp = 1000",
            "contracted_bonus = 1000",
            "contracted_bonus",
        ),
        (
            "[insurance.schemes.uebmi]",
            "[insurance.schemes.UEBMI]",
            "UEBMI",
        ),
        (
            "deductible = \"annual\"",
            "deductible = \"monthly\"",
            "monthly",
        ),
    ] {
        let text = DEMO.replacen(from, to, 1);
        assert_ne!(text, DEMO, "the demo file holds {from:?}");
        let err = Policy::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains(word), "{word}: {err}");
    }
    let empty = InsuranceRules::from_toml("[schemes]").unwrap_err();
    assert_eq!(empty.field, "insurance.schemes");
}

#[test]
fn a_policy_without_insurance_is_still_valid() {
    let head = &DEMO[..DEMO.find("[insurance").unwrap()];
    assert_eq!(Policy::from_toml(head).unwrap().insurance, None);
}

#[test]
fn policy_round_trips_through_toml() {
    let p = Policy::demo();
    let text = toml::to_string(&p).unwrap();
    assert_eq!(Policy::from_toml(&text).unwrap(), p);
}

#[test]
fn accumulator_rolls_over_by_year() {
    let mut acc = Accumulator::new(id("uebmi"), 2025);
    acc.deductible_met.outpatient = Fen::yuan(600);
    acc.reimbursed.inpatient = Fen::yuan(5_000);
    assert_eq!(acc.rolled_to(2025).unwrap(), acc);
    assert_eq!(
        acc.rolled_to(2026).unwrap(),
        Accumulator::new(id("uebmi"), 2026)
    );
    assert!(acc.rolled_to(2024).is_err());
    // The deductible met on 31 December is due again on 1 January.
    let rules = demo_rules();
    let mut v = visit("uebmi", Outpatient, Primary, 10_000);
    v.date = Date::from_calendar_date(2025, Month::December, 31).unwrap();
    assert_eq!(
        adjudicate(&rules, &v, &acc).unwrap().split.deductible,
        Fen::ZERO
    );
    v.date = Date::from_calendar_date(2026, Month::January, 1).unwrap();
    let a = adjudicate(&rules, &v, &acc).unwrap();
    assert_eq!(a.split.deductible, Fen::new(10_000));
    assert_eq!(a.accumulator.year, 2026);
    assert_eq!(a.accumulator.deductible_met.outpatient, Fen::new(10_000));
}

#[test]
fn a_finished_encounter_becomes_a_visit() {
    use crate::booking::Encounter;
    use crate::{EncounterId, InstitutionId, ReferralId, ResidentId, Specialty};
    use time::macros::datetime;
    let mut enc = Encounter {
        id: EncounterId::new("enc-1").unwrap(),
        patient: ResidentId::new("r-1").unwrap(),
        institution: InstitutionId::new("county-hospital").unwrap(),
        specialty: Specialty::Cardiology,
        inpatient: true,
        referral: Some(ReferralId::new("ref-1").unwrap()),
        appointment: None,
        arrived: datetime!(2026-12-28 09:00 UTC),
        finished: None,
    };
    let facts = EncounterFacts {
        scheme: id("urrbmi"),
        level: Secondary,
        total: Fen::yuan(10_000),
        referral: Some(Up),
        follow_up: false,
        emergency: false,
        at_contracted_primary: false,
        episode_deductible_paid: Fen::yuan(200),
    };
    assert!(matches!(
        Visit::from_encounter(&enc, facts.clone()),
        Err(ClaimError::NotFinished(_))
    ));
    // Discharged in the new year: the claim counts toward 2027.
    enc.finished = Some(datetime!(2027-01-03 11:00 UTC));
    let v = Visit::from_encounter(&enc, facts.clone()).unwrap();
    assert_eq!((v.service, v.date.year()), (Inpatient, 2027));
    let a = adjudicate(&demo_rules(), &v, &Accumulator::new(id("urrbmi"), 2026)).unwrap();
    assert_eq!(a.split.out_of_pocket, Fen::new(224_000));
    assert_eq!(a.accumulator.year, 2027);
    let no_direction = EncounterFacts {
        referral: None,
        ..facts
    };
    assert!(matches!(
        Visit::from_encounter(&enc, no_direction),
        Err(ClaimError::ReferralMismatch(_))
    ));
}

#[test]
fn budget_ledger() {
    let mut b = BudgetLedger::new(2026, Fen::yuan(500), 1_000);
    assert_eq!(b.budget(), Fen::yuan(500_000));
    assert_eq!(b.inside_share_bp(), None);
    b.record(Fen::yuan(150_000), true);
    b.record(Fen::yuan(50_000), false);
    assert_eq!(b.spent(), Fen::yuan(200_000));
    assert_eq!(b.inside_share_bp(), Some(7_500));
    // 1 July is day 182 of 365: 249,315.06 yuan of the budget, rounded down.
    let july = Date::from_calendar_date(2026, Month::July, 1).unwrap();
    assert_eq!(b.budget_to(july), Fen::new(24_931_506));
    assert_eq!(
        b.status_at(july),
        BudgetStatus::Surplus(Fen::new(4_931_506))
    );
    let feb = Date::from_calendar_date(2026, Month::February, 1).unwrap();
    assert!(matches!(b.status_at(feb), BudgetStatus::Deficit(_)));
    assert_eq!(b.budget_to(day(2027)), b.budget());
    assert_eq!(b.budget_to(day(2025)), Fen::ZERO);
    b.record(Fen::yuan(300_000), true);
    assert_eq!(b.status_at(day(2027)), BudgetStatus::Balanced);
}

// ---- properties ----

fn arb_visit() -> impl Strategy<Value = (Visit, Accumulator)> {
    (
        (
            prop_oneof![Just("urrbmi"), Just("uebmi")],
            prop_oneof![Just(Outpatient), Just(Inpatient)],
            prop_oneof![Just(Primary), Just(Secondary), Just(Tertiary)],
            0i64..50_000_000,
            prop_oneof![Just(None), Just(Some(Up)), Just(Some(Down))],
        ),
        (
            any::<[bool; 3]>(),
            0i64..200_000,
            0i64..200_000,
            0i64..50_000_000,
        ),
    )
        .prop_map(
            |((scheme, service, level, total, referral), (flags, paid, met, reimb))| {
                let mut v = visit(scheme, service, level, total);
                v.referral = referral;
                [v.follow_up, v.emergency, v.at_contracted_primary] = flags;
                v.episode_deductible_paid = Fen::new(paid);
                let mut acc = Accumulator::new(id(scheme), 2026);
                *acc.deductible_met.get_mut(service) = Fen::new(met);
                *acc.reimbursed.get_mut(service) = Fen::new(reimb);
                (v, acc)
            },
        )
}

proptest! {
    #[test]
    fn split_is_consistent((v, acc) in arb_visit()) {
        let a = adjudicate(&demo_rules(), &v, &acc).unwrap();
        let s = a.split;
        prop_assert!(s.out_of_pocket >= Fen::ZERO);
        prop_assert!(s.out_of_pocket <= s.total);
        prop_assert!(s.covered >= Fen::ZERO);
        prop_assert!(s.deductible >= Fen::ZERO && s.deductible <= s.total);
        prop_assert!(s.deductible <= s.out_of_pocket);
        prop_assert_eq!(s.covered.saturating_add(s.out_of_pocket), s.total);
        let before = *acc.reimbursed.get(v.service);
        prop_assert_eq!(*a.accumulator.reimbursed.get(v.service), before.saturating_add(s.covered));
    }

    #[test]
    fn out_of_pocket_never_rises_with_the_rate(
        (v, acc) in arb_visit(), r1 in 0u32..=10_000, r2 in 0u32..=10_000,
    ) {
        let (low, high) = (r1.min(r2), r1.max(r2));
        let at = |bp| {
            let mut rules = demo_rules();
            let scheme = rules.schemes.get_mut(&v.scheme).unwrap();
            let table = match v.service {
                Outpatient => &mut scheme.outpatient,
                Inpatient => &mut scheme.inpatient,
            };
            let row = match v.level {
                Primary => &mut table.primary,
                Secondary => &mut table.secondary,
                Tertiary => &mut table.tertiary,
            };
            row.as_mut().unwrap().rate_bp = Rate::from_bp(bp);
            adjudicate(&rules, &v, &acc).unwrap().split.out_of_pocket
        };
        prop_assert!(at(high) <= at(low), "{} bp: {}, {} bp: {}", high, at(high), low, at(low));
    }

    #[test]
    fn a_referral_never_costs_more((v, acc) in arb_visit()) {
        let est = estimate(&demo_rules(), &v, &acc).unwrap();
        for row in &est.rows {
            prop_assert!(row.referred.out_of_pocket <= row.self_referred.out_of_pocket, "{:?}", row);
        }
    }

    #[test]
    fn caps_and_accumulators_hold_over_many_claims(
        claims in proptest::collection::vec(
            (0u16..730, prop_oneof![Just(Outpatient), Just(Inpatient)],
             prop_oneof![Just(Primary), Just(Secondary), Just(Tertiary)],
             0i64..5_000_000, any::<bool>()),
            1..80),
    ) {
        let rules = demo_rules();
        let scheme = rules.scheme("urrbmi").unwrap();
        let mut claims = claims;
        claims.sort_by_key(|c| c.0);
        let start = Date::from_calendar_date(2025, Month::January, 1).unwrap();
        let mut acc = Accumulator::new(id("urrbmi"), 2025);
        // Covered per (year, service), summed from the claims themselves.
        let mut paid: std::collections::BTreeMap<(i32, ServiceType), i64> = Default::default();
        for (offset, service, level, total, referred) in claims {
            let mut v = visit("urrbmi", service, level, total);
            v.date = start + time::Duration::days(i64::from(offset));
            v.referral = referred.then_some(Up);
            let a = adjudicate(&rules, &v, &acc).unwrap();
            prop_assert_eq!(a.accumulator.year, v.date.year());
            *paid.entry((v.date.year(), service)).or_default() += a.split.covered.fen();
            acc = a.accumulator;
            for s in ServiceType::ALL {
                let sum = paid.get(&(acc.year, *s)).copied().unwrap_or(0);
                prop_assert_eq!(acc.reimbursed.get(*s).fen(), sum, "accumulator = sum of claims");
                prop_assert!(*acc.reimbursed.get(*s) <= scheme.service(*s).annual_cap_fen);
            }
            prop_assert!(acc.reimbursed_total() <= scheme.annual_cap_fen.unwrap());
            let max_deductible = Level::ALL.iter()
                .map(|l| scheme.outpatient.level(*l).unwrap().deductible_fen)
                .max().unwrap();
            prop_assert!(acc.deductible_met.outpatient <= max_deductible);
            prop_assert_eq!(acc.deductible_met.inpatient, Fen::ZERO, "per admission: never accumulated");
        }
    }
}

/// The simulator settles visits with `Tariff` against a resident's year;
/// over a year of visits it must pay exactly what claims would.
#[test]
fn tariff_settles_a_year_as_adjudication_does() {
    let rules = demo_rules();
    for scheme in ["urrbmi", "uebmi"] {
        let tariff = Tariff::of(&rules, scheme, Outpatient).unwrap();
        let mut acc = Accumulator::new(id(scheme), 2026);
        let mut used = YearUse::default();
        let levels = [Primary, Secondary, Tertiary, Secondary, Primary];
        let referrals = [None, Some(Up), None, None, Some(Down)];
        for k in 0..40 {
            let mut v = visit(scheme, Outpatient, levels[k % 5], 5_000 + 700 * k as i64);
            v.referral = referrals[k % 5];
            v.at_contracted_primary = k % 3 == 0;
            v.follow_up = k % 7 == 0;
            let a = adjudicate(&rules, &v, &acc).unwrap();
            let split = tariff.settle(&v.terms(), &mut used).unwrap();
            assert_eq!(split, a.split, "visit {k} of {scheme}");
            acc = a.accumulator;
            assert_eq!(used.deductible_met, acc.deductible_met.outpatient);
            assert_eq!(used.reimbursed, acc.reimbursed.outpatient);
        }
        // The pooled outpatient fund of the residents' scheme runs out.
        if scheme == "urrbmi" {
            assert_eq!(
                used.reimbursed,
                rules.scheme(scheme).unwrap().outpatient.annual_cap_fen
            );
        }
    }
}
