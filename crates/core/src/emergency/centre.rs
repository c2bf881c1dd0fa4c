//! Designated centres as registry data: which institution runs which
//! centre, at what accreditation, when and with what capabilities, whose
//! emergencies it takes by agreement (its catchment) and where it sends
//! patients beyond its capability (its transfer agreements).
//!
//! The routing rule reads [`Site`]s; [`sites`] builds them from the
//! registry's institutions and centres, so the rule always routes by what
//! the region has registered.

use super::{Accreditation, Capability, Centre, CentreKind, Hours, Site};
use crate::network::Institution;
use crate::{CentreId, InstitutionId};
use serde::{Deserialize, Serialize};

/// Minutes in a day: a time of day is below it.
const DAY_MINUTES: u16 = 24 * 60;

/// A designated emergency centre of an institution, as the region
/// registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyCentre {
    pub id: CentreId,
    /// Its name as the county knows it: "ZX市人民医院胸痛中心".
    pub name: String,
    /// The institution that runs it (`providedBy`).
    pub institution: InstitutionId,
    /// Kind, accreditation, hours and capabilities: what the routing rule
    /// reads.
    pub centre: Centre,
    /// The institutions whose emergencies it takes by agreement (the
    /// townships of a county centre, the village clinics of a township
    /// unit).
    pub catchment: Vec<InstitutionId>,
    /// Where it sends patients beyond its capability, by agreement (a
    /// township unit's PCI centre, a county stroke centre's thrombectomy
    /// centre).
    pub transfers_to: Vec<InstitutionId>,
    /// Whether it takes patients now; an inactive centre is not routed to.
    pub active: bool,
}

/// Why a centre was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CentreError {
    /// A field breaks a rule; `field` is its FHIR element name.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> CentreError {
    CentreError::Invalid {
        field,
        message: message.into(),
    }
}

impl CentreKind {
    /// The capabilities a centre of this kind may declare: what its
    /// accreditation standard is about (a chest pain centre does PCI or
    /// thrombolysis, never trauma surgery).
    pub fn fitting(self) -> &'static [Capability] {
        match self {
            CentreKind::ChestPain => &[Capability::Pci, Capability::Thrombolysis],
            CentreKind::Stroke => &[Capability::Thrombolysis, Capability::Thrombectomy],
            CentreKind::Trauma => &[Capability::TraumaSurgery],
            CentreKind::Maternal => &[Capability::Caesarean],
            CentreKind::Neonatal => &[Capability::NeonatalIntensiveCare],
        }
    }
}

fn has_duplicates<T: Ord + Clone>(list: &[T]) -> bool {
    let mut seen = list.to_vec();
    seen.sort();
    seen.dedup();
    seen.len() != list.len()
}

impl EmergencyCentre {
    /// Checks the rules of the centre record on its own: a name; at least
    /// one capability, each once and each fitting the kind; valid hours;
    /// no institution named twice in the catchment or the transfer
    /// agreements; no transfer to itself. A chest pain treatment unit is a
    /// chest pain centre without PCI that transfers somewhere.
    pub fn validate(&self) -> Result<(), CentreError> {
        if self.name.trim().is_empty() {
            return Err(invalid("name", "a centre needs a name"));
        }
        let c = &self.centre;
        if c.capabilities.is_empty() {
            return Err(invalid(
                "characteristic",
                "a centre declares at least one capability",
            ));
        }
        if has_duplicates(&c.capabilities) {
            return Err(invalid("characteristic", "a capability is named twice"));
        }
        if let Some(bad) = c
            .capabilities
            .iter()
            .find(|cap| !c.kind.fitting().contains(cap))
        {
            let fits: Vec<&str> = c.kind.fitting().iter().map(|f| f.code()).collect();
            return Err(invalid(
                "characteristic",
                format!(
                    "a {} does not do {}; use {}",
                    c.kind.display().to_lowercase(),
                    bad.code(),
                    fits.join(" or ")
                ),
            ));
        }
        if let Hours::Daily {
            from_minute,
            to_minute,
        } = c.hours
        {
            if from_minute >= DAY_MINUTES || to_minute >= DAY_MINUTES {
                return Err(invalid("availableTime", "a time of day is before 24:00"));
            }
            if from_minute == to_minute {
                return Err(invalid(
                    "availableTime",
                    "the start and the end are the same; a centre open all day is allDay",
                ));
            }
        }
        if c.accreditation == Accreditation::TreatmentUnit {
            if c.kind != CentreKind::ChestPain {
                return Err(invalid(
                    "extension(centre-accreditation)",
                    "a treatment unit is a chest pain accreditation",
                ));
            }
            if c.capabilities.contains(&Capability::Pci) {
                return Err(invalid(
                    "characteristic",
                    "a treatment unit does not do PCI; a place doing PCI is a chest pain centre",
                ));
            }
            if self.transfers_to.is_empty() {
                return Err(invalid(
                    "extension(transfer-agreement)",
                    "a treatment unit transfers to a PCI centre by agreement",
                ));
            }
        }
        if has_duplicates(&self.catchment) {
            return Err(invalid(
                "extension(centre-catchment)",
                "an institution is named twice",
            ));
        }
        if has_duplicates(&self.transfers_to) {
            return Err(invalid(
                "extension(transfer-agreement)",
                "an institution is named twice",
            ));
        }
        if self.transfers_to.contains(&self.institution) {
            return Err(invalid(
                "extension(transfer-agreement)",
                "a centre does not transfer to its own institution",
            ));
        }
        Ok(())
    }
}

/// The routing rule's sites: every active institution with coordinates,
/// in the order given, with the active centres it runs (by centre id).
///
/// An institution without coordinates is left out: travel to it cannot
/// be estimated, so the rule could neither route to it nor start from it
/// (register its place to have it counted). A site's own capabilities
/// outside any centre stay empty: the registry records capabilities only
/// through centres (a township that gives thrombolysis is a chest pain
/// treatment unit).
pub fn sites(institutions: &[Institution], centres: &[EmergencyCentre]) -> Vec<Site> {
    let mut active: Vec<&EmergencyCentre> = centres.iter().filter(|c| c.active).collect();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    institutions
        .iter()
        .filter(|i| i.active)
        .filter_map(|i| {
            let place = i.place.as_ref()?;
            Some(Site {
                institution: i.id.clone(),
                level: i.level,
                latitude: place.latitude,
                longitude: place.longitude,
                centres: active
                    .iter()
                    .filter(|c| c.institution == i.id)
                    .map(|c| c.centre.clone())
                    .collect(),
                capabilities: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
