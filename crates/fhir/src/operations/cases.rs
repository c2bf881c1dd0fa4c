//! The operations of an emergency case: opening it with its pre-arrival
//! alert, the destination's acknowledgement (on the case or on its alert
//! Task), and the clock filled in by either side.

use super::ParamType::{Boolean, Code, DateTime, Integer, Reference};
use super::declared::on_instance;
use super::triage::{EMERGENCY, FROM, LATITUDE, LONGITUDE};
use super::{Operation, Param};

const EOC: &[&str] = &["EpisodeOfCare"];

const AT: Param = Param::optional(
    "at",
    DateTime,
    "When it happened, with its time and offset (default now; never in the future)",
);

pub const EPISODE_OF_CARE_ALERT: Operation = Operation {
    type_level: true,
    instance: false,
    ..on_instance(
        "EpisodeOfCare-alert",
        "alert",
        EOC,
        "POST EpisodeOfCare/$alert (Parameters): the first contact opens an emergency case and sends the pre-arrival alert, bypassing the routine referral loop. The destination is the documented routing rule's (as HealthcareService/$triage) at the first contact's moment; the case is the EpisodeOfCare answered (201, Location), its alert the Task of the same id (code emergency-alert, owner the destination, status requested). Doctors and coordinators of the first-contact institution (from), any doctor or coordinator for an ambulance at the roadside (latitude and longitude, contact-point ambulance), administrators. 422 naming the input when a moment is in the future, the ECG precedes the first contact, or nothing in the region can take the patient.",
        &[
            Param::required("patient", Reference("Patient"), "The patient"),
            EMERGENCY,
            Param::required(
                "contact-point",
                Code,
                "Where the patient first met the system: village-clinic, township, ambulance or hospital",
            ),
            FROM,
            LATITUDE,
            LONGITUDE,
            Param::optional(
                "first-contact",
                DateTime,
                "First medical contact (default now; never in the future)",
            ),
            Param::optional(
                "onset-minutes",
                Integer,
                "Minutes since symptom onset at the first contact, 0 or more (strokes; default 0)",
            ),
            Param::optional(
                "large-vessel",
                Boolean,
                "A large-vessel occlusion is suspected (strokes; default false)",
            ),
            Param::optional(
                "ecg",
                DateTime,
                "The first ECG, if taken (not before the first contact)",
            ),
            Param::optional(
                "ecg-reading",
                Reference("ServiceRequest"),
                "The hub's remote reading of that ECG (an ECG reading ordered for the patient at the first-contact institution); its order's moment is the ECG's unless ecg is given",
            ),
        ],
    )
};

pub const EPISODE_OF_CARE_ACKNOWLEDGE: Operation = on_instance(
    "EpisodeOfCare-acknowledge",
    "acknowledge",
    EOC,
    "The destination's team (a doctor or coordinator of managingOrganization) acknowledges the pre-arrival alert: its Task becomes accepted; a second acknowledgement is a conflict (409). Takes If-Match.",
    &[],
);

pub const EPISODE_OF_CARE_MILESTONE: Operation = on_instance(
    "EpisodeOfCare-milestone",
    "milestone",
    EOC,
    "Records a milestone of the case's clock, once, never before those it follows (422 naming the milestone): ecg, departure, door or treatment (first-contact and decision are set when the case opens). Staff of either institution, administrators. Takes If-Match.",
    &[
        Param::required(
            "milestone",
            Code,
            "ecg, departure, door or treatment (emergency-milestone)",
        ),
        AT,
    ],
);

pub const EPISODE_OF_CARE_ARRIVE: Operation = on_instance(
    "EpisodeOfCare-arrive",
    "arrive",
    EOC,
    "The patient arrives at the destination (the door milestone), straight to the team or through the emergency department. Staff of either institution, administrators. Takes If-Match.",
    &[
        AT,
        Param::optional(
            "bypassed-ed",
            Boolean,
            "Straight to the team (catheter laboratory, CT, theatre), bypassing the emergency department (default false)",
        ),
    ],
);

pub const EPISODE_OF_CARE_TREAT: Operation = on_instance(
    "EpisodeOfCare-treat",
    "treat",
    EOC,
    "The definitive treatment is given (needle, balloon, knife): the treatment milestone. Staff of either institution, administrators. Takes If-Match.",
    &[
        Param::required(
            "treatment",
            Code,
            "pci, thrombolysis, thrombectomy, stroke-unit, trauma-surgery, caesarean, nicu or stabilise (emergency-treatment)",
        ),
        AT,
    ],
);

pub const EPISODE_OF_CARE_TRANSFER: Operation = on_instance(
    "EpisodeOfCare-transfer",
    "transfer",
    EOC,
    "The patient is sent on from the destination after bridging care, once, not before the door. Staff of either institution, administrators. Takes If-Match.",
    &[
        Param::required(
            "to",
            Reference("Organization"),
            "The institution the patient is sent on to",
        ),
        AT,
    ],
);

pub const EPISODE_OF_CARE_CLOSE: Operation = on_instance(
    "EpisodeOfCare-close",
    "close",
    EOC,
    "Records the outcome at 30 days, closing the case (status finished); before day 30 it is refused (422). Staff of either institution, administrators. Takes If-Match.",
    &[
        Param::required("outcome", Code, "alive or died (emergency-outcome)"),
        AT,
    ],
);

pub const TASK_ACKNOWLEDGE: Operation = on_instance(
    "Task-acknowledge",
    "acknowledge",
    &["Task"],
    "An emergency alert Task (code emergency-alert, the id of its EpisodeOfCare): the destination's team acknowledges it, as EpisodeOfCare/{id}/$acknowledge; answers the accepted Task. Takes If-Match.",
    &[],
);
