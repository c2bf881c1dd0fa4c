//! The `CapabilityStatement` at `/fhir/r4/metadata`: built from the same
//! tables the server dispatches on, so it tells the truth.

use crate::operations::{self as ops, Operation};
use crate::{RegistryType, SearchParam};
use serde_json::{Value, json};

/// The server root a FHIR base URL (`…/fhir/r4`) is under: where
/// `/auth/token` and `/.well-known/smart-configuration` are.
pub fn server_root(base_url: &str) -> &str {
    base_url
        .trim_end_matches('/')
        .strip_suffix("/fhir/r4")
        .unwrap_or(base_url)
}

/// The SMART `oauth-uris` extension: where clients get and revoke tokens,
/// so a SMART client finds them from the CapabilityStatement as well as
/// from `/.well-known/smart-configuration`.
fn smart_uris(base_url: &str) -> Value {
    let root = server_root(base_url);
    json!({
        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
        "extension": [
            {"url": "token", "valueUri": format!("{root}/auth/token")},
            {"url": "revoke", "valueUri": format!("{root}/auth/revoke")},
        ],
    })
}

/// The SMART configuration (`/.well-known/smart-configuration`), honest
/// about what exists: tokens by the password grant, revocation, no
/// authorize endpoint and so no launch.
pub fn smart_configuration(base_url: &str) -> Value {
    let root = server_root(base_url);
    json!({
        "token_endpoint": format!("{root}/auth/token"),
        "revocation_endpoint": format!("{root}/auth/revoke"),
        "grant_types_supported": ["password"],
        "token_endpoint_auth_methods_supported": ["none"],
        "capabilities": [],
    })
}

/// The server's CapabilityStatement.
pub fn statement(base_url: &str) -> Value {
    let mut resources: Vec<Value> = RegistryType::ALL
        .iter()
        .map(|t| {
            let params: Vec<Value> = t
                .search_params()
                .iter()
                .map(SearchParam::capability)
                .collect();
            json!({
                "type": t.name(),
                "interaction": [
                    {"code": "read"}, {"code": "vread"}, {"code": "update"},
                    {"code": "create"}, {"code": "search-type"},
                    {"code": "history-instance"}, {"code": "history-type"}
                ],
                "versioning": "versioned-update",
                "readHistory": true,
                "updateCreate": true,
                "conditionalCreate": true,
                "conditionalUpdate": true,
                "conditionalDelete": "not-supported",
                "searchParam": params,
            })
        })
        .collect();
    let params =
        |list: &[SearchParam]| -> Vec<Value> { list.iter().map(SearchParam::capability).collect() };
    let mut sr_params = params(crate::referral::SEARCH);
    sr_params.push(json!({"name": "_overdue", "type": "token",
        "documentation": "true: only referrals whose current step is past its deadline under the region's policy"}));
    resources.push(json!({
        "type": "ServiceRequest",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": sr_params,
        "documentation": "Referrals. Create as a doctor (you are the requester, your institution the referrer). Seen by staff of the referring and receiving institutions only. The loop moves by the named operations, each a POST of a Parameters body to ServiceRequest/{id}/$name, taking If-Match and answering the updated Task; GET ServiceRequest/{id}/$actions lists the operations the caller may take now. A referral carries the patient summary as contained Condition, MedicationStatement and AllergyIntolerance, and recent results as supportingInfo references to Observation and DiagnosticReport; on read each result reference carries the result-recognition extension (recognised or expired under the region's per-test validity window) and recognised-until. basedOn names the e-consult whose advice was to refer (the consult closes as referred in the same transaction). An e-consult or remote consultation is a ServiceRequest with category SNOMED 11429006 (Consultation): performer the institution asked and optionally the specialist, performerType the specialty, code written or live, note the question; its messages are Communications, its answer time the response-time extension; the asking doctor ends it with $close (outcome resolved or withdrawn). A hub reading (id rdg-…) is a ServiceRequest with category a hub-kind code (ecg, imaging, laboratory, pathology), performer the hub's HealthcareService, priority stat, urgent or routine (its deadline, the reading-due extension, from the region's policy), reasonCode text the clinical question and supportingInfo the acquisition (an Observation, or a Media by its address in an outside archive); seen by staff of the ordering and the hub's institutions only. Hub readers $take (one reader wins, 409 for the other), $release and $report-reading (a DiagnosticReport basedOn the order, with conclusion and conclusionCode); once reported, the reading-charge extension gives its fee and the hub's share of it, by the region's policy ([hubs.fees]); a critical finding raises the critical-alert extension (alert=open), which the ordering side ends with $acknowledge or $refer-emergency (an emergency referral with the report attached, in one step). Search category=consult, referral, reading or a hub kind.",
        "operation": operations(&[
            &ops::SERVICE_REQUEST_ACTIONS,
            &ops::SERVICE_REQUEST_ACCEPT,
            &ops::SERVICE_REQUEST_BOOK,
            &ops::SERVICE_REQUEST_DECLINE,
            &ops::SERVICE_REQUEST_REDIRECT,
            &ops::SERVICE_REQUEST_RETURN_WITH_ADVICE,
            &ops::SERVICE_REQUEST_CANCEL,
            &ops::SERVICE_REQUEST_ARRIVE,
            &ops::SERVICE_REQUEST_NO_SHOW,
            &ops::SERVICE_REQUEST_COMPLETE,
            &ops::SERVICE_REQUEST_REPORT,
            &ops::SERVICE_REQUEST_CLOSE,
            &ops::SERVICE_REQUEST_TAKE,
            &ops::SERVICE_REQUEST_RELEASE,
            &ops::SERVICE_REQUEST_REPORT_READING,
            &ops::SERVICE_REQUEST_ACKNOWLEDGE,
            &ops::SERVICE_REQUEST_REFER_EMERGENCY,
        ]),
    }));
    resources.push(json!({
        "type": "Task",
        "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-instance"}],
        "searchParam": params(crate::referral::TASK_SEARCH),
        "documentation": "The workflow of a referral (same id): status, businessStatus (the step of the loop), owner (the institution whose action it awaits), restriction.period.end (the step's deadline). Read-only: it changes through the ServiceRequest operations. Follow-ups of a downward referral's care plan are Tasks too (code follow-up, focus the CarePlan, owner the primary institution, due by restriction.period.end): search them with code=follow-up (owner, patient, focus, status; _overdue is not needed: status=requested and the due date say it) and record one done with POST Task/{id}/$complete (note), by a doctor of the owning institution.",
        "operation": operations(&[&ops::TASK_COMPLETE, &ops::TASK_ACKNOWLEDGE]),
    }));
    resources.push(json!({
        "type": "EpisodeOfCare",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": params(crate::emergency::case::SEARCH),
        "documentation": "Emergency cases of the county emergency network (id emg-…): opened by the first contact with $alert, which routes the patient by the documented rule (as HealthcareService/$triage) and sends the pre-arrival alert, bypassing the routine referral loop. status active until the 30-day outcome, then finished; type the emergency; managingOrganization the destination; period.start the first medical contact; the contact point, first-contact organization, the rule's decision, each milestone of the clock (emergency-first-contact, -ecg, -decision-time, -departure, -door, -treatment-time), the treatment, the emergency-department bypass, the transfer out and the outcome are tiercare extensions. The alert is the Task of the same id (code emergency-alert, owner the destination, status requested until acknowledged, then accepted; search Task?code=emergency-alert&owner=Organization/x&status=requested for the open alerts; subscriptions on such criteria fire when a case is opened and when its alert is acknowledged). Seen by staff of the first-contact and destination institutions and administrators, every read and search audited; analysts see the measures, not the cases.",
        "operation": operations(&[
            &ops::EPISODE_OF_CARE_ALERT,
            &ops::EPISODE_OF_CARE_ACKNOWLEDGE,
            &ops::EPISODE_OF_CARE_MILESTONE,
            &ops::EPISODE_OF_CARE_ARRIVE,
            &ops::EPISODE_OF_CARE_TREAT,
            &ops::EPISODE_OF_CARE_TRANSFER,
            &ops::EPISODE_OF_CARE_CLOSE,
        ]),
    }));
    resources.push(json!({
        "type": "Observation",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::panel::OBSERVATION_SEARCH),
        "documentation": "Results (LOINC code, valueQuantity or valueString, effectiveDateTime required), recorded by a doctor for a patient in their care; their institution is the performer. Attach to a referral through ServiceRequest.supportingInfo. Seen by the patient and those caring for them; search names the patient. Panel measurements are Observations whose basedOn is a panel CarePlan: blood pressure LOINC 85354-9 with components 8480-6 and 8462-4 in mm[Hg], HbA1c 4548-4 in % or mmol/mol, fasting glucose 1558-6 in mmol/L or mg/dL (UCUM); values are stored and given back in mm[Hg], % and mmol/L. Recorded by doctors of the panel (its primary side or its programme's specialists), seen by them.",
    }));
    resources.push(json!({
        "type": "DiagnosticReport",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::clinical::RESULT_SEARCH),
        "documentation": "Examination reports (LOINC code, conclusion, effectiveDateTime, result: the patient's Observations), as Observation.",
    }));
    resources.push(json!({
        "type": "Communication",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}],
        "searchParam": params(crate::consult::COMMUNICATION_SEARCH),
        "documentation": "Messages of an e-consult: POST with basedOn the consult and one payload contentString; the sender is the caller (the asking doctor, or for the other side the named specialist or any doctor of the institution asked). The first reply from the specialist's side answers the consult and fixes its response time. Message n of consult c is Communication/c-n.",
    }));
    resources.push(json!({
        "type": "Coverage",
        "interaction": [{"code": "read"}, {"code": "update"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::insurance::COVERAGE_SEARCH),
        "documentation": "A resident's insurance scheme (class value: the scheme's code in the region's policy), one per resident at Coverage/cov-{resident}; administrators enrol with PUT (If-Match optional). Seen by the resident and those caring for them; search names the patient. $estimate with patient=Patient/X estimates for that resident's scheme and what they already paid this year.",
    }));
    resources.push(json!({
        "type": "ExplanationOfBenefit",
        "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::insurance::CLAIM_SEARCH),
        "documentation": "The claim of every finished visit of a covered resident, written with the visit's end (ServiceRequest $complete or Encounter $finish, each taking an optional charge in yuan; without it the region's typical charge): total submitted, deductible, benefit and out-of-pocket, and each rule applied as a processNote. The resident's yearly deductible and cap account moves in the same transaction.",
    }));
    resources.push(json!({
        "type": "CarePlan",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::panel::PLAN_SEARCH),
        "documentation": "Co-managed chronic panels are CarePlans with category care-plan-kind|chronic-panel: the patient (subject), the panel team as a contained CareTeam (family-doctor and specialist participants, managingOrganization the primary institution), the conditions as contained Conditions (ICD-10 I10, E11) in addresses, the follow-up interval as activity[0].detail.scheduledTiming.repeat (frequency 1, period in d, wk or mo), the programme as the panel-programme extension (HealthcareService). Read adds the panel-control extension (control per condition, next follow-up as of today). Seen and changed by the primary side; seen by the programme's specialists. Otherwise the plan of a downward referral (basedOn), drawn up by a doctor of the referring hospital: activities of kind Task (a follow-up, scheduledPeriod.end the due date, description what for) and MedicationRequest (productCodeableConcept ATC, description the dosage), notes `measure: goal` as targets. Each medicine missing from the receiving institution's essential-medicines List carries the essential-medicine extension false and a statusReason. The patient's decision (patient-decision extension) is recorded with $decide; a refusal revokes the plan, cancels its follow-ups and ends the referral.",
        "operation": operations(&[
            &ops::CARE_PLAN_DECIDE,
            &ops::CARE_PLAN_END,
            &ops::CARE_PLAN_STATUS,
            &ops::CARE_PLAN_DUE,
        ]),
    }));
    resources.push(json!({
        "type": "Slot",
        "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::visit::SLOT_SEARCH),
        "documentation": "Outpatient appointment slots; a policy share is reserved for referrals from primary care until released. Schedule/{id} (read) describes a slot's department.",
        "operation": operations(&[&ops::SLOT_HOLD]),
    }));
    resources.push(json!({
        "type": "Appointment",
        "interaction": [{"code": "read"}, {"code": "create"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::visit::APPOINTMENT_SEARCH),
        "documentation": "Visits booked in slots. A referral's visit is booked with ServiceRequest/{id}/$book; POST Appointment books a self-referred visit (slot, the patient as the one participant, reasonCode ICD-10, appointmentType v2-0276 EMERGENCY for an emergency) by the patient or the hospital's coordinator. Under mandatory gatekeeping a non-emergency visit at a hospital without a referral is refused (422, with the reason); under financial gatekeeping it is booked with the gatekeeping-bypass extension true. POST Appointment/{id}/$arrive (staff of the institution) records that the patient of a self-booked visit came and answers its Encounter; as for a referral's $arrive, it is refused (409, naming the booked date) before the booked slot's day. status follows the visit: booked, arrived, fulfilled, noshow or cancelled.",
        "operation": operations(&[&ops::APPOINTMENT_ARRIVE]),
    }));
    resources.push(json!({
        "type": "Encounter",
        "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-instance"}, {"code": "history-type"}],
        "searchParam": params(crate::visit::ENCOUNTER_SEARCH),
        "documentation": "Visits (class AMB) and admissions (IMP) that happened: opened by ServiceRequest $arrive (status arrived), finished by $complete (status finished), basedOn the referral. Seen by administrators, the patient and the staff caring for the visit. A self-booked visit opens with Appointment/{id}/$arrive and ends with Encounter/{id}/$finish.",
        "operation": operations(&[&ops::ENCOUNTER_FINISH]),
    }));
    resources.push(json!({
        "type": "Subscription",
        "interaction": [{"code": "read"}, {"code": "update"}, {"code": "delete"}, {"code": "create"}, {"code": "search-type"}],
        "searchParam": params(crate::subscription::SEARCH),
        "documentation": "Notifications of Task changes (the referral loop, follow-ups, and emergency alerts: Task?code=emergency-alert&owner=Organization/x fires when a case is opened for that destination and when its alert is acknowledged), channel rest-hook only, over https (certificates verified) or http. Endpoints in the server's own networks (loopback, link-local, private and other non-public addresses) are refused unless the deployment's allow-list names them, when a subscription is written and again at every delivery. Criteria are a Task search (only Task criteria are supported; the Task search parameters), evaluated as a Task search by the subscription's owner: an administrator's sees every Task, a coordinator's or doctor's only those of referrals their institution is a party to. With payload application/fhir+json the Task is PUT to {endpoint}/Task/{id}; without payload an empty POST is sent to the endpoint; channel.header lines go with every notification. Delivered after the change, never inside its request, in order per subscription, each attempt with a timeout; failures are retried with exponential backoff and after too many the status becomes error with the reason (PUT status requested to resume). Created by administrators, coordinators and doctors; seen by the owner, the staff of the owner's institution and administrators.",
    }));
    resources.push(json!({
        "type": "Measure",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": crate::measure::SEARCH
            .iter()
            .map(|(name, kind, doc)| json!({"name": name, "type": kind, "documentation": doc}))
            .collect::<Vec<_>>(),
        "documentation": "The oversight indicators, one Measure per indicator (id = its code, url https://tiercare.org/fhir/Measure/{code} in every deployment): the definition as description, scoring, improvementNotation, the populations (numerator and denominator, or measure population and observation) with text/plain criteria, a stratifier by level, and the reference figure as guidance. Read by anyone signed in. Besides the indicators: the evaluation of joint programmes (outreach-*, panel-*, stratified by month) and the resource flows between institutions (flow-{kind}: specialist-hours in minutes, money in yuan, the rest in counts; partnerships-one-way, partnerships-commensal, partnerships-mutual and partnerships-mutual-share), whose stratifier is the partnership, one stratum per giver and receiver with components giver and receiver (the Organization id as code in https://tiercare.org/fhir/sid/organization, the name as display). MeasureReports are not stored: $evaluate-measure computes them from the daily indicator aggregates.",
        "operation": operations(&[&ops::MEASURE_EVALUATE]),
    }));
    crate::outreach::capability(&mut resources);
    resources.push(json!({
        "type": "CodeSystem",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "_id", "type": "token"}],
        "operation": operations(&[&ops::CODE_SYSTEM_TRIAGE]),
    }));
    resources.push(json!({
        "type": "ConceptMap",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "_id", "type": "token"}],
    }));
    resources.push(json!({
        "type": "OperationDefinition",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "_id", "type": "token"}],
        "documentation": "What each named operation takes: one OperationDefinition per operation (its canonical URL is the operation's definition above), with every input parameter's name, type, cardinality and documentation. A Parameters body is read against it: an unknown parameter, a value of another type, a missing required one or one repeated beyond its max is refused with 400 naming it. Read by anyone signed in.",
    }));
    resources.push(json!({
        "type": "AuditEvent",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": "patient", "type": "reference", "documentation": "Patient whose data was accessed"},
            {"name": "agent", "type": "token", "documentation": "Username of the user"},
            {"name": "outcome", "type": "token", "documentation": "0 success, 4 denied or failed"}
        ],
        "documentation": "Administrators only. Every read, search and write of patient data, including refused attempts."
    }));
    crate::tokens::declare_systems(&mut resources);
    crate::search::declare_includes(&mut resources);
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-23",
        "publisher": "tiercare",
        "kind": "instance",
        "software": {"name": "tiercare", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "tiercare: tiered care for a region", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search results are paged with _count (default 50, at most 500; 0 for the total only, as _summary=count) and _offset; total counts exactly the matches the caller may see (_total=none leaves it out). Every search takes _lastUpdated and _sort (see searchParam). A token takes code, system|code, |code or system|; a token parameter whose codes belong to one system names it in the token-system extension, and an unknown system matches nothing. Search values of the same parameter separated by commas are ORed. Updates honour If-Match: W/\"version\". _history (history-instance, history-type; _since, _count) answers each version as a read renders it, under the rule of a read: one record's history is 404 to a caller who may not read it, each version of patient data is audited as a read, and a type's history lists only the records the caller's search of the type would find (total counts those). Task/_history is refused (400; a Task is a referral's workflow, a follow-up or a mentoring activity): ask for one Task's history or ServiceRequest/_history. A type whose search needs a patient named (Observation, DiagnosticReport, CarePlan, Coverage, ExplanationOfBenefit but for insurers) has its type history for administrators only.",
            "security": {
                "cors": false,
                "extension": [smart_uris(base_url)],
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}],
                "description": "Bearer tokens from POST /auth/token (grant_type=password). Access follows care relationships; every access to patient data is audited."
            },
            "resource": resources,
            "searchParam": params(crate::search::COMMON_PARAMS),
            "interaction": [{"code": "transaction", "documentation": "All entries succeed or none; urn:uuid fullUrls are resolved."}],
            "operation": operations(&[&ops::ORGANIZATION_BUDGET, &ops::ESTIMATE, &ops::EXPORT]),
        }],
    })
}

/// The CapabilityStatement entries of these operations.
fn operations(list: &[&Operation]) -> Vec<Value> {
    list.iter().map(|o| o.capability()).collect()
}
