//! The page's tables, by key: the measures over the period, month by
//! month, per programme, per specialist, per family doctor, and the
//! capability mentoring added. Built once as [`Table`]s, so the page and
//! the CSV download show the same rows and columns.

use super::filters::subject_code;
use super::report::Report;
use crate::charts::Format;
use crate::dashboard::show_date;
use crate::tables::{Cell, Column, Row, Table};
use tiercare_core::indicators::MeasureDef;
use tiercare_core::indicators::measures::Scoring;
use tiercare_core::outreach::evaluation::{EvaluationSubject, Figures, OUTREACH_MEASURES};

pub(super) fn format_of(m: &MeasureDef<Figures>) -> Format {
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

pub(super) fn table(r: &Report, key: &str) -> Option<Table> {
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
