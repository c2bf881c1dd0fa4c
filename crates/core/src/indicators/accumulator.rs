//! Daily counters per institution, fed one fact at a time.

use super::compute::{Indicators, Totals};
use super::counters::Counters;
use super::{
    Day, Directory, Fact, IndicatorError, InstitutionFacts, Ix, Period, SCHEME_SLOTS, Subject,
};
use crate::Level;

/// Adds facts into one row of [`Counters`] per day and institution, plus a
/// region row per day for facts that belong to no institution.
///
/// Days may come in any order; the rows grow to cover them. Memory is one
/// row per institution per day of history, so a year of a county with 50
/// institutions is a few megabytes whatever the number of visits.
#[derive(Debug, Clone)]
pub struct Accumulator {
    directory: Directory,
    /// Institutions plus the region row.
    width: usize,
    /// The day of the first row.
    start: Day,
    rows: Vec<Counters>,
    /// The last day anything was counted on.
    last: Day,
    /// The last chronic panel snapshot per institution (known, followed).
    chronic: Vec<(u32, u32)>,
}

impl Accumulator {
    /// An empty accumulator over the institutions of `directory`.
    pub fn new(directory: Directory) -> Accumulator {
        let n = directory.len();
        Accumulator {
            directory,
            width: n + 1,
            start: 0,
            rows: Vec::new(),
            last: 0,
            chronic: vec![(0, 0); n],
        }
    }

    /// The institutions the facts refer to.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The days with any counters, if any.
    pub fn span(&self) -> Option<Period> {
        (!self.rows.is_empty()).then(|| Period::new(self.start, self.last))
    }

    fn days(&self) -> usize {
        self.rows.len() / self.width
    }

    /// Counts one fact. Facts about institutions outside the directory, or
    /// with a scheme beyond [`SCHEME_SLOTS`], are refused and not counted.
    pub fn record(&mut self, fact: &Fact) -> Result<(), IndicatorError> {
        let day = fact.day();
        if let Fact::Visit(v) = fact
            && let Some(c) = v.charge
            && usize::from(c.scheme) >= SCHEME_SLOTS
        {
            return Err(IndicatorError::SchemeSlot(c.scheme));
        }
        // Every institution is checked before anything is counted, so a
        // refused fact counts nowhere.
        let mut cols = [None; 2];
        for (col, row) in cols.iter_mut().zip(fact.rows()) {
            if let Some((ix, side)) = row {
                let i = match ix {
                    Some(ix) => self.place(ix)?.0,
                    None => self.width - 1,
                };
                *col = Some((i, side));
            }
        }
        for (i, side) in cols.into_iter().flatten() {
            self.row(day, i).count(fact, side);
        }
        if let Fact::ChronicPanel {
            institution,
            known,
            followed,
            ..
        } = *fact
        {
            let (i, _) = self.place(institution)?;
            let (last_known, last_followed) = self.chronic[i];
            self.chronic[i] = (known, followed);
            let row = self.row(day, i);
            row.chronic_known += i64::from(known) - i64::from(last_known);
            row.chronic_followed += i64::from(followed) - i64::from(last_followed);
        }
        Ok(())
    }

    /// Adds stored counters for one day and institution (`None` for the
    /// region row): how a store rebuilds the accumulator from its daily
    /// aggregates without the raw events.
    pub fn add_counters(
        &mut self,
        day: Day,
        institution: Option<Ix>,
        counters: &Counters,
    ) -> Result<(), IndicatorError> {
        let i = match institution {
            Some(ix) => self.place(ix)?.0,
            None => self.width - 1,
        };
        self.row(day, i).add(counters);
        Ok(())
    }

    /// Every row with something counted: (day, institution or `None` for
    /// the region row, counters). What a store keeps as daily aggregates.
    pub fn rows(&self) -> impl Iterator<Item = (Day, Option<Ix>, &Counters)> + '_ {
        let empty = Counters::default();
        self.rows
            .iter()
            .enumerate()
            .filter(move |(_, c)| **c != empty)
            .map(|(k, c)| {
                let day = self.start + (k / self.width) as Day;
                let col = k % self.width;
                let ix = (col + 1 < self.width).then_some(Ix(col as u32));
                (day, ix, c)
            })
    }

    /// Adds everything another accumulator over the same directory counted
    /// (the simulator's partitions, or replications summed).
    pub fn merge(&mut self, other: &Accumulator) -> Result<(), IndicatorError> {
        if other.width != self.width {
            return Err(IndicatorError::UnknownInstitution(other.width as u32 - 1));
        }
        for (day, ix, c) in other.rows() {
            self.add_counters(day, ix, c)?;
        }
        Ok(())
    }

    /// The indicators of `subject` over `period`, by the definitions in
    /// the module documentation.
    pub fn indicators(&self, period: Period, subject: Subject) -> Indicators {
        Indicators::from_totals(period, &self.totals(period, subject))
    }

    /// The indicators of the institutions of `subject` at one `level` over
    /// `period`: one stratum of a measure report stratified by level.
    /// Facts of no institution (residents, episodes) belong to no level, so
    /// a stratum has none of them, as with [`Subject::Level`].
    pub fn stratum(&self, period: Period, subject: Subject, level: Level) -> Indicators {
        let t = self.totals_of(
            period,
            |ix, f| f.level == level && subject.includes(ix, f),
            false,
        );
        Indicators::from_totals(period, &t)
    }

    /// The counters of `subject` summed per level: flows over the period,
    /// stocks up to its last day.
    pub(super) fn totals(&self, period: Period, subject: Subject) -> Totals {
        self.totals_of(
            period,
            |ix, f| subject.includes(ix, f),
            subject == Subject::Region,
        )
    }

    /// The counters of the institutions `member` picks, summed per level,
    /// and the region row when `with_region`.
    fn totals_of(
        &self,
        period: Period,
        member: impl Fn(Ix, &InstitutionFacts) -> bool,
        with_region: bool,
    ) -> Totals {
        let mut t = Totals::default();
        let members: Vec<(usize, Level, bool)> = self
            .directory
            .institutions
            .iter()
            .enumerate()
            .filter(|(i, f)| member(Ix(*i as u32), f))
            .map(|(i, f)| (i, f.level, f.inside))
            .collect();
        for &(i, level, inside) in &members {
            let f = &self.directory.institutions[i];
            if inside {
                let p = &mut t.pyramid[level.index()];
                p.0 += u64::from(f.physicians);
                p.1 += u64::from(f.beds);
                p.2 += u64::from(f.daily_slots);
            }
        }
        let region = self.width - 1;
        for d in 0..self.days() {
            let day = self.start + d as Day;
            if day > period.last {
                break;
            }
            let in_period = day >= period.first;
            let base = d * self.width;
            for &(i, level, inside) in &members {
                let c = &self.rows[base + i];
                let into = &mut t.by_level[level.index()];
                if in_period {
                    into.add(c);
                    if inside {
                        t.resident_visits_inside += c.visits_by_residents;
                    }
                } else {
                    into.add_stocks(c);
                }
            }
            if with_region {
                let c = &self.rows[base + region];
                if in_period {
                    t.region.add(c);
                } else {
                    t.region.add_stocks(c);
                }
            }
        }
        t
    }

    /// The row of `col` on `day`, growing the table to cover the day.
    fn row(&mut self, day: Day, col: usize) -> &mut Counters {
        if self.rows.is_empty() {
            self.start = day;
            self.last = day;
        }
        self.last = self.last.max(day);
        if day < self.start {
            let extra = (self.start - day) as usize * self.width;
            let mut rows = vec![Counters::default(); extra];
            rows.append(&mut self.rows);
            self.rows = rows;
            self.start = day;
        }
        let d = (day - self.start) as usize;
        if d >= self.days() {
            // Grow by at least a month so a stream of days does not
            // reallocate every day.
            let days = (d + 1).max(self.days() + 31);
            self.rows.resize(days * self.width, Counters::default());
        }
        &mut self.rows[d * self.width + col]
    }

    /// The column and level of an institution.
    fn place(&self, ix: Ix) -> Result<(usize, Level), IndicatorError> {
        self.directory
            .get(ix)
            .map(|f| (ix.index(), f.level))
            .ok_or(IndicatorError::UnknownInstitution(ix.0))
    }
}
