//! The referral funnels over random histories: whatever the referrals did,
//! for every subject and period no step exceeds the one before it, and the
//! sent and received sides of the institutions add up to the region's.

use super::*;
use proptest::prelude::*;

/// Five institutions over three levels and two alliances; the last is
/// outside the region.
fn directory() -> Directory {
    let inst = |level, inside, alliances: Vec<u16>| InstitutionFacts {
        level,
        inside,
        alliances,
        physicians: 10,
        beds: 10,
        daily_slots: 50,
    };
    Directory {
        institutions: vec![
            inst(Level::Primary, true, vec![0]),
            inst(Level::Primary, true, vec![1]),
            inst(Level::Secondary, true, vec![0, 1]),
            inst(Level::Secondary, true, vec![1]),
            inst(Level::Tertiary, false, vec![]),
        ],
    }
}

/// What became of one referral after its request.
#[derive(Debug, Clone)]
enum Path {
    Open,
    Declined(usize),
    Refused,
    /// Booked `wait` days out (or seen unbooked, 0), then maybe completed,
    /// maybe with a report at completion or later.
    Seen {
        wait: u32,
        completed: bool,
        report: u8,
    },
    /// Sent on to another institution, then this path there.
    Redirected(u32, Box<Path>),
}

fn path() -> impl Strategy<Value = Path> {
    let leaf = prop_oneof![
        Just(Path::Open),
        (0..5usize).prop_map(Path::Declined),
        Just(Path::Refused),
        (0..30u32, any::<bool>(), 0..3u8).prop_map(|(wait, completed, report)| Path::Seen {
            wait,
            completed,
            report
        }),
    ];
    leaf.prop_recursive(2, 4, 1, |inner| {
        (0..5u32, inner).prop_map(|(to, p)| Path::Redirected(to, Box::new(p)))
    })
}

/// One referral: request day, referrer, receiver, what happened.
fn referral() -> impl Strategy<Value = (Day, u32, u32, Path)> {
    (0..120 as Day, 0..5u32, 0..5u32, path())
}

/// The facts a source records for one referral, every step dated on the
/// request's day.
fn facts_of(day: Day, from: u32, to: u32, path: &Path, out: &mut Vec<Fact>) {
    let levels = directory();
    let direction = |to: u32| {
        if levels.institutions[to as usize].level >= levels.institutions[from as usize].level {
            Direction::Up
        } else {
            Direction::Down
        }
    };
    let (from, mut to) = (from, to);
    out.push(Fact::Referral {
        day,
        from: Ix(from),
        to: Ix(to),
        direction: direction(to),
    });
    let mut path = path;
    loop {
        let (f, t) = (Ix(from), Ix(to));
        match path {
            Path::Open => {}
            Path::Declined(r) => out.push(Fact::ReferralDeclined {
                day,
                from: f,
                to: t,
                reason: DeclineReason::ALL[*r],
            }),
            Path::Refused => out.push(Fact::DownReferralRefused {
                day,
                from: f,
                to: t,
            }),
            Path::Seen {
                wait,
                completed,
                report,
            } => {
                out.push(Fact::ReferralBooked {
                    day,
                    from: f,
                    to: t,
                    wait_days: *wait,
                });
                if *completed {
                    out.push(Fact::ReferralCompleted {
                        day,
                        from: f,
                        to: t,
                        report_back: *report == 1,
                    });
                    // Some letters carry results; some of those have
                    // expired by the visit (the wait decides it here).
                    if wait % 3 != 0 {
                        let attached = (wait % 4 + 1) as u16;
                        out.push(Fact::ResultsRecognised {
                            day,
                            from: f,
                            to: t,
                            attached,
                            recognised: attached.saturating_sub((wait % 2) as u16),
                        });
                    }
                    if *report == 2 {
                        out.push(Fact::ReportBack {
                            day,
                            from: f,
                            to: t,
                        });
                    }
                }
            }
            Path::Redirected(next, rest) => {
                out.push(Fact::ReferralRedirected {
                    day,
                    from: f,
                    away: t,
                    to: Ix(*next),
                    direction: direction(*next),
                });
                to = *next;
                path = rest;
                continue;
            }
        }
        break;
    }
}

/// Where a path ends, and how many redirects it took to get there.
fn end(path: &Path) -> (&Path, u64) {
    match path {
        Path::Redirected(_, rest) => {
            let (leaf, hops) = end(rest);
            (leaf, hops + 1)
        }
        leaf => (leaf, 0),
    }
}

/// The region's funnel counted straight from the referrals of a period.
fn expected(referrals: &[(Day, u32, u32, Path)], period: Period) -> Funnel {
    let mut f = Funnel::default();
    for (_, _, _, path) in referrals.iter().filter(|r| period.contains(r.0)) {
        let (leaf, hops) = end(path);
        f.redirected += hops;
        match leaf {
            Path::Declined(r) => f.declined[*r] += 1,
            Path::Refused => f.refused += 1,
            Path::Seen {
                wait,
                completed,
                report,
            } => {
                f.booked += 1;
                f.wait_days += u64::from(*wait);
                f.completed += u64::from(*completed);
                f.reported += u64::from(*completed && *report > 0);
                if *completed && wait % 3 != 0 {
                    let attached = u64::from(wait % 4 + 1);
                    f.results += attached;
                    f.recognised += attached - u64::from(wait % 2);
                }
            }
            Path::Open | Path::Redirected(..) => {}
        }
    }
    f
}

fn subjects() -> Vec<Subject> {
    let mut s = vec![Subject::Region, Subject::Alliance(0), Subject::Alliance(1)];
    s.extend(Level::ALL.map(Subject::Level));
    s.extend((0..5).map(|i| Subject::Institution(Ix(i))));
    s
}

fn check_funnel(f: &Funnel, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(f.in_order(), "{what}: {f:?}");
    Ok(())
}

proptest! {
    #[test]
    fn no_step_exceeds_the_one_before_and_the_sides_add_up(
        referrals in prop::collection::vec(referral(), 0..60),
        first in 0..120 as Day,
        len in 0..120 as Day,
    ) {
        let mut facts = Vec::new();
        for (day, from, to, path) in &referrals {
            facts_of(*day, *from, *to, path, &mut facts);
        }
        let mut acc = Accumulator::new(directory());
        for f in &facts {
            acc.record(f).unwrap();
        }
        let period = Period::new(first, first + len);
        for subject in subjects() {
            let i = acc.indicators(period, subject);
            check_funnel(&i.sent, &format!("{subject:?} sent"))?;
            check_funnel(&i.received, &format!("{subject:?} received"))?;
            prop_assert_eq!(i.referrals_up + i.referrals_down, i.sent.requested());
        }
        let region = acc.indicators(period, Subject::Region);
        let asked = referrals.iter().filter(|r| period.contains(r.0)).count() as u64;
        prop_assert_eq!(region.sent.requested(), asked);
        prop_assert_eq!(region.received.requested(), asked + expected(&referrals, period).redirected);
        let mut steps = region.sent;
        (steps.up, steps.down, steps.redirected) = (0, 0, expected(&referrals, period).redirected);
        prop_assert_eq!(steps, expected(&referrals, period));
        let mut steps = region.received;
        (steps.up, steps.down) = (0, 0);
        prop_assert_eq!(steps, expected(&referrals, period));
        let (mut sent, mut received) = (Funnel::default(), Funnel::default());
        for ix in 0..5 {
            let i = acc.indicators(period, Subject::Institution(Ix(ix)));
            sent.add(&i.sent);
            received.add(&i.received);
        }
        prop_assert_eq!(sent, region.sent);
        prop_assert_eq!(received, region.received);
        let mut by_level = (Funnel::default(), Funnel::default());
        for level in Level::ALL {
            let i = acc.indicators(period, Subject::Level(level));
            by_level.0.add(&i.sent);
            by_level.1.add(&i.received);
        }
        prop_assert_eq!(by_level, (region.sent, region.received));
    }
}
