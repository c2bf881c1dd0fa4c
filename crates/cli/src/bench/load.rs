//! `tiercare load`: the referral loop driven against a running server from
//! a process of its own, so the load generator's work is not the server's.
//!
//! The setup opens the slots the referrals will book straight in the
//! server's database (an administrator's task, untimed), signs in the demo
//! family doctor, coordinator and specialist, and finds the doctor's
//! patients over FHIR. Then, each beside `GET /healthz` measured by the same
//! process in the same run:
//!
//! - closed loop: `concurrency` clients walk referrals through the six
//!   steps (create, accept, book, arrive, complete, refer down), each
//!   starting the next when the last is done: the steps per second the
//!   server sustains;
//! - open loop at each offered rate: steps sent on schedule whatever the
//!   answers, each timed from when it was due, so a stall is not hidden by
//!   sending less: achieved rate, p50, p99 and max.

use super::disk::fsync_rate;
use super::fhir::timed_gets;
use super::harness::{ms, percentile};
use super::referrals::{
    LoopFigures, Walker, closed_loop, days_for, open_loop, open_loop_size, open_slots,
};
use crate::config::Settings;
use crate::startup;
use anyhow::Context;
use serde_json::{Value, json};
use tiercare_core::demo::DemoCounty;

/// Options of the load generator.
#[derive(clap::Args, Debug, Clone)]
pub struct LoadArgs {
    /// Base URL of the running server (a demo county's).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's database, where the setup opens the slots the
    /// referrals book.
    #[arg(long)]
    pub database: String,
    /// Clients of the closed-loop phase.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Referrals the closed-loop phase walks (six steps each; 0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub referrals: usize,
    /// Steps per second offered in the open-loop phases, one phase each.
    #[arg(long, value_delimiter = ',', default_values_t = [300.0, 500.0, 1000.0])]
    pub rates: Vec<f64>,
    /// Seconds each open-loop phase offers steps for.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Print the figures as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the load and prints its figures.
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let county = DemoCounty::generate(0, 2026);
    let settings = Settings {
        database_url: args.database.clone(),
        region_id: county.region.id.to_string(),
        region_name: county.region.name.clone(),
        ..Settings::default()
    };
    let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
    let base = args.url.trim_end_matches('/').to_string();
    let client = reqwest::Client::new();
    let walker = Walker::sign_in(&client, &base, &county).await?;
    let patients = doctors_patients(&client, &base, &walker.doctor).await?;

    // Slots for every phase, each phase's after the one before, after
    // whatever an earlier run opened.
    let mut day = 30;
    let mut phases = vec![args.referrals];
    phases.extend(
        args.rates
            .iter()
            .map(|r| open_loop_size(*r, args.seconds).0),
    );
    let mut slots = Vec::new();
    for n in phases {
        let (opened, next) = free_slots(&state, n, day).await?;
        slots.push(opened);
        day = next;
    }
    state.ctx.store.close().await;
    let mut slots = slots.into_iter();

    let health = timed_gets(
        &client,
        (0..500).map(|_| format!("{base}/healthz")).collect(),
        "",
    )
    .await?;
    let closed = closed_loop(
        &walker,
        &patients,
        slots.next().unwrap_or_default(),
        args.concurrency,
    )
    .await?;
    let mut offered = Vec::new();
    for rate in &args.rates {
        let f = open_loop(&walker, &patients, slots.next().unwrap_or_default(), *rate).await?;
        offered.push((*rate, f));
    }
    let probe = std::env::temp_dir().join(format!("tiercare-load-{}", std::process::id()));
    std::fs::create_dir_all(&probe)?;
    let fsyncs = fsync_rate(&probe, 300)?;
    let _ = std::fs::remove_dir_all(&probe);

    let healthz = ms(percentile(&health, 0.5));
    let phase = |f: &LoopFigures| {
        json!({
            "steps": f.latencies.len(),
            "steps_per_second": f.steps_per_second,
            "p50_ms": f.p(0.5),
            "p99_ms": f.p(0.99),
            "max_ms": f.max(),
            "p50_ratio_vs_healthz": f.p(0.5) / healthz.max(1e-9),
            "p50_ms_by_step": f.step_medians(),
        })
    };
    let figures = json!({
        "url": base,
        "healthz_p50_ms": healthz,
        "healthz_p99_ms": ms(percentile(&health, 0.99)),
        "disk_fsyncs_per_second": fsyncs,
        "closed_loop": {"concurrency": args.concurrency, "referrals": args.referrals, "figures": phase(&closed)},
        "open_loop": offered.iter().map(|(rate, f)| json!({
            "offered_steps_per_second": rate,
            "achieved_ratio": f.steps_per_second / rate.max(1e-9),
            "figures": phase(f),
        })).collect::<Vec<_>>(),
    });
    if args.json {
        println!("{figures}");
        return Ok(());
    }
    println!("tiercare load against {base} (the load generator in its own process)");
    println!(
        "  baseline GET /healthz      p50 {:>7.3} ms  p99 {:>7.3} ms",
        healthz,
        ms(percentile(&health, 0.99))
    );
    println!(
        "  closed loop                {:>7.0} steps/s  p50 {:>7.3} ms  p99 {:>7.3} ms  ({} clients, {} referrals x 6 steps)",
        closed.steps_per_second,
        closed.p(0.5),
        closed.p(0.99),
        args.concurrency,
        args.referrals
    );
    for (rate, f) in &offered {
        println!(
            "  offered {:>5.0} steps/s     {:>7.0} steps/s  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  ({:.2}x offered; p50 {:.0}x healthz)",
            rate,
            f.steps_per_second,
            f.p(0.5),
            f.p(0.99),
            f.max(),
            f.steps_per_second / rate.max(1e-9),
            f.p(0.5) / healthz.max(1e-9)
        );
    }
    println!("  disk fsyncs here           {fsyncs:>7.0} /s");
    Ok(())
}

/// The patients the demo family doctor may refer: those the doctor's
/// Patient search returns.
async fn doctors_patients(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<Vec<String>> {
    let bundle: Value = client
        .get(format!("{base}/fhir/r4/Patient?_count=500"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ids: Vec<String> = bundle["entry"]
        .as_array()
        .context("the doctor's patients")?
        .iter()
        .filter_map(|e| e["resource"]["id"].as_str().map(str::to_string))
        .collect();
    anyhow::ensure!(!ids.is_empty(), "the demo doctor has no patients");
    Ok(ids)
}

/// Opens `n` fresh slots from `day` days ahead on, past any an earlier run
/// left there; returns them and the first day after them.
async fn free_slots(
    state: &tiercare_api::AppState,
    n: usize,
    mut day: i64,
) -> anyhow::Result<(Vec<String>, i64)> {
    if n == 0 {
        return Ok((Vec::new(), day));
    }
    loop {
        let slots = open_slots(state, n, day).await?;
        let span = days_for(n) + 1;
        // A slot of an earlier run is booked already: try further ahead.
        let mut free = true;
        for s in &slots {
            if let Some(stored) = state.ctx.store.get("Slot", s).await?
                && stored.version > 1
            {
                free = false;
                break;
            }
        }
        if free {
            return Ok((slots, day + span));
        }
        day += span;
    }
}
