//! The county emergency network: designated centres (chest pain, stroke,
//! trauma, critical maternal, critical neonatal), what each can do and
//! when, travel times between places, and the triage rule that sends a
//! patient from the first point of contact to a destination by capability
//! and time.
//!
//! A patient who first meets the system at a village clinic must not be
//! slower to treatment than one who walks into the county hospital: the
//! rule here picks the destination the way the centres' accreditation
//! standards ask, from wherever the patient is.
//!
//! # The routing rule
//!
//! Only centres open at the moment of the decision count ([`Hours`]);
//! "nearest" is by estimated travel time from the first contact
//! ([`TravelTimes`]). The time limits are [`Windows`] (the region may set
//! its own):
//!
//! - **STEMI**: the nearest open PCI-capable chest pain centre, when the
//!   expected first-contact-to-wire time (travel plus the door-to-wire time
//!   of a pre-alerted direct transfer) is within the primary-PCI window
//!   (120 minutes, the guideline's limit for choosing primary PCI over
//!   fibrinolysis). Otherwise fibrinolysis at the nearest open
//!   thrombolysis-capable place (the first contact itself if it can),
//!   then transfer to the nearest PCI centre (pharmaco-invasive care).
//!   With neither in reach, the nearest PCI centre however far.
//! - **Acute stroke**: with a suspected large-vessel occlusion, the
//!   nearest open thrombectomy-capable stroke centre if reached within the
//!   thrombectomy window from onset. Otherwise the nearest open
//!   thrombolysis-capable stroke centre if onset plus travel plus the
//!   door-to-needle target falls within the thrombolysis window (4.5
//!   hours); beyond it, the nearest open stroke centre for stroke-unit
//!   care.
//! - **Major trauma**: the nearest open trauma centre with trauma surgery
//!   within the golden hour; otherwise the nearest open secondary or
//!   tertiary hospital to stabilise, then transfer to the trauma centre.
//! - **Obstetric emergency**: the nearest open critical maternal care
//!   centre able to operate (caesarean) within the obstetric window;
//!   otherwise the nearest place able to operate.
//! - **Critically ill newborn**: the nearest open neonatal centre with
//!   intensive care within the neonatal window; otherwise the nearest open
//!   hospital to stabilise, then transfer to the neonatal centre.
//!
//! The windows are documented on [`Windows::default`] with their sources.

use crate::InstitutionId;
use crate::level::{Level, coded_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod accreditation;
mod case;
mod case_event;
mod centre;
mod route;
#[cfg(test)]
mod tests;

pub use case::{
    Alert, CaseClock, CaseError, CaseMeasures, ContactPoint, EmergencyCase, Milestone, Outcome,
    TransferOut, measures, window,
};
pub use case_event::{CaseChange, EmergencyEvent};
pub use centre::{CentreError, EmergencyCentre, sites};
pub use route::{Case, Decision, FirstContact, Rule, Step, Treatment, route};

coded_enum!(
    /// A kind of designated emergency centre.
    CentreKind {
        ChestPain = "chest-pain" / "Chest pain centre",
        Stroke = "stroke" / "Stroke centre",
        Trauma = "trauma" / "Trauma centre",
        Maternal = "critical-maternal" / "Critical maternal care centre",
        Neonatal = "critical-neonatal" / "Critical neonatal care centre",
    }
);

coded_enum!(
    /// What a place can do for an emergency.
    Capability {
        /// Primary percutaneous coronary intervention.
        Pci = "pci" / "Primary PCI",
        Thrombolysis = "thrombolysis" / "Thrombolysis",
        /// Mechanical thrombectomy of a large-vessel stroke.
        Thrombectomy = "thrombectomy" / "Thrombectomy",
        TraumaSurgery = "trauma-surgery" / "Trauma surgery",
        Caesarean = "caesarean" / "Caesarean section",
        NeonatalIntensiveCare = "nicu" / "Neonatal intensive care",
    }
);

coded_enum!(
    /// The level a centre is accredited at.
    Accreditation {
        /// The national standard (a county or city hospital).
        Standard = "standard" / "Standard",
        /// The county-level (basic) standard.
        Basic = "basic" / "Basic",
        /// A primary-level chest pain treatment unit (胸痛救治单元): a
        /// township that recognises a STEMI early, gives thrombolysis and
        /// transfers under an agreement with a PCI centre. Chest pain only.
        TreatmentUnit = "treatment-unit" / "Chest pain treatment unit",
    }
);

coded_enum!(
    /// The five time-critical conditions of the network.
    Emergency {
        Stemi = "stemi" / "ST-elevation myocardial infarction",
        Stroke = "acute-stroke" / "Acute stroke",
        MajorTrauma = "major-trauma" / "Major trauma",
        Obstetric = "obstetric-emergency" / "Obstetric emergency",
        Newborn = "critically-ill-newborn" / "Critically ill newborn",
    }
);

/// When a centre takes patients: always, or between two times of day
/// (minutes after midnight, local time; a window past midnight wraps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hours", rename_all = "kebab-case")]
pub enum Hours {
    Always,
    Daily { from_minute: u16, to_minute: u16 },
}

impl Hours {
    /// Whether the centre is open at `minute` after midnight.
    pub fn open_at(self, minute: u16) -> bool {
        match self {
            Hours::Always => true,
            Hours::Daily {
                from_minute,
                to_minute,
            } if from_minute <= to_minute => (from_minute..to_minute).contains(&minute),
            Hours::Daily {
                from_minute,
                to_minute,
            } => minute >= from_minute || minute < to_minute,
        }
    }
}

/// A designated centre at an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Centre {
    pub kind: CentreKind,
    pub accreditation: Accreditation,
    pub hours: Hours,
    pub capabilities: Vec<Capability>,
}

/// An institution of the network with where it is and what it can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub institution: InstitutionId,
    pub level: Level,
    pub latitude: f64,
    pub longitude: f64,
    /// Its designated centres (none for most).
    pub centres: Vec<Centre>,
    /// What it can do outside any centre, at any hour (a township that
    /// can give thrombolysis).
    pub capabilities: Vec<Capability>,
}

impl Site {
    /// Whether the site can do `what` at `minute` through an open centre
    /// of `kind`; with no kind asked, through any open centre or by itself
    /// (a township's thrombolysis counts for a bridging STEMI, never as a
    /// stroke centre).
    pub fn can(&self, what: Capability, kind: Option<CentreKind>, minute: u16) -> bool {
        (kind.is_none() && self.capabilities.contains(&what))
            || self.centres.iter().any(|c| {
                kind.is_none_or(|k| c.kind == k)
                    && c.hours.open_at(minute)
                    && c.capabilities.contains(&what)
            })
    }

    /// Whether the site has an open centre of `kind`.
    pub fn centre_open(&self, kind: CentreKind, minute: u16) -> bool {
        self.centres
            .iter()
            .any(|c| c.kind == kind && c.hours.open_at(minute))
    }
}

/// Estimated road travel in minutes between two places.
///
/// By default the great-circle distance times a road factor of 1.4 (county
/// roads wind), at an ambulance's 40 km/h average on them, rounded up: an
/// assumption for a county without a travel-time matrix. A supplied matrix
/// (minutes between two institutions, either way) overrides it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TravelTimes {
    /// Known minutes by (from, to) institution, used both ways.
    pub matrix: BTreeMap<(InstitutionId, InstitutionId), u32>,
}

/// Road distance / great-circle distance (assumption).
pub const ROAD_FACTOR: f64 = 1.4;
/// An ambulance's average speed on county roads, km/h (assumption).
pub const AMBULANCE_KMH: f64 = 40.0;

impl TravelTimes {
    /// Minutes from a place (and the institution there, if any) to a site.
    pub fn minutes(&self, from: (f64, f64), at: Option<&InstitutionId>, to: &Site) -> u32 {
        if let Some(a) = at {
            if a == &to.institution {
                return 0;
            }
            let known = self
                .matrix
                .get(&(a.clone(), to.institution.clone()))
                .or_else(|| self.matrix.get(&(to.institution.clone(), a.clone())));
            if let Some(m) = known {
                return *m;
            }
        }
        estimate_minutes(from, (to.latitude, to.longitude))
    }
}

/// The documented estimate between two coordinates (see [`TravelTimes`]).
pub fn estimate_minutes(a: (f64, f64), b: (f64, f64)) -> u32 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    let km = 2.0 * 6371.0 * h.sqrt().min(1.0).asin();
    let minutes = km * ROAD_FACTOR / AMBULANCE_KMH * 60.0;
    if minutes.is_finite() {
        minutes.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
    } else {
        u32::MAX
    }
}

/// The time limits of the routing rule, in minutes. A region sets its own
/// in its policy (`[emergency.windows]`); a limit it leaves out keeps the
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Windows {
    pub pci_first_contact_to_wire: u32,
    pub pci_door_to_wire: u32,
    pub stroke_thrombolysis_from_onset: u32,
    pub stroke_door_to_needle: u32,
    pub stroke_thrombectomy_from_onset: u32,
    pub trauma_golden_hour: u32,
    pub obstetric: u32,
    pub neonatal: u32,
}

impl Default for Windows {
    /// - Primary PCI when first-medical-contact-to-wire is expected within
    ///   120 minutes (ESC STEMI guidelines 2017, 2023; China's chest pain
    ///   centre standard), with 30 minutes from the door of a centre
    ///   alerted before arrival, straight to the catheter laboratory
    ///   (assumption, from the centres' direct-transfer target).
    /// - Stroke thrombolysis within 4.5 hours of onset (AHA/ASA 2019,
    ///   Chinese Stroke Association 2018), door-to-needle 60 minutes (the
    ///   accreditation target); thrombectomy within 6 hours of onset for
    ///   the routing decision (AHA/ASA 2019; later windows need imaging
    ///   selection at the centre).
    /// - Major trauma: a trauma centre within 60 minutes (the "golden
    ///   hour", an operational convention of trauma systems).
    /// - Obstetric emergency and critically ill newborn: 60 and 120
    ///   minutes (assumptions for a county; no single published limit).
    fn default() -> Self {
        Windows {
            pci_first_contact_to_wire: 120,
            pci_door_to_wire: 30,
            stroke_thrombolysis_from_onset: 270,
            stroke_door_to_needle: 60,
            stroke_thrombectomy_from_onset: 360,
            trauma_golden_hour: 60,
            obstetric: 60,
            neonatal: 120,
        }
    }
}
