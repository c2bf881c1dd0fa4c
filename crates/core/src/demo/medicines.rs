//! The demo county's essential-medicines lists, one per primary institution.

use super::DataError;
use crate::medicines::{EssentialMedicines, MedicineCode};
use crate::network::{Institution, InstitutionKind};
use crate::{InstitutionId, Level};
use serde::Deserialize;
use std::collections::BTreeMap;

const DATA: &str = include_str!("../../data/demo-medicines.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    medicine: Vec<Row>,
    #[serde(default)]
    gaps: BTreeMap<InstitutionId, Vec<MedicineCode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    code: MedicineCode,
    /// The international nonproprietary name, for reviewers and errors.
    name: String,
    /// The Chinese generic name, which the lists show.
    name_zh: String,
    stocked: Stocked,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Stocked {
    Village,
    Centre,
    Hospital,
}

/// The list of every primary institution: what its kind stocks, less its
/// own gaps.
pub(super) fn lists(institutions: &[Institution]) -> Result<Vec<EssentialMedicines>, DataError> {
    let data: Data = toml::from_str(DATA)?;
    if let Some(m) = data.medicine.iter().find(|m| m.name_zh.trim().is_empty()) {
        let message = format!("{} ({}) has no Chinese name", m.code, m.name);
        return Err(DataError::Invalid(message));
    }
    let mut out = Vec::new();
    for i in institutions.iter().filter(|i| i.level == Level::Primary) {
        let centre = matches!(
            i.kind,
            InstitutionKind::TownshipCentre | InstitutionKind::CommunityHealthCentre
        );
        let gaps = data.gaps.get(&i.id).map(Vec::as_slice).unwrap_or_default();
        let medicines = data
            .medicine
            .iter()
            .filter(|m| match m.stocked {
                Stocked::Village => true,
                Stocked::Centre => centre,
                Stocked::Hospital => false,
            })
            .filter(|m| !gaps.contains(&m.code))
            .map(|m| (m.code.clone(), m.name_zh.clone()))
            .collect();
        let id = EssentialMedicines::id_for(&i.id)
            .ok_or_else(|| DataError::Invalid(format!("{}: id too long for a list", i.id)))?;
        out.push(EssentialMedicines {
            id,
            institution: i.id.clone(),
            medicines,
        });
    }
    Ok(out)
}

/// Every medicine the demo county knows, by code, with its Chinese name:
/// hospital ones included, so a care plan can name them.
pub fn formulary() -> BTreeMap<MedicineCode, String> {
    toml::from_str::<Data>(DATA)
        .map(|d| {
            d.medicine
                .into_iter()
                .map(|m| (m.code, m.name_zh))
                .collect()
        })
        .unwrap_or_default()
}
