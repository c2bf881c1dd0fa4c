//! Residents' care over the past year: visits at every level, referrals up
//! and down, care plans and their follow-ups, e-consults, remote readings
//! at the alliances' hubs.
//!
//! The history is a discrete-event run over an agenda of timed steps. Each
//! day new illness episodes are drawn for the residents (seasonal, by age
//! and chronic disease) and put on the agenda; each step, taken in time
//! order with the services' clock set to its time, calls the real service
//! as the right actor and puts its consequences on the agenda (a visit's
//! arrival and end, a referral's triage, booking, visit, report, the
//! downward referral, the patient's decision, the follow-ups). Steps due
//! after the last day are left undone: the loops still open "today".
//! Nothing is written behind the services' back, so every indicator is
//! counted by the same code as live use.

mod cast;
mod contracts;
mod down;
mod mix;
mod readings;
mod referrals;
mod slots;
mod visits;

use crate::demo::{at_midnight, loader, stream, working};
use cast::Cast;
use mix::{Case, Dice, Mix, chance};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::demo::DemoCounty;
use tiercare_core::resident::Contract;
use tiercare_service::clock::Clock;
use tiercare_store::Query;
use time::{Date, Duration, OffsetDateTime};

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HistoryReport {
    /// Finished visits by level (primary, secondary, tertiary).
    pub visits: [u64; 3],
    /// Self-referred hospital visits without an emergency (bypasses).
    pub bypass: u64,
    pub emergencies: u64,
    pub referrals_up: u64,
    pub declined: u64,
    pub referrals_down: u64,
    /// Downward referrals the patient refused.
    pub refused_down: u64,
    pub follow_ups_done: u64,
    pub follow_ups_missed: u64,
    pub consults: u64,
    pub contracts_renewed: u64,
    pub contracts_signed: u64,
    /// Visits adjudicated under the resident's insurance scheme.
    pub claims: u64,
    /// Outpatient slots opened for the history's bookings.
    pub slots: u64,
    /// Steps the services refused as conflicts (a slot just taken, a
    /// referral already in flight to the hospital).
    pub refused: u64,
    /// Remote readings ordered from the hubs, and reported with a critical
    /// finding.
    pub readings: u64,
    pub critical_readings: u64,
}

impl HistoryReport {
    /// Adds another shard's counts.
    fn add(&mut self, o: &HistoryReport) {
        for (a, b) in self.visits.iter_mut().zip(o.visits) {
            *a += b;
        }
        self.bypass += o.bypass;
        self.emergencies += o.emergencies;
        self.referrals_up += o.referrals_up;
        self.declined += o.declined;
        self.referrals_down += o.referrals_down;
        self.refused_down += o.refused_down;
        self.follow_ups_done += o.follow_ups_done;
        self.follow_ups_missed += o.follow_ups_missed;
        self.consults += o.consults;
        self.contracts_renewed += o.contracts_renewed;
        self.contracts_signed += o.contracts_signed;
        self.claims += o.claims;
        self.slots += o.slots;
        self.refused += o.refused;
        self.readings += o.readings;
        self.critical_readings += o.critical_readings;
    }

    /// The share of finished visits at primary level.
    pub fn primary_share(&self) -> f64 {
        let all: u64 = self.visits.iter().sum();
        if all == 0 {
            0.0
        } else {
            self.visits[0] as f64 / all as f64
        }
    }
}

impl fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [p, s, t] = self.visits;
        write!(
            f,
            "{} visits ({p} primary, {s} secondary, {t} tertiary; {:.0}% at primary), \
             {} bypasses, {} emergencies; {} referrals up ({} declined), {} down ({} refused); \
             follow-ups {} done, {} missed; {} e-consults; contracts {} renewed, {} signed; {} claims; {} slots opened; {} steps refused; {} remote readings ({} critical)",
            p + s + t,
            100.0 * self.primary_share(),
            self.bypass,
            self.emergencies,
            self.referrals_up,
            self.declined,
            self.referrals_down,
            self.refused_down,
            self.follow_ups_done,
            self.follow_ups_missed,
            self.consults,
            self.contracts_renewed,
            self.contracts_signed,
            self.claims,
            self.slots,
            self.refused,
            self.readings,
            self.critical_readings,
        )
    }
}

/// A step on the agenda.
#[derive(Debug, Clone)]
enum Step {
    /// A resident with a new problem books a visit.
    Contact(visits::Contact),
    /// The patient of a self-booked visit arrives.
    Arrive(visits::Visit),
    /// The self-booked visit is over.
    Finish(visits::Visit),
    /// The specialist answers an e-consult; the family doctor closes it.
    Answer(visits::Consulted),
    /// A referral step.
    Loop(referrals::Loop),
    /// A contract renewed or signed.
    Contract(contracts::Change),
    /// A hub's reader reports, or the family doctor acknowledges a
    /// critical alert.
    Read(readings::Reading),
}

/// The running history: the services' state, the county, the agenda.
struct Run<'a> {
    state: &'a AppState,
    admin: Actor,
    cast: Arc<Cast>,
    /// This run's share of the residents: those whose index is `shard`
    /// modulo [`SHARDS`].
    shard: usize,
    mix: Mix,
    dice: Dice,
    agenda: BTreeMap<(OffsetDateTime, u64), Step>,
    seq: u64,
    slots: slots::Slots,
    report: HistoryReport,
    /// Ids handed out so far (referrals, consults), for stable ids.
    ids: u64,
    /// Contracts renewed or signed during the history, with the family
    /// doctor they give.
    signed: HashMap<usize, (Contract, Actor)>,
    /// The remote readings' own dice, so they leave the visits' and
    /// referrals' draws as they were.
    reading_dice: Dice,
    reading_seq: u64,
    /// The doctor who ordered each reading not yet reported.
    reading_doctors: HashMap<String, Actor>,
}

impl Run<'_> {
    fn plan(&mut self, at: OffsetDateTime, step: Step) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), step);
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.ids += 1;
        format!("{prefix}{:02}-{:06}", self.shard, self.ids)
    }

    /// Draws the day's new illness episodes and puts them on the agenda.
    fn episodes(&mut self, day: Date) {
        let weekend = !working(day);
        let season = 1.0 + 0.15 * mix::winter(day);
        let scale = if weekend { 0.5 } else { 1.1 } * season / 365.0;
        for i in (self.shard..self.cast.people.len()).step_by(SHARDS) {
            let p = &self.cast.people[i];
            let age = p.age_on(day);
            let rate = Mix::yearly_rate(age, p.chronic) * scale;
            if !chance(&mut self.dice, rate) {
                continue;
            }
            let case: Case = self.mix.draw(&mut self.dice, day, age, p.chronic).clone();
            // Morning and early afternoon, China time (00:05-06:00 UTC).
            let minute = mix::between(&mut self.dice, 5, 360);
            let contact = visits::Contact {
                person: i,
                case,
                weekend,
            };
            self.plan(
                at_midnight(day) + Duration::minutes(minute),
                Step::Contact(contact),
            );
        }
    }

    async fn take(&mut self, step: Step) -> anyhow::Result<()> {
        match step {
            Step::Contact(c) => self.contact(c).await,
            Step::Arrive(v) => self.arrive(v).await,
            Step::Finish(v) => self.finish(v).await,
            Step::Answer(c) => self.answer(c).await,
            Step::Loop(l) => self.step(l).await,
            Step::Contract(c) => self.contract(c).await,
            Step::Read(r) => self.read(r).await,
        }
    }
}

/// The next working day after `day`.
fn next_working_day(day: Date) -> Date {
    let mut d = day + Duration::days(1);
    while !working(d) {
        d += Duration::days(1);
    }
    d
}

/// `day` at `minutes` past 00:00 UTC (08:00 China time).
fn at(day: Date, minutes: i64) -> OffsetDateTime {
    at_midnight(day) + Duration::minutes(minutes)
}

/// Residents are split into this many shards, each run on its own clock
/// by its own task. The store commits the writes of concurrent callers
/// together (group commit), so the shards share each durable commit
/// instead of waiting for the disk one service call at a time. Shards
/// never touch each other's patients or slots, so the history depends only
/// on the seed, not on how the shards interleave.
const SHARDS: usize = 16;
// Each shard's slots start at its own minute of the slot grid.
const _: () = assert!(SHARDS as i64 <= slots::SLOT_MINUTES);

/// Runs the county's activity from `first` to `last` (inclusive) through
/// the services. Each shard runs on a clone of `state` with its own clock,
/// moved step by step; `state`'s clock is left alone.
pub async fn run(
    state: &AppState,
    county: &DemoCounty,
    first: Date,
    last: Date,
    seed: u64,
) -> anyhow::Result<HistoryReport> {
    let cast = Arc::new(Cast::of(county)?);
    let (started, before) = (std::time::Instant::now(), state.ctx.store.commit_stats());
    let mut tasks = tokio::task::JoinSet::new();
    for shard in 0..SHARDS {
        let state = state.clone().with_clock(Clock::set_at(at_midnight(first)));
        let cast = cast.clone();
        tasks.spawn(async move {
            let mut run = Run {
                state: &state,
                admin: loader(),
                cast,
                shard,
                mix: Mix::bundled()?,
                dice: stream(seed, shard as u64),
                agenda: BTreeMap::new(),
                seq: 0,
                slots: slots::Slots::new(shard as i64),
                report: HistoryReport::default(),
                ids: 0,
                signed: HashMap::new(),
                reading_dice: stream(seed ^ 0x6875_6273, shard as u64),
                reading_seq: 0,
                reading_doctors: HashMap::new(),
            };
            run.days(first, last).await?;
            run.report.slots = run.slots.opened as u64;
            anyhow::Ok(run.report)
        });
    }
    let mut report = HistoryReport::default();
    while let Some(done) = tasks.join_next().await {
        report.add(&done??);
    }
    report.claims = count(state, "ExplanationOfBenefit").await?;
    let after = state.ctx.store.commit_stats();
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        calls = after.calls - before.calls,
        commits = after.commits - before.commits,
        "demo history loaded through the services"
    );
    Ok(report)
}

impl Run<'_> {
    /// Every day from `first` to `last`: the day's episodes, then every
    /// step due that day in time order.
    async fn days(&mut self, first: Date, last: Date) -> anyhow::Result<()> {
        self.contracts(first, last);
        let mut day = first;
        while day <= last {
            self.episodes(day);
            let end = at_midnight(day + Duration::days(1));
            while let Some(entry) = self.agenda.first_entry() {
                if entry.key().0 >= end {
                    break;
                }
                let ((when, _), step) = entry.remove_entry();
                self.state.ctx.clock.set(when);
                self.take(step)
                    .await
                    .map_err(|e| e.context(format!("the demo history at {when}")))?;
            }
            day += Duration::days(1);
        }
        Ok(())
    }
}

/// Records of a type in the store.
async fn count(state: &AppState, resource_type: &str) -> anyhow::Result<u64> {
    let query = Query {
        resource_type: resource_type.into(),
        filters: vec![],
        count: 0,
        offset: 0,
    };
    Ok(state.ctx.store.search(&query).await?.1)
}
