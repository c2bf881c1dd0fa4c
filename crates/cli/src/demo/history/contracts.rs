//! Family-doctor contracts over the year, through the registry service: a
//! contract that runs a fixed year is renewed by the family doctor the day
//! after it ends (or left to lapse), and residents without one sign up with
//! a team of their primary institution now and then, so contract coverage
//! moves over the months and the newly contracted can be referred.

use super::mix::{between, chance};
use super::{Run, SHARDS, Step, at};
use tiercare_core::access::Actor;
use tiercare_core::resident::Contract;
use tiercare_core::{Record, ResidentId};
use tiercare_service::registry::Registry;
use tiercare_store::{Expect, Stored};
use time::{Date, Duration};

/// Fixed-year contracts renewed when they end (the rest lapse).
const RENEW: f64 = 0.85;
/// Residents without a contract who sign one in a year.
const SIGN_UP_PER_YEAR: f64 = 0.08;

/// A contract change on the agenda.
#[derive(Debug, Clone)]
pub enum Change {
    Renew { person: usize },
    SignUp { person: usize },
}

impl Run<'_> {
    /// Puts this shard's renewals and sign-ups between `first` and `last`
    /// on the agenda.
    pub(super) fn contracts(&mut self, first: Date, last: Date) {
        let days = (last - first).whole_days().max(1);
        for i in (self.shard..self.cast.people.len()).step_by(SHARDS) {
            let (day, change) = match &self.cast.people[i].contract {
                Some(Contract {
                    ends_on: Some(end), ..
                }) if *end >= first && *end < last => {
                    (*end + Duration::days(1), Change::Renew { person: i })
                }
                Some(_) => continue,
                None => {
                    if !chance(&mut self.dice, SIGN_UP_PER_YEAR * days as f64 / 365.0) {
                        continue;
                    }
                    let day = first + Duration::days(between(&mut self.dice, 0, days));
                    (day, Change::SignUp { person: i })
                }
            };
            let when = at(day, between(&mut self.dice, 30, 420));
            self.plan(when, Step::Contract(change));
        }
    }

    /// The family doctor of `person` on `day`: the contract signed during
    /// the history if any, else the county's.
    pub(super) fn doctor_of(&self, person: usize, day: Date) -> Option<Actor> {
        match self.signed.get(&person) {
            Some((c, doctor)) if c.in_force_on(day) => Some(doctor.clone()),
            Some(_) => None,
            None => self.cast.people[person].doctor_on(day).cloned(),
        }
    }

    pub(super) async fn contract(&mut self, change: Change) -> anyhow::Result<()> {
        let today = self.state.ctx.clock.today();
        let (person, renewal) = match change {
            Change::Renew { person } => (person, true),
            Change::SignUp { person } => (person, false),
        };
        let p = &self.cast.people[person];
        let (team, doctor, actor) = if renewal {
            let (Some(c), Some(d)) = (&p.contract, &p.doctor) else {
                return Ok(());
            };
            if !chance(&mut self.dice, RENEW) {
                return Ok(());
            }
            // The team renews its own patient's contract.
            (c.team.clone(), d.clone(), d.clone())
        } else {
            let Some(teams) = self.cast.teams.get(&p.home) else {
                return Ok(());
            };
            let Some((team, doctor)) = teams.get(person % teams.len().max(1)).cloned() else {
                return Ok(());
            };
            // A new contract is registered by the county's office.
            (team, doctor, self.admin.clone())
        };
        let contract = Contract {
            team,
            institution: None,
            family_doctor: None,
            signed_on: today,
            ends_on: renewal.then(|| today + Duration::days(364)),
        };
        let id = p.id.clone();
        let Some((mut resident, version)) = self.resident(&id).await? else {
            return Ok(());
        };
        resident.contract = Some(contract.clone());
        let write = vec![(Record::Resident(resident), Expect::Version(version))];
        let detail = if renewal {
            "contract renewed"
        } else {
            "contract signed"
        };
        let written = Registry::new(&self.state.ctx, &actor)
            .write_batch(write, detail)
            .await;
        if self.soft(written)?.is_some() {
            self.signed.insert(person, (contract, doctor));
            if renewal {
                self.report.contracts_renewed += 1;
            } else {
                self.report.contracts_signed += 1;
            }
        }
        Ok(())
    }

    async fn resident(
        &self,
        id: &ResidentId,
    ) -> anyhow::Result<Option<(tiercare_core::resident::Resident, u32)>> {
        Ok(
            match self.state.ctx.store.get("Patient", id.as_str()).await? {
                Some(Stored {
                    record: Record::Resident(r),
                    version,
                    ..
                }) => Some((r, version)),
                _ => None,
            },
        )
    }
}
