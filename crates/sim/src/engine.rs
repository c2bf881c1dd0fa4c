//! The discrete-event engine: one partition (a county) simulated day by
//! day, its facts fed to the core's indicator accumulator.
//!
//! Time is in days (fractions are times of day). Every future event lands
//! in the bucket of its day; a day's bucket is sorted by time (stably, so
//! ties keep the order they were made in) and run in order. Requests are
//! therefore served in the order they are made, and a run depends only on
//! its seed: partitions have their own generators and are merged in
//! order, whatever the number of threads.
//!
//! This module owns the clock: the pending events, the [`Partition`] that
//! holds one county's state, the day loop that drains the buckets, the
//! opening and daily capacity facts, and the residents' trust. What an
//! event does is split by concern into `impl Partition` blocks in the
//! submodules, which all work on the same state:
//!
//! * `choice`: an episode begins and the resident chooses where to go
//!   first, by a logit over levels and staying home;
//! * `capacity`: a request is booked on the first day with a slot open to
//!   it, public or reserved for referrals;
//! * `visits`: a visit takes place, is priced and recorded, and the episode
//!   is referred up, followed up or ended;
//! * `follow_ups`: hospital follow-ups (referred down or back at the
//!   hospital), chronic patients' schedules and the month-end panels;
//! * `flows`: the resource flows between institutions a referred visit
//!   makes, added up at each day's end.

use crate::model::{Model, PriceKind};
use crate::population::{Person, Population};
use crate::strata::{GroupCounts, stand_in};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BinaryHeap;
use tiercare_core::indicators::{Accumulator, Day, Fact, Ix, VisitKind};

mod capacity;
mod choice;
mod flows;
mod follow_ups;
mod groups;
mod stays;
mod visits;

/// What a pending event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    /// An illness episode begins.
    Episode,
    /// A booked visit takes place (`inst`, `kind`, requested at `since`).
    Visit(Kind),
    /// A referred visit up is requested (`inst` referred to; `since` is
    /// when the referral was made). Only referrals from primary care may
    /// take reserved capacity.
    Referral { from_primary: bool },
    /// A hospital episode's follow-up is requested (`inst` treated).
    FollowUp,
    /// A chronic patient's scheduled follow-up is due.
    Chronic,
}

/// The kind of a visit, as the indicators and prices see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    First,
    Up,
    Down,
    FollowUp,
    Chronic,
}

impl Kind {
    fn visit_kind(self) -> VisitKind {
        match self {
            Kind::First => VisitKind::FirstContact,
            Kind::Up => VisitKind::ReferredUp,
            Kind::Down => VisitKind::ReferredDown,
            Kind::FollowUp | Kind::Chronic => VisitKind::FollowUp,
        }
    }

    fn price_kind(self) -> PriceKind {
        match self {
            Kind::First => PriceKind::SelfReferred,
            Kind::Up => PriceKind::ReferredUp,
            Kind::Down => PriceKind::ReferredDown,
            Kind::FollowUp | Kind::Chronic => PriceKind::FollowUp,
        }
    }
}

/// One pending event.
#[derive(Debug, Clone, Copy)]
struct Pending {
    t: f64,
    /// When the request behind it was made (for waits).
    since: f64,
    who: u32,
    inst: u32,
    /// A referred visit's referrer, and the day the referral was asked
    /// for: the indicators count the loop's steps at both ends, in the
    /// request's cohort.
    from: u32,
    asked: Day,
    case: u16,
    what: What,
    /// A booked visit took a slot kept for referrals (a resource flow
    /// from the receiver to the referrer when the visit is a referral's).
    reserved: bool,
}

/// A same-day event, ordered by time then creation.
#[derive(Debug)]
struct Today(Pending, u64);

impl PartialEq for Today {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}
impl Eq for Today {}
impl PartialOrd for Today {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Today {
    // Reversed: BinaryHeap is a max-heap and the earliest must come first.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.t.total_cmp(&self.0.t).then(o.1.cmp(&self.1))
    }
}

/// One partition's run.
pub(crate) struct Partition<'m> {
    m: &'m Model,
    pop: Population,
    acc: Accumulator,
    rng: Xoshiro256PlusPlus,
    days: usize,
    buckets: Vec<Vec<Pending>>,
    today: BinaryHeap<Today>,
    today_seq: u64,
    day: usize,
    /// Slots taken per institution and day: public, reserved.
    public: Vec<u32>,
    reserved: Vec<u32>,
    /// Per institution, the first day that may still have a public slot:
    /// every earlier day is full (or past). The wait a resident is quoted.
    open_from: Vec<usize>,
    /// Choice probabilities when they do not change during the run:
    /// `[place][case][contracted][scheme]` -> cumulative over
    /// primary, secondary, tertiary, stay home.
    fixed_choice: Option<Vec<[f64; 4]>>,
    /// Each place's own primary institution, as an `Ix`.
    own_primary: Vec<Option<u32>>,
    tally: Tally,
    /// Beds occupied per institution and night, and the admissions' own
    /// random stream (so inpatient care leaves outpatient draws alone).
    occupied: Vec<u32>,
    stay_rng: Xoshiro256PlusPlus,
    /// The residents' demand: who falls ill when, with what, and the draw
    /// of their first choice. A stream of its own, so two scenarios run on
    /// one seed see the same episodes in the same order (common random
    /// numbers: their difference is the reform's, not the noise's).
    demand: Xoshiro256PlusPlus,
    /// The facts counted again by condition and resident group, and each
    /// institution's stand-in there.
    groups: GroupCounts,
    stand_ins: Vec<Ix>,
    /// Each group slot's last chronic panel (known, followed).
    panels: Vec<(u32, u32)>,
    /// The partition's seed, for draws tied to an event (see `draw`).
    seed: u64,
    /// Today's resource flows, added up at the day's end (see `flows`).
    given: Vec<flows::Given>,
}

/// How the episodes of a run ended: every episode that starts ends exactly
/// once, in one of these ways.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub started: u64,
    /// Treated (with any follow-up done).
    pub completed: u64,
    /// The resident chose not to seek care, or could reach no institution.
    pub stayed_home: u64,
    /// The next step would have fallen past the end of the run.
    pub past_horizon: u64,
}

impl Tally {
    /// Episodes that ended.
    pub fn ended(&self) -> u64 {
        self.completed + self.stayed_home + self.past_horizon
    }

    pub(crate) fn add(&mut self, o: &Tally) {
        self.started += o.started;
        self.completed += o.completed;
        self.stayed_home += o.stayed_home;
        self.past_horizon += o.past_horizon;
    }
}

/// Whether a pending event belongs to an illness episode (chronic
/// follow-ups do not).
fn in_episode(e: &Pending) -> bool {
    !matches!(e.what, What::Chronic | What::Visit(Kind::Chronic))
}

const TRUST_SCALE: f64 = 65535.0;

/// Mixed into a partition's seed for its admissions' stream.
const STAY_STREAM: u64 = 0x5EED_0FBE_D5ED_0001;

/// Mixed into a partition's seed for its demand's stream.
const DEMAND_STREAM: u64 = 0xD3AD_0F11_0E55_0002;

/// How many events ahead a resident's record is fetched into cache: the
/// records of a county do not fit in cache, and each event would otherwise
/// wait for memory.
const PREFETCH_AHEAD: usize = 8;

impl<'m> Partition<'m> {
    pub(crate) fn new(m: &'m Model, seed: u64) -> Partition<'m> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let pop = Population::generate(m, &mut rng);
        let days = m.days as usize;
        let n = m.institutions.len();
        let fixed = m.choice.trust == 0.0 && m.choice.wait_per_day == 0.0 && !m.year_matters;
        let mut p = Partition {
            m,
            pop,
            acc: Accumulator::new(m.directory.clone()),
            rng,
            days,
            buckets: vec![Vec::new(); days],
            today: BinaryHeap::new(),
            today_seq: 0,
            day: 0,
            public: vec![0; n * days],
            reserved: vec![0; n * days],
            open_from: vec![0; n],
            fixed_choice: None,
            own_primary: m.places.iter().map(|p| p.nearest[0]).collect(),
            tally: Tally::default(),
            occupied: vec![0; if m.inpatient.is_some() { n * days } else { 0 }],
            stay_rng: Xoshiro256PlusPlus::seed_from_u64(seed ^ STAY_STREAM),
            demand: Xoshiro256PlusPlus::seed_from_u64(seed ^ DEMAND_STREAM),
            groups: GroupCounts::new(&m.layout),
            panels: vec![(0, 0); m.layout.cells() + m.layout.settlements.len()],
            seed,
            given: Vec::new(),
            stand_ins: m
                .institutions
                .iter()
                .map(|i| stand_in(i.level, i.inside))
                .collect(),
        };
        if fixed {
            p.fixed_choice = Some(p.choice_table());
        }
        p
    }

    /// Runs every day and returns the facts' accumulator, how the
    /// episodes ended, and the facts by condition and group.
    pub(crate) fn run(mut self, progress: &(dyn Fn() + Sync)) -> (Accumulator, Tally, GroupCounts) {
        self.opening_facts();
        self.group_opening_facts();
        self.schedule_chronic();
        let mut arrivals = self.pop.first_arrivals(&mut self.demand);
        for d in 0..self.days {
            self.day = d;
            if d > 0 && d % 365 == 0 {
                // Deductibles and caps start again each year.
                self.pop.new_year();
            }
            self.capacity_facts(d);
            // The day's new episodes, merged with what was already due.
            let end = (d + 1) as f64;
            for (g, next) in arrivals.iter_mut().enumerate() {
                while *next < end {
                    let who = self.pop.pick(g, &mut self.demand);
                    self.buckets[d].push(Pending {
                        t: *next,
                        since: *next,
                        who,
                        inst: 0,
                        from: 0,
                        asked: 0,
                        case: 0,
                        what: What::Episode,
                        reserved: false,
                    });
                    *next += self.pop.gap(g, &mut self.demand);
                }
            }
            let mut bucket = std::mem::take(&mut self.buckets[d]);
            bucket.sort_by(|a, b| a.t.total_cmp(&b.t));
            let mut i = 0;
            loop {
                let next = match (bucket.get(i), self.today.peek()) {
                    (Some(b), Some(t)) if t.0.t < b.t => self.today.pop().map(|t| t.0),
                    (Some(b), _) => {
                        i += 1;
                        Some(*b)
                    }
                    (None, Some(_)) => self.today.pop().map(|t| t.0),
                    (None, None) => None,
                };
                let Some(e) = next else { break };
                if let Some(ahead) = bucket.get(i + PREFETCH_AHEAD) {
                    self.pop.prefetch(ahead.who);
                }
                self.handle(e);
            }
            self.flow_facts(d);
            self.bed_facts(d);
            if (d + 1) % 30 == 0 || d + 1 == self.days {
                self.month_end(d);
            }
            progress();
        }
        (self.acc, self.tally, self.groups)
    }

    /// A uniform draw tied to the event `e` (its resident, time and what
    /// it is) rather than to a stream's position: when a reform changes
    /// what happens before it, the same episode still draws the same
    /// number, so scenarios on one seed differ by the reform, not by
    /// shifted random numbers.
    fn draw(&self, e: &Pending, salt: u64) -> f64 {
        let h = crate::run::mix(
            self.seed ^ crate::run::mix(u64::from(e.who) ^ (salt << 32)) ^ e.since.to_bits(),
        );
        (h >> 11) as f64 / (1u64 << 53) as f64
    }

    fn record(&mut self, fact: Fact) {
        // Every institution and scheme slot comes from the model's own
        // directory, so the accumulator cannot refuse a fact.
        let _ = self.acc.record(&fact);
    }

    fn opening_facts(&mut self) {
        let mut key = 0i32;
        let mut access = 0i32;
        let mut contracts = vec![(0i32, 0i32); self.m.institutions.len()];
        for person in &self.pop.people {
            let place = &self.m.places[person.place as usize];
            let is_key = self.m.groups[usize::from(person.group)].key_group;
            key += i32::from(is_key);
            access += i32::from(place.access);
            if let (true, Some(p)) = (person.contracted(), place.nearest[0]) {
                let c = &mut contracts[p as usize];
                c.0 += 1;
                c.1 += i32::from(is_key);
            }
        }
        self.record(Fact::Residents {
            day: 0,
            delta: self.pop.people.len() as i32,
            key_group: key,
            access_known: self.pop.people.len() as i32,
            within_access: access,
        });
        for (i, (n, k)) in contracts.into_iter().enumerate() {
            if n > 0 {
                self.record(Fact::Contracts {
                    day: 0,
                    institution: Ix(i as u32),
                    delta: n,
                    key_group: k,
                });
            }
        }
    }

    fn capacity_facts(&mut self, d: usize) {
        for (i, inst) in self.m.institutions.iter().enumerate() {
            let _ = self.acc.record(&Fact::Capacity {
                day: d as Day,
                institution: Ix(i as u32),
                slots: inst.public + inst.reserved,
                beds: self.m.inpatient.as_ref().map_or(0, |ip| ip.beds[i]),
            });
        }
    }

    /// Schedules an event; one past the horizon is dropped (it would not
    /// happen within the run).
    fn push(&mut self, e: Pending) {
        let d = e.t as usize;
        if e.t >= self.days as f64 {
            if in_episode(&e) {
                self.tally.past_horizon += 1;
            }
            return;
        }
        if d <= self.day {
            self.today_seq += 1;
            self.today.push(Today(e, self.today_seq));
        } else {
            self.buckets[d].push(e);
        }
    }

    fn handle(&mut self, e: Pending) {
        match e.what {
            What::Episode => self.episode(e),
            What::Visit(kind) => self.visit(e, kind),
            What::Referral { from_primary } => self.request(e, Kind::Up, from_primary),
            What::FollowUp => self.follow_up(e),
            What::Chronic => self.chronic(e),
        }
    }
}

impl Person {
    fn trust(&self) -> f64 {
        f64::from(self.trust) / TRUST_SCALE
    }

    fn add_trust(&mut self, delta: f64) {
        if delta != 0.0 {
            let t = (self.trust() + delta).clamp(0.0, 1.0);
            self.trust = (t * TRUST_SCALE).round() as u16;
        }
    }
}

pub(crate) fn initial_trust(t: f64) -> u16 {
    (t.clamp(0.0, 1.0) * TRUST_SCALE).round() as u16
}
