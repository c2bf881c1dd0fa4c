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

use crate::access::UserRole;
use crate::network::{
    Alliance, AllianceKind, Capacity, Closeness, Department, FamilyDoctorTeam, Gender, Institution,
    InstitutionKind, Membership, PersonName, Place, Practitioner, PractitionerRole,
    PractitionerRoleKind, Region,
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
const DATA: &str = include_str!("../data/demo-county.toml");

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
const LOGINS: [(&str, &str, UserRole); 5] = [
    ("admin", "admin-demo-2026", UserRole::Admin),
    (
        "coordinator",
        "coordinator-demo-2026",
        UserRole::Coordinator,
    ),
    ("doctor", "doctor-demo-2026", UserRole::Doctor),
    ("analyst", "analyst-demo-2026", UserRole::Analyst),
    ("resident", "resident-demo-2026", UserRole::Resident),
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
    family: Vec<String>,
    male: Vec<String>,
    female: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstitutionRow {
    id: InstitutionId,
    name: String,
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
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllianceRow {
    id: AllianceId,
    name: String,
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
    let (alliances, memberships) = alliances(&data, &institutions)?;
    let mut staff = Staff::new(names, data.region.id.clone(), Rng::stream(seed, 1));
    staff.hire_all(&data)?;
    let areas = areas(&data, &staff.teams)?;
    let people = (0..residents)
        .map(|n| resident(n, seed, &data, &areas))
        .collect::<Result<Vec<_>, _>>()?;
    let users = users(&data, &institutions, &staff, &areas, people.first())?;

    let records = institutions
        .into_iter()
        .map(Record::Institution)
        .chain(alliances.into_iter().map(Record::Alliance))
        .chain(memberships.into_iter().map(Record::Membership))
        .chain(staff.practitioners.into_iter().map(Record::Practitioner))
        .chain(staff.roles.into_iter().map(Record::Role))
        .chain(staff.teams.into_iter().map(Record::Team))
        .chain(people.into_iter().map(Record::Resident))
        .collect();
    Ok(DemoCounty {
        region: data.region,
        records,
        users,
    })
}

/// The institutions of the data file, each followed by the village clinics
/// or community stations it lists as children.
fn institutions(data: &Data) -> Result<Vec<Institution>, DataError> {
    let mut out: Vec<Institution> = Vec::new();
    for row in &data.institution {
        let identifier = Some(credit_code(out.len()));
        out.push(Institution {
            id: row.id.clone(),
            region: data.region.id.clone(),
            name: row.name.clone(),
            identifier,
            kind: row.kind,
            level: row.level,
            part_of: None,
            place: Some(Place {
                address: row.address.clone(),
                district: row.district.clone(),
                latitude: row.latitude,
                longitude: row.longitude,
            }),
            departments: row.departments.clone(),
            capacity: row.capacity,
            active: true,
        });
        let Some(children) = &row.children else {
            continue;
        };
        let (kind, template, suffix, place_word, radius_km) = match row.kind {
            InstitutionKind::TownshipCentre => (
                InstitutionKind::VillageClinic,
                &data.village_clinic,
                "Village Clinic",
                "Village",
                4.0,
            ),
            InstitutionKind::CommunityHealthCentre => (
                InstitutionKind::CommunityStation,
                &data.community_station,
                "Community Health Station",
                "Community",
                1.2,
            ),
            other => {
                let message = format!("{}: a {} has no child clinics", row.id, other.display());
                return Err(DataError::Invalid(message));
            }
        };
        for (i, name) in children.names.iter().enumerate() {
            let (latitude, longitude) = around(
                row.latitude,
                row.longitude,
                radius_km,
                i,
                children.names.len(),
            );
            let identifier = Some(credit_code(out.len()));
            out.push(Institution {
                id: InstitutionId::new(format!("{}-{}", children.id_prefix, i + 1))?,
                region: data.region.id.clone(),
                name: format!("{name} {suffix}"),
                identifier,
                kind,
                level: Level::Primary,
                part_of: Some(row.id.clone()),
                place: Some(Place {
                    address: format!("{name} {place_word}, {}", row.district),
                    district: row.district.clone(),
                    latitude,
                    longitude,
                }),
                departments: vec![Department {
                    specialty: Specialty::GeneralPractice,
                    daily_slots: template.daily_slots,
                    beds: 0,
                }],
                capacity: Capacity {
                    physicians: template.physicians,
                    daily_outpatient_slots: template.daily_slots,
                    beds: 0,
                },
                active: true,
            });
        }
    }
    Ok(out)
}

/// A fictitious unified social credit code (public institution, area 429999).
fn credit_code(n: usize) -> String {
    format!("12{ID_AREA_CODE}MB{:08}", n + 1)
}

/// A point `km` (varied by index) from the centre, spread around the circle,
/// so child clinics sit around their parent and never on top of each other.
fn around(lat: f64, lon: f64, km: f64, index: usize, count: usize) -> (f64, f64) {
    let angle = std::f64::consts::TAU * (index as f64 + 0.25) / count.max(1) as f64;
    let km = km * (0.8 + 0.2 * (index % 3) as f64);
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let dlat = km * angle.cos() / 111.0;
    let dlon = km * angle.sin() / (111.0 * lat.to_radians().cos());
    (round(lat + dlat), round(lon + dlon))
}

/// Alliances and their memberships: the lead first, then each listed member
/// followed by its own child clinics.
fn alliances(
    data: &Data,
    institutions: &[Institution],
) -> Result<(Vec<Alliance>, Vec<Membership>), DataError> {
    let known = |id: &InstitutionId| institutions.iter().any(|i| &i.id == id);
    let (mut alliances, mut memberships) = (Vec::new(), Vec::new());
    for row in &data.alliance {
        if let Some(missing) = std::iter::once(&row.lead)
            .chain(&row.members)
            .find(|i| !known(i))
        {
            return Err(DataError::Invalid(format!(
                "{}: no institution {missing}",
                row.id
            )));
        }
        let since = Some(Date::parse(
            &row.since,
            format_description!("[year]-[month]-[day]"),
        )?);
        let mut members = vec![row.lead.clone()];
        for member in &row.members {
            let children = institutions
                .iter()
                .filter(|i| i.part_of.as_ref() == Some(member));
            for id in std::iter::once(member.clone()).chain(children.map(|i| i.id.clone())) {
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        for institution in members {
            memberships.push(Membership {
                id: MembershipId::new(format!("{}.{institution}", row.id))?,
                alliance: row.id.clone(),
                is_lead: institution == row.lead,
                institution,
                since,
            });
        }
        alliances.push(Alliance {
            id: row.id.clone(),
            region: data.region.id.clone(),
            name: row.name.clone(),
            kind: row.kind,
            closeness: row.closeness,
            lead: row.lead.clone(),
        });
    }
    Ok((alliances, memberships))
}

/// The named practitioners: a referral coordinator at every hospital and
/// every township centre or CHC, 2-4 specialists per hospital department,
/// and the family-doctor teams (two family doctors and a nurse each).
struct Staff<'a> {
    names: &'a Names,
    region: RegionId,
    rng: Rng,
    practitioners: Vec<Practitioner>,
    roles: Vec<PractitionerRole>,
    teams: Vec<FamilyDoctorTeam>,
    coordinators: Vec<(InstitutionId, PractitionerId)>,
}

impl<'a> Staff<'a> {
    fn new(names: &'a Names, region: RegionId, rng: Rng) -> Self {
        Staff {
            names,
            region,
            rng,
            practitioners: Vec::new(),
            roles: Vec::new(),
            teams: Vec::new(),
            coordinators: Vec::new(),
        }
    }

    fn hire_all(&mut self, data: &Data) -> Result<(), DataError> {
        for row in &data.institution {
            let coordinator =
                self.hire(&row.id, PractitionerRoleKind::ReferralCoordinator, None)?;
            self.coordinators.push((row.id.clone(), coordinator));
            if row.level == Level::Primary {
                for k in 1..=row.teams {
                    self.team(row, k)?;
                }
            } else {
                for department in &row.departments {
                    for _ in 0..2 + self.rng.below(3) {
                        let specialty = Some(department.specialty);
                        self.hire(&row.id, PractitionerRoleKind::Specialist, specialty)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn team(&mut self, row: &InstitutionRow, k: u32) -> Result<(), DataError> {
        let family_doctor = PractitionerRoleKind::FamilyDoctor;
        let gp = Some(Specialty::GeneralPractice);
        let lead = self.hire(&row.id, family_doctor, gp)?;
        let second = self.hire(&row.id, family_doctor, gp)?;
        let nurse = self.hire(&row.id, PractitionerRoleKind::Nurse, None)?;
        let short = row
            .id
            .as_str()
            .strip_prefix("zx-")
            .unwrap_or(row.id.as_str());
        self.teams.push(FamilyDoctorTeam {
            id: TeamId::new(format!("team-{short}-{k}"))?,
            region: self.region.clone(),
            name: format!("{} family-doctor team {k}", row.name),
            institution: row.id.clone(),
            lead: lead.clone(),
            members: vec![lead, second, nurse],
            active: true,
        });
        Ok(())
    }

    fn hire(
        &mut self,
        at: &InstitutionId,
        role: PractitionerRoleKind,
        specialty: Option<Specialty>,
    ) -> Result<PractitionerId, DataError> {
        let n = self.practitioners.len() + 1;
        let id = PractitionerId::new(format!("pr-{n:04}"))?;
        let nurse = role == PractitionerRoleKind::Nurse;
        let female = self.rng.chance(if nurse { 0.9 } else { 0.5 });
        let gender = if female { Gender::Female } else { Gender::Male };
        // Physician certificates have 15 digits, nurse certificates 12.
        let licence = if nurse {
            format!("2018{n:08}")
        } else {
            format!("110{ID_AREA_CODE}{n:06}")
        };
        self.practitioners.push(Practitioner {
            id: id.clone(),
            region: self.region.clone(),
            name: person_name(&mut self.rng, self.names, gender),
            licence: Some(licence),
            gender,
            active: true,
        });
        self.roles.push(PractitionerRole {
            id: RoleId::new(format!("role-{n:04}"))?,
            practitioner: id.clone(),
            institution: at.clone(),
            role,
            specialty,
            active: true,
        });
        Ok(id)
    }
}

/// A district residents live in, served by one primary institution's teams.
struct Area<'a> {
    row: &'a InstitutionRow,
    teams: Vec<&'a FamilyDoctorTeam>,
}

/// The township and urban districts, in data order: the first township is
/// where the demo doctor and demo resident are.
fn areas<'a>(data: &'a Data, teams: &'a [FamilyDoctorTeam]) -> Result<Vec<Area<'a>>, DataError> {
    let mut areas: Vec<Area> = data
        .institution
        .iter()
        .filter(|row| row.level == Level::Primary && row.population > 0)
        .map(|row| Area {
            row,
            teams: teams.iter().filter(|t| t.institution == row.id).collect(),
        })
        .collect();
    if let Some(empty) = areas.iter().find(|a| a.teams.is_empty()) {
        return Err(DataError::Invalid(format!(
            "{} serves residents but has no teams",
            empty.row.id
        )));
    }
    // The demo township goes first; the rest keep their order.
    let first_township = areas
        .iter()
        .position(|a| a.row.kind == InstitutionKind::TownshipCentre);
    match first_township {
        Some(i) => areas[..=i].rotate_right(1),
        None => {
            return Err(DataError::Invalid(
                "no township centre serves residents".into(),
            ));
        }
    }
    Ok(areas)
}

/// Resident number `n` (0-based), drawn from its own stream so it does not
/// depend on how many residents there are. Resident 0 is the demo resident.
fn resident(n: usize, seed: u64, data: &Data, areas: &[Area]) -> Result<Resident, DataError> {
    let mut rng = Rng::stream(seed, 1_000_000 + n as u64);
    let demo = n == 0;
    let gender = if rng.chance(0.51) {
        Gender::Male
    } else {
        Gender::Female
    };
    let name = person_name(&mut rng, &data.names, gender);
    let band = if demo { 1.0 } else { rng.unit() };
    let age_years = if band < CHILD_SHARE {
        rng.below(15)
    } else if band < 1.0 - ELDER_SHARE {
        15 + rng.below(50)
    } else {
        65 + (30.0 * rng.unit().powf(1.6)) as u64
    };
    let days_old = age_years * 365 + age_years / 4 + 1 + rng.below(365);
    let birth_date = Date::from_julian_day(REFERENCE_DATE.to_julian_day() - days_old as i32)?;
    let total: u64 = areas.iter().map(|a| a.row.population).sum();
    let mut pick = rng.below(total);
    let drawn = areas.iter().find(|a| {
        let here = pick < a.row.population;
        pick = pick.saturating_sub(a.row.population);
        here
    });
    let area = match drawn {
        Some(a) if !demo => a,
        _ => &areas[0],
    };
    let phone = format!("100{:08}", rng.below(100_000_000));
    let identifier = identity_number(birth_date, gender, rng.below(500));

    let mut resident = Resident {
        id: ResidentId::new(format!("res-{:06}", n + 1))?,
        region: data.region.id.clone(),
        identifier: Some(identifier),
        name,
        gender,
        birth_date,
        district: Some(area.row.district.clone()),
        phone: Some(phone),
        key_groups: Vec::new(),
        contract: None,
    };
    let age = resident.age_on(REFERENCE_DATE);
    let chronic_share = match age {
        65.. => CHRONIC_ELDER_SHARE,
        35.. => CHRONIC_ADULT_SHARE,
        _ => 0.0,
    };
    if age >= 65 {
        resident.key_groups.push(KeyGroup::Elderly);
    }
    if rng.chance(chronic_share) {
        resident.key_groups.push(KeyGroup::Chronic);
    }
    if rng.chance(LOW_INCOME_SHARE) {
        resident.key_groups.push(KeyGroup::LowIncome);
    }
    let voluntary = rng.chance(VOLUNTARY_CONTRACT_SHARE);
    if demo || voluntary || !resident.key_groups.is_empty() {
        let team = area.teams[if demo {
            0
        } else {
            rng.below(area.teams.len() as u64) as usize
        }];
        let signed_on =
            REFERENCE_DATE - time::Duration::days(rng.below(SIGNING_WINDOW_DAYS) as i64);
        let ends_on = if rng.chance(OPEN_ENDED_SHARE) {
            None
        } else {
            Some(a_year_on(signed_on)?)
        };
        resident.contract = Some(Contract {
            team: team.id.clone(),
            institution: Some(team.institution.clone()),
            family_doctor: Some(team.lead.clone()),
            signed_on,
            ends_on,
        });
    }
    Ok(resident)
}

/// The last day of a one-year contract signed on `day`.
fn a_year_on(day: Date) -> Result<Date, DataError> {
    // 29 February has no twin next year; such a contract runs to 28 February.
    let twin = Date::from_calendar_date(day.year() + 1, day.month(), day.day())
        .or_else(|_| Date::from_calendar_date(day.year() + 1, time::Month::March, 1))?;
    Ok(twin.previous_day().unwrap_or(twin))
}

/// An 18-character resident identity number (area, birth date, sequence odd
/// for men and even for women, ISO 7064 MOD 11-2 check character), in the
/// fictitious area 429999.
fn identity_number(birth: Date, gender: Gender, sequence: u64) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sequence = sequence * 2 + u64::from(gender == Gender::Male);
    let body = format!(
        "{ID_AREA_CODE}{:04}{:02}{:02}{sequence:03}",
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    );
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    format!("{body}{}", char::from(CHECK[(sum % 11) as usize]))
}

/// A plausible Chinese name in pinyin: common family names come up more
/// often; the given name has one syllable or two.
fn person_name(rng: &mut Rng, names: &Names, gender: Gender) -> PersonName {
    let skewed = rng.unit().powf(1.5);
    let family =
        &names.family[((skewed * names.family.len() as f64) as usize).min(names.family.len() - 1)];
    let pool = if gender == Gender::Female {
        &names.female
    } else {
        &names.male
    };
    let first = &pool[rng.below(pool.len() as u64) as usize];
    let given = if rng.chance(0.3) {
        first.clone()
    } else {
        format!(
            "{first}{}",
            pool[rng.below(pool.len() as u64) as usize].to_lowercase()
        )
    };
    PersonName {
        family: family.clone(),
        given,
    }
}

/// The demo logins, each tied to the records its role needs.
fn users(
    data: &Data,
    institutions: &[Institution],
    staff: &Staff,
    areas: &[Area],
    demo_resident: Option<&Resident>,
) -> Result<Vec<DemoUser>, DataError> {
    let name_of = |id: &PractitionerId| {
        staff
            .practitioners
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.full())
            .unwrap_or_default()
    };
    let institution_name = |id: &InstitutionId| {
        institutions
            .iter()
            .find(|i| &i.id == id)
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let missing = |what: &str| DataError::Invalid(format!("no {what} for the demo users"));
    let hospital = data
        .alliance
        .iter()
        .find(|a| a.kind == AllianceKind::CountyMedicalCommunity)
        .map(|a| a.lead.clone())
        .ok_or_else(|| missing("county medical community"))?;
    let coordinator = staff
        .coordinators
        .iter()
        .find(|(at, _)| *at == hospital)
        .map(|(_, p)| p.clone())
        .ok_or_else(|| missing("coordinator"))?;
    let team = areas
        .first()
        .and_then(|a| a.teams.first())
        .ok_or_else(|| missing("team"))?;

    let login = |(username, password, role): (&str, &str, UserRole), note: String| DemoUser {
        username: username.into(),
        password: password.into(),
        role,
        institution: None,
        practitioner: None,
        resident: None,
        note,
    };
    let [admin, coordinator_login, doctor, analyst, resident] = LOGINS;
    let resident_note = match demo_resident {
        Some(r) => format!(
            "resident {} ({}), contracted to {}",
            r.name.full(),
            r.id,
            team.id
        ),
        None => "resident login without a record: the county has no residents".into(),
    };
    Ok(vec![
        login(
            admin,
            "administrator: manages the registry and users".into(),
        ),
        DemoUser {
            institution: Some(hospital.clone()),
            practitioner: Some(coordinator.clone()),
            ..login(
                coordinator_login,
                format!(
                    "referral coordinator {} at {}, lead of the county medical community",
                    name_of(&coordinator),
                    institution_name(&hospital)
                ),
            )
        },
        DemoUser {
            institution: Some(team.institution.clone()),
            practitioner: Some(team.lead.clone()),
            ..login(
                doctor,
                format!(
                    "family doctor {}, lead of {} ({})",
                    name_of(&team.lead),
                    team.name,
                    team.id
                ),
            )
        },
        login(
            analyst,
            "health commission analyst: aggregate indicators only".into(),
        ),
        DemoUser {
            resident: demo_resident.map(|r| r.id.clone()),
            ..login(resident, resident_note)
        },
    ])
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::sync::OnceLock;

    fn county() -> &'static DemoCounty {
        static COUNTY: OnceLock<DemoCounty> = OnceLock::new();
        COUNTY.get_or_init(|| DemoCounty::generate(DemoCounty::DEFAULT_RESIDENTS, 2026))
    }

    fn institutions(c: &DemoCounty) -> HashMap<&InstitutionId, &Institution> {
        c.records
            .iter()
            .filter_map(|r| match r {
                Record::Institution(i) => Some((&i.id, i)),
                _ => None,
            })
            .collect()
    }

    fn residents(c: &DemoCounty) -> Vec<&Resident> {
        c.records
            .iter()
            .filter_map(|r| match r {
                Record::Resident(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    fn teams(c: &DemoCounty) -> Vec<&FamilyDoctorTeam> {
        c.records
            .iter()
            .filter_map(|r| match r {
                Record::Team(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn same_seed_gives_the_same_county() {
        let a = DemoCounty::generate(400, 7);
        assert_eq!(a, DemoCounty::generate(400, 7));
        assert_ne!(residents(&a), residents(&DemoCounty::generate(400, 8)));
        // More residents only add residents: the first 100 stay the same.
        let small = DemoCounty::generate(100, 7);
        assert_eq!(residents(&small)[..], residents(&a)[..100]);
        assert_eq!(small.users, a.users);
    }

    #[test]
    fn every_record_validates() {
        let c = county();
        let by_id = institutions(c);
        for record in &c.records {
            let checked = match record {
                Record::Institution(i) => i.validate(),
                Record::Alliance(a) => a.validate(),
                Record::Practitioner(p) => p.validate(),
                Record::Role(r) => r.validate_at(by_id[&r.institution]),
                Record::Team(t) => t.validate_at(by_id[&t.institution]),
                Record::Resident(r) => r.validate(),
                Record::Membership(_) | Record::Site(_) => Ok(()),
            };
            assert!(
                checked.is_ok(),
                "{} {}: {checked:?}",
                record.kind(),
                record.id()
            );
            assert!(
                record.region().is_none_or(|r| *r == c.region.id),
                "{}",
                record.id()
            );
        }
    }

    #[test]
    fn references_point_to_earlier_records() {
        let c = county();
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        let mut kinds: HashMap<String, InstitutionKind> = HashMap::new();
        for record in &c.records {
            let refs: Vec<(&str, String)> = match record {
                Record::Institution(i) => {
                    if let Some(parent) = &i.part_of {
                        let expected = match i.kind {
                            InstitutionKind::VillageClinic => InstitutionKind::TownshipCentre,
                            InstitutionKind::CommunityStation => {
                                InstitutionKind::CommunityHealthCentre
                            }
                            other => panic!("{} is a {other} with a parent", i.id),
                        };
                        assert_eq!(kinds.get(parent.as_str()), Some(&expected), "{}", i.id);
                    }
                    kinds.insert(i.id.to_string(), i.kind);
                    i.part_of
                        .iter()
                        .map(|p| ("institution", p.to_string()))
                        .collect()
                }
                Record::Alliance(a) => vec![("institution", a.lead.to_string())],
                Record::Membership(m) => vec![
                    ("alliance", m.alliance.to_string()),
                    ("institution", m.institution.to_string()),
                ],
                Record::Site(s) => vec![("institution", s.institution.to_string())],
                Record::Practitioner(_) => vec![],
                Record::Role(r) => vec![
                    ("practitioner", r.practitioner.to_string()),
                    ("institution", r.institution.to_string()),
                ],
                Record::Team(t) => std::iter::once(("institution", t.institution.to_string()))
                    .chain(t.members.iter().map(|m| ("practitioner", m.to_string())))
                    .collect(),
                Record::Resident(r) => r
                    .contract
                    .iter()
                    .map(|c| ("team", c.team.to_string()))
                    .collect(),
            };
            for reference in refs {
                assert!(
                    seen.contains(&reference),
                    "{} refers to {reference:?}",
                    record.id()
                );
            }
            seen.insert((record.kind(), record.id().to_string()));
        }
        for user in &c.users {
            let refs = [
                user.institution
                    .as_ref()
                    .map(|i| ("institution", i.to_string())),
                user.practitioner
                    .as_ref()
                    .map(|p| ("practitioner", p.to_string())),
                user.resident.as_ref().map(|r| ("resident", r.to_string())),
            ];
            for reference in refs.into_iter().flatten() {
                assert!(
                    seen.contains(&reference),
                    "{} refers to {reference:?}",
                    user.username
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_per_resource_type() {
        let mut seen = HashSet::new();
        for record in &county().records {
            assert!(
                seen.insert((record.resource_type(), record.id())),
                "duplicate {}",
                record.id()
            );
        }
    }

    #[test]
    fn capacity_matches_zx_city_and_is_an_inverted_pyramid() {
        let c = county();
        let all = institutions(c);
        assert_eq!(all.len(), 5 + 6 + 24 + 3 + 8);
        let county_own: Vec<_> = all
            .values()
            .filter(|i| i.level != Level::Tertiary)
            .collect();
        let sum = |f: fn(&Capacity) -> u32, primary: Option<bool>| -> f64 {
            county_own
                .iter()
                .filter(|i| primary.is_none_or(|p| p == (i.level == Level::Primary)))
                .map(|i| f64::from(f(&i.capacity)))
                .sum()
        };
        let per_1000 = |x: f64| x * 1000.0 / c.region.population as f64;
        let beds = per_1000(sum(|c| c.beds, None));
        let physicians = per_1000(sum(|c| c.physicians, None));
        assert!((beds / 5.1 - 1.0).abs() < 0.05, "beds per 1,000: {beds}");
        assert!(
            (physicians / 2.1 - 1.0).abs() < 0.05,
            "physicians per 1,000: {physicians}"
        );
        assert!(sum(|c| c.beds, Some(false)) > 2.0 * sum(|c| c.beds, Some(true)));
        assert!(sum(|c| c.physicians, Some(false)) > sum(|c| c.physicians, Some(true)));

        for i in all.values() {
            let cap = &i.capacity;
            assert!(
                i.departments.iter().map(|d| d.beds).sum::<u32>() <= cap.beds,
                "{}",
                i.id
            );
            let slots: u32 = i.departments.iter().map(|d| d.daily_slots).sum();
            assert!(slots <= cap.daily_outpatient_slots, "{}", i.id);
            let per_physician = f64::from(cap.daily_outpatient_slots) / f64::from(cap.physicians);
            let range = if i.level == Level::Primary {
                25.0..=40.0
            } else {
                15.0..=25.0
            };
            assert!(
                range.contains(&per_physician),
                "{}: {per_physician} slots/physician",
                i.id
            );
        }
        // Named doctors never outnumber the physicians an institution has.
        let mut doctors: HashMap<&InstitutionId, u32> = HashMap::new();
        for r in &c.records {
            if let Record::Role(r) = r
                && matches!(
                    r.role,
                    PractitionerRoleKind::FamilyDoctor | PractitionerRoleKind::Specialist
                )
            {
                *doctors.entry(&r.institution).or_default() += 1;
            }
        }
        for (id, n) in doctors {
            assert!(n <= all[id].capacity.physicians, "{id}");
        }
    }

    #[test]
    fn places_are_distinct_and_around_zx_city() {
        let c = county();
        let mut seen = HashSet::new();
        for i in institutions(c).values() {
            let p = i.place.as_ref().expect("every institution has a place");
            assert!((30.8..31.4).contains(&p.latitude) && (113.6..114.2).contains(&p.longitude));
            assert!(
                seen.insert((p.latitude.to_bits(), p.longitude.to_bits())),
                "{}",
                i.id
            );
        }
    }

    #[test]
    fn teams_and_staff_are_where_they_belong() {
        let c = county();
        let all = institutions(c);
        for t in teams(c) {
            assert_eq!(t.members.len(), 3);
            assert!(matches!(
                all[&t.institution].kind,
                InstitutionKind::TownshipCentre | InstitutionKind::CommunityHealthCentre
            ));
        }
        for i in all.values() {
            let n = teams(c).iter().filter(|t| t.institution == i.id).count();
            let has_teams = matches!(
                i.kind,
                InstitutionKind::TownshipCentre | InstitutionKind::CommunityHealthCentre
            );
            assert!(
                if has_teams {
                    (2..=4).contains(&n)
                } else {
                    n == 0
                },
                "{}",
                i.id
            );
        }
        let roles: Vec<_> = c
            .records
            .iter()
            .filter_map(|r| {
                if let Record::Role(r) = r {
                    Some(r)
                } else {
                    None
                }
            })
            .collect();
        for i in all.values().filter(|i| i.part_of.is_none()) {
            let coordinators = roles
                .iter()
                .filter(|r| {
                    r.institution == i.id && r.role == PractitionerRoleKind::ReferralCoordinator
                })
                .count();
            assert_eq!(coordinators, 1, "{}", i.id);
            if i.level != Level::Primary {
                for d in &i.departments {
                    let n = roles
                        .iter()
                        .filter(|r| r.institution == i.id && r.specialty == Some(d.specialty))
                        .count();
                    assert!((2..=4).contains(&n), "{} {}", i.id, d.specialty);
                }
            }
        }
    }

    #[test]
    fn residents_look_like_a_county_and_key_groups_are_all_contracted() {
        let c = county();
        let people = residents(c);
        assert_eq!(people.len(), DemoCounty::DEFAULT_RESIDENTS);
        let team_place: HashMap<&TeamId, String> = teams(c)
            .into_iter()
            .map(|t| {
                (
                    &t.id,
                    institutions(c)[&t.institution]
                        .place
                        .as_ref()
                        .map(|p| p.district.clone())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let all_teams: HashMap<&TeamId, &FamilyDoctorTeam> =
            teams(c).into_iter().map(|t| (&t.id, t)).collect();
        let share = |f: &dyn Fn(&Resident) -> bool| {
            people.iter().filter(|r| f(r)).count() as f64 / people.len() as f64
        };
        let age = |r: &Resident| r.age_on(REFERENCE_DATE);
        assert!((0.12..0.18).contains(&share(&|r| age(r) < 15)));
        assert!((0.12..0.18).contains(&share(&|r| age(r) >= 65)));
        assert!((0.03..0.07).contains(&share(&|r| r.key_groups.contains(&KeyGroup::LowIncome))));
        let districts: HashSet<_> = people.iter().filter_map(|r| r.district.as_ref()).collect();
        assert_eq!(districts.len(), 9);
        let mut unforced = (0, 0);
        for r in &people {
            assert_eq!(
                age(r) >= 65,
                r.key_groups.contains(&KeyGroup::Elderly),
                "{}",
                r.id
            );
            assert!(age(r) >= 0 && age(r) <= 96);
            let id = r.identifier.as_deref().unwrap_or_default();
            assert_eq!(id.len(), 18);
            assert!(id.starts_with(ID_AREA_CODE));
            if let Some(contract) = &r.contract {
                assert!(contract.in_force_on(REFERENCE_DATE), "{}", r.id);
                assert_eq!(
                    team_place.get(&contract.team),
                    r.district.as_ref(),
                    "{}",
                    r.id
                );
                let team = all_teams[&contract.team];
                assert_eq!(contract.institution.as_ref(), Some(&team.institution));
                assert_eq!(contract.family_doctor.as_ref(), Some(&team.lead));
            }
            if r.key_groups.is_empty() {
                unforced.0 += 1;
                unforced.1 += usize::from(r.contract.is_some());
            } else {
                assert!(
                    r.contract.is_some(),
                    "{} is in a key group but has no contract",
                    r.id
                );
            }
        }
        let voluntary = unforced.1 as f64 / unforced.0 as f64;
        assert!((0.30..0.40).contains(&voluntary), "{voluntary}");
        let elders: Vec<_> = people.iter().filter(|r| age(r) >= 65).collect();
        let chronic = elders
            .iter()
            .filter(|r| r.key_groups.contains(&KeyGroup::Chronic))
            .count();
        assert!((0.35..0.55).contains(&(chronic as f64 / elders.len() as f64)));
    }

    #[test]
    fn demo_users_fit_together() {
        let c = county();
        let by_name: HashMap<&str, &DemoUser> =
            c.users.iter().map(|u| (u.username.as_str(), u)).collect();
        assert_eq!(by_name.len(), 5);
        assert!(
            c.users
                .iter()
                .all(|u| u.password.ends_with("-demo-2026") && !u.note.is_empty())
        );

        let doctor = by_name["doctor"];
        let team = teams(c)
            .into_iter()
            .find(|t| t.id.as_str() == "team-tc1-1")
            .expect("first team");
        assert_eq!(doctor.practitioner.as_ref(), Some(&team.lead));
        assert_eq!(doctor.institution.as_ref(), Some(&team.institution));
        assert_eq!(
            institutions(c)[&team.institution].kind,
            InstitutionKind::TownshipCentre
        );

        let resident_id = by_name["resident"]
            .resident
            .as_ref()
            .expect("demo resident");
        let resident = residents(c)
            .into_iter()
            .find(|r| &r.id == resident_id)
            .expect("exists");
        assert_eq!(resident.contracted_team_on(REFERENCE_DATE), Some(&team.id));
        assert!(resident.age_on(REFERENCE_DATE) >= 65);

        let coordinator = by_name["coordinator"];
        assert_eq!(
            coordinator.institution.as_ref().map(|i| i.as_str()),
            Some("zx-h1")
        );
        assert!(c.records.iter().any(|r| matches!(r, Record::Role(r)
            if Some(&r.practitioner) == coordinator.practitioner.as_ref()
                && r.role == PractitionerRoleKind::ReferralCoordinator
                && Some(&r.institution) == coordinator.institution.as_ref())));

        let empty = DemoCounty::generate(0, 1);
        assert!(residents(&empty).is_empty());
        assert_eq!(empty.users.len(), 5);
    }

    #[test]
    fn one_county_medical_community_and_one_urban_medical_group() {
        let c = county();
        let all = institutions(c);
        for kind in [
            AllianceKind::CountyMedicalCommunity,
            AllianceKind::UrbanMedicalGroup,
        ] {
            let found: Vec<_> = c
                .records
                .iter()
                .filter_map(|r| match r {
                    Record::Alliance(a) if a.kind == kind => Some(a),
                    _ => None,
                })
                .collect();
            assert_eq!(found.len(), 1, "{kind}");
            let alliance = found[0];
            let members: Vec<_> = c
                .records
                .iter()
                .filter_map(|r| match r {
                    Record::Membership(m) if m.alliance == alliance.id => Some(m),
                    _ => None,
                })
                .collect();
            let leads: Vec<_> = members.iter().filter(|m| m.is_lead).collect();
            assert_eq!(leads.len(), 1);
            assert_eq!(leads[0].institution, alliance.lead);
            let expected_kinds = match kind {
                AllianceKind::CountyMedicalCommunity => {
                    assert_eq!(alliance.closeness, Closeness::Tight);
                    [
                        InstitutionKind::TownshipCentre,
                        InstitutionKind::VillageClinic,
                    ]
                }
                _ => [
                    InstitutionKind::CommunityHealthCentre,
                    InstitutionKind::CommunityStation,
                ],
            };
            for kind in expected_kinds {
                let expected = all.values().filter(|i| i.kind == kind).count();
                let got = members
                    .iter()
                    .filter(|m| all[&m.institution].kind == kind)
                    .count();
                assert_eq!(got, expected, "{kind} in {}", alliance.id);
            }
        }
    }
}
