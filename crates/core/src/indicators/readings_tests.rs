use super::readings::*;
use super::*;
use crate::hub::ReadingPriority;

/// The county hospital 0 runs the hubs; townships 1 and 2 order.
fn directory() -> Directory {
    let inst = |level| InstitutionFacts {
        level,
        inside: true,
        alliances: vec![0],
        physicians: 1,
        beds: 0,
        daily_slots: 0,
    };
    Directory {
        institutions: vec![
            inst(Level::Secondary),
            inst(Level::Primary),
            inst(Level::Primary),
        ],
    }
}

/// A small deterministic generator, so every run checks the same
/// histories.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// One reading as it happened, and the facts it gives.
struct Walked {
    day: Day,
    member: u32,
    priority: ReadingPriority,
    reported: Option<(u32, bool, bool)>,
    acknowledged: Option<u32>,
}

fn history(seed: u64) -> Vec<Walked> {
    let mut d = Draw(seed);
    (0..400)
        .map(|_| {
            let priority = ReadingPriority::ALL[d.next(3) as usize];
            let cancelled = d.next(10) == 0;
            // Times from seconds to a fortnight, most within hours.
            let minutes = match d.next(3) {
                0 => d.next(30) as u32,
                1 => d.next(1_500) as u32,
                _ => d.next(20_000) as u32,
            };
            let critical = d.next(6) == 0;
            let reported = (!cancelled).then(|| (minutes, d.next(4) != 0, critical));
            Walked {
                day: d.next(60) as Day,
                member: 1 + d.next(2) as u32,
                priority,
                reported,
                acknowledged: (critical && !cancelled && d.next(5) != 0)
                    .then(|| d.next(3_000) as u32),
            }
        })
        .collect()
}

fn facts_of(w: &Walked) -> Vec<Fact> {
    let fact = |step| {
        Fact::Reading(ReadingFact {
            day: w.day,
            hub: Ix(0),
            member: Ix(w.member),
            priority: w.priority,
            step,
        })
    };
    let mut out = vec![fact(ReadingStep::Ordered)];
    match w.reported {
        Some((minutes, within_deadline, critical)) => out.push(fact(ReadingStep::Reported {
            minutes,
            within_deadline,
            critical,
        })),
        None => out.push(fact(ReadingStep::Cancelled)),
    }
    if let Some(minutes) = w.acknowledged {
        out.push(fact(ReadingStep::Acknowledged { minutes }));
    }
    out
}

/// The nearest-rank percentile of raw times, as the bucket edge it falls
/// in: the figure the module documentation defines.
fn raw_percentile(mut times: Vec<u32>, percent: usize) -> Option<f64> {
    if times.is_empty() {
        return None;
    }
    times.sort_unstable();
    let rank = (percent * times.len()).div_ceil(100).max(1);
    Some(f64::from(bucket_edge(bucket_of(times[rank - 1]))))
}

#[test]
fn minutes_round_up_into_fixed_buckets() {
    assert_eq!(minutes_of(0), 0);
    assert_eq!(minutes_of(250), 5);
    assert_eq!(minutes_of(301), 6);
    assert_eq!(minutes_of(-40), 0);
    assert_eq!(bucket_of(0), 0);
    assert_eq!(bucket_of(5), 0);
    assert_eq!(bucket_of(6), 1);
    assert_eq!(bucket_of(10_080), TIME_EDGES_MINUTES.len() - 1);
    assert_eq!(bucket_of(10_081), TIME_EDGES_MINUTES.len());
    assert_eq!(bucket_edge(TIME_EDGES_MINUTES.len()), 10_080);
    assert!(TIME_EDGES_MINUTES.windows(2).all(|w| w[0] < w[1]));
    let mut b = [0; TIME_BUCKETS];
    assert_eq!(percentile(&b, 50), None);
    b[0] = 9;
    b[3] = 1;
    assert_eq!(percentile(&b, 50), Some(5.0));
    assert_eq!(percentile(&b, 90), Some(5.0));
    assert_eq!(percentile(&b, 91), Some(20.0));
}

#[test]
fn reading_percentiles_from_daily_counters_equal_those_of_the_raw_facts() {
    for seed in [7, 1_234_567, 0x9e37_79b9_7f4a_7c15] {
        let walked = history(seed);
        // What the store keeps: each fact's deltas added to its day's row.
        let mut stored = Accumulator::new(directory());
        let mut raw = Accumulator::new(directory());
        for w in &walked {
            for f in facts_of(w) {
                raw.record(&f).unwrap();
                for (day, ix, c) in f.deltas() {
                    stored.add_counters(day, ix, &c).unwrap();
                }
            }
        }
        for (period, subject, member) in [
            (Period::new(0, 59), Subject::Region, None),
            (Period::new(10, 40), Subject::Institution(Ix(0)), None),
            (Period::new(5, 50), Subject::Institution(Ix(1)), Some(1)),
        ] {
            let of = stored.indicators(period, subject);
            assert_eq!(of, raw.indicators(period, subject));
            let figures = match member {
                Some(_) => &of.readings_ordered,
                None => &of.readings,
            };
            let cohort: Vec<&Walked> = walked
                .iter()
                .filter(|w| period.contains(w.day) && member.is_none_or(|m| w.member == m))
                .collect();
            assert!(cohort.len() > 50, "the history gives each period readings");
            assert_eq!(figures.ordered, cohort.len() as u64);
            for p in ReadingPriority::ALL.iter().copied() {
                let reported: Vec<(u32, bool, bool)> = cohort
                    .iter()
                    .filter(|w| w.priority == p)
                    .filter_map(|w| w.reported)
                    .collect();
                let times: Vec<u32> = reported.iter().map(|r| r.0).collect();
                let within = reported.iter().filter(|r| r.1).count();
                let f = figures.priority(p);
                assert_eq!(f.reported, reported.len() as u64);
                assert_eq!(f.turnaround_p50_minutes, raw_percentile(times.clone(), 50));
                assert_eq!(f.turnaround_p90_minutes, raw_percentile(times, 90));
                assert_eq!(
                    f.within_deadline_share,
                    (!reported.is_empty()).then(|| within as f64 / reported.len() as f64)
                );
            }
            let acks: Vec<u32> = cohort.iter().filter_map(|w| w.acknowledged).collect();
            assert!(!acks.is_empty());
            assert_eq!(figures.acknowledged, acks.len() as u64);
            assert_eq!(
                figures.acknowledgement_p50_minutes,
                raw_percentile(acks, 50)
            );
            let critical = cohort
                .iter()
                .filter(|w| w.reported.is_some_and(|r| r.2))
                .count();
            assert_eq!(figures.critical, critical as u64);
            let cancelled = cohort.iter().filter(|w| w.reported.is_none()).count();
            assert_eq!(figures.cancelled, cancelled as u64);
        }
    }
}

#[test]
fn a_reading_counts_at_the_hub_and_at_the_member_and_the_region_once() {
    let mut acc = Accumulator::new(directory());
    for f in facts_of(&Walked {
        day: 3,
        member: 2,
        priority: ReadingPriority::Stat,
        reported: Some((12, true, true)),
        acknowledged: Some(4),
    }) {
        acc.record(&f).unwrap();
    }
    let p = Period::new(0, 9);
    let region = acc.indicators(p, Subject::Region);
    assert_eq!(region.readings.ordered, 1);
    assert_eq!(region.readings_ordered.ordered, 1);
    assert_eq!(
        region
            .readings
            .priority(ReadingPriority::Stat)
            .turnaround_p50_minutes,
        Some(15.0)
    );
    assert_eq!(region.readings.acknowledgement_p50_minutes, Some(5.0));
    let hub = acc.indicators(p, Subject::Institution(Ix(0)));
    assert_eq!(
        (hub.readings.reported, hub.readings_ordered.ordered),
        (1, 0)
    );
    let member = acc.indicators(p, Subject::Institution(Ix(2)));
    assert_eq!(
        (member.readings.ordered, member.readings_ordered.reported),
        (0, 1)
    );
    let other = acc.indicators(p, Subject::Institution(Ix(1)));
    assert_eq!(other.readings_ordered.ordered, 0);
}
