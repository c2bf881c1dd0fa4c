//! The indicator dashboard: the figures of a period and subject, by month,
//! level and institution, for administrators and analysts.
//!
//! Every figure comes from the core's accumulator over the store's daily
//! aggregates, read once per request ([`tiercare_service::indicators::accumulator`]);
//! the subject's own figures are exactly those of
//! [`tiercare_service::indicators::evaluate`]. The breakdowns a dashboard needs that
//! the core has no subject for (the subject's institutions at one level)
//! are made by giving those institutions an extra alliance position in the
//! request's private copy of the directory, so they too are the core's
//! figures and definitions, never a recomputation here.
//!
//! Only aggregates leave this module: counts, shares and means per region,
//! level, alliance, institution and month, never a patient.

use super::charts::month_code;
use super::filter_form::{Field, FilterForm, Refusal, refused};
use super::session::Viewer;
use super::tables::{self, Table};
use super::{Lang, UiError, page, render};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiercare_api::AppState;
use tiercare_core::Level;
use tiercare_core::emergency::accreditation::Accreditation;
use tiercare_core::indicators::{Indicators, Ix, Period, Subject};
use tiercare_service::emergency::measures::accreditation_of;
use tiercare_service::indicators::{Network, SubjectRef, accumulator, day_of, network};
use time::{Date, Month};

/// The dashboard page.
pub const PATH: &str = "/ui/dashboard";

/// A dashboard table as CSV.
pub const CSV_PATH: &str = "/ui/dashboard.csv";

/// The longest period shown: ten years of months is already more than a
/// chart can show, and bounds the work one request asks for.
const MAX_DAYS: i32 = 3660;

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The query string of the page and of its CSV downloads.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    subject: Option<String>,
    table: Option<String>,
}

/// The period and subject a dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub from: Date,
    pub to: Date,
    pub subject: SubjectRef,
}

/// Reads a subject as the filter form writes it: `region`,
/// `level:primary`, `institution:ID`, `alliance:ID`, `team:ID` or
/// `practitioner:ID`.
pub fn parse_subject(s: &str) -> Option<SubjectRef> {
    match s.split_once(':') {
        None if s == "region" => Some(SubjectRef::Region),
        Some(("level", l)) => Level::from_code(l).map(SubjectRef::Level),
        Some(("institution", id)) if !id.is_empty() => Some(SubjectRef::Institution(id.into())),
        Some(("alliance", id)) if !id.is_empty() => Some(SubjectRef::Alliance(id.into())),
        Some(("team", id)) if !id.is_empty() => Some(SubjectRef::Team(id.into())),
        Some(("practitioner", id)) if !id.is_empty() => Some(SubjectRef::Practitioner(id.into())),
        _ => None,
    }
}

/// The form's name of a subject; [`parse_subject`] reads it back.
pub fn subject_code(s: &SubjectRef) -> String {
    match s {
        SubjectRef::Region => "region".into(),
        SubjectRef::Level(l) => format!("level:{}", l.code()),
        SubjectRef::Institution(id) => format!("institution:{id}"),
        SubjectRef::Alliance(id) => format!("alliance:{id}"),
        SubjectRef::Team(id) => format!("team:{id}"),
        SubjectRef::Practitioner(id) => format!("practitioner:{id}"),
    }
}

/// A date as the filter form writes it.
pub fn show_date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

fn month_start(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

fn next_month(d: Date) -> Option<Date> {
    let (y, m) = match d.month() {
        Month::December => (d.year() + 1, Month::January),
        m => (d.year(), m.next()),
    };
    Date::from_calendar_date(y, m, 1).ok()
}

impl Filters {
    /// Reads the filters; a missing period is the twelve calendar months
    /// up to `today`, a missing subject the region. What cannot be read is
    /// refused in `lang`, naming the field.
    pub fn parse(p: &Params, today: Date, lang: Lang) -> Result<Filters, Refusal> {
        let (from, to) = read_period(lang, &p.from, &p.to, today)?;
        let subject = match p.subject.as_deref().map(str::trim) {
            None | Some("") => SubjectRef::Region,
            Some(s) => parse_subject(s).ok_or_else(|| {
                Refusal::new(
                    Field::Subject,
                    lang.t_with("dashboard-error-subject", &[("subject", s.into())]),
                )
            })?,
        };
        Ok(Filters { from, to, subject })
    }

    pub fn period(&self) -> Period {
        Period::new(day_of(self.from), day_of(self.to))
    }

    /// The query string that selects these filters (for links), with
    /// `extra` pairs first.
    pub fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        q.append_pair("from", &show_date(self.from))
            .append_pair("to", &show_date(self.to))
            .append_pair("subject", &subject_code(&self.subject));
        q.finish()
    }

    /// The calendar months of the period, each cut to the period.
    pub fn months(&self) -> Vec<(String, Period)> {
        let period = self.period();
        let mut out = Vec::new();
        let mut m = month_start(self.from);
        while m <= self.to {
            let next = next_month(m);
            let last = next.map_or(period.last, |n| day_of(n) - 1);
            let month_end = next.and_then(|n| n.previous_day()).unwrap_or(self.to);
            out.push((
                month_code(m, m.max(self.from), month_end.min(self.to)),
                Period::new(day_of(m).max(period.first), last.min(period.last)),
            ));
            match next {
                Some(n) => m = n,
                None => break,
            }
        }
        out
    }
}

/// The period of the filters' `from` and `to`: the twelve calendar
/// months up to `to` when `from` is left out, up to `today` when both
/// are; refused in `lang`, naming the field, when a date is not one or
/// the period runs backwards or is longer than the pages show.
pub fn read_period(
    lang: Lang,
    from: &Option<String>,
    to: &Option<String>,
    today: Date,
) -> Result<(Date, Date), Refusal> {
    let to = read_date(lang, Field::To, to)?.unwrap_or(today);
    let from = match read_date(lang, Field::From, from)? {
        Some(d) => d,
        None => twelve_months_to(to)
            .ok_or_else(|| Refusal::new(Field::To, lang.t("dashboard-error-too-early")))?,
    };
    check_period(lang, from, to)?;
    Ok((from, to))
}

/// A date field of the filters (`From` or `To`), if given; refused in
/// `lang`, by its label, if it is not a date.
pub fn read_date(lang: Lang, field: Field, v: &Option<String>) -> Result<Option<Date>, Refusal> {
    let label = match field {
        Field::From => "dashboard-from",
        _ => "dashboard-to",
    };
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Date::parse(s, DATE).map(Some).map_err(|_| {
            Refusal::new(
                field,
                lang.t_with("dashboard-error-date", &[("field", lang.t(label))]),
            )
        }),
    }
}

/// The first day of the twelve calendar months that end with `to`'s.
pub fn twelve_months_to(to: Date) -> Option<Date> {
    let mut m = month_start(to);
    for _ in 0..11 {
        m = m.previous_day().map(month_start)?;
    }
    Some(m)
}

/// Refuses, in `lang`, a period that ends before it starts or is longer
/// than the pages show.
pub fn check_period(lang: Lang, from: Date, to: Date) -> Result<(), Refusal> {
    if from > to {
        return Err(Refusal::new(Field::Period, lang.t("dashboard-error-order")));
    }
    check_period_days(lang, from, to, MAX_DAYS)
}

/// Refuses, in `lang`, a period longer than `max_days`: the pages' own
/// bound, or the server's `max_period_days` setting.
pub fn check_period_days(lang: Lang, from: Date, to: Date, max_days: i32) -> Result<(), Refusal> {
    if day_of(to) - day_of(from) >= max_days {
        return Err(Refusal::new(
            Field::Period,
            lang.t_with(
                "dashboard-error-too-long",
                &[("days", max_days.to_string())],
            ),
        ));
    }
    Ok(())
}

/// The server's `max_period_days` setting, as the pages count days.
pub fn period_limit(state: &AppState) -> i32 {
    i32::try_from(state.config.limits.max_period_days).unwrap_or(i32::MAX)
}

/// Everything one dashboard shows, computed from one read of the
/// aggregates.
pub struct Dashboard {
    pub filters: Filters,
    /// The subject as people call it.
    pub subject_label: String,
    pub network: Network,
    /// The region's whole network, for the subjects a reader may pick (the
    /// same as `network` unless the subject is a team or a doctor, which
    /// is read as a network of its own).
    pub whole: Network,
    /// The subject's figures over the period: those of
    /// [`tiercare_service::indicators::evaluate`].
    pub indicators: Indicators,
    /// The subject's institutions at each level, in [`Level::ALL`] order.
    pub levels: Vec<Indicators>,
    /// The subject's figures per calendar month.
    pub months: Vec<(String, Indicators)>,
    /// Each of the subject's institutions (its position in the network).
    pub institutions: Vec<(usize, Indicators)>,
    /// The emergency centres' measures of the cases credited to the
    /// subject's institutions (its `region` is the subject's whole).
    pub emergency: Accreditation,
    /// The period begins after today: nothing can have been recorded in
    /// it yet.
    pub future: bool,
}

/// Computes a dashboard; its subject is named in `lang`.
pub async fn build(state: &AppState, filters: Filters, lang: Lang) -> Result<Dashboard, UiError> {
    // The subject list offers teams and doctors: read them with the rest.
    let whole = network(&state.ctx).await?.with_units(&state.ctx).await?;
    let (network, subject) = whole.focus(&filters.subject).ok_or_else(|| {
        UiError::NotFound(lang.t_with(
            "dashboard-error-no-subject",
            &[("subject", subject_code(&filters.subject))],
        ))
    })?;
    // The subject's institutions at level L become members of the extra
    // alliance position `first_group + L`.
    let first_group = network.alliances.len();
    let group = |level: Level| {
        u16::try_from(first_group + level.index())
            .map_err(|_| UiError::Internal("too many alliances to group levels".into()))
    };
    let mut grouped = network.clone();
    for (k, f) in grouped.directory.institutions.iter_mut().enumerate() {
        if subject.includes(Ix(k as u32), f) {
            f.alliances.push(group(f.level)?);
        }
    }
    let period = filters.period();
    let acc = accumulator(&state.ctx, &grouped, period.last).await?;
    let indicators = acc.indicators(period, subject);
    let levels = Level::ALL
        .iter()
        .map(|&l| Ok(acc.indicators(period, Subject::Alliance(group(l)?))))
        .collect::<Result<Vec<_>, UiError>>()?;
    let months = filters
        .months()
        .into_iter()
        .map(|(label, p)| (label, acc.indicators(p, subject)))
        .collect();
    let mut institutions: Vec<(usize, Indicators)> = network
        .directory
        .institutions
        .iter()
        .enumerate()
        .filter(|(k, f)| subject.includes(Ix(*k as u32), f))
        .map(|(k, _)| {
            (
                k,
                acc.indicators(period, Subject::Institution(Ix(k as u32))),
            )
        })
        .collect();
    institutions.sort_by(|(a, _), (b, _)| {
        let level = |k: usize| network.directory.institutions[k].level;
        level(*a)
            .cmp(&level(*b))
            .then_with(|| network.names[*a].cmp(&network.names[*b]))
    });
    let name = match (&filters.subject, subject) {
        (SubjectRef::Region, _) => Some(state.ctx.region_name.to_string()),
        (SubjectRef::Level(l), _) => Some(lang.coded("level", l.code())),
        (_, Subject::Institution(ix)) => network.names.get(ix.0 as usize).cloned(),
        (_, Subject::Alliance(a)) => network.alliance_names.get(usize::from(a)).cloned(),
        (_, _) => None,
    };
    let subject_label = name.unwrap_or_else(|| subject_code(&filters.subject));
    let credited: std::collections::HashSet<&str> = institutions
        .iter()
        .map(|(k, _)| network.institutions[*k].as_str())
        .collect();
    let emergency = accreditation_of(&state.ctx, filters.from, filters.to, |id| {
        credited.contains(id.as_str())
    })
    .await?;
    Ok(Dashboard {
        emergency,
        future: filters.from > state.ctx.clock.today(),
        filters,
        subject_label,
        network,
        whole,
        indicators,
        levels,
        months,
        institutions,
    })
}

/// Reads the viewer's filters after checking they may see the dashboard.
fn filters_of(
    state: &AppState,
    viewer: &Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<(Filters, Params), UiError> {
    viewer.may_see_indicators()?;
    let Query(params) = params.map_err(|_| unreadable(viewer.lang))?;
    let filters = Filters::parse(&params, state.ctx.clock.today(), viewer.lang)?;
    check_period_days(viewer.lang, filters.from, filters.to, period_limit(state))?;
    Ok((filters, params))
}

/// The refusal of a query string that is not the filter form's.
pub fn unreadable(lang: Lang) -> UiError {
    UiError::Refused(Refusal::new(
        Field::Query,
        lang.t("dashboard-error-filters"),
    ))
}

/// `GET /ui/dashboard`: the dashboard page.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let sent = params
        .as_ref()
        .map(|Query(p)| p.clone())
        .unwrap_or_default();
    let refusal = match filters_of(&state, &viewer, params) {
        Ok((filters, _)) => match build(&state, filters, viewer.lang).await {
            Ok(dashboard) => {
                let page = page::DashboardPage::new(viewer.chrome(&state), &dashboard);
                return Ok(render(StatusCode::OK, &page));
            }
            Err(UiError::NotFound(m)) => (StatusCode::NOT_FOUND, Refusal::new(Field::Subject, m)),
            Err(e) => return Err(e),
        },
        Err(UiError::Refused(r)) => (StatusCode::BAD_REQUEST, r),
        Err(e) => return Err(e),
    };
    refused_page(&state, &viewer, &sent, refusal).await
}

/// The dashboard refusing its filters: the frame, the form holding what
/// was sent, the field at fault marked and the refusal naming it.
async fn refused_page(
    state: &AppState,
    viewer: &Viewer,
    sent: &Params,
    (status, refusal): (StatusCode, Refusal),
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let network = network(&state.ctx).await?;
    let subject = sent.subject.as_deref().unwrap_or_default();
    let form = FilterForm::new(
        PATH,
        sent.from.as_deref().unwrap_or_default(),
        sent.to.as_deref().unwrap_or_default(),
        subject,
        page::choices(lang, &network),
    )
    .as_sent(subject);
    let chrome = viewer.chrome(state);
    Ok(refused(
        status,
        &chrome,
        lang.t("nav-indicators"),
        form,
        refusal,
    ))
}

/// `GET /ui/dashboard.csv?table=...`: one of the dashboard's tables as
/// CSV, for the same filters as the page.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let lang = viewer.lang;
    let (filters, params) = filters_of(&state, &viewer, params)?;
    let key = params.table.unwrap_or_default();
    let key = tables::KEYS
        .iter()
        .find(|k| **k == key)
        .copied()
        .ok_or_else(|| {
            UiError::BadRequest(lang.t_with(
                "dashboard-error-table",
                &[("tables", tables::KEYS.join(", "))],
            ))
        })?;
    let dashboard = build(&state, filters, lang).await?;
    let table: Table = tables::table(&dashboard, key, lang)
        .ok_or_else(|| UiError::Internal(format!("table {key} is listed but not built")))?;
    let (from, to) = (
        show_date(dashboard.filters.from),
        show_date(dashboard.filters.to),
    );
    let ascii = format!(
        "tiercare-{key}-{}-{from}-{to}.csv",
        subject_code(&dashboard.filters.subject)
    );
    let name = format!(
        "{}-{}-{}-{from}-{to}.csv",
        lang.t("nav-indicators"),
        table.title,
        dashboard.subject_label
    );
    tables::csv_response(&ascii, &name, &table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn params(from: &str, to: &str, subject: &str) -> Params {
        Params {
            from: Some(from.into()),
            to: Some(to.into()),
            subject: Some(subject.into()),
            table: None,
        }
    }

    #[test]
    fn subjects_read_back_what_the_form_writes() {
        for s in [
            SubjectRef::Region,
            SubjectRef::Level(Level::Secondary),
            SubjectRef::Institution("inst-1".into()),
            SubjectRef::Alliance("all:1".into()),
        ] {
            assert_eq!(parse_subject(&subject_code(&s)), Some(s));
        }
        for bad in ["", "level:quaternary", "institution:", "town:x", "regions"] {
            assert_eq!(parse_subject(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_default_period_is_twelve_months_up_to_today() {
        let f = Filters::parse(&Params::default(), date!(2026 - 03 - 15), Lang::Zh).unwrap();
        assert_eq!(
            (f.from, f.to),
            (date!(2025 - 04 - 01), date!(2026 - 03 - 15))
        );
        assert_eq!(f.subject, SubjectRef::Region);
        assert_eq!(f.months().len(), 12);
    }

    #[test]
    fn months_are_cut_to_the_period() {
        let f = Filters::parse(
            &params("2025-12-10", "2026-02-03", "region"),
            date!(2026 - 06 - 01),
            Lang::En,
        )
        .unwrap();
        let months = f.months();
        let labels: Vec<&str> = months.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["2025-12 (10–31)", "2026-01", "2026-02 (1–3)"]);
        assert_eq!(months[0].1.first, day_of(date!(2025 - 12 - 10)));
        assert_eq!(months[0].1.last, day_of(date!(2025 - 12 - 31)));
        assert_eq!(months[2].1.last, day_of(date!(2026 - 02 - 03)));
    }

    #[test]
    fn bad_filters_are_refused() {
        let today = date!(2026 - 06 - 01);
        for p in [
            params("2026-02-01", "2026-01-01", "region"),
            params("2026-13-01", "2026-12-01", "region"),
            params("2000-01-01", "2026-01-01", "region"),
            params("2026-01-01", "2026-02-01", "level:nowhere"),
        ] {
            assert!(Filters::parse(&p, today, Lang::En).is_err(), "{p:?}");
        }
    }

    #[test]
    fn refusals_are_in_the_readers_language() {
        let today = date!(2026 - 06 - 01);
        let backwards = params("2026-02-01", "2026-01-01", "region");
        for (lang, words) in [
            (Lang::Zh, "开始日期不能晚于结束日期"),
            (Lang::En, "must not be after"),
        ] {
            match Filters::parse(&backwards, today, lang) {
                Err(r) => {
                    assert!(r.message.contains(words), "{r:?}");
                    assert_eq!(r.field, Field::Period);
                }
                other => panic!("{other:?}"),
            }
        }
        match Filters::parse(&params("2026-13-01", "", "region"), today, Lang::Zh) {
            Err(r) => {
                assert!(r.message.contains("开始日期"), "{r:?}");
                assert_eq!(r.field, Field::From);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn links_keep_the_filters() {
        let f = Filters::parse(
            &params("2026-01-01", "2026-01-31", "institution:a&b"),
            date!(2026 - 06 - 01),
            Lang::Zh,
        )
        .unwrap();
        assert_eq!(
            f.query(&[("table", "levels")]),
            "table=levels&from=2026-01-01&to=2026-01-31&subject=institution%3Aa%26b"
        );
    }
}
