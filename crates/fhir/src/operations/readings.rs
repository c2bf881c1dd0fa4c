//! The operations of resource-sharing hub readings (`ServiceRequest`s
//! whose id starts `rdg-`): taking, releasing, reporting, acknowledging a
//! critical alert and turning it into an emergency referral.

use super::ParamType::{Code, Reference, String as Text};
use super::declared::{SR, on_instance};
use super::{Operation, Param};

pub const SERVICE_REQUEST_TAKE: Operation = on_instance(
    "ServiceRequest-take",
    "take",
    SR,
    "Hub readings: a reader of the hub takes the order from the queue; 409 when another reader took it first",
    &[],
);
pub const SERVICE_REQUEST_RELEASE: Operation = on_instance(
    "ServiceRequest-release",
    "release",
    SR,
    "Hub readings: the reader who took the order gives it back to the queue",
    &[],
);
pub const SERVICE_REQUEST_REPORT_READING: Operation = on_instance(
    "ServiceRequest-report-reading",
    "report-reading",
    SR,
    "Hub readings: report (a DiagnosticReport basedOn the order): conclusion (required), finding (SNOMED CT codes), critical (a critical finding in words); a critical finding raises an alert for the ordering side",
    &[
        Param::required("conclusion", Text, "The reader's conclusion"),
        Param {
            max: 20,
            ..Param::optional(
                "finding",
                Code,
                "A coded finding (SNOMED CT), from the hub kind's findings; ST segment elevation (164931005) and other critical findings raise the alert",
            )
        },
        Param::optional(
            "critical",
            Text,
            "Marks the reading critical, with the finding in words (beyond the critical coded findings)",
        ),
    ],
);
pub const SERVICE_REQUEST_ACKNOWLEDGE: Operation = on_instance(
    "ServiceRequest-acknowledge",
    "acknowledge",
    SR,
    "Hub readings: a doctor of the ordering institution acknowledges the critical alert (who and when are recorded)",
    &[],
);
pub const SERVICE_REQUEST_REFER_EMERGENCY: Operation = on_instance(
    "ServiceRequest-refer-emergency",
    "refer-emergency",
    SR,
    "Hub readings: acknowledge the critical alert and refer the patient as an emergency in one step, the report attached: to, condition (ICD-10), summary, specialty (default from the hub's kind)",
    &[
        Param::required(
            "to",
            Reference("Organization"),
            "The hospital the patient is referred to",
        ),
        Param::required(
            "condition",
            Code,
            "The condition referred for, an ICD-10 code",
        ),
        Param::required(
            "summary",
            Text,
            "The clinical summary for the receiving side",
        ),
        Param::optional(
            "specialty",
            Code,
            "The receiving department (default: cardiology for an ECG, emergency otherwise)",
        ),
    ],
);
