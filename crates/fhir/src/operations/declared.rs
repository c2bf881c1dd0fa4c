//! The declarations: one `const` per operation, grouped by the resource it
//! is invoked on, and [`ALL`], the list the server, its
//! CapabilityStatement and its `OperationDefinition`s are built from.

use super::ParamType::{
    Amount, Boolean, Code, Date, Integer, Reference, String as Text, UnsignedInt,
};
use super::cases::*;
use super::readings::*;
use super::triage::*;
use super::{Operation, Param};

/// Every operation, in the order the CapabilityStatement lists them.
pub const ALL: &[&Operation] = &[
    &SERVICE_REQUEST_ACTIONS,
    &SERVICE_REQUEST_ACCEPT,
    &SERVICE_REQUEST_BOOK,
    &SERVICE_REQUEST_DECLINE,
    &SERVICE_REQUEST_REDIRECT,
    &SERVICE_REQUEST_RETURN_WITH_ADVICE,
    &SERVICE_REQUEST_CANCEL,
    &SERVICE_REQUEST_ARRIVE,
    &SERVICE_REQUEST_NO_SHOW,
    &SERVICE_REQUEST_COMPLETE,
    &SERVICE_REQUEST_REPORT,
    &SERVICE_REQUEST_CLOSE,
    &SERVICE_REQUEST_TAKE,
    &SERVICE_REQUEST_RELEASE,
    &SERVICE_REQUEST_REPORT_READING,
    &SERVICE_REQUEST_ACKNOWLEDGE,
    &SERVICE_REQUEST_REFER_EMERGENCY,
    &TASK_COMPLETE,
    &TASK_ACKNOWLEDGE,
    &EPISODE_OF_CARE_ALERT,
    &EPISODE_OF_CARE_ACKNOWLEDGE,
    &EPISODE_OF_CARE_MILESTONE,
    &EPISODE_OF_CARE_ARRIVE,
    &EPISODE_OF_CARE_TREAT,
    &EPISODE_OF_CARE_TRANSFER,
    &EPISODE_OF_CARE_CLOSE,
    &CARE_PLAN_DECIDE,
    &CARE_PLAN_END,
    &CARE_PLAN_STATUS,
    &CARE_PLAN_DUE,
    &SLOT_HOLD,
    &APPOINTMENT_ARRIVE,
    &ENCOUNTER_FINISH,
    &MEASURE_EVALUATE,
    &HEALTHCARE_SERVICE_END,
    &HEALTHCARE_SERVICE_TRIAGE,
    &SCHEDULE_HOLD,
    &SCHEDULE_CANCEL,
    &SCHEDULE_MISS,
    &CARE_TEAM_RECOGNISE,
    &CARE_TEAM_END,
    &CODE_SYSTEM_TRIAGE,
    &ORGANIZATION_BUDGET,
    &ESTIMATE,
    &EXPORT,
];

/// An operation on one resource of `resource`, by POST.
pub(super) const fn on_instance(
    id: &'static str,
    code: &'static str,
    resource: &'static [&'static str],
    doc: &'static str,
    params: &'static [Param],
) -> Operation {
    Operation {
        id,
        code,
        resource,
        system: false,
        type_level: false,
        instance: true,
        get: false,
        post: true,
        doc,
        params,
    }
}

// ------------------------------------------------------------- referrals

pub(super) const SR: &[&str] = &["ServiceRequest"];

const REPORT_SUMMARY: Param = Param::optional(
    "report-summary",
    Text,
    "What was found and done: the report's summary",
);
const REPORT_RECOMMENDATION: Param = Param::optional(
    "report-recommendation",
    Text,
    "What the referrer should do next",
);
const REPORT_DIAGNOSIS: Param =
    Param::optional("report-diagnosis", Code, "The diagnosis, an ICD-10 code");
const CHARGE: Param = Param::optional(
    "charge",
    Amount,
    "What the visit cost, in yuan: the claim is made for it (without it, the region's typical charge)",
);

pub const SERVICE_REQUEST_ACTIONS: Operation = Operation {
    get: true,
    post: false,
    ..on_instance(
        "ServiceRequest-actions",
        "actions",
        SR,
        "GET: the operations the caller may take now, the state and the current step's deadline",
        &[],
    )
};
pub const SERVICE_REQUEST_ACCEPT: Operation = on_instance(
    "ServiceRequest-accept",
    "accept",
    SR,
    "Accept; book later (the referral joins the awaiting-a-slot worklist)",
    &[],
);
pub const SERVICE_REQUEST_BOOK: Operation = on_instance(
    "ServiceRequest-book",
    "book",
    SR,
    "Book a slot (parameter slot: Slot reference) or a bed (beds: a bed pool Location); from requested this is book-now. 409 if the slot was taken",
    &[
        Param::optional(
            "slot",
            Reference("Slot"),
            "The outpatient slot to book (give slot or beds)",
        ),
        Param::optional(
            "beds",
            Reference("Location"),
            "The bed pool to admit to (inpatient; give slot or beds)",
        ),
    ],
);
pub const SERVICE_REQUEST_DECLINE: Operation = on_instance(
    "ServiceRequest-decline",
    "decline",
    SR,
    "Decline: reason (no-capacity, not-indicated, wrong-specialty, incomplete-information, other), comment (required for other)",
    &[
        Param::required(
            "reason",
            Code,
            "no-capacity, not-indicated, wrong-specialty, incomplete-information or other",
        ),
        Param::optional(
            "comment",
            Text,
            "Why, for the referrer (required when the reason is other)",
        ),
    ],
);
pub const SERVICE_REQUEST_REDIRECT: Operation = on_instance(
    "ServiceRequest-redirect",
    "redirect",
    SR,
    "Send to another institution: to (Organization reference), comment",
    &[
        Param::required(
            "to",
            Reference("Organization"),
            "The institution the referral goes to instead",
        ),
        Param::optional(
            "comment",
            Text,
            "Why, for the referrer and the new receiver",
        ),
    ],
);
pub const SERVICE_REQUEST_RETURN_WITH_ADVICE: Operation = on_instance(
    "ServiceRequest-return-with-advice",
    "return-with-advice",
    SR,
    "Return to the referrer with advice (required)",
    &[Param::optional(
        "advice",
        Text,
        "The advice for the referrer (a return without it is refused)",
    )],
);
pub const SERVICE_REQUEST_CANCEL: Operation = on_instance(
    "ServiceRequest-cancel",
    "cancel",
    SR,
    "Cancel before arrival (referrer): reason (required); frees the booking",
    &[Param::optional(
        "reason",
        Text,
        "Why the referral is cancelled (a cancellation without it is refused)",
    )],
);
pub const SERVICE_REQUEST_ARRIVE: Operation = on_instance(
    "ServiceRequest-arrive",
    "arrive",
    SR,
    "Record arrival (an emergency may arrive unbooked). Before the booked day it is refused (409, naming the day) unless early is true: the receiving side confirms the patient came early, and the arrival is recorded as early",
    &[Param::optional(
        "early",
        Boolean,
        "The patient came before the booked day and is seen now (default false)",
    )],
);
pub const SERVICE_REQUEST_NO_SHOW: Operation = on_instance(
    "ServiceRequest-no-show",
    "no-show",
    SR,
    "Record a no-show",
    &[],
);
pub const SERVICE_REQUEST_COMPLETE: Operation = on_instance(
    "ServiceRequest-complete",
    "complete",
    SR,
    "Complete the visit: report-summary, report-recommendation, report-diagnosis (ICD-10), charge (yuan), all optional",
    &[
        REPORT_SUMMARY,
        REPORT_RECOMMENDATION,
        REPORT_DIAGNOSIS,
        CHARGE,
    ],
);
pub const SERVICE_REQUEST_REPORT: Operation = on_instance(
    "ServiceRequest-report",
    "report",
    SR,
    "Send the result report back: report-summary (required), report-recommendation, report-diagnosis",
    &[
        Param::required(
            "report-summary",
            Text,
            "What was found and done: the report's summary",
        ),
        REPORT_RECOMMENDATION,
        REPORT_DIAGNOSIS,
    ],
);
pub const SERVICE_REQUEST_CLOSE: Operation = on_instance(
    "ServiceRequest-close",
    "close",
    SR,
    "Close the loop (referrer); on a consult: outcome resolved or withdrawn (the asking doctor)",
    &[Param::optional(
        "outcome",
        Code,
        "Consults only, and required there: resolved (the advice was enough) or withdrawn",
    )],
);

pub const TASK_COMPLETE: Operation = on_instance(
    "Task-complete",
    "complete",
    &["Task"],
    "Follow-ups only: record the follow-up done (note optional); the care plan completes with its last follow-up",
    &[Param::optional(
        "note",
        Text,
        "What was done at the follow-up",
    )],
);

// ------------------------------------------------------------ care plans

const CP: &[&str] = &["CarePlan"];

pub const CARE_PLAN_DECIDE: Operation = on_instance(
    "CarePlan-decide",
    "decide",
    CP,
    "decision accepted or refused, reason: by the patient, or by staff of either institution",
    &[
        Param::required(
            "decision",
            Code,
            "accepted or refused: the patient's decision on the plan",
        ),
        Param::optional("reason", Text, "Why, in the patient's words"),
    ],
);
pub const CARE_PLAN_END: Operation = on_instance(
    "CarePlan-end",
    "end",
    CP,
    "Panels: POST, parameter date (optional, default today): the last day the patient is enrolled",
    &[Param::optional(
        "date",
        Date,
        "The last day the patient is enrolled (default today)",
    )],
);
pub const CARE_PLAN_STATUS: Operation = Operation {
    get: true,
    post: false,
    ..on_instance(
        "CarePlan-status",
        "status",
        CP,
        "Panels: GET ?date=YYYY-MM-DD (default today): Parameters with as-of, overall, condition (parts condition and status: controlled, uncontrolled or unknown), next-due and follow-up (not-due, due, overdue)",
        &[Param::optional(
            "date",
            Date,
            "The day the status is for (default today)",
        )],
    )
};
pub const CARE_PLAN_DUE: Operation = Operation {
    get: true,
    post: false,
    type_level: true,
    instance: false,
    ..on_instance(
        "CarePlan-due",
        "due",
        CP,
        "Panels: GET CarePlan/$due?practitioner=Practitioner/x or organization=Organization/y, date=YYYY-MM-DD (default today): searchset Bundle of the panels due (within 14 days) or overdue, most overdue first, each with the panel-follow-up extension",
        &[
            Param::optional(
                "practitioner",
                Reference("Practitioner"),
                "The family doctor whose panels (give practitioner or organization)",
            ),
            Param::optional(
                "organization",
                Reference("Organization"),
                "The primary institution whose panels",
            ),
            Param::optional("date", Date, "The day the worklist is for (default today)"),
        ],
    )
};

// ------------------------------------------------------- slots and visits

pub const SLOT_HOLD: Operation = on_instance(
    "Slot-hold",
    "hold",
    &["Slot"],
    "POST Slot/{id}/$hold with parameter referral: holds the slot for the caller for the policy's hold time while the patient is asked",
    &[Param::required(
        "referral",
        Reference("ServiceRequest"),
        "The referral the slot is held for",
    )],
);
pub const APPOINTMENT_ARRIVE: Operation = on_instance(
    "Appointment-arrive",
    "arrive",
    &["Appointment"],
    "A self-booked visit's patient came: opens its Encounter (a referral's visit arrives through the ServiceRequest). Before the booked day it is refused (409, naming the day) unless early is true: the front desk confirms the patient came early",
    &[Param::optional(
        "early",
        Boolean,
        "The patient came before the booked day and is seen now (default false)",
    )],
);
pub const ENCOUNTER_FINISH: Operation = on_instance(
    "Encounter-finish",
    "finish",
    &["Encounter"],
    "A self-booked visit is over (a referral's visit finishes with the ServiceRequest's $complete)",
    &[CHARGE],
);

// ------------------------------------------------------------- measures

pub const MEASURE_EVALUATE: Operation = Operation {
    get: true,
    type_level: true,
    ..on_instance(
        "Measure-evaluate-measure",
        "evaluate-measure",
        &["Measure"],
        "GET or POST (Parameters) Measure/{code}/$evaluate-measure with periodStart and periodEnd (dates: YYYY-MM-DD, YYYY-MM or YYYY, inclusive), subject (Organization/{id}: an institution or an alliance; Group/level-primary, -secondary or -tertiary: the region's institutions of a level; CareTeam/{id}: a family-doctor team; Practitioner/{id}: a doctor; absent: the whole region) and reportType (population only): a summary MeasureReport with the score as a Quantity, the population counts, and one stratum per level. A score that is undefined (an empty denominator) is left out, never zero. On the type, Measure/$evaluate-measure answers a collection Bundle of every measure's report, or with measure (code or canonical URL) that measure's report. Administrators and analysts see every subject; coordinators and doctors their own institution and its alliances; residents none. The resource-flow measures (flow-{kind}, partnerships-*) take an alliance (Organization/{id}) or no subject (the region) and stratify by partnership: one stratum per giver and receiver of every pair with a flow in the period, text {giver id}->{receiver id}, components giver and receiver; on the type they are asked for by measure and never join the indicators' Bundle; administrators, analysts and insurers see any alliance and the region, coordinators and doctors their own institution's alliances. Reports are aggregates and name no patient.",
        &[
            Param::required(
                "periodStart",
                Date,
                "The first day of the period (YYYY-MM-DD, YYYY-MM or YYYY)",
            ),
            Param::required(
                "periodEnd",
                Date,
                "The last day of the period, inclusive (YYYY-MM-DD, YYYY-MM or YYYY)",
            ),
            Param::optional(
                "subject",
                Text,
                "Organization/{id}, Group/level-{level}, CareTeam/{id}, Practitioner/{id}, or for a programme's evaluation HealthcareService/{id}; absent: the whole region",
            ),
            Param::optional("reportType", Code, "population (the only one)"),
            Param::optional(
                "measure",
                Text,
                "On the type only: the measure's code or canonical URL",
            ),
        ],
    )
};

// ------------------------------------------------------------- outreach

pub const HEALTHCARE_SERVICE_END: Operation = on_instance(
    "HealthcareService-end",
    "end",
    &["HealthcareService"],
    "POST HealthcareService/{id}/$end with parameter date (the last day): ends the commitment",
    &[Param::required("date", Date, "The programme's last day")],
);
pub const SCHEDULE_HOLD: Operation = on_instance(
    "Schedule-hold",
    "hold",
    &["Schedule"],
    "patients-seen, referrals-avoided (counts): by the session's specialist or staff of the primary institution, from the session's start",
    &[
        Param::optional(
            "patients-seen",
            UnsignedInt,
            "Patients the specialist saw at the session (default 0)",
        ),
        Param::optional(
            "referrals-avoided",
            UnsignedInt,
            "Referrals the session made unnecessary (default 0)",
        ),
    ],
);
pub const SCHEDULE_CANCEL: Operation = on_instance(
    "Schedule-cancel",
    "cancel",
    &["Schedule"],
    "reason (required), side (hospital or primary; administrators only, others' side is their institution's): before the session's end; closes its unbooked slots and answers a Parameters with the schedule and the appointments to rebook",
    &[
        Param::required("reason", Text, "Why the session is cancelled"),
        Param::optional(
            "side",
            Code,
            "hospital or primary: whose cancellation (administrators only)",
        ),
    ],
);
pub const SCHEDULE_MISS: Operation = on_instance(
    "Schedule-miss",
    "miss",
    &["Schedule"],
    "the specialist did not come: from the session's end",
    &[],
);
pub const CARE_TEAM_RECOGNISE: Operation = on_instance(
    "CareTeam-recognise",
    "recognise",
    &["CareTeam"],
    "Mentorship CareTeams: doctor (Practitioner), condition (ICD-10 code), since (date): by the mentor",
    &[
        Param::required("doctor", Reference("Practitioner"), "The mentee recognised"),
        Param::required(
            "condition",
            Code,
            "The condition they may now manage, an ICD-10 code",
        ),
        Param::required("since", Date, "From when"),
    ],
);
pub const CARE_TEAM_END: Operation = on_instance(
    "CareTeam-end",
    "end",
    &["CareTeam"],
    "Mentorship CareTeams: date (the last day)",
    &[Param::required("date", Date, "The mentorship's last day")],
);

// ------------------------------------------------- terminology and money

pub const CODE_SYSTEM_TRIAGE: Operation = Operation {
    get: true,
    type_level: true,
    ..on_instance(
        "CodeSystem-triage",
        "triage",
        &["CodeSystem"],
        "GET or POST /CodeSystem/$triage with code (ICD-10), severity (mild|moderate|severe), urgency (routine|urgent|emergency), stable-chronic (true|false): returns the level the case belongs at and why.",
        &[
            Param::required("code", Code, "The condition, an ICD-10 code"),
            Param::optional("severity", Code, "mild (default), moderate or severe"),
            Param::optional("urgency", Code, "routine (default), urgent or emergency"),
            Param::optional(
                "stable-chronic",
                Boolean,
                "A stable chronic case (default false)",
            ),
        ],
    )
};
pub const ORGANIZATION_BUDGET: Operation = Operation {
    get: true,
    post: false,
    ..on_instance(
        "Organization-budget",
        "budget",
        &["Organization"],
        "GET Organization/{alliance}/$budget?year=YYYY: the alliance's global budget (per capita times the residents contracted to its family doctors), the fund's spending on those residents' claims inside and outside the alliance, and the surplus or deficit to date. Administrators, analysts and the alliance's staff.",
        &[Param::optional(
            "year",
            Integer,
            "The budget year (default this year)",
        )],
    )
};
pub const ESTIMATE: Operation = Operation {
    get: true,
    system: true,
    instance: false,
    ..on_instance(
        "estimate",
        "estimate",
        &[],
        "GET or POST /$estimate with scheme (the region's scheme code), total (yuan, e.g. 350.00), service (outpatient|inpatient), date, emergency, follow-up, at-contracted-primary: for each level, what the visit costs with and without a referral (total, deductible, covered, out-of-pocket), under the region's insurance rules.",
        &[
            Param::optional(
                "scheme",
                Code,
                "The region's insurance scheme (required unless patient names a resident)",
            ),
            Param::required("total", Amount, "The visit's total charge"),
            Param::optional("service", Code, "outpatient (default) or inpatient"),
            Param::optional("date", Date, "The day of the visit (default today)"),
            Param::optional("emergency", Boolean, "An emergency (default false)"),
            Param::optional("follow-up", Boolean, "A follow-up visit (default false)"),
            Param::optional(
                "at-contracted-primary",
                Boolean,
                "At the resident's contracted primary institution (default false)",
            ),
            Param::optional(
                "patient",
                Reference("Patient"),
                "The resident: their scheme and what they already paid this year",
            ),
        ],
    )
};
pub const EXPORT: Operation = Operation {
    get: true,
    post: false,
    system: true,
    ..on_instance(
        "export",
        "export",
        &["Group"],
        "FHIR Bulk Data: GET /$export (every type, or _type) or GET Group/{institution}/$export (the residents contracted to the institution's teams and the records that refer to them) with Prefer: respond-async: 202 and a status URL in Content-Location, polled until the manifest of NDJSON files (one per type). Administrators get whole records, analysts de-identified ones (no names, identifiers, addresses or telecoms, birth year only, residents under a pseudonym per export); every exported resident is audited.",
        &[
            Param::optional(
                "_type",
                Text,
                "The resource types to export, comma-separated (default every type)",
            ),
            Param::optional(
                "_outputFormat",
                Text,
                "application/fhir+ndjson (the only one)",
            ),
        ],
    )
};
