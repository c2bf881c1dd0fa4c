//! `tiercare bench`: Patient create throughput and read latency through the
//! real HTTP server on a fresh embedded database, each reported with a
//! baseline measured in the same run (the machine is shared and noisy, so
//! ratios travel better than raw figures):
//!
//! - create throughput vs. the store alone writing the same records
//!   (durable commits, no HTTP, no validation);
//! - read latency vs. `GET /healthz` (an HTTP round trip with no database);
//! - the referral loop (create, accept, book, arrive, complete, refer down),
//!   closed loop with `concurrency` clients: steps per second vs. the store
//!   baseline;
//! - the same steps offered at a fixed rate (open loop): achieved rate vs.
//!   the offered one, latency from each step's due time vs. one lone store
//!   write;
//! - the disk's fsync rate, the ceiling of one-commit-per-write stores.

use crate::config::Settings;
use crate::{demo, startup};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tiercare_core::demo::DemoCounty;
use tiercare_store::{CommitStats, Expect, Write};
use tokio::sync::Semaphore;

/// Options of the benchmark.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Patients to create over HTTP (and to write in the store baseline).
    #[arg(long, default_value_t = 2000)]
    pub patients: usize,
    /// Reads to time.
    #[arg(long, default_value_t = 2000)]
    pub reads: usize,
    /// Concurrent clients for the create phase.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Referrals to walk through the whole loop (create, accept, book,
    /// arrive, complete with report, refer down).
    #[arg(long, default_value_t = 300)]
    pub referrals: usize,
    /// Referral steps per second offered in the open-loop phase, sent on
    /// schedule whatever the answers (0 skips the phase).
    #[arg(long, default_value_t = 500.0)]
    pub offered_rps: f64,
    /// Seconds the open-loop phase offers steps for.
    #[arg(long, default_value_t = 4.0)]
    pub offered_seconds: f64,
    /// Visit facts to load for the indicator benchmark (0 skips it); the
    /// issue's figure is taken with 10,000,000.
    #[arg(long, default_value_t = 1_000_000)]
    pub indicator_visits: usize,
    /// Print the figures as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Instead of the other phases: load the demo county with its default
    /// past year into a fresh database and time the last 12 months'
    /// indicators over HTTP (`$evaluate-measure` and the dashboard page)
    /// against `GET /healthz`.
    #[arg(long)]
    pub demo_history: bool,
    /// Timed requests of each kind in the `--demo-history` mode.
    #[arg(long, default_value_t = 50)]
    pub demo_history_runs: usize,
}

fn patient(i: usize, team: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://tiercare.org/fhir/sid/resident-id", "value": format!("BENCH{i:08}")}],
        "name": [{"family": "Bench", "given": [format!("Resident{i}")]}],
        "gender": if i.is_multiple_of(2) { "female" } else { "male" },
        "birthDate": "1958-03-14",
        "address": [{"district": "Hekou Town"}],
        "extension": [{
            "url": "https://tiercare.org/fhir/StructureDefinition/family-doctor-contract",
            "extension": [
                {"url": "team", "valueReference": {"reference": format!("CareTeam/{team}")}},
                {"url": "signed", "valueDate": "2026-01-01"}
            ]
        }]
    })
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed_gets(
    client: &reqwest::Client,
    urls: Vec<String>,
    token: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(urls.len());
    for url in urls {
        let t = Instant::now();
        let resp = client.get(&url).bearer_auth(token).send().await?;
        if !resp.status().is_success() {
            bail!("GET {url}: {}", resp.status());
        }
        resp.bytes().await?;
        out.push(t.elapsed());
    }
    out.sort();
    Ok(out)
}

/// Runs the benchmark and prints its figures.
/// A fresh embedded database for `county` in a temporary folder (the
/// caller removes it), with settings that listen on a free port.
pub async fn fresh_state(
    name: &str,
    county: &DemoCounty,
) -> anyhow::Result<(std::path::PathBuf, Settings, tiercare_api::AppState)> {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.join("bench.db").display()),
        region_id: county.region.id.to_string(),
        region_name: county.region.name.clone(),
        ..Settings::default()
    };
    let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
    Ok((dir, settings, state))
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.demo_history {
        return crate::bench_indicators::demo_history(args.demo_history_runs, args.json).await;
    }
    let county = DemoCounty::generate(0, 2026);
    let (dir, settings, state) = fresh_state("tiercare-bench", &county).await?;
    demo::load(&state, &county).await?;
    let team = "team-tc1-1";
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

    let client = reqwest::Client::new();
    let token = login(&client, &base, &county, "admin").await?;

    // Baseline 1: the store alone, one durable transaction per record.
    let region = state.ctx.region.clone();
    let mut records = Vec::with_capacity(args.patients);
    for i in 0..args.patients {
        let mut r = tiercare_fhir::RegistryType::Patient
            .parse(patient(i, team), &format!("base-{i}"), &region)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let tiercare_core::Record::Resident(res) = &mut r {
            res.identifier = Some(format!("BASE{i:08}"));
        }
        records.push(r);
    }
    let t = Instant::now();
    for r in records {
        let index = tiercare_fhir::index(&r);
        state
            .ctx
            .store
            .write(
                Write {
                    record: r,
                    expect: Expect::New,
                    index,
                    actor: "bench".into(),
                    events: Vec::new(),
                    facts: Vec::new(),
                },
                None,
            )
            .await?;
    }
    let store_rate = args.patients as f64 / t.elapsed().as_secs_f64();

    // Patient create over HTTP, `concurrency` clients.
    let sem = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(args.patients);
    for i in 0..args.patients {
        let permit = sem.clone().acquire_owned().await?;
        let (client, url, token, body) = (
            client.clone(),
            format!("{base}/fhir/r4/Patient"),
            token.clone(),
            patient(i, team),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let resp = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/fhir+json")
                .json(&body)
                .send()
                .await?;
            let status = resp.status();
            let v: Value = resp.json().await?;
            if status.as_u16() != 201 {
                bail!("create failed: {status} {v}");
            }
            Ok::<String, anyhow::Error>(v["id"].as_str().unwrap_or_default().to_string())
        }));
    }
    let mut ids = Vec::with_capacity(args.patients);
    for task in tasks {
        ids.push(task.await??);
    }
    let create_rate = args.patients as f64 / t.elapsed().as_secs_f64();

    // Read latency, one client, against the HTTP round-trip baseline.
    let health = timed_gets(
        &client,
        (0..args.reads).map(|_| format!("{base}/healthz")).collect(),
        &token,
    )
    .await?;
    let urls = (0..args.reads)
        .map(|i| format!("{base}/fhir/r4/Patient/{}", ids[(i * 7919) % ids.len()]))
        .collect();
    let reads = timed_gets(&client, urls, &token).await?;

    // The referral loop: six steps per referral, `concurrency` clients,
    // then the same steps offered at a fixed rate.
    let walker = Walker {
        client: client.clone(),
        base: base.clone(),
        doctor: login(&client, &base, &county, "doctor").await?,
        coordinator: login(&client, &base, &county, "coordinator").await?,
        specialist: login(&client, &base, &county, "specialist").await?,
    };
    let loop_figures = referral_loop(&state, &walker, &ids, &args).await?;
    let offered = open_loop(&state, &walker, &ids, &args).await?;
    let estimates = estimate_rate(&state.ctx.policy, 20_000)?;
    let claims = claim_rate(&state, &ids, 2_000, args.concurrency).await?;
    let fsyncs = fsync_rate(&dir, 300)?;
    let indicators = if args.indicator_visits > 0 {
        Some(crate::bench_indicators::measure(&state, args.indicator_visits, 20_000).await?)
    } else {
        None
    };
    server.abort();
    state.ctx.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    // One lone durable store write, the floor under a step's latency.
    let store_write_ms = 1000.0 / store_rate;
    let figures = json!({
        "patients": args.patients,
        "concurrency": args.concurrency,
        "store_writes_per_second": store_rate,
        "http_creates_per_second": create_rate,
        "create_ratio_vs_store": create_rate / store_rate,
        "healthz_p50_ms": ms(percentile(&health, 0.5)),
        "healthz_p99_ms": ms(percentile(&health, 0.99)),
        "read_p50_ms": ms(percentile(&reads, 0.5)),
        "read_p99_ms": ms(percentile(&reads, 0.99)),
        "read_p50_ratio_vs_healthz": ms(percentile(&reads, 0.5)) / ms(percentile(&health, 0.5)).max(1e-9),
        "referrals": args.referrals,
        "referral_steps_per_second": loop_figures.steps_per_second,
        "referral_step_p50_ms": ms(percentile(&loop_figures.latencies, 0.5)),
        "referral_step_p99_ms": ms(percentile(&loop_figures.latencies, 0.99)),
        "referral_steps_ratio_vs_store": loop_figures.steps_per_second / store_rate,
        "referral_step_p50_ms_by_step": loop_figures.step_medians(),
        "referral_calls_per_commit": loop_figures.calls_per_commit,
        "offered_steps_per_second": args.offered_rps,
        "offered_seconds": args.offered_seconds,
        "offered_steps": offered.latencies.len(),
        "offered_achieved_steps_per_second": offered.steps_per_second,
        "offered_achieved_ratio": offered.steps_per_second / args.offered_rps.max(1e-9),
        "offered_p50_ms": offered.p(0.5),
        "offered_p99_ms": offered.p(0.99),
        "offered_max_ms": offered.max(),
        "offered_p50_ratio_vs_store_write": offered.p(0.5) / store_write_ms,
        "offered_step_p50_ms_by_step": offered.step_medians(),
        "offered_calls_per_commit": offered.calls_per_commit,
        "estimates_per_second": estimates,
        "estimates_ratio_vs_store": estimates / store_rate,
        "claims_per_second": claims,
        "claims_ratio_vs_store": claims / store_rate,
        "disk_fsyncs_per_second": fsyncs,
        "store_writes_ratio_vs_fsyncs": store_rate / fsyncs,
        "indicator_visits": indicators.as_ref().map(|i| i.visits),
        "indicator_days": indicators.as_ref().map(|i| i.days),
        "indicator_ingest_per_second": indicators.as_ref().map(|i| i.ingest_per_second),
        "indicator_ingest_ratio_vs_store": indicators.as_ref().map(|i| i.ingest_per_second / store_rate),
        "indicator_year_query_p50_ms": indicators.as_ref().map(|i| ms(percentile(&i.query, 0.5))),
        "indicator_year_query_max_ms": indicators.as_ref().and_then(|i| i.query.last().copied().map(ms)),
        "indicator_raw_scan_ms": indicators.as_ref().map(|i| ms(i.raw_scan)),
    });
    if args.json {
        println!("{figures}");
    } else {
        println!(
            "tiercare bench: {} patients, {} reads, {} concurrent creators",
            args.patients, args.reads, args.concurrency
        );
        println!("  baseline store writes      {:>9.0} /s", store_rate);
        println!(
            "  Patient create over HTTP   {:>9.0} /s   ({:.2}x the store baseline)",
            create_rate,
            create_rate / store_rate
        );
        println!(
            "  baseline GET /healthz      p50 {:>7.3} ms  p99 {:>7.3} ms",
            ms(percentile(&health, 0.5)),
            ms(percentile(&health, 0.99))
        );
        println!(
            "  Patient read (audited)     p50 {:>7.3} ms  p99 {:>7.3} ms  ({:.1}x the healthz p50)",
            ms(percentile(&reads, 0.5)),
            ms(percentile(&reads, 0.99)),
            figures["read_p50_ratio_vs_healthz"]
                .as_f64()
                .unwrap_or_default()
        );
        println!(
            "  referral loop steps        {:>9.0} /s   ({:.2}x the store baseline; {} referrals x 6 steps)",
            loop_figures.steps_per_second,
            loop_figures.steps_per_second / store_rate,
            args.referrals
        );
        println!(
            "  referral step latency      p50 {:>7.3} ms  p99 {:>7.3} ms  ({} concurrent clients, {:.1} writes per commit)",
            ms(percentile(&loop_figures.latencies, 0.5)),
            ms(percentile(&loop_figures.latencies, 0.99)),
            args.concurrency,
            loop_figures.calls_per_commit
        );
        if offered.latencies.is_empty() {
            println!("  offered load phase         skipped (--offered-rps 0)");
        } else {
            println!(
                "  offered {:>5.0} steps/s      {:>9.0} /s   ({:.2}x the offered rate; {} steps over {:.0} s)",
                args.offered_rps,
                offered.steps_per_second,
                offered.steps_per_second / args.offered_rps.max(1e-9),
                offered.latencies.len(),
                args.offered_seconds
            );
            println!(
                "  offered step latency       p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  ({:.1}x a lone store write; {:.1} writes per commit)",
                offered.p(0.5),
                offered.p(0.99),
                offered.max(),
                offered.p(0.5) / store_write_ms,
                offered.calls_per_commit
            );
        }
        println!(
            "  estimates (core)           {:>9.0} /s   ({:.0}x the store baseline; 3 levels x 2 each)",
            estimates,
            estimates / store_rate
        );
        println!(
            "  claims through the store   {:>9.0} /s   ({:.2}x the store baseline; claim + account per transaction)",
            claims,
            claims / store_rate
        );
        println!(
            "  disk fsyncs (write+fsync)  {:>9.0} /s   (store baseline at {:.2}x this)",
            fsyncs,
            store_rate / fsyncs
        );
        if let Some(i) = &indicators {
            println!(
                "  indicator facts ingested   {:>9.0} /s   ({:.0}x the store baseline; {} visits over {} days, aggregates kept in each write)",
                i.ingest_per_second,
                i.ingest_per_second / store_rate,
                i.visits,
                i.days
            );
            let p50 = ms(percentile(&i.query, 0.5));
            println!(
                "  a year's region indicators p50 {:>7.3} ms  max {:>7.3} ms  (raw scan of every fact: {:.0} ms, {:.0}x slower)",
                p50,
                i.query.last().copied().map_or(0.0, ms),
                ms(i.raw_scan),
                ms(i.raw_scan) / p50.max(1e-9)
            );
        }
    }
    Ok(())
}

/// What a referral loop phase measured.
#[derive(Default)]
struct LoopFigures {
    steps_per_second: f64,
    /// Every step's latency, sorted.
    latencies: Vec<Duration>,
    /// Each kind of step's latencies (in [`STEPS`] order), sorted.
    by_step: [Vec<Duration>; 6],
    /// Store write calls per commit during the phase (group commit).
    calls_per_commit: f64,
}

impl LoopFigures {
    fn add(&mut self, times: [Duration; 6]) {
        for (s, d) in times.into_iter().enumerate() {
            self.latencies.push(d);
            self.by_step[s].push(d);
        }
    }

    fn finish(&mut self, elapsed: Duration, before: CommitStats, after: CommitStats) {
        self.steps_per_second = self.latencies.len() as f64 / elapsed.as_secs_f64();
        self.latencies.sort();
        for l in &mut self.by_step {
            l.sort();
        }
        let commits = after.commits.saturating_sub(before.commits).max(1);
        self.calls_per_commit = after.calls.saturating_sub(before.calls) as f64 / commits as f64;
    }

    fn p(&self, p: f64) -> f64 {
        ms(percentile(&self.latencies, p))
    }

    fn max(&self) -> f64 {
        self.latencies.last().copied().map_or(0.0, ms)
    }

    /// Median latency of each step kind, by name.
    fn step_medians(&self) -> Value {
        STEPS
            .iter()
            .zip(&self.by_step)
            .map(|(name, l)| (name.to_string(), json!(ms(percentile(l, 0.5)))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// Logs in a demo user and returns the bearer token.
pub(crate) async fn login(
    client: &reqwest::Client,
    base: &str,
    county: &DemoCounty,
    who: &str,
) -> anyhow::Result<String> {
    let user = county
        .users
        .iter()
        .find(|u| u.username == who)
        .context("demo user")?;
    let tok: Value = client
        .post(format!("{base}/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &user.username),
            ("password", &user.password),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(tok["access_token"]
        .as_str()
        .context("token response")?
        .to_string())
}

/// One POST; fails unless the status is `expect`.
async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
    expect: u16,
) -> anyhow::Result<Value> {
    let resp = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .json(&body)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let v: Value = resp.json().await?;
    if status != expect {
        bail!("POST {url}: {status} {v}");
    }
    Ok(v)
}

/// The six steps of the loop, in order.
const STEPS: [&str; 6] = [
    "create",
    "accept",
    "book",
    "arrive",
    "complete",
    "refer-down",
];

/// Who walks the referrals, and where.
#[derive(Clone)]
struct Walker {
    client: reqwest::Client,
    base: String,
    doctor: String,
    coordinator: String,
    /// A hospital doctor, who refers the patient back down.
    specialist: String,
}

impl Walker {
    /// Walks one referral of `patient` through the six steps, booking
    /// `slot`, and returns each step's latency.
    ///
    /// Without a schedule each step is sent when the previous one has
    /// answered and timed from its own send. With one (the open-loop phase),
    /// step `s` is due at `schedule[s]` and timed from then, not from when
    /// it could actually be sent: a step held up behind a slow predecessor
    /// counts that wait too, so a stall is not hidden by sending less
    /// (coordinated omission).
    async fn walk(
        &self,
        patient: &str,
        slot: &str,
        schedule: Option<[tokio::time::Instant; 6]>,
    ) -> anyhow::Result<[Duration; 6]> {
        let base = &self.base;
        let mut times = [Duration::ZERO; 6];
        let mut id = String::new();
        for (s, name) in STEPS.iter().enumerate() {
            let from = match schedule {
                Some(due) => {
                    tokio::time::sleep_until(due[s]).await;
                    due[s]
                }
                None => tokio::time::Instant::now(),
            };
            let none = json!({"resourceType": "Parameters"});
            let (url, token, body, expect) = match *name {
                "create" => (
                    format!("{base}/fhir/r4/ServiceRequest"),
                    &self.doctor,
                    json!({
                        "resourceType": "ServiceRequest",
                        "subject": {"reference": format!("Patient/{patient}")},
                        "performer": [{"reference": "Organization/zx-h1"}],
                        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                        "note": [{"text": "Exertional chest pain."}]
                    }),
                    201,
                ),
                "book" => (
                    format!("{base}/fhir/r4/ServiceRequest/{id}/$book"),
                    &self.coordinator,
                    json!({"resourceType": "Parameters", "parameter": [
                        {"name": "slot", "valueReference": {"reference": format!("Slot/{slot}")}}]}),
                    200,
                ),
                "complete" => (
                    format!("{base}/fhir/r4/ServiceRequest/{id}/$complete"),
                    &self.coordinator,
                    json!({"resourceType": "Parameters", "parameter": [
                        {"name": "report-summary", "valueString": "Stable angina."}]}),
                    200,
                ),
                "refer-down" => (
                    format!("{base}/fhir/r4/ServiceRequest"),
                    &self.specialist,
                    json!({
                        "resourceType": "ServiceRequest",
                        "subject": {"reference": format!("Patient/{patient}")},
                        "performer": [{"reference": "Organization/zx-tc1"}],
                        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                        "note": [{"text": "Stable angina, treated; follow up in primary care."}]
                    }),
                    201,
                ),
                other => (
                    format!("{base}/fhir/r4/ServiceRequest/{id}/${other}"),
                    &self.coordinator,
                    none,
                    200,
                ),
            };
            let v = post(&self.client, url, token, body, expect).await?;
            times[s] = from.elapsed();
            if *name == "create" {
                id = v["id"].as_str().unwrap_or_default().to_string();
            }
        }
        Ok(times)
    }
}

/// Opens a session of `n` slots at the cardiology clinic of zx-h1 starting
/// `days` days from now, one slot per referral, and returns the slot ids.
async fn open_slots(
    state: &tiercare_api::AppState,
    n: usize,
    days: i64,
) -> anyhow::Result<Vec<String>> {
    use tiercare_core::booking::SessionPlan;
    let schedule: tiercare_core::ScheduleId = "zx-h1-cardiology".parse()?;
    let institution: tiercare_core::InstitutionId = "zx-h1".parse()?;
    let day = (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: tiercare_core::Specialty::Cardiology,
        start: time::PrimitiveDateTime::new(day, time::Time::MIDNIGHT).assume_utc(),
        slot_minutes: SLOT_MINUTES,
        slots: u32::try_from(n)?,
    };
    let loader = tiercare_core::access::Actor {
        username: "bench".into(),
        role: tiercare_core::access::UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    tiercare_service::referrals::Referrals::new(&state.ctx, &loader)
        .open_session(&plan)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(plan
        .slots(&state.ctx.policy)
        .into_iter()
        .map(|s| s.id.to_string())
        .collect())
}

/// Length of a bench slot; sessions of many slots run over several days.
const SLOT_MINUTES: u32 = 5;

/// Whole days a session of `n` bench slots covers, rounded up.
fn days_for(n: usize) -> i64 {
    let minutes = n as i64 * i64::from(SLOT_MINUTES);
    minutes / (24 * 60) + 1
}

/// Walks `args.referrals` referrals through the whole loop over HTTP, with
/// durable commits, `concurrency` clients each starting the next referral
/// when the last is done (closed loop), and times every step.
async fn referral_loop(
    state: &tiercare_api::AppState,
    walker: &Walker,
    patients: &[String],
    args: &BenchArgs,
) -> anyhow::Result<LoopFigures> {
    let n = args.referrals;
    if n == 0 || patients.is_empty() {
        return Ok(LoopFigures::default());
    }
    let slots = open_slots(state, n, 30).await?;
    let commits = state.ctx.store.commit_stats();
    let sem = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (i, slot) in slots.into_iter().enumerate() {
        let permit = sem.clone().acquire_owned().await?;
        let walker = walker.clone();
        let patient = patients[i % patients.len()].clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            walker.walk(&patient, &slot, None).await
        }));
    }
    let mut figures = LoopFigures::default();
    for task in tasks {
        figures.add(task.await??);
    }
    figures.finish(t.elapsed(), commits, state.ctx.store.commit_stats());
    Ok(figures)
}

/// Gap the open-loop schedule leaves between two steps of one referral,
/// so that a step is normally answered before the next one is due.
const STEP_GAP: Duration = Duration::from_millis(100);

/// Offers referral steps at `args.offered_rps` for about
/// `args.offered_seconds`, whatever the answers (open loop), and times
/// each from when it was due.
///
/// Step `k` of the run is due at `k / rate` exactly. Steps are dealt to
/// referrals in rounds of `6 g` steps over `g` referrals, step `s` of the
/// `i`th referral of a round at `6 g q + s g + i`: the steps of one referral
/// are `g / rate` (about [`STEP_GAP`]) apart, and the offered rate is even
/// from the first step to the last, with no ramp.
async fn open_loop(
    state: &tiercare_api::AppState,
    walker: &Walker,
    patients: &[String],
    args: &BenchArgs,
) -> anyhow::Result<LoopFigures> {
    let rate = args.offered_rps;
    if rate <= 0.0 || args.offered_seconds <= 0.0 || patients.is_empty() {
        return Ok(LoopFigures::default());
    }
    let group = ((STEP_GAP.as_secs_f64() * rate).ceil() as usize).max(1);
    let per_round = STEPS.len() * group;
    let rounds = ((rate * args.offered_seconds) / per_round as f64)
        .ceil()
        .max(1.0) as usize;
    let n = rounds * group;
    // After the closed loop's slots.
    let slots = open_slots(state, n, 31 + days_for(args.referrals)).await?;
    let commits = state.ctx.store.commit_stats();
    // Time to spawn every walker before the first step is due.
    let t0 = tokio::time::Instant::now() + Duration::from_millis(200);
    let at = |k: usize| t0 + Duration::from_secs_f64(k as f64 / rate);
    let mut tasks = Vec::with_capacity(n);
    for (j, slot) in slots.into_iter().enumerate() {
        let (q, i) = (j / group, j % group);
        let due: [tokio::time::Instant; 6] =
            std::array::from_fn(|s| at(q * per_round + s * group + i));
        let walker = walker.clone();
        let patient = patients[j % patients.len()].clone();
        tasks.push(tokio::spawn(async move {
            walker.walk(&patient, &slot, Some(due)).await
        }));
    }
    let mut figures = LoopFigures::default();
    for task in tasks {
        figures.add(task.await??);
    }
    // From the first due step to the last answer.
    figures.finish(t0.elapsed(), commits, state.ctx.store.commit_stats());
    Ok(figures)
}

/// Writes and fsyncs a small file `n` times: the disk's durable-commit
/// ceiling, beside which the store's figures make sense.
fn fsync_rate(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let t = Instant::now();
    for i in 0..n {
        f.write_all(format!("{i}\n").as_bytes())?;
        f.sync_all()?;
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}

/// Estimates per second from the core's pure `estimate` (three levels,
/// with and without a referral: six adjudications each).
fn estimate_rate(policy: &tiercare_core::policy::Policy, n: usize) -> anyhow::Result<f64> {
    use tiercare_core::insurance::{Accumulator, Fen, SchemeId, ServiceType, Visit, estimate};
    let rules = policy
        .insurance
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the policy has no insurance rules"))?;
    let scheme = SchemeId::new("urrbmi")?;
    let date = time::OffsetDateTime::now_utc().date();
    let acc = Accumulator::new(scheme.clone(), date.year());
    let started = Instant::now();
    let mut checksum = 0i64;
    for i in 0..n {
        let visit = Visit {
            scheme: scheme.clone(),
            level: tiercare_core::Level::Primary,
            service: ServiceType::Outpatient,
            total: Fen::new(10_000 + (i as i64 % 50_000)),
            date,
            referral: None,
            follow_up: false,
            emergency: false,
            at_contracted_primary: i % 2 == 0,
            episode_deductible_paid: Fen::ZERO,
        };
        let e = estimate(rules, &visit, &acc)?;
        checksum = checksum.wrapping_add(e.rows[0].self_referred.out_of_pocket.fen());
    }
    std::hint::black_box(checksum);
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Claims adjudicated per second through the store: each claim reads the
/// resident's yearly account, adjudicates, and writes the claim, its
/// event and the account in one durable transaction, `concurrency`
/// residents at a time.
async fn claim_rate(
    state: &tiercare_api::AppState,
    residents: &[String],
    claims: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    use tiercare_core::Record;
    use tiercare_core::booking::Encounter;
    use tiercare_core::events::Event;
    use tiercare_core::insurance::{
        Accumulator, Claim, Fen, SchemeId, ServiceType, Visit, YearAccount, adjudicate,
    };
    use tiercare_store::{Expect, Write};
    let rules = state
        .ctx
        .policy
        .insurance
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the policy has no insurance rules"))?;
    let scheme = SchemeId::new("urrbmi")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let workers = concurrency.max(1).min(residents.len().max(1));
    for w in 0..workers {
        let store = state.ctx.store.clone();
        let rules = rules.clone();
        let scheme = scheme.clone();
        let mine: Vec<String> = residents.iter().skip(w).step_by(workers).cloned().collect();
        let count = claims / workers;
        tasks.spawn(async move {
            for i in 0..count {
                let Some(resident) = mine.get(i % mine.len().max(1)) else {
                    break;
                };
                let now = time::OffsetDateTime::now_utc();
                let encounter: tiercare_core::EncounterId = format!("bench-{w}-{i}").parse()?;
                let account_id = YearAccount::id_for(&resident.parse()?, &scheme, now.year())
                    .ok_or_else(|| anyhow::anyhow!("account id"))?;
                let (acc, expect) = match store.get("Account", account_id.as_str()).await? {
                    Some(s) => match s.record {
                        Record::Account(a) => (a.accumulator, Expect::Version(s.version)),
                        _ => anyhow::bail!("not an account"),
                    },
                    None => (Accumulator::new(scheme.clone(), now.year()), Expect::New),
                };
                let e = Encounter {
                    id: encounter.clone(),
                    patient: resident.parse()?,
                    institution: "zx-tc1".parse()?,
                    specialty: tiercare_core::Specialty::GeneralPractice,
                    inpatient: false,
                    referral: None,
                    appointment: None,
                    arrived: now,
                    finished: Some(now),
                };
                let visit = Visit {
                    scheme: scheme.clone(),
                    level: tiercare_core::Level::Primary,
                    service: ServiceType::Outpatient,
                    total: Fen::yuan(86),
                    date: now.date(),
                    referral: None,
                    follow_up: false,
                    emergency: false,
                    at_contracted_primary: true,
                    episode_deductible_paid: Fen::ZERO,
                };
                let adjudication = adjudicate(&rules, &visit, &acc)?;
                let claim = Claim {
                    id: Claim::id_for(&e.id).ok_or_else(|| anyhow::anyhow!("claim id"))?,
                    encounter: e.id.clone(),
                    patient: e.patient.clone(),
                    institution: e.institution.clone(),
                    visit,
                    adjudication: adjudication.clone(),
                    created: now,
                };
                let account = YearAccount {
                    id: account_id,
                    resident: e.patient.clone(),
                    accumulator: adjudication.accumulator,
                };
                let writes = vec![
                    Write {
                        index: tiercare_fhir::index(&Record::Claim(Box::new(claim.clone()))),
                        events: vec![Event::ClaimAdjudicated {
                            claim: Box::new(claim.clone()),
                        }],
                        record: Record::Claim(Box::new(claim)),
                        expect: Expect::New,
                        actor: "bench".into(),
                        facts: Vec::new(),
                    },
                    Write {
                        index: Vec::new(),
                        events: Vec::new(),
                        record: Record::Account(account),
                        expect,
                        actor: "bench".into(),
                        facts: Vec::new(),
                    },
                ];
                store.write_all(writes, Vec::new()).await?;
            }
            Ok::<usize, anyhow::Error>(count)
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        done += r??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}
