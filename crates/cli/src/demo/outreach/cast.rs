//! Who takes part, read from the county's records: each alliance's lead
//! hospital and its primary centres, the specialists, coordinators and
//! family doctors who act, and the chronic-disease residents the centres
//! follow up. The programmes are planned from it once, before any day is
//! run, so the history does not depend on the order things happen in.

use std::collections::{BTreeMap, HashMap};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::demo::DemoCounty;
use tiercare_core::network::{AllianceKind, PractitionerRoleKind};
use tiercare_core::resident::KeyGroup;
use tiercare_core::{
    AllianceId, InstitutionId, Level, PractitionerId, Record, ResidentId, Specialty,
};

/// A chronic-disease resident contracted to a primary centre.
#[derive(Debug, Clone)]
pub(super) struct ChronicResident {
    pub id: ResidentId,
    pub family_doctor: PractitionerId,
    pub age: i32,
}

/// An alliance: its lead hospital and its primary centres (not the
/// village clinics or stations under them, which have no family-doctor
/// teams of their own).
#[derive(Debug, Clone)]
pub(super) struct AllianceCast {
    pub id: AllianceId,
    pub kind: AllianceKind,
    pub hospital: InstitutionId,
    pub centres: Vec<InstitutionId>,
}

/// The people of the county who act in the joint programmes.
#[derive(Debug, Default)]
pub(super) struct Cast {
    pub alliances: Vec<AllianceCast>,
    /// Each hospital's departments, in the county file's order.
    pub departments: HashMap<InstitutionId, Vec<Specialty>>,
    pub specialists: BTreeMap<(InstitutionId, Specialty), Vec<PractitionerId>>,
    pub coordinators: HashMap<InstitutionId, PractitionerId>,
    pub family_doctors: BTreeMap<InstitutionId, Vec<PractitionerId>>,
    pub chronic: BTreeMap<InstitutionId, Vec<ChronicResident>>,
    /// Residents contracted to each centre (for case discussions).
    pub residents: BTreeMap<InstitutionId, Vec<ResidentId>>,
    /// The demo logins' usernames, so their own records show them acting.
    usernames: HashMap<PractitionerId, String>,
}

impl Cast {
    pub fn of(county: &DemoCounty, as_of: time::Date) -> Cast {
        let mut c = Cast::default();
        let mut primary_centres = Vec::new();
        let mut members: BTreeMap<AllianceId, Vec<InstitutionId>> = BTreeMap::new();
        let mut leads = Vec::new();
        for r in &county.records {
            match r {
                Record::Institution(i) if i.level == Level::Primary && i.part_of.is_none() => {
                    primary_centres.push(i.id.clone());
                }
                Record::Institution(i) if i.level != Level::Primary => {
                    c.departments.insert(
                        i.id.clone(),
                        i.departments.iter().map(|d| d.specialty).collect(),
                    );
                }
                Record::Alliance(a) => leads.push((a.id.clone(), a.kind, a.lead.clone())),
                Record::Membership(m) => members
                    .entry(m.alliance.clone())
                    .or_default()
                    .push(m.institution.clone()),
                Record::Role(r) if r.active => match (r.role, r.specialty) {
                    (PractitionerRoleKind::Specialist, Some(s)) => c
                        .specialists
                        .entry((r.institution.clone(), s))
                        .or_default()
                        .push(r.practitioner.clone()),
                    (PractitionerRoleKind::FamilyDoctor, _) => c
                        .family_doctors
                        .entry(r.institution.clone())
                        .or_default()
                        .push(r.practitioner.clone()),
                    (PractitionerRoleKind::ReferralCoordinator, _) => {
                        c.coordinators
                            .entry(r.institution.clone())
                            .or_insert_with(|| r.practitioner.clone());
                    }
                    _ => {}
                },
                Record::Resident(res) => {
                    let Some(contract) = &res.contract else {
                        continue;
                    };
                    let (Some(at), Some(fd)) = (&contract.institution, &contract.family_doctor)
                    else {
                        continue;
                    };
                    c.residents
                        .entry(at.clone())
                        .or_default()
                        .push(res.id.clone());
                    if res.key_groups.contains(&KeyGroup::Chronic) {
                        c.chronic
                            .entry(at.clone())
                            .or_default()
                            .push(ChronicResident {
                                id: res.id.clone(),
                                family_doctor: fd.clone(),
                                age: res.age_on(as_of),
                            });
                    }
                }
                _ => {}
            }
        }
        for (id, kind, lead) in leads {
            let inside = members.remove(&id).unwrap_or_default();
            let centres = primary_centres
                .iter()
                .filter(|p| inside.contains(p) && c.family_doctors.contains_key(*p))
                .cloned()
                .collect();
            c.alliances.push(AllianceCast {
                id,
                kind,
                hospital: lead,
                centres,
            });
        }
        for u in &county.users {
            if let Some(p) = &u.practitioner {
                c.usernames.insert(p.clone(), u.username.clone());
            }
        }
        c
    }

    fn username(&self, p: &PractitionerId) -> String {
        self.usernames
            .get(p)
            .cloned()
            .unwrap_or_else(|| p.to_string())
    }

    /// A doctor (specialist or family doctor) at `at`, acting as themself.
    pub fn doctor(&self, p: &PractitionerId, at: &InstitutionId) -> Actor {
        self.actor(p, at, UserRole::Doctor)
    }

    /// The coordinator of `at`, if the institution has one.
    pub fn coordinator(&self, at: &InstitutionId) -> Option<Actor> {
        self.coordinators
            .get(at)
            .map(|p| self.actor(p, at, UserRole::Coordinator))
    }

    fn actor(&self, p: &PractitionerId, at: &InstitutionId, role: UserRole) -> Actor {
        Actor {
            username: self.username(p),
            role,
            institution: Some(at.clone()),
            practitioner: Some(p.clone()),
            resident: None,
        }
    }
}
