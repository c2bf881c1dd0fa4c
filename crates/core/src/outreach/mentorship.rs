//! A specialist mentoring family doctors, and what it leaves behind.
//!
//! Mentoring is only worth its cost if primary care can do more afterwards.
//! So each activity is logged with the doctors and patients it involved,
//! and when a family doctor takes over a condition they used to refer, that
//! is recorded as a [`Competence`]: [`capability`] is the primary
//! institution's reach, grown by mentoring.

use super::{OutreachError, OutreachEvent, Programme, has_duplicates, invalid, within};
use crate::catalogue::IcdCode;
use crate::level::coded_enum;
use crate::{
    ActivityId, InstitutionId, MentorshipId, PractitionerId, ProgrammeId, ReferralId, ResidentId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::{Date, OffsetDateTime};

/// A specialist's mentoring of a group of family doctors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentorship {
    pub id: MentorshipId,
    pub specialist: PractitionerId,
    pub family_doctors: Vec<PractitionerId>,
    /// The programme it belongs to, when the mentoring is part of one.
    pub programme: Option<ProgrammeId>,
    pub started: Date,
    pub ended: Option<Date>,
    /// The conditions its family doctors were recognised as managing
    /// alone: what the mentoring achieved, kept with it.
    #[serde(default)]
    pub competences: Vec<Competence>,
}

coded_enum!(
    /// What kind of mentoring took place.
    ActivityKind {
        /// The family doctor sees patients alongside the specialist.
        JointClinic = "joint-clinic" / "Joint clinic",
        /// A patient's case discussed together, in person or remotely.
        CaseDiscussion = "case-discussion" / "Case discussion",
        /// The family doctor joins the hospital ward round for a patient
        /// they referred up.
        WardRound = "ward-round" / "Ward round",
        /// A lecture or skills session.
        Teaching = "teaching" / "Teaching",
    }
);

/// One mentoring activity, on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorshipActivity {
    pub id: ActivityId,
    pub mentorship: MentorshipId,
    pub kind: ActivityKind,
    pub date: Date,
    /// The mentored doctors who took part: some of the mentorship's.
    pub family_doctors: Vec<PractitionerId>,
    pub patients: Vec<ResidentId>,
    /// The referrals it concerned (a ward round's patient came up by one).
    pub referrals: Vec<ReferralId>,
    pub note: Option<String>,
}

/// A condition a family doctor now manages without referring, thanks to a
/// mentorship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Competence {
    pub doctor: PractitionerId,
    /// Where the doctor practises: the institution whose reach it grows.
    pub institution: InstitutionId,
    pub condition: IcdCode,
    pub since: Date,
    pub mentorship: MentorshipId,
}

impl Mentorship {
    /// Checks the record; with its programme, also that the mentor is one
    /// of the programme's specialists.
    pub fn validate(&self, programme: Option<&Programme>) -> Result<(), OutreachError> {
        if self.family_doctors.is_empty() {
            return Err(invalid("familyDoctor", "mentor at least one family doctor"));
        }
        if has_duplicates(&self.family_doctors) {
            return Err(invalid("familyDoctor", "a family doctor is listed twice"));
        }
        if self.family_doctors.contains(&self.specialist) {
            return Err(invalid(
                "familyDoctor",
                "the specialist cannot mentor themself",
            ));
        }
        if self.ended.is_some_and(|e| e < self.started) {
            return Err(invalid(
                "period.end",
                "the mentorship ends before it starts",
            ));
        }
        if let Some(p) = programme {
            if self.programme.as_ref() != Some(&p.id) {
                return Err(invalid(
                    "programme",
                    format!("the mentorship is not part of programme {}", p.id),
                ));
            }
            if !p.has_specialist(&self.specialist) {
                return Err(invalid(
                    "specialist",
                    format!("not a specialist of programme {}", p.id),
                ));
            }
        }
        Ok(())
    }

    /// Whether the mentorship runs on `day`.
    pub fn active_on(&self, day: Date) -> bool {
        within(day, self.started, self.ended)
    }

    /// Checks an activity against this mentorship and returns its event.
    pub fn log(
        &self,
        activity: MentorshipActivity,
        at: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        if activity.mentorship != self.id {
            return Err(invalid(
                "mentorship",
                format!("the activity belongs to mentorship {}", activity.mentorship),
            ));
        }
        if !self.active_on(activity.date) {
            return Err(invalid(
                "date",
                "outside the mentorship's period".to_string(),
            ));
        }
        if activity.family_doctors.is_empty() {
            return Err(invalid(
                "familyDoctor",
                "name the family doctors who took part",
            ));
        }
        if has_duplicates(&activity.family_doctors) {
            return Err(invalid("familyDoctor", "a family doctor is listed twice"));
        }
        if let Some(d) = activity
            .family_doctors
            .iter()
            .find(|d| !self.family_doctors.contains(d))
        {
            return Err(invalid(
                "familyDoctor",
                format!("Practitioner/{d} is not mentored in {}", self.id),
            ));
        }
        if activity.kind == ActivityKind::WardRound && activity.referrals.is_empty() {
            return Err(invalid(
                "referral",
                "a ward round is for a patient the family doctor referred: name the referral",
            ));
        }
        if activity.note.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return Err(invalid("note", "leave the note out rather than empty"));
        }
        Ok(OutreachEvent::ActivityLogged {
            activity: Box::new(activity),
            at,
        })
    }

    /// Recognises that a mentored family doctor now manages a condition
    /// without referring it.
    pub fn recognise(
        &mut self,
        competence: Competence,
        at: OffsetDateTime,
    ) -> Result<OutreachEvent, OutreachError> {
        if competence.mentorship != self.id {
            return Err(invalid(
                "mentorship",
                format!("the competence was gained in {}", competence.mentorship),
            ));
        }
        if !self.family_doctors.contains(&competence.doctor) {
            return Err(invalid(
                "doctor",
                format!(
                    "Practitioner/{} is not mentored in {}",
                    competence.doctor, self.id
                ),
            ));
        }
        if competence.since < self.started {
            return Err(invalid("since", "before the mentorship started"));
        }
        if self
            .competences
            .iter()
            .any(|c| c.doctor == competence.doctor && c.condition == competence.condition)
        {
            return Err(invalid(
                "condition",
                format!(
                    "Practitioner/{} is already recognised for {}",
                    competence.doctor, competence.condition
                ),
            ));
        }
        self.competences.push(competence.clone());
        Ok(OutreachEvent::CompetenceRecognised { competence, at })
    }
}

/// The conditions `institution`'s family doctors manage without referral
/// on `as_of` because of mentoring: its capability, grown.
pub fn capability(
    competences: &[Competence],
    institution: &InstitutionId,
    as_of: Date,
) -> BTreeSet<IcdCode> {
    competences
        .iter()
        .filter(|c| &c.institution == institution && c.since <= as_of)
        .map(|c| c.condition.clone())
        .collect()
}
