//! The triage of a time-critical emergency, asked of the designated
//! centres' type: where a patient goes from the first point of contact.

use super::ParamType::{Boolean, Code, DateTime, Decimal, Integer, Reference};
use super::declared::on_instance;
use super::{Operation, Param};

/// Which of the five emergencies: the same input for the triage and for
/// opening a case.
pub(super) const EMERGENCY: Param = Param::required(
    "emergency",
    Code,
    "stemi, acute-stroke, major-trauma, obstetric-emergency or critically-ill-newborn",
);

/// Where the patient is: an institution, or an ambulance's coordinates.
pub(super) const FROM: Param = Param::optional(
    "from",
    Reference("Organization"),
    "The institution where the patient is (give from, or latitude and longitude)",
);
pub(super) const LATITUDE: Param = Param::optional(
    "latitude",
    Decimal,
    "Where an ambulance is, degrees north (with longitude, instead of from)",
);
pub(super) const LONGITUDE: Param = Param::optional(
    "longitude",
    Decimal,
    "Where an ambulance is, degrees east (with latitude, instead of from)",
);

pub const HEALTHCARE_SERVICE_TRIAGE: Operation = Operation {
    type_level: true,
    instance: false,
    ..on_instance(
        "HealthcareService-triage",
        "triage",
        &["HealthcareService"],
        "POST HealthcareService/$triage (Parameters): where a patient with a time-critical emergency goes from the first point of contact, by the documented routing rule over the registered emergency centres and the region's policy ([emergency] windows and travel times). Inputs emergency (stemi, acute-stroke, major-trauma, obstetric-emergency, critically-ill-newborn), from (the Organization where the patient is) or latitude and longitude (an ambulance at the roadside), onset-minutes and large-vessel (strokes), at (the moment; default now, its time of day in China Standard Time deciding which centres are open). Answers a Parameters with rule (emergency-rule), destination (Organization), centre (the designated HealthcareService taking the patient, when one does), treatment (emergency-treatment), travel-minutes, and a part then with the same parts when the first place only bridges. 422 when nothing in the region can take the patient. Doctors, coordinators and administrators; nothing is written and no patient is named.",
        &[
            EMERGENCY,
            FROM,
            LATITUDE,
            LONGITUDE,
            Param::optional(
                "onset-minutes",
                Integer,
                "Minutes since symptom onset, 0 or more (strokes; default 0)",
            ),
            Param::optional(
                "large-vessel",
                Boolean,
                "A large-vessel occlusion is suspected (strokes; default false)",
            ),
            Param::optional(
                "at",
                DateTime,
                "The moment of the decision, with its time and offset (default now)",
            ),
        ],
    )
};
