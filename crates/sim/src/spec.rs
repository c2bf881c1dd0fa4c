//! A scenario as written in TOML: the synthetic region, its people, its
//! care-seeking behaviour and its policy.
//!
//! A scenario file may name a `base` file; its tables are laid over the
//! base's, key by key (arrays replace arrays), so a reform is a short file
//! that says only what it changes. The `[levers]` table holds the reforms
//! that are not a single value in the base (scaling capacity, upgrading
//! township centres).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tiercare_core::Level;
use tiercare_core::catalogue::{Severity, Urgency};
use tiercare_core::policy::Policy;

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("scenario field `{field}`: {message}")]
    Invalid { field: String, message: String },
}

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Short name, used in reports.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Residents of one partition (a county); capacities are given for
    /// this many and scale linearly when the run asks for another number.
    pub residents: u64,
    /// Identical partitions (counties) the region is made of: a province is
    /// the county description repeated. Each partition runs on its own.
    #[serde(default = "one")]
    pub partitions: u32,
    /// Days simulated.
    #[serde(default = "year")]
    pub days: u32,
    /// Average travel speed for travel times from coordinates, km/h.
    #[serde(default = "speed")]
    pub travel_speed_kmh: f64,
    pub age_group: Vec<AgeGroup>,
    pub settlement: Vec<Settlement>,
    pub institution: Vec<InstitutionSpec>,
    #[serde(default)]
    pub alliance: Vec<AllianceSpec>,
    pub case: Vec<CaseSpec>,
    pub choice: ChoiceSpec,
    pub referral: ReferralSpec,
    pub follow_up: FollowUpSpec,
    #[serde(default)]
    pub trust: TrustSpec,
    #[serde(default)]
    pub chronic: Option<ChronicSpec>,
    #[serde(default)]
    pub inpatient: Option<crate::inpatient::InpatientSpec>,
    /// Share of residents in each insurance scheme (codes of
    /// `policy.insurance`).
    pub schemes: BTreeMap<String, f64>,
    /// The region's rules, exactly as the platform reads them.
    pub policy: Policy,
    #[serde(default)]
    pub levers: Levers,
    /// Days run before the counted `days` and then discarded: queues,
    /// trust and chronic schedules settle first, so the counted period
    /// does not start from an empty region.
    #[serde(default)]
    pub warmup_days: u32,
    /// Named groups of catalogue conditions (hypertension and diabetes
    /// apart, or together as cardiometabolic), reported like a condition.
    #[serde(default)]
    pub condition_group: Vec<ConditionGroupSpec>,
    /// The county emergency network: incidence of the five time-critical
    /// emergencies, first contacts, designated centres (see
    /// [`crate::emergency`]). Absent: the documented defaults, with no
    /// centre designated.
    #[serde(default)]
    pub emergency: crate::emergency::EmergencySpec,
}

/// A named group of conditions, by the codes the case mix and the chronic
/// table use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionGroupSpec {
    pub name: String,
    pub conditions: Vec<String>,
}

fn one() -> u32 {
    1
}
fn year() -> u32 {
    365
}
fn speed() -> f64 {
    30.0
}
fn routine() -> Urgency {
    Urgency::Routine
}
fn full() -> f64 {
    1.0
}

/// Residents of one age group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeGroup {
    pub name: String,
    /// Share of the population (the shares add up to 1).
    pub share: f64,
    /// Illness episodes per resident per year.
    pub episodes_per_year: f64,
    /// Share with a family-doctor contract.
    pub contract_share: f64,
    /// A key group of the contract policy (elderly, chronic, ...).
    #[serde(default)]
    pub key_group: bool,
    /// Share with known hypertension or diabetes.
    #[serde(default)]
    pub chronic_prevalence: f64,
}

/// A township or district where residents live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    pub name: String,
    /// Relative population weight.
    pub weight: f64,
    /// Position in km on a local grid, for travel times not given.
    #[serde(default)]
    pub location: Option<[f64; 2]>,
    /// Travel minutes to institutions by id; others come from locations.
    #[serde(default)]
    pub travel: BTreeMap<String, f64>,
}

/// An institution of the region (or outside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionSpec {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub level: Level,
    /// Inside the region; outside ones (the prefecture city's hospitals)
    /// take patients but do not count towards retention.
    #[serde(default = "yes")]
    pub inside: bool,
    /// Outpatient visits a day, for the spec's `residents`.
    pub daily_visits: f64,
    #[serde(default)]
    pub physicians: u32,
    #[serde(default)]
    pub beds: u32,
    #[serde(default)]
    pub location: Option<[f64; 2]>,
    /// A township centre upgraded with a hospital team: it treats moderate
    /// cases positioned one level up instead of referring them.
    #[serde(default)]
    pub upgraded: bool,
}

fn yes() -> bool {
    true
}

/// A medical alliance, for indicators by alliance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllianceSpec {
    pub id: String,
    pub members: Vec<String>,
}

/// One kind of illness episode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    #[serde(default)]
    pub name: String,
    /// A catalogue code range (`"J00-J06"`): the positioning then comes
    /// from the catalogue's triage of the case's severity.
    #[serde(default)]
    pub condition: Option<String>,
    /// Share of episodes.
    pub share: f64,
    pub severity: Severity,
    /// How soon the patient must be seen; an emergency goes straight to
    /// the level the catalogue names, past any gatekeeping.
    #[serde(default = "routine")]
    pub urgency: Urgency,
    /// The level the case belongs at, when no condition is given.
    #[serde(default)]
    pub positioned: Option<Level>,
}

/// The care-seeking choice: a multinomial logit over the nearest
/// institution of each level (and, if set, not seeking care).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    /// Level constants: primary, secondary, tertiary.
    pub asc: [f64; 3],
    /// Fit of each level to the case's severity.
    pub severity_fit: SeverityFit,
    /// Per yuan paid out of pocket.
    pub out_of_pocket_per_yuan: f64,
    /// Per hour of travel.
    pub travel_per_hour: f64,
    /// On primary care, for a resident with a family-doctor contract.
    pub contract: f64,
    /// Per day of expected wait at the institution.
    #[serde(default)]
    pub wait_per_day: f64,
    /// On primary care, times the resident's trust in it (0 to 1).
    #[serde(default)]
    pub trust: f64,
    /// Utility of not seeking care at all; absent means everyone seeks care.
    #[serde(default)]
    pub stay_home: Option<f64>,
}

/// Severity fit per level, for each severity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityFit {
    pub mild: [f64; 3],
    pub moderate: [f64; 3],
    pub severe: [f64; 3],
}

/// Upward referral when the first contact is below the case's level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralSpec {
    /// Days from the first visit to the referred visit's request.
    pub delay_days: f64,
    /// Share of completed referrals whose result reaches the referrer.
    #[serde(default = "full")]
    pub report_back_share: f64,
}

/// The follow-up visit after a hospital episode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSpec {
    /// Episodes positioned at this level or higher get one follow-up.
    pub from_level: Level,
    pub delay_days: f64,
    /// Probability the follow-up is referred down to the resident's
    /// primary institution, with and without a contract.
    pub down_share_contracted: f64,
    pub down_share_other: f64,
}

/// Trust in primary care, built or lost visit by visit (0 to 1). Every
/// field but `initial` and `long_wait_days` is a change added to the
/// resident's trust when the thing happens: positive builds trust,
/// negative loses it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSpec {
    pub initial: f64,
    /// A case resolved at the primary institution (usually positive).
    pub resolved_at_primary: f64,
    /// A primary visit that ended in an upward referral: a wasted visit
    /// (usually negative).
    pub referred_on: f64,
    /// A wait longer than `long_wait_days` at primary level (usually
    /// negative).
    pub long_wait: f64,
    pub long_wait_days: f64,
    /// Per month for residents whose primary institution hosts specialist
    /// outreach (an upgraded centre).
    pub outreach_per_month: f64,
}

impl Default for TrustSpec {
    fn default() -> Self {
        TrustSpec {
            initial: 0.5,
            resolved_at_primary: 0.0,
            referred_on: 0.0,
            long_wait: 0.0,
            long_wait_days: 7.0,
            outreach_per_month: 0.0,
        }
    }
}

/// Chronic disease (hypertension, diabetes) follow-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronicSpec {
    /// Days between follow-ups.
    pub interval_days: f64,
    /// Share managed at their primary institution, with and without a
    /// contract; the others are followed at the nearest hospital.
    pub primary_share_contracted: f64,
    pub primary_share_other: f64,
    /// The chronic patients' conditions (catalogue codes) and their
    /// shares, so follow-ups are counted by condition; empty: one
    /// condition called `chronic`.
    #[serde(default)]
    pub conditions: BTreeMap<String, f64>,
}

/// Reforms that scale or change the region rather than set one value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levers {
    /// Multiplies every primary institution's capacity (more family
    /// doctors).
    #[serde(default = "full")]
    pub primary_capacity_factor: f64,
    /// Sets every age group's contract share to at least this.
    #[serde(default)]
    pub contract_share_at_least: Option<f64>,
    /// Upgrades every inside primary institution (hospital teams posted).
    #[serde(default)]
    pub upgrade_all_primary: bool,
    /// Designates emergency centres, or upgrades one (an entry replaces
    /// the centre of the same kind at that institution): a commission
    /// sees the deaths a centre would avert before building it.
    #[serde(default)]
    pub designate_centre: Vec<crate::emergency::CentreSpec>,
    /// Lets every inside primary institution give thrombolysis (true) or
    /// stops those that could (false): the bridging branch of the STEMI
    /// transfer rule.
    #[serde(default)]
    pub township_thrombolysis: Option<bool>,
    /// Replaces the routing rule's time limits (the transfer rule).
    #[serde(default)]
    pub emergency_windows: Option<tiercare_core::emergency::Windows>,
}

impl Default for Levers {
    fn default() -> Self {
        Levers {
            primary_capacity_factor: 1.0,
            contract_share_at_least: None,
            upgrade_all_primary: false,
            designate_centre: Vec::new(),
            township_thrombolysis: None,
            emergency_windows: None,
        }
    }
}

impl Spec {
    /// Reads a scenario file, laying it over its `base` (recursively).
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let value = load_value(path, 0)?;
        let text = toml::to_string(&value).map_err(|e| SpecError::Toml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Spec::from_toml(&text).map_err(|e| match e {
            SpecError::Toml { message, .. } => SpecError::Toml {
                path: path.to_path_buf(),
                message,
            },
            e => e,
        })
    }

    /// Parses a scenario that has no base.
    pub fn from_toml(text: &str) -> Result<Spec, SpecError> {
        let spec: Spec = toml::from_str(text).map_err(|e| SpecError::Toml {
            path: PathBuf::from("scenario"),
            message: e.to_string(),
        })?;
        spec.policy
            .validate()
            .map_err(|e| invalid("policy", e.to_string()))?;
        Ok(spec)
    }
}

fn load_value(path: &Path, depth: u32) -> Result<toml::Table, SpecError> {
    if depth > 8 {
        return Err(invalid("base", "bases nest more than 8 deep (a loop?)"));
    }
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| SpecError::Toml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let Some(base) = table
        .get("base")
        .and_then(|b| b.as_str())
        .map(str::to_string)
    else {
        return Ok(table);
    };
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
    let mut merged = load_value(&base_path, depth + 1)?;
    table.remove("base");
    lay_over(&mut merged, table);
    Ok(merged)
}

/// Lays `top` over `under`: tables merge key by key, anything else
/// replaces.
fn lay_over(under: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (under.get_mut(&key), value) {
            (Some(toml::Value::Table(u)), toml::Value::Table(t)) => lay_over(u, t),
            (_, v) => {
                under.insert(key, v);
            }
        }
    }
}
