//! Loading the bundled demo county through the registry service, so it
//! obeys exactly the rules an import would; then, on a fresh database, a
//! past year of its activity run through the same services under a set
//! clock, so the dashboard and the joint programmes page are alive from the
//! first minute.

mod county;
mod emergency;
mod history;
mod outreach;
mod progress;

pub use county::CountyReport;
pub use emergency::EmergencyReport;
pub use history::HistoryReport;
pub use outreach::OutreachReport;
pub use progress::report_progress;

use crate::users::{UserSpec, add_user};
use anyhow::Context;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tiercare_api::AppState;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::{BedPool, SessionPlan};
use tiercare_core::demo::{DemoCounty, DemoUser};
use tiercare_core::{BedPoolId, Level, Record, ScheduleId};
use tiercare_service::ServiceError;
use tiercare_service::clock::Clock;
use tiercare_service::referrals::Referrals;
use tiercare_service::registry::Registry;
use tiercare_store::Expect;
use time::{Date, Duration, PrimitiveDateTime, Time, Weekday};

/// What the demo load did.
#[derive(Debug)]
pub struct Loaded {
    /// Records written; 0 when the database already held the demo county.
    pub records: usize,
    /// Outpatient slots opened (those not open already).
    pub slots: usize,
    pub users: Vec<DemoUser>,
}

/// Working days ahead the demo opens hospital outpatient sessions for.
pub const SESSION_DAYS: u32 = 10;
/// Slots per department per day in the demo: a morning clinic of 20-minute
/// slots, 08:00 to 12:00 China time.
const SESSION_SLOTS: u32 = 12;
const SLOT_MINUTES: u32 = 20;

/// Opens a morning session in every hospital department for the next
/// `days` working days after the state's clock's today, and each
/// department's bed pool, through
/// the referral service, so referrals can be booked at once. Already open
/// sessions and pools are kept.
pub async fn open_sessions(
    state: &AppState,
    loader: &Actor,
    county: &DemoCounty,
    days: u32,
) -> anyhow::Result<usize> {
    let service = Referrals::new(&state.ctx, loader);
    let hospitals: Vec<_> = county
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Institution(i) if i.level != Level::Primary => Some(i),
            _ => None,
        })
        .collect();
    for i in &hospitals {
        for d in i.departments.iter().filter(|d| d.beds > 0) {
            let pool = BedPool {
                id: BedPoolId::new(format!("{}-{}-beds", i.id, d.specialty.code()))?,
                institution: i.id.clone(),
                specialty: d.specialty,
                beds: d.beds,
                reserved: state.ctx.policy.reserved_beds_of(d.beds),
                occupied: 0,
                reserved_occupied: 0,
            };
            service
                .open_bed_pool(pool)
                .await
                .map_err(|e| anyhow::anyhow!("opening the beds of {}: {e}", i.id))?;
        }
    }
    // 08:00 in China (UTC+8) is midnight UTC.
    let mut opened = 0;
    let mut day = state.ctx.clock.today();
    let mut open_days = 0;
    while open_days < days {
        day = day.next_day().context("date out of range")?;
        if !working(day) {
            continue;
        }
        open_days += 1;
        let start = at_midnight(day);
        for i in &hospitals {
            for d in &i.departments {
                let schedule = ScheduleId::new(format!("{}-{}", i.id, d.specialty.code()))?;
                let plan = SessionPlan {
                    schedule: &schedule,
                    institution: &i.id,
                    specialty: d.specialty,
                    start,
                    slot_minutes: SLOT_MINUTES,
                    slots: SESSION_SLOTS.min(d.daily_slots.max(1)),
                };
                opened += service
                    .open_session(&plan)
                    .await
                    .map_err(|e| anyhow::anyhow!("opening {schedule} on {day}: {e}"))?;
            }
        }
    }
    Ok(opened)
}

/// The administrator the demo loader acts as.
pub fn loader() -> Actor {
    Actor {
        username: "demo-loader".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    }
}

/// How much past activity a fresh demo database starts with.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOptions {
    /// Days of history before today; 0 for none.
    pub days: u32,
    /// Seed of the history's random choices: the same seed gives the same
    /// history.
    pub seed: u64,
    /// The county's residents beyond the synthetic ones, run by the
    /// simulator over the same days and added to the indicator aggregates
    /// (see `county.rs`): what gives the registered capacity its load.
    pub county: bool,
}

impl HistoryOptions {
    /// A year and a month: a full year of monthly trends plus the month
    /// before it, so year-on-year and "last month" both have data.
    pub const DEFAULT_DAYS: u32 = 395;
    /// The default seed.
    pub const DEFAULT_SEED: u64 = 2026;
}

/// What the history loader generated.
#[derive(Debug)]
pub struct History {
    /// Residents' care: contracts, visits, referrals both ways.
    pub care: HistoryReport,
    /// The joint programmes: sessions, mentoring, panels.
    pub outreach: OutreachReport,
    /// The rest of the county, simulated; `None` when left out.
    pub county: Option<CountyReport>,
    /// The whole county's time-critical emergencies of the past year.
    pub emergency: EmergencyReport,
}

/// [`load`], and on a database that did not hold the demo county yet, the
/// county's past `options.days` days of activity first: every record is
/// registered on the first day, and each day's activity goes through the
/// services with the clock set to that day. The clock of `state` itself is
/// left alone: the server runs on the system clock.
///
/// Servers started together on one database load it once: the first to
/// take the store's `demo` section loads, the others wait for it and then
/// find the county there.
pub async fn load_with_history(
    state: &AppState,
    county: &DemoCounty,
    options: HistoryOptions,
) -> anyhow::Result<(Loaded, Option<History>)> {
    let section = state.ctx.store.exclusive(DEMO_SECTION).await?;
    let loaded = load_history_alone(state, county, options).await;
    section.release().await;
    if loaded.as_ref().is_ok_and(|(l, _)| l.records > 0) {
        state.ctx.store.analyze().await?;
    }
    loaded
}

/// The store's exclusive section the demo loads in.
const DEMO_SECTION: &str = "demo";

/// [`load_with_history`] inside its section.
async fn load_history_alone(
    state: &AppState,
    county: &DemoCounty,
    options: HistoryOptions,
) -> anyhow::Result<(Loaded, Option<History>)> {
    let present = match county.records.first() {
        Some(r) => state
            .ctx
            .store
            .get(r.resource_type(), r.id())
            .await?
            .is_some(),
        None => anyhow::bail!("the demo county has no records"),
    };
    if present || options.days == 0 {
        return Ok((load_alone(state, county, SESSION_DAYS).await?, None));
    }
    let mut phases = progress::Phases::new(if options.county { 6 } else { 5 });
    let (first, last) = past_days(state, options.days)?;
    let past = state.clone().with_clock(Clock::set_at(at_midnight(first)));
    let mut loaded = load_alone(&past, county, 0).await?;
    phases.done(&format!(
        "registry, residents and users: {} records",
        loaded.records
    ));
    // The care history runs on clocks of its own, so `past` still stands
    // on the first day for the joint programmes.
    let care = history::run(&past, county, first, last, options.seed).await?;
    phases.done(&format!(
        "care over {} days: {} visits, {} referrals",
        options.days,
        care.visits.iter().sum::<u64>(),
        care.referrals_up + care.referrals_down
    ));
    let outreach = outreach::run(&past, county, first, last, options.seed).await?;
    phases.done(&format!(
        "joint programmes: {} sessions held",
        outreach.sessions_held
    ));
    let rest = if options.county {
        let report = county::run(&past, county, first, options.days, options.seed).await?;
        phases.done(&format!("the rest of the county, simulated: {report}"));
        Some(report)
    } else {
        None
    };
    let emergency = emergency::run(state, county, options.seed).await?;
    phases.done(&format!(
        "emergencies of the past year: {} cases",
        emergency.cases
    ));
    loaded.slots += open_sessions(state, &loader(), county, SESSION_DAYS).await?;
    phases.done(&format!(
        "outpatient slots for the next {SESSION_DAYS} working days: {}",
        loaded.slots
    ));
    let history = History {
        care,
        outreach,
        county: rest,
        emergency,
    };
    Ok((loaded, Some(history)))
}

/// The first and last day of the `days` days before the state's today.
fn past_days(state: &AppState, days: u32) -> anyhow::Result<(Date, Date)> {
    let today = state.ctx.clock.today();
    let first = today - Duration::days(i64::from(days));
    Ok((first, today.previous_day().context("date out of range")?))
}

/// The joint programmes' past `options.days` days alone, on a database
/// that holds the demo county already, under a set clock of its own: what
/// [`load_with_history`] runs after the care history, for tests and for
/// timing this part by itself.
pub async fn outreach_history(
    state: &AppState,
    county: &DemoCounty,
    options: HistoryOptions,
) -> anyhow::Result<OutreachReport> {
    let (first, last) = past_days(state, options.days)?;
    let past = state.clone().with_clock(Clock::set_at(at_midnight(first)));
    outreach::run(&past, county, first, last, options.seed).await
}

/// Whether outpatient clinics run on `day`: the demo's sessions, the care
/// history's visits and the joint programmes all keep weekdays.
pub(crate) fn working(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The seeded random stream of one part of a history (a shard of the care
/// history, a part of the joint programmes): the same seed gives the same
/// history, and the parts draw independently.
pub(crate) fn stream(seed: u64, part: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The start of `day` (UTC), which is 08:00 in China.
pub fn at_midnight(day: Date) -> time::OffsetDateTime {
    PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc()
}

/// Loads the demo county (once: a database that has it already is left
/// alone) and creates the demo users that do not exist yet.
pub async fn load(state: &AppState, county: &DemoCounty) -> anyhow::Result<Loaded> {
    load_with_sessions(state, county, SESSION_DAYS).await
}

/// [`load`], opening outpatient sessions for `days` working days; in the
/// store's `demo` section, as [`load_with_history`].
pub async fn load_with_sessions(
    state: &AppState,
    county: &DemoCounty,
    days: u32,
) -> anyhow::Result<Loaded> {
    let section = state.ctx.store.exclusive(DEMO_SECTION).await?;
    let loaded = load_alone(state, county, days).await;
    section.release().await;
    loaded
}

/// [`load_with_sessions`] inside its section.
async fn load_alone(state: &AppState, county: &DemoCounty, days: u32) -> anyhow::Result<Loaded> {
    let loader = loader();
    let first = county
        .records
        .first()
        .context("the demo county has no records")?;
    let present = state
        .ctx
        .store
        .get(first.resource_type(), first.id())
        .await?
        .is_some();
    let mut written = 0;
    if !present {
        let batch = county
            .records
            .iter()
            .map(|r| (r.clone(), Expect::New))
            .collect();
        written = Registry::new(&state.ctx, &loader)
            .write_batch(batch, "demo county load")
            .await
            .map_err(|e| anyhow::anyhow!("loading the demo county: {e}"))?
            .len();
    }
    let slots = open_sessions(state, &loader, county, days).await?;
    for u in &county.users {
        let spec = UserSpec {
            username: u.username.clone(),
            password: u.password.clone(),
            role: u.role.code().to_string(),
            institution: u.institution.as_ref().map(|v| v.to_string()),
            practitioner: u.practitioner.as_ref().map(|v| v.to_string()),
            resident: u.resident.as_ref().map(|v| v.to_string()),
        };
        match add_user(&state.ctx, &loader, &spec).await {
            Ok(_) => {}
            // Loaded before: the demo keeps the accounts it made.
            Err(ServiceError::Conflict(_)) => {}
            Err(e) => {
                return Err(crate::users::explain(e))
                    .with_context(|| format!("creating demo user {}", u.username));
            }
        }
    }
    Ok(Loaded {
        slots,
        records: written,
        users: county.users.clone(),
    })
}
