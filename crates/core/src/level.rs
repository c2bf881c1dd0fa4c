//! The three levels of care and the clinical specialties that sort work
//! between them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The level of care an institution provides, and the level a condition is
/// positioned at.
///
/// Levels are ordered: `Primary < Secondary < Tertiary`, so "move a case up"
/// is `max`, and "is this visit above the case's level" is `>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Grassroots care: community health centres and stations, township
    /// health centres, village clinics. First contact, chronic follow-up.
    Primary,
    /// County and district hospitals: general illness, common surgery.
    Secondary,
    /// City, provincial and national hospitals: critical, complex and rare
    /// disease.
    Tertiary,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 3] = [Level::Primary, Level::Secondary, Level::Tertiary];

    /// The code used in tiercare's FHIR `CodeSystem` for levels.
    pub fn code(self) -> &'static str {
        match self {
            Level::Primary => "primary",
            Level::Secondary => "secondary",
            Level::Tertiary => "tertiary",
        }
    }

    /// Parses a level code.
    pub fn from_code(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A human-readable name.
    pub fn display(self) -> &'static str {
        match self {
            Level::Primary => "Primary (grassroots)",
            Level::Secondary => "Secondary",
            Level::Tertiary => "Tertiary",
        }
    }

    /// The level's position, lowest first: an index into per-level arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The next level up, if any.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Primary => Some(Level::Secondary),
            Level::Secondary => Some(Level::Tertiary),
            Level::Tertiary => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

macro_rules! coded_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The code used in tiercare's FHIR code systems.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// A human-readable name.
            pub fn display(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Parses a code.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum!(
    /// A clinical specialty: of a hospital department, of a specialist, and
    /// of the conditions in the catalogue (so a referral finds the right
    /// department).
    Specialty {
        /// Family medicine at primary level.
        GeneralPractice = "general-practice" / "General practice",
        InternalMedicine = "internal-medicine" / "Internal medicine",
        Cardiology = "cardiology" / "Cardiology",
        Endocrinology = "endocrinology" / "Endocrinology",
        Respiratory = "respiratory" / "Respiratory medicine",
        Gastroenterology = "gastroenterology" / "Gastroenterology",
        Neurology = "neurology" / "Neurology",
        Nephrology = "nephrology" / "Nephrology",
        GeneralSurgery = "general-surgery" / "General surgery",
        Orthopaedics = "orthopaedics" / "Orthopaedics",
        Urology = "urology" / "Urology",
        Obstetrics = "obstetrics" / "Obstetrics and gynaecology",
        Paediatrics = "paediatrics" / "Paediatrics",
        Oncology = "oncology" / "Oncology",
        InfectiousDisease = "infectious-disease" / "Infectious disease",
        Psychiatry = "psychiatry" / "Psychiatry",
        Ophthalmology = "ophthalmology" / "Ophthalmology",
        Otolaryngology = "otolaryngology" / "Otolaryngology (ENT)",
        Dermatology = "dermatology" / "Dermatology",
        Rehabilitation = "rehabilitation" / "Rehabilitation",
        Emergency = "emergency" / "Emergency medicine",
        TraditionalChinese = "tcm" / "Traditional Chinese medicine",
    }
);
