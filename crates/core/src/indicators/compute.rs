//! From summed counters to the indicators of the module documentation.

use super::Period;
use super::counters::{Counters, Funnel, SCHEME_SLOTS};
use super::readings::{ReadingCounters, ReadingFigures};
use crate::Level;
use crate::referral::DeclineReason;
use serde::Serialize;
use std::collections::BTreeMap;

/// The counters of one subject and period, summed per level.
#[derive(Debug, Clone, Default)]
pub(super) struct Totals {
    pub by_level: [Counters; 3],
    /// Facts of no institution (episodes, residents); only for the region.
    pub region: Counters,
    /// Visits by the region's residents at institutions inside it.
    pub resident_visits_inside: u64,
    /// Physicians, beds and daily slots of the subject's inside
    /// institutions, per level.
    pub pyramid: [(u64, u64, u64); 3],
}

/// One level's layer of the capacity pyramid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PyramidLevel {
    pub level: Level,
    pub physicians: u64,
    pub beds: u64,
    pub daily_slots: u64,
    /// First-contact visits whose case is positioned at this level.
    pub positioned_demand: u64,
    /// This level's share of all physicians, beds, slots and positioned
    /// demand: an upright pyramid has capacity shares following demand.
    pub physician_share: Option<f64>,
    pub bed_share: Option<f64>,
    pub slot_share: Option<f64>,
    pub demand_share: Option<f64>,
}

/// Visits and money of one insurance scheme (by its slot).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeFigures {
    pub scheme: u8,
    pub visits: u64,
    pub expenditure_per_visit_yuan: Option<f64>,
    pub out_of_pocket_share: Option<f64>,
}

/// The figures of one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelFigures {
    pub level: Level,
    pub visits: u64,
    pub outpatient_visits: u64,
    pub admissions: u64,
    /// Mean days from the request to the visit.
    pub mean_wait_days: Option<f64>,
    pub expenditure_per_visit_yuan: Option<f64>,
    pub out_of_pocket_share: Option<f64>,
    pub slot_utilisation: Option<f64>,
    pub bed_utilisation: Option<f64>,
    pub referrals_received_up: u64,
    pub referrals_received_down: u64,
    /// Schemes with visits at this level.
    pub schemes: Vec<SchemeFigures>,
}

/// The counts the figures of [`Indicators`] are formed from: the
/// populations a measure report states next to its score, so a reader can
/// see that 0.75 is 3 of 4 and not 300 of 400.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// The counters of the subject's institutions, summed: flows over the
    /// period, stocks up to its last day.
    pub institutions: Counters,
    /// Facts of no institution (episodes, residents): counted only when the
    /// subject is the whole region.
    pub region: Counters,
    /// Visits by the region's residents at institutions inside it.
    pub resident_visits_inside: u64,
}

/// Every indicator of one subject over one period. Ratios are `None` when
/// their denominator is empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    pub period: Period,
    pub episodes: u64,
    pub visits: u64,
    pub outpatient_visits: u64,
    pub admissions: u64,
    pub primary_visit_share: Option<f64>,
    pub county_retention: Option<f64>,
    pub referrals_up: u64,
    pub referrals_down: u64,
    pub down_up_ratio: Option<f64>,
    pub loop_closure: Option<f64>,
    pub time_to_appointment_days: Option<f64>,
    /// The sent funnel's later steps (counted by cohort, so each is at
    /// most the one before): booked or seen, completed, and completed with
    /// a result report back. The counts behind time to appointment and
    /// loop closure.
    pub referrals_booked: u64,
    pub referrals_completed: u64,
    pub referrals_reported_back: u64,
    pub bypass_share: Option<f64>,
    pub first_contacts: u64,
    pub over_use_share: Option<f64>,
    pub under_capacity_share: Option<f64>,
    /// Declined referrals (of the sent side) by reason code.
    pub declines: BTreeMap<&'static str, u64>,
    pub down_referrals_refused: u64,
    pub total_cost_yuan: f64,
    pub total_out_of_pocket_yuan: f64,
    pub expenditure_per_visit_yuan: Option<f64>,
    pub out_of_pocket_share: Option<f64>,
    pub chronic_management: Option<f64>,
    pub contract_coverage: Option<f64>,
    pub key_group_contract_coverage: Option<f64>,
    pub access: Option<f64>,
    pub slot_utilisation: Option<f64>,
    pub bed_utilisation: Option<f64>,
    pub levels: Vec<LevelFigures>,
    pub pyramid: Vec<PyramidLevel>,
    pub schemes: Vec<SchemeFigures>,
    /// The referral loop of the subject as referrer and as receiver (see
    /// the module documentation); for the region the sent side is every
    /// referral.
    pub sent: Funnel,
    pub received: Funnel,
    /// Remote readings at the subject's hubs (for the region, every
    /// reading), and those the subject's institutions ordered from hubs:
    /// each counted in the cohort of its order day.
    pub readings: ReadingFigures,
    pub readings_ordered: ReadingFigures,
    /// The counts behind the figures. Not serialised: the indicators' JSON
    /// (the simulator's reports flatten it into named figures) lists
    /// figures, and these are their parts.
    #[serde(skip)]
    pub tally: Tally,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn share(num: u64, den: u64) -> Option<f64> {
    ratio(num as f64, den as f64)
}

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

fn schemes_of(c: &Counters) -> Vec<SchemeFigures> {
    (0..SCHEME_SLOTS)
        .filter(|&s| c.schemes[s].visits > 0)
        .map(|s| {
            let f = &c.schemes[s];
            SchemeFigures {
                scheme: s as u8,
                visits: f.visits,
                expenditure_per_visit_yuan: ratio(yuan(f.cost_fen), f.visits as f64),
                out_of_pocket_share: ratio(f.out_of_pocket_fen as f64, f.cost_fen as f64),
            }
        })
        .collect()
}

/// The counters per level with the capacity each level offered over the
/// period. Where no source recorded what was offered day by day (the
/// simulator does; the live platform does not), a level offered its
/// registered capacity every day of the period: its institutions' daily
/// outpatient slots and beds from the registry, the way a commission
/// reckons bed occupancy against the beds it licensed.
fn offered_capacity(period: Period, t: &Totals) -> [Counters; 3] {
    let days = u64::try_from(i64::from(period.last) - i64::from(period.first) + 1).unwrap_or(0);
    let mut by_level = t.by_level.clone();
    for (c, &(_, beds, daily_slots)) in by_level.iter_mut().zip(&t.pyramid) {
        if c.slots_offered == 0 {
            c.slots_offered = daily_slots * days;
        }
        if c.beds_offered == 0 {
            c.beds_offered = beds * days;
        }
    }
    by_level
}

impl Indicators {
    pub(super) fn from_totals(period: Period, t: &Totals) -> Indicators {
        let by_level = offered_capacity(period, t);
        let mut all = Counters::default();
        for c in &by_level {
            all.add(c);
        }
        let [p, s, h] = &by_level;
        let hospital_outpatient = s.outpatient + h.outpatient;
        let levels = Level::ALL
            .iter()
            .map(|&level| {
                let c = &by_level[level.index()];
                LevelFigures {
                    level,
                    visits: c.visits,
                    outpatient_visits: c.outpatient,
                    admissions: c.admissions,
                    mean_wait_days: ratio(c.wait_minutes as f64 / 1440.0, c.visits as f64),
                    expenditure_per_visit_yuan: ratio(yuan(c.cost_fen), c.charged as f64),
                    out_of_pocket_share: ratio(c.out_of_pocket_fen as f64, c.cost_fen as f64),
                    slot_utilisation: share(c.outpatient, c.slots_offered),
                    bed_utilisation: share(c.bed_days, c.beds_offered),
                    referrals_received_up: c.received.up,
                    referrals_received_down: c.received.down,
                    schemes: schemes_of(c),
                }
            })
            .collect();
        let cap_total = t
            .pyramid
            .iter()
            .fold((0, 0, 0), |a, l| (a.0 + l.0, a.1 + l.1, a.2 + l.2));
        let demand_total: u64 = all.positioned.iter().sum();
        let pyramid = Level::ALL
            .iter()
            .map(|&level| {
                let (physicians, beds, daily_slots) = t.pyramid[level.index()];
                let demand = all.positioned[level.index()];
                PyramidLevel {
                    level,
                    physicians,
                    beds,
                    daily_slots,
                    positioned_demand: demand,
                    physician_share: share(physicians, cap_total.0),
                    bed_share: share(beds, cap_total.1),
                    slot_share: share(daily_slots, cap_total.2),
                    demand_share: share(demand, demand_total),
                }
            })
            .collect();
        let declines = DeclineReason::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code(), all.sent.declined[i]))
            .collect();
        let r = &t.region;
        Indicators {
            period,
            episodes: r.episodes,
            visits: all.visits,
            outpatient_visits: all.outpatient,
            admissions: all.admissions,
            primary_visit_share: share(p.outpatient, all.outpatient),
            county_retention: share(t.resident_visits_inside, all.visits_by_residents),
            referrals_up: all.sent.up,
            referrals_down: all.sent.down,
            down_up_ratio: share(all.sent.down, all.sent.up),
            loop_closure: share(all.sent.reported, all.sent.completed),
            time_to_appointment_days: share(all.sent.wait_days, all.sent.booked),
            referrals_booked: all.sent.booked,
            referrals_completed: all.sent.completed,
            referrals_reported_back: all.sent.reported,
            bypass_share: share(all.bypass, hospital_outpatient),
            first_contacts: all.first_contacts,
            over_use_share: share(all.over_use, all.first_contacts),
            under_capacity_share: share(all.under_capacity, all.first_contacts),
            declines,
            down_referrals_refused: all.sent.refused,
            total_cost_yuan: yuan(all.cost_fen),
            total_out_of_pocket_yuan: yuan(all.out_of_pocket_fen),
            expenditure_per_visit_yuan: ratio(yuan(all.cost_fen), all.charged as f64),
            out_of_pocket_share: ratio(all.out_of_pocket_fen as f64, all.cost_fen as f64),
            chronic_management: ratio(all.chronic_followed as f64, all.chronic_known as f64),
            contract_coverage: ratio(all.contracts as f64, r.residents as f64),
            key_group_contract_coverage: ratio(
                all.key_group_contracts as f64,
                r.key_group_residents as f64,
            ),
            access: ratio(r.within_access as f64, r.access_known as f64),
            slot_utilisation: share(all.outpatient, all.slots_offered),
            bed_utilisation: share(all.bed_days, all.beds_offered),
            levels,
            pyramid,
            schemes: schemes_of(&all),
            sent: all.sent,
            received: all.received,
            readings: ReadingFigures::of(
                all.readings.as_deref().unwrap_or(&ReadingCounters::EMPTY),
            ),
            readings_ordered: ReadingFigures::of(
                all.readings_ordered
                    .as_deref()
                    .unwrap_or(&ReadingCounters::EMPTY),
            ),
            tally: Tally {
                institutions: all,
                region: t.region.clone(),
                resident_visits_inside: t.resident_visits_inside,
            },
        }
    }
}
