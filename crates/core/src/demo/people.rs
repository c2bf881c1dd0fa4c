//! The people of the county: practitioners, family-doctor teams, residents
//! and the demo logins.

use super::*;
use crate::network::{DayOfWeek, RolePeriod};

/// The named practitioners: a referral coordinator at every hospital and
/// every township centre or CHC, 2-4 specialists per hospital department,
/// and the family-doctor teams (two family doctors and a nurse each).
pub(super) struct Staff<'a> {
    names: &'a Names,
    region: RegionId,
    rng: Rng,
    pub(super) practitioners: Vec<Practitioner>,
    pub(super) roles: Vec<PractitionerRole>,
    pub(super) teams: Vec<FamilyDoctorTeam>,
    coordinators: Vec<(InstitutionId, PractitionerId)>,
}

impl<'a> Staff<'a> {
    pub(super) fn new(names: &'a Names, region: RegionId, rng: Rng) -> Self {
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

    pub(super) fn hire_all(&mut self, data: &Data) -> Result<(), DataError> {
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
            name: format!("{}家庭医生团队{k}", row.name),
            institution: row.id.clone(),
            lead: lead.clone(),
            members: vec![lead, second, nurse],
            active: true,
        });
        Ok(())
    }

    /// Multi-site practice: in each alliance, the last specialist hired at
    /// the lead hospital (never the demo's cardiologist, the first) also
    /// works at the alliance's first primary member on Wednesdays, since
    /// the reference date.
    pub(super) fn multi_site(&mut self, data: &Data) -> Result<(), DataError> {
        for alliance in &data.alliance {
            let primary = alliance.members.iter().find(|m| {
                data.institution
                    .iter()
                    .any(|row| &row.id == *m && row.level == Level::Primary)
            });
            let specialist = self
                .roles
                .iter()
                .rev()
                .find(|r| {
                    r.institution == alliance.lead && r.role == PractitionerRoleKind::Specialist
                })
                .cloned();
            let (Some(primary), Some(home)) = (primary, specialist) else {
                continue;
            };
            self.roles.push(PractitionerRole {
                id: RoleId::new(format!("role-ms-{}", alliance.id))?,
                institution: primary.clone(),
                days: vec![DayOfWeek::Wed],
                period: Some(RolePeriod {
                    start: Some(REFERENCE_DATE),
                    end: None,
                }),
                ..home
            });
        }
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
            days: vec![],
            period: None,
        });
        Ok(id)
    }
}

/// A district residents live in, served by one primary institution's teams.
pub(super) struct Area<'a> {
    row: &'a InstitutionRow,
    teams: Vec<&'a FamilyDoctorTeam>,
}

/// The township and urban districts, in data order: the first township is
/// where the demo doctor and demo resident are.
pub(super) fn areas<'a>(
    data: &'a Data,
    teams: &'a [FamilyDoctorTeam],
) -> Result<Vec<Area<'a>>, DataError> {
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
pub(super) fn resident(
    n: usize,
    seed: u64,
    data: &Data,
    areas: &[Area],
) -> Result<Resident, DataError> {
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

/// A plausible Chinese name in hanzi with its pinyin: common family names
/// come up more often; the given name has one character or two.
fn person_name(rng: &mut Rng, names: &Names, gender: Gender) -> PersonName {
    let skewed = rng.unit().powf(1.5);
    let [family, family_py] =
        &names.family[((skewed * names.family.len() as f64) as usize).min(names.family.len() - 1)];
    let pool = if gender == Gender::Female {
        &names.female
    } else {
        &names.male
    };
    let [first, first_py] = &pool[rng.below(pool.len() as u64) as usize];
    let (given, given_py) = if rng.chance(0.3) {
        (first.clone(), first_py.clone())
    } else {
        let [second, second_py] = &pool[rng.below(pool.len() as u64) as usize];
        (
            format!("{first}{second}"),
            format!("{first_py}{}", second_py.to_lowercase()),
        )
    };
    PersonName {
        family: family.clone(),
        given,
        pinyin: Some(Romanised {
            family: family_py.clone(),
            given: given_py,
        }),
    }
}

/// The demo logins, each tied to the records its role needs.
pub(super) fn users(
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
    let [
        admin,
        coordinator_login,
        doctor,
        analyst,
        resident,
        specialist_login,
        insurer,
        frontdesk,
    ] = LOGINS;
    // A cardiologist at the same hospital answers e-consults and sends
    // patients back down.
    let specialist = staff
        .roles
        .iter()
        .find(|r| {
            r.institution == hospital
                && r.role == PractitionerRoleKind::Specialist
                && r.specialty == Some(Specialty::Cardiology)
        })
        .map(|r| r.practitioner.clone())
        .ok_or_else(|| missing("cardiologist"))?;
    let mut users = vec![
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
            institution: Some(hospital.clone()),
            practitioner: Some(specialist.clone()),
            ..login(
                specialist_login,
                format!(
                    "cardiologist {} at {}: answers e-consults, refers patients back down",
                    name_of(&specialist),
                    institution_name(&hospital)
                ),
            )
        },
        login(
            insurer,
            "insurance fund officer: claims, alliance budgets, insurance indicators".into(),
        ),
        // The front desk of the demo doctor's centre: sees the
        // appointments of the centre's contracted patients.
        DemoUser {
            institution: Some(team.institution.clone()),
            ..login(
                frontdesk,
                format!(
                    "front desk (coordinator) at {}, the demo doctor's centre",
                    institution_name(&team.institution)
                ),
            )
        },
    ];
    // A resident login needs a resident record; a county generated without
    // residents (benchmarks) has no resident login.
    if let Some(r) = demo_resident {
        let note = format!(
            "resident {} ({}), contracted to {}",
            r.name.full(),
            r.id,
            team.id
        );
        users.push(DemoUser {
            resident: Some(r.id.clone()),
            ..login(resident, note)
        });
    }
    Ok(users)
}
