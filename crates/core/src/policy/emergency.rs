//! The `[emergency]` section of the policy: the routing rule's time limits
//! and the region's known travel times, so a region that measured its
//! roads or sets its own windows routes by them rather than by estimates.

use super::PolicyError;
use crate::InstitutionId;
use crate::emergency::{TravelTimes, Windows};
use serde::{Deserialize, Serialize};

/// How the triage of time-critical emergencies routes in this region.
///
/// ```toml
/// [emergency.windows]            # every limit in minutes, all > 0
/// pci_first_contact_to_wire = 120
///
/// [[emergency.travel]]           # known road times, used both ways
/// from = "zx-tc1"
/// to = "zx-h1"
/// minutes = 35
/// ```
///
/// Without the section the documented defaults apply
/// ([`Windows::default`]) and every travel time is estimated from
/// coordinates ([`TravelTimes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRules {
    /// The routing rule's time limits; a limit left out keeps its default.
    #[serde(default)]
    pub windows: Windows,
    /// Road minutes between two institutions the region has measured;
    /// they override the estimate from coordinates, either way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub travel: Vec<TravelEntry>,
}

/// One measured road time between two institutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelEntry {
    pub from: InstitutionId,
    pub to: InstitutionId,
    pub minutes: u32,
}

impl EmergencyRules {
    /// The travel times the routing rule reads: the measured matrix, the
    /// estimate for every other pair.
    pub fn travel_times(&self) -> TravelTimes {
        TravelTimes {
            matrix: self
                .travel
                .iter()
                .map(|t| ((t.from.clone(), t.to.clone()), t.minutes))
                .collect(),
        }
    }

    /// Every window must be above zero (a window of nothing would route
    /// every patient to the fall-back); a travel entry joins two different
    /// institutions, once.
    pub(super) fn validate(&self) -> Result<(), PolicyError> {
        let w = &self.windows;
        for (field, minutes) in [
            (
                "emergency.windows.pci_first_contact_to_wire",
                w.pci_first_contact_to_wire,
            ),
            ("emergency.windows.pci_door_to_wire", w.pci_door_to_wire),
            (
                "emergency.windows.stroke_thrombolysis_from_onset",
                w.stroke_thrombolysis_from_onset,
            ),
            (
                "emergency.windows.stroke_door_to_needle",
                w.stroke_door_to_needle,
            ),
            (
                "emergency.windows.stroke_thrombectomy_from_onset",
                w.stroke_thrombectomy_from_onset,
            ),
            ("emergency.windows.trauma_golden_hour", w.trauma_golden_hour),
            ("emergency.windows.obstetric", w.obstetric),
            ("emergency.windows.neonatal", w.neonatal),
        ] {
            if minutes == 0 {
                return Err(PolicyError::Invalid {
                    field,
                    message: "must be at least 1 minute".into(),
                });
            }
        }
        let mut seen = Vec::new();
        for t in &self.travel {
            if t.from == t.to {
                return Err(PolicyError::Invalid {
                    field: "emergency.travel",
                    message: format!("{} to itself: travel joins two institutions", t.from),
                });
            }
            let pair = if t.from < t.to {
                (&t.from, &t.to)
            } else {
                (&t.to, &t.from)
            };
            if seen.contains(&pair) {
                return Err(PolicyError::Invalid {
                    field: "emergency.travel",
                    message: format!(
                        "{} and {} are given twice (a time is used both ways)",
                        t.from, t.to
                    ),
                });
            }
            seen.push(pair);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Policy;
    use super::*;

    const DEMO: &str = include_str!("../../data/demo-policy.toml");

    #[test]
    fn without_the_section_the_documented_windows_apply() {
        let start = DEMO.find("[emergency").unwrap();
        let without = &DEMO[..start];
        let p = Policy::from_toml(without).unwrap();
        assert_eq!(p.emergency, EmergencyRules::default());
        assert_eq!(p.emergency.windows, Windows::default());
        assert!(p.emergency.travel_times().matrix.is_empty());
    }

    #[test]
    fn windows_and_travel_are_read_and_checked() {
        let text = format!(
            "{DEMO}\n[[emergency.travel]]\nfrom = \"zx-tc1\"\nto = \"zx-h1\"\nminutes = 35\n"
        );
        let p = Policy::from_toml(&text).unwrap();
        let t = p.emergency.travel_times();
        let tc1 = InstitutionId::new("zx-tc1").unwrap();
        let h1 = InstitutionId::new("zx-h1").unwrap();
        assert_eq!(t.matrix.get(&(tc1, h1)), Some(&35));

        let zero = DEMO.replace("# neonatal = 120", "neonatal = 0");
        assert_ne!(zero, DEMO, "the demo file documents neonatal = 120");
        let err = Policy::from_toml(&zero).unwrap_err();
        assert!(
            err.to_string().contains("emergency.windows.neonatal"),
            "{err}"
        );

        let shorter = DEMO.replace("# obstetric = 60", "obstetric = 45");
        let p = Policy::from_toml(&shorter).unwrap();
        assert_eq!(p.emergency.windows.obstetric, 45);
        assert_eq!(p.emergency.windows.neonatal, 120);

        let unknown = DEMO.replace("# obstetric = 60", "obstetrics = 45");
        let err = Policy::from_toml(&unknown).unwrap_err();
        assert!(err.to_string().contains("obstetrics"), "{err}");

        let twice = format!(
            "{text}\n[[emergency.travel]]\nfrom = \"zx-h1\"\nto = \"zx-tc1\"\nminutes = 30\n"
        );
        let err = Policy::from_toml(&twice).unwrap_err();
        assert!(err.to_string().contains("emergency.travel"), "{err}");
        let itself = format!(
            "{DEMO}\n[[emergency.travel]]\nfrom = \"zx-h1\"\nto = \"zx-h1\"\nminutes = 1\n"
        );
        assert!(Policy::from_toml(&itself).is_err());
    }
}
