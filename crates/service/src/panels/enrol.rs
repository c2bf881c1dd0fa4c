//! Enrolment: a patient joins a co-managed chronic panel, and later
//! leaves it.
//!
//! An enrolment is checked against the registry (a resident, a primary
//! institution, a family doctor working there, an existing specialist) and
//! against its programme (running on the day of enrolment) before the core
//! decides; only the primary side enrols and ends.

use super::{Panels, core_error};
use crate::ServiceError;
use crate::Versioned;
use crate::new_id;
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::outreach::{OutreachEvent, PanelEnrolment, ProgrammeStatus, QUARTERLY_DAYS};
use tiercare_core::{Level, Record};
use tiercare_store::{Expect, Stored};
use time::Date;

/// What an enrolment `CarePlan` says; the service checks it against the
/// registry.
pub struct EnrolmentInput {
    pub patient: String,
    pub institution: String,
    pub family_doctor: String,
    pub specialist: String,
    pub programme: Option<String>,
    pub conditions: Vec<tiercare_core::outreach::PanelCondition>,
    pub enrolled: Option<time::Date>,
    pub interval_days: Option<u32>,
}

impl Panels<'_> {
    /// Enrols a patient. The family doctor must hold an active
    /// family-doctor role at the institution, which must be primary care;
    /// the specialist must exist; the programme, when named, must be active
    /// and fit (`PanelEnrolment::validate`).
    pub async fn enrol(
        &self,
        input: EnrolmentInput,
    ) -> Result<Versioned<PanelEnrolment>, ServiceError> {
        let patient = input.patient.clone();
        let refuse = |e: ServiceError| (("create", "CarePlan"), patient.clone(), e);
        let enrolment = PanelEnrolment {
            id: crate::typed_id(&new_id(), "CarePlan.id")?,
            patient: crate::typed_id(&input.patient, "CarePlan.subject")?,
            institution: crate::typed_id(
                &input.institution,
                "CarePlan.contained.CareTeam.managingOrganization",
            )?,
            family_doctor: crate::typed_id(&input.family_doctor, "CarePlan.careTeam")?,
            specialist: crate::typed_id(&input.specialist, "CarePlan.careTeam")?,
            programme: input
                .programme
                .as_deref()
                .map(|p| crate::typed_id(p, "CarePlan.extension"))
                .transpose()?,
            conditions: input.conditions,
            enrolled: input.enrolled.unwrap_or_else(|| self.ctx.clock.today()),
            interval_days: input.interval_days.unwrap_or(QUARTERLY_DAYS),
            ended: None,
        };
        if !self.may_manage(&enrolment).await? {
            let err = ServiceError::Forbidden(
                "patients are enrolled by the primary side: the family doctor, staff of the primary institution or the patient's contracted team".into(),
            );
            return Err(self.refused(refuse(err)).await);
        }
        if let Err(e) = self.check_registry(&enrolment).await {
            return Err(self.refused(refuse(e)).await);
        }
        let programme = match &enrolment.programme {
            None => None,
            Some(p) => match self.ctx.store.get("HealthcareService", p.as_str()).await? {
                Some(Stored {
                    record: Record::Programme(p),
                    ..
                }) => {
                    if p.status != ProgrammeStatus::Active
                        || p.end.is_some_and(|end| enrolment.enrolled > end)
                        || enrolment.enrolled < p.start
                    {
                        let err = ServiceError::rule(
                            "CarePlan.extension",
                            format!("programme {} is not running on the day of enrolment", p.id),
                        );
                        return Err(self.refused(refuse(err)).await);
                    }
                    Some(p)
                }
                _ => {
                    let err = ServiceError::rule(
                        "CarePlan.extension",
                        format!("HealthcareService/{p} is not a programme"),
                    );
                    return Err(self.refused(refuse(err)).await);
                }
            },
        };
        let event = match enrolment
            .clone()
            .enrol(programme.as_ref(), self.ctx.clock.now())
        {
            Ok(e) => e,
            Err(e) => return Err(self.refused(refuse(core_error(e, "CarePlan."))).await),
        };
        let record = Record::PanelEnrolment(enrolment.clone());
        let (version, updated_at) = self
            .write(record, Expect::New, event, &enrolment, "create", "enrolled")
            .await?;
        Ok(Versioned {
            value: enrolment,
            version,
            updated_at,
        })
    }

    /// Checks the references of a new enrolment against the registry.
    async fn check_registry(&self, e: &PanelEnrolment) -> Result<(), ServiceError> {
        let store = &self.ctx.store;
        if !matches!(
            store.get("Patient", e.patient.as_str()).await?,
            Some(Stored {
                record: Record::Resident(_),
                ..
            })
        ) {
            return Err(ServiceError::rule(
                "CarePlan.subject",
                format!("Patient/{} does not exist", e.patient),
            ));
        }
        match store.get("Organization", e.institution.as_str()).await? {
            Some(Stored {
                record: Record::Institution(i),
                ..
            }) if i.level == Level::Primary => {}
            Some(Stored {
                record: Record::Institution(_),
                ..
            }) => {
                return Err(ServiceError::rule(
                    "CarePlan.contained.CareTeam.managingOrganization",
                    format!(
                        "Organization/{} is not a primary institution: panels are followed up in primary care",
                        e.institution
                    ),
                ));
            }
            _ => {
                return Err(ServiceError::rule(
                    "CarePlan.contained.CareTeam.managingOrganization",
                    format!("Organization/{} is not an institution", e.institution),
                ));
            }
        }
        let roles = store
            .ids_where(
                "PractitionerRole",
                "practitioner",
                &format!("Practitioner/{}", e.family_doctor),
            )
            .await?;
        let mut works_there = false;
        for id in roles {
            if let Some(Stored {
                record: Record::Role(r),
                ..
            }) = store.get("PractitionerRole", &id).await?
                && r.active
                && r.institution == e.institution
                && r.role == PractitionerRoleKind::FamilyDoctor
            {
                works_there = true;
                break;
            }
        }
        if !works_there {
            return Err(ServiceError::rule(
                "CarePlan.careTeam",
                format!(
                    "Practitioner/{} holds no active family-doctor role at Organization/{}",
                    e.family_doctor, e.institution
                ),
            ));
        }
        if !matches!(
            store.get("Practitioner", e.specialist.as_str()).await?,
            Some(Stored {
                record: Record::Practitioner(_),
                ..
            })
        ) {
            return Err(ServiceError::rule(
                "CarePlan.careTeam",
                format!("Practitioner/{} does not exist", e.specialist),
            ));
        }
        Ok(())
    }

    /// Ends an enrolment on `on` (today when not given): the last day the
    /// patient is enrolled.
    pub async fn end(
        &self,
        id: &str,
        on: Option<Date>,
        if_match: Option<u32>,
    ) -> Result<Versioned<PanelEnrolment>, ServiceError> {
        let mut current = self.load(id).await?;
        let e = &current.value;
        if !self.may_manage(e).await? {
            let err = ServiceError::Forbidden(
                "an enrolment is ended by the primary side: the family doctor, staff of the primary institution or the patient's contracted team".into(),
            );
            return Err(self
                .refuse("end", Some(id), Some(e.patient.as_str()), err)
                .await);
        }
        if let Some(v) = if_match
            && v != current.version
        {
            return Err(ServiceError::StaleVersion(format!(
                "CarePlan/{id} is at version {}, not {v}; reload and try again",
                current.version
            )));
        }
        if e.ended.is_some() {
            let err = ServiceError::Conflict(format!("CarePlan/{id} has already ended"));
            return Err(self
                .refuse("end", Some(id), Some(e.patient.as_str()), err)
                .await);
        }
        let on = on.unwrap_or_else(|| self.ctx.clock.today());
        let mut ended = e.clone();
        ended.ended = Some(on);
        if let Err(err) = ended.validate(None) {
            let err = core_error(err, "CarePlan.");
            return Err(self
                .refuse("end", Some(id), Some(e.patient.as_str()), err)
                .await);
        }
        // The core has no "ended" event of its own: the enrolment is
        // recorded again, ended, as what was enrolled.
        let event = OutreachEvent::Enrolled {
            enrolment: Box::new(ended.clone()),
            at: self.ctx.clock.now(),
        };
        let (version, updated_at) = self
            .write(
                Record::PanelEnrolment(ended.clone()),
                Expect::Version(current.version),
                event,
                &ended,
                "end",
                "enrolment ended",
            )
            .await?;
        current.value = ended;
        current.version = version;
        current.updated_at = updated_at;
        Ok(current)
    }
}
