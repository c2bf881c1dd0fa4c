//! An emergency case as FHIR: the case is an `EpisodeOfCare`, its
//! pre-arrival alert a `Task` of the same id.
//!
//! The `EpisodeOfCare`: `status` active until the 30-day outcome, then
//! finished; `type` the emergency (tiercare's `emergency` system);
//! `patient`; `managingOrganization` the destination; `period.start` the
//! first medical contact. R4 has no element for the rest, so each is a
//! tiercare extension: `emergency-contact-point` (where the patient first
//! met the system), `first-contact-organization`, `emergency-decision`
//! (the rule and each step: destination, treatment, travel minutes), one
//! extension per milestone of the clock (`emergency-first-contact`,
//! `emergency-ecg`, `emergency-decision-time`, `emergency-departure`,
//! `emergency-door`, `emergency-treatment-time`, each a `valueDateTime`),
//! `emergency-treatment`, `emergency-bypassed-ed`,
//! `emergency-transfer-out` and `emergency-outcome`.
//!
//! The alert `Task`: `code` `emergency-alert` in tiercare's `task-kind`
//! system, `focus` the EpisodeOfCare, `for` the patient, `requester` the
//! first-contact Organization, `owner` the destination, `status`
//! requested until the team acknowledges it, then accepted
//! (`executionPeriod.start` the acknowledgement); `authoredOn` when it was
//! sent, and a `description` in plain words with the expected arrival.

use crate::datatypes::{extension_url, system};
use crate::reference_term;
use crate::referral::{TASK_CODE, instant};
use crate::search::{ParamKind, SearchParam};
use serde_json::{Value, json};
use tiercare_core::emergency::{Alert, EmergencyCase, Milestone, Outcome, Step};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::triage::{EMERGENCY, RULE, TREATMENT};

/// The code of the alert `Task`, in tiercare's `task-kind` system.
pub const ALERT_CODE: &str = "emergency-alert";
/// The system of Task codes tiercare gives (follow-ups, alerts).
pub const TASK_KIND: &str = "task-kind";
/// The code system of first points of contact.
pub const CONTACT_POINT: &str = "emergency-contact-point";
/// The code system of the clock's milestones (`$milestone`'s codes).
pub const MILESTONE: &str = "emergency-milestone";
/// The code system of the 30-day outcome.
pub const OUTCOME: &str = "emergency-outcome";
/// FHIR's Task status system.
const TASK_STATUS: &str = "http://hl7.org/fhir/task-status";

/// China Standard Time, in which the description gives the arrival.
const CST: UtcOffset = tiercare_core::CHINA_TIME;

/// Whether an id is an emergency case's (and so its alert Task's).
pub fn is_case_id(id: &str) -> bool {
    id.starts_with(tiercare_service::emergency::CASE_ID_PREFIX)
}

fn coding(system_name: &str, code: &str, display: &str) -> Value {
    json!({"system": system(system_name), "code": code, "display": display})
}

fn organization(id: &str) -> Value {
    json!({"reference": format!("Organization/{id}")})
}

/// The URL of a milestone's extension. The decision's and the treatment's
/// moments are `-time`, so they do not collide with the decision's and the
/// treatment's own extensions.
pub fn milestone_url(m: Milestone) -> String {
    let name = match m {
        Milestone::Decision => "decision-time",
        Milestone::Treatment => "treatment-time",
        other => other.code(),
    };
    extension_url(&format!("emergency-{name}"))
}

fn step(name: &str, s: &Step) -> Value {
    let t = s.treatment;
    json!({"url": name, "extension": [
        {"url": "destination", "valueReference": organization(s.institution.as_str())},
        {"url": "treatment", "valueCoding": coding(TREATMENT, t.code(), t.display())},
        {"url": "travel-minutes", "valueInteger": s.travel_minutes},
    ]})
}

/// The `EpisodeOfCare` status of a case.
pub fn status(c: &EmergencyCase) -> &'static str {
    if c.closed() { "finished" } else { "active" }
}

/// The alert `Task`'s status: requested while it waits, accepted once the
/// team acknowledged it.
pub fn alert_status(c: &EmergencyCase) -> &'static str {
    match c.alert {
        Alert::Sent { .. } => "requested",
        Alert::Acknowledged { .. } => "accepted",
    }
}

/// A case as a FHIR `EpisodeOfCare` (without `id` and `meta`).
pub fn render_case(c: &EmergencyCase) -> Value {
    let cp = c.contact;
    let d = &c.decision;
    let mut decision = vec![
        json!({"url": "rule", "valueCoding": coding(RULE, d.rule.code(), d.rule.display())}),
        step("first", &d.first),
    ];
    if let Some(then) = &d.then {
        decision.push(step("then", then));
    }
    let mut ext = vec![
        json!({"url": extension_url(CONTACT_POINT),
               "valueCoding": coding(CONTACT_POINT, cp.code(), cp.display())}),
        json!({"url": extension_url("emergency-decision"), "extension": decision}),
    ];
    if let Some(from) = &c.from {
        ext.push(json!({"url": extension_url("first-contact-organization"),
                        "valueReference": organization(from.as_str())}));
    }
    for m in Milestone::ALL {
        if let Some(at) = c.clock.at(*m) {
            ext.push(json!({"url": milestone_url(*m), "valueDateTime": instant(at)}));
        }
    }
    if let Some(m) = c.onset_minutes {
        ext.push(json!({"url": extension_url("emergency-onset-minutes"), "valueInteger": m}));
    }
    if let Some(o) = &c.opened_by {
        ext.push(json!({"url": extension_url("emergency-opened-by"),
                        "valueReference": organization(o.as_str())}));
    }
    if let Some(r) = &c.ecg_reading {
        ext.push(json!({"url": extension_url("emergency-ecg-reading"),
                        "valueReference": {"reference": format!("ServiceRequest/{r}")}}));
    }
    if let Some(t) = c.treated_with {
        ext.push(json!({"url": extension_url("emergency-treatment"),
                        "valueCoding": coding(TREATMENT, t.code(), t.display())}));
    }
    if let Some(b) = c.bypassed_emergency_department {
        ext.push(json!({"url": extension_url("emergency-bypassed-ed"), "valueBoolean": b}));
    }
    if let Some(t) = &c.transfer_out {
        ext.push(
            json!({"url": extension_url("emergency-transfer-out"), "extension": [
                {"url": "to", "valueReference": organization(t.to.as_str())},
                {"url": "at", "valueDateTime": instant(t.at)},
            ]}),
        );
    }
    if let Some(o) = c.outcome {
        let (code, display) = match o {
            Outcome::Alive => ("alive", "Alive at 30 days"),
            Outcome::Died => ("died", "Died within 30 days"),
        };
        ext.push(json!({"url": extension_url("emergency-outcome"),
                        "valueCoding": coding(OUTCOME, code, display)}));
    }
    let e = c.emergency;
    json!({
        "resourceType": "EpisodeOfCare",
        "extension": ext,
        "status": status(c),
        "type": [{"coding": [coding(EMERGENCY, e.code(), e.display())]}],
        "patient": {"reference": format!("Patient/{}", c.patient)},
        "managingOrganization": organization(c.destination().as_str()),
        "period": {"start": instant(c.clock.first_contact)},
    })
}

/// When the patient is expected at the destination: the departure (or,
/// before it, the decision) plus the first step's travel minutes.
pub fn expected_arrival(c: &EmergencyCase) -> OffsetDateTime {
    let leaves = c.clock.departure.unwrap_or(c.clock.decision);
    leaves + Duration::minutes(i64::from(c.decision.first.travel_minutes))
}

/// The alert in plain words, Chinese first: what is coming, from where,
/// and when it is expected (China Standard Time).
pub fn alert_description(c: &EmergencyCase) -> String {
    let eta = expected_arrival(c).to_offset(CST);
    let from = c.from.as_ref().map_or_else(
        || "救护车 (ambulance)".to_string(),
        |f| format!("Organization/{f}"),
    );
    format!(
        "急诊预警 Emergency alert: {} from {from}, {}; 预计到达 expected {:02}:{:02} (UTC+8), {} min travel",
        c.emergency.display(),
        c.decision.first.treatment.display().to_lowercase(),
        eta.hour(),
        eta.minute(),
        c.decision.first.travel_minutes
    )
}

/// A case's pre-arrival alert as a FHIR `Task`, with its id (the case's).
pub fn render_alert(c: &EmergencyCase) -> Value {
    let (sent, acknowledged) = match &c.alert {
        Alert::Sent { at } => (*at, None),
        Alert::Acknowledged { sent, by, at } => (*sent, Some((by, *at))),
    };
    let mut v = json!({
        "resourceType": "Task",
        "id": c.id.as_str(),
        "status": alert_status(c),
        "intent": "order",
        "priority": "stat",
        "code": {"coding": [{"system": system(TASK_KIND), "code": ALERT_CODE,
                             "display": "Emergency pre-arrival alert"}]},
        "description": alert_description(c),
        "focus": {"reference": format!("EpisodeOfCare/{}", c.id)},
        "for": {"reference": format!("Patient/{}", c.patient)},
        "authoredOn": instant(sent),
        "lastModified": instant(acknowledged.map_or(sent, |(_, at)| at)),
        "owner": organization(c.destination().as_str()),
        "restriction": {"period": {"end": instant(expected_arrival(c))}},
    });
    if let Some(from) = &c.from {
        v["requester"] = organization(from.as_str());
    }
    if let Some((by, at)) = acknowledged {
        v["executionPeriod"] = json!({"start": instant(at)});
        v["output"] = json!([{"type": {"text": "acknowledged-by"},
                              "valueReference": {"reference": format!("Practitioner/{by}")}}]);
    }
    v
}

/// Search terms of a case: as an `EpisodeOfCare` (`patient`,
/// `organization` the destination, `from` the first contact, `status`,
/// `type` the emergency, `date` the first contact's day in China Standard
/// Time) and as its alert `Task` (the Task search's index names: `owner`,
/// `task-status`, `task-code`; `party` either institution, which scopes a
/// staff member's searches and subscriptions).
pub fn index_case(c: &EmergencyCase) -> Vec<(String, String)> {
    let dest = c.destination().as_str();
    let mut t = vec![
        reference_term("patient", "Patient", c.patient.as_str()),
        reference_term("organization", "Organization", dest),
        reference_term("owner", "Organization", dest),
        reference_term("party", "Organization", dest),
        ("status".into(), status(c).into()),
        ("type".into(), c.emergency.code().into()),
        (
            "type".into(),
            format!("{}|{}", system(EMERGENCY), c.emergency.code()),
        ),
        (
            "date".into(),
            c.clock.first_contact.to_offset(CST).date().to_string(),
        ),
        ("task-status".into(), alert_status(c).into()),
        (
            "task-status".into(),
            format!("{TASK_STATUS}|{}", alert_status(c)),
        ),
        (TASK_CODE.into(), ALERT_CODE.into()),
        (
            TASK_CODE.into(),
            format!("{}|{ALERT_CODE}", system(TASK_KIND)),
        ),
        ("alert".into(), alert_status(c).into()),
    ];
    if let Some(from) = &c.from {
        t.push(reference_term("from", "Organization", from.as_str()));
    }
    // The sending side: the first contact's institution, or the base of
    // the ambulance whose doctor opened the case.
    for sender in c.from.iter().chain(&c.opened_by) {
        t.push(reference_term("sender", "Organization", sender.as_str()));
        t.push(reference_term("party", "Organization", sender.as_str()));
    }
    t
}

/// The code systems an emergency case's codings are in: the five
/// emergencies, the routing rule's branches and treatments (also what
/// `$triage` answers), the first points of contact, the clock's
/// milestones and the 30-day outcome.
pub fn code_systems() -> Vec<super::CodeSystemRows> {
    use tiercare_core::emergency::{ContactPoint, Emergency, Rule, Treatment};
    fn rows<T: Copy>(
        all: &[T],
        code: fn(T) -> &'static str,
        display: fn(T) -> &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|x| (code(*x), display(*x))).collect()
    }
    vec![
        (
            EMERGENCY,
            "Time-critical emergency",
            rows(Emergency::ALL, Emergency::code, Emergency::display),
        ),
        (
            RULE,
            "Branch of the emergency routing rule",
            rows(Rule::ALL, Rule::code, Rule::display),
        ),
        (
            TREATMENT,
            "What is done for an emergency at a step of its route",
            rows(Treatment::ALL, Treatment::code, Treatment::display),
        ),
        (
            CONTACT_POINT,
            "Where an emergency patient first met the system",
            rows(ContactPoint::ALL, ContactPoint::code, ContactPoint::display),
        ),
        (
            MILESTONE,
            "Milestone of an emergency case's clock",
            rows(Milestone::ALL, Milestone::code, Milestone::display),
        ),
        (
            OUTCOME,
            "Outcome of an emergency at 30 days",
            vec![
                ("alive", "Alive at 30 days"),
                ("died", "Died within 30 days"),
            ],
        ),
    ]
}

/// Search parameters of `EpisodeOfCare` (emergency cases).
pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam::PATIENT,
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The destination (managingOrganization)",
    },
    SearchParam {
        name: "from",
        kind: ParamKind::Reference("Organization"),
        doc: "The first-contact institution",
    },
    SearchParam {
        name: "sender",
        kind: ParamKind::Reference("Organization"),
        doc: "The institution that sent the case: the first contact's, or the base of the ambulance whose doctor opened it",
    },
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "active (open) or finished (the 30-day outcome recorded)",
    },
    SearchParam {
        name: "type",
        kind: ParamKind::Token,
        doc: "The emergency: stemi, acute-stroke, major-trauma, obstetric-emergency, critically-ill-newborn",
    },
    SearchParam {
        name: "date",
        kind: ParamKind::Date,
        doc: "The day of first medical contact (China Standard Time)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use tiercare_core::emergency::{CaseClock, ContactPoint, Decision, Emergency, Rule, Treatment};
    use tiercare_core::{EmergencyCaseId, InstitutionId, PractitionerId, ResidentId};
    use time::macros::datetime;

    fn case() -> EmergencyCase {
        let t0 = datetime!(2026-12-01 08:00 UTC);
        EmergencyCase {
            id: EmergencyCaseId::new("emg-1").unwrap(),
            patient: ResidentId::new("res-1").unwrap(),
            emergency: Emergency::Stemi,
            contact: ContactPoint::VillageClinic,
            from: Some(InstitutionId::new("vc-1").unwrap()),
            decision: Decision {
                first: Step {
                    institution: InstitutionId::new("h1").unwrap(),
                    travel_minutes: 40,
                    treatment: Treatment::Pci,
                },
                then: None,
                rule: Rule::DirectPci,
            },
            alert: Alert::Sent {
                at: t0 + Duration::minutes(12),
            },
            clock: CaseClock {
                first_contact: t0,
                ecg: Some(t0 + Duration::minutes(8)),
                decision: t0 + Duration::minutes(12),
                departure: None,
                door: None,
                treatment: None,
            },
            treated_with: None,
            bypassed_emergency_department: None,
            transfer_out: None,
            outcome: None,
            ecg_reading: None,
            opened_by: None,
            onset_minutes: None,
        }
    }

    fn ext<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
        v["extension"].as_array()?.iter().find(|e| e["url"] == url)
    }

    #[test]
    fn a_case_is_an_episode_of_care_with_its_clock_and_decision() {
        let mut c = case();
        let v = render_case(&c);
        assert_eq!(v["resourceType"], "EpisodeOfCare");
        assert_eq!(v["status"], "active");
        assert_eq!(v["type"][0]["coding"][0]["code"], "stemi");
        assert_eq!(v["type"][0]["coding"][0]["system"], system("emergency"));
        assert_eq!(v["patient"]["reference"], "Patient/res-1");
        assert_eq!(v["managingOrganization"]["reference"], "Organization/h1");
        assert_eq!(v["period"]["start"], "2026-12-01T08:00:00Z");
        let ecg = ext(&v, &milestone_url(Milestone::Ecg)).expect("ecg");
        assert_eq!(ecg["valueDateTime"], "2026-12-01T08:08:00Z");
        assert!(
            ext(&v, &milestone_url(Milestone::Door)).is_none(),
            "not yet"
        );
        let d = ext(&v, &extension_url("emergency-decision")).expect("decision");
        assert_eq!(d["extension"][0]["valueCoding"]["code"], "direct-pci");
        assert_eq!(d["extension"][1]["extension"][2]["valueInteger"], 40);
        let from = ext(&v, &extension_url("first-contact-organization")).expect("from");
        assert_eq!(from["valueReference"]["reference"], "Organization/vc-1");

        c.arrive(datetime!(2026-12-01 09:00 UTC), true).unwrap();
        c.treat(Treatment::Pci, datetime!(2026-12-01 09:30 UTC))
            .unwrap();
        c.close(Outcome::Died, datetime!(2026-12-31 09:00 UTC))
            .unwrap();
        let v = render_case(&c);
        assert_eq!(v["status"], "finished");
        let door = ext(&v, &milestone_url(Milestone::Door)).expect("door");
        assert_eq!(door["valueDateTime"], "2026-12-01T09:00:00Z");
        let b = ext(&v, &extension_url("emergency-bypassed-ed")).expect("bypass");
        assert_eq!(b["valueBoolean"], true);
        let o = ext(&v, &extension_url("emergency-outcome")).expect("outcome");
        assert_eq!(o["valueCoding"]["code"], "died");
        let urls: Vec<&str> = v["extension"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["url"].as_str())
            .collect();
        let mut unique = urls.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            urls.len(),
            "one extension per element: {urls:?}"
        );
    }

    #[test]
    fn the_alert_is_a_task_requested_until_acknowledged() {
        let mut c = case();
        let t = render_alert(&c);
        assert_eq!(t["resourceType"], "Task");
        assert_eq!(t["id"], "emg-1");
        assert_eq!(t["status"], "requested");
        assert_eq!(t["code"]["coding"][0]["code"], ALERT_CODE);
        assert_eq!(t["focus"]["reference"], "EpisodeOfCare/emg-1");
        assert_eq!(t["owner"]["reference"], "Organization/h1");
        assert_eq!(t["requester"]["reference"], "Organization/vc-1");
        assert_eq!(t["authoredOn"], "2026-12-01T08:12:00Z");
        assert!(t.get("executionPeriod").is_none());
        // Decided 08:12 UTC (16:12 in China) plus 40 minutes' travel.
        let d = t["description"].as_str().unwrap();
        assert!(d.contains("16:52"), "{d}");
        assert!(index_case(&c).contains(&("task-status".into(), "requested".into())));

        c.acknowledge(
            PractitionerId::new("pr-1").unwrap(),
            datetime!(2026-12-01 08:14 UTC),
        )
        .unwrap();
        let t = render_alert(&c);
        assert_eq!(t["status"], "accepted");
        assert_eq!(t["executionPeriod"]["start"], "2026-12-01T08:14:00Z");
        assert_eq!(t["lastModified"], "2026-12-01T08:14:00Z");
        let terms = index_case(&c);
        assert!(terms.contains(&("task-status".into(), "accepted".into())));
        assert!(terms.contains(&("party".into(), "Organization/vc-1".into())));
        assert!(terms.contains(&("party".into(), "Organization/h1".into())));
        assert!(terms.contains(&("date".into(), "2026-12-01".into())));
    }
}
