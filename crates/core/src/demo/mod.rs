//! The bundled demo county: a synthetic region modelled on ZX City, Hubei
//! (2023 figures, DOMAIN.md section 5), so the server, the simulator and the
//! tests start from the same realistic network without any real patient data.
//!
//! The facts of the region (institutions with capacity, departments and
//! places; medical alliances) are hand-written in `data/demo-county.toml`,
//! where they can be read and checked against the reference figures. People
//! (practitioners, family-doctor teams, residents) are generated here with a
//! small deterministic PRNG, so the same `(residents, seed)` always gives the
//! same county. Nothing reads the clock: ages and contracts are relative to
//! [`REFERENCE_DATE`].
//!
//! Everything generated is fictitious: identity numbers use the area code
//! 429999, which no real division has; phone numbers start with "100", which
//! is no personal mobile range; the demo passwords are public.

mod emergency;
pub mod emergency_cases;
mod medicines;
mod network;
mod people;
#[cfg(test)]
mod tests;

pub use medicines::formulary;
use network::{alliances, hubs, institutions};
use people::{Staff, areas, resident, users};

use crate::access::UserRole;
use crate::network::{
    Alliance, AllianceKind, Capacity, Closeness, Department, FamilyDoctorTeam, Gender, Institution,
    InstitutionKind, Membership, PersonName, Place, Practitioner, PractitionerRole,
    PractitionerRoleKind, Region, Romanised,
};
use crate::resident::{Contract, KeyGroup, Resident};
use crate::{
    AllianceId, InstitutionId, InvalidId, Level, MembershipId, PractitionerId, Record, RegionId,
    ResidentId, RoleId, Specialty, TeamId,
};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::{date, format_description};

/// The day the demo county is "as of". Ages, key groups and contracts are
/// computed against it instead of the clock, so output never drifts.
pub const REFERENCE_DATE: Date = date!(2026 - 01 - 01);

/// The hand-written part of the county.
const DATA: &str = include_str!("../../data/demo-county.toml");

/// Age structure of a Chinese county: shares of children (0-14) and of people
/// aged 65 and over; the rest are adults of working age.
const CHILD_SHARE: f64 = 0.15;
const ELDER_SHARE: f64 = 0.15;
/// Shares with a chronic disease (hypertension or diabetes) that puts them
/// in the chronic key group: adults aged 35-64, and people 65+.
const CHRONIC_ADULT_SHARE: f64 = 0.20;
const CHRONIC_ELDER_SHARE: f64 = 0.45;
const LOW_INCOME_SHARE: f64 = 0.05;
/// Residents outside every key group who have signed anyway. Key groups are
/// always contracted (ZX City: 100% coverage of key groups).
const VOLUNTARY_CONTRACT_SHARE: f64 = 0.35;
/// Contracts are signed in the year-end campaign, 2025-12-01 to the
/// reference date. Most renew automatically (open-ended), so the demo stays
/// valid whatever day it is started; this share runs a fixed year instead.
const SIGNING_WINDOW_DAYS: u64 = 31;
const OPEN_ENDED_SHARE: f64 = 0.9;
/// Area code of the synthetic identity numbers: no real division has it, so
/// a demo identifier can never be a real person's.
const ID_AREA_CODE: &str = "429999";

/// The fixed demo logins, with the password the server prints at start.
/// Demo only: these passwords are published in the source.
const LOGINS: [(&str, &str, UserRole); 8] = [
    ("admin", "admin-demo-2026", UserRole::Admin),
    (
        "coordinator",
        "coordinator-demo-2026",
        UserRole::Coordinator,
    ),
    ("doctor", "doctor-demo-2026", UserRole::Doctor),
    ("analyst", "analyst-demo-2026", UserRole::Analyst),
    ("resident", "resident-demo-2026", UserRole::Resident),
    ("specialist", "specialist-demo-2026", UserRole::Doctor),
    ("insurer", "insurer-demo-2026", UserRole::Insurer),
    ("frontdesk", "frontdesk-demo-2026", UserRole::Coordinator),
];

/// A login of the demo deployment, tied to the records it acts as so that
/// each role sees something meaningful at once. The password is public and
/// for demos only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoUser {
    pub username: String,
    pub password: String,
    pub role: UserRole,
    pub institution: Option<InstitutionId>,
    pub practitioner: Option<PractitionerId>,
    pub resident: Option<ResidentId>,
    /// Who this login is in the county, for the start-up banner.
    pub note: String,
}

/// A complete demo region: everything a fresh deployment loads to be usable
/// at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoCounty {
    pub region: Region,
    /// In dependency order, so they can be stored one by one: institutions
    /// (parents first), alliances, memberships, practitioners, roles, teams,
    /// residents.
    pub records: Vec<Record>,
    pub users: Vec<DemoUser>,
}

impl DemoCounty {
    /// Residents the server loads by default: enough for indicators to mean
    /// something, few enough to load in a moment.
    pub const DEFAULT_RESIDENTS: usize = 3000;

    /// The bundled demo county with `residents` synthetic residents, the same
    /// for the same `(residents, seed)`. Resident `n` does not depend on how
    /// many come after it. The first resident is always an older person
    /// contracted to the demo doctor's team.
    pub fn generate(residents: usize, seed: u64) -> DemoCounty {
        // The only inputs that could fail are the bundled data file and ids
        // built from fixed formats; the tests below build the county.
        build(residents, seed).expect("the bundled demo county data is valid")
    }
}

/// What went wrong with the bundled data (a bug in this crate, never input).
#[derive(Debug, thiserror::Error)]
enum DataError {
    #[error("demo-county.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error(transparent)]
    Id(#[from] InvalidId),
    #[error("demo date: {0}")]
    Date(#[from] time::error::ComponentRange),
    #[error("demo date: {0}")]
    DateFormat(#[from] time::error::Parse),
    #[error("demo-county.toml: {0}")]
    Invalid(String),
}

// ------------------------------------------------------------ the data file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    region: Region,
    village_clinic: ChildTemplate,
    community_station: ChildTemplate,
    names: Names,
    institution: Vec<InstitutionRow>,
    alliance: Vec<AllianceRow>,
}

/// Capacity of every generated village clinic or community station.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildTemplate {
    physicians: u32,
    daily_slots: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Names {
    family: Vec<Written>,
    male: Vec<Written>,
    female: Vec<Written>,
}

/// A name part as `[hanzi, pinyin]`: the pinyin is written down rather
/// than derived, because a character's reading in a name is not always its
/// common one (the surname 曾 is Zeng).
type Written = [String; 2];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstitutionRow {
    id: InstitutionId,
    /// Another region's id for an institution outside the demo county
    /// (referrals reach it; its capacity is not the county's).
    #[serde(default)]
    region: Option<RegionId>,
    name: String,
    /// English and pinyin names.
    #[serde(default)]
    alias: Vec<String>,
    kind: InstitutionKind,
    level: Level,
    district: String,
    address: String,
    latitude: f64,
    longitude: f64,
    capacity: Capacity,
    departments: Vec<Department>,
    /// Residents served (primary institutions only): weights the district
    /// synthetic residents live in.
    #[serde(default)]
    population: u64,
    /// Family-doctor teams (primary institutions only).
    #[serde(default)]
    teams: u32,
    children: Option<Children>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Children {
    id_prefix: String,
    /// Village or community names, `[hanzi, pinyin]`.
    names: Vec<Written>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllianceRow {
    id: AllianceId,
    name: String,
    #[serde(default)]
    alias: Vec<String>,
    kind: AllianceKind,
    closeness: Closeness,
    lead: InstitutionId,
    since: String,
    members: Vec<InstitutionId>,
}

// -------------------------------------------------------------- generation

fn build(residents: usize, seed: u64) -> Result<DemoCounty, DataError> {
    let data: Data = toml::from_str(DATA)?;
    let names = &data.names;
    if names.family.is_empty() || names.male.is_empty() || names.female.is_empty() {
        return Err(DataError::Invalid("every name list needs entries".into()));
    }
    let institutions = institutions(&data)?;
    let medicines = medicines::lists(&institutions)?;
    let (alliances, memberships) = alliances(&data, &institutions)?;
    let hubs = hubs(&data)?;
    let centres = emergency::centres(&institutions)?;
    let mut staff = Staff::new(names, data.region.id.clone(), Rng::stream(seed, 1));
    staff.hire_all(&data)?;
    staff.multi_site(&data)?;
    let areas = areas(&data, &staff.teams)?;
    let people = (0..residents)
        .map(|n| resident(n, seed, &data, &areas))
        .collect::<Result<Vec<_>, _>>()?;
    let users = users(&data, &institutions, &staff, &areas, people.first())?;
    let coverages = people
        .iter()
        .enumerate()
        .map(|(n, r)| coverage(r, Rng::stream(seed, 1_000_000 + n as u64)))
        .collect::<Result<Vec<_>, _>>()?;

    let records = institutions
        .into_iter()
        .map(Record::Institution)
        .chain(medicines.into_iter().map(Record::MedicinesList))
        .chain(alliances.into_iter().map(Record::Alliance))
        .chain(memberships.into_iter().map(Record::Membership))
        .chain(hubs.into_iter().map(Record::Hub))
        .chain(centres.into_iter().map(Record::Centre))
        .chain(staff.practitioners.into_iter().map(Record::Practitioner))
        .chain(staff.roles.into_iter().map(Record::Role))
        .chain(staff.teams.into_iter().map(Record::Team))
        .chain(people.into_iter().map(Record::Resident))
        .chain(coverages.into_iter().map(Record::Coverage))
        .collect();
    Ok(DemoCounty {
        region: data.region,
        records,
        users,
    })
}

/// A resident's insurance: the employee scheme for about a third of
/// working-age residents and a quarter of retirees (those who worked in
/// the formal sector), the resident scheme for everyone else, as in a
/// county where most people are farmers or self-employed.
fn coverage(r: &Resident, mut rng: Rng) -> Result<crate::insurance::Coverage, DataError> {
    let age = r.age_on(REFERENCE_DATE);
    let employee = match age {
        18..=59 => rng.chance(0.35),
        60.. => rng.chance(0.25),
        _ => false,
    };
    let scheme = if employee { "uebmi" } else { "urrbmi" };
    let id = crate::insurance::Coverage::id_for(&r.id)
        .ok_or_else(|| DataError::Invalid(format!("{}: id too long for a coverage", r.id)))?;
    Ok(crate::insurance::Coverage {
        id,
        resident: r.id.clone(),
        scheme: crate::insurance::SchemeId::new(scheme)
            .map_err(|e| DataError::Invalid(e.to_string()))?,
        since: REFERENCE_DATE,
    })
}

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny and good enough to draw
/// synthetic people reproducibly. Not for anything secret.
struct Rng(u64);

impl Rng {
    /// An independent stream for one part of the county, so adding residents
    /// does not reshuffle the practitioners, nor one resident the next.
    fn stream(seed: u64, stream: u64) -> Rng {
        Rng(seed ^ Rng(stream).next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}
