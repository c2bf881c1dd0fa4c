//! The referral loop over HTTP: each referral created, accepted, booked
//! into a slot, arrived, completed with a report and referred back down,
//! six steps with durable commits. Timed closed loop (`concurrency`
//! clients, each starting the next referral when the last is done) for the
//! throughput the server can sustain, and open loop (steps offered at a
//! fixed rate whatever the answers, each timed from when it was due) for
//! the latency a steady load sees, without coordinated omission hiding a
//! stall.

use super::harness::{ms, percentile};
use anyhow::bail;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tiercare_store::CommitStats;
use tokio::sync::Semaphore;

/// What a referral loop phase measured.
#[derive(Default)]
pub(crate) struct LoopFigures {
    pub(crate) steps_per_second: f64,
    /// Every step's latency, sorted.
    pub(crate) latencies: Vec<Duration>,
    /// Each kind of step's latencies (in [`STEPS`] order), sorted.
    by_step: [Vec<Duration>; 6],
    /// Store write calls per commit during the phase (group commit).
    pub(crate) calls_per_commit: f64,
}

impl LoopFigures {
    fn add(&mut self, times: [Duration; 6]) {
        for (s, d) in times.into_iter().enumerate() {
            self.latencies.push(d);
            self.by_step[s].push(d);
        }
    }

    fn finish(&mut self, elapsed: Duration) {
        self.steps_per_second = self.latencies.len() as f64 / elapsed.as_secs_f64();
        self.latencies.sort();
        for l in &mut self.by_step {
            l.sort();
        }
    }

    /// Notes the group commit's sharing over the phase, from the store's
    /// counters before and after it (known only to an in-process server).
    pub(crate) fn commits(&mut self, before: CommitStats, after: CommitStats) {
        let commits = after.commits.saturating_sub(before.commits).max(1);
        self.calls_per_commit = after.calls.saturating_sub(before.calls) as f64 / commits as f64;
    }

    pub(crate) fn p(&self, p: f64) -> f64 {
        ms(percentile(&self.latencies, p))
    }

    pub(crate) fn max(&self) -> f64 {
        self.latencies.last().copied().map_or(0.0, ms)
    }

    /// Median latency of each step kind, by name.
    pub(crate) fn step_medians(&self) -> Value {
        STEPS
            .iter()
            .zip(&self.by_step)
            .map(|(name, l)| (name.to_string(), json!(ms(percentile(l, 0.5)))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
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
pub(crate) struct Walker {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) doctor: String,
    pub(crate) coordinator: String,
    /// A hospital doctor, who refers the patient back down.
    pub(crate) specialist: String,
}

impl Walker {
    /// Signs in the demo county's family doctor, coordinator and
    /// specialist at the server at `base`.
    pub(crate) async fn sign_in(
        client: &reqwest::Client,
        base: &str,
        county: &tiercare_core::demo::DemoCounty,
    ) -> anyhow::Result<Walker> {
        use super::harness::login;
        Ok(Walker {
            client: client.clone(),
            base: base.to_string(),
            doctor: login(client, base, county, "doctor").await?,
            coordinator: login(client, base, county, "coordinator").await?,
            specialist: login(client, base, county, "specialist").await?,
        })
    }

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
                // The bench's slots lie weeks ahead (past any a real clinic
                // would book): the office confirms each patient came early.
                "arrive" => (
                    format!("{base}/fhir/r4/ServiceRequest/{id}/$arrive"),
                    &self.coordinator,
                    json!({"resourceType": "Parameters", "parameter": [
                        {"name": "early", "valueBoolean": true}]}),
                    200,
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
pub(crate) async fn open_slots(
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
pub(crate) fn days_for(n: usize) -> i64 {
    let minutes = n as i64 * i64::from(SLOT_MINUTES);
    minutes / (24 * 60) + 1
}

/// Walks one referral per slot through the whole loop over HTTP, with
/// `concurrency` clients each starting the next referral when the last is
/// done (closed loop), and times every step.
pub(crate) async fn closed_loop(
    walker: &Walker,
    patients: &[String],
    slots: Vec<String>,
    concurrency: usize,
) -> anyhow::Result<LoopFigures> {
    if slots.is_empty() || patients.is_empty() {
        return Ok(LoopFigures::default());
    }
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(slots.len());
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
    figures.finish(t.elapsed());
    Ok(figures)
}

/// Gap the open-loop schedule leaves between two steps of one referral,
/// so that a step is normally answered before the next one is due.
const STEP_GAP: Duration = Duration::from_millis(100);

/// The referrals (one slot each) an open-loop phase at `rate` steps per
/// second for `seconds` walks, and how many of them start together.
pub(crate) fn open_loop_size(rate: f64, seconds: f64) -> (usize, usize) {
    let group = ((STEP_GAP.as_secs_f64() * rate).ceil() as usize).max(1);
    let per_round = STEPS.len() * group;
    let rounds = ((rate * seconds) / per_round as f64).ceil().max(1.0) as usize;
    (rounds * group, group)
}

/// Offers referral steps at `rate` per second, one referral per slot
/// (sized by [`open_loop_size`]), whatever the answers (open loop), and
/// times each from when it was due.
///
/// Step `k` of the run is due at `k / rate` exactly. Steps are dealt to
/// referrals in rounds of `6 g` steps over `g` referrals, step `s` of the
/// `i`th referral of a round at `6 g q + s g + i`: the steps of one referral
/// are `g / rate` (about [`STEP_GAP`]) apart, and the offered rate is even
/// from the first step to the last, with no ramp.
pub(crate) async fn open_loop(
    walker: &Walker,
    patients: &[String],
    slots: Vec<String>,
    rate: f64,
) -> anyhow::Result<LoopFigures> {
    if rate <= 0.0 || slots.is_empty() || patients.is_empty() {
        return Ok(LoopFigures::default());
    }
    let group = ((STEP_GAP.as_secs_f64() * rate).ceil() as usize).max(1);
    let per_round = STEPS.len() * group;
    // Time to spawn every walker before the first step is due.
    let t0 = tokio::time::Instant::now() + Duration::from_millis(200);
    let at = |k: usize| t0 + Duration::from_secs_f64(k as f64 / rate);
    let mut tasks = Vec::with_capacity(slots.len());
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
    figures.finish(t0.elapsed());
    Ok(figures)
}
