//! The page's report: the stored outreach records loaded, the viewer's
//! right to the subject checked, and the core's evaluation of the subject
//! and of each programme, specialist and family doctor under it, month by
//! month, with the capability mentoring added. Everything the tables and
//! the page show comes from here, so the page and its CSV agree.

use super::Params;
use super::filters::{Filters, default_subject, parse_filters};
use super::names::Names;
use crate::UiError;
use crate::i18n::Lang;
use crate::session::Viewer;
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_core::outreach::capability;
use tiercare_core::outreach::evaluation::{EvaluationSubject, Figures, evaluate_many, subjects};
use tiercare_service::evaluation::{OutreachRecords, may_see};
use time::Date;

/// Everything the page shows.
pub(super) struct Report {
    pub(super) filters: Filters,
    pub(super) label: String,
    pub(super) total: Figures,
    pub(super) months: Vec<(String, Figures)>,
    /// The rows of the per-party tables: (subject, its name, figures).
    pub(super) programmes: Vec<(EvaluationSubject, String, Figures)>,
    pub(super) specialists: Vec<(EvaluationSubject, String, Figures)>,
    pub(super) family_doctors: Vec<(EvaluationSubject, String, Figures)>,
    pub(super) choices: Vec<(EvaluationSubject, String)>,
    /// What mentoring added to the subject's primary institutions by the
    /// period's end: (institution, its name, condition, doctors recognised,
    /// first recognised).
    pub(super) capability: Vec<(String, String, String, u32, Date)>,
    /// The language the names and labels are in.
    pub(super) lang: Lang,
    /// The period begins after today.
    pub(super) future: bool,
    /// Nothing was recorded for the subject in the period (or it has not
    /// begun): the page says so instead of showing figures of zeros.
    pub(super) empty: bool,
}

/// Whether nothing at all was recorded: no session committed, scheduled,
/// held, cancelled or missed, no patient seen, no one enrolled in a
/// panel, no mentoring.
fn nothing_recorded(f: &Figures) -> bool {
    f.committed.unwrap_or(0) == 0
        && f.scheduled == 0
        && f.held == 0
        && f.cancelled_by_hospital == 0
        && f.cancelled_by_primary == 0
        && f.missed == 0
        && f.still_scheduled == 0
        && f.patients_seen == 0
        && f.referrals_avoided == 0
        && f.panel.enrolled == 0
        && f.activities == 0
        && f.attendances == 0
}

/// Whether a per-party row belongs under the chosen subject.
fn within(records: &OutreachRecords, subject: &EvaluationSubject, row: &EvaluationSubject) -> bool {
    let programmes: Vec<&tiercare_core::outreach::Programme> = records
        .programmes
        .iter()
        .filter(|p| match subject {
            EvaluationSubject::Region => true,
            EvaluationSubject::Programme(id) => p.id == *id,
            EvaluationSubject::Hospital(id) => p.hospital == *id,
            EvaluationSubject::Primary(id) => p.primary == *id,
            EvaluationSubject::Alliance(id) => p.alliance == *id,
            EvaluationSubject::Specialist(id) => p.specialists.contains(id),
            EvaluationSubject::FamilyDoctor(_) => false,
        })
        .collect();
    match row {
        EvaluationSubject::Programme(id) => programmes.iter().any(|p| p.id == *id),
        EvaluationSubject::Specialist(id) => {
            matches!(subject, EvaluationSubject::Specialist(s) if s == id)
                || programmes.iter().any(|p| p.specialists.contains(id))
        }
        EvaluationSubject::FamilyDoctor(id) => {
            matches!(subject, EvaluationSubject::FamilyDoctor(s) if s == id)
                || records.mentorships.iter().any(|m| {
                    m.family_doctors.contains(id)
                        && m.programme
                            .as_ref()
                            .is_some_and(|g| programmes.iter().any(|p| p.id == *g))
                })
                || records.enrolments.iter().any(|e| {
                    e.family_doctor == *id
                        && e.programme
                            .as_ref()
                            .is_some_and(|g| programmes.iter().any(|p| p.id == *g))
                })
        }
        _ => false,
    }
}

pub(super) async fn build(
    state: &AppState,
    viewer: &Viewer,
    p: &Params,
) -> Result<Report, UiError> {
    let records = OutreachRecords::load(&state.ctx).await?;
    let today = state.ctx.clock.today();
    let lang = viewer.lang;
    let filters = parse_filters(p, today, default_subject(viewer, &records), lang)?;
    let future = filters.from > today;
    crate::dashboard::check_period_days(
        lang,
        filters.from,
        filters.to,
        crate::dashboard::period_limit(state),
    )?;
    let forbidden = || UiError::Forbidden;
    may_see(&viewer.actor, &records, &filters.subject).map_err(|_| forbidden())?;
    let names = Names::load(state, &records, lang).await?;
    let data = records.data();
    let all = subjects(data);
    let rows: Vec<EvaluationSubject> = all
        .iter()
        .filter(|s| {
            matches!(
                s,
                EvaluationSubject::Programme(_)
                    | EvaluationSubject::Specialist(_)
                    | EvaluationSubject::FamilyDoctor(_)
            ) && within(&records, &filters.subject, s)
                && may_see(&viewer.actor, &records, s).is_ok()
        })
        .cloned()
        .collect();
    let mut wanted = vec![filters.subject.clone()];
    wanted.extend(rows.iter().cloned());
    let evaluations = evaluate_many(data, &wanted, filters.from, filters.to)
        .map_err(|_| UiError::BadRequest(lang.t("dashboard-error-order")))?;
    let mut evaluations = evaluations.into_iter();
    let main = evaluations
        .next()
        .ok_or_else(|| UiError::Internal("no evaluation of the subject".into()))?;
    let (mut programmes, mut specialists, mut family_doctors) = (vec![], vec![], vec![]);
    for e in evaluations {
        let name = names.subject(&e.subject, &state.ctx.region_name);
        let row = (e.subject.clone(), name, e.total);
        match e.subject {
            EvaluationSubject::Programme(_) => programmes.push(row),
            EvaluationSubject::Specialist(_) => specialists.push(row),
            _ => family_doctors.push(row),
        }
    }
    for list in [&mut programmes, &mut specialists, &mut family_doctors] {
        list.sort_by(|a, b| a.1.cmp(&b.1));
    }
    let choices = choices_of(state, viewer, &records, &names, all);
    let capability = capability_rows(&records, &filters, &names);
    Ok(Report {
        capability,
        label: names.subject(&filters.subject, &state.ctx.region_name),
        months: main
            .months
            .iter()
            .map(|m| {
                (
                    crate::charts::month_code(m.month, m.from, m.to),
                    m.figures.clone(),
                )
            })
            .collect(),
        empty: future || nothing_recorded(&main.total),
        future,
        total: main.total,
        filters,
        programmes,
        specialists,
        family_doctors,
        choices,
        lang,
    })
}

/// The subjects `viewer` may choose, the region first, with their names.
fn choices_of(
    state: &AppState,
    viewer: &Viewer,
    records: &OutreachRecords,
    names: &Names,
    all: Vec<EvaluationSubject>,
) -> Vec<(EvaluationSubject, String)> {
    let mut choices: Vec<(EvaluationSubject, String)> = std::iter::once(EvaluationSubject::Region)
        .chain(all)
        .filter(|s| may_see(&viewer.actor, records, s).is_ok())
        .map(|s| {
            let n = names.subject(&s, &state.ctx.region_name);
            (s, n)
        })
        .collect();
    choices.dedup_by(|a, b| a.0 == b.0);
    choices
}

/// The subjects `viewer` may choose, for a page that refuses its
/// filters; refused as the page itself is to a viewer who may not see
/// even their own default subject (a resident), so that a bad filter
/// shows them no more than a good one.
pub(super) async fn choices(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(EvaluationSubject, String)>, UiError> {
    let records = OutreachRecords::load(&state.ctx).await?;
    may_see(&viewer.actor, &records, &default_subject(viewer, &records))
        .map_err(|_| UiError::Forbidden)?;
    let names = Names::load(state, &records, viewer.lang).await?;
    let all = subjects(records.data());
    Ok(choices_of(state, viewer, &records, &names, all))
}

/// The conditions the subject's primary institutions manage thanks to
/// mentoring ([`capability`]), with how many doctors were recognised for
/// each and since when.
fn capability_rows(
    records: &OutreachRecords,
    filters: &Filters,
    names: &Names,
) -> Vec<(String, String, String, u32, Date)> {
    let competences: Vec<_> = records
        .mentorships
        .iter()
        .flat_map(|m| m.competences.iter().cloned())
        .collect();
    let mut primaries: Vec<&InstitutionId> = records
        .programmes
        .iter()
        .filter(|p| {
            within(
                records,
                &filters.subject,
                &EvaluationSubject::Programme(p.id.clone()),
            )
        })
        .map(|p| &p.primary)
        .collect();
    primaries.sort();
    primaries.dedup();
    let mut rows = Vec::new();
    for inst in primaries {
        for condition in capability(&competences, inst, filters.to) {
            let of: Vec<_> = competences
                .iter()
                .filter(|c| c.institution == *inst && c.condition == condition)
                .filter(|c| c.since <= filters.to)
                .collect();
            let since = of.iter().map(|c| c.since).min().unwrap_or(filters.to);
            rows.push((
                inst.to_string(),
                names.org(inst.as_str()),
                condition.to_string(),
                of.len() as u32,
                since,
            ));
        }
    }
    rows
}
