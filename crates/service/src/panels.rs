//! The co-managed chronic panel service: enrolments (`CarePlan`, category
//! `chronic-panel`), their follow-up measurements (`Observation` based on
//! the plan), control status and the due list.
//!
//! Rules come from `tiercare_core::outreach`; this service looks up what
//! they need (the patient, the institution's level, the family doctor's
//! role there, the specialist, the programme), decides who may see and
//! change a panel, and writes each change with its `OutreachEvent`, its
//! audit entry and a chronic-management snapshot of the institution in one
//! transaction, at `ctx.clock.now()`.
//!
//! # Who sees and changes a panel
//!
//! A panel is shared between primary care and a hospital specialist, so it
//! is seen by both sides, and no further:
//!
//! - administrators: every panel; analysts: none (patient data; they see
//!   the chronic-management indicator only);
//! - the patient: their own (read only);
//! - the primary side: the enrolment's family doctor, staff of the primary
//!   institution that follows the patient up, and the patient's contracted
//!   family-doctor team. They enrol, end and measure (measurements:
//!   doctors only);
//! - the sides of an open referral of the patient see the panel (as they
//!   see the patient's other records while the loop runs), and may
//!   measure, but neither enrol nor end;
//! - the specialist side: a specialist sees the enrolments whose programme
//!   lists them among its specialists (or, without a programme, whose
//!   panel specialist they are), with their measurements, and may record
//!   measurements on them (a joint clinic measures too). Nothing of other
//!   patients is visible through panels; a search by such a specialist is
//!   narrowed to the panels they may see.
//!
//! Every read, search, write and refusal is audited against the patient.
//!
//! # The chronic-management indicator
//!
//! Each enrolment, end and measurement write carries a
//! `Fact::ChronicPanel` snapshot of its institution as of the write's day:
//! `known` the patients enrolled there that day, `followed` those with a
//! measurement within `REGULAR_FOLLOW_UP_DAYS` days. The store turns
//! successive snapshots into changes of the daily aggregates, so the
//! indicator for a period reads the last snapshot of each institution: a
//! snapshot is as fresh as the institution's last panel write (patients
//! whose follow-up lapses without any write there still count as followed
//! until the next write).

use crate::Context;
use crate::ServiceError;
use crate::new_id;
use crate::referrals::Versioned;
use crate::registry::Registry;
use std::collections::{BTreeSet, HashMap};
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::events::Event;
use tiercare_core::indicators::{Fact, REGULAR_FOLLOW_UP_DAYS};
use tiercare_core::network::PractitionerRoleKind;
use tiercare_core::outreach::{
    DueEntry, FollowUpState, Measurement, OutreachError, OutreachEvent, PanelEnrolment,
    PanelStatus, ProgrammeStatus, QUARTERLY_DAYS, Targets, control_status, due_list, next_due,
};
use tiercare_core::{EnrolmentId, Level, Record};
use tiercare_store::{AuditOutcome, Expect, Filter, Match, Query, Stored, Write};
use time::{Date, Duration};

/// A refusal to audit: (action, resource type), patient, error.
type Refusal = ((&'static str, &'static str), String, ServiceError);

/// Panels as seen by one caller.
pub struct Panels<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
}

/// Where one enrolment stands on a day.
#[derive(Debug, Clone)]
pub struct PanelState {
    pub status: PanelStatus,
    pub next_due: Date,
    pub follow_up: FollowUpState,
}

fn exact(param: &str, values: Vec<String>) -> Filter {
    Filter {
        param: param.into(),
        values,
        matching: Match::Exact,
    }
}

/// The category code of a panel enrolment `CarePlan`, which the panel
/// searches filter by.
pub const PANEL_CATEGORY: &str = "chronic-panel";

/// What a measurement `Observation` says, before it is checked against
/// its enrolment.
pub struct MeasurementInput {
    pub enrolment: String,
    pub patient: String,
    pub at: time::OffsetDateTime,
    pub kind: tiercare_core::outreach::MeasurementKind,
}

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

/// How many ids one search names at most (bound values stay well under
/// SQLite's limit).
const IDS_PER_QUERY: usize = 200;

impl<'a> Panels<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Panels { ctx, actor }
    }

    fn registry(&self) -> Registry<'a> {
        Registry::new(self.ctx, self.actor)
    }

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

    /// Records a measurement on an enrolment: same patient, taken while
    /// enrolled and not in the future (the core's `Measurement::record`).
    pub async fn measure(
        &self,
        input: MeasurementInput,
    ) -> Result<Versioned<Measurement>, ServiceError> {
        let enrolment = match self.load(&input.enrolment).await {
            Ok(e) => e.value,
            Err(ServiceError::NotFound(msg)) => {
                let err = ServiceError::rule("Observation.basedOn", msg);
                return Err(self
                    .refused((("create", "Observation"), input.patient.clone(), err))
                    .await);
            }
            Err(e) => return Err(e),
        };
        let patient = enrolment.patient.to_string();
        let refuse = |e: ServiceError| (("create", "Observation"), patient.clone(), e);
        let may = self.actor.role == UserRole::Doctor && self.may_see(&enrolment).await?;
        if !may {
            let err = ServiceError::Forbidden(
                "panel measurements are recorded by doctors of the panel: the primary side or the programme's specialists".into(),
            );
            return Err(self.refused(refuse(err)).await);
        }
        let m = Measurement {
            id: crate::typed_id(&new_id(), "Observation.id")?,
            enrolment: enrolment.id.clone(),
            patient: crate::typed_id(&input.patient, "Observation.subject")?,
            at: input.at,
            kind: input.kind,
        };
        let event = match m.clone().record(&enrolment, self.ctx.clock.now()) {
            Ok(e) => e,
            Err(e) => return Err(self.refused(refuse(core_error(e, "Observation."))).await),
        };
        let (version, updated_at) = self
            .write(
                Record::Measurement(m.clone()),
                Expect::New,
                event,
                &enrolment,
                "create",
                "measured",
            )
            .await?;
        Ok(Versioned {
            value: m,
            version,
            updated_at,
        })
    }

    /// Writes a panel record with its event, its audit entry and the
    /// institution's chronic-management snapshot, in one transaction.
    async fn write(
        &self,
        record: Record,
        expect: Expect,
        event: OutreachEvent,
        enrolment: &PanelEnrolment,
        action: &str,
        detail: &str,
    ) -> Result<(u32, String), ServiceError> {
        let day = self.ctx.clock.today();
        let fact = self.snapshot(enrolment, &record, day).await?;
        let audit = self.registry().audit_entry(
            action,
            record.resource_type(),
            Some(record.id()),
            Some(enrolment.patient.as_str()),
            AuditOutcome::Success,
            detail.to_string(),
        );
        let write = Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events: vec![Event::Outreach(event)],
            facts: vec![fact],
        };
        let stored = self.ctx.store.write_all(vec![write], vec![audit]).await?;
        Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        }))
    }

    /// The chronic-management snapshot of the enrolment's institution as
    /// of `day`, counting `pending` (the record being written) as stored.
    async fn snapshot(
        &self,
        enrolment: &PanelEnrolment,
        pending: &Record,
        day: Date,
    ) -> Result<Fact, ServiceError> {
        let mut enrolments = self
            .all_enrolments(exact(
                "performer",
                vec![format!("Organization/{}", enrolment.institution)],
            ))
            .await?;
        if let Record::PanelEnrolment(p) = pending {
            enrolments.retain(|e| e.id != p.id);
            enrolments.push(p.clone());
        }
        enrolments.retain(|e| e.active_on(day));
        let ids: Vec<&EnrolmentId> = enrolments.iter().map(|e| &e.id).collect();
        let from = day
            .checked_sub(Duration::days(i64::from(REGULAR_FOLLOW_UP_DAYS)))
            .unwrap_or(Date::MIN);
        // Only the window's measurements count, so only they are read: a
        // panel's whole history, read again at every write, made each
        // write cost more than the last.
        let mut measurements = self.measurements_since(&ids, Some(from)).await?;
        if let Record::Measurement(m) = pending {
            measurements.push(m.clone());
        }
        let followed_enrolments: BTreeSet<&EnrolmentId> = measurements
            .iter()
            .filter(|m| (from..=day).contains(&m.at.date()))
            .map(|m| &m.enrolment)
            .collect();
        // Patients, not enrolments: one patient in two panels is one
        // known patient.
        let known: BTreeSet<&str> = enrolments.iter().map(|e| e.patient.as_str()).collect();
        let followed: BTreeSet<&str> = enrolments
            .iter()
            .filter(|e| followed_enrolments.contains(&e.id))
            .map(|e| e.patient.as_str())
            .collect();
        let institution = self
            .ctx
            .store
            .institution_ix(enrolment.institution.as_str())
            .await?;
        Ok(Fact::ChronicPanel {
            day: crate::days::day_of(day),
            institution,
            known: u32::try_from(known.len()).unwrap_or(u32::MAX),
            followed: u32::try_from(followed.len()).unwrap_or(u32::MAX),
        })
    }

    /// Every panel enrolment matching `filter`, page by page.
    async fn all_enrolments(&self, filter: Filter) -> Result<Vec<PanelEnrolment>, ServiceError> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let q = Query {
                resource_type: "CarePlan".into(),
                filters: vec![
                    filter.clone(),
                    exact("category", vec![PANEL_CATEGORY.to_string()]),
                ],
                count: crate::search::MAX_COUNT,
                offset,
            };
            let (found, total) = self.ctx.store.search(&q).await?;
            let n = found.len();
            out.extend(found.into_iter().filter_map(|s| match s.record {
                Record::PanelEnrolment(e) => Some(e),
                _ => None,
            }));
            offset += crate::search::MAX_COUNT;
            if n == 0 || u64::from(offset) >= total {
                return Ok(out);
            }
        }
    }

    /// The measurements of some enrolments.
    async fn measurements_of(
        &self,
        ids: &[&EnrolmentId],
    ) -> Result<Vec<Measurement>, ServiceError> {
        self.measurements_since(ids, None).await
    }

    /// The measurements of some enrolments, only those taken on or after
    /// `since` when it is given.
    async fn measurements_since(
        &self,
        ids: &[&EnrolmentId],
        since: Option<Date>,
    ) -> Result<Vec<Measurement>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut offset = 0;
            loop {
                let mut filters = vec![exact(
                    "panel",
                    chunk.iter().map(|id| format!("CarePlan/{id}")).collect(),
                )];
                // The `date` term is the RFC 3339 instant in the offset it
                // was taken in, so it starts with the same day as
                // `Measurement::at.date()`: comparing it as text with the
                // bare day keeps exactly the measurements of that day on.
                if let Some(since) = since {
                    filters.push(Filter {
                        param: "date".into(),
                        values: vec![crate::days::format_date(since)],
                        matching: Match::AtLeast,
                    });
                }
                let q = Query {
                    resource_type: "Observation".into(),
                    filters,
                    count: crate::search::MAX_COUNT,
                    offset,
                };
                let (found, total) = self.ctx.store.search(&q).await?;
                let n = found.len();
                out.extend(found.into_iter().filter_map(|s| match s.record {
                    Record::Measurement(m) => Some(m),
                    _ => None,
                }));
                offset += crate::search::MAX_COUNT;
                if n == 0 || u64::from(offset) >= total {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn load(&self, id: &str) -> Result<Versioned<PanelEnrolment>, ServiceError> {
        match self.ctx.store.get("CarePlan", id).await? {
            Some(Stored {
                record: Record::PanelEnrolment(value),
                version,
                updated_at,
                ..
            }) => Ok(Versioned {
                value,
                version,
                updated_at,
            }),
            Some(_) => Err(ServiceError::NotFound(format!(
                "CarePlan/{id} is not a panel enrolment"
            ))),
            None => Err(ServiceError::NotFound(format!(
                "CarePlan/{id} does not exist"
            ))),
        }
    }

    /// Where an enrolment stands on `as_of`: control per condition and
    /// overall, the next follow-up and its state (audited as a read).
    pub async fn status(
        &self,
        id: &str,
        as_of: Date,
    ) -> Result<(Versioned<PanelEnrolment>, PanelState), ServiceError> {
        let e = self.load(id).await?;
        let patient = e.value.patient.to_string();
        if !self.may_see(&e.value).await? {
            let err = ServiceError::Forbidden(format!(
                "CarePlan/{id} is seen by the panel's primary side and its programme's specialists only"
            ));
            return Err(self.refuse("read", Some(id), Some(&patient), err).await);
        }
        let state = self.state_of(&e.value, as_of).await?;
        let entry = self.registry().audit_entry(
            "read",
            "CarePlan",
            Some(id),
            Some(&patient),
            AuditOutcome::Success,
            "control status".into(),
        );
        self.registry().audit(vec![entry]).await?;
        Ok((e, state))
    }

    /// The state of an enrolment the caller may see (not audited: the
    /// caller audits the read it belongs to).
    pub async fn state_of(
        &self,
        e: &PanelEnrolment,
        as_of: Date,
    ) -> Result<PanelState, ServiceError> {
        let measurements = self.measurements_of(&[&e.id]).await?;
        // A status as of a past day knows nothing measured after it.
        let known: Vec<Measurement> = measurements
            .into_iter()
            .filter(|m| m.at.date() <= as_of)
            .collect();
        let status = control_status(e, &known, &Targets::default(), as_of);
        let due = next_due(e, &known);
        Ok(PanelState {
            status,
            next_due: due,
            follow_up: FollowUpState::on(due, as_of),
        })
    }

    /// The enrolments due or overdue for a follow-up on `today`, of a
    /// family doctor or of an institution, the most overdue first.
    /// Doctors ask for themselves or their institution, coordinators for
    /// their institution, administrators for anyone. Each entry is audited
    /// against its patient.
    pub async fn due(
        &self,
        practitioner: Option<&str>,
        organization: Option<&str>,
        today: Date,
    ) -> Result<Vec<(PanelEnrolment, DueEntry)>, ServiceError> {
        let filter = match (practitioner, organization) {
            (Some(p), None) => exact("family-doctor", vec![format!("Practitioner/{p}")]),
            (None, Some(o)) => exact("performer", vec![format!("Organization/{o}")]),
            _ => {
                return Err(ServiceError::invalid(
                    "practitioner",
                    "name either the family doctor (practitioner=Practitioner/id) or the institution (organization=Organization/id)",
                ));
            }
        };
        let mine = match self.actor.role {
            UserRole::Admin => true,
            UserRole::Doctor => {
                practitioner.is_some_and(|p| {
                    self.actor.practitioner.as_ref().map(|x| x.as_str()) == Some(p)
                }) || organization
                    .is_some_and(|o| self.actor.institution.as_ref().map(|x| x.as_str()) == Some(o))
            }
            UserRole::Coordinator => organization
                .is_some_and(|o| self.actor.institution.as_ref().map(|x| x.as_str()) == Some(o)),
            UserRole::Analyst | UserRole::Resident => false,
        };
        if !mine {
            let err = ServiceError::Forbidden(
                "a due list is seen by the family doctor it belongs to and staff of the institution".into(),
            );
            return Err(self.refuse("search", None, None, err).await);
        }
        let enrolments = self.all_enrolments(filter).await?;
        let active: Vec<PanelEnrolment> = enrolments
            .into_iter()
            .filter(|e| e.active_on(today))
            .collect();
        let ids: Vec<&EnrolmentId> = active.iter().map(|e| &e.id).collect();
        let measurements: Vec<Measurement> = self
            .measurements_of(&ids)
            .await?
            .into_iter()
            .filter(|m| m.at.date() <= today)
            .collect();
        let list = due_list(&active, &measurements, today);
        let by_id: HashMap<&EnrolmentId, &PanelEnrolment> =
            active.iter().map(|e| (&e.id, e)).collect();
        let out: Vec<(PanelEnrolment, DueEntry)> = list
            .into_iter()
            .filter_map(|d| by_id.get(&d.enrolment).map(|e| ((*e).clone(), d)))
            .collect();
        let mut entries: Vec<_> = out
            .iter()
            .map(|(e, _)| {
                self.registry().audit_entry(
                    "search",
                    "CarePlan",
                    Some(e.id.as_str()),
                    Some(e.patient.as_str()),
                    AuditOutcome::Success,
                    "due list".into(),
                )
            })
            .collect();
        if entries.is_empty() {
            entries.push(self.registry().audit_entry(
                "search",
                "CarePlan",
                None,
                None,
                AuditOutcome::Success,
                "due list: none due".into(),
            ));
        }
        self.registry().audit(entries).await?;
        Ok(out)
    }

    /// Whether the caller may see an enrolment and its measurements (see
    /// the module documentation).
    pub async fn may_see(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        Ok(match self.actor.role {
            UserRole::Admin => true,
            UserRole::Analyst => false,
            UserRole::Resident => self.actor.resident.as_ref() == Some(&e.patient),
            UserRole::Doctor | UserRole::Coordinator => {
                self.may_manage(e).await?
                    || self.is_panel_specialist(e).await?
                    // The sides of an open referral see the patient's
                    // records, panels included, while the loop runs.
                    || self.registry().cares_for(e.patient.as_str()).await?
            }
        })
    }

    /// Whether the caller is on the primary side of the panel (or an
    /// administrator): the family doctor, staff of the institution, or the
    /// patient's contracted team (contract in force).
    async fn may_manage(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        Ok(match self.actor.role {
            UserRole::Admin => true,
            UserRole::Doctor | UserRole::Coordinator => {
                self.actor.practitioner.as_ref() == Some(&e.family_doctor)
                    || self.actor.institution.as_ref() == Some(&e.institution)
                    || self.contracted(e.patient.as_str()).await?
            }
            _ => false,
        })
    }

    /// Whether the patient is contracted to one of the caller's teams.
    async fn contracted(&self, patient: &str) -> Result<bool, ServiceError> {
        let scope = self.registry().patient_scope().await?;
        Ok(match self.ctx.store.get("Patient", patient).await? {
            Some(Stored {
                record: Record::Resident(r),
                ..
            }) => scope.covers(&r, self.ctx.clock.today()),
            _ => false,
        })
    }

    /// Whether the caller is a specialist of the enrolment's programme (or,
    /// without one, its panel specialist).
    async fn is_panel_specialist(&self, e: &PanelEnrolment) -> Result<bool, ServiceError> {
        let Some(me) = &self.actor.practitioner else {
            return Ok(false);
        };
        let Some(programme) = &e.programme else {
            return Ok(*me == e.specialist);
        };
        Ok(
            match self
                .ctx
                .store
                .get("HealthcareService", programme.as_str())
                .await?
            {
                Some(Stored {
                    record: Record::Programme(p),
                    ..
                }) => p.has_specialist(me),
                _ => false,
            },
        )
    }

    /// The patient's enrolments the caller may see, for a search by
    /// someone with no other care relationship to the patient.
    pub async fn visible_enrolments(
        &self,
        patient: &str,
    ) -> Result<Vec<EnrolmentId>, ServiceError> {
        let all = self
            .all_enrolments(exact("patient", vec![format!("Patient/{patient}")]))
            .await?;
        let mut out = Vec::new();
        for e in all {
            if self.may_see(&e).await? {
                out.push(e.id);
            }
        }
        Ok(out)
    }

    /// The enrolment a measurement belongs to.
    pub async fn enrolment_of(
        &self,
        m: &Measurement,
    ) -> Result<Option<PanelEnrolment>, ServiceError> {
        match self.load(m.enrolment.as_str()).await {
            Ok(e) => Ok(Some(e.value)),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Audits a refusal against the patient and hands back its error.
    /// Audits a create refused as bad input (a unit, a malformed element)
    /// against the patient it names, and hands back its error.
    pub async fn refuse_input(
        &self,
        rt: &str,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.refuse_as("create", rt, None, patient, err).await
    }

    async fn refused(&self, ((action, rt), patient, err): Refusal) -> ServiceError {
        self.refuse_as(action, rt, None, Some(&patient), err).await
    }

    async fn refuse(
        &self,
        action: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.refuse_as(action, "CarePlan", id, patient, err).await
    }

    async fn refuse_as(
        &self,
        action: &str,
        rt: &str,
        id: Option<&str>,
        patient: Option<&str>,
        err: ServiceError,
    ) -> ServiceError {
        self.registry().refuse(action, rt, id, patient, err).await
    }
}

/// A core refusal (a rule the record breaks: a programme that does not
/// fit, a measurement of another patient or outside the enrolment): 422,
/// naming the FHIR field. Values and units were checked when parsed (400).
fn core_error(e: OutreachError, prefix: &str) -> ServiceError {
    match e {
        OutreachError::Invalid { field, message } => {
            ServiceError::rule(format!("{prefix}{field}"), format!("{field}: {message}"))
        }
        other => ServiceError::rule(prefix.trim_end_matches('.'), other.to_string()),
    }
}
