//! `tiercare bench`: Patient create throughput and read latency through the
//! real HTTP server on a fresh embedded database, each reported with a
//! baseline measured in the same run (the machine is shared and noisy, so
//! ratios travel better than raw figures):
//!
//! - create throughput vs. the store alone writing the same records
//!   (durable commits, no HTTP, no validation);
//! - read latency vs. `GET /healthz` (an HTTP round trip with no database).

use crate::config::Settings;
use crate::{demo, startup};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    /// arrive, complete with report, close).
    #[arg(long, default_value_t = 300)]
    pub referrals: usize,
    /// Print the figures as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
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
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("tiercare-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let county = DemoCounty::generate(0, 2026);
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.join("bench.db").display()),
        region_id: county.region.id.to_string(),
        region_name: county.region.name.clone(),
        ..Settings::default()
    };
    let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
    demo::load(&state, &county).await?;
    let team = "team-tc1-1";
    let listener = startup::bind(&settings).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server_state = state.clone();
    let server = tokio::spawn(async move {
        tiercare_api::serve(listener, server_state, std::future::pending()).await
    });

    let client = reqwest::Client::new();
    let admin = county
        .users
        .iter()
        .find(|u| u.username == "admin")
        .context("demo admin user")?;
    let tok: Value = client
        .post(format!("{base}/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &admin.username),
            ("password", &admin.password),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = tok["access_token"]
        .as_str()
        .context("token response")?
        .to_string();

    // Baseline 1: the store alone, one durable transaction per record.
    let region = state.region.clone();
    let mut records = Vec::with_capacity(args.patients);
    for i in 0..args.patients {
        let mut r = tiercare_api::fhir::RegistryType::Patient
            .parse(patient(i, team), &format!("base-{i}"), &region)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let tiercare_core::Record::Resident(res) = &mut r {
            res.identifier = Some(format!("BASE{i:08}"));
        }
        records.push(r);
    }
    let t = Instant::now();
    for r in records {
        let index = tiercare_api::fhir::index(&r);
        state
            .store
            .write(
                Write {
                    record: r,
                    expect: Expect::New,
                    index,
                    actor: "bench".into(),
                    events: Vec::new(),
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

    // The referral loop: six steps per referral, `concurrency` clients.
    let loop_figures = referral_loop(&state, &county, &client, &base, &ids, &args).await?;
    let fsyncs = fsync_rate(&dir, 300)?;
    server.abort();
    state.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);

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
        "disk_fsyncs_per_second": fsyncs,
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
            "  referral step latency      p50 {:>7.3} ms  p99 {:>7.3} ms  ({} concurrent clients)",
            ms(percentile(&loop_figures.latencies, 0.5)),
            ms(percentile(&loop_figures.latencies, 0.99)),
            args.concurrency
        );
        println!("  disk fsyncs (write+fsync)  {:>9.0} /s", fsyncs);
    }
    Ok(())
}

/// What the referral loop phase measured.
struct LoopFigures {
    steps_per_second: f64,
    latencies: Vec<Duration>,
}

/// Logs in a demo user and returns the bearer token.
async fn login(
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

/// One timed POST; fails unless the status is `expect`.
async fn step(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
    expect: u16,
) -> anyhow::Result<(Value, Duration)> {
    let t = Instant::now();
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
    Ok((v, t.elapsed()))
}

/// Walks `args.referrals` referrals through the whole loop over HTTP, with
/// durable commits, and times every step.
async fn referral_loop(
    state: &tiercare_api::AppState,
    county: &DemoCounty,
    client: &reqwest::Client,
    base: &str,
    patients: &[String],
    args: &BenchArgs,
) -> anyhow::Result<LoopFigures> {
    use tiercare_core::booking::SessionPlan;
    let n = args.referrals;
    if n == 0 || patients.is_empty() {
        return Ok(LoopFigures {
            steps_per_second: 0.0,
            latencies: vec![],
        });
    }
    // A long session a month ahead, one slot per referral.
    let schedule: tiercare_core::ScheduleId = "zx-h1-cardiology".parse()?;
    let institution: tiercare_core::InstitutionId = "zx-h1".parse()?;
    let day = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &institution,
        specialty: tiercare_core::Specialty::Cardiology,
        start: time::PrimitiveDateTime::new(day, time::Time::MIDNIGHT).assume_utc(),
        slot_minutes: 5,
        slots: u32::try_from(n)?,
    };
    let loader = tiercare_core::access::Actor {
        username: "bench".into(),
        role: tiercare_core::access::UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    tiercare_api::referrals::Referrals::new(state, &loader)
        .open_session(&plan)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let slots: Vec<String> = plan
        .slots(&state.policy)
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    let doctor = login(client, base, county, "doctor").await?;
    let coordinator = login(client, base, county, "coordinator").await?;

    let sem = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (i, slot) in slots.into_iter().enumerate() {
        let permit = sem.clone().acquire_owned().await?;
        let (client, base, doctor, coordinator) = (
            client.clone(),
            base.to_string(),
            doctor.clone(),
            coordinator.clone(),
        );
        let patient = patients[i % patients.len()].clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let mut times = Vec::with_capacity(6);
            let body = json!({
                "resourceType": "ServiceRequest",
                "subject": {"reference": format!("Patient/{patient}")},
                "performer": [{"reference": "Organization/zx-h1"}],
                "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I20"}]}],
                "note": [{"text": "Exertional chest pain."}]
            });
            let (sr, d) = step(&client, format!("{base}/fhir/r4/ServiceRequest"), &doctor, body, 201).await?;
            times.push(d);
            let id = sr["id"].as_str().unwrap_or_default().to_string();
            let op = |name: &str| format!("{base}/fhir/r4/ServiceRequest/{id}/${name}");
            let none = json!({"resourceType": "Parameters"});
            let slot_param = json!({"resourceType": "Parameters", "parameter": [
                {"name": "slot", "valueReference": {"reference": format!("Slot/{slot}")}}]});
            let report = json!({"resourceType": "Parameters", "parameter": [
                {"name": "report-summary", "valueString": "Stable angina."}]});
            for (name, token, body) in [
                ("accept", &coordinator, none.clone()),
                ("book", &coordinator, slot_param),
                ("arrive", &coordinator, none.clone()),
                ("complete", &coordinator, report),
                ("close", &doctor, none.clone()),
            ] {
                times.push(step(&client, op(name), token, body, 200).await?.1);
            }
            Ok::<Vec<Duration>, anyhow::Error>(times)
        }));
    }
    let mut latencies = Vec::with_capacity(n * 6);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let steps_per_second = latencies.len() as f64 / t.elapsed().as_secs_f64();
    latencies.sort();
    Ok(LoopFigures {
        steps_per_second,
        latencies,
    })
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
