//! The checks a registry record passes before it is written.
//!
//! A resident's write is allowed by the caller's care relationship, and its
//! contract is completed from its team; every other record is written by
//! administrators only, and must point at records that exist and fit (a
//! team's institution must be primary care, a membership joins an alliance
//! once). Records earlier in the same batch count as existing
//! ([`Pending`]).

use super::{Pending, Registry, dangling};
use crate::{Context, ServiceError};
use tiercare_core::Record;
use tiercare_core::access::{may_manage_registry, may_write_patient};

impl Registry<'_> {
    /// Checks a record before it is written: the caller's rights, its
    /// references, and the rules that need the records it points at. Fills
    /// in what is derived from them (a contract's institution and doctor).
    pub async fn prepare(
        &self,
        record: Record,
        before: Option<&Record>,
        pending: &Pending,
    ) -> Result<Record, ServiceError> {
        match record {
            Record::Resident(mut r) => {
                if let Some(c) = &mut r.contract {
                    let team = match self.lookup("CareTeam", c.team.as_str(), pending).await? {
                        Some(Record::Team(t)) => t,
                        _ => {
                            return Err(dangling(
                                "Patient.extension:family-doctor-contract",
                                "CareTeam",
                                c.team.as_str(),
                            ));
                        }
                    };
                    c.institution = Some(team.institution.clone());
                    c.family_doctor = Some(team.lead.clone());
                }
                let scope = self.patient_scope().await?;
                let before_resident = match before {
                    Some(Record::Resident(b)) => Some(b),
                    _ => None,
                };
                if !may_write_patient(&scope, before_resident, &r) {
                    let action = if before.is_some() { "update" } else { "create" };
                    let reason = "no care relationship that allows writing this patient's record";
                    return Err(self.deny(action, Some(r.id.as_str()), reason).await);
                }
                Ok(Record::Resident(r))
            }
            other => {
                if !may_manage_registry(self.actor) {
                    return Err(ServiceError::Forbidden(
                        "only administrators change the registry".into(),
                    ));
                }
                self.check_references(&other, pending).await?;
                Ok(other)
            }
        }
    }

    async fn lookup(
        &self,
        rt: &str,
        id: &str,
        pending: &Pending,
    ) -> Result<Option<Record>, ServiceError> {
        if let Some(r) = pending.get(&(rt.to_string(), id.to_string())) {
            return Ok(Some(r.clone()));
        }
        Ok(self.ctx.store.get(rt, id).await?.map(|s| s.record))
    }

    async fn institution(
        &self,
        id: &str,
        field: &str,
        pending: &Pending,
    ) -> Result<tiercare_core::network::Institution, ServiceError> {
        as_institution(self.lookup("Organization", id, pending).await?, id, field)
    }

    pub async fn check_references(
        &self,
        record: &Record,
        pending: &Pending,
    ) -> Result<(), ServiceError> {
        let net = |field: &'static str| {
            move |e: tiercare_core::network::NetworkError| ServiceError::rule(field, e.to_string())
        };
        match record {
            Record::Institution(i) => {
                // Walk up the partOf chain: it must end, and never come back
                // to this institution.
                let mut next = i.part_of.clone();
                let mut depth = 0;
                while let Some(parent) = next {
                    if parent == i.id || depth > 16 {
                        return Err(ServiceError::rule(
                            "Organization.partOf",
                            "partOf would make a cycle",
                        ));
                    }
                    next = self
                        .institution(parent.as_str(), "Organization.partOf", pending)
                        .await?
                        .part_of;
                    depth += 1;
                }
            }
            Record::Alliance(a) => {
                self.institution(
                    a.lead.as_str(),
                    "Organization.extension:alliance-lead",
                    pending,
                )
                .await?;
            }
            Record::Membership(m) => {
                match self
                    .lookup("Organization", m.alliance.as_str(), pending)
                    .await?
                {
                    Some(Record::Alliance(_)) => {}
                    Some(_) => {
                        return Err(ServiceError::rule(
                            "OrganizationAffiliation.organization",
                            format!(
                                "Organization/{} is an institution, not an alliance",
                                m.alliance
                            ),
                        ));
                    }
                    None => {
                        return Err(dangling(
                            "OrganizationAffiliation.organization",
                            "Organization",
                            m.alliance.as_str(),
                        ));
                    }
                }
                let field = "OrganizationAffiliation.participatingOrganization";
                self.institution(m.institution.as_str(), field, pending)
                    .await?;
                let member = format!("Organization/{}", m.institution);
                for other in self
                    .ctx
                    .store
                    .ids_where(
                        "OrganizationAffiliation",
                        "participating-organization",
                        &member,
                    )
                    .await?
                {
                    let twin = match self
                        .lookup("OrganizationAffiliation", &other, pending)
                        .await?
                    {
                        Some(Record::Membership(o)) => o.alliance == m.alliance && o.id != m.id,
                        _ => false,
                    };
                    if twin {
                        return Err(ServiceError::rule(
                            field,
                            format!("{member} is already a member of this alliance ({other})"),
                        ));
                    }
                }
            }
            Record::Site(s) => {
                self.institution(
                    s.institution.as_str(),
                    "Location.managingOrganization",
                    pending,
                )
                .await?;
            }
            Record::Practitioner(p) => p.validate().map_err(net("Practitioner.name"))?,
            Record::Role(r) => {
                if self
                    .lookup("Practitioner", r.practitioner.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "PractitionerRole.practitioner",
                        "Practitioner",
                        r.practitioner.as_str(),
                    ));
                }
                let inst = self
                    .institution(
                        r.institution.as_str(),
                        "PractitionerRole.organization",
                        pending,
                    )
                    .await?;
                r.validate_at(&inst)
                    .map_err(net("PractitionerRole.organization"))?;
            }
            Record::Team(t) => {
                let inst = self
                    .institution(
                        t.institution.as_str(),
                        "CareTeam.managingOrganization",
                        pending,
                    )
                    .await?;
                t.validate_at(&inst).map_err(net("CareTeam"))?;
                for m in &t.members {
                    if self
                        .lookup("Practitioner", m.as_str(), pending)
                        .await?
                        .is_none()
                    {
                        return Err(dangling(
                            "CareTeam.participant.member",
                            "Practitioner",
                            m.as_str(),
                        ));
                    }
                }
            }
            Record::Resident(_) => {}
            Record::Referral(r) => {
                if self
                    .lookup("Patient", r.patient.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.subject",
                        "Patient",
                        r.patient.as_str(),
                    ));
                }
                if self
                    .lookup("Practitioner", r.requester.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.requester",
                        "Practitioner",
                        r.requester.as_str(),
                    ));
                }
                self.institution(r.from.as_str(), "ServiceRequest.requester", pending)
                    .await?;
                self.institution(r.to.as_str(), "ServiceRequest.performer", pending)
                    .await?;
            }
            Record::Slot(s) => {
                self.institution(s.institution.as_str(), "Slot.schedule", pending)
                    .await?;
            }
            Record::Appointment(a) => {
                if self
                    .lookup("Patient", a.patient.as_str(), pending)
                    .await?
                    .is_none()
                {
                    return Err(dangling(
                        "Appointment.participant.actor",
                        "Patient",
                        a.patient.as_str(),
                    ));
                }
                self.institution(a.institution.as_str(), "Appointment.slot", pending)
                    .await?;
            }
            Record::Encounter(e) => {
                self.institution(e.institution.as_str(), "Encounter.serviceProvider", pending)
                    .await?;
            }
            Record::BedPool(b) => {
                self.institution(
                    b.institution.as_str(),
                    "Location.managingOrganization",
                    pending,
                )
                .await?;
            }
            Record::MedicinesList(m) => {
                self.institution(
                    m.institution.as_str(),
                    "List.extension:institution",
                    pending,
                )
                .await?;
                // One list per institution: it is what care plans are
                // checked against.
                let others = self
                    .ctx
                    .store
                    .ids_where(
                        "List",
                        "institution",
                        &format!("Organization/{}", m.institution),
                    )
                    .await?;
                if let Some(other) = others.iter().find(|o| o.as_str() != m.id.as_str()) {
                    return Err(ServiceError::Conflict(format!(
                        "Organization/{} already has its essential-medicines list, List/{other}; update that one",
                        m.institution
                    )));
                }
            }
            Record::Consult(c) => {
                self.patient_exists(c.patient.as_str(), "ServiceRequest.subject", pending)
                    .await?;
                self.institution(c.to.as_str(), "ServiceRequest.performer", pending)
                    .await?;
                if let Some(s) = &c.specialist
                    && self
                        .lookup("Practitioner", s.as_str(), pending)
                        .await?
                        .is_none()
                {
                    return Err(dangling(
                        "ServiceRequest.performer",
                        "Practitioner",
                        s.as_str(),
                    ));
                }
            }
            Record::Observation(o) => {
                self.patient_exists(o.patient.as_str(), "Observation.subject", pending)
                    .await?;
            }
            Record::DiagnosticReport(r) => {
                self.patient_exists(r.patient.as_str(), "DiagnosticReport.subject", pending)
                    .await?;
            }
            Record::Coverage(c) => {
                self.patient_exists(c.resident.as_str(), "Coverage.beneficiary", pending)
                    .await?;
            }
            // Built by the services from records they loaded themselves.
            Record::CarePlan(_) | Record::FollowUp(_) | Record::Claim(_) | Record::Account(_) => {}
            // Built by the outreach service from records it loaded itself.
            Record::Hub(h) => {
                self.institution(
                    h.institution.as_str(),
                    "HealthcareService.providedBy",
                    pending,
                )
                .await?;
                for m in &h.members {
                    self.institution(
                        m.as_str(),
                        "HealthcareService.extension(hub-member)",
                        pending,
                    )
                    .await?;
                }
            }
            Record::Centre(c) => {
                self.institution(
                    c.institution.as_str(),
                    "HealthcareService.providedBy",
                    pending,
                )
                .await?;
                let agreements = [
                    (
                        "HealthcareService.extension(centre-catchment)",
                        &c.catchment,
                    ),
                    (
                        "HealthcareService.extension(transfer-agreement)",
                        &c.transfers_to,
                    ),
                ];
                for (field, list) in agreements {
                    for i in list {
                        self.institution(i.as_str(), field, pending).await?;
                    }
                }
            }
            Record::EmergencyCase(c) => {
                self.patient_exists(c.patient.as_str(), "patient", pending)
                    .await?;
                if let Some(from) = &c.from {
                    self.institution(from.as_str(), "from", pending).await?;
                }
                self.institution(
                    c.destination().as_str(),
                    "EpisodeOfCare.managingOrganization",
                    pending,
                )
                .await?;
            }
            Record::ReadingOrder(o) => {
                self.patient_exists(o.patient.as_str(), "ServiceRequest.subject", pending)
                    .await?;
                if let Some(tiercare_core::hub::Acquisition::Observation { id }) = &o.acquisition
                    && self
                        .lookup("Observation", id.as_str(), pending)
                        .await?
                        .is_none_or(|r| r.patient() != Some(&o.patient))
                {
                    return Err(ServiceError::rule(
                        "ServiceRequest.supportingInfo",
                        format!("Observation/{id} is not a result of this patient"),
                    ));
                }
            }
            Record::Programme(_)
            | Record::OutreachSession(_)
            | Record::Mentorship(_)
            | Record::MentorshipActivity(_)
            | Record::PanelEnrolment(_)
            | Record::Measurement(_) => {}
        }
        Ok(())
    }

    async fn patient_exists(
        &self,
        id: &str,
        field: &str,
        pending: &Pending,
    ) -> Result<(), ServiceError> {
        match self.lookup("Patient", id, pending).await? {
            Some(_) => Ok(()),
            None => Err(dangling(field, "Patient", id)),
        }
    }
}

/// The institution `id` names, for a reference in `field`: refused when it
/// names an alliance or nothing. Anyone may look an institution up.
pub async fn institution(
    ctx: &Context,
    id: &str,
    field: &str,
) -> Result<tiercare_core::network::Institution, ServiceError> {
    let found = ctx.store.get("Organization", id).await?.map(|s| s.record);
    as_institution(found, id, field)
}

fn as_institution(
    found: Option<Record>,
    id: &str,
    field: &str,
) -> Result<tiercare_core::network::Institution, ServiceError> {
    match found {
        Some(Record::Institution(i)) => Ok(i),
        Some(_) => Err(ServiceError::rule(
            field,
            format!("Organization/{id} is an alliance, not an institution"),
        )),
        None => Err(dangling(field, "Organization", id)),
    }
}
