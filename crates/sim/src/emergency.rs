//! The five time-critical emergencies (STEMI, acute stroke, major trauma,
//! obstetric emergency, critically ill newborn) as cases whose 30-day
//! outcome depends on the time to definitive treatment, routed through the
//! county's emergency network by the core's own rule
//! (`tiercare_core::emergency::route`), so that a commission can estimate
//! the deaths a new centre would avert before it builds one.
//!
//! # The model
//!
//! - **Incidence**: each condition strikes the partition's residents at a
//!   yearly rate per 100,000 (`[emergency.conditions.<code>]`), as a
//!   Poisson process over the counted days, at a time of day drawn
//!   uniformly. The onset is at a resident's home: a settlement drawn by
//!   its weight (every resident equally likely).
//! - **First point of contact**: a village clinic in the resident's
//!   village, the nearest township or community centre, an ambulance
//!   called home, or a walk-in at the nearest county hospital, by the
//!   shares of `[emergency.first_contact]`. The patient's delay from onset
//!   to seeking help is log-normal (a median and a spread per condition);
//!   a walk-in then travels at the scenario's `travel_speed_kmh`; an
//!   ambulance comes from the nearest county-level hospital after a
//!   dispatch delay.
//! - **Routing**: the scenario's institutions with a location become the
//!   core's `Site`s (km on the local grid read as degrees at the equator,
//!   111.195 km each, so the core's travel estimate sees the same
//!   distances), with the designated centres of `[[emergency.centre]]` and
//!   the capabilities of `[[emergency.capability]]`. Each case is routed
//!   by `route()` at the minute of day of the decision.
//! - **Time to treatment**: the patient's delay, the walk-in travel, the
//!   departure delay at the first contact, each step's travel, and the
//!   in-hospital delay of each treatment (`[emergency.door_minutes]`,
//!   the pre-alerted door-to-wire and stroke door-to-needle of the
//!   `Windows`).
//! - **Outcome**: 30-day death drawn from the condition's dose-response
//!   curve ([`curves`]) at that time and treatment; for ischaemic stroke
//!   also a good outcome (thrombolysis benefit by onset-to-needle time).
//!
//! Emergencies draw from random streams of their own, seeded from the
//! partition's seed and the condition, so they change no other figure of
//! a run, and two scenarios on one seed see the same patients at the same
//! moments (their difference is the network's, not the noise's).
//!
//! # The lever
//!
//! `[[levers.designate_centre]]` designates a centre (or replaces the one
//! of the same kind at that institution: an upgrade);
//! `levers.township_thrombolysis` lets (or stops) every inside primary
//! institution give thrombolysis; `levers.emergency_windows` replaces the
//! routing rule's time limits.

use crate::model::Place;
use crate::spec::{Spec, SpecError, invalid};
use serde::Deserialize;
use std::collections::BTreeMap;
use tiercare_core::emergency::{
    Accreditation, Capability, Centre, CentreKind, Emergency, Hours, Site, TravelTimes, Windows,
};
use tiercare_core::{InstitutionId, Level};

pub mod curves;
mod draw;
mod outcome;
#[cfg(test)]
mod tests;

pub use draw::{Counts, Outcomes, expected, figures, simulate};
pub use outcome::{CaseOutcome, outcome};

/// Km of the local grid per degree, at the equator.
const KM_PER_DEGREE: f64 = 111.195;

/// The emergency network of a scenario, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencySpec {
    /// Per condition code (`stemi`, `acute-stroke`, `major-trauma`,
    /// `obstetric-emergency`, `critically-ill-newborn`); a condition left
    /// out keeps its documented default ([`ConditionSpec::default_for`]).
    #[serde(default)]
    pub conditions: BTreeMap<Emergency, ConditionSpec>,
    /// Shares of the first point of contact (adding up to 1).
    #[serde(default = "first_contact")]
    pub first_contact: BTreeMap<Contact, f64>,
    /// Share of strokes that are ischaemic: 69.6% in NESS-China 2013
    /// (Wang et al., Circulation 2017); 0.7.
    #[serde(default = "ischaemic")]
    pub stroke_ischaemic_share: f64,
    /// Share of ischaemic strokes with a large-vessel occlusion
    /// (assumption: 0.3).
    #[serde(default = "large_vessel")]
    pub stroke_large_vessel_share: f64,
    #[serde(default)]
    pub door_minutes: DoorMinutes,
    /// The routing rule's time limits; the core's documented defaults
    /// when absent.
    #[serde(default)]
    pub windows: Option<Windows>,
    /// Designated centres.
    #[serde(default)]
    pub centre: Vec<CentreSpec>,
    /// What institutions can do outside any centre, at any hour.
    #[serde(default)]
    pub capability: Vec<CapabilitySpec>,
}

impl Default for EmergencySpec {
    fn default() -> Self {
        EmergencySpec {
            conditions: BTreeMap::new(),
            first_contact: first_contact(),
            stroke_ischaemic_share: ischaemic(),
            stroke_large_vessel_share: large_vessel(),
            door_minutes: DoorMinutes::default(),
            windows: None,
            centre: Vec::new(),
            capability: Vec::new(),
        }
    }
}

fn ischaemic() -> f64 {
    0.7
}
fn large_vessel() -> f64 {
    0.3
}

/// Assumptions for a Chinese county, where most patients first turn to
/// the village doctor or the township: village clinic 30%, township or
/// community centre 30%, ambulance (120) 15%, walk-in at the county
/// hospital 25%.
fn first_contact() -> BTreeMap<Contact, f64> {
    BTreeMap::from([
        (Contact::VillageClinic, 0.30),
        (Contact::Township, 0.30),
        (Contact::Ambulance, 0.15),
        (Contact::CountyHospital, 0.25),
    ])
}

/// Where a patient first meets the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contact {
    VillageClinic,
    Township,
    Ambulance,
    CountyHospital,
}

impl Contact {
    pub const ALL: [Contact; 4] = [
        Contact::VillageClinic,
        Contact::Township,
        Contact::Ambulance,
        Contact::CountyHospital,
    ];

    /// The code reports use.
    pub fn code(self) -> &'static str {
        match self {
            Contact::VillageClinic => "village-clinic",
            Contact::Township => "township",
            Contact::Ambulance => "ambulance",
            Contact::CountyHospital => "county-hospital",
        }
    }
}

/// One condition's incidence and the patients' delay in seeking help.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// Cases per 100,000 residents a year.
    pub incidence_per_100k: f64,
    /// Median minutes from onset to reaching for help.
    pub delay_median_minutes: f64,
    /// Log-normal spread of that delay (the standard deviation of its
    /// logarithm).
    pub delay_spread: f64,
}

impl ConditionSpec {
    /// The documented defaults:
    /// - STEMI: 50 a year per 100,000 (assumption, in the range of China's
    ///   acute myocardial infarction admissions, rising); onset to first
    ///   contact a median of 150 minutes (assumption, after county chest
    ///   pain centre reports of two to three hours), spread 0.8.
    /// - Acute stroke: 247 per 100,000 (NESS-China 2013, Wang et al.,
    ///   Circulation 2017: 246.8 per 100,000 person-years); a median of
    ///   180 minutes (assumption: most Chinese stroke patients arrive
    ///   late), spread 0.9.
    /// - Major trauma: 30 per 100,000 (assumption); 20 minutes, 0.7.
    /// - Obstetric emergency: 10 per 100,000 residents (assumption: about
    ///   one birth in a hundred, at about 8 births per 1,000 residents);
    ///   30 minutes, 0.7.
    /// - Critically ill newborn: 15 per 100,000 residents (assumption:
    ///   about two births in a hundred); 30 minutes, 0.7.
    pub fn default_for(e: Emergency) -> ConditionSpec {
        let (incidence_per_100k, delay_median_minutes, delay_spread) = match e {
            Emergency::Stemi => (50.0, 150.0, 0.8),
            Emergency::Stroke => (247.0, 180.0, 0.9),
            Emergency::MajorTrauma => (30.0, 20.0, 0.7),
            Emergency::Obstetric => (10.0, 30.0, 0.7),
            Emergency::Newborn => (15.0, 30.0, 0.7),
        };
        ConditionSpec {
            incidence_per_100k,
            delay_median_minutes,
            delay_spread,
        }
    }
}

/// Minutes spent at a place before the treatment starts or the patient
/// leaves (all assumptions unless said).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DoorMinutes {
    /// Door-to-wire for a patient who walked into the PCI centre (75; the
    /// accreditation standard asks for at most 90). A pre-alerted transfer
    /// takes the `Windows`' `pci_door_to_wire`.
    pub pci_walk_in: f64,
    /// STEMI door-to-needle (30, the guideline target).
    pub stemi_lysis: f64,
    /// Door-to-groin puncture (90).
    pub thrombectomy: f64,
    /// Admission to a stroke unit (60).
    pub stroke_unit: f64,
    /// Door to trauma surgery (60).
    pub trauma_surgery: f64,
    /// Decision to delivery (30, the obstetric standard).
    pub caesarean: f64,
    /// Door to neonatal intensive care (30).
    pub nicu: f64,
    /// Resuscitation before a transfer (30).
    pub stabilise: f64,
    /// Leaving a village clinic (calling and waiting for transport: 20).
    pub village_departure: f64,
    /// Leaving a township or community centre (ECG, call, transfer: 15).
    pub township_departure: f64,
    /// Door-in-door-out at a hospital that sends the patient on (30, the
    /// chest pain centres' target for a transfer).
    pub hospital_departure: f64,
    /// An ambulance's dispatch (10) and time on scene (10).
    pub ambulance_dispatch: f64,
    pub ambulance_on_scene: f64,
}

impl Default for DoorMinutes {
    fn default() -> Self {
        DoorMinutes {
            pci_walk_in: 75.0,
            stemi_lysis: 30.0,
            thrombectomy: 90.0,
            stroke_unit: 60.0,
            trauma_surgery: 60.0,
            caesarean: 30.0,
            nicu: 30.0,
            stabilise: 30.0,
            village_departure: 20.0,
            township_departure: 15.0,
            hospital_departure: 30.0,
            ambulance_dispatch: 10.0,
            ambulance_on_scene: 10.0,
        }
    }
}

/// A designated centre at an institution of the scenario.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentreSpec {
    pub institution: String,
    pub kind: CentreKind,
    #[serde(default = "standard")]
    pub accreditation: Accreditation,
    /// Open from and to a minute of the day (wrapping past midnight);
    /// absent: always open.
    #[serde(default)]
    pub hours: Option<[u16; 2]>,
    pub capabilities: Vec<Capability>,
}

fn standard() -> Accreditation {
    Accreditation::Standard
}

/// An institution's own capabilities, outside any centre.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitySpec {
    pub institution: String,
    pub capabilities: Vec<Capability>,
}

/// A settlement as the emergency model sees it.
#[derive(Debug, Clone)]
pub struct Home {
    pub weight: f64,
    /// Latitude and longitude (see the module documentation).
    pub at: (f64, f64),
    /// Site and own-travel minutes of the nearest primary institution and
    /// of the nearest hospital.
    pub township: Option<(usize, f64)>,
    pub hospital: Option<(usize, f64)>,
    /// Minutes for an ambulance to arrive after the call (dispatch and
    /// travel from the nearest inside hospital).
    pub ambulance: Option<f64>,
}

/// The compiled emergency network.
#[derive(Debug, Clone)]
pub struct Network {
    pub sites: Vec<Site>,
    pub travel: TravelTimes,
    pub windows: Windows,
    pub homes: Vec<Home>,
    /// Per condition, in `Emergency::ALL` order.
    pub conditions: Vec<(Emergency, ConditionSpec)>,
    /// Shares of first contact, in `Contact::ALL` order.
    pub contact_shares: [f64; 4],
    pub ischaemic_share: f64,
    pub large_vessel_share: f64,
    pub door: DoorMinutes,
}

fn degrees(km: [f64; 2]) -> (f64, f64) {
    (km[1] / KM_PER_DEGREE, km[0] / KM_PER_DEGREE)
}

/// Compiles the scenario's emergency network, with its levers applied.
pub fn compile(spec: &Spec, places: &[Place]) -> Result<Network, SpecError> {
    let e = &spec.emergency;
    let levers = &spec.levers;
    let mut sites = Vec::new();
    // Institution index -> site index.
    let mut site_of = vec![None; spec.institution.len()];
    for (k, i) in spec.institution.iter().enumerate() {
        let Some(at) = i.location else { continue };
        let id = InstitutionId::new(i.id.clone())
            .map_err(|err| invalid(format!("institution[{k}].id"), err.to_string()))?;
        let (latitude, longitude) = degrees(at);
        let mut capabilities = Vec::new();
        if levers.township_thrombolysis == Some(true) && i.inside && i.level == Level::Primary {
            capabilities.push(Capability::Thrombolysis);
        }
        site_of[k] = Some(sites.len());
        sites.push(Site {
            institution: id,
            level: i.level,
            latitude,
            longitude,
            centres: Vec::new(),
            capabilities,
        });
    }
    let find = |field: String, id: &str| {
        spec.institution
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(|| invalid(field.clone(), format!("no institution `{id}`")))
            .and_then(|k| {
                site_of[k].ok_or_else(|| invalid(field, format!("`{id}` has no location")))
            })
    };
    for (k, c) in e.capability.iter().enumerate() {
        let s = find(format!("emergency.capability[{k}]"), &c.institution)?;
        for cap in &c.capabilities {
            let township_off = levers.township_thrombolysis == Some(false)
                && *cap == Capability::Thrombolysis
                && sites[s].level == Level::Primary;
            if !township_off && !sites[s].capabilities.contains(cap) {
                sites[s].capabilities.push(*cap);
            }
        }
    }
    let designated = e
        .centre
        .iter()
        .enumerate()
        .map(|(k, c)| ("emergency.centre", k, c));
    let lever = levers
        .designate_centre
        .iter()
        .enumerate()
        .map(|(k, c)| ("levers.designate_centre", k, c));
    for (table, k, c) in designated.chain(lever) {
        let s = find(format!("{table}[{k}]"), &c.institution)?;
        let hours = match c.hours {
            None => Hours::Always,
            Some([from_minute, to_minute]) if from_minute < 1440 && to_minute <= 1440 => {
                Hours::Daily {
                    from_minute,
                    to_minute,
                }
            }
            Some(_) => {
                return Err(invalid(
                    format!("{table}[{k}].hours"),
                    "minutes of the day run from 0 to 1440",
                ));
            }
        };
        let centres = &mut sites[s].centres;
        // A later entry of the same kind upgrades the earlier one.
        centres.retain(|o| o.kind != c.kind);
        centres.push(Centre {
            kind: c.kind,
            accreditation: c.accreditation,
            hours,
            capabilities: c.capabilities.clone(),
        });
    }
    let travel = TravelTimes::default();
    let homes = homes(spec, places, &sites, &site_of, &travel, &e.door_minutes)?;
    let conditions = Emergency::ALL
        .iter()
        .map(|&c| {
            let s = e
                .conditions
                .get(&c)
                .copied()
                .unwrap_or_else(|| ConditionSpec::default_for(c));
            let field = format!("emergency.conditions.{}", c.code());
            if !(s.incidence_per_100k >= 0.0 && s.incidence_per_100k.is_finite()) {
                return Err(invalid(field, "incidence must be zero or more"));
            }
            if !(s.delay_median_minutes > 0.0 && s.delay_spread >= 0.0) {
                return Err(invalid(field, "the delay needs a positive median"));
            }
            Ok((c, s))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total: f64 = e.first_contact.values().sum();
    if (total - 1.0).abs() > 1e-6 || e.first_contact.values().any(|v| *v < 0.0) {
        return Err(invalid(
            "emergency.first_contact",
            "shares must add up to 1",
        ));
    }
    let contact_shares = Contact::ALL.map(|c| e.first_contact.get(&c).copied().unwrap_or_default());
    let unit = |v: f64, f: &str| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(invalid(format!("emergency.{f}"), "must be between 0 and 1"))
        }
    };
    Ok(Network {
        sites,
        travel,
        windows: levers.emergency_windows.or(e.windows).unwrap_or_default(),
        homes,
        conditions,
        contact_shares,
        ischaemic_share: unit(e.stroke_ischaemic_share, "stroke_ischaemic_share")?,
        large_vessel_share: unit(e.stroke_large_vessel_share, "stroke_large_vessel_share")?,
        door: e.door_minutes,
    })
}

fn homes(
    spec: &Spec,
    places: &[Place],
    sites: &[Site],
    site_of: &[Option<usize>],
    travel: &TravelTimes,
    door: &DoorMinutes,
) -> Result<Vec<Home>, SpecError> {
    let mut out = Vec::with_capacity(places.len());
    for (s, p) in spec.settlement.iter().zip(places) {
        let near = |l: usize| {
            let i = p.nearest[l]? as usize;
            Some((site_of[i]?, p.travel_hours[l] * 60.0))
        };
        let township = near(0);
        let hospital = near(1).or_else(|| near(2));
        // A settlement with no location is placed at its nearest
        // institution; in a region with no location at all, nothing can
        // be routed and every case goes untreated.
        let at = match (s.location, township.or(hospital)) {
            (Some(km), _) => degrees(km),
            (None, Some((site, _))) => (sites[site].latitude, sites[site].longitude),
            (None, None) => (0.0, 0.0),
        };
        let Some(first) = sites.first() else {
            out.push(Home {
                weight: p.weight,
                at,
                township,
                hospital,
                ambulance: None,
            });
            continue;
        };
        let probe = Site {
            institution: first.institution.clone(),
            level: Level::Primary,
            latitude: at.0,
            longitude: at.1,
            centres: Vec::new(),
            capabilities: Vec::new(),
        };
        let base = |inside_only: bool| {
            sites
                .iter()
                .zip(spec.institution.iter().filter(|i| i.location.is_some()))
                .filter(|(s, i)| s.level >= Level::Secondary && (i.inside || !inside_only))
                .map(|(s, _)| travel.minutes((s.latitude, s.longitude), None, &probe))
                .min()
        };
        let ambulance = base(true)
            .or_else(|| base(false))
            .map(|m| door.ambulance_dispatch + f64::from(m));
        out.push(Home {
            weight: p.weight,
            at,
            township,
            hospital,
            ambulance,
        });
    }
    Ok(out)
}
