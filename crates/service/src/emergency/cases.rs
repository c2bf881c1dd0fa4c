//! One patient's time-critical emergency, stored: the first contact opens
//! the case (the triage rule picks the destination and the pre-arrival
//! alert is sent), the destination's team acknowledges the alert, either
//! side fills in the clock, and the 30-day outcome closes it.
//!
//! The case bypasses the routine referral loop: no referral is created, no
//! slot or bed is held, nothing waits for the receiving side to accept.
//!
//! It is patient data. Its parties are the staff (doctors, coordinators)
//! of the first-contact institution and of the destination; they and
//! administrators read it, and every read, search, write and refusal is
//! audited against the patient, as for hub readings. A commission's
//! analysts get the measures, which are aggregates, never the cases.
//! Every change is a write at the version read, so of two acknowledgements
//! at once one succeeds and the other is told the case changed.

use super::Emergency;
use super::triage::{Contact, TriageRequest, decide};
use crate::days::LOCAL;
use crate::registry::{Pending, Registry};
use crate::search::{all, exact, query};
use crate::{ServiceError, Versioned};
use tiercare_core::access::UserRole;
use tiercare_core::emergency::{
    Alert, CaseChange, CaseClock, ContactPoint, Emergency as Condition, EmergencyCase,
    EmergencyEvent,
};
use tiercare_core::events::Event;
use tiercare_core::hub::HubKind;
use tiercare_core::{EmergencyCaseId, InstitutionId, ReadingOrderId, Record, ResidentId};
use tiercare_store::{AuditOutcome, Expect, Filter, Query, StoreError, Write};
use time::{Date, OffsetDateTime};

/// The stored type of a case.
pub(super) const RT: &str = "EpisodeOfCare";

/// What the first contact knows when opening a case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub patient: ResidentId,
    pub emergency: Condition,
    pub contact: ContactPoint,
    /// Where the patient is: an institution, or an ambulance's coordinates.
    pub from: Contact,
    /// First medical contact; by default now, never in the future.
    pub first_contact: Option<OffsetDateTime>,
    /// Minutes since symptom onset at the first contact (strokes).
    pub onset_minutes: u32,
    /// A suspected large-vessel occlusion (strokes).
    pub large_vessel: bool,
    /// The first ECG, if already taken.
    pub ecg: Option<OffsetDateTime>,
    /// The hub's remote reading of that ECG, when the trace was sent to
    /// the alliance's ECG centre: its time is the ECG's unless `ecg` says.
    pub ecg_reading: Option<ReadingOrderId>,
}

/// Which cases a list asks for; every criterion narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Cases whose destination is this institution.
    pub destination: Option<InstitutionId>,
    /// Cases this institution sent: first met there, or opened by its
    /// ambulance doctor at the roadside.
    pub from: Option<InstitutionId>,
    /// Cases of this patient.
    pub patient: Option<ResidentId>,
    /// Only cases not yet closed by their outcome.
    pub open_only: bool,
    /// Only cases whose alert waits for its acknowledgement.
    pub alert_waiting: bool,
    /// First contact on or after this day (China Standard Time).
    pub first_contact_from: Option<Date>,
    /// First contact on or before this day (China Standard Time).
    pub first_contact_to: Option<Date>,
}

/// Every case id starts with this, and no referral (hex), follow-up or
/// other Task's id does, so a `Task` id says it is an emergency alert.
pub const CASE_ID_PREFIX: &str = "emg-";

/// A fresh case id: the prefix and 128 random bits.
pub fn new_case_id() -> Result<EmergencyCaseId, ServiceError> {
    EmergencyCaseId::new(format!("{CASE_ID_PREFIX}{}", crate::new_id()))
        .map_err(|e| ServiceError::Unavailable(e.to_string()))
}

/// Who acts on a case: a doctor or coordinator of one of its institutions,
/// or an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Admin,
    From,
    Destination,
}

impl Emergency<'_> {
    fn registry(&self) -> Registry<'_> {
        Registry::new(self.ctx, self.actor)
    }

    /// The sides the caller is on, for a case.
    pub(super) fn sides(&self, case: &EmergencyCase) -> Vec<Side> {
        let a = self.actor;
        if a.role == UserRole::Admin {
            return vec![Side::Admin];
        }
        let staff = matches!(a.role, UserRole::Doctor | UserRole::Coordinator);
        let mut sides = Vec::new();
        if let (true, Some(i)) = (staff, &a.institution) {
            if case.from.as_ref() == Some(i) || case.opened_by.as_ref() == Some(i) {
                sides.push(Side::From);
            }
            if case.destination() == i {
                sides.push(Side::Destination);
            }
        }
        sides
    }

    /// A moment the caller gives: by default now, never in the future.
    pub(super) fn moment(
        &self,
        field: &str,
        at: Option<OffsetDateTime>,
    ) -> Result<OffsetDateTime, ServiceError> {
        let now = self.ctx.clock.now();
        match at {
            None => Ok(now),
            Some(t) if t > now => Err(ServiceError::rule(
                field,
                format!("{field} {t} is in the future; record what has happened"),
            )),
            Some(t) => Ok(t),
        }
    }

    /// Audits a refusal against the patient and hands back its error.
    pub(super) async fn refuse_case(
        &self,
        action: &str,
        id: Option<&str>,
        patient: &str,
        err: ServiceError,
    ) -> ServiceError {
        self.registry()
            .refuse(action, RT, id, Some(patient), err)
            .await
    }

    /// Opens a case: the triage rule decides the destination at the first
    /// contact's moment, and the alert is sent now. A doctor or
    /// coordinator of the first-contact institution opens it (for an
    /// ambulance at the roadside, any doctor or coordinator), or an
    /// administrator.
    pub async fn open_case(&self, new: NewCase) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let patient = new.patient.to_string();
        let a = self.actor;
        let staff = matches!(a.role, UserRole::Doctor | UserRole::Coordinator);
        let allowed = match (&new.from, a.role) {
            (_, UserRole::Admin) => Ok(()),
            (Contact::Institution(i), _) if staff && a.institution.as_ref() == Some(i) => Ok(()),
            (Contact::Institution(i), _) => Err(format!(
                "only staff of Organization/{i}, where the patient is, open the case there"
            )),
            (Contact::Roadside { .. }, _) if staff => Ok(()),
            (Contact::Roadside { .. }, _) => {
                Err("only doctors, coordinators and administrators open emergency cases".into())
            }
        };
        if let Err(reason) = allowed {
            let err = ServiceError::Forbidden(reason);
            return Err(self.refuse_case("create", None, &patient, err).await);
        }
        let checked = self.checked_opening(&new);
        let (first_contact, ecg) = match checked {
            Ok(t) => t,
            Err(e) => return Err(self.refuse_case("create", None, &patient, e).await),
        };
        let ecg = match &new.ecg_reading {
            None => ecg,
            Some(r) => match self.ecg_of_reading(&new, r, first_contact).await {
                Ok(taken) => Some(ecg.unwrap_or(taken)),
                Err(e) => return Err(self.refuse_case("create", None, &patient, e).await),
            },
        };
        let request = TriageRequest {
            emergency: new.emergency,
            from: new.from.clone(),
            onset_minutes: new.onset_minutes,
            large_vessel: new.large_vessel,
            at: Some(first_contact),
        };
        let triage = match decide(self.ctx, &request).await {
            Ok(t) => t,
            Err(e) => return Err(self.refuse_case("create", None, &patient, e).await),
        };
        let now = self.ctx.clock.now();
        let opened_by = match (&new.from, &a.institution) {
            (Contact::Roadside { .. }, Some(i)) if staff => Some(i.clone()),
            _ => None,
        };
        let case = EmergencyCase {
            id: new_case_id()?,
            patient: new.patient,
            emergency: new.emergency,
            contact: new.contact,
            from: match new.from {
                Contact::Institution(i) => Some(i),
                Contact::Roadside { .. } => None,
            },
            decision: triage.decision,
            alert: Alert::Sent { at: now },
            clock: CaseClock {
                first_contact,
                ecg,
                decision: now,
                departure: None,
                door: None,
                treatment: None,
            },
            treated_with: None,
            bypassed_emergency_department: None,
            transfer_out: None,
            outcome: None,
            ecg_reading: new.ecg_reading.clone(),
            opened_by,
            onset_minutes: Some(new.onset_minutes),
        };
        let record = Record::EmergencyCase(Box::new(case.clone()));
        if let Err(e) = self
            .registry()
            .check_references(&record, &Pending::new())
            .await
        {
            return Err(self.refuse_case("create", None, &patient, e).await);
        }
        let event = self.event(
            &case.id,
            CaseChange::Opened {
                case: Box::new(case.clone()),
            },
        );
        let (version, updated_at) = self
            .write(record, Expect::New, event, "create")
            .await
            .map_err(ServiceError::from)?;
        Ok(Versioned {
            value: case,
            version,
            updated_at,
        })
    }

    /// The first contact's moment and the ECG's, checked: neither in the
    /// future, the ECG not before the first contact, and an ambulance's
    /// coordinates only from an ambulance.
    fn checked_opening(
        &self,
        new: &NewCase,
    ) -> Result<(OffsetDateTime, Option<OffsetDateTime>), ServiceError> {
        if matches!(new.from, Contact::Roadside { .. }) && new.contact != ContactPoint::Ambulance {
            return Err(ServiceError::rule(
                "contact-point",
                "a patient met by coordinates alone is met by an ambulance; give from for a village clinic, township or hospital",
            ));
        }
        let first_contact = self.moment("first-contact", new.first_contact)?;
        let ecg = match new.ecg {
            None => None,
            Some(t) => {
                let t = self.moment("ecg", Some(t))?;
                if t < first_contact {
                    return Err(ServiceError::rule(
                        "ecg",
                        "the first ECG cannot come before the first medical contact",
                    ));
                }
                Some(t)
            }
        };
        Ok((first_contact, ecg))
    }

    /// When the first ECG was taken, from the hub's reading of it: an ECG
    /// order for this patient, placed at the institution where the patient
    /// first met the system, not before that first contact (the trace is
    /// sent as it is taken, so the order's moment is the ECG's).
    async fn ecg_of_reading(
        &self,
        new: &NewCase,
        id: &ReadingOrderId,
        first_contact: OffsetDateTime,
    ) -> Result<OffsetDateTime, ServiceError> {
        let refused = |why: String| Err(ServiceError::rule("ecg-reading", why));
        let o = match self.ctx.store.get("ServiceRequest", id.as_str()).await? {
            Some(tiercare_store::Stored {
                record: Record::ReadingOrder(o),
                ..
            }) => o,
            _ => return refused(format!("ServiceRequest/{id} is not a hub reading")),
        };
        if o.kind != HubKind::Ecg {
            return refused(format!(
                "ServiceRequest/{id} is a reading of a {}, not an ECG",
                o.kind.display().to_lowercase()
            ));
        }
        if o.patient != new.patient {
            return refused(format!("ServiceRequest/{id} is another patient's reading"));
        }
        if !matches!(&new.from, Contact::Institution(i) if *i == o.from) {
            return refused(format!(
                "ServiceRequest/{id} was ordered at Organization/{}, not where the patient first met the system",
                o.from
            ));
        }
        if o.ordered_at < first_contact {
            return refused(format!(
                "ServiceRequest/{id} was sent before the first medical contact"
            ));
        }
        Ok(o.ordered_at)
    }

    pub(super) fn event(&self, case: &EmergencyCaseId, change: CaseChange) -> EmergencyEvent {
        EmergencyEvent {
            case: case.clone(),
            at: self.ctx.clock.now(),
            by: self.actor.username.clone(),
            change,
        }
    }

    /// Writes a case with its event and the caller's success audit entry in
    /// one transaction; the store's error is kept so a lost race shows.
    pub(super) async fn write(
        &self,
        record: Record,
        expect: Expect,
        event: EmergencyEvent,
        action: &str,
    ) -> Result<(u32, String), StoreError> {
        let audit = vec![self.registry().audit_entry(
            action,
            RT,
            Some(record.id()),
            record.patient().map(|p| p.as_str()),
            AuditOutcome::Success,
            event.kind().to_string(),
        )];
        let mut writes = vec![Write {
            index: self.ctx.terms_of(&record),
            record,
            expect,
            actor: self.actor.username.clone(),
            events: vec![Event::Emergency(event)],
            facts: Vec::new(),
        }];
        crate::facts::derive(self.ctx, self.actor, &mut writes).await?;
        let stored = self.ctx.store.write_all(writes, audit).await?;
        Ok(stored.first().map_or((1, tiercare_store::now_text()), |s| {
            (s.version, s.updated_at.clone())
        }))
    }

    pub(super) async fn load_case(
        &self,
        id: &str,
    ) -> Result<Versioned<EmergencyCase>, ServiceError> {
        crate::load_as(&self.ctx.store, RT, id, |r| match r {
            Record::EmergencyCase(c) => Some(*c),
            _ => None,
        })
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{RT}/{id} does not exist")))
    }

    /// Reads a case: its parties and administrators; audited. Anyone else
    /// is answered as for a case that does not exist.
    pub async fn read_case(&self, id: &str) -> Result<Versioned<EmergencyCase>, ServiceError> {
        let case = self.load_case(id).await?;
        let patient = case.value.patient.to_string();
        if self.sides(&case.value).is_empty() {
            let hidden = ServiceError::NotFound(format!("{RT}/{id} does not exist"));
            let refusal = (AuditOutcome::Denied, hidden);
            return Err(self
                .registry()
                .refused("read", RT, Some(id), Some(&patient), refusal)
                .await);
        }
        let entry = self.registry().audit_entry(
            "read",
            RT,
            Some(id),
            Some(&patient),
            AuditOutcome::Success,
            String::new(),
        );
        self.registry().audit(vec![entry]).await?;
        Ok(case)
    }

    /// The cases `filter` asks for that the caller may see (administrators
    /// all, staff those their institution is a party to; anyone else is
    /// refused), by first contact, newest first. Each case shown is
    /// audited against its patient.
    pub async fn cases(
        &self,
        filter: &CaseFilter,
    ) -> Result<Vec<Versioned<EmergencyCase>>, ServiceError> {
        let mut filters: Vec<Filter> = self.scope().await?.into_iter().collect();
        if let Some(d) = &filter.destination {
            filters.push(exact("organization", format!("Organization/{d}")));
        }
        if let Some(f) = &filter.from {
            filters.push(exact("sender", format!("Organization/{f}")));
        }
        if let Some(p) = &filter.patient {
            filters.push(exact("patient", format!("Patient/{p}")));
        }
        if filter.open_only {
            filters.push(exact("status", "active"));
        }
        if filter.alert_waiting {
            filters.push(exact("alert", "requested"));
        }
        let found = all(&self.ctx.store, query(RT, filters)).await?;
        let day = |t: OffsetDateTime| t.to_offset(LOCAL).date();
        let mut cases: Vec<Versioned<EmergencyCase>> = found
            .into_iter()
            .filter_map(|s| {
                Versioned::picked(s, |r| match r {
                    Record::EmergencyCase(c) => Some(*c),
                    _ => None,
                })
            })
            .filter(|c| {
                let d = day(c.value.clock.first_contact);
                filter.first_contact_from.is_none_or(|f| d >= f)
                    && filter.first_contact_to.is_none_or(|t| d <= t)
            })
            .collect();
        cases.sort_by(|x, y| {
            (y.value.clock.first_contact, &y.value.id)
                .cmp(&(x.value.clock.first_contact, &x.value.id))
        });
        self.audit_found(&cases).await?;
        Ok(cases)
    }

    /// The filter that keeps a search to the cases the caller may see:
    /// none for administrators, `party` their institution for staff;
    /// anyone else is refused (audited).
    async fn scope(&self) -> Result<Option<Filter>, ServiceError> {
        let a = self.actor;
        match (a.role, &a.institution) {
            (UserRole::Admin, _) => Ok(None),
            (UserRole::Doctor | UserRole::Coordinator, Some(i)) => {
                Ok(Some(exact("party", format!("Organization/{i}"))))
            }
            _ => {
                let err = ServiceError::Forbidden(
                    "emergency cases are shown to the staff of their institutions and administrators; the measures give the aggregates".into(),
                );
                Err(self.registry().refuse("search", RT, None, None, err).await)
            }
        }
    }

    /// Audits each case shown by a search against its patient.
    async fn audit_found(&self, cases: &[Versioned<EmergencyCase>]) -> Result<(), ServiceError> {
        let registry = self.registry();
        let audit = cases
            .iter()
            .map(|c| {
                registry.audit_entry(
                    "search",
                    RT,
                    Some(c.value.id.as_str()),
                    Some(c.value.patient.as_str()),
                    AuditOutcome::Success,
                    String::new(),
                )
            })
            .collect();
        registry.audit(audit).await
    }

    /// A search of cases by the store's terms (an `EpisodeOfCare` search,
    /// or a `Task` search of the alerts), one page, kept to what the
    /// caller may see; each case found is audited. Returns the page and
    /// the total the caller may see.
    pub async fn search_cases(
        &self,
        mut q: Query,
    ) -> Result<(Vec<Versioned<EmergencyCase>>, u64), ServiceError> {
        q.filters.extend(self.scope().await?);
        q.resource_type = RT.into();
        let (found, total) = self.ctx.store.search(&q).await?;
        let cases: Vec<Versioned<EmergencyCase>> = found
            .into_iter()
            .filter_map(|s| {
                Versioned::picked(s, |r| match r {
                    Record::EmergencyCase(c) => Some(*c),
                    _ => None,
                })
            })
            .collect();
        self.audit_found(&cases).await?;
        Ok((cases, total))
    }
}
