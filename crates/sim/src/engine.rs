//! The discrete-event engine: one partition (a county) simulated day by
//! day, its facts fed to the core's indicator accumulator.
//!
//! Time is in days (fractions are times of day). Every future event lands
//! in the bucket of its day; a day's bucket is sorted by time (stably, so
//! ties keep the order they were made in) and run in order. Requests are
//! therefore served in the order they are made, and a run depends only on
//! its seed: partitions have their own generators and are merged in
//! order, whatever the number of threads.

use crate::model::{Entry, Model, PriceKind};
use crate::population::{Person, Population};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BinaryHeap;
use tiercare_core::Level;
use tiercare_core::booking::{ReservedAccess, reserved_open};
use tiercare_core::catalogue::Severity;
use tiercare_core::indicators::{
    Accumulator, Charge, Day, Direction, Fact, Ix, REGULAR_FOLLOW_UP_DAYS, Visit, VisitKind,
};

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
    case: u16,
    what: What,
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
        };
        if fixed {
            p.fixed_choice = Some(p.choice_table());
        }
        p
    }

    /// Runs every day and returns the facts' accumulator and how the
    /// episodes ended.
    pub(crate) fn run(mut self, progress: &(dyn Fn() + Sync)) -> (Accumulator, Tally) {
        self.opening_facts();
        self.schedule_chronic();
        let mut arrivals = self.pop.first_arrivals(&mut self.rng);
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
                    let who = self.pop.pick(g, &mut self.rng);
                    self.buckets[d].push(Pending {
                        t: *next,
                        since: *next,
                        who,
                        inst: 0,
                        case: 0,
                        what: What::Episode,
                    });
                    *next += self.pop.gap(g, &mut self.rng);
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
            if (d + 1) % 30 == 0 || d + 1 == self.days {
                self.month_end(d);
            }
            progress();
        }
        (self.acc, self.tally)
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
                beds: 0,
            });
        }
    }

    /// Every chronic patient's first follow-up falls somewhere in the
    /// first interval; the one before it was an interval earlier.
    fn schedule_chronic(&mut self) {
        let Some(c) = &self.m.chronic else { return };
        let interval = c.interval_days;
        for k in 0..self.pop.chronic.len() {
            let who = self.pop.chronic[k];
            let t = self.rng.random::<f64>() * interval;
            self.pop.people[who as usize].last_chronic = (t - interval).floor() as i16;
            self.push(Pending {
                t,
                since: t,
                who,
                inst: 0,
                case: 0,
                what: What::Chronic,
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

    fn episode(&mut self, e: Pending) {
        self.record(Fact::Episode { day: e.t as Day });
        self.tally.started += 1;
        let u: f64 = self.rng.random();
        let case = self
            .m
            .cases
            .partition_point(|c| c.upto <= u)
            .min(self.m.cases.len() - 1);
        let person = self.pop.people[e.who as usize];
        let Some(level) = self.choose(e.who as usize, &person, case, e.t) else {
            self.tally.stayed_home += 1;
            return;
        };
        let Some(inst) = self.m.places[person.place as usize].nearest[level] else {
            self.tally.stayed_home += 1;
            return;
        };
        self.request(
            Pending {
                case: case as u16,
                inst,
                ..e
            },
            Kind::First,
            false,
        );
    }

    /// Books a visit at `e.inst` requested at `e.t` and, when it falls
    /// today, makes it at once; otherwise it is scheduled. A visit that
    /// would fall past the horizon ends the episode.
    fn request(&mut self, e: Pending, kind: Kind, primary_referral: bool) {
        let urgent = self.m.cases[usize::from(e.case)].severity == Severity::Severe;
        let Some(at) = self.book(e.inst as usize, e.t, primary_referral, urgent) else {
            if kind != Kind::Chronic {
                self.tally.past_horizon += 1;
            }
            return;
        };
        let visit = Pending {
            t: at,
            since: e.t,
            what: What::Visit(kind),
            ..e
        };
        if at <= e.t {
            self.visit(visit, kind);
        } else {
            self.push(visit);
        }
    }

    /// The first day from the request's on which the institution has a slot
    /// open to this claimant; the visit's time, or `None` past the horizon.
    fn book(&mut self, inst: usize, tau: f64, primary_referral: bool, urgent: bool) -> Option<f64> {
        let i = &self.m.institutions[inst];
        let base = inst * self.days;
        let mut d = tau as usize;
        while d < self.days {
            let k = base + d;
            let public_free = self.public[k] < i.public;
            let reserved_free = self.reserved[k] < i.reserved;
            let reserved_ok = reserved_free && {
                let minutes = ((d as f64 - tau) * 1440.0) as i64;
                reserved_open(&self.m.policy, primary_referral, urgent, minutes)
                    == ReservedAccess::Open
            };
            // A referral takes the capacity kept for it first.
            if primary_referral && reserved_ok {
                self.reserved[k] += 1;
            } else if public_free {
                self.public[k] += 1;
            } else if reserved_ok {
                self.reserved[k] += 1;
            } else {
                d += 1;
                continue;
            }
            return Some(tau.max(d as f64));
        }
        None
    }

    /// The level a resident goes to first, or `None` to stay home. What
    /// the resident weighs: the price given what they already paid this
    /// year (as `$estimate` shows it), and the wait they would be quoted.
    fn choose(&mut self, who: usize, person: &Person, case: usize, now: f64) -> Option<usize> {
        let u: f64 = self.rng.random();
        if let Some(table) = &self.fixed_choice {
            let cum = table[self.choice_key(person, case)];
            return pick(&cum, u);
        }
        let m = self.m;
        let own_year = m.year_matters;
        let mut utility = self.base_utilities(
            person.place as usize,
            case,
            person.contracted(),
            person.scheme(),
            !own_year,
        );
        let place = &m.places[person.place as usize];
        let emergency = m.cases[case].emergency;
        for level in Level::ALL {
            let l = level.index();
            let Some(i) = place.nearest[l] else { continue };
            if !utility[l].is_finite() {
                continue;
            }
            if own_year {
                let own = person.contracted() && level == Level::Primary;
                let terms = m.terms(level, PriceKind::SelfReferred, own, emergency);
                let mut used = self.pop.year_use(who);
                let price = m.settle(person.scheme(), &terms, &mut used);
                utility[l] +=
                    m.choice.out_of_pocket_per_yuan * price.out_of_pocket.fen() as f64 / 100.0;
            }
            if m.choice.wait_per_day != 0.0 {
                utility[l] += m.choice.wait_per_day * self.quoted_wait(i as usize, now);
            }
        }
        if utility[0].is_finite() {
            utility[0] += m.choice.trust * person.trust();
        }
        pick(&cumulative(&utility), u)
    }

    /// Days from `now` to the first day with a public slot at `inst`.
    fn quoted_wait(&mut self, inst: usize, now: f64) -> f64 {
        let cap = self.m.institutions[inst].public;
        let base = inst * self.days;
        let mut d = self.open_from[inst].max(now as usize);
        while d < self.days && self.public[base + d] >= cap {
            d += 1;
        }
        self.open_from[inst] = d;
        (d as f64 - now).max(0.0)
    }

    fn choice_key(&self, person: &Person, case: usize) -> usize {
        let schemes = self.m.scheme_codes.len();
        ((person.place as usize * self.m.cases.len() + case) * 2 + usize::from(person.contracted()))
            * schemes
            + usize::from(person.scheme())
    }

    fn choice_table(&self) -> Vec<[f64; 4]> {
        let mut out = Vec::new();
        for place in 0..self.m.places.len() {
            for case in 0..self.m.cases.len() {
                for contracted in [false, true] {
                    for scheme in 0..self.m.scheme_codes.len() {
                        let u = self.base_utilities(place, case, contracted, scheme as u8, true);
                        out.push(cumulative(&u));
                    }
                }
            }
        }
        out
    }

    /// Utilities of the nearest institution of each level and of staying
    /// home, without trust and waits (and without the price unless
    /// `fresh_price`: the price on a fresh year); unreachable or closed
    /// levels are minus infinity.
    fn base_utilities(
        &self,
        place: usize,
        case: usize,
        contracted: bool,
        scheme: u8,
        fresh_price: bool,
    ) -> [f64; 4] {
        let m = self.m;
        let c = &m.choice;
        let p = &m.places[place];
        let ct = &m.cases[case];
        let fit = match ct.severity {
            Severity::Mild => c.severity_fit.mild,
            Severity::Moderate => c.severity_fit.moderate,
            Severity::Severe => c.severity_fit.severe,
        };
        let mut u = [f64::NEG_INFINITY; 4];
        for level in Level::ALL {
            let l = level.index();
            if p.nearest[l].is_none() || (m.entry[l] == Entry::Closed && !ct.emergency) {
                continue;
            }
            let own = contracted && level == Level::Primary;
            let price = if fresh_price {
                m.price(scheme, level, PriceKind::SelfReferred, own)
                    .out_of_pocket
                    .fen() as f64
                    / 100.0
            } else {
                0.0
            };
            u[l] = c.asc[l]
                + fit[l]
                + c.out_of_pocket_per_yuan * price
                + c.travel_per_hour * p.travel_hours[l]
                + if own { c.contract } else { 0.0 };
        }
        if let Some(s) = c.stay_home {
            u[3] = s;
        }
        u
    }

    /// A visit takes place: its fact, the resident's trust, and what the
    /// episode does next.
    fn visit(&mut self, e: Pending, kind: Kind) {
        let m = self.m;
        let inst = &m.institutions[e.inst as usize];
        let level = inst.level;
        let ct = m.cases[usize::from(e.case)];
        let who = e.who as usize;
        let person = self.pop.people[who];
        let place = person.place as usize;
        let own = person.contracted() && self.own_primary[place] == Some(e.inst);
        let emergency = ct.emergency && kind == Kind::First;
        let price = if m.year_matters {
            let terms = m.terms(level, kind.price_kind(), own, emergency);
            let mut used = self.pop.year_use(who);
            let price = m.settle(person.scheme(), &terms, &mut used);
            self.pop.set_year_use(who, used);
            price
        } else {
            m.price(person.scheme(), level, kind.price_kind(), own)
        };
        let wait = e.t - e.since;
        let day = e.t as Day;
        let positioned = if kind == Kind::Chronic {
            Level::Primary
        } else {
            ct.positioned
        };
        self.record(Fact::Visit(Visit {
            day,
            institution: Ix(e.inst),
            level,
            kind: kind.visit_kind(),
            positioned: Some(positioned),
            emergency,
            inpatient: false,
            resident: true,
            charge: Some(Charge {
                scheme: person.scheme(),
                cost: price.cost,
                out_of_pocket: price.out_of_pocket,
            }),
            wait_days: wait as f32,
        }));
        let trust = &m.trust;
        if level == Level::Primary && wait > trust.long_wait_days {
            self.pop.people[who].add_trust(trust.long_wait);
        }
        match kind {
            Kind::First => {
                let treats_here = level >= ct.positioned
                    || (inst.upgraded
                        && level.up() == Some(ct.positioned)
                        && ct.severity != Severity::Severe);
                if !treats_here {
                    let target =
                        (ct.positioned.index()..3).find_map(|l| m.places[place].nearest[l]);
                    if let Some(to) = target {
                        self.record(Fact::Referral {
                            day,
                            from: Ix(e.inst),
                            to: Ix(to),
                            direction: Direction::Up,
                        });
                        if level == Level::Primary {
                            self.pop.people[who].add_trust(trust.referred_on);
                        }
                        self.push(Pending {
                            t: e.t + m.referral.delay_days,
                            since: e.t,
                            what: What::Referral {
                                from_primary: level == Level::Primary,
                            },
                            inst: to,
                            ..e
                        });
                        return;
                    }
                }
                if level == Level::Primary {
                    self.pop.people[who].add_trust(trust.resolved_at_primary);
                }
                self.after_treatment(e, ct.positioned);
            }
            Kind::Up => {
                self.referral_done(e, day, e.since);
                self.after_treatment(e, ct.positioned);
            }
            Kind::Down => {
                self.referral_done(e, day, e.since);
                self.tally.completed += 1;
            }
            Kind::FollowUp => self.tally.completed += 1,
            Kind::Chronic => {
                if level == Level::Primary {
                    self.pop.people[who].last_chronic = day as i16;
                }
                if let Some(c) = &m.chronic {
                    let next = e.since + c.interval_days;
                    self.push(Pending {
                        t: next,
                        since: next,
                        what: What::Chronic,
                        ..e
                    });
                }
            }
        }
    }

    fn referral_done(&mut self, e: Pending, day: Day, requested: f64) {
        let report_back = self.rng.random::<f64>() < self.m.referral.report_back_share;
        self.record(Fact::ReferralBooked {
            day,
            to: Ix(e.inst),
            wait_days: (day - requested as Day).max(0) as u32,
        });
        self.record(Fact::ReferralCompleted {
            day,
            to: Ix(e.inst),
            report_back,
        });
    }

    /// A hospital episode gets its follow-up; any other ends here.
    fn after_treatment(&mut self, e: Pending, positioned: Level) {
        let f = &self.m.follow_up;
        if positioned >= f.from_level {
            self.push(Pending {
                t: e.t + f.delay_days,
                since: e.t,
                what: What::FollowUp,
                ..e
            });
        } else {
            self.tally.completed += 1;
        }
    }

    /// The follow-up: referred down to the resident's primary institution,
    /// or back at the institution that treated them.
    fn follow_up(&mut self, e: Pending) {
        let m = self.m;
        let person = self.pop.people[e.who as usize];
        let treated = &m.institutions[e.inst as usize];
        let p_down = if person.contracted() {
            m.follow_up.down_share_contracted
        } else {
            m.follow_up.down_share_other
        };
        let home = self.own_primary[person.place as usize];
        if treated.level > Level::Primary
            && self.rng.random::<f64>() < p_down
            && let Some(to) = home
        {
            self.record(Fact::Referral {
                day: e.t as Day,
                from: Ix(e.inst),
                to: Ix(to),
                direction: Direction::Down,
            });
            self.request(Pending { inst: to, ..e }, Kind::Down, false);
            return;
        }
        self.request(e, Kind::FollowUp, false);
    }

    /// A chronic patient's follow-up, at their primary institution or the
    /// nearest hospital.
    fn chronic(&mut self, e: Pending) {
        let person = self.pop.people[e.who as usize];
        let place = &self.m.places[person.place as usize];
        let at = if person.chronic_at_primary() {
            place.nearest[0]
        } else {
            place.nearest[1].or(place.nearest[2])
        };
        if let Some(inst) = at.or(place.nearest[0]) {
            self.request(Pending { inst, ..e }, Kind::Chronic, false);
        }
    }

    /// Month-end: the chronic panels' snapshot and outreach's trust.
    fn month_end(&mut self, d: usize) {
        let day = d as Day;
        if self.m.chronic.is_some() {
            let mut panel = vec![(0u32, 0u32); self.m.institutions.len()];
            for &who in &self.pop.chronic {
                let p = self.pop.people[who as usize];
                if let Some(home) = self.own_primary[p.place as usize] {
                    let row = &mut panel[home as usize];
                    row.0 += 1;
                    row.1 += u32::from(i32::from(p.last_chronic) > day - REGULAR_FOLLOW_UP_DAYS);
                }
            }
            for (i, (known, followed)) in panel.into_iter().enumerate() {
                if self.m.institutions[i].level == Level::Primary {
                    self.record(Fact::ChronicPanel {
                        day,
                        institution: Ix(i as u32),
                        known,
                        followed,
                    });
                }
            }
        }
        let boost = self.m.trust.outreach_per_month;
        if boost != 0.0 {
            for k in 0..self.pop.people.len() {
                let place = self.pop.people[k].place as usize;
                let upgraded = self.own_primary[place]
                    .is_some_and(|i| self.m.institutions[i as usize].upgraded);
                if upgraded {
                    self.pop.people[k].add_trust(boost);
                }
            }
        }
    }
}

/// Cumulative logit probabilities of `utility` (minus infinity = not an
/// option).
fn cumulative(utility: &[f64; 4]) -> [f64; 4] {
    let top = utility.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut w = [0.0; 4];
    let mut sum = 0.0;
    for (w, u) in w.iter_mut().zip(utility) {
        if u.is_finite() {
            sum += (u - top).exp();
        }
        *w = sum;
    }
    if sum > 0.0 {
        for w in &mut w {
            *w /= sum;
        }
    }
    w
}

/// The option a uniform draw falls on: a level index, or `None` for
/// staying home (or no option at all).
fn pick(cum: &[f64; 4], u: f64) -> Option<usize> {
    let k = cum.iter().position(|&c| u < c)?;
    (k < 3).then_some(k)
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
