//! The indicator benchmark: visit facts loaded through the store with the
//! daily aggregates kept in the same transactions, then a year's
//! indicators for the region read from the aggregates, against the same
//! year recomputed from every raw fact (the scan the aggregates avoid).

use std::time::{Duration, Instant};
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::indicators::{Accumulator, Charge, Fact, Period, Subject, Visit, VisitKind};
use tiercare_core::insurance::Fen;
use tiercare_service::indicators::{SubjectRef, day_of, evaluate, network};
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
    let mut raw = Accumulator::new(network(&state.ctx).await?.directory);
    for f in state.ctx.store.indicator_facts().await? {
        raw.record(&f).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
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

/// `tiercare bench --demo-history`: the demo county with its default past
/// year loaded through the services into a fresh database, then the last
/// 12 months' indicators for the region over HTTP, `runs` times each: every
/// measure's `$evaluate-measure` report (the dashboard's one call) and the
/// dashboard page itself, against `GET /healthz` timed in the same run as
/// the baseline (the machine is shared, so ratios travel better).
pub async fn demo_history(runs: usize, json: bool) -> anyhow::Result<()> {
    use crate::bench::{ms, percentile};
    use crate::demo::{self, HistoryOptions};
    use crate::startup;
    use anyhow::Context;
    use tiercare_core::demo::DemoCounty;

    let county = DemoCounty::generate(DemoCounty::DEFAULT_RESIDENTS, 2026);
    let (dir, settings, state) =
        crate::bench::fresh_state("tiercare-bench-history", &county).await?;
    let options = HistoryOptions {
        days: HistoryOptions::DEFAULT_DAYS,
        seed: HistoryOptions::DEFAULT_SEED,
    };
    let started = Instant::now();
    let (_, history) = demo::load_with_history(&state, &county, options).await?;
    let load = started.elapsed();
    let history = history.context("a fresh database gets a history")?;

    let listener = startup::bind(&settings).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server_state = state.clone();
    let server = tokio::spawn(async move {
        tiercare_api::serve(
            listener,
            server_state,
            tiercare_web::routes(),
            std::future::pending(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let analyst = county
        .users
        .iter()
        .find(|u| u.username == "analyst")
        .context("demo analyst user")?;
    let token = crate::bench::login(&client, &base, &county, "analyst").await?;
    let session = ui_session(&client, &base, &analyst.username, &analyst.password).await?;

    let today = state.ctx.clock.today();
    let first = today - time::Duration::days(364);
    let health = timed(runs, || client.get(format!("{base}/healthz"))).await?;
    let measure_url =
        format!("{base}/fhir/r4/Measure/$evaluate-measure?periodStart={first}&periodEnd={today}");
    let measures = timed(runs, || client.get(&measure_url).bearer_auth(&token)).await?;
    let page_url = format!("{base}/ui/dashboard?from={first}&to={today}&subject=region");
    let cookie = format!("tiercare_session={session}");
    let pages = timed(runs, || client.get(&page_url).header("cookie", &cookie)).await?;
    server.abort();
    state.ctx.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let base_p50 = ms(percentile(&health, 0.5)).max(1e-9);
    let max = |v: &[Duration]| v.last().copied().map_or(0.0, ms);
    let figures = serde_json::json!({
        "residents": DemoCounty::DEFAULT_RESIDENTS,
        "history_days": options.days,
        "history": history.care.to_string(),
        "load_seconds": load.as_secs_f64(),
        "runs": runs,
        "healthz_p50_ms": base_p50,
        "healthz_max_ms": max(&health),
        "evaluate_measure_year_p50_ms": ms(percentile(&measures, 0.5)),
        "evaluate_measure_year_max_ms": max(&measures),
        "evaluate_measure_p50_ratio_vs_healthz": ms(percentile(&measures, 0.5)) / base_p50,
        "dashboard_year_p50_ms": ms(percentile(&pages, 0.5)),
        "dashboard_year_max_ms": max(&pages),
        "dashboard_p50_ratio_vs_healthz": ms(percentile(&pages, 0.5)) / base_p50,
    });
    if json {
        println!("{figures}");
        return Ok(());
    }
    println!(
        "tiercare bench --demo-history: {} residents, {} days loaded in {:.1} s",
        DemoCounty::DEFAULT_RESIDENTS,
        options.days,
        load.as_secs_f64()
    );
    println!("  history: {}", history.care);
    println!("  last 12 months for the region, {runs} runs each:");
    println!(
        "  baseline GET /healthz           p50 {:>8.3} ms  max {:>8.3} ms",
        base_p50,
        max(&health)
    );
    for (name, v) in [
        ("Measure/$evaluate-measure", &measures),
        ("GET /ui/dashboard        ", &pages),
    ] {
        let p50 = ms(percentile(v, 0.5));
        println!(
            "  {name}       p50 {p50:>8.3} ms  max {:>8.3} ms  ({:.1}x the healthz p50)",
            max(v),
            p50 / base_p50
        );
    }
    Ok(())
}

/// Times `runs` requests one after another; each must succeed. Sorted.
async fn timed(
    runs: usize,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let resp = request().send().await?;
        let status = resp.status();
        resp.bytes().await?;
        anyhow::ensure!(status.is_success(), "request failed: {status}");
        out.push(t.elapsed());
    }
    out.sort();
    Ok(out)
}

/// Signs in through the web UI's form; returns the session cookie's value.
async fn ui_session(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/ui/login")).send().await?;
    let login_cookie = cookie(&form, "tiercare_login")?;
    let html = form.text().await?;
    let marker = r#"name="csrf" value=""#;
    let csrf = html
        .split_once(marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.to_string())
        .ok_or_else(|| anyhow::anyhow!("the sign-in form has no csrf field"))?;
    let resp = client
        .post(format!("{base}/ui/login"))
        .header("cookie", format!("tiercare_login={login_cookie}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    cookie(&resp, "tiercare_session")
}

/// The value a response sets for cookie `name`.
fn cookie(resp: &reqwest::Response, name: &str) -> anyhow::Result<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .ok_or_else(|| anyhow::anyhow!("no {name} cookie (status {})", resp.status()))
}
