//! The indicator benchmark: visit facts loaded through the store with the
//! daily aggregates kept in the same transactions, then a year's
//! indicators for the region read from the aggregates, against the same
//! year recomputed from every raw fact (the scan the aggregates avoid).

use std::time::{Duration, Instant};
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::indicators::{Charge, Fact, Period, Subject, Visit, VisitKind};
use tiercare_core::insurance::Fen;
use tiercare_service::indicators::{SubjectRef, day_of, evaluate, network, recount};
use tiercare_store::{Expect, Write};

/// What the benchmark measured.
pub struct IndicatorFigures {
    pub visits: usize,
    pub days: i32,
    pub ingest_per_second: f64,
    /// A year's region indicators from the aggregates: every run, sorted.
    pub query: Vec<Duration>,
    /// The same year recomputed from the raw facts.
    pub raw_scan: Duration,
}

/// A small deterministic generator: the data is varied, the run repeatable.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Loads `visits` visit facts over the two years to today, spread over the
/// demo county's institutions, in writes of `batch` facts.
pub async fn measure(
    state: &AppState,
    visits: usize,
    batch: usize,
) -> anyhow::Result<IndicatorFigures> {
    let net = network(&state.ctx).await?;
    let mut numbered = Vec::new();
    for (k, id) in net.institutions.iter().enumerate() {
        let ix = state.ctx.store.institution_ix(id).await?;
        numbered.push((ix, net.directory.institutions[k].level));
    }
    anyhow::ensure!(!numbered.is_empty(), "the bench region has no institutions");
    let today = day_of(time::OffsetDateTime::now_utc().date());
    let days = 730;
    let template = tiercare_fhir::RegistryType::Patient
        .parse(
            serde_json::json!({
                "resourceType": "Patient",
                "name": [{"family": "Bench", "given": ["Indicators"]}],
                "gender": "female",
                "birthDate": "1960-01-01"
            }),
            "bench-indicators-0",
            &state.ctx.region,
            state.ctx.clock.today(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rng = Lcg(2026);
    let started = Instant::now();
    let mut done = 0;
    let mut k = 0;
    while done < visits {
        let n = batch.min(visits - done);
        let facts: Vec<Fact> = (0..n)
            .map(|_| {
                let (ix, level) = numbered[rng.below(numbered.len() as u64) as usize];
                let cost = [8_600, 16_000, 22_600][level.index()];
                Fact::Visit(Visit {
                    day: today - rng.below(days as u64) as i32,
                    institution: ix,
                    level,
                    kind: [
                        VisitKind::FirstContact,
                        VisitKind::FirstContact,
                        VisitKind::FirstContact,
                        VisitKind::ReferredUp,
                        VisitKind::FollowUp,
                    ][rng.below(5) as usize],
                    positioned: Some(tiercare_core::Level::ALL[rng.below(3) as usize]),
                    emergency: rng.below(50) == 0,
                    inpatient: rng.below(20) == 0,
                    resident: rng.below(10) != 0,
                    charge: Some(Charge {
                        scheme: rng.below(2) as u8,
                        cost: Fen::new(cost),
                        out_of_pocket: Fen::new(cost * (20 + rng.below(40) as i64) / 100),
                    }),
                    wait_days: 0.0,
                })
            })
            .collect();
        let mut record = template.clone();
        if let Record::Resident(r) = &mut record {
            r.id = tiercare_core::ResidentId::new(format!("bench-indicators-{k}"))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        state
            .ctx
            .store
            .write(
                Write {
                    record,
                    expect: Expect::New,
                    index: vec![],
                    actor: "bench".into(),
                    events: vec![],
                    facts,
                },
                None,
            )
            .await?;
        done += n;
        k += 1;
    }
    let ingest = started.elapsed();
    let year = Period::new(today - 364, today);
    let mut query = Vec::new();
    let mut visits_seen = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let (_, i) = evaluate(&state.ctx, year, &SubjectRef::Region).await?;
        query.push(t.elapsed());
        visits_seen = i.visits;
    }
    query.sort();
    let t = Instant::now();
    let raw = recount(&state.ctx, &network(&state.ctx).await?).await?;
    let from_raw = raw.indicators(year, Subject::Region);
    let raw_scan = t.elapsed();
    anyhow::ensure!(
        from_raw.visits == visits_seen,
        "aggregates and raw facts disagree: {} against {}",
        visits_seen,
        from_raw.visits
    );
    Ok(IndicatorFigures {
        visits,
        days,
        ingest_per_second: visits as f64 / ingest.as_secs_f64(),
        query,
        raw_scan,
    })
}
