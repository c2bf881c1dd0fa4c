//! Who is who in the demo county's history: each resident with their
//! primary institution and family doctor, and the staff who act for each
//! institution. Every step of the history is taken by the actor the access
//! rules expect (the resident books, the family doctor refers, the
//! hospital's coordinator triages, its specialist sends the patient back),
//! so the services check the history as they would check real users.

use std::collections::{BTreeMap, HashMap};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::demo::DemoCounty;
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::resident::{Contract, KeyGroup};
use tiercare_core::{InstitutionId, Level, PractitionerId, Record, ResidentId, Specialty, TeamId};
use time::Date;

/// A resident as the history sees them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: ResidentId,
    pub birth: Date,
    pub chronic: bool,
    /// Where they go first: their team's institution, or the primary
    /// institution of their district.
    pub home: InstitutionId,
    /// The village clinic or community station near them, run by their
    /// home institution, if it has any.
    pub clinic: Option<InstitutionId>,
    /// Their family doctor, while contracted.
    pub doctor: Option<Actor>,
    pub contract: Option<Contract>,
}

impl Person {
    /// Whether their family doctor may refer them on `day` (the contract is
    /// in force).
    pub fn doctor_on(&self, day: Date) -> Option<&Actor> {
        match &self.contract {
            Some(c) if c.in_force_on(day) => self.doctor.as_ref(),
            _ => None,
        }
    }

    pub fn age_on(&self, day: Date) -> i32 {
        let years = day.year() - self.birth.year();
        if (day.month(), day.day()) < (self.birth.month(), self.birth.day()) {
            years - 1
        } else {
            years
        }
    }

    /// The resident acting for themself (booking, deciding on a care plan).
    pub fn actor(&self) -> Actor {
        Actor {
            username: self.id.to_string(),
            role: UserRole::Resident,
            institution: None,
            practitioner: None,
            resident: Some(self.id.clone()),
        }
    }
}

/// A hospital and the departments it runs.
#[derive(Debug, Clone)]
pub struct Hospital {
    pub id: InstitutionId,
    pub level: Level,
    /// Specialties with an outpatient clinic, and whether each has beds.
    pub departments: Vec<(Specialty, bool)>,
    pub coordinator: Actor,
    /// A specialist per specialty (any specialist where none matches).
    pub specialists: BTreeMap<Specialty, Actor>,
}

impl Hospital {
    pub fn has(&self, s: Specialty) -> bool {
        self.departments.iter().any(|(d, _)| *d == s)
    }

    pub fn beds(&self, s: Specialty) -> bool {
        self.departments.iter().any(|(d, b)| *d == s && *b)
    }

    pub fn specialist(&self, s: Specialty) -> Actor {
        self.specialists
            .get(&s)
            .or_else(|| self.specialists.values().next())
            .cloned()
            .unwrap_or_else(|| self.coordinator.clone())
    }
}

/// The county's people and staff.
#[derive(Debug)]
pub struct Cast {
    pub people: Vec<Person>,
    pub hospitals: Vec<Hospital>,
    /// Who records visits at each primary institution: a doctor of each
    /// one with teams (who also takes its downward referrals and
    /// follow-ups), the front desk of each village clinic or station.
    pub desks: HashMap<InstitutionId, Actor>,
    /// The family-doctor teams of each primary institution, with their
    /// lead doctors, in id order.
    pub teams: HashMap<InstitutionId, Vec<(TeamId, Actor)>>,
    /// The resource-sharing hubs, in the county's order.
    pub hubs: Vec<tiercare_core::hub::Hub>,
}

fn doctor(practitioner: &PractitionerId, institution: &InstitutionId, role: UserRole) -> Actor {
    Actor {
        username: practitioner.to_string(),
        role,
        institution: Some(institution.clone()),
        practitioner: Some(practitioner.clone()),
        resident: None,
    }
}

impl Cast {
    pub fn of(county: &DemoCounty) -> anyhow::Result<Cast> {
        let mut institutions = Vec::new();
        let mut teams = HashMap::new();
        let mut desks = HashMap::new();
        let mut coordinators = HashMap::new();
        let mut specialists: HashMap<InstitutionId, BTreeMap<Specialty, Actor>> = HashMap::new();
        let mut hubs = Vec::new();
        for r in &county.records {
            match r {
                Record::Hub(h) => hubs.push(h.clone()),
                Record::Institution(i) => institutions.push(i),
                Record::Team(t) => {
                    desks
                        .entry(t.institution.clone())
                        .or_insert_with(|| doctor(&t.lead, &t.institution, UserRole::Doctor));
                    teams.insert(t.id.clone(), t);
                }
                Record::Role(role) if role.active => match role.role {
                    PractitionerRoleKind::ReferralCoordinator => {
                        coordinators
                            .entry(role.institution.clone())
                            .or_insert_with(|| {
                                doctor(&role.practitioner, &role.institution, UserRole::Coordinator)
                            });
                    }
                    PractitionerRoleKind::Specialist => {
                        if let Some(s) = role.specialty {
                            specialists
                                .entry(role.institution.clone())
                                .or_default()
                                .entry(s)
                                .or_insert_with(|| {
                                    doctor(&role.practitioner, &role.institution, UserRole::Doctor)
                                });
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        // The primary institution (with teams) of each district.
        let mut district_home = HashMap::new();
        for i in &institutions {
            if desks.contains_key(&i.id)
                && let Some(p) = &i.place
            {
                district_home
                    .entry(p.district.clone())
                    .or_insert(i.id.clone());
            }
        }
        // Village clinics and community stations: no practitioners of their
        // own in the demo data, so their front desk records their visits.
        let mut clinics: HashMap<InstitutionId, Vec<InstitutionId>> = HashMap::new();
        for i in &institutions {
            if let Some(parent) = &i.part_of
                && i.level == Level::Primary
                && desks.contains_key(parent)
            {
                clinics
                    .entry(parent.clone())
                    .or_default()
                    .push(i.id.clone());
            }
        }
        for children in clinics.values_mut() {
            children.sort();
            for c in children.iter() {
                desks.insert(
                    c.clone(),
                    Actor {
                        username: format!("{c}-front-desk"),
                        role: UserRole::Coordinator,
                        institution: Some(c.clone()),
                        practitioner: None,
                        resident: None,
                    },
                );
            }
        }
        let Some(fallback) = teams.values().map(|t| t.institution.clone()).min() else {
            anyhow::bail!("the demo county has no family-doctor teams");
        };
        let mut people = Vec::new();
        for r in &county.records {
            let Record::Resident(r) = r else { continue };
            let team = r.contract.as_ref().and_then(|c| teams.get(&c.team));
            let home = match (team, &r.district) {
                (Some(t), _) => t.institution.clone(),
                (None, Some(d)) => district_home.get(d).cloned().unwrap_or(fallback.clone()),
                (None, None) => fallback.clone(),
            };
            let clinic = clinics
                .get(&home)
                .and_then(|c| c.get(people.len() % c.len().max(1)))
                .cloned();
            people.push(Person {
                id: r.id.clone(),
                clinic,
                birth: r.birth_date,
                chronic: r.key_groups.contains(&KeyGroup::Chronic),
                home,
                doctor: team.map(|t| doctor(&t.lead, &t.institution, UserRole::Doctor)),
                contract: r.contract.clone(),
            });
        }
        let mut hospitals = Vec::new();
        for i in institutions.iter().filter(|i| i.level != Level::Primary) {
            let Some(coordinator) = coordinators.remove(&i.id) else {
                continue;
            };
            hospitals.push(Hospital {
                id: i.id.clone(),
                level: i.level,
                departments: i
                    .departments
                    .iter()
                    .filter(|d| d.daily_slots > 0)
                    .map(|d| (d.specialty, d.beds > 0))
                    .collect(),
                coordinator,
                specialists: specialists.remove(&i.id).unwrap_or_default(),
            });
        }
        hospitals.sort_by(|a, b| a.id.cmp(&b.id));
        if hospitals.is_empty() {
            anyhow::bail!("the demo county has no hospitals with a referral coordinator");
        }
        let mut by_institution: HashMap<InstitutionId, Vec<(TeamId, Actor)>> = HashMap::new();
        for t in teams.values() {
            by_institution
                .entry(t.institution.clone())
                .or_default()
                .push((
                    t.id.clone(),
                    doctor(&t.lead, &t.institution, UserRole::Doctor),
                ));
        }
        for v in by_institution.values_mut() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(Cast {
            people,
            hospitals,
            desks,
            teams: by_institution,
            hubs,
        })
    }
}
