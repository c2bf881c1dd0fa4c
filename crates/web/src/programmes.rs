//! The evaluation page of joint programmes: whether hospitals keep their
//! outreach commitments, which side cancels, what the sessions and the
//! mentoring achieve and how the co-managed panels are controlled, for a
//! programme, a hospital, a primary institution, an alliance, a specialist
//! or a family doctor, month by month.
//!
//! Every figure is the core's evaluation
//! ([`tiercare_core::outreach::evaluation`]) over the stored records, as
//! `Measure/{code}/$evaluate-measure` reports it; the page names no
//! patient. Administrators and analysts see every subject, staff the
//! subjects [`tiercare_service::evaluation::may_see`] allows them.

use super::charts::Format;
use super::page::{
    CellView, Choice, ChoiceGroup, Download, Panel, RowView, TableView, measure_panel,
};
use super::session::Viewer;
use super::tables::{Cell, Column, Row, Table, csv_response};
use super::{Chrome, UiError, render};
use crate::dashboard::show_date;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::InstitutionId;
use tiercare_core::Record;
use tiercare_core::access::UserRole;
use tiercare_core::indicators::MeasureDef;
use tiercare_core::indicators::measures::Scoring;
use tiercare_core::outreach::capability;
use tiercare_core::outreach::evaluation::{
    EvaluationSubject, Figures, OUTREACH_MEASURES, evaluate_many, subjects,
};
use tiercare_service::evaluation::{OutreachRecords, may_see};
use tiercare_store::Stored;
use time::{Date, Month};

/// The page.
pub const PATH: &str = "/ui/programmes";
/// A table of the page as CSV.
pub const CSV_PATH: &str = "/ui/programmes.csv";

/// Every table, by key, in page order.
pub const KEYS: [&str; 6] = [
    "measures",
    "months",
    "programmes",
    "specialists",
    "family-doctors",
    "capability",
];

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The query string of the page and its downloads.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    subject: Option<String>,
    table: Option<String>,
}

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
struct Filters {
    from: Date,
    to: Date,
    subject: EvaluationSubject,
}

impl Filters {
    fn query(&self, extra: &[(&str, &str)]) -> String {
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
fn default_subject(viewer: &Viewer, records: &OutreachRecords) -> EvaluationSubject {
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

fn parse_filters(p: &Params, today: Date, fallback: EvaluationSubject) -> Result<Filters, UiError> {
    let date = |field: &str, v: &Option<String>| -> Result<Option<Date>, UiError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Date::parse(s, DATE).map(Some).map_err(|_| {
                UiError::BadRequest(format!("{field} must be a date written YYYY-MM-DD"))
            }),
        }
    };
    let to = date("to", &p.to)?.unwrap_or(today);
    let from = match date("from", &p.from)? {
        Some(d) => d,
        // Twelve calendar months up to `to`.
        None => {
            let (y, m) = (to.year() - 1, to.month().next());
            let y = if m == Month::January { y + 1 } else { y };
            Date::from_calendar_date(y, m, 1)
                .map_err(|_| UiError::BadRequest("to is out of range".into()))?
        }
    };
    if from > to {
        return Err(UiError::BadRequest("from must not be after to".into()));
    }
    if (to - from).whole_days() > 3660 {
        return Err(UiError::BadRequest(
            "the period may be at most 3660 days long".into(),
        ));
    }
    let subject = match p.subject.as_deref().filter(|s| !s.is_empty()) {
        None => fallback,
        Some(s) => parse_subject(s)
            .ok_or_else(|| UiError::BadRequest(format!("{s:?} is not a subject")))?,
    };
    Ok(Filters { from, to, subject })
}

/// Names of institutions, alliances, practitioners and programmes.
struct Names {
    of: HashMap<String, String>,
}

impl Names {
    async fn load(state: &AppState, records: &OutreachRecords) -> Result<Names, UiError> {
        let network = tiercare_service::indicators::network(&state.ctx).await?;
        let mut of: HashMap<String, String> = HashMap::new();
        for (id, name) in network.institutions.iter().zip(&network.names) {
            of.insert(format!("org:{id}"), name.clone());
        }
        for (id, name) in network.alliances.iter().zip(&network.alliance_names) {
            of.insert(format!("org:{id}"), name.clone());
        }
        let mut people: Vec<&str> = Vec::new();
        for p in &records.programmes {
            people.extend(p.specialists.iter().map(|s| s.as_str()));
        }
        for m in &records.mentorships {
            people.push(m.specialist.as_str());
            people.extend(m.family_doctors.iter().map(|s| s.as_str()));
        }
        for e in &records.enrolments {
            people.push(e.specialist.as_str());
            people.push(e.family_doctor.as_str());
        }
        people.sort_unstable();
        people.dedup();
        for id in people {
            if let Some(Stored {
                record: Record::Practitioner(p),
                ..
            }) = state.ctx.store.get("Practitioner", id).await?
            {
                of.insert(format!("person:{id}"), p.name.full());
            }
        }
        let mut names = Names { of };
        for p in &records.programmes {
            let label = format!(
                "{} {} at {}",
                names.org(p.hospital.as_str()),
                p.department.display(),
                names.org(p.primary.as_str())
            );
            names.of.insert(format!("programme:{}", p.id), label);
        }
        Ok(names)
    }

    fn org(&self, id: &str) -> String {
        self.of
            .get(&format!("org:{id}"))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn person(&self, id: &str) -> String {
        self.of
            .get(&format!("person:{id}"))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn subject(&self, s: &EvaluationSubject, region: &str) -> String {
        match s {
            EvaluationSubject::Region => region.to_string(),
            EvaluationSubject::Programme(id) => self
                .of
                .get(&format!("programme:{id}"))
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            EvaluationSubject::Hospital(id) | EvaluationSubject::Primary(id) => {
                self.org(id.as_str())
            }
            EvaluationSubject::Alliance(id) => self.org(id.as_str()),
            EvaluationSubject::Specialist(id) | EvaluationSubject::FamilyDoctor(id) => {
                self.person(id.as_str())
            }
        }
    }
}

/// Everything the page shows.
struct Report {
    filters: Filters,
    label: String,
    total: Figures,
    months: Vec<(String, Figures)>,
    /// The rows of the per-party tables: (subject, its name, figures).
    programmes: Vec<(EvaluationSubject, String, Figures)>,
    specialists: Vec<(EvaluationSubject, String, Figures)>,
    family_doctors: Vec<(EvaluationSubject, String, Figures)>,
    choices: Vec<(EvaluationSubject, String)>,
    /// What mentoring added to the subject's primary institutions by the
    /// period's end: (institution, its name, condition, doctors recognised,
    /// first recognised).
    capability: Vec<(String, String, String, u32, Date)>,
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

async fn build(state: &AppState, viewer: &Viewer, p: &Params) -> Result<Report, UiError> {
    let records = OutreachRecords::load(&state.ctx).await?;
    let today = state.ctx.clock.today();
    let filters = parse_filters(p, today, default_subject(viewer, &records))?;
    let forbidden = || UiError::Forbidden(Box::new(viewer.chrome(state)));
    may_see(&viewer.actor, &records, &filters.subject).map_err(|_| forbidden())?;
    let names = Names::load(state, &records).await?;
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
        .map_err(|e| UiError::BadRequest(e.to_string()))?;
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
    let mut choices: Vec<(EvaluationSubject, String)> = std::iter::once(EvaluationSubject::Region)
        .chain(all)
        .filter(|s| may_see(&viewer.actor, &records, s).is_ok())
        .map(|s| {
            let n = names.subject(&s, &state.ctx.region_name);
            (s, n)
        })
        .collect();
    choices.dedup_by(|a, b| a.0 == b.0);
    let capability = capability_rows(&records, &filters, &names);
    Ok(Report {
        capability,
        label: names.subject(&filters.subject, &state.ctx.region_name),
        months: main
            .months
            .iter()
            .map(|m| {
                (
                    format!("{}-{:02}", m.month.year(), u8::from(m.month.month())),
                    m.figures.clone(),
                )
            })
            .collect(),
        total: main.total,
        filters,
        programmes,
        specialists,
        family_doctors,
        choices,
    })
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

fn format_of(m: &MeasureDef<Figures>) -> Format {
    match m.scoring {
        Scoring::Proportion => Format::Percent,
        Scoring::Ratio => Format::Decimal,
        Scoring::ContinuousVariable => Format::Count,
    }
}

fn count(n: u32) -> Cell {
    Cell::Figure(Some(f64::from(n)), Format::Count)
}

fn pct(v: Option<f64>) -> Cell {
    Cell::Figure(v, Format::Percent)
}

fn columns(cols: &[(&str, &str)]) -> Vec<Column> {
    cols.iter()
        .map(|(k, l)| Column {
            key: (*k).into(),
            label: (*l).into(),
        })
        .collect()
}

/// The session and panel figures every per-party table shows.
const FIGURE_COLUMNS: &[(&str, &str)] = &[
    ("committed", "Committed"),
    ("scheduled", "Scheduled"),
    ("held", "Held"),
    ("cancelled-hospital", "Cancelled by hospital"),
    ("cancelled-primary", "Cancelled by primary"),
    ("missed", "Missed"),
    ("commitment-kept", "Commitment kept"),
    ("patients-seen", "Patients seen"),
    ("referrals-avoided", "Referrals avoided"),
    ("panel-enrolled", "Panel patients"),
    ("panel-control", "Panel control"),
    ("mentoring-attendances", "Mentoring attendances"),
    ("mentoring-per-doctor", "Mentoring per family doctor"),
];

fn figure_cells(f: &Figures) -> Vec<Cell> {
    vec![
        Cell::Figure(f.committed.map(f64::from), Format::Count),
        count(f.scheduled),
        count(f.held),
        count(f.cancelled_by_hospital),
        count(f.cancelled_by_primary),
        count(f.missed),
        pct(f.commitment_kept),
        count(f.patients_seen),
        count(f.referrals_avoided),
        count(f.panel.enrolled),
        pct(f.panel.rate_of_known),
        count(f.attendances),
        Cell::Figure(f.activities_per_family_doctor, Format::Decimal),
    ]
}

fn party_table(
    key: &'static str,
    title: &'static str,
    note: &'static str,
    first: (&'static str, &'static str),
    rows: &[(EvaluationSubject, String, Figures)],
) -> Table {
    let mut cols = vec![first];
    cols.extend_from_slice(FIGURE_COLUMNS);
    Table {
        key,
        title,
        note,
        columns: columns(&cols),
        rows: rows
            .iter()
            .map(|(s, name, f)| {
                let mut cells = vec![Cell::Coded {
                    code: subject_code(s),
                    label: name.clone(),
                }];
                cells.extend(figure_cells(f));
                Row {
                    key: subject_code(s),
                    cells,
                }
            })
            .collect(),
    }
}

fn table(r: &Report, key: &str) -> Option<Table> {
    Some(match key {
        "measures" => Table {
            key: "measures",
            title: "Measures over the period",
            note: "Each figure as Measure/{code}/$evaluate-measure reports it; n/a where nothing was there to divide by.",
            columns: columns(&[("measure", "Measure"), ("value", "Value")]),
            rows: OUTREACH_MEASURES
                .iter()
                .map(|m| Row {
                    key: m.code.into(),
                    cells: vec![
                        Cell::Coded {
                            code: m.code.into(),
                            label: m.title.into(),
                        },
                        Cell::Figure((m.value)(&r.total), format_of(m)),
                    ],
                })
                .collect(),
        },
        "months" => {
            let mut cols = vec![("month", "Month")];
            cols.extend_from_slice(FIGURE_COLUMNS);
            Table {
                key: "months",
                title: "Month by month",
                note: "Panel figures are taken on each month's last day (or the period's).",
                columns: columns(&cols),
                rows: r
                    .months
                    .iter()
                    .map(|(m, f)| {
                        let mut cells = vec![Cell::Text(m.clone())];
                        cells.extend(figure_cells(f));
                        Row {
                            key: m.clone(),
                            cells,
                        }
                    })
                    .collect(),
            }
        }
        "programmes" => party_table(
            "programmes",
            "Programmes",
            "Each programme under the subject: the hospital department's commitment to the primary institution and what became of it.",
            ("programme", "Programme"),
            &r.programmes,
        ),
        "specialists" => party_table(
            "specialists",
            "Specialists",
            "Each specialist of the subject's programmes: sessions they were to hold, panels they co-manage, family doctors they mentor. A commitment is the hospital's, so specialists have none.",
            ("specialist", "Specialist"),
            &r.specialists,
        ),
        "family-doctors" => party_table(
            "family-doctors",
            "Family doctors",
            "Each family doctor mentored or co-managing a panel in the subject's programmes: the activities they attended and their panel's control.",
            ("family-doctor", "Family doctor"),
            &r.family_doctors,
        ),
        "capability" => Table {
            key: "capability",
            title: "Capability added by mentoring",
            note: "Conditions the family doctors of each primary institution were recognised as managing without referral, by the period's end.",
            columns: columns(&[
                ("institution-id", "Id"),
                ("institution", "Institution"),
                ("condition", "Condition (ICD-10)"),
                ("doctors", "Doctors recognised"),
                ("since", "First recognised"),
            ]),
            rows: r
                .capability
                .iter()
                .map(|(id, name, code, doctors, since)| Row {
                    key: format!("{id}:{code}"),
                    cells: vec![
                        Cell::Text(id.clone()),
                        Cell::Text(name.clone()),
                        Cell::Text(code.clone()),
                        count(*doctors),
                        Cell::Text(show_date(*since)),
                    ],
                })
                .collect(),
        },
        _ => return None,
    })
}

/// The page's template.
#[derive(Template)]
#[template(path = "programmes.html")]
struct ProgrammesPage {
    chrome: Chrome,
    from: String,
    to: String,
    subject_label: String,
    choices: Vec<ChoiceGroup>,
    panels: Vec<Panel>,
    tables: Vec<TableView>,
    downloads: Vec<Download>,
}

fn view(r: &Report, t: Table) -> TableView {
    let csv = format!("{CSV_PATH}?{}", r.filters.query(&[("table", t.key)]));
    TableView {
        link_col: match t.key {
            "programmes" => "programme",
            "specialists" => "specialist",
            "family-doctors" => "family-doctor",
            _ => "",
        },
        key: t.key,
        title: t.title,
        note: t.note,
        csv,
        rows: t
            .rows
            .into_iter()
            .map(|row| {
                let link = match parse_subject(&row.key) {
                    Some(s) => {
                        let f = Filters {
                            subject: s,
                            ..r.filters.clone()
                        };
                        format!("{PATH}?{}", f.query(&[]))
                    }
                    None => String::new(),
                };
                RowView {
                    link,
                    cells: row
                        .cells
                        .iter()
                        .zip(&t.columns)
                        .map(|(c, col)| CellView {
                            col: col.key.clone(),
                            shown: c.shown(),
                            raw: c.raw(),
                            figure: c.is_figure(),
                        })
                        .collect(),
                    key: row.key,
                }
            })
            .collect(),
        columns: t.columns,
    }
}

fn page_of(chrome: Chrome, r: &Report) -> ProgrammesPage {
    let months: Vec<String> = r.months.iter().map(|(m, _)| m.clone()).collect();
    let monthly: Vec<&Figures> = r.months.iter().map(|(_, f)| f).collect();
    let panels = OUTREACH_MEASURES
        .iter()
        .map(|m| {
            let share = m.scoring == Scoring::Proportion;
            measure_panel(m, format_of(m), share, &r.total, &monthly, &months)
        })
        .collect();
    let selected = subject_code(&r.filters.subject);
    let group = |label: &str, pick: fn(&EvaluationSubject) -> bool| ChoiceGroup {
        label: label.into(),
        choices: r
            .choices
            .iter()
            .filter(|(s, _)| pick(s))
            .map(|(s, name)| Choice {
                value: subject_code(s),
                label: name.clone(),
                selected: subject_code(s) == selected,
            })
            .collect(),
    };
    let choices = vec![
        group("Region", |s| matches!(s, EvaluationSubject::Region)),
        group("Programmes", |s| {
            matches!(s, EvaluationSubject::Programme(_))
        }),
        group("Hospitals", |s| matches!(s, EvaluationSubject::Hospital(_))),
        group("Primary institutions", |s| {
            matches!(s, EvaluationSubject::Primary(_))
        }),
        group("Alliances", |s| matches!(s, EvaluationSubject::Alliance(_))),
        group("Specialists", |s| {
            matches!(s, EvaluationSubject::Specialist(_))
        }),
        group("Family doctors", |s| {
            matches!(s, EvaluationSubject::FamilyDoctor(_))
        }),
    ];
    let tables: Vec<TableView> = KEYS
        .iter()
        .filter_map(|k| table(r, k))
        .map(|t| view(r, t))
        .collect();
    let downloads = tables
        .iter()
        .map(|t| Download {
            title: t.title,
            href: t.csv.clone(),
        })
        .collect();
    ProgrammesPage {
        chrome,
        from: show_date(r.filters.from),
        to: show_date(r.filters.to),
        subject_label: r.label.clone(),
        choices,
        panels,
        tables,
        downloads,
    }
}

/// `GET /ui/programmes`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(p) =
        params.map_err(|e| UiError::BadRequest(format!("cannot read the filters: {e}")))?;
    let report = build(&state, &viewer, &p).await?;
    Ok(render(
        StatusCode::OK,
        &page_of(viewer.chrome(&state), &report),
    ))
}

/// `GET /ui/programmes.csv?table=...`.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, UiError> {
    let Query(p) =
        params.map_err(|e| UiError::BadRequest(format!("cannot read the filters: {e}")))?;
    let key = p.table.clone().unwrap_or_default();
    let key =
        KEYS.iter().find(|k| **k == key).copied().ok_or_else(|| {
            UiError::BadRequest(format!("table must be one of {}", KEYS.join(", ")))
        })?;
    let report = build(&state, &viewer, &p).await?;
    let t = table(&report, key)
        .ok_or_else(|| UiError::Internal(format!("table {key} is listed but not built")))?;
    let name = format!(
        "tiercare-programmes-{key}-{}-{}.csv",
        show_date(report.filters.from),
        show_date(report.filters.to)
    );
    csv_response(&name, &t)
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
        )
        .unwrap();
        assert_eq!(f.from, time::macros::date!(2025 - 04 - 01));
        let f = parse_filters(
            &Params::default(),
            time::macros::date!(2026 - 12 - 15),
            EvaluationSubject::Region,
        )
        .unwrap();
        assert_eq!(f.from, time::macros::date!(2026 - 01 - 01));
    }
}
