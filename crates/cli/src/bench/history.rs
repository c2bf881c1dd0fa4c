//! `tiercare bench --demo-history`: what the indicator pages cost on data
//! shaped like a real county's rather than on bench filler. The demo
//! county is loaded with its default past year into a fresh database, then
//! the last 12 months' indicators are timed over HTTP, both as
//! `$evaluate-measure` (the dashboard's one call) and as the dashboard
//! page, and the family doctor's worklist and the referral office's
//! incoming list are loaded, against `GET /healthz` timed in the same run.

use super::harness::{fresh_state, login, ms, percentile};
use crate::demo::{self, HistoryOptions};
use crate::startup;
use anyhow::Context;
use std::time::{Duration, Instant};
use tiercare_core::demo::DemoCounty;

/// `tiercare bench --demo-history`: the demo county with its default past
/// year loaded through the services into a fresh database, then the last
/// 12 months' indicators for the region over HTTP, `runs` times each: every
/// measure's `$evaluate-measure` report (the dashboard's one call) and the
/// dashboard page itself, against `GET /healthz` timed in the same run as
/// the baseline (the machine is shared, so ratios travel better).
pub async fn demo_history(runs: usize, json: bool) -> anyhow::Result<()> {
    let county = DemoCounty::generate(DemoCounty::DEFAULT_RESIDENTS, 2026);
    let (dir, settings, state) = fresh_state("tiercare-bench-history", &county).await?;
    let options = HistoryOptions {
        days: HistoryOptions::DEFAULT_DAYS,
        seed: HistoryOptions::DEFAULT_SEED,
        county: true,
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
            server_state.clone(),
            tiercare_web::routes(server_state),
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
    let token = login(&client, &base, &county, "analyst").await?;
    let session = ui_session(&client, &base, &analyst.username, &analyst.password).await?;
    // The worklists of the two busiest desks: the family doctor's and the
    // hospital referral office's incoming list, on a year of history.
    let worker = |name: &str| {
        county
            .users
            .iter()
            .find(|u| u.username == name)
            .with_context(|| format!("demo {name} user"))
    };
    let doctor = worker("doctor")?;
    let doctor_session = ui_session(&client, &base, &doctor.username, &doctor.password).await?;
    let office = worker("coordinator")?;
    let office_session = ui_session(&client, &base, &office.username, &office.password).await?;

    let today = state.ctx.clock.today();
    let first = today - time::Duration::days(364);
    let health = timed(runs, || client.get(format!("{base}/healthz"))).await?;
    let measure_url =
        format!("{base}/fhir/r4/Measure/$evaluate-measure?periodStart={first}&periodEnd={today}");
    let measures = timed(runs, || client.get(&measure_url).bearer_auth(&token)).await?;
    let hospital_url = format!("{measure_url}&subject=Organization/{COUNTY_HOSPITAL}");
    let hospital_measures = timed(runs, || client.get(&hospital_url).bearer_auth(&token)).await?;
    let year = year_figures(&state, first, today).await?;
    let page_url = format!("{base}/ui/dashboard?from={first}&to={today}&subject=region");
    let cookie = format!("tiercare_session={session}");
    let pages = timed(runs, || client.get(&page_url).header("cookie", &cookie)).await?;
    let doctor_cookie = format!("tiercare_session={doctor_session}");
    let doctor_url = format!("{base}/ui/doctor");
    let doctor_pages = timed(runs, || {
        client.get(&doctor_url).header("cookie", &doctor_cookie)
    })
    .await?;
    let office_cookie = format!("tiercare_session={office_session}");
    let office_url = format!("{base}/ui/office");
    let office_pages = timed(runs, || {
        client.get(&office_url).header("cookie", &office_cookie)
    })
    .await?;
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
        "evaluate_measure_institution_year_p50_ms": ms(percentile(&hospital_measures, 0.5)),
        "evaluate_measure_institution_p50_ratio_vs_healthz":
            ms(percentile(&hospital_measures, 0.5)) / base_p50,
        "year": year,
        "dashboard_year_p50_ms": ms(percentile(&pages, 0.5)),
        "dashboard_year_max_ms": max(&pages),
        "dashboard_p50_ratio_vs_healthz": ms(percentile(&pages, 0.5)) / base_p50,
        "doctor_worklist_p50_ms": ms(percentile(&doctor_pages, 0.5)),
        "doctor_worklist_p50_ratio_vs_healthz": ms(percentile(&doctor_pages, 0.5)) / base_p50,
        "office_incoming_p50_ms": ms(percentile(&office_pages, 0.5)),
        "office_incoming_p50_ratio_vs_healthz": ms(percentile(&office_pages, 0.5)) / base_p50,
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
    println!("  the demo's year: {year}");
    for (name, v) in [
        ("Measure/$evaluate-measure", &measures),
        ("  the same, county hospital", &hospital_measures),
        ("GET /ui/dashboard        ", &pages),
        ("GET /ui/doctor (worklist)", &doctor_pages),
        ("GET /ui/office (incoming)", &office_pages),
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

/// The county hospital of the demo: the funnel and utilisation figures
/// are shown for it.
const COUNTY_HOSPITAL: &str = "zx-h1";

/// What the demo's year looks like to a commission: utilisation and bed
/// occupancy by level, the capacity pyramid's verdicts, and the county
/// hospital's referral funnels from both sides.
async fn year_figures(
    state: &tiercare_api::AppState,
    first: time::Date,
    last: time::Date,
) -> anyhow::Result<serde_json::Value> {
    use tiercare_core::indicators::{Period, Resource};
    use tiercare_service::indicators::{SubjectRef, day_of, evaluate};
    let period = Period::new(day_of(first), day_of(last));
    let (_, region) = evaluate(&state.ctx, period, &SubjectRef::Region).await?;
    let hospital = SubjectRef::Institution(COUNTY_HOSPITAL.into());
    let (_, h) = evaluate(&state.ctx, period, &hospital).await?;
    let levels: Vec<_> = region
        .levels
        .iter()
        .map(|l| {
            serde_json::json!({
                "level": l.level.code(),
                "outpatient_visits": l.outpatient_visits,
                "admissions": l.admissions,
                "slot_utilisation": l.slot_utilisation,
                "bed_occupancy": l.bed_utilisation,
            })
        })
        .collect();
    let pyramid: serde_json::Map<_, _> = Resource::ALL
        .iter()
        .map(|&r| {
            let shape = region.pyramid_fit(r).map(|f| f.shape.code());
            (r.code().to_string(), serde_json::json!(shape))
        })
        .collect();
    Ok(serde_json::json!({
        "levels": levels,
        "pyramid": pyramid,
        "county_hospital": {
            "sent": h.sent,
            "received": h.received,
            "slot_utilisation": h.slot_utilisation,
            "bed_occupancy": h.bed_utilisation,
        },
    }))
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
