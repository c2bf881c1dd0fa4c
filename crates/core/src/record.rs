//! The records of the care network as one sum type, so storage and events can
//! carry "any registry record" without losing its type.

use crate::RegionId;
use crate::booking::{Appointment, BedPool, Encounter, Slot};
use crate::care_plan::{CarePlan, FollowUp};
use crate::clinical::{DiagnosticReport, Observation};
use crate::consult::Consult;
use crate::emergency::{EmergencyCase, EmergencyCentre};
use crate::hub::{Hub, ReadingOrder};
use crate::insurance::{Claim, Coverage, YearAccount};
use crate::medicines::EssentialMedicines;
use crate::network::{
    Alliance, FamilyDoctorTeam, Institution, Membership, Practitioner, PractitionerRole, Site,
};
use crate::outreach::{
    Measurement, Mentorship, MentorshipActivity, OutreachSession, PanelEnrolment, Programme,
};
use crate::referral::Referral;
use crate::resident::Resident;
use serde::{Deserialize, Serialize};

/// Any record of the registry. Serialised with a `record` tag so a stored
/// body always says what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    Institution(Institution),
    Alliance(Alliance),
    Membership(Membership),
    Site(Site),
    Practitioner(Practitioner),
    Role(PractitionerRole),
    Team(FamilyDoctorTeam),
    Resident(Resident),
    /// A referral and where it stands in its loop (workflow, not registry).
    Referral(Referral),
    /// A bookable appointment time (workflow, not registry).
    Slot(Slot),
    /// A department's inpatient beds, counted (workflow, not registry).
    BedPool(BedPool),
    /// A booked visit (workflow, patient data).
    Appointment(Appointment),
    /// A visit or admission that happened (workflow, patient data).
    Encounter(Encounter),
    /// A clinical result (patient data).
    Observation(Observation),
    /// An examination report (patient data).
    DiagnosticReport(DiagnosticReport),
    /// An institution's essential-medicines list (registry).
    MedicinesList(EssentialMedicines),
    /// An e-consult or remote consultation (workflow, patient data).
    Consult(Consult),
    /// A downward referral's care plan (workflow, patient data).
    CarePlan(CarePlan),
    /// A follow-up a primary institution owes (workflow, patient data).
    FollowUp(FollowUp),
    /// A resident's insurance scheme (registry, patient data).
    Coverage(Coverage),
    /// A finished visit adjudicated (workflow, patient data).
    Claim(Box<Claim>),
    /// A resident's yearly account with a scheme (workflow, patient data).
    Account(YearAccount),
    /// A hospital department's outreach commitment to a primary
    /// institution (workflow).
    Programme(Programme),
    /// One outreach clinic of a programme (workflow).
    OutreachSession(OutreachSession),
    /// A specialist mentoring family doctors, with what it achieved
    /// (workflow).
    Mentorship(Mentorship),
    /// A dated mentoring activity (workflow; patient data when it names
    /// patients).
    MentorshipActivity(MentorshipActivity),
    /// A patient in a co-managed chronic panel (workflow, patient data).
    PanelEnrolment(PanelEnrolment),
    /// A panel follow-up measurement (workflow, patient data).
    Measurement(Measurement),
    /// A resource-sharing hub: a department reading for member
    /// institutions (registry).
    Hub(Hub),
    /// A remote reading ordered from a hub (workflow, patient data).
    ReadingOrder(ReadingOrder),
    /// A designated emergency centre of the county emergency network
    /// (registry).
    Centre(EmergencyCentre),
    /// One patient's time-critical emergency, from the first contact's
    /// alert to the outcome at 30 days (workflow, patient data).
    EmergencyCase(Box<EmergencyCase>),
}

impl Record {
    /// The record's id as text.
    pub fn id(&self) -> &str {
        match self {
            Record::Institution(r) => r.id.as_str(),
            Record::Alliance(r) => r.id.as_str(),
            Record::Membership(r) => r.id.as_str(),
            Record::Site(r) => r.id.as_str(),
            Record::Practitioner(r) => r.id.as_str(),
            Record::Role(r) => r.id.as_str(),
            Record::Team(r) => r.id.as_str(),
            Record::Resident(r) => r.id.as_str(),
            Record::Referral(r) => r.id.as_str(),
            Record::Slot(r) => r.id.as_str(),
            Record::BedPool(r) => r.id.as_str(),
            Record::Appointment(r) => r.id.as_str(),
            Record::Encounter(r) => r.id.as_str(),
            Record::Observation(r) => r.id.as_str(),
            Record::DiagnosticReport(r) => r.id.as_str(),
            Record::MedicinesList(r) => r.id.as_str(),
            Record::Consult(r) => r.id.as_str(),
            Record::CarePlan(r) => r.id.as_str(),
            Record::FollowUp(r) => r.id.as_str(),
            Record::Coverage(r) => r.id.as_str(),
            Record::Claim(r) => r.id.as_str(),
            Record::Account(r) => r.id.as_str(),
            Record::Programme(r) => r.id.as_str(),
            Record::OutreachSession(r) => r.id.as_str(),
            Record::Mentorship(r) => r.id.as_str(),
            Record::MentorshipActivity(r) => r.id.as_str(),
            Record::PanelEnrolment(r) => r.id.as_str(),
            Record::Measurement(r) => r.id.as_str(),
            Record::Hub(r) => r.id.as_str(),
            Record::ReadingOrder(r) => r.id.as_str(),
            Record::Centre(r) => r.id.as_str(),
            Record::EmergencyCase(r) => r.id.as_str(),
        }
    }

    /// The FHIR resource type the record is exchanged as. Institutions and
    /// alliances are both `Organization`s and share one id space.
    pub fn resource_type(&self) -> &'static str {
        match self {
            Record::Institution(_) | Record::Alliance(_) => "Organization",
            Record::Membership(_) => "OrganizationAffiliation",
            Record::Site(_) => "Location",
            Record::Practitioner(_) => "Practitioner",
            Record::Role(_) => "PractitionerRole",
            Record::Team(_) => "CareTeam",
            Record::Resident(_) => "Patient",
            Record::Referral(_) => "ServiceRequest",
            Record::Slot(_) => "Slot",
            Record::BedPool(_) => "Location",
            Record::Appointment(_) => "Appointment",
            Record::Encounter(_) => "Encounter",
            Record::Observation(_) => "Observation",
            Record::DiagnosticReport(_) => "DiagnosticReport",
            Record::MedicinesList(_) => "List",
            // E-consults are ServiceRequests too (category consult).
            Record::Consult(_) => "ServiceRequest",
            Record::CarePlan(_) => "CarePlan",
            Record::FollowUp(_) => "Task",
            Record::Coverage(_) => "Coverage",
            Record::Claim(_) => "ExplanationOfBenefit",
            Record::Account(_) => "Account",
            Record::Programme(_) => "HealthcareService",
            // A session is the schedule its bookable slots belong to.
            Record::OutreachSession(_) => "Schedule",
            Record::Mentorship(_) => "CareTeam",
            Record::MentorshipActivity(_) => "Task",
            Record::PanelEnrolment(_) => "CarePlan",
            Record::Measurement(_) => "Observation",
            // Outreach programmes are HealthcareServices too (no hub
            // category).
            Record::Hub(_) => "HealthcareService",
            // Reading orders are ServiceRequests too (category the study).
            Record::ReadingOrder(_) => "ServiceRequest",
            // Emergency centres too (category an emergency-centre kind).
            Record::Centre(_) => "HealthcareService",
            Record::EmergencyCase(_) => "EpisodeOfCare",
        }
    }

    /// A short name for the kind of record, used in event names.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Institution(_) => "institution",
            Record::Alliance(_) => "alliance",
            Record::Membership(_) => "membership",
            Record::Site(_) => "site",
            Record::Practitioner(_) => "practitioner",
            Record::Role(_) => "practitioner-role",
            Record::Team(_) => "team",
            Record::Resident(_) => "resident",
            Record::Referral(_) => "referral",
            Record::Slot(_) => "slot",
            Record::BedPool(_) => "bed-pool",
            Record::Appointment(_) => "appointment",
            Record::Encounter(_) => "encounter",
            Record::Observation(_) => "observation",
            Record::DiagnosticReport(_) => "diagnostic-report",
            Record::MedicinesList(_) => "medicines-list",
            Record::Consult(_) => "consult",
            Record::CarePlan(_) => "care-plan",
            Record::FollowUp(_) => "follow-up",
            Record::Coverage(_) => "coverage",
            Record::Claim(_) => "claim",
            Record::Account(_) => "account",
            Record::Programme(_) => "outreach-programme",
            Record::OutreachSession(_) => "outreach-session",
            Record::Mentorship(_) => "mentorship",
            Record::MentorshipActivity(_) => "mentorship-activity",
            Record::PanelEnrolment(_) => "panel-enrolment",
            Record::Measurement(_) => "panel-measurement",
            Record::Hub(_) => "hub",
            Record::ReadingOrder(_) => "reading-order",
            Record::Centre(_) => "emergency-centre",
            Record::EmergencyCase(_) => "emergency-case",
        }
    }

    /// The region the record belongs to, where it carries one itself.
    pub fn region(&self) -> Option<&RegionId> {
        match self {
            Record::Institution(r) => Some(&r.region),
            Record::Alliance(r) => Some(&r.region),
            Record::Practitioner(r) => Some(&r.region),
            Record::Team(r) => Some(&r.region),
            Record::Resident(r) => Some(&r.region),
            Record::Membership(_)
            | Record::Site(_)
            | Record::Role(_)
            | Record::Referral(_)
            | Record::Slot(_)
            | Record::BedPool(_)
            | Record::Appointment(_)
            | Record::Encounter(_)
            | Record::Observation(_)
            | Record::DiagnosticReport(_)
            | Record::MedicinesList(_)
            | Record::Consult(_)
            | Record::CarePlan(_)
            | Record::FollowUp(_)
            | Record::Coverage(_)
            | Record::Claim(_)
            | Record::Account(_)
            | Record::Programme(_)
            | Record::OutreachSession(_)
            | Record::Mentorship(_)
            | Record::MentorshipActivity(_)
            | Record::PanelEnrolment(_)
            | Record::Measurement(_)
            | Record::Hub(_)
            | Record::ReadingOrder(_)
            | Record::Centre(_)
            | Record::EmergencyCase(_) => None,
        }
    }

    /// The patient a patient-data record is about.
    pub fn patient(&self) -> Option<&crate::ResidentId> {
        match self {
            Record::Resident(r) => Some(&r.id),
            Record::Referral(r) => Some(&r.patient),
            Record::Appointment(a) => Some(&a.patient),
            Record::Encounter(e) => Some(&e.patient),
            Record::Observation(o) => Some(&o.patient),
            Record::DiagnosticReport(r) => Some(&r.patient),
            Record::Consult(c) => Some(&c.patient),
            Record::CarePlan(p) => Some(&p.patient),
            Record::FollowUp(f) => Some(&f.patient),
            Record::Coverage(c) => Some(&c.resident),
            Record::Claim(c) => Some(&c.patient),
            Record::Account(a) => Some(&a.resident),
            Record::PanelEnrolment(e) => Some(&e.patient),
            Record::Measurement(m) => Some(&m.patient),
            Record::ReadingOrder(o) => Some(&o.patient),
            Record::EmergencyCase(c) => Some(&c.patient),
            // An activity may name several patients; this is the one its
            // audit entries are filed under, and the service checks all.
            Record::MentorshipActivity(a) => a.patients.first(),
            _ => None,
        }
    }

    /// Whether the record is patient data (its reads and writes are audited
    /// and follow care relationships).
    pub fn is_patient_data(&self) -> bool {
        matches!(
            self,
            Record::Resident(_)
                | Record::Referral(_)
                | Record::Appointment(_)
                | Record::Encounter(_)
                | Record::Observation(_)
                | Record::DiagnosticReport(_)
                | Record::Consult(_)
                | Record::CarePlan(_)
                | Record::FollowUp(_)
                | Record::Coverage(_)
                | Record::Claim(_)
                | Record::Account(_)
                | Record::PanelEnrolment(_)
                | Record::Measurement(_)
                | Record::ReadingOrder(_)
                | Record::EmergencyCase(_)
        ) || matches!(self, Record::MentorshipActivity(a) if !a.patients.is_empty())
    }

    /// Whether the record is part of the registry (the care network and
    /// its residents), whose every version is logged as a registered or
    /// revised event. Workflow records (referrals, slots) log their own
    /// domain events instead.
    pub fn is_registry(&self) -> bool {
        !matches!(
            self,
            Record::Referral(_)
                | Record::Slot(_)
                | Record::BedPool(_)
                | Record::Appointment(_)
                | Record::Encounter(_)
                | Record::Observation(_)
                | Record::DiagnosticReport(_)
                | Record::Consult(_)
                | Record::CarePlan(_)
                | Record::FollowUp(_)
                | Record::Claim(_)
                | Record::Account(_)
                | Record::Programme(_)
                | Record::OutreachSession(_)
                | Record::Mentorship(_)
                | Record::MentorshipActivity(_)
                | Record::PanelEnrolment(_)
                | Record::Measurement(_)
                | Record::ReadingOrder(_)
                | Record::EmergencyCase(_)
        )
    }
}
