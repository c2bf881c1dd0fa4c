//! The rest of the county: the residents beyond the demo's synthetic ones.
//!
//! The synthetic residents (3,000 by default) live through the services:
//! their records are what the pages show and what a doctor works with. A
//! county of 867,000 cannot be loaded that way in a minute, and without
//! the rest of its people its registered capacity (4,420 beds, 40,000
//! outpatient slots a day) stands empty, so utilisation and the pyramid
//! would mean nothing. The simulator therefore runs the county's other
//! residents over the same days, under the same rules, through the same
//! core counters (`scenarios/zx-baseline.toml`, the demo county as the
//! simulator describes it, institution by institution), and its daily
//! counters are added to the platform's own aggregates, institution by
//! institution and day by day. Every figure the dashboard,
//! `$evaluate-measure` and the CSV files read is then the sum of the two:
//! what the platform recorded for its synthetic residents, and what the
//! simulator counted for everyone else. Only the second has no records
//! behind it; the store keeps no raw facts for it, and the audit trail
//! records the hand-over.
//!
//! The resource flows between institutions (patients referred up and
//! down, reserved slots used, the fund's money for referred care) are
//! handed over the same way, so the county's network is the sum of both
//! too.
//!
//! The chronic panels stay the platform's own: they are snapshots of the
//! family doctors' panels, which a simulated stock would be cancelled by.

use crate::demo::loader;
use anyhow::Context as _;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::demo::DemoCounty;
use tiercare_core::flows::add_flow;
use tiercare_core::indicators::{Counters, Day, Ix, Period, Subject};
use tiercare_service::indicators::day_of;
use tiercare_sim::{Model, Spec, run_once};
use tiercare_store::{AuditEntry, AuditOutcome};
use time::Date;

/// The demo county as the simulator describes it.
const SCENARIO: &str = include_str!("../../../../scenarios/zx-baseline.toml");

/// What the simulated part of the county added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountyReport {
    /// Residents simulated: the county's population less the synthetic
    /// residents.
    pub residents: u64,
    pub outpatient_visits: u64,
    pub admissions: u64,
    pub bed_days: u64,
    /// Aggregate rows (institution and day) handed to the store.
    pub rows: usize,
}

/// Runs the county's other residents from `first` for `days` days and adds
/// their counters to the store's aggregates.
pub async fn run(
    state: &AppState,
    county: &DemoCounty,
    first: Date,
    days: u32,
    seed: u64,
) -> anyhow::Result<CountyReport> {
    let synthetic = county
        .records
        .iter()
        .filter(|r| matches!(r, Record::Resident(_)))
        .count() as u64;
    let residents = county.region.population.saturating_sub(synthetic);
    if residents == 0 || days == 0 {
        return Ok(CountyReport::default());
    }
    let mut spec = Spec::from_toml(SCENARIO).context("the demo county's scenario")?;
    spec.days = days;
    let model = Model::compile(&spec, Some(residents)).context("the demo county's scenario")?;
    let run = tokio::task::spawn_blocking(move || {
        let run = run_once(&model, seed, 0, &|| {});
        (model, run)
    });
    let (model, run) = run.await.context("the county simulation stopped")?;
    // The simulator numbers institutions in its own order; the platform
    // gives each its own number on first use.
    let mut numbers = Vec::with_capacity(model.institutions.len());
    for i in &model.institutions {
        let known = county
            .records
            .iter()
            .any(|r| matches!(r, Record::Institution(x) if x.id.as_str() == i.id));
        anyhow::ensure!(
            known,
            "the scenario's institution {} is not in the demo county",
            i.id
        );
        numbers.push(state.ctx.store.institution_ix(&i.id).await?);
    }
    let start = day_of(first);
    let mut rows: Vec<(Day, Option<Ix>, Counters)> = Vec::new();
    for (day, ix, c) in run.accumulator.rows() {
        let ix = match ix {
            Some(Ix(i)) => Some(
                *numbers
                    .get(i as usize)
                    .context("a simulated institution out of range")?,
            ),
            None => None,
        };
        let mut c = c.clone();
        c.chronic_known = 0;
        c.chronic_followed = 0;
        // A flow names its receiver by the simulator's number too.
        let mut flows = Vec::with_capacity(c.flows.len());
        for f in &c.flows {
            let to = *numbers
                .get(f.to.0 as usize)
                .context("a simulated flow's receiver out of range")?;
            add_flow(&mut flows, to, f.kind, f.amount);
        }
        c.flows = flows;
        if c != Counters::default() {
            rows.push((start + day, ix, c));
        }
    }
    state.ctx.store.add_indicator_counters(&rows).await?;
    let all = run
        .accumulator
        .indicators(Period::new(0, days as i32 - 1), Subject::Region);
    let report = CountyReport {
        residents,
        outpatient_visits: all.outpatient_visits,
        admissions: all.admissions,
        bed_days: all.tally.institutions.bed_days,
        rows: rows.len(),
    };
    let admin = loader();
    let entry = AuditEntry {
        seq: 0,
        recorded_at: String::new(),
        username: admin.username.clone(),
        role: admin.role.code().to_string(),
        action: "import".into(),
        resource_type: "MeasureReport".into(),
        resource_id: None,
        patient: None,
        outcome: AuditOutcome::Success,
        detail: format!(
            "indicator counters of the county's other {residents} residents, simulated \
             ({}, seed {seed}, {days} days from {first}): {} daily rows, {} outpatient \
             visits, {} admissions",
            spec.name, report.rows, report.outpatient_visits, report.admissions
        ),
    };
    state.ctx.store.audit(&[entry]).await?;
    Ok(report)
}

impl std::fmt::Display for CountyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} residents, {} outpatient visits, {} admissions, {} bed days ({} daily rows)",
            self.residents, self.outpatient_visits, self.admissions, self.bed_days, self.rows
        )
    }
}
