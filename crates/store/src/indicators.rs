//! Indicator facts and their daily aggregates, kept in the transaction of
//! the write that recorded them.
//!
//! The counters of `tiercare-core::indicators` add up, so the store keeps
//! one row of counters per day and institution and adds each fact's
//! changes to it. Reading a year for a dashboard is then one row per
//! institution per day, whatever the number of visits behind them; the raw
//! facts stay too, so the aggregates can always be checked against them.

use crate::{Store, StoreError};
// Dynamic SQL here is assembled from fixed fragments and numbered
// placeholders only; every value is bound, never spliced in.
use crate::batch_conn::{BatchConn, Val};
use sqlx::Row;
use std::collections::BTreeMap;
use tiercare_core::indicators::{Counters, Day, Fact, Ix};

/// The row number of facts that belong to no institution.
const REGION_ROW: i64 = -1;

/// Which aggregate rows a read takes: the institutions' (with the region
/// row), or one team's or doctor's (numbered from `Ix::FIRST_UNIT`, read
/// only when that unit is asked about).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSet {
    Institutions,
    Unit(Ix),
}

impl RowSet {
    /// The `ix` range, from and below.
    fn range(self) -> (i64, i64) {
        match self {
            RowSet::Institutions => (REGION_ROW, i64::from(Ix::FIRST_UNIT)),
            RowSet::Unit(u) => (i64::from(u.0), i64::from(u.0) + 1),
        }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.into(), e.to_string())
}

/// Adds facts, and their counters to the daily aggregates, inside the
/// caller's transaction. The counters of one write are summed per day and
/// institution first, so a write of many facts touches each row once.
///
/// Facts and aggregates are stored in `region`, the writing store's (the
/// institutions' region: a deployment serves one).
pub(crate) async fn record_facts<C: BatchConn>(
    conn: &mut C,
    region: &str,
    facts: &[Fact],
) -> Result<(), StoreError> {
    // Three values per row, well under SQLite's limit of bound values.
    let mut rows = Vec::with_capacity(facts.len());
    for fact in facts {
        let text = serde_json::to_string(fact).map_err(|e| corrupt("fact", e))?;
        rows.push(vec![
            Val::Int(i64::from(fact.day())),
            Val::Text(text),
            Val::Text(region.to_string()),
        ]);
    }
    crate::batch_conn::insert_rows(
        conn,
        "indicator_facts",
        &["day", "fact", "region"],
        "",
        rows,
    )
    .await?;
    let mut days: BTreeMap<(Day, Option<Ix>), Counters> = BTreeMap::new();
    let mut months: BTreeMap<(i32, Option<Ix>), Counters> = BTreeMap::new();
    // The last chronic panel snapshot of each institution met in this
    // write (earlier ones are read from the aggregates).
    let mut chronic: BTreeMap<Ix, (i64, i64)> = BTreeMap::new();
    for fact in facts {
        let mut deltas = fact.deltas();
        if let Fact::ChronicPanel {
            day,
            institution,
            known,
            followed,
        } = *fact
        {
            let last = match chronic.get(&institution) {
                Some(&last) => last,
                None => chronic_stock(conn, institution).await?,
            };
            let now = (i64::from(known), i64::from(followed));
            chronic.insert(institution, now);
            deltas.push((
                day,
                Some(institution),
                Counters {
                    chronic_known: now.0 - last.0,
                    chronic_followed: now.1 - last.1,
                    ..Counters::default()
                },
            ));
        }
        for (day, ix, delta) in deltas {
            days.entry((day, ix)).or_default().add(&delta);
            months.entry((month_of(day), ix)).or_default().add(&delta);
        }
    }
    for ((day, ix), delta) in days {
        add_counters(conn, region, Table::Days, day, ix, &delta).await?;
    }
    for ((month, ix), delta) in months {
        add_counters(conn, region, Table::Months, month, ix, &delta).await?;
    }
    Ok(())
}

/// An institution's chronic panel as its last snapshot left it: the sum of
/// every change of its stock, which is what the snapshots telescope to
/// (the same changes the core's `Accumulator` makes of them, so stored
/// aggregates and the raw facts still give the same figures). A snapshot
/// is a stock, not a change, so `Fact::deltas` cannot give its counters
/// alone.
async fn chronic_stock<C: BatchConn>(conn: &mut C, ix: Ix) -> Result<(i64, i64), StoreError> {
    let rows = conn
        .fetch(
            "SELECT counters FROM indicator_months WHERE ix = $1",
            vec![Val::Int(i64::from(ix.0))],
        )
        .await?;
    let mut stock = (0, 0);
    for row in rows {
        let text = counters_text(row)?;
        let c: Counters =
            serde_json::from_str(&text).map_err(|e| corrupt("indicator_months", e))?;
        stock.0 += c.chronic_known;
        stock.1 += c.chronic_followed;
    }
    Ok(stock)
}

/// The one column of a `SELECT counters` row.
fn counters_text(row: Vec<Val>) -> Result<String, StoreError> {
    row.into_iter()
        .next()
        .ok_or_else(|| corrupt("counters", "no column"))?
        .text("counters")
}

/// Days are counted from 1970-01-01; the Julian day number of that date.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// The calendar month of a day, as year * 12 + month - 1.
pub fn month_of(day: Day) -> i32 {
    match time::Date::from_julian_day(day + UNIX_EPOCH_JULIAN_DAY) {
        Ok(d) => d.year() * 12 + i32::from(u8::from(d.month())) - 1,
        // Outside the calendar's range: every such day in one bucket, far
        // from any real month.
        Err(_) => i32::MIN,
    }
}

/// The first day of a month given as year * 12 + month - 1.
pub fn month_start(month: i32) -> Option<Day> {
    let m = u8::try_from(month.rem_euclid(12) + 1).ok()?;
    let date =
        time::Date::from_calendar_date(month.div_euclid(12), time::Month::try_from(m).ok()?, 1)
            .ok()?;
    Some(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

/// Which aggregate table a row is in.
#[derive(Clone, Copy)]
enum Table {
    Days,
    Months,
}

async fn add_counters<C: BatchConn>(
    conn: &mut C,
    region: &str,
    table: Table,
    key: i32,
    ix: Option<Ix>,
    delta: &Counters,
) -> Result<(), StoreError> {
    let (select, upsert) = match table {
        Table::Days => (
            "SELECT counters FROM indicator_days WHERE day = $1 AND ix = $2 AND region = $3",
            "INSERT INTO indicator_days (day, ix, region, counters) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (day, ix, region) DO UPDATE SET counters = excluded.counters",
        ),
        Table::Months => (
            "SELECT counters FROM indicator_months WHERE month = $1 AND ix = $2 AND region = $3",
            "INSERT INTO indicator_months (month, ix, region, counters) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (month, ix, region) DO UPDATE SET counters = excluded.counters",
        ),
    };
    let row_ix = ix.map_or(REGION_ROW, |i| i64::from(i.0));
    let key_args = || {
        vec![
            Val::Int(i64::from(key)),
            Val::Int(row_ix),
            Val::Text(region.to_string()),
        ]
    };
    let current = conn.fetch(select, key_args()).await?.into_iter().next();
    let mut counters = match current {
        Some(row) => serde_json::from_str::<Counters>(&counters_text(row)?)
            .map_err(|e| corrupt("indicator_days", e))?,
        None => Counters::default(),
    };
    counters.add(delta);
    let text = serde_json::to_string(&counters).map_err(|e| corrupt("counters", e))?;
    let mut args = key_args();
    args.push(Val::Text(text));
    conn.execute(upsert, args).await?;
    Ok(())
}

impl Store {
    /// The stable number of an institution in indicator facts, given on
    /// first use.
    pub async fn institution_ix(&self, institution: &str) -> Result<Ix, StoreError> {
        self.numbered(institution, false).await
    }

    /// The stable number of a unit below the institution (a family-doctor
    /// team, a doctor), named by a key the caller keeps apart from
    /// institution ids (`CareTeam/ID`, `Practitioner/ID`): numbers from
    /// [`Ix::FIRST_UNIT`] up, so units never take an institution's place in
    /// the indicators' directory.
    pub async fn unit_ix(&self, unit: &str) -> Result<Ix, StoreError> {
        self.numbered(unit, true).await
    }

    async fn numbered(&self, institution: &str, unit: bool) -> Result<Ix, StoreError> {
        // A number, once given, never changes: kept in memory after the
        // first look, on every server.
        if let Ok(cache) = self.ix_cache.lock()
            && let Some(ix) = cache.get(institution)
        {
            return Ok(*ix);
        }
        let ix = self.institution_ix_stored(institution, unit).await?;
        if let Ok(mut cache) = self.ix_cache.lock() {
            cache.insert(institution.to_string(), ix);
        }
        Ok(ix)
    }

    async fn institution_ix_stored(&self, institution: &str, unit: bool) -> Result<Ix, StoreError> {
        let known = sqlx::query("SELECT ix FROM indicator_institutions WHERE institution = $1")
            .bind(institution)
            .fetch_optional(&self.read)
            .await?;
        if let Some(r) = known {
            let ix: i64 = r.try_get("ix")?;
            return u32::try_from(ix)
                .map(Ix)
                .map_err(|e| corrupt("indicator_institutions", e));
        }
        // Institutions count from 0, as positions in the indicators'
        // directory; units from `Ix::FIRST_UNIT`. Under the write lock, so
        // two servers never give out one number.
        let (first, below) = if unit {
            (i64::from(Ix::FIRST_UNIT), i64::MAX)
        } else {
            (0, i64::from(Ix::FIRST_UNIT))
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO indicator_institutions (ix, institution) \
             SELECT (SELECT COALESCE(MAX(ix) + 1, $2) FROM indicator_institutions \
                     WHERE ix >= $2 AND ix < $3), $1 \
             WHERE NOT EXISTS (SELECT 1 FROM indicator_institutions WHERE institution = $1)",
        )
        .bind(institution)
        .bind(first)
        .bind(below)
        .execute(&mut *tx)
        .await?;
        let ix: i64 = sqlx::query("SELECT ix FROM indicator_institutions WHERE institution = $1")
            .bind(institution)
            .fetch_one(&mut *tx)
            .await?
            .try_get("ix")?;
        tx.commit().await?;
        u32::try_from(ix)
            .map(Ix)
            .map_err(|e| corrupt("indicator_institutions", e))
    }

    /// Every institution and unit with a number, in number order.
    pub async fn indicator_institutions(&self) -> Result<Vec<(Ix, String)>, StoreError> {
        let rows = sqlx::query("SELECT ix, institution FROM indicator_institutions ORDER BY ix")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let ix: i64 = r.try_get("ix")?;
                let ix = u32::try_from(ix).map_err(|e| corrupt("indicator_institutions", e))?;
                Ok((Ix(ix), r.try_get("institution")?))
            })
            .collect()
    }

    /// The daily aggregates up to `last` (stocks need every day before a
    /// period; flows are filtered by the accumulator).
    pub async fn indicator_days(
        &self,
        last: Day,
        which: RowSet,
    ) -> Result<Vec<(Day, Option<Ix>, Counters)>, StoreError> {
        let (lo, hi) = which.range();
        let rows = sqlx::query(
            "SELECT day, ix, counters FROM indicator_days \
             WHERE day <= $1 AND ix >= $2 AND ix < $3 ORDER BY day, ix",
        )
        .bind(i64::from(last))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let day: i64 = r.try_get("day")?;
                let ix: i64 = r.try_get("ix")?;
                let text: String = r.try_get("counters")?;
                let counters =
                    serde_json::from_str(&text).map_err(|e| corrupt("indicator_days", e))?;
                let day = Day::try_from(day).map_err(|e| corrupt("indicator_days", e))?;
                let ix = if ix == REGION_ROW {
                    None
                } else {
                    Some(Ix(
                        u32::try_from(ix).map_err(|e| corrupt("indicator_days", e))?
                    ))
                };
                Ok((day, ix, counters))
            })
            .collect()
    }

    /// The aggregates an accumulator needs for the period `first..=last`,
    /// as (day, institution, counters) rows: whole months from the monthly
    /// table (dated on their first day), and the days of the months the
    /// period starts and ends in from the daily table. Stocks before the
    /// period come with them; nothing after `last` is read.
    pub async fn indicator_rows(
        &self,
        first: Day,
        last: Day,
        which: RowSet,
    ) -> Result<Vec<(Day, Option<Ix>, Counters)>, StoreError> {
        let (m_first, m_last) = (month_of(first), month_of(last));
        let (lo, hi) = which.range();
        let mut out = Vec::new();
        // Months wholly before the period's first month or between its
        // first and last months.
        let rows = sqlx::query(
            "SELECT month, ix, counters FROM indicator_months \
             WHERE (month < $1 OR (month > $1 AND month < $2)) AND ix >= $3 AND ix < $4 \
             ORDER BY month, ix",
        )
        .bind(i64::from(m_first))
        .bind(i64::from(m_last))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.read)
        .await?;
        for r in &rows {
            let month: i64 = r.try_get("month")?;
            let month = i32::try_from(month).map_err(|e| corrupt("indicator_months", e))?;
            let Some(day) = month_start(month) else {
                continue;
            };
            out.push((day, row_ix(r)?, counters(r)?));
        }
        // The edge months day by day, up to `last`.
        let from = month_start(m_first).unwrap_or(first).min(first);
        let edges = sqlx::query(
            "SELECT day, ix, counters FROM indicator_days \
             WHERE day >= $1 AND day <= $2 AND (day < $3 OR day >= $4) \
             AND ix >= $5 AND ix < $6 ORDER BY day, ix",
        )
        .bind(i64::from(from))
        .bind(i64::from(last))
        .bind(i64::from(month_start(m_first + 1).unwrap_or(last + 1)))
        .bind(i64::from(month_start(m_last).unwrap_or(from)))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.read)
        .await?;
        for r in &edges {
            let day: i64 = r.try_get("day")?;
            let day = Day::try_from(day).map_err(|e| corrupt("indicator_days", e))?;
            out.push((day, row_ix(r)?, counters(r)?));
        }
        Ok(out)
    }

    /// Adds counters to the daily and monthly aggregates in one write
    /// transaction, without raw facts behind them: activity counted
    /// elsewhere and handed over as totals (the demo county's residents
    /// beyond its synthetic ones, run by the simulator through the same
    /// core counters). The aggregates stay sums of their parts, so every
    /// figure read from them adds the two sources up. Stocks that are
    /// snapshots (the chronic panels) are refused: a later snapshot of the
    /// live panel would cancel them.
    pub async fn add_indicator_counters(
        &self,
        rows: &[(Day, Option<Ix>, Counters)],
    ) -> Result<(), StoreError> {
        if rows
            .iter()
            .any(|(_, _, c)| c.chronic_known != 0 || c.chronic_followed != 0)
        {
            return Err(StoreError::Counters(
                "chronic panels are snapshots: they are recorded as facts, not added as counters"
                    .into(),
            ));
        }
        let mut days: BTreeMap<(Day, Option<Ix>), Counters> = BTreeMap::new();
        let mut months: BTreeMap<(i32, Option<Ix>), Counters> = BTreeMap::new();
        for (day, ix, c) in rows {
            // Everything handed over is marked so, whatever the caller says.
            let c = Counters {
                handed_over: c.visits,
                ..c.clone()
            };
            days.entry((*day, *ix)).or_default().add(&c);
            months.entry((month_of(*day), *ix)).or_default().add(&c);
        }
        let mut tx = self.begin_write().await?;
        for ((day, ix), delta) in days {
            add_counters(&mut *tx, self.region(), Table::Days, day, ix, &delta).await?;
        }
        for ((month, ix), delta) in months {
            add_counters(&mut *tx, self.region(), Table::Months, month, ix, &delta).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every fact ever recorded, in order: the raw history the aggregates
    /// are checked against.
    pub async fn indicator_facts(&self) -> Result<Vec<Fact>, StoreError> {
        let rows = sqlx::query("SELECT fact FROM indicator_facts ORDER BY seq")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("fact")?;
                serde_json::from_str(&text).map_err(|e| corrupt("indicator_facts", e))
            })
            .collect()
    }
}

fn row_ix(r: &sqlx::any::AnyRow) -> Result<Option<Ix>, StoreError> {
    let ix: i64 = r.try_get("ix")?;
    if ix == REGION_ROW {
        return Ok(None);
    }
    u32::try_from(ix)
        .map(|i| Some(Ix(i)))
        .map_err(|e| corrupt("indicator rows", e))
}

fn counters(r: &sqlx::any::AnyRow) -> Result<Counters, StoreError> {
    let text: String = r.try_get("counters")?;
    serde_json::from_str(&text).map_err(|e| corrupt("indicator rows", e))
}

#[cfg(test)]
mod tests {
    use crate::records::tests::{resident, store, write};
    use crate::{Expect, RowSet, Write};
    use tiercare_core::Level;
    use tiercare_core::indicators::{
        Accumulator, Charge, Direction, Directory, Fact, InstitutionFacts, Ix, Period, Subject,
        Visit, VisitKind,
    };
    use tiercare_core::insurance::Fen;

    /// A small deterministic generator, so the data is varied but the test
    /// repeatable.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn level_of(ix: u32) -> Level {
        match ix {
            0..=3 => Level::Primary,
            4 | 5 => Level::Secondary,
            _ => Level::Tertiary,
        }
    }

    fn directory(n: u32) -> Directory {
        Directory {
            institutions: (0..n)
                .map(|i| InstitutionFacts {
                    level: level_of(i),
                    inside: i != 6,
                    alliances: vec![(i % 2) as u16],
                    physicians: 10,
                    beds: 20,
                    daily_slots: 100,
                })
                .collect(),
        }
    }

    fn facts(rng: &mut Lcg, day: i32) -> Vec<Fact> {
        let mut out = Vec::new();
        for _ in 0..rng.below(4) {
            let inst = rng.below(7) as u32;
            let level = level_of(inst);
            out.push(Fact::Visit(Visit {
                day,
                institution: Ix(inst),
                level,
                kind: [
                    VisitKind::FirstContact,
                    VisitKind::ReferredUp,
                    VisitKind::FollowUp,
                ][rng.below(3) as usize],
                positioned: Some(Level::ALL[rng.below(3) as usize]),
                emergency: rng.below(20) == 0,
                inpatient: rng.below(10) == 0,
                resident: rng.below(10) != 0,
                charge: (rng.below(4) != 0).then(|| Charge {
                    scheme: rng.below(2) as u8,
                    cost: Fen::new(5_000 + rng.below(20_000) as i64),
                    out_of_pocket: Fen::new(rng.below(5_000) as i64),
                }),
                wait_days: rng.below(30) as f32 / 7.0,
            }));
        }
        if rng.below(3) == 0 {
            let (from, to) = (Ix(rng.below(4) as u32), Ix(4 + rng.below(3) as u32));
            out.push(Fact::Referral {
                day,
                from,
                to,
                direction: Direction::Up,
            });
            out.push(Fact::ReferralBooked {
                day,
                from,
                to,
                wait_days: rng.below(14) as u32,
            });
        }
        if rng.below(5) == 0 {
            out.push(Fact::Contracts {
                day,
                institution: Ix(rng.below(4) as u32),
                delta: 1,
                key_group: rng.below(2) as i32,
            });
            out.push(Fact::Residents {
                day,
                delta: 1,
                key_group: 0,
                access_known: 1,
                within_access: 1,
            });
        }
        // Chronic panel snapshots, sometimes two of one institution in one
        // write: the store counts each as its change from the last.
        for _ in 0..rng.below(3) {
            out.push(Fact::ChronicPanel {
                day,
                institution: Ix(rng.below(2) as u32),
                known: 10 + rng.below(20) as u32,
                followed: rng.below(10) as u32,
            });
        }
        out
    }

    #[tokio::test]
    async fn aggregates_equal_the_indicators_recomputed_from_the_facts() {
        let (s, _dir) = store().await;
        for id in ["t0", "t1", "t2", "t3", "h0", "h1", "city"] {
            s.institution_ix(id).await.unwrap();
        }
        assert_eq!(
            s.institution_ix("h1").await.unwrap(),
            Ix(5),
            "numbers are stable"
        );
        let mut rng = Lcg(7);
        // Two years of days in a shuffled order, several writes a day, and
        // some writes sharing commits.
        let mut writes = Vec::new();
        for k in 0..730 {
            let day = ((k * 389) % 730) - 365;
            let mut w: Write = write(resident(&format!("r{k}"), "Li", None), Expect::New);
            w.facts = facts(&mut rng, day);
            writes.push(w);
        }
        for chunk in writes.chunks(50) {
            s.write_all(chunk.to_vec(), vec![]).await.unwrap();
        }
        let dir = directory(7);
        let mut raw = Accumulator::new(dir.clone());
        for f in s.indicator_facts().await.unwrap() {
            raw.record(&f).unwrap();
        }
        let mut stored = Accumulator::new(dir);
        for (day, ix, c) in s.indicator_days(364, RowSet::Institutions).await.unwrap() {
            stored.add_counters(day, ix, &c).unwrap();
        }
        assert!(
            raw.indicators(Period::new(-365, 364), Subject::Region)
                .visits
                > 500
        );
        assert!(
            raw.indicators(Period::new(-365, 364), Subject::Region)
                .chronic_management
                .is_some(),
            "chronic panel snapshots were counted"
        );
        // Monthly aggregates with the edge days give the same figures for
        // any period, month-aligned or not.
        for (first, last) in [(-365, 364), (-20, 45), (3, 9), (-300, -200), (31, 364)] {
            let period = Period::new(first, last);
            let mut rows = Accumulator::new(directory(7));
            for (day, ix, c) in s
                .indicator_rows(first, last, RowSet::Institutions)
                .await
                .unwrap()
            {
                rows.add_counters(day, ix, &c).unwrap();
            }
            for subject in [
                Subject::Region,
                Subject::Alliance(0),
                Subject::Institution(Ix(5)),
            ] {
                assert_eq!(
                    rows.indicators(period, subject),
                    raw.indicators(period, subject),
                    "{period:?} {subject:?}"
                );
            }
        }
        for period in [
            Period::new(-365, 364),
            Period::new(0, 30),
            Period::new(-100, -1),
        ] {
            for subject in [
                Subject::Region,
                Subject::Level(Level::Secondary),
                Subject::Alliance(1),
                Subject::Institution(Ix(2)),
            ] {
                assert_eq!(
                    stored.indicators(period, subject),
                    raw.indicators(period, subject),
                    "{period:?} {subject:?}"
                );
            }
        }
    }

    #[test]
    fn months_count_from_january_1970() {
        assert_eq!(super::month_of(0), 1970 * 12);
        assert_eq!(super::month_of(31), 1970 * 12 + 1, "1 February 1970");
        assert_eq!(super::month_of(-1), 1969 * 12 + 11, "31 December 1969");
        for day in [-400, -1, 0, 59, 20_780] {
            let start = super::month_start(super::month_of(day)).unwrap();
            assert!(start <= day && day - start < 31);
            assert_eq!(super::month_of(start), super::month_of(day));
        }
    }

    #[tokio::test]
    async fn a_refused_write_adds_no_facts() {
        let (s, _dir) = store().await;
        let mut w = write(resident("r1", "Li", None), Expect::New);
        w.facts = vec![Fact::Episode { day: 3 }];
        s.write_all(vec![w.clone()], vec![]).await.unwrap();
        // The same record again: refused, so its facts must not count.
        assert!(s.write_all(vec![w], vec![]).await.is_err());
        assert_eq!(s.indicator_facts().await.unwrap().len(), 1);
        let days = s.indicator_days(10, RowSet::Institutions).await.unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].2.episodes, 1);
    }
}
