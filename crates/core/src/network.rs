//! The care network of a region: institutions, alliances, practitioners and
//! family-doctor teams.
//!
//! Constructors check the rules that do not need to look anything up (a
//! village clinic is always primary care, a hospital never is; an alliance
//! member list has no duplicates). Rules that need other records (the team's
//! institution is primary care, the lead of an alliance exists) are checked
//! by the service that stores the record, which can see them.

use crate::level::coded_enum;
use crate::{
    AllianceId, InstitutionId, Level, LocationId, MembershipId, PractitionerId, RegionId, RoleId,
    Specialty, TeamId,
};
use serde::{Deserialize, Serialize};

/// A rule of the network model was broken; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct NetworkError {
    /// The field at fault, as named in the record.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl NetworkError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// The region one deployment serves. Every record belongs to one region, so
/// the schema can later be distributed by region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub id: RegionId,
    pub name: String,
    /// Other names the region goes by (its English or pinyin name), so a
    /// reader who does not read Chinese still recognises it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    /// Administrative division code, e.g. "420000" for Hubei.
    pub division_code: Option<String>,
    pub population: u64,
}

coded_enum!(
    /// What sort of institution this is. The kind fixes which levels it may
    /// have: grassroots kinds are always primary care.
    InstitutionKind {
        CommunityHealthCentre = "chc" / "Community health centre",
        CommunityStation = "community-station" / "Community health station",
        TownshipCentre = "township-centre" / "Township health centre",
        VillageClinic = "village-clinic" / "Village clinic",
        CountyHospital = "county-hospital" / "County or district hospital",
        SpecialisedHospital = "specialised-hospital" / "Specialised hospital",
        MunicipalHospital = "municipal-hospital" / "Municipal or tertiary hospital",
    }
);

impl InstitutionKind {
    /// Whether an institution of this kind may be registered at `level`.
    pub fn allows(self, level: Level) -> bool {
        match self {
            InstitutionKind::CommunityHealthCentre
            | InstitutionKind::CommunityStation
            | InstitutionKind::TownshipCentre
            | InstitutionKind::VillageClinic => level == Level::Primary,
            InstitutionKind::CountyHospital
            | InstitutionKind::SpecialisedHospital
            | InstitutionKind::MunicipalHospital => level != Level::Primary,
        }
    }
}

/// Where an institution is: enough to measure travel and to show it on a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Street address as written locally.
    pub address: String,
    /// District, county or township the place belongs to.
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl Place {
    /// Checks the coordinates are on the globe.
    pub fn check(&self) -> Result<(), NetworkError> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(NetworkError::new(
                "location.latitude",
                "must be within -90..90",
            ));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(NetworkError::new(
                "location.longitude",
                "must be within -180..180",
            ));
        }
        Ok(())
    }
}

/// How much an institution can do in a day. Beds are staffed beds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capacity {
    pub physicians: u32,
    pub daily_outpatient_slots: u32,
    pub beds: u32,
}

/// A clinical department of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub specialty: Specialty,
    /// Outpatient slots per day in this department.
    pub daily_slots: u32,
    pub beds: u32,
}

/// A health institution at one level of care.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    pub id: InstitutionId,
    pub region: RegionId,
    /// The official name, in Chinese: "河口镇卫生院".
    pub name: String,
    /// Other names it is known by: English, pinyin, a former name. Search
    /// by name finds them too; records stored before aliases existed have
    /// none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    /// Official identifier (unified social credit code or licence number).
    pub identifier: Option<String>,
    pub kind: InstitutionKind,
    pub level: Level,
    /// The institution this one belongs to (a community station under its
    /// community health centre, a village clinic under its township centre).
    pub part_of: Option<InstitutionId>,
    pub place: Option<Place>,
    pub departments: Vec<Department>,
    pub capacity: Capacity,
    pub active: bool,
}

impl Institution {
    /// Checks the rules of a single institution record.
    pub fn validate(&self) -> Result<(), NetworkError> {
        if self.name.trim().is_empty() {
            return Err(NetworkError::new("name", "must not be empty"));
        }
        if !self.kind.allows(self.level) {
            return Err(NetworkError::new(
                "level",
                format!(
                    "a {} cannot be at {} level",
                    self.kind.display(),
                    self.level
                ),
            ));
        }
        if self.part_of.as_ref() == Some(&self.id) {
            return Err(NetworkError::new(
                "partOf",
                "an institution cannot be part of itself",
            ));
        }
        let mut seen = Vec::new();
        for d in &self.departments {
            if seen.contains(&d.specialty) {
                return Err(NetworkError::new(
                    "department",
                    format!("department {} is listed twice", d.specialty),
                ));
            }
            seen.push(d.specialty);
        }
        if let Some(p) = &self.place {
            p.check()?;
        }
        Ok(())
    }

    /// Whether this institution has a department of the given specialty.
    pub fn has_department(&self, specialty: Specialty) -> bool {
        self.departments.iter().any(|d| d.specialty == specialty)
    }
}

coded_enum!(
    /// The kinds of medical alliance named by national policy.
    AllianceKind {
        UrbanMedicalGroup = "urban-medical-group" / "Urban medical group",
        CountyMedicalCommunity = "county-medical-community" / "County medical community",
        SpecialistLeague = "specialist-league" / "Specialist league",
        TelemedicineNetwork = "telemedicine-network" / "Telemedicine network",
    }
);

coded_enum!(
    /// How closely an alliance's members are bound.
    Closeness {
        /// One legal and financial entity, unified staff and budget.
        Tight = "tight" / "Tight (one entity)",
        /// Contracts between a lead hospital and its members.
        SemiCompact = "semi-compact" / "Semi-compact (contractual)",
        /// Cooperation on technique, training and equipment only.
        Loose = "loose" / "Loose (cooperation)",
    }
);

/// A medical alliance, led by one institution (usually its top hospital).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alliance {
    pub id: AllianceId,
    pub region: RegionId,
    pub name: String,
    /// Other names it is known by (English, pinyin), as for institutions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    pub kind: AllianceKind,
    pub closeness: Closeness,
    pub lead: InstitutionId,
}

impl Alliance {
    /// Checks the rules of a single alliance record.
    pub fn validate(&self) -> Result<(), NetworkError> {
        if self.name.trim().is_empty() {
            return Err(NetworkError::new("name", "must not be empty"));
        }
        Ok(())
    }
}

/// One institution's membership of an alliance. The lead institution is a
/// member too, with `is_lead` set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub id: MembershipId,
    pub alliance: AllianceId,
    pub institution: InstitutionId,
    pub is_lead: bool,
    /// ISO date the membership began.
    pub since: Option<time::Date>,
}

/// A physical place inside an institution that is not the institution itself
/// (a site, a ward); institutions' own addresses live on [`Institution`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: LocationId,
    pub institution: InstitutionId,
    pub name: String,
    /// Other names the site is known by (English, pinyin, a ward's old
    /// name), as for institutions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alias: Vec<String>,
    pub place: Option<Place>,
}

coded_enum!(
    /// Gender as recorded for people (FHIR administrative gender).
    Gender {
        Male = "male" / "Male",
        Female = "female" / "Female",
        Other = "other" / "Other",
        Unknown = "unknown" / "Unknown",
    }
);

/// A person's name: family name first, as it is written in China.
///
/// `family` and `given` are the name as the person writes it, in hanzi for
/// almost everyone in the region ("王", "芳"); `pinyin` is the same name in
/// Hanyu Pinyin without tones ("Wang", "Fang"), kept because pinyin cannot
/// always be derived from hanzi (a surname such as 曾 reads Zeng, not Ceng)
/// and because readers outside China and latin-only systems need it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonName {
    pub family: String,
    pub given: String,
    /// The name in pinyin, when it is known. Records stored before names
    /// carried pinyin have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinyin: Option<Romanised>,
}

/// A name written in latin letters (Hanyu Pinyin for a Chinese name):
/// family name and given name, the given name's syllables joined
/// ("Xiaoming"), as on a Chinese passport.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Romanised {
    pub family: String,
    pub given: String,
}

impl Romanised {
    /// The name as one string, family name first: "Wang Fang".
    pub fn full(&self) -> String {
        join_name(&self.family, &self.given)
    }
}

/// Whether `c` is a Chinese character (a CJK unified ideograph, or one of
/// the compatibility ideographs).
pub fn is_hanzi(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{3134F}')
}

/// Family and given name as one string: written together when both are in
/// hanzi ("王芳"), with a space otherwise ("Wang Fang").
fn join_name(family: &str, given: &str) -> String {
    if given.is_empty() {
        return family.to_string();
    }
    if family.is_empty() {
        return given.to_string();
    }
    let hanzi_meet = family.chars().next_back().is_some_and(is_hanzi)
        && given.chars().next().is_some_and(is_hanzi);
    if hanzi_meet {
        format!("{family}{given}")
    } else {
        format!("{family} {given}")
    }
}

impl PersonName {
    /// A name without pinyin: family and given as written.
    pub fn new(family: impl Into<String>, given: impl Into<String>) -> Self {
        PersonName {
            family: family.into(),
            given: given.into(),
            pinyin: None,
        }
    }

    /// The name as one string, family name first: "王芳" for a name in
    /// hanzi, "Wang Fang" for one in latin letters.
    pub fn full(&self) -> String {
        join_name(&self.family, &self.given)
    }

    /// The pinyin form as one string ("Wang Fang"), when it is known.
    pub fn pinyin_full(&self) -> Option<String> {
        self.pinyin.as_ref().map(Romanised::full)
    }

    pub(crate) fn check(&self, field: &'static str) -> Result<(), NetworkError> {
        if self.family.trim().is_empty() && self.given.trim().is_empty() {
            return Err(NetworkError::new(
                field,
                "a name needs a family or a given name",
            ));
        }
        Ok(())
    }
}

/// A person who practises medicine or nursing in the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practitioner {
    pub id: PractitionerId,
    pub region: RegionId,
    pub name: PersonName,
    /// Practising licence number.
    pub licence: Option<String>,
    pub gender: Gender,
    pub active: bool,
}

impl Practitioner {
    /// Checks the rules of a single practitioner record.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.name.check("name")
    }
}

coded_enum!(
    /// What a practitioner does at an institution.
    PractitionerRoleKind {
        FamilyDoctor = "family-doctor" / "Family doctor",
        Specialist = "specialist" / "Specialist",
        ReferralCoordinator = "referral-coordinator" / "Referral coordinator",
        Nurse = "nurse" / "Nurse",
    }
);

coded_enum!(
    /// A day of the week, by FHIR's `days-of-week` codes.
    DayOfWeek {
        Mon = "mon" / "Monday",
        Tue = "tue" / "Tuesday",
        Wed = "wed" / "Wednesday",
        Thu = "thu" / "Thursday",
        Fri = "fri" / "Friday",
        Sat = "sat" / "Saturday",
        Sun = "sun" / "Sunday",
    }
);

impl DayOfWeek {
    /// The day of the week of a date.
    pub fn of(date: time::Date) -> DayOfWeek {
        DayOfWeek::ALL[usize::from(date.weekday().number_days_from_monday())]
    }
}

/// A practitioner's role at one institution. A doctor licensed for
/// multi-site practice has one role per institution, each naming the days
/// of the week worked there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PractitionerRole {
    pub id: RoleId,
    pub practitioner: PractitionerId,
    pub institution: InstitutionId,
    pub role: PractitionerRoleKind,
    pub specialty: Option<Specialty>,
    pub active: bool,
    /// The days worked here; empty for every day (a doctor of one
    /// institution). See [`site_on`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<DayOfWeek>,
    /// When the role began and ends (FHIR `period`), if known: the days of
    /// a multi-site role count as specialist hours on site over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<RolePeriod>,
}

/// The dates a role holds between, both included; open at either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RolePeriod {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<time::Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<time::Date>,
}

/// Where a practitioner whose account belongs to `home` practises on
/// `date`: the institution of an active role scheduled for that day of the
/// week, other than `home` (the lowest id if several), else `home`: the
/// institution the day's work of a multi-site practitioner belongs to.
pub fn site_on<'a>(
    roles: &'a [PractitionerRole],
    home: &'a InstitutionId,
    date: time::Date,
) -> &'a InstitutionId {
    let day = DayOfWeek::of(date);
    roles
        .iter()
        .filter(|r| r.active && &r.institution != home && r.days.contains(&day))
        .map(|r| &r.institution)
        .min()
        .unwrap_or(home)
}

impl PractitionerRole {
    /// Whether `date` is a scheduled day of a multi-site role: the role is
    /// active, names that day of the week, and holds on that date (from
    /// `since` when its period names no start). A role without days is
    /// never scheduled: it is the practitioner's own institution.
    pub fn scheduled_on(&self, date: time::Date, since: time::Date) -> bool {
        let period = self.period.unwrap_or_default();
        self.active
            && self.days.contains(&DayOfWeek::of(date))
            && date >= period.start.unwrap_or(since)
            && period.end.is_none_or(|end| date <= end)
    }

    /// Checks the role against the level of the institution it is at: family
    /// doctors work at primary institutions; a specialist names a specialty.
    pub fn validate_at(&self, institution: &Institution) -> Result<(), NetworkError> {
        if self.role == PractitionerRoleKind::FamilyDoctor && institution.level != Level::Primary {
            return Err(NetworkError::new(
                "organization",
                "a family doctor's role must be at a primary institution",
            ));
        }
        if self.role == PractitionerRoleKind::Specialist && self.specialty.is_none() {
            return Err(NetworkError::new(
                "specialty",
                "a specialist must name a specialty",
            ));
        }
        Ok(())
    }
}

/// A family-doctor team at a primary institution: the unit residents sign a
/// contract with. Usually a family doctor, a nurse and a public-health
/// worker, with one family doctor as lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyDoctorTeam {
    pub id: TeamId,
    pub region: RegionId,
    pub name: String,
    pub institution: InstitutionId,
    pub lead: PractitionerId,
    /// Every member, the lead included.
    pub members: Vec<PractitionerId>,
    pub active: bool,
}

impl FamilyDoctorTeam {
    /// Checks the team on its own and against its institution.
    pub fn validate_at(&self, institution: &Institution) -> Result<(), NetworkError> {
        if self.name.trim().is_empty() {
            return Err(NetworkError::new("name", "must not be empty"));
        }
        if institution.level != Level::Primary {
            return Err(NetworkError::new(
                "managingOrganization",
                "a family-doctor team belongs to a primary institution",
            ));
        }
        if !self.members.contains(&self.lead) {
            return Err(NetworkError::new(
                "participant",
                "the team lead must be a member",
            ));
        }
        let mut sorted = self.members.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.members.len() {
            return Err(NetworkError::new("participant", "a member is listed twice"));
        }
        Ok(())
    }

    /// Whether the practitioner is on this team.
    pub fn has_member(&self, p: &PractitionerId) -> bool {
        self.members.contains(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clinic(kind: InstitutionKind, level: Level) -> Institution {
        Institution {
            id: InstitutionId::new("i1").unwrap(),
            region: RegionId::new("r").unwrap(),
            name: "Clinic".into(),
            alias: vec![],
            identifier: None,
            kind,
            level,
            part_of: None,
            place: None,
            departments: vec![],
            capacity: Capacity::default(),
            active: true,
        }
    }

    #[test]
    fn kind_fixes_the_possible_levels() {
        assert!(
            clinic(InstitutionKind::VillageClinic, Level::Primary)
                .validate()
                .is_ok()
        );
        let err = clinic(InstitutionKind::VillageClinic, Level::Tertiary)
            .validate()
            .unwrap_err();
        assert_eq!(err.field, "level");
        assert!(
            clinic(InstitutionKind::CountyHospital, Level::Primary)
                .validate()
                .is_err()
        );
        assert!(
            clinic(InstitutionKind::MunicipalHospital, Level::Tertiary)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn family_doctors_work_in_primary_care() {
        let role = PractitionerRole {
            id: RoleId::new("pr1").unwrap(),
            practitioner: PractitionerId::new("p1").unwrap(),
            institution: InstitutionId::new("i1").unwrap(),
            role: PractitionerRoleKind::FamilyDoctor,
            specialty: None,
            active: true,
            days: vec![],
            period: None,
        };
        assert!(
            role.validate_at(&clinic(InstitutionKind::TownshipCentre, Level::Primary))
                .is_ok()
        );
        let hospital = clinic(InstitutionKind::CountyHospital, Level::Secondary);
        assert_eq!(
            role.validate_at(&hospital).unwrap_err().field,
            "organization"
        );
    }

    #[test]
    fn team_lead_must_be_a_member() {
        let p = |s: &str| PractitionerId::new(s).unwrap();
        let mut team = FamilyDoctorTeam {
            id: TeamId::new("t1").unwrap(),
            region: RegionId::new("r").unwrap(),
            name: "Team 1".into(),
            institution: InstitutionId::new("i1").unwrap(),
            lead: p("a"),
            members: vec![p("b")],
            active: true,
        };
        let chc = clinic(InstitutionKind::CommunityHealthCentre, Level::Primary);
        assert!(team.validate_at(&chc).is_err());
        team.members.push(p("a"));
        assert!(team.validate_at(&chc).is_ok());
        team.members.push(p("a"));
        assert!(team.validate_at(&chc).is_err());
    }

    #[test]
    fn chinese_names_are_written_together_latin_ones_apart() {
        let mut name = PersonName::new("王", "芳");
        assert_eq!(name.full(), "王芳");
        assert_eq!(name.pinyin_full(), None);
        name.pinyin = Some(Romanised {
            family: "Wang".into(),
            given: "Fang".into(),
        });
        assert_eq!(name.pinyin_full().as_deref(), Some("Wang Fang"));
        assert_eq!(PersonName::new("Wang", "Fang").full(), "Wang Fang");
        assert_eq!(PersonName::new("欧阳", "").full(), "欧阳");
        assert!(is_hanzi('河') && !is_hanzi('h') && !is_hanzi('1'));
        // A name stored before pinyin existed still reads.
        let old: PersonName = serde_json::from_str(r#"{"family":"Li","given":"Na"}"#).unwrap();
        assert_eq!(old, PersonName::new("Li", "Na"));
    }

    #[test]
    fn a_multi_site_doctor_practises_where_the_day_is_scheduled() {
        use time::macros::date;
        let id = |s: &str| InstitutionId::new(s).unwrap();
        let role = |at: &str, days: Vec<DayOfWeek>, active: bool| PractitionerRole {
            id: RoleId::new(format!("role-{at}")).unwrap(),
            practitioner: PractitionerId::new("p1").unwrap(),
            institution: id(at),
            role: PractitionerRoleKind::Specialist,
            specialty: Some(Specialty::Cardiology),
            active,
            days,
            period: None,
        };
        // 2026-12-07 is a Monday.
        assert_eq!(DayOfWeek::of(date!(2026 - 12 - 07)), DayOfWeek::Mon);
        assert_eq!(DayOfWeek::of(date!(2026 - 12 - 10)), DayOfWeek::Thu);
        assert_eq!(DayOfWeek::of(date!(2026 - 12 - 13)), DayOfWeek::Sun);
        let home = id("city");
        let roles = vec![
            role("city", vec![], true),
            role("county", vec![DayOfWeek::Thu], true),
            role("township", vec![DayOfWeek::Sat], false),
        ];
        assert_eq!(site_on(&roles, &home, date!(2026 - 12 - 10)), &id("county"));
        assert_eq!(site_on(&roles, &home, date!(2026 - 12 - 07)), &home);
        // An inactive role credits nothing.
        assert_eq!(site_on(&roles, &home, date!(2026 - 12 - 12)), &home);
        // A doctor of one institution is always at home.
        assert_eq!(site_on(&roles[..1], &home, date!(2026 - 12 - 10)), &home);

        // The scheduled days hold over the role's period, or from `since`.
        let mut county = roles[1].clone();
        let since = date!(2026 - 12 - 01);
        assert!(county.scheduled_on(date!(2026 - 12 - 10), since));
        assert!(!county.scheduled_on(date!(2026 - 12 - 03), date!(2026 - 12 - 04)));
        assert!(
            !county.scheduled_on(date!(2026 - 12 - 11), since),
            "a Friday"
        );
        assert!(!roles[0].scheduled_on(date!(2026 - 12 - 10), since), "home");
        county.period = Some(RolePeriod {
            start: Some(date!(2026 - 11 - 01)),
            end: Some(date!(2026 - 12 - 05)),
        });
        assert!(
            county.scheduled_on(date!(2026 - 11 - 05), since),
            "from its start"
        );
        assert!(
            !county.scheduled_on(date!(2026 - 12 - 10), since),
            "after its end"
        );
    }
}
