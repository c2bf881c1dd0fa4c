//! Outpatient slots for the history, opened through the referral service as
//! the days need them: a session of a department on a day is opened the
//! first time someone wants a slot there, and another one later that day
//! when it is full. Opening every department's full timetable for a year
//! would write hundreds of thousands of slots nobody books.

use crate::demo::at_midnight;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::access::Actor;
use tiercare_core::booking::SessionPlan;
use tiercare_core::{InstitutionId, ScheduleId, SlotId, Specialty};
use tiercare_service::referrals::Referrals;
use time::{Date, Duration, OffsetDateTime};

/// Slots per session and their length: 20-minute slots like the demo's
/// own sessions, opened a few at a time since each shard opens its own.
const SESSION_SLOTS: u32 = 4;
pub const SLOT_MINUTES: i64 = 20;
const SESSION_MINUTES: i64 = SLOT_MINUTES * SESSION_SLOTS as i64;
/// Sessions a department may open in one day (the last ends by 24:00 UTC).
const SESSIONS_PER_DAY: i64 = 24 * 60 / SESSION_MINUTES - 1;

/// The slots opened so far, per department and day, in start order.
pub struct Slots {
    open: HashMap<(InstitutionId, Specialty, Date), Day>,
    /// Minutes this shard's sessions start after the hour's slot grid, so
    /// the shards' slots (ids by start time) never coincide.
    offset: i64,
    pub opened: usize,
}

#[derive(Default)]
struct Day {
    /// The next session to open (its number in the day).
    next: i64,
    free: Vec<(OffsetDateTime, SlotId)>,
}

impl Slots {
    /// The slots of history shard `shard` (fewer than 20 shards).
    pub fn new(shard: i64) -> Slots {
        Slots {
            open: HashMap::new(),
            offset: shard % SLOT_MINUTES,
            opened: 0,
        }
    }

    /// Free slots of the department on `day` starting after `after`, in
    /// order, opening sessions as needed; the caller books one and
    /// reports it with [`Slots::taken`]. Empty when the day is full.
    pub async fn candidates(
        &mut self,
        state: &AppState,
        admin: &Actor,
        institution: &InstitutionId,
        specialty: Specialty,
        day: Date,
        after: OffsetDateTime,
    ) -> anyhow::Result<Vec<SlotId>> {
        let key = (institution.clone(), specialty, day);
        let d = self.open.entry(key).or_default();
        d.free.retain(|(start, _)| *start > after);
        // Sessions that would have started already are skipped.
        let first = at_midnight(day) + Duration::minutes(self.offset);
        let passed = (after - first).whole_minutes().max(0) / SESSION_MINUTES;
        d.next = d.next.max(passed);
        while d.free.len() < 2 && d.next < SESSIONS_PER_DAY {
            let schedule = ScheduleId::new(format!("{institution}-{}", specialty.code()))?;
            let start = first + Duration::minutes(SESSION_MINUTES * d.next);
            let plan = SessionPlan {
                schedule: &schedule,
                institution,
                specialty,
                start,
                slot_minutes: SLOT_MINUTES as u32,
                slots: SESSION_SLOTS,
            };
            self.opened += Referrals::new(&state.ctx, admin)
                .open_session(&plan)
                .await
                .map_err(|e| anyhow::anyhow!("opening {schedule} on {day}: {e}"))?;
            d.next += 1;
            d.free.extend(
                plan.slots(&state.ctx.policy)
                    .into_iter()
                    .filter(|s| s.start > after)
                    .map(|s| (s.start, s.id)),
            );
        }
        Ok(d.free.iter().map(|(_, id)| id.clone()).collect())
    }

    /// A slot handed out by [`Slots::candidates`] was booked (or turned
    /// out not to be free): it is not offered again.
    pub fn taken(
        &mut self,
        institution: &InstitutionId,
        specialty: Specialty,
        day: Date,
        slot: &SlotId,
    ) {
        if let Some(d) = self.open.get_mut(&(institution.clone(), specialty, day)) {
            d.free.retain(|(_, id)| id != slot);
        }
    }
}
