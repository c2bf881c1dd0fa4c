//! The live region's oversight indicators, computed by the core's
//! accumulator from the store's daily aggregates.
//!
//! Facts name institutions by the small numbers the store gave them; this
//! module builds the accumulator's directory from those numbers and the
//! registry (level, capacity, alliance memberships), reads the aggregates
//! up to the end of the period, and asks the core for the figures. It is
//! the one place the platform turns aggregates into indicators: the FHIR
//! `$evaluate-measure` operation and the dashboard both call it.

use crate::Context;
use crate::ServiceError;
use std::collections::HashMap;
use tiercare_core::indicators::{
    Accumulator, Day, Directory, Indicators, InstitutionFacts, Ix, Period, Subject,
};
use tiercare_core::{Level, Record};
use tiercare_store::{RowSet, Stored};

pub use crate::units::Unit;

pub use crate::days::{date_of, day_of};

/// What an indicator is computed over, as a caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRef {
    Region,
    Level(Level),
    /// An institution's id.
    Institution(String),
    /// An alliance's id.
    Alliance(String),
    /// A family-doctor team's id.
    Team(String),
    /// A doctor's (practitioner's) id.
    Practitioner(String),
}

/// The institutions and alliances the indicators are computed over.
#[derive(Debug, Clone)]
pub struct Network {
    pub directory: Directory,
    /// Institution ids, by position in the directory.
    pub institutions: Vec<String>,
    /// Institution names, by position.
    pub names: Vec<String>,
    /// Alliance ids, by alliance position.
    pub alliances: Vec<String>,
    /// Alliance names, by alliance position.
    pub alliance_names: Vec<String>,
    /// The registry's family-doctor teams and doctors ([`crate::units`]).
    pub teams: Vec<Unit>,
    pub practitioners: Vec<Unit>,
    /// Which aggregate rows the network reads: the institutions', or one
    /// unit's (as the network's only row; `None` while nothing has named
    /// it).
    pub rows: Rows,
}

/// The aggregate rows a network reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Institutions,
    Unit(Option<Ix>),
}

impl Rows {
    /// The store's rows to read, if any.
    fn set(self) -> Option<RowSet> {
        match self {
            Rows::Institutions => Some(RowSet::Institutions),
            Rows::Unit(unit) => unit.map(RowSet::Unit),
        }
    }

    /// Where a stored row goes in the network's accumulator: a unit is its
    /// network's only row.
    fn place(self, ix: Option<Ix>) -> Option<Ix> {
        match self {
            Rows::Institutions => ix,
            Rows::Unit(_) => Some(Ix(0)),
        }
    }
}

impl Network {
    /// The network to read for a caller's reference, and its subject
    /// there: this network for the region, a level, an alliance or an
    /// institution; a network of one row for a team or a doctor.
    pub fn focus(&self, r: &SubjectRef) -> Option<(Network, Subject)> {
        let unit = match r {
            SubjectRef::Team(id) => self.teams.iter().find(|u| &u.id == id)?,
            SubjectRef::Practitioner(id) => self.practitioners.iter().find(|u| &u.id == id)?,
            _ => return self.subject(r).map(|s| (self.clone(), s)),
        };
        let facts = InstitutionFacts {
            level: unit.level,
            inside: true,
            alliances: vec![],
            physicians: 0,
            beds: 0,
            daily_slots: 0,
        };
        let network = Network {
            directory: Directory {
                institutions: vec![facts],
            },
            institutions: vec![unit.id.clone()],
            names: vec![unit.name.clone()],
            alliances: vec![],
            alliance_names: vec![],
            teams: vec![],
            practitioners: vec![],
            rows: Rows::Unit(unit.ix),
        };
        Some((network, Subject::Institution(Ix(0))))
    }

    /// The accumulator's subject for a caller's reference, if it names
    /// something in the network's institutions (see [`Network::focus`] for
    /// teams and doctors).
    pub fn subject(&self, r: &SubjectRef) -> Option<Subject> {
        match r {
            SubjectRef::Region => Some(Subject::Region),
            SubjectRef::Level(l) => Some(Subject::Level(*l)),
            SubjectRef::Institution(id) => self
                .institutions
                .iter()
                .position(|i| i == id)
                .map(|k| Subject::Institution(Ix(k as u32))),
            SubjectRef::Alliance(id) => self
                .alliances
                .iter()
                .position(|a| a == id)
                .map(|k| Subject::Alliance(k as u16)),
            SubjectRef::Team(_) | SubjectRef::Practitioner(_) => None,
        }
    }
}

/// Every record of a type.
pub(crate) async fn every(ctx: &Context, resource_type: &str) -> Result<Vec<Stored>, ServiceError> {
    Ok(crate::search::all(&ctx.store, crate::search::query(resource_type, vec![])).await?)
}

/// The network as the registry holds it now: institutions the facts have
/// numbered come first, in number order, then the others (they have no
/// facts yet, but count in the capacity pyramid).
pub async fn network(ctx: &Context) -> Result<Network, ServiceError> {
    let numbered: Vec<(Ix, String)> = ctx
        .store
        .indicator_institutions()
        .await?
        .into_iter()
        .filter(|(ix, _)| !ix.is_unit())
        .collect();
    let mut institutions: HashMap<String, tiercare_core::network::Institution> = HashMap::new();
    let mut alliances: Vec<(String, String)> = Vec::new();
    for s in every(ctx, "Organization").await? {
        match s.record {
            Record::Institution(i) => {
                institutions.insert(i.id.to_string(), i);
            }
            Record::Alliance(a) => alliances.push((a.id.to_string(), a.name)),
            _ => {}
        }
    }
    alliances.sort();
    let (alliances, alliance_names): (Vec<String>, Vec<String>) = alliances.into_iter().unzip();
    let mut member_of: HashMap<String, Vec<u16>> = HashMap::new();
    for s in every(ctx, "OrganizationAffiliation").await? {
        if let Record::Membership(m) = s.record
            && let Some(k) = alliances.iter().position(|a| a == m.alliance.as_str())
        {
            member_of
                .entry(m.institution.to_string())
                .or_default()
                .push(k as u16);
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(institutions.len());
    for (ix, id) in &numbered {
        // Numbers are dense from 0; a gap would misplace every later one.
        if ix.0 as usize != order.len() {
            return Err(ServiceError::Unavailable(format!(
                "indicator institution numbers are not dense at {}",
                ix.0
            )));
        }
        order.push(id.clone());
    }
    let mut rest: Vec<&String> = institutions
        .keys()
        .filter(|id| !order.contains(id))
        .collect();
    rest.sort();
    order.extend(rest.into_iter().cloned());
    let mut facts = Vec::with_capacity(order.len());
    let mut names = Vec::with_capacity(order.len());
    for id in &order {
        let f = match institutions.get(id) {
            Some(i) => {
                names.push(i.name.clone());
                InstitutionFacts {
                    level: i.level,
                    inside: i.region == ctx.region,
                    alliances: member_of.remove(id).unwrap_or_default(),
                    physicians: i.capacity.physicians,
                    beds: i.capacity.beds,
                    daily_slots: i.capacity.daily_outpatient_slots,
                }
            }
            // Numbered once, since removed from the registry: its history
            // still counts.
            None => {
                names.push(id.clone());
                InstitutionFacts {
                    level: Level::Primary,
                    inside: true,
                    alliances: vec![],
                    physicians: 0,
                    beds: 0,
                    daily_slots: 0,
                }
            }
        };
        facts.push(f);
    }
    Ok(Network {
        directory: Directory {
            institutions: facts,
        },
        institutions: order,
        names,
        alliances,
        alliance_names,
        teams: vec![],
        practitioners: vec![],
        rows: Rows::Institutions,
    })
}

impl Network {
    /// The network with the registry's teams and doctors, for a reader who
    /// may pick one or names one (the others need not read them).
    pub async fn with_units(mut self, ctx: &Context) -> Result<Network, ServiceError> {
        let rows: HashMap<String, Ix> = ctx
            .store
            .indicator_institutions()
            .await?
            .into_iter()
            .filter(|(ix, _)| ix.is_unit())
            .map(|(ix, key)| (key, ix))
            .collect();
        let level_of: HashMap<String, Level> = self
            .institutions
            .iter()
            .zip(&self.directory.institutions)
            .map(|(id, f)| (id.clone(), f.level))
            .collect();
        let (teams, practitioners) = crate::units::units(ctx, &rows, &level_of).await?;
        self.teams = teams;
        self.practitioners = practitioners;
        Ok(self)
    }

    /// The network for a caller's reference, with the teams and doctors
    /// read only when the reference names one.
    pub async fn for_subject(self, ctx: &Context, r: &SubjectRef) -> Result<Network, ServiceError> {
        match r {
            SubjectRef::Team(_) | SubjectRef::Practitioner(_) => self.with_units(ctx).await,
            _ => Ok(self),
        }
    }
}

/// The accumulator over the network, from the aggregates up to `last`,
/// with the specialist hours of multi-site practice from the registry's
/// schedules.
pub async fn accumulator(
    ctx: &Context,
    network: &Network,
    last: Day,
) -> Result<Accumulator, ServiceError> {
    let mut acc = Accumulator::new(network.directory.clone());
    let Some(set) = network.rows.set() else {
        return Ok(acc);
    };
    for (day, ix, counters) in ctx.store.indicator_days(last, set).await? {
        acc.add_counters(day, network.rows.place(ix), &counters)
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
    }
    let until = crate::days::date_of(last).unwrap_or(time::Date::MIN);
    add_practice(ctx, network, &mut acc, time::Date::MIN, until).await?;
    Ok(acc)
}

/// Adds the specialist hours of multi-site practice, which are read from
/// the registry's schedules rather than the aggregates
/// ([`crate::flows::practice`]), to the institutions' rows.
async fn add_practice(
    ctx: &Context,
    network: &Network,
    acc: &mut Accumulator,
    first: time::Date,
    last: time::Date,
) -> Result<(), ServiceError> {
    if network.rows != Rows::Institutions {
        return Ok(());
    }
    for (day, ix, flow) in crate::flows::practice(ctx, network, first, last).await? {
        let counters = tiercare_core::indicators::Counters {
            flows: vec![flow],
            ..tiercare_core::indicators::Counters::default()
        };
        acc.add_counters(day, Some(ix), &counters)
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
    }
    Ok(())
}

/// The accumulator for one period, read from monthly aggregates with the
/// edge months day by day: exact for the period and for any calendar
/// months inside it, and a dozen rows per institution for a year.
pub async fn accumulator_for(
    ctx: &Context,
    network: &Network,
    period: Period,
) -> Result<Accumulator, ServiceError> {
    let mut acc = Accumulator::new(network.directory.clone());
    let Some(set) = network.rows.set() else {
        return Ok(acc);
    };
    let rows = ctx
        .store
        .indicator_rows(period.first, period.last, set)
        .await?;
    for (day, ix, counters) in rows {
        acc.add_counters(day, network.rows.place(ix), &counters)
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
    }
    if let (Some(first), Some(last)) = (
        crate::days::date_of(period.first),
        crate::days::date_of(period.last),
    ) {
        add_practice(ctx, network, &mut acc, first, last).await?;
    }
    Ok(acc)
}

/// The institutions' accumulator recomputed from the raw facts instead of
/// the aggregates: what the aggregates are checked against. The copies
/// counted for teams and doctors are left out, as the institutions' rows
/// leave them out; the schedules of multi-site practice are added as
/// [`accumulator`] adds them.
pub async fn recount(ctx: &Context, network: &Network) -> Result<Accumulator, ServiceError> {
    let mut acc = Accumulator::new(network.directory.clone());
    for f in ctx.store.indicator_facts().await? {
        if !f.is_unit_fact() {
            acc.record(&f)
                .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        }
    }
    add_practice(ctx, network, &mut acc, time::Date::MIN, ctx.clock.today()).await?;
    Ok(acc)
}

/// Every indicator of a subject over a period.
pub async fn evaluate(
    ctx: &Context,
    period: Period,
    subject: &SubjectRef,
) -> Result<(Network, Indicators), ServiceError> {
    let whole = network(ctx).await?.for_subject(ctx, subject).await?;
    let (network, s) = whole.focus(subject).ok_or_else(|| {
        ServiceError::invalid(
            "subject",
            format!(
                "{subject:?} is not an institution, alliance, level, team or doctor of the region"
            ),
        )
    })?;
    let acc = accumulator_for(ctx, &network, period).await?;
    let indicators = acc.indicators(period, s);
    Ok((network, indicators))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_count_from_1970() {
        // 56 years of 365 days, 14 leap days (1972 to 2024), then 326 days
        // into 2026.
        assert_eq!(day_of(date!(1970 - 01 - 01)), 0);
        assert_eq!(day_of(date!(2026 - 11 - 23)), 20_780);
        assert_eq!(date_of(20_780), Some(date!(2026 - 11 - 23)));
    }
}
