//! Medicines and each primary institution's essential-medicines list.
//!
//! A patient sent down from hospital often leaves with a prescription the
//! township centre cannot fill: its pharmacy stocks the essential-medicines
//! list, not the hospital's formulary. When that happens the patient goes
//! back to the hospital for refills and the downward referral fails. Each
//! institution's list is data (loaded with the network, editable as a FHIR
//! `List`), and a care plan flags every prescribed medicine missing from
//! the receiving institution's list, so the family doctor and the hospital
//! can switch or arrange supply before the patient leaves.

use crate::{InstitutionId, MedicinesListId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An ATC code at substance level (`C08CA01` is amlodipine).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MedicineCode(String);

/// A medicine code that is not an ATC substance code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ATC substance code (like C08CA01)")]
pub struct InvalidMedicineCode(pub String);

impl MedicineCode {
    /// Checks the ATC level-5 form: letter, 2 digits, 2 letters, 2 digits.
    pub fn new(s: impl Into<String>) -> Result<MedicineCode, InvalidMedicineCode> {
        let s = s.into().to_ascii_uppercase();
        let b = s.as_bytes();
        let ok = b.len() == 7
            && b[0].is_ascii_uppercase()
            && b[1..3].iter().all(u8::is_ascii_digit)
            && b[3..5].iter().all(u8::is_ascii_uppercase)
            && b[5..7].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(MedicineCode(s))
        } else {
            Err(InvalidMedicineCode(s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MedicineCode {
    type Error = InvalidMedicineCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MedicineCode::new(s)
    }
}

impl From<MedicineCode> for String {
    fn from(c: MedicineCode) -> String {
        c.0
    }
}

impl std::str::FromStr for MedicineCode {
    type Err = InvalidMedicineCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MedicineCode::new(s)
    }
}

impl fmt::Display for MedicineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The medicines an institution's pharmacy stocks and dispenses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EssentialMedicines {
    pub id: MedicinesListId,
    pub institution: InstitutionId,
    /// Code and name of every medicine on the list.
    pub medicines: BTreeMap<MedicineCode, String>,
}

impl EssentialMedicines {
    /// The conventional id of an institution's list, so it can be found
    /// without a search.
    pub fn id_for(institution: &InstitutionId) -> Option<MedicinesListId> {
        MedicinesListId::new(format!("eml-{institution}")).ok()
    }

    /// Whether the institution can dispense the medicine.
    pub fn has(&self, medicine: &MedicineCode) -> bool {
        self.medicines.contains_key(medicine)
    }
}

/// A medicine of tiercare's catalogue: the names a code is shown by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogueMedicine {
    pub code: MedicineCode,
    /// The international nonproprietary name ("aspirin"): the display of
    /// the ATC coding, as WHO names its substances in English.
    pub name: String,
    /// The Chinese generic name ("阿司匹林"), which the lists show.
    pub name_zh: String,
}

/// The medicines catalogue's data: every medicine the region prescribes,
/// hospital formulary included (the lists' stocking columns are read by
/// the demo loader, not here).
const CATALOGUE: &str = include_str!("../data/demo-medicines.toml");

#[derive(Deserialize)]
struct CatalogueData {
    medicine: Vec<CatalogueMedicine>,
}

/// The catalogue entry of an ATC code, if tiercare knows the medicine: a
/// prescription sent with only a code is shown by its name, not its code.
pub fn catalogue_entry(code: &MedicineCode) -> Option<&'static CatalogueMedicine> {
    static ENTRIES: std::sync::OnceLock<BTreeMap<MedicineCode, CatalogueMedicine>> =
        std::sync::OnceLock::new();
    ENTRIES
        .get_or_init(|| {
            toml::from_str::<CatalogueData>(CATALOGUE)
                .map(|d| {
                    d.medicine
                        .into_iter()
                        .map(|m| (m.code.clone(), m))
                        .collect()
                })
                .unwrap_or_default()
        })
        .get(code)
}

/// The name to record for a prescription that came with only its code:
/// the catalogue's, else the code itself.
pub fn name_for_code(code: &MedicineCode) -> String {
    catalogue_entry(code).map_or_else(|| code.to_string(), |m| m.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atc_codes_are_checked() {
        assert_eq!(MedicineCode::new("c08ca01").unwrap().as_str(), "C08CA01");
        for bad in ["", "C08CA1", "C08CA011", "808CA01", "C0XCA01", "C08C101"] {
            assert!(MedicineCode::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_catalogue_names_a_code() {
        let aspirin = catalogue_entry(&MedicineCode::new("B01AC06").unwrap()).unwrap();
        assert_eq!(aspirin.name, "aspirin");
        assert_eq!(aspirin.name_zh, "阿司匹林");
        assert!(catalogue_entry(&MedicineCode::new("Z99ZZ99").unwrap()).is_none());
    }

    #[test]
    fn a_list_knows_what_it_stocks() {
        let amlodipine = MedicineCode::new("C08CA01").unwrap();
        let list = EssentialMedicines {
            id: MedicinesListId::new("eml-x").unwrap(),
            institution: InstitutionId::new("x").unwrap(),
            medicines: [(amlodipine.clone(), "amlodipine".to_string())].into(),
        };
        assert!(list.has(&amlodipine));
        assert!(!list.has(&MedicineCode::new("B01AF01").unwrap()));
    }
}
