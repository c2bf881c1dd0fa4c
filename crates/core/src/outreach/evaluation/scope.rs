//! Which records count for which subject (see the module's "Subjects").

use super::{EvaluationSubject, Index};
use crate::ProgrammeId;
use crate::outreach::{Mentorship, OutreachSession, PanelEnrolment, Programme};

impl EvaluationSubject {
    /// Whether the subject answers for programmes' commitments: the
    /// hospital promises sessions, not one specialist.
    pub(super) fn has_commitment(&self) -> bool {
        !matches!(
            self,
            EvaluationSubject::Specialist(_) | EvaluationSubject::FamilyDoctor(_)
        )
    }

    /// Whether the programme is the subject's, by its parties.
    pub(super) fn owns_programme(&self, p: &Programme) -> bool {
        match self {
            EvaluationSubject::Region => true,
            EvaluationSubject::Alliance(a) => &p.alliance == a,
            EvaluationSubject::Hospital(h) => &p.hospital == h,
            EvaluationSubject::Primary(i) => &p.primary == i,
            EvaluationSubject::Programme(id) => &p.id == id,
            EvaluationSubject::Specialist(_) | EvaluationSubject::FamilyDoctor(_) => false,
        }
    }
}

impl Index<'_> {
    fn programme_owned(&self, subject: &EvaluationSubject, id: Option<&ProgrammeId>) -> bool {
        id.and_then(|id| self.programmes.get(id))
            .is_some_and(|p| subject.owns_programme(p))
    }

    pub(super) fn session_in(&self, subject: &EvaluationSubject, s: &OutreachSession) -> bool {
        match subject {
            EvaluationSubject::Region => true,
            EvaluationSubject::Specialist(x) => &s.specialist == x,
            EvaluationSubject::FamilyDoctor(_) => false,
            _ => self.programme_owned(subject, Some(&s.programme)),
        }
    }

    pub(super) fn enrolment_in(&self, subject: &EvaluationSubject, e: &PanelEnrolment) -> bool {
        match subject {
            EvaluationSubject::Region => true,
            EvaluationSubject::Primary(i) => &e.institution == i,
            EvaluationSubject::Specialist(x) => &e.specialist == x,
            EvaluationSubject::FamilyDoctor(d) => &e.family_doctor == d,
            _ => self.programme_owned(subject, e.programme.as_ref()),
        }
    }

    pub(super) fn mentorship_in(&self, subject: &EvaluationSubject, m: &Mentorship) -> bool {
        match subject {
            EvaluationSubject::Region => true,
            EvaluationSubject::Specialist(x) => &m.specialist == x,
            EvaluationSubject::FamilyDoctor(d) => m.family_doctors.contains(d),
            _ => self.programme_owned(subject, m.programme.as_ref()),
        }
    }
}
