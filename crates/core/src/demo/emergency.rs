//! The demo county's emergency network: the designated centres a county of
//! 867,000 people with one 1,500-bed secondary hospital has, modelled on
//! the five centres of DOMAIN.md section 5b (Renshou County).
//!
//! - The county people's hospital (zx-h1) runs a chest pain centre at the
//!   county-level (basic) standard: thrombolysis, no catheter laboratory.
//!   The county is the "inverted pyramid" of DOMAIN.md section 2 with a
//!   secondary hospital at its top, and primary PCI is at the prefecture's
//!   tertiary hospital (zx-t1), 43 minutes from the county seat and at most
//!   82 from any township, so within the 120-minute primary-PCI window from
//!   everywhere. A county without its own PCI is also the baseline the
//!   simulator's "the county hospital gets a catheter laboratory" lever
//!   starts from.
//! - Its stroke centre thrombolyses (the county-level stroke centre);
//!   thrombectomy needs neuro-interventionists the county does not have,
//!   so it is at zx-t1. Its trauma centre operates. Its critical maternal
//!   care centre operates (caesarean) with the hospital's ICU and blood
//!   bank behind it; the critical neonatal centre (NICU) is at the
//!   maternal and child health hospital (zx-h3).
//! - Three townships far from the county seat are chest pain treatment
//!   units (thrombolysis) with transfer agreements to the county hospital
//!   and the prefecture's PCI centre; 石板 (zx-tc6) has a doctor able to
//!   lyse only by day, 08:00 to 17:30, which exercises the rule's hours.
//!
//! The county centres' catchment is the county's six townships; a
//! township unit's is its own village clinics; the prefecture's centres
//! take the county hospital's transfers. Every centre but 石板's is open
//! at all hours.

use super::*;
use crate::CentreId;
use crate::emergency::{Accreditation, Capability, Centre, CentreKind, EmergencyCentre, Hours};

/// The county's townships, whose emergencies the county centres take.
const TOWNSHIPS: [&str; 6] = ["zx-tc1", "zx-tc2", "zx-tc3", "zx-tc4", "zx-tc5", "zx-tc6"];

/// One centre of the table: institution, kind, accreditation, Chinese
/// name suffix, capabilities, transfer agreements.
type Row = (
    &'static str,
    CentreKind,
    Accreditation,
    &'static str,
    &'static [Capability],
    &'static [&'static str],
);

const CENTRES: &[Row] = &[
    (
        "zx-h1",
        CentreKind::ChestPain,
        Accreditation::Basic,
        "胸痛中心",
        &[Capability::Thrombolysis],
        &["zx-t1"],
    ),
    (
        "zx-h1",
        CentreKind::Stroke,
        Accreditation::Basic,
        "卒中中心",
        &[Capability::Thrombolysis],
        &["zx-t1"],
    ),
    (
        "zx-h1",
        CentreKind::Trauma,
        Accreditation::Basic,
        "创伤中心",
        &[Capability::TraumaSurgery],
        &["zx-t1"],
    ),
    (
        "zx-h1",
        CentreKind::Maternal,
        Accreditation::Basic,
        "危重孕产妇救治中心",
        &[Capability::Caesarean],
        &["zx-t1"],
    ),
    (
        "zx-h3",
        CentreKind::Neonatal,
        Accreditation::Basic,
        "危重新生儿救治中心",
        &[Capability::NeonatalIntensiveCare],
        &["zx-t1"],
    ),
    (
        "zx-t1",
        CentreKind::ChestPain,
        Accreditation::Standard,
        "胸痛中心",
        &[Capability::Pci, Capability::Thrombolysis],
        &[],
    ),
    (
        "zx-t1",
        CentreKind::Stroke,
        Accreditation::Standard,
        "卒中中心",
        &[Capability::Thrombolysis, Capability::Thrombectomy],
        &[],
    ),
    (
        "zx-tc4",
        CentreKind::ChestPain,
        Accreditation::TreatmentUnit,
        "胸痛救治单元",
        &[Capability::Thrombolysis],
        &["zx-h1", "zx-t1"],
    ),
    (
        "zx-tc5",
        CentreKind::ChestPain,
        Accreditation::TreatmentUnit,
        "胸痛救治单元",
        &[Capability::Thrombolysis],
        &["zx-h1", "zx-t1"],
    ),
    (
        "zx-tc6",
        CentreKind::ChestPain,
        Accreditation::TreatmentUnit,
        "胸痛救治单元",
        &[Capability::Thrombolysis],
        &["zx-h1", "zx-t1"],
    ),
];

/// The township whose unit lyses by day only.
const DAYTIME_ONLY: &str = "zx-tc6";

fn ids(list: &[&str]) -> Result<Vec<InstitutionId>, DataError> {
    list.iter()
        .map(|s| InstitutionId::new(*s).map_err(DataError::from))
        .collect()
}

/// The demo county's designated centres, as documented above; ids
/// `ctr-{institution}-{kind}`.
pub(super) fn centres(institutions: &[Institution]) -> Result<Vec<EmergencyCentre>, DataError> {
    let mut out = Vec::new();
    for &(at, kind, accreditation, suffix, capabilities, transfers) in CENTRES {
        let institution = institutions
            .iter()
            .find(|i| i.id.as_str() == at)
            .ok_or_else(|| DataError::Invalid(format!("no institution {at} for a centre")))?;
        let catchment: Vec<InstitutionId> = match (institution.level, at) {
            (Level::Primary, _) => institutions
                .iter()
                .filter(|i| i.part_of.as_ref() == Some(&institution.id))
                .map(|i| i.id.clone())
                .collect(),
            (_, "zx-t1") => ids(&["zx-h1"])?,
            _ => ids(&TOWNSHIPS)?,
        };
        let hours = if at == DAYTIME_ONLY {
            Hours::Daily {
                from_minute: 8 * 60,
                to_minute: 17 * 60 + 30,
            }
        } else {
            Hours::Always
        };
        let centre = EmergencyCentre {
            id: CentreId::new(format!("ctr-{at}-{}", kind.code()))?,
            name: format!("{}{suffix}", institution.name),
            institution: institution.id.clone(),
            centre: Centre {
                kind,
                accreditation,
                hours,
                capabilities: capabilities.to_vec(),
            },
            catchment,
            transfers_to: ids(transfers)?,
            active: true,
        };
        centre
            .validate()
            .map_err(|e| DataError::Invalid(format!("{}: {e}", centre.id)))?;
        out.push(centre);
    }
    Ok(out)
}
