//! Claims as the platform stores them: who is covered by which scheme, the
//! adjudicated claim of each finished visit, and each resident's yearly
//! account (the accumulator) that the claims move.

use super::{Accumulator, Adjudication, Fen, SchemeId, ServiceType, Visit};
use crate::{
    AccountId, ClaimId, CoverageId, EncounterId, InstitutionId, Level, ReadingOrderId, ResidentId,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// A resident's enrolment in a scheme, from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub id: CoverageId,
    pub resident: ResidentId,
    pub scheme: SchemeId,
    pub since: Date,
}

impl Coverage {
    /// The conventional id of a resident's coverage: one per resident.
    pub fn id_for(resident: &ResidentId) -> Option<CoverageId> {
        CoverageId::new(format!("cov-{resident}")).ok()
    }
}

/// What a claim pays for. Most claims are a finished visit's; a remote
/// reading is billed on its own, when the hub reports it, because it may
/// be reported long after the visit that ordered it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Claimed {
    /// A finished visit (an encounter, or an admission at discharge).
    Visit { encounter: EncounterId },
    /// A hub's reading of a study taken at the ordering institution.
    Reading { reading: ReadingOrderId },
}

/// One finished visit or reported reading, adjudicated: what the
/// explanation of benefit says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: ClaimId,
    /// Stored flat (`"encounter": …` or `"reading": …`), as claims of
    /// visits were stored before readings were claimed.
    #[serde(flatten)]
    pub service: Claimed,
    pub patient: ResidentId,
    pub institution: InstitutionId,
    pub visit: Visit,
    pub adjudication: Adjudication,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

impl Claim {
    /// The claim of an encounter: one per finished visit.
    pub fn id_for(encounter: &EncounterId) -> Option<ClaimId> {
        ClaimId::new(format!("eob-{encounter}")).ok()
    }

    /// The claim of a reading: one per reported reading.
    pub fn id_for_reading(reading: &ReadingOrderId) -> Option<ClaimId> {
        ClaimId::new(format!("eob-{reading}")).ok()
    }

    /// The visit claimed, when the claim is a visit's.
    pub fn encounter(&self) -> Option<&EncounterId> {
        match &self.service {
            Claimed::Visit { encounter } => Some(encounter),
            Claimed::Reading { .. } => None,
        }
    }
}

/// A resident's account with a scheme for one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearAccount {
    pub id: AccountId,
    pub resident: ResidentId,
    pub accumulator: Accumulator,
}

impl YearAccount {
    /// The account of a resident, scheme and year.
    pub fn id_for(resident: &ResidentId, scheme: &SchemeId, year: i32) -> Option<AccountId> {
        AccountId::new(format!("acc-{resident}-{scheme}-{year}")).ok()
    }
}

/// What a visit is billed when its charge is not given: the region's
/// typical charge per level and service type. The defaults are the
/// averages DOMAIN.md quotes for Hangzhou (2011: about 86 yuan per
/// community visit, 226 per hospital visit) and illustrative admissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypicalCharges {
    pub outpatient: PerLevelFen,
    pub inpatient: PerLevelFen,
}

/// An amount per level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLevelFen {
    pub primary: Fen,
    pub secondary: Fen,
    pub tertiary: Fen,
}

impl Default for TypicalCharges {
    fn default() -> Self {
        TypicalCharges {
            outpatient: PerLevelFen {
                primary: Fen::yuan(86),
                secondary: Fen::yuan(226),
                tertiary: Fen::yuan(226),
            },
            inpatient: PerLevelFen {
                primary: Fen::yuan(2_500),
                secondary: Fen::yuan(8_000),
                tertiary: Fen::yuan(15_000),
            },
        }
    }
}

impl TypicalCharges {
    /// The typical charge of a visit of this kind at this level.
    pub fn of(&self, service: ServiceType, level: Level) -> Fen {
        let per = match service {
            ServiceType::Outpatient => &self.outpatient,
            ServiceType::Inpatient => &self.inpatient,
        };
        match level {
            Level::Primary => per.primary,
            Level::Secondary => per.secondary,
            Level::Tertiary => per.tertiary,
        }
    }
}
