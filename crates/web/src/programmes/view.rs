//! The page itself: the measure panels with their monthly charts, the
//! subject menu grouped by kind, and each table with links that keep the
//! period and narrow the subject to a row, and its CSV download.

use super::filters::{Filters, parse_subject, subject_code};
use super::report::Report;
use super::table::{format_of, table};
use super::{CSV_PATH, KEYS, PATH};
use crate::Chrome;
use crate::dashboard::show_date;
use crate::page::{
    CellView, Choice, ChoiceGroup, Download, Panel, RowView, TableView, measure_panel,
};
use crate::tables::Table;
use askama::Template;
use tiercare_core::indicators::measures::Scoring;
use tiercare_core::outreach::evaluation::{EvaluationSubject, Figures, OUTREACH_MEASURES};

/// The page's template.
#[derive(Template)]
#[template(path = "programmes.html")]
pub(super) struct ProgrammesPage {
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

pub(super) fn page_of(chrome: Chrome, r: &Report) -> ProgrammesPage {
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
