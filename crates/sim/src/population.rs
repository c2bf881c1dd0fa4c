//! The residents of one partition, eight bytes each (and eight more for
//! the insurance year when prices depend on it).
//!
//! Residents are stored by age group, so an episode's resident is drawn
//! uniformly from a contiguous range; a 65-million-resident province needs
//! under a gigabyte even if it were one partition.

use crate::engine::initial_trust;
use crate::model::Model;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tiercare_core::insurance::{Fen, YearUse};

const CONTRACTED: u8 = 1;
const CHRONIC: u8 = 2;
const CHRONIC_AT_PRIMARY: u8 = 4;
/// Two bits of scheme (`SCHEME_SLOTS` is 4), then three of chronic
/// condition.
const SCHEME_SHIFT: u8 = 3;
const SCHEME_MASK: u8 = 0b11;
const CONDITION_SHIFT: u8 = 5;

/// One resident.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    pub place: u16,
    /// Trust in primary care, 0 to 65,535.
    pub trust: u16,
    /// Day of the last chronic follow-up at primary level.
    pub last_chronic: i16,
    pub group: u8,
    flags: u8,
}

impl Person {
    pub fn contracted(&self) -> bool {
        self.flags & CONTRACTED != 0
    }

    pub fn chronic_at_primary(&self) -> bool {
        self.flags & CHRONIC_AT_PRIMARY != 0
    }

    pub fn scheme(&self) -> u8 {
        (self.flags >> SCHEME_SHIFT) & SCHEME_MASK
    }

    /// A chronic patient's condition, by its place in the model's chronic
    /// conditions.
    pub fn chronic_condition(&self) -> usize {
        usize::from(self.flags >> CONDITION_SHIFT)
    }
}

/// The residents and the episode streams of their age groups.
pub(crate) struct Population {
    pub people: Vec<Person>,
    /// Each resident's outpatient year so far, in fen: deductible met and
    /// paid by the fund. Empty when no price depends on it.
    pub years: Vec<[u32; 2]>,
    /// Residents with a chronic condition.
    pub chronic: Vec<u32>,
    /// Each group's range in `people`.
    ranges: Vec<(u32, u32)>,
    /// Episodes per day of each whole group.
    rates: Vec<f64>,
}

impl Population {
    pub fn generate(m: &Model, rng: &mut Xoshiro256PlusPlus) -> Population {
        let n = m.residents as usize;
        let mut people = Vec::with_capacity(n);
        let mut chronic = Vec::new();
        let mut ranges = Vec::with_capacity(m.groups.len());
        let mut rates = Vec::with_capacity(m.groups.len());
        let total_weight: f64 = m.places.iter().map(|p| p.weight).sum();
        let place_upto: Vec<f64> = m
            .places
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p.weight / total_weight;
                Some(*acc)
            })
            .collect();
        let trust = initial_trust(m.trust.initial);
        let mut done = 0usize;
        let mut share_so_far = 0.0;
        for (g, group) in m.groups.iter().enumerate() {
            share_so_far += group.share;
            let until = if g + 1 == m.groups.len() {
                n
            } else {
                ((share_so_far * n as f64).round() as usize).min(n)
            };
            let start = done;
            for _ in start..until {
                let u: f64 = rng.random();
                let place = place_upto
                    .partition_point(|&c| c <= u)
                    .min(m.places.len() - 1);
                let mut flags = 0;
                if rng.random::<f64>() < group.contract_share {
                    flags |= CONTRACTED;
                }
                let s: f64 = rng.random();
                let scheme = m
                    .scheme_upto
                    .partition_point(|&c| c <= s)
                    .min(m.scheme_upto.len() - 1);
                flags |= (scheme as u8) << SCHEME_SHIFT;
                if let Some(c) = &m.chronic
                    && rng.random::<f64>() < group.chronic_prevalence
                {
                    flags |= CHRONIC;
                    let share = if flags & CONTRACTED != 0 {
                        c.primary_share_contracted
                    } else {
                        c.primary_share_other
                    };
                    if rng.random::<f64>() < share {
                        flags |= CHRONIC_AT_PRIMARY;
                    }
                    // One condition draws nothing, so a scenario without a
                    // condition list keeps its random stream.
                    let kinds = &m.layout.chronic;
                    if kinds.len() > 1 {
                        let u: f64 = rng.random();
                        let k = kinds.partition_point(|(c, _)| *c <= u).min(kinds.len() - 1);
                        flags |= (k as u8) << CONDITION_SHIFT;
                    }
                    chronic.push(people.len() as u32);
                }
                people.push(Person {
                    place: place as u16,
                    trust,
                    last_chronic: i16::MIN,
                    group: g as u8,
                    flags,
                });
            }
            done = until;
            ranges.push((start as u32, until as u32));
            rates.push((until - start) as f64 * group.episodes_per_day);
        }
        Population {
            years: if m.year_matters {
                vec![[0, 0]; people.len()]
            } else {
                Vec::new()
            },
            people,
            chronic,
            ranges,
            rates,
        }
    }

    /// The time of each group's first episode.
    pub fn first_arrivals(&self, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
        (0..self.rates.len()).map(|g| self.gap(g, rng)).collect()
    }

    /// Days to a group's next episode: exponential, or never for an empty
    /// group.
    pub fn gap(&self, group: usize, rng: &mut Xoshiro256PlusPlus) -> f64 {
        let rate = self.rates[group];
        if rate <= 0.0 {
            return f64::INFINITY;
        }
        let u: f64 = rng.random();
        -(1.0 - u).ln() / rate
    }

    /// Asks the processor to start loading a resident's record, which an
    /// event a few steps ahead will need. Only a hint: it changes no result.
    #[inline]
    pub fn prefetch(&self, who: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(p) = self.people.get(who as usize) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            if let Some(y) = self.years.get(who as usize) {
                // SAFETY: as below.
                unsafe { _mm_prefetch::<_MM_HINT_T0>((y as *const [u32; 2]).cast::<i8>()) };
            }
            // SAFETY: a prefetch is a hint that never faults and reads
            // nothing into the program; SSE is part of every x86_64.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((p as *const Person).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = who;
    }

    /// A resident of the group, uniformly.
    pub fn pick(&self, group: usize, rng: &mut Xoshiro256PlusPlus) -> u32 {
        let (start, end) = self.ranges[group];
        rng.random_range(start..end)
    }
}

impl Population {
    /// A resident's insurance year so far.
    pub fn year_use(&self, who: usize) -> YearUse {
        let [met, paid] = self.years.get(who).copied().unwrap_or([0, 0]);
        let reimbursed = Fen::new(i64::from(paid));
        YearUse {
            deductible_met: Fen::new(i64::from(met)),
            reimbursed,
            // The simulator has outpatient visits only.
            reimbursed_total: reimbursed,
        }
    }

    /// Records a resident's insurance year after a visit.
    pub fn set_year_use(&mut self, who: usize, used: YearUse) {
        let clamp = |f: Fen| f.fen().clamp(0, i64::from(u32::MAX)) as u32;
        if let Some(y) = self.years.get_mut(who) {
            *y = [clamp(used.deductible_met), clamp(used.reimbursed)];
        }
    }

    /// Deductibles and caps start again on 1 January.
    pub fn new_year(&mut self) {
        self.years.fill([0, 0]);
    }
}
