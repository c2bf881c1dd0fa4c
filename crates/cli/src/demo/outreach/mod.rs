//! The joint programmes over the past year: outreach sessions, mentoring,
//! co-managed panels.
//!
//! Everything goes through the Joint Health Centre and panel services,
//! acting as the person who would do it (the hospital's coordinator
//! creates a programme, the specialist holds or cancels a session, the
//! family doctor enrols and measures), with the clock set to the day: the
//! records, their events, audit entries and indicator facts are those the
//! running system would have written. The random choices come from one
//! seeded generator per part, so the same seed gives the same history.
//!
//! Each day runs in two steps: at midnight UTC (08:00 in China) what is
//! decided before the clinics start (new programmes and mentorships,
//! schedules for the month ahead, enrolments, cancellations), then at
//! 06:00 UTC (14:00) what the morning's clinics did (sessions held or
//! missed, mentoring, follow-up measurements).

mod cast;
mod mentoring;
mod panels;
mod programmes;

use super::{stream, working};
use anyhow::Context;
use cast::Cast;
use std::fmt;
use std::time::{Duration as Elapsed, Instant};
use tiercare_api::AppState;
use tiercare_core::demo::DemoCounty;
use time::{Date, Duration, OffsetDateTime};

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutreachReport {
    pub programmes: u32,
    /// Of `programmes`, hospital teams posted to a township centre.
    pub resident_teams: u32,
    pub sessions_scheduled: u32,
    pub sessions_held: u32,
    pub cancelled_by_hospital: u32,
    pub cancelled_by_primary: u32,
    pub sessions_missed: u32,
    /// Scheduled for today or later: still to be held.
    pub sessions_ahead: u32,
    pub patients_seen: u32,
    pub referrals_avoided: u32,
    pub mentorships: u32,
    pub activities: u32,
    pub ward_rounds: u32,
    pub competences: u32,
    pub panel_enrolments: u32,
    pub panel_patients: u32,
    pub enrolments_ended: u32,
    pub measurements: u32,
    /// Enrolments controlled on the last day, of those whose status is
    /// known.
    pub controlled: u32,
    pub known: u32,
    /// Follow-ups due (within the notice period) and overdue today.
    pub due: u32,
    pub overdue: u32,
    /// Time spent, and the part of it in the panel service's `measure`.
    pub elapsed: Elapsed,
    pub measuring: Elapsed,
}

impl OutreachReport {
    /// The counts alone (no timings), to compare two runs.
    pub fn counts(&self) -> OutreachReport {
        OutreachReport {
            elapsed: Elapsed::ZERO,
            measuring: Elapsed::ZERO,
            ..self.clone()
        }
    }

    /// The share of enrolments controlled at the end, of those known.
    pub fn controlled_share(&self) -> Option<f64> {
        (self.known > 0).then(|| f64::from(self.controlled) / f64::from(self.known))
    }
}

impl fmt::Display for OutreachReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let share = self
            .controlled_share()
            .map_or("n/a".to_string(), |s| format!("{:.0}%", s * 100.0));
        let per_measurement = if self.measurements > 0 {
            self.measuring.as_secs_f64() * 1000.0 / f64::from(self.measurements)
        } else {
            0.0
        };
        write!(
            f,
            "{} programmes ({} resident team), {} sessions: {} held ({} patients seen, {} referrals avoided), \
             {} cancelled by the hospital, {} by the centre, {} missed, {} ahead; \
             {} mentorships, {} activities ({} ward rounds), {} competences; \
             {} panel patients ({} enrolments, {} ended), {} measurements, {} controlled, {} due and {} overdue today; \
             {:.1} s ({:.1} ms a measurement)",
            self.programmes,
            self.resident_teams,
            self.sessions_scheduled,
            self.sessions_held,
            self.patients_seen,
            self.referrals_avoided,
            self.cancelled_by_hospital,
            self.cancelled_by_primary,
            self.sessions_missed,
            self.sessions_ahead,
            self.mentorships,
            self.activities,
            self.ward_rounds,
            self.competences,
            self.panel_patients,
            self.panel_enrolments,
            self.enrolments_ended,
            self.measurements,
            share,
            self.due,
            self.overdue,
            self.elapsed.as_secs_f64(),
            per_measurement,
        )
    }
}

/// `day` at `hour`:`minute` UTC.
fn at(day: Date, hour: u8, minute: u8) -> anyhow::Result<OffsetDateTime> {
    let t = time::Time::from_hms(hour, minute, 0).context("time of day")?;
    Ok(day.with_time(t).assume_utc())
}

/// When the morning's clinics are over (14:00 in China).
const AFTERNOON_HOUR: u8 = 6;

/// Runs the county's activity from `first` to `last` (inclusive) through
/// the services, moving `state`'s clock day by day.
pub async fn run(
    state: &AppState,
    county: &DemoCounty,
    first: Date,
    last: Date,
    seed: u64,
) -> anyhow::Result<OutreachReport> {
    let started = Instant::now();
    let cast = Cast::of(county, first);
    let mut report = OutreachReport::default();
    let mut programmes = programmes::Programmes::plan(&cast, first, stream(seed, 1));
    let mut mentoring = mentoring::Mentoring::new(stream(seed, 2));
    let mut panels = panels::Panels::plan(&cast, &programmes, last, stream(seed, 3));
    let mut day = first;
    while day <= last {
        state.ctx.clock.set(at(day, 0, 0)?);
        let started_today = programmes.morning(state, &cast, day, &mut report).await?;
        for p in started_today {
            mentoring
                .start(state, &cast, (p, programmes.get(p)), day, &mut report)
                .await?;
        }
        panels
            .morning(state, &cast, &programmes, day, &mut report)
            .await?;
        state.ctx.clock.set(at(day, AFTERNOON_HOUR, 0)?);
        let held = programmes.afternoon(state, &cast, day, &mut report).await?;
        mentoring
            .afternoon(state, &cast, &held, day, &mut report)
            .await?;
        panels.afternoon(state, &cast, day, &mut report).await?;
        day = day.next_day().context("date out of range")?;
    }
    report.sessions_ahead = programmes.ahead();
    panels.conclude(last, day, &mut report);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The days from `from` to `to` that clinics run.
fn working_days(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if working(d) {
            out.push(d);
        }
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

/// The last day of `day`'s month.
fn month_end(day: Date) -> Date {
    let next = match day.month() {
        time::Month::December => Date::from_calendar_date(day.year() + 1, time::Month::January, 1),
        m => Date::from_calendar_date(day.year(), m.next(), 1),
    };
    next.ok()
        .and_then(|d| d.previous_day())
        .unwrap_or(Date::MAX)
}

/// `day` moved on by `days`.
fn plus(day: Date, days: i64) -> Date {
    day.checked_add(Duration::days(days)).unwrap_or(Date::MAX)
}
