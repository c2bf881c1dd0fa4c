//! Family-doctor teams and doctors as indicator subjects.
//!
//! A commission asks of a team and of a doctor what it asks of an
//! institution. Their rows are numbered apart from the institutions'
//! (`Store::unit_ix`, from `Ix::FIRST_UNIT` up) and hold copies of facts
//! already counted at an institution, so the region, the levels and the
//! alliances, which sum institutions, never see them; a team or a doctor
//! is read alone, as a network of one row. Which facts a unit gets:
//!
//! - **Referrals it sent**: every step of a referral counts for the doctor
//!   who asked for it and for that doctor's family-doctor teams at the
//!   referring institution, on the sent side only (a team or a doctor
//!   refers; what a hospital receives is its institution's).
//! - **Visits**: a finished visit counts for the doctor whose account
//!   recorded its end, and for the patient's family-doctor team when the
//!   visit is at the team's institution (a contracted resident's care at
//!   the contracting centre, the way a team's work is assessed).
//! - **Contracts**: a contract signed or ended counts for its team and for
//!   its family doctor.
//!
//! Capacity, beds and chronic panels belong to institutions; a unit's
//! figures for them read "no figure".

use crate::Context;
use std::collections::HashMap;
use tiercare_core::indicators::Ix;
use tiercare_core::{Level, Record};
use tiercare_store::{Filter, Match, StoreError, Stored};

/// A team's row key in the store's numbering.
pub fn team_key(id: &str) -> String {
    format!("CareTeam/{id}")
}

/// A doctor's row key in the store's numbering.
pub fn practitioner_key(id: &str) -> String {
    format!("Practitioner/{id}")
}

/// A team or a doctor of the registry, as a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: String,
    pub name: String,
    /// The level of its institution (a doctor's first role's).
    pub level: Level,
    /// Its row, once a fact has named it.
    pub ix: Option<Ix>,
}

/// The registry's teams and doctors, with their rows where they have
/// one.
pub(crate) async fn units(
    ctx: &Context,
    numbered: &HashMap<String, Ix>,
    level_of: &HashMap<String, Level>,
) -> Result<(Vec<Unit>, Vec<Unit>), crate::ServiceError> {
    let mut teams = Vec::new();
    for s in crate::indicators::every(ctx, "CareTeam").await? {
        if let Record::Team(t) = s.record {
            teams.push(Unit {
                ix: numbered.get(&team_key(t.id.as_str())).copied(),
                level: level_of
                    .get(t.institution.as_str())
                    .copied()
                    .unwrap_or(Level::Primary),
                id: t.id.to_string(),
                name: t.name,
            });
        }
    }
    let mut role_level: HashMap<String, Level> = HashMap::new();
    for s in crate::indicators::every(ctx, "PractitionerRole").await? {
        if let Record::Role(r) = s.record
            && let Some(l) = level_of.get(r.institution.as_str())
        {
            role_level.entry(r.practitioner.to_string()).or_insert(*l);
        }
    }
    let mut practitioners = Vec::new();
    for s in crate::indicators::every(ctx, "Practitioner").await? {
        if let Record::Practitioner(p) = s.record {
            let id = p.id.to_string();
            practitioners.push(Unit {
                ix: numbered.get(&practitioner_key(&id)).copied(),
                level: role_level.get(&id).copied().unwrap_or(Level::Primary),
                name: p.name.full(),
                id,
            });
        }
    }
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    practitioners.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((teams, practitioners))
}

/// Who a write's facts are also counted for: the rows of a doctor and of
/// teams, looked up once per call.
pub(crate) struct Attribution<'a> {
    ctx: &'a Context,
    /// Each doctor's teams: (institution, team id).
    teams: HashMap<String, Vec<(String, String)>>,
    accounts: HashMap<String, Option<String>>,
}

impl<'a> Attribution<'a> {
    pub(crate) fn new(ctx: &'a Context) -> Self {
        Attribution {
            ctx,
            teams: HashMap::new(),
            accounts: HashMap::new(),
        }
    }

    /// Remembers the doctor `actor`'s account acts for: the caller
    /// already knows it, and an account's doctor is read once per call
    /// otherwise.
    pub(crate) fn knows(&mut self, actor: &tiercare_core::access::Actor) {
        self.accounts.insert(
            actor.username.clone(),
            actor.practitioner.as_ref().map(ToString::to_string),
        );
    }

    /// The row of a unit key (the store keeps the numbers it gave in
    /// memory, so this is a lookup after the first time).
    pub(crate) async fn row(&self, key: String) -> Result<Ix, StoreError> {
        self.ctx.store.unit_ix(&key).await
    }

    /// The rows of a doctor and of the doctor's teams at `institution`
    /// (one indexed search per doctor and call).
    pub(crate) async fn doctor_and_teams(
        &mut self,
        practitioner: &str,
        institution: &str,
    ) -> Result<Vec<Ix>, StoreError> {
        let teams = match self.teams.get(practitioner) {
            Some(t) => t.clone(),
            None => {
                let query = crate::search::query(
                    "CareTeam",
                    vec![Filter {
                        param: "participant".into(),
                        values: vec![practitioner_key(practitioner)],
                        matching: Match::Exact,
                    }],
                );
                let mut found = Vec::new();
                for s in crate::search::all(&self.ctx.store, query).await? {
                    if let Record::Team(t) = s.record {
                        found.push((t.institution.to_string(), t.id.to_string()));
                    }
                }
                self.teams.insert(practitioner.to_string(), found.clone());
                found
            }
        };
        let mut rows = vec![self.row(practitioner_key(practitioner)).await?];
        for (_, t) in teams.iter().filter(|(i, _)| i == institution) {
            let row = self.row(team_key(t)).await?;
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// The doctor an account acts for, if any.
    pub(crate) async fn doctor_of(&mut self, username: &str) -> Result<Option<String>, StoreError> {
        if let Some(p) = self.accounts.get(username) {
            return Ok(p.clone());
        }
        let p = self
            .ctx
            .store
            .user(username)
            .await?
            .and_then(|u| u.actor.practitioner.map(|p| p.to_string()));
        self.accounts.insert(username.to_string(), p.clone());
        Ok(p)
    }

    /// The team a resident is contracted to, if its institution is
    /// `institution`.
    pub(crate) async fn team_at(
        &mut self,
        resident: &str,
        institution: &str,
    ) -> Result<Option<Ix>, StoreError> {
        let Some(Stored {
            record: Record::Resident(r),
            ..
        }) = self.ctx.store.get("Patient", resident).await?
        else {
            return Ok(None);
        };
        match r.contract {
            Some(c)
                if c.institution
                    .as_ref()
                    .is_some_and(|i| i.as_str() == institution) =>
            {
                Ok(Some(self.row(team_key(c.team.as_str())).await?))
            }
            _ => Ok(None),
        }
    }
}
