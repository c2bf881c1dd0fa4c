//! The page's filters: the period and the subject read from the query
//! string (with the twelve months to today and the viewer's own subject
//! when they are left out), and the subject codes the filter form and the
//! links write, so that every link and download keeps the same filters.

use super::Params;
use crate::dashboard::{read_period, show_date};
use crate::filter_form::{Field, Refusal};
use crate::i18n::Lang;
use crate::session::Viewer;
use tiercare_core::access::UserRole;
use tiercare_core::outreach::evaluation::EvaluationSubject;
use tiercare_service::evaluation::OutreachRecords;
use time::Date;

/// A subject as the filter form writes it: `region`, `programme:ID`,
/// `hospital:ID`, `primary:ID`, `alliance:ID`, `specialist:ID` or
/// `family-doctor:ID`.
pub fn subject_code(s: &EvaluationSubject) -> String {
    match s {
        EvaluationSubject::Region => "region".into(),
        EvaluationSubject::Programme(id) => format!("programme:{id}"),
        EvaluationSubject::Hospital(id) => format!("hospital:{id}"),
        EvaluationSubject::Primary(id) => format!("primary:{id}"),
        EvaluationSubject::Alliance(id) => format!("alliance:{id}"),
        EvaluationSubject::Specialist(id) => format!("specialist:{id}"),
        EvaluationSubject::FamilyDoctor(id) => format!("family-doctor:{id}"),
    }
}

/// Reads back what [`subject_code`] writes.
pub fn parse_subject(s: &str) -> Option<EvaluationSubject> {
    if s == "region" {
        return Some(EvaluationSubject::Region);
    }
    let (kind, id) = s.split_once(':')?;
    Some(match kind {
        "programme" => EvaluationSubject::Programme(id.parse().ok()?),
        "hospital" => EvaluationSubject::Hospital(id.parse().ok()?),
        "primary" => EvaluationSubject::Primary(id.parse().ok()?),
        "alliance" => EvaluationSubject::Alliance(id.parse().ok()?),
        "specialist" => EvaluationSubject::Specialist(id.parse().ok()?),
        "family-doctor" => EvaluationSubject::FamilyDoctor(id.parse().ok()?),
        _ => return None,
    })
}

/// The period and subject shown.
#[derive(Debug, Clone)]
pub(super) struct Filters {
    pub(super) from: Date,
    pub(super) to: Date,
    pub(super) subject: EvaluationSubject,
}

impl Filters {
    pub(super) fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        q.append_pair("from", &show_date(self.from));
        q.append_pair("to", &show_date(self.to));
        q.append_pair("subject", &subject_code(&self.subject));
        q.finish()
    }
}

/// The subject a viewer sees first: the region for those who see
/// everything, else their own institution, else themselves.
pub(super) fn default_subject(viewer: &Viewer, records: &OutreachRecords) -> EvaluationSubject {
    let a = &viewer.actor;
    if matches!(a.role, UserRole::Admin | UserRole::Analyst) {
        return EvaluationSubject::Region;
    }
    if let Some(home) = &a.institution {
        if records.programmes.iter().any(|p| p.hospital == *home) {
            return EvaluationSubject::Hospital(home.clone());
        }
        if records.programmes.iter().any(|p| p.primary == *home) {
            return EvaluationSubject::Primary(home.clone());
        }
    }
    match &a.practitioner {
        Some(p) if records.programmes.iter().any(|g| g.specialists.contains(p)) => {
            EvaluationSubject::Specialist(p.clone())
        }
        Some(p) => EvaluationSubject::FamilyDoctor(p.clone()),
        None => EvaluationSubject::Region,
    }
}

pub(super) fn parse_filters(
    p: &Params,
    today: Date,
    fallback: EvaluationSubject,
    lang: Lang,
) -> Result<Filters, Refusal> {
    let (from, to) = read_period(lang, &p.from, &p.to, today)?;
    let subject = match p
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => fallback,
        Some(s) => parse_subject(s).ok_or_else(|| {
            Refusal::new(
                Field::Subject,
                lang.t_with("programmes-error-subject", &[("subject", s.into())]),
            )
        })?,
    };
    Ok(Filters { from, to, subject })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_read_back_what_the_form_writes() {
        for s in [
            "region",
            "programme:p1",
            "hospital:zx-h1",
            "primary:zx-tc1",
            "alliance:zx-acm",
            "specialist:pr-1",
            "family-doctor:pr-2",
        ] {
            let parsed = parse_subject(s).unwrap();
            assert_eq!(subject_code(&parsed), s);
        }
        for bad in ["", "programme:", "town:x", "regions", "hospital:bad id"] {
            assert!(parse_subject(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_default_period_is_twelve_months_up_to_today() {
        let f = parse_filters(
            &Params::default(),
            time::macros::date!(2026 - 03 - 15),
            EvaluationSubject::Region,
            Lang::Zh,
        )
        .unwrap();
        assert_eq!(f.from, time::macros::date!(2025 - 04 - 01));
        let f = parse_filters(
            &Params::default(),
            time::macros::date!(2026 - 12 - 15),
            EvaluationSubject::Region,
            Lang::Zh,
        )
        .unwrap();
        assert_eq!(f.from, time::macros::date!(2026 - 01 - 01));
    }
}
