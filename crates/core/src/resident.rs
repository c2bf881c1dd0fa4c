//! Residents and their family-doctor contracts.
//!
//! A contract binds a resident to a family-doctor team at a primary
//! institution: the team is the resident's first contact and gatekeeper, and
//! the care relationship that lets its doctors see the resident's record.

use crate::network::{Gender, NetworkError, PersonName};
use crate::{RegionId, ResidentId, TeamId};
use serde::{Deserialize, Serialize};
use time::Date;

crate::level::coded_enum!(
    /// Groups that policy expects to be fully covered by family-doctor
    /// contracts.
    KeyGroup {
        Elderly = "elderly" / "Older person (65+)",
        Chronic = "chronic" / "Chronic disease patient",
        LowIncome = "low-income" / "Low-income resident",
    }
);

/// A signed family-doctor contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub team: TeamId,
    /// The team's primary institution and lead family doctor when the
    /// contract was signed; filled in from the team when the contract is
    /// stored, so the resident's record names them even if the team changes.
    #[serde(default)]
    pub institution: Option<crate::InstitutionId>,
    #[serde(default)]
    pub family_doctor: Option<crate::PractitionerId>,
    pub signed_on: Date,
    /// Contracts run a year at a time; `None` means open-ended.
    pub ends_on: Option<Date>,
}

impl Contract {
    /// Whether the contract is in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.signed_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }
}

/// A resident of the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resident {
    pub id: ResidentId,
    pub region: RegionId,
    /// Resident identity card number or health card number.
    pub identifier: Option<String>,
    pub name: PersonName,
    pub gender: Gender,
    pub birth_date: Date,
    /// Township or district of residence.
    pub district: Option<String>,
    pub phone: Option<String>,
    pub key_groups: Vec<KeyGroup>,
    pub contract: Option<Contract>,
}

impl Resident {
    /// Checks the resident's record on its own.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.name.check("name")?;
        if let Some(c) = &self.contract
            && let Some(end) = c.ends_on
            && end < c.signed_on
        {
            return Err(NetworkError::new(
                "extension.contract",
                "the contract ends before it was signed",
            ));
        }
        let mut groups = self.key_groups.clone();
        groups.sort();
        groups.dedup();
        if groups.len() != self.key_groups.len() {
            return Err(NetworkError::new(
                "extension.key-group",
                "a key group is listed twice",
            ));
        }
        Ok(())
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: Date) -> i32 {
        let mut age = day.year() - self.birth_date.year();
        if (day.month() as u8, day.day()) < (self.birth_date.month() as u8, self.birth_date.day()) {
            age -= 1;
        }
        age
    }

    /// The team the resident is contracted to on `day`, if any.
    pub fn contracted_team_on(&self, day: Date) -> Option<&TeamId> {
        self.contract
            .as_ref()
            .filter(|c| c.in_force_on(day))
            .map(|c| &c.team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn resident() -> Resident {
        Resident {
            id: ResidentId::new("r1").unwrap(),
            region: RegionId::new("zx").unwrap(),
            identifier: None,
            name: PersonName {
                family: "Wang".into(),
                given: "Fang".into(),
                pinyin: None,
            },
            gender: Gender::Female,
            birth_date: date!(1950 - 06 - 15),
            district: None,
            phone: None,
            key_groups: vec![KeyGroup::Elderly],
            contract: Some(Contract {
                team: TeamId::new("t1").unwrap(),
                institution: None,
                family_doctor: None,
                signed_on: date!(2026 - 01 - 01),
                ends_on: Some(date!(2026 - 12 - 31)),
            }),
        }
    }

    #[test]
    fn age_counts_birthdays() {
        let r = resident();
        assert_eq!(r.age_on(date!(2026 - 06 - 14)), 75);
        assert_eq!(r.age_on(date!(2026 - 06 - 15)), 76);
    }

    #[test]
    fn contract_is_in_force_only_in_its_period() {
        let r = resident();
        assert!(r.contracted_team_on(date!(2026 - 03 - 01)).is_some());
        assert!(r.contracted_team_on(date!(2027 - 01 - 01)).is_none());
        assert!(r.contracted_team_on(date!(2025 - 12 - 31)).is_none());
    }

    #[test]
    fn contract_cannot_end_before_it_starts() {
        let mut r = resident();
        r.contract.as_mut().unwrap().ends_on = Some(date!(2025 - 01 - 01));
        assert_eq!(r.validate().unwrap_err().field, "extension.contract");
        r.key_groups = vec![KeyGroup::Elderly, KeyGroup::Elderly];
        r.contract = None;
        assert!(r.validate().is_err());
    }
}
