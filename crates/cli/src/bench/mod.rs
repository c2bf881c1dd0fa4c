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
//! - the disk's fsync rate, the ceiling of one-commit-per-write stores;
//! - insurance estimates (the core alone) and claims through the store;
//! - indicator facts ingested with their daily aggregates, and a year's
//!   indicators from the aggregates vs. a scan of every raw fact;
//! - with `--demo-history`, instead of all that: the demo county's past
//!   year loaded and its indicators timed over HTTP.
//!
//! This file holds the command's options and the run that prints the
//! figures; each phase is measured in the file named for it: `fhir.rs`,
//! `referrals.rs`, `insurance.rs`, `disk.rs`, `indicators.rs`, `history.rs`,
//! with what they share in `harness.rs`.

pub(crate) mod disk;
pub(crate) mod fhir;
pub(crate) mod harness;
mod history;
pub mod indicators;
mod insurance;
pub mod load;
pub(crate) mod referrals;

pub use harness::fresh_state;

use crate::demo;
use crate::startup;
use anyhow::bail;
use fhir::{patient, timed_gets};
use harness::{login, ms, percentile};
use referrals::{Walker, closed_loop, days_for, open_loop, open_loop_size, open_slots};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use tiercare_core::demo::DemoCounty;
use tiercare_store::{Expect, Write};
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

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.demo_history {
        return history::demo_history(args.demo_history_runs, args.json).await;
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
            server_state.clone(),
            tiercare_web::routes(server_state),
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
            .parse(
                patient(i, team),
                &format!("base-{i}"),
                &region,
                state.ctx.clock.today(),
            )
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
    let walker = Walker::sign_in(&client, &base, &county).await?;
    let slots = open_slots(&state, args.referrals, 30).await?;
    let commits = state.ctx.store.commit_stats();
    let mut loop_figures = closed_loop(&walker, &ids, slots, args.concurrency).await?;
    loop_figures.commits(commits, state.ctx.store.commit_stats());
    // After the closed loop's slots.
    let offered_slots = if args.offered_rps > 0.0 && args.offered_seconds > 0.0 {
        let (n, _) = open_loop_size(args.offered_rps, args.offered_seconds);
        open_slots(&state, n, 31 + days_for(args.referrals)).await?
    } else {
        Vec::new()
    };
    let commits = state.ctx.store.commit_stats();
    let mut offered = open_loop(&walker, &ids, offered_slots, args.offered_rps).await?;
    offered.commits(commits, state.ctx.store.commit_stats());
    let estimates = insurance::estimate_rate(&state.ctx.policy, 20_000)?;
    let claims = insurance::claim_rate(&state, &ids, 2_000, args.concurrency).await?;
    let fsyncs = disk::fsync_rate(&dir, 300)?;
    let indicators = if args.indicator_visits > 0 {
        Some(indicators::measure(&state, args.indicator_visits, 20_000).await?)
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
