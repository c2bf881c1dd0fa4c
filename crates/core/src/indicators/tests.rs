use super::*;
use crate::insurance::Fen;

/// Township centre 0 (primary, alliance 0), county hospital 1 (secondary,
/// alliance 0), city hospital 2 (tertiary, outside the county).
fn directory() -> Directory {
    let inst = |level, inside, alliances: Vec<u16>, physicians, beds, slots| InstitutionFacts {
        level,
        inside,
        alliances,
        physicians,
        beds,
        daily_slots: slots,
    };
    Directory {
        institutions: vec![
            inst(Level::Primary, true, vec![0], 10, 20, 300),
            inst(Level::Secondary, true, vec![0], 30, 200, 600),
            inst(Level::Tertiary, false, vec![], 100, 800, 2000),
        ],
    }
}

fn visit(day: Day, at: u32, kind: VisitKind, positioned: Level, cost: i64, oop: i64) -> Fact {
    Fact::Visit(Visit {
        day,
        institution: Ix(at),
        level: directory().institutions[at as usize].level,
        kind,
        positioned: Some(positioned),
        emergency: false,
        inpatient: false,
        resident: true,
        charge: Some(Charge {
            scheme: 0,
            cost: Fen::new(cost),
            out_of_pocket: Fen::new(oop),
        }),
        wait_days: 0.5,
    })
}

fn year() -> Period {
    Period::new(0, 364)
}

#[test]
fn shares_follow_the_definitions() {
    let mut acc = Accumulator::new(directory());
    use Level::*;
    use VisitKind::*;
    let facts = [
        Fact::Episode { day: 1 },
        Fact::Episode { day: 2 },
        Fact::Episode { day: 3 },
        Fact::Episode { day: 4 },
        // A minor case at the township: where it belongs.
        visit(1, 0, FirstContact, Primary, 8600, 2580),
        // A minor case straight at the county hospital: over-use and bypass.
        visit(2, 1, FirstContact, Primary, 16000, 8800),
        // A moderate case at the township (under-capacity), referred up.
        visit(3, 0, FirstContact, Secondary, 8600, 2580),
        Fact::Referral {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            direction: Direction::Up,
        },
        Fact::ReferralBooked {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            wait_days: 4,
        },
        visit(7, 1, ReferredUp, Secondary, 16000, 7200),
        // Completed on day 7, counted with its request on day 3.
        Fact::ReferralCompleted {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            report_back: true,
        },
        // A severe case at the city hospital outside the county.
        visit(4, 2, FirstContact, Tertiary, 22600, 13560),
        Fact::Referral {
            day: 20,
            from: Ix(2),
            to: Ix(0),
            direction: Direction::Down,
        },
        Fact::ReferralCompleted {
            day: 20,
            from: Ix(2),
            to: Ix(0),
            report_back: false,
        },
    ];
    for f in &facts {
        acc.record(f).unwrap();
    }
    let i = acc.indicators(year(), Subject::Region);
    assert_eq!(i.episodes, 4);
    assert_eq!(i.visits, 5);
    assert_eq!(i.primary_visit_share, Some(2.0 / 5.0));
    assert_eq!(i.county_retention, Some(4.0 / 5.0));
    assert_eq!((i.referrals_up, i.referrals_down), (1, 1));
    assert_eq!(i.down_up_ratio, Some(1.0));
    assert_eq!(i.loop_closure, Some(0.5));
    assert_eq!(i.time_to_appointment_days, Some(4.0));
    // The counts behind them, for the referral funnel.
    assert_eq!(
        (
            i.referrals_booked,
            i.referrals_completed,
            i.referrals_reported_back
        ),
        (1, 2, 1)
    );
    // Hospital outpatient visits: 2 at the county hospital, 1 in the city;
    // one of them a bypass.
    assert_eq!(i.bypass_share, Some(1.0 / 3.0));
    assert_eq!(i.first_contacts, 4);
    assert_eq!(i.over_use_share, Some(0.25));
    assert_eq!(i.under_capacity_share, Some(0.25));
    assert_eq!(i.total_cost_yuan, 718.0);
    assert_eq!(i.total_out_of_pocket_yuan, 347.2);
    let secondary = &i.levels[1];
    assert_eq!(secondary.visits, 2);
    assert_eq!(secondary.mean_wait_days, Some(0.5));
    assert_eq!(secondary.expenditure_per_visit_yuan, Some(160.0));
    // The pyramid counts the county's own institutions only.
    assert_eq!(i.pyramid[2].physicians, 0);
    assert_eq!(i.pyramid[0].physician_share, Some(0.25));
    assert_eq!(i.pyramid[0].demand_share, Some(0.5));
}

#[test]
fn subjects_and_periods_select_their_rows() {
    let mut acc = Accumulator::new(directory());
    use Level::*;
    acc.record(&visit(10, 0, VisitKind::FirstContact, Primary, 100, 10))
        .unwrap();
    acc.record(&visit(40, 1, VisitKind::FirstContact, Primary, 100, 10))
        .unwrap();
    acc.record(&visit(40, 2, VisitKind::FirstContact, Primary, 100, 10))
        .unwrap();
    let jan = Period::new(0, 30);
    assert_eq!(acc.indicators(jan, Subject::Region).visits, 1);
    assert_eq!(acc.indicators(year(), Subject::Alliance(0)).visits, 2);
    assert_eq!(acc.indicators(year(), Subject::Level(Tertiary)).visits, 1);
    assert_eq!(
        acc.indicators(year(), Subject::Institution(Ix(1))).visits,
        1
    );
    assert_eq!(acc.span(), Some(Period::new(10, 40)));
    // Days before the first are added in front.
    acc.record(&visit(-5, 0, VisitKind::FirstContact, Primary, 100, 10))
        .unwrap();
    assert_eq!(
        acc.indicators(Period::new(-10, 364), Subject::Region)
            .visits,
        4
    );
    assert_eq!(acc.span(), Some(Period::new(-5, 40)));
}

#[test]
fn stocks_are_taken_at_the_end_of_the_period() {
    let mut acc = Accumulator::new(directory());
    let facts = [
        Fact::Residents {
            day: 0,
            delta: 1000,
            key_group: 200,
            access_known: 1000,
            within_access: 900,
        },
        Fact::Contracts {
            day: 0,
            institution: Ix(0),
            delta: 400,
            key_group: 200,
        },
        Fact::Contracts {
            day: 100,
            institution: Ix(0),
            delta: -100,
            key_group: -50,
        },
        Fact::ChronicPanel {
            day: 30,
            institution: Ix(0),
            known: 100,
            followed: 40,
        },
        Fact::ChronicPanel {
            day: 60,
            institution: Ix(0),
            known: 120,
            followed: 90,
        },
    ];
    for f in &facts {
        acc.record(f).unwrap();
    }
    let march = acc.indicators(Period::new(59, 89), Subject::Region);
    assert_eq!(march.contract_coverage, Some(0.4));
    assert_eq!(march.key_group_contract_coverage, Some(1.0));
    assert_eq!(march.access, Some(0.9));
    assert_eq!(march.chronic_management, Some(0.75));
    let feb = acc.indicators(Period::new(31, 58), Subject::Region);
    assert_eq!(feb.chronic_management, Some(0.4));
    let later = acc.indicators(Period::new(200, 210), Subject::Region);
    assert_eq!(later.contract_coverage, Some(0.3));
    assert_eq!(later.key_group_contract_coverage, Some(0.75));
}

#[test]
fn empty_denominators_give_none_and_bad_facts_are_refused() {
    let mut acc = Accumulator::new(directory());
    let i = acc.indicators(year(), Subject::Region);
    assert_eq!(i.primary_visit_share, None);
    assert_eq!(i.loop_closure, None);
    assert_eq!(i.contract_coverage, None);
    let stray = Fact::Capacity {
        day: 0,
        institution: Ix(9),
        slots: 1,
        beds: 0,
    };
    assert_eq!(
        acc.record(&stray),
        Err(IndicatorError::UnknownInstitution(9))
    );
    let mut v = match visit(0, 0, VisitKind::FirstContact, Level::Primary, 1, 1) {
        Fact::Visit(v) => v,
        _ => unreachable!(),
    };
    v.charge = Some(Charge {
        scheme: SCHEME_SLOTS as u8,
        cost: Fen::ZERO,
        out_of_pocket: Fen::ZERO,
    });
    assert!(acc.record(&Fact::Visit(v)).is_err());
    assert_eq!(acc.span(), None);
}

#[test]
fn merged_and_restored_rows_give_the_same_indicators() {
    let mut a = Accumulator::new(directory());
    let mut b = Accumulator::new(directory());
    let mut whole = Accumulator::new(directory());
    for day in 0..200 {
        let f = visit(
            day,
            (day % 3) as u32,
            VisitKind::FirstContact,
            Level::Primary,
            100,
            7,
        );
        whole.record(&f).unwrap();
        if day % 2 == 0 { &mut a } else { &mut b }
            .record(&f)
            .unwrap();
    }
    a.merge(&b).unwrap();
    assert_eq!(
        a.indicators(year(), Subject::Region),
        whole.indicators(year(), Subject::Region)
    );
    let mut restored = Accumulator::new(directory());
    for (day, ix, c) in whole.rows() {
        restored.add_counters(day, ix, c).unwrap();
    }
    assert_eq!(
        restored.indicators(Period::new(50, 120), Subject::Alliance(0)),
        whole.indicators(Period::new(50, 120), Subject::Alliance(0))
    );
}

#[test]
fn deltas_add_up_to_what_the_accumulator_counts() {
    let facts = [
        Fact::Episode { day: 3 },
        visit(3, 1, VisitKind::FirstContact, Level::Primary, 16000, 8800),
        Fact::Referral {
            day: 4,
            from: Ix(0),
            to: Ix(1),
            direction: Direction::Up,
        },
        Fact::ReferralCompleted {
            day: 4,
            from: Ix(0),
            to: Ix(1),
            report_back: true,
        },
    ];
    let mut direct = Accumulator::new(directory());
    let mut from_deltas = Accumulator::new(directory());
    for f in &facts {
        direct.record(f).unwrap();
        for (day, ix, c) in f.deltas() {
            from_deltas.add_counters(day, ix, &c).unwrap();
        }
    }
    assert_eq!(
        direct.indicators(year(), Subject::Region),
        from_deltas.indicators(year(), Subject::Region)
    );
    assert_eq!(facts[2].deltas().len(), 2, "a referral counts at both ends");
}

#[test]
fn every_measure_reads_its_indicator() {
    let mut acc = Accumulator::new(directory());
    acc.record(&visit(
        1,
        0,
        VisitKind::FirstContact,
        Level::Primary,
        8600,
        2580,
    ))
    .unwrap();
    let i = acc.indicators(year(), Subject::Region);
    let share = measures::measure("primary-visit-share").unwrap();
    assert_eq!((share.value)(&i), Some(1.0));
    let mut codes: Vec<&str> = measures::MEASURES.iter().map(|m| m.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), measures::MEASURES.len(), "codes are unique");
    assert!(measures::measure("no-such-measure").is_none());
}

/// Some of every kind of fact, in the county of [`directory`].
fn every_kind_of_fact() -> Vec<Fact> {
    use Level::*;
    use VisitKind::*;
    let mut admission = match visit(5, 2, FirstContact, Tertiary, 500000, 150000) {
        Fact::Visit(v) => v,
        _ => unreachable!(),
    };
    admission.inpatient = true;
    vec![
        Fact::Residents {
            day: 0,
            delta: 1000,
            key_group: 200,
            access_known: 1000,
            within_access: 900,
        },
        Fact::Contracts {
            day: 0,
            institution: Ix(0),
            delta: 400,
            key_group: 150,
        },
        Fact::ChronicPanel {
            day: 1,
            institution: Ix(0),
            known: 80,
            followed: 60,
        },
        visit(1, 0, FirstContact, Primary, 8600, 2580),
        visit(2, 1, FirstContact, Primary, 16000, 8800),
        visit(3, 0, FirstContact, Secondary, 8600, 2580),
        visit(4, 0, FollowUp, Primary, 5000, 1000),
        Fact::Visit(admission),
        Fact::Referral {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            direction: Direction::Up,
        },
        Fact::Referral {
            day: 4,
            from: Ix(0),
            to: Ix(2),
            direction: Direction::Up,
        },
        Fact::Referral {
            day: 6,
            from: Ix(2),
            to: Ix(0),
            direction: Direction::Down,
        },
        Fact::ReferralBooked {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            wait_days: 4,
        },
        visit(7, 1, ReferredUp, Secondary, 16000, 7200),
        // Completed on day 7, counted with its request on day 3.
        Fact::ReferralCompleted {
            day: 3,
            from: Ix(0),
            to: Ix(1),
            report_back: true,
        },
        Fact::ReferralCompleted {
            day: 4,
            from: Ix(0),
            to: Ix(2),
            report_back: false,
        },
        Fact::Capacity {
            day: 1,
            institution: Ix(0),
            slots: 10,
            beds: 4,
        },
        Fact::Capacity {
            day: 1,
            institution: Ix(1),
            slots: 8,
            beds: 20,
        },
        Fact::BedDays {
            day: 1,
            institution: Ix(1),
            occupied: 15,
        },
    ]
}

#[test]
fn population_counts_are_the_parts_of_each_value() {
    let mut acc = Accumulator::new(directory());
    for f in every_kind_of_fact() {
        acc.record(&f).unwrap();
    }
    let region = acc.indicators(year(), Subject::Region);
    assert_eq!(region.primary_visit_share, Some(3.0 / 5.0));
    let mut checked = 0;
    let mut figures = vec![
        region,
        acc.indicators(year(), Subject::Alliance(0)),
        acc.indicators(Period::new(100, 200), Subject::Region),
    ];
    for level in Level::ALL {
        figures.push(acc.stratum(year(), Subject::Region, level));
        figures.push(acc.stratum(year(), Subject::Alliance(0), level));
    }
    for m in measures::MEASURES {
        let kinds: Vec<PopulationKind> = m.populations.iter().map(|p| p.kind).collect();
        let expected = match m.scoring {
            measures::Scoring::Proportion | measures::Scoring::Ratio => {
                [PopulationKind::Numerator, PopulationKind::Denominator]
            }
            measures::Scoring::ContinuousVariable => [
                PopulationKind::MeasurePopulation,
                PopulationKind::MeasureObservation,
            ],
        };
        assert_eq!(kinds, expected, "{}", m.code);
        for i in &figures {
            let value = (m.value)(i);
            let counts: Vec<Option<i64>> = m
                .populations
                .iter()
                .map(|p| p.count.map(|c| c(i)))
                .collect();
            match counts.as_slice() {
                [Some(num), Some(den)] => {
                    let share = (*den > 0).then(|| *num as f64 / *den as f64);
                    assert_eq!(value, share, "{} {num}/{den}", m.code);
                    checked += 1;
                }
                // A mean or a count over the population: defined exactly
                // when the population is not empty (a count always).
                [Some(n), None] => {
                    if m.unit == "1" {
                        assert_eq!(value, Some(*n as f64), "{}", m.code);
                    } else {
                        assert_eq!(value.is_some(), *n > 0, "{} over {n}", m.code);
                    }
                    checked += 1;
                }
                _ => assert_eq!(m.code, "out-of-pocket-share", "only money is not counted"),
            }
        }
    }
    assert_eq!(checked, (measures::MEASURES.len() - 1) * figures.len());
}

#[test]
fn strata_split_a_subject_by_level() {
    let mut acc = Accumulator::new(directory());
    for f in every_kind_of_fact() {
        acc.record(&f).unwrap();
    }
    for level in Level::ALL {
        // The region's stratum is the level; residents belong to no level.
        let stratum = acc.stratum(year(), Subject::Region, level);
        assert_eq!(stratum, acc.indicators(year(), Subject::Level(level)));
        assert_eq!(stratum.contract_coverage, None);
    }
    let alliance = acc.indicators(year(), Subject::Alliance(0));
    let strata: Vec<Indicators> = Level::ALL
        .iter()
        .map(|&l| acc.stratum(year(), Subject::Alliance(0), l))
        .collect();
    // The alliance has the township (primary) and the county hospital
    // (secondary); the city hospital is no member.
    assert_eq!(
        strata.iter().map(|s| s.visits).collect::<Vec<_>>(),
        vec![3, 2, 0]
    );
    assert_eq!(
        strata.iter().map(|s| s.visits).sum::<u64>(),
        alliance.visits
    );
    assert_eq!(strata[0].primary_visit_share, Some(1.0));
    assert_eq!(strata[1].primary_visit_share, Some(0.0));
    assert_eq!(strata[2].primary_visit_share, None);
    assert_eq!(alliance.primary_visit_share, Some(3.0 / 5.0));
    // One institution: its own level's stratum is itself.
    let township = Subject::Institution(Ix(0));
    assert_eq!(
        acc.stratum(year(), township, Level::Primary),
        acc.indicators(year(), township)
    );
    assert_eq!(acc.stratum(year(), township, Level::Secondary).visits, 0);
}

#[test]
fn a_pyramid_is_inverted_when_capacity_sits_above_demand() {
    use Level::*;
    use VisitKind::*;
    let mut acc = Accumulator::new(directory());
    // Three cases positioned at primary level, one at secondary: demand's
    // mean level is 1.25. The county's physicians are 10 primary and 30
    // secondary (the city hospital is outside): mean level 1.75.
    for (day, positioned) in [(1, Primary), (2, Primary), (3, Primary), (4, Secondary)] {
        acc.record(&visit(day, 0, FirstContact, positioned, 100, 10))
            .unwrap();
    }
    let i = acc.indicators(year(), Subject::Region);
    let fit = i.pyramid_fit(Resource::Physicians).unwrap();
    assert_eq!(fit.shape, Shape::Inverted);
    assert!((fit.capacity_level - 1.75).abs() < 1e-12, "{fit:?}");
    assert!((fit.demand_level - 1.25).abs() < 1e-12, "{fit:?}");
    // Slots: 300 primary and 600 secondary, mean level 5/3; still above.
    assert_eq!(
        i.pyramid_fit(Resource::DailySlots).unwrap().shape,
        Shape::Inverted
    );

    // With all demand positioned at secondary level, the same capacity is
    // below demand: upright.
    let mut acc = Accumulator::new(directory());
    acc.record(&visit(1, 1, FirstContact, Secondary, 100, 10))
        .unwrap();
    let i = acc.indicators(year(), Subject::Region);
    assert_eq!(i.pyramid_fit(Resource::Beds).unwrap().shape, Shape::Upright);
    assert_eq!(i.referrals_booked, 0);

    // No positioned demand: nothing to judge against.
    let empty = Accumulator::new(directory()).indicators(year(), Subject::Region);
    assert_eq!(empty.pyramid_fit(Resource::Physicians), None);
}

#[test]
fn without_daily_capacity_a_level_offers_its_registered_capacity_every_day() {
    use Level::*;
    use VisitKind::*;
    let mut acc = Accumulator::new(directory());
    let facts = [
        visit(1, 0, FirstContact, Primary, 8600, 2580),
        visit(2, 0, FirstContact, Primary, 8600, 2580),
        visit(2, 1, FirstContact, Secondary, 16000, 8800),
        Fact::BedDays {
            day: 2,
            institution: Ix(1),
            occupied: 1,
        },
    ];
    for f in &facts {
        acc.record(f).unwrap();
    }
    // Ten days: the township's 300 daily slots and 20 beds, the county
    // hospital's 600 and 200; the city hospital is outside the county and
    // registers nothing here.
    let i = acc.indicators(Period::new(0, 9), Subject::Region);
    assert_eq!(i.levels[0].slot_utilisation, Some(2.0 / 3000.0));
    assert_eq!(i.levels[0].bed_utilisation, Some(0.0));
    assert_eq!(i.levels[1].bed_utilisation, Some(1.0 / 2000.0));
    assert_eq!(i.levels[2].slot_utilisation, None);
    assert_eq!(i.slot_utilisation, Some(3.0 / 9000.0));
    assert_eq!(i.tally.institutions.beds_offered, 2200);
    // A level whose offer was recorded day by day keeps the record.
    acc.record(&Fact::Capacity {
        day: 1,
        institution: Ix(1),
        slots: 8,
        beds: 20,
    })
    .unwrap();
    let i = acc.indicators(Period::new(0, 9), Subject::Region);
    assert_eq!(i.levels[1].slot_utilisation, Some(1.0 / 8.0));
    assert_eq!(i.levels[0].slot_utilisation, Some(2.0 / 3000.0));
}

#[test]
fn insurers_evaluate_the_insurance_indicators_only() {
    use crate::access::{Actor, UserRole};
    use crate::indicators::measures::{INSURANCE_MEASURES, may_see_measure, measure};
    let actor = |role| Actor {
        username: "u".into(),
        role,
        institution: None,
        practitioner: None,
        resident: None,
    };
    for code in INSURANCE_MEASURES {
        assert!(measure(code).is_some(), "{code} is a measure");
        assert!(may_see_measure(&actor(UserRole::Insurer), code));
    }
    assert!(!may_see_measure(&actor(UserRole::Insurer), "loop-closure"));
    assert!(may_see_measure(&actor(UserRole::Analyst), "loop-closure"));
}
