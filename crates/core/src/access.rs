//! Who may see and change what.
//!
//! Access follows care relationships: a family doctor sees the residents
//! contracted to their team; a referral coordinator sees those of their
//! institution's teams; a resident sees their own record; an analyst sees
//! aggregates only; an insurance fund officer sees the claims the fund pays
//! and the insurance figures, never a clinical record; an administrator
//! manages the registry. These rules are
//! pure so they can be tested without a server; the API gathers the facts
//! (which teams a user belongs to) and asks here.

use crate::level::coded_enum;
use crate::resident::Resident;
use crate::{InstitutionId, PractitionerId, ResidentId, TeamId};
use serde::{Deserialize, Serialize};
use time::Date;

coded_enum!(
    /// The role a user account has on the platform.
    UserRole {
        /// Manages the registry and users; may read all records.
        Admin = "admin" / "Administrator",
        /// Hospital or centre referral coordinator.
        Coordinator = "coordinator" / "Referral coordinator",
        /// Family doctor or specialist.
        Doctor = "doctor" / "Doctor",
        /// Health commission or insurer analyst: aggregates only.
        Analyst = "analyst" / "Analyst",
        /// Medical insurance fund officer (医保基金经办人员): the fund pays
        /// the claims, so an officer reads and searches claims region-wide
        /// and the insurance figures (the alliance budget, the insurance
        /// indicators), but no clinical record.
        Insurer = "insurer" / "Insurance fund officer",
        /// A resident looking at their own record.
        Resident = "resident" / "Resident",
    }
);

/// The user making a request, as far as access rules need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub role: UserRole,
    pub institution: Option<InstitutionId>,
    pub practitioner: Option<PractitionerId>,
    pub resident: Option<ResidentId>,
}

/// Which residents' records an actor may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientScope {
    /// Every resident (administrators).
    All,
    /// Residents contracted to one of these teams.
    Teams(Vec<TeamId>),
    /// One resident: the actor themself.
    Only(ResidentId),
    /// No patient data at all (analysts, or a user with no care
    /// relationship).
    Nothing,
}

impl PatientScope {
    /// The scope of an actor, given the teams their care relationships cover
    /// (for a doctor: the teams they are a member of; for a coordinator: the
    /// teams of their institution).
    pub fn of(actor: &Actor, teams: Vec<TeamId>) -> PatientScope {
        match actor.role {
            UserRole::Admin => PatientScope::All,
            // An insurer sees claims, which are not registry records: the
            // patient scope (records, results, referrals) stays empty.
            UserRole::Analyst | UserRole::Insurer => PatientScope::Nothing,
            UserRole::Resident => match &actor.resident {
                Some(r) => PatientScope::Only(r.clone()),
                None => PatientScope::Nothing,
            },
            UserRole::Doctor | UserRole::Coordinator if teams.is_empty() => PatientScope::Nothing,
            UserRole::Doctor | UserRole::Coordinator => PatientScope::Teams(teams),
        }
    }

    /// Whether this scope covers the resident's record on `day`: a team
    /// sees a resident only while the contract is in force.
    pub fn covers(&self, resident: &Resident, day: Date) -> bool {
        match self {
            PatientScope::Teams(_) => {
                self.on_team(resident)
                    && resident
                        .contract
                        .as_ref()
                        .is_some_and(|c| c.in_force_on(day))
            }
            _ => self.on_team(resident),
        }
    }

    /// Like [`covers`](Self::covers) but whatever the contract's dates: the
    /// team may still renew or end a contract that has lapsed.
    fn on_team(&self, resident: &Resident) -> bool {
        match self {
            PatientScope::All => true,
            PatientScope::Nothing => false,
            PatientScope::Only(id) => *id == resident.id,
            PatientScope::Teams(teams) => resident
                .contract
                .as_ref()
                .is_some_and(|c| teams.contains(&c.team)),
        }
    }

    /// Why access is refused, for the audit record and the error message.
    pub fn refusal(&self) -> &'static str {
        match self {
            PatientScope::Nothing => "this account may not read patient data",
            _ => "no care relationship with this patient",
        }
    }
}

/// Whether the actor may create or change registry records (institutions,
/// alliances, practitioners, teams) and residents' registrations.
pub fn may_manage_registry(actor: &Actor) -> bool {
    actor.role == UserRole::Admin
}

/// Whether the actor may write a resident's record: administrators, and the
/// doctors and coordinators whose care relationships cover the resident
/// (before and after the change, so nobody moves a resident out of reach).
pub fn may_write_patient(
    scope: &PatientScope,
    before: Option<&Resident>,
    after: &Resident,
) -> bool {
    match scope {
        PatientScope::All => true,
        PatientScope::Teams(_) => before.is_none_or(|b| scope.on_team(b)) && scope.on_team(after),
        PatientScope::Only(_) | PatientScope::Nothing => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionId;
    use crate::network::{Gender, PersonName};
    use crate::resident::Contract;
    use time::macros::date;

    fn actor(role: UserRole) -> Actor {
        Actor {
            username: "u".into(),
            role,
            institution: None,
            practitioner: None,
            resident: None,
        }
    }

    fn resident(team: Option<&str>) -> Resident {
        Resident {
            id: ResidentId::new("r1").unwrap(),
            region: RegionId::new("zx").unwrap(),
            identifier: None,
            name: PersonName {
                family: "Li".into(),
                given: "Lei".into(),
                pinyin: None,
            },
            gender: Gender::Male,
            birth_date: date!(1960 - 01 - 01),
            district: None,
            phone: None,
            key_groups: vec![],
            contract: team.map(|t| Contract {
                team: TeamId::new(t).unwrap(),
                institution: None,
                family_doctor: None,
                signed_on: date!(2026 - 01 - 01),
                ends_on: None,
            }),
        }
    }

    #[test]
    fn doctors_see_their_teams_patients_only() {
        let t1 = TeamId::new("t1").unwrap();
        let scope = PatientScope::of(&actor(UserRole::Doctor), vec![t1]);
        let day = date!(2026 - 06 - 01);
        assert!(scope.covers(&resident(Some("t1")), day));
        assert!(!scope.covers(&resident(Some("t2")), day));
        assert!(!scope.covers(&resident(None), day));
        // Not before the contract is signed, nor after it ends.
        assert!(!scope.covers(&resident(Some("t1")), date!(2025 - 12 - 31)));
        let mut ended = resident(Some("t1"));
        if let Some(c) = ended.contract.as_mut() {
            c.ends_on = Some(date!(2026 - 03 - 31));
        }
        assert!(!scope.covers(&ended, day));
        assert!(
            may_write_patient(&scope, Some(&ended), &ended),
            "a team renews its own lapsed contract"
        );
        let lonely = PatientScope::of(&actor(UserRole::Doctor), vec![]);
        assert_eq!(lonely, PatientScope::Nothing);
    }

    #[test]
    fn analysts_see_no_patient_and_residents_only_themselves() {
        let t1 = TeamId::new("t1").unwrap();
        let scope = PatientScope::of(&actor(UserRole::Analyst), vec![t1]);
        let day = date!(2026 - 06 - 01);
        assert!(!scope.covers(&resident(Some("t1")), day));
        let mut me = actor(UserRole::Resident);
        me.resident = Some(ResidentId::new("r1").unwrap());
        assert!(PatientScope::of(&me, vec![]).covers(&resident(None), day));
        me.resident = Some(ResidentId::new("r2").unwrap());
        assert!(!PatientScope::of(&me, vec![]).covers(&resident(None), day));
    }

    #[test]
    fn doctors_cannot_move_a_patient_out_of_reach() {
        let scope = PatientScope::Teams(vec![TeamId::new("t1").unwrap()]);
        let before = resident(Some("t1"));
        assert!(may_write_patient(
            &scope,
            Some(&before),
            &resident(Some("t1"))
        ));
        assert!(!may_write_patient(
            &scope,
            Some(&before),
            &resident(Some("t2"))
        ));
        assert!(!may_write_patient(
            &scope,
            Some(&resident(Some("t2"))),
            &before
        ));
        assert!(may_write_patient(&PatientScope::All, None, &resident(None)));
    }
}
