//! The page itself: the measure panels with their monthly charts, the
//! subject menu grouped by kind, and each table with links that keep the
//! period and narrow the subject to a row, and its CSV download; every
//! word from `programmes.ftl` in the viewer's language.

use super::filters::{Filters, parse_subject, subject_code};
use super::report::Report;
use super::table::{format_of, table};
use super::{CSV_PATH, KEYS, PATH};
use crate::Chrome;
use crate::dashboard::show_date;
use crate::filter_form::FilterForm;
use crate::notices::nothing_recorded_message;
use crate::page::{
    Choice, ChoiceGroup, Download, Panel, TableView, csv_label, measure_panel, period_words,
    view_of,
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
    heading: String,
    heading_lead: String,
    from: String,
    to: String,
    period: String,
    subject_label: String,
    form: FilterForm,
    /// Nothing recorded: the page says so instead of its figures.
    empty: bool,
    empty_message: String,
    panels: Vec<Panel>,
    tables: Vec<TableView>,
    downloads: Vec<Download>,
}

fn view(r: &Report, t: Table) -> TableView {
    let csv = format!("{CSV_PATH}?{}", r.filters.query(&[("table", t.key)]));
    let link_col = match t.key {
        "programmes" => "programme",
        "specialists" => "specialist",
        "family-doctors" => "family-doctor",
        _ => "",
    };
    let link = |key: &str| match parse_subject(key) {
        Some(s) => {
            let f = Filters {
                subject: s,
                ..r.filters.clone()
            };
            format!("{PATH}?{}", f.query(&[]))
        }
        None => String::new(),
    };
    TableView {
        csv,
        ..view_of(t, r.lang, link_col, link)
    }
}

pub(super) fn page_of(chrome: Chrome, r: &Report) -> ProgrammesPage {
    let lang = r.lang;
    let months: Vec<String> = r.months.iter().map(|(m, _)| m.clone()).collect();
    let monthly: Vec<&Figures> = r.months.iter().map(|(_, f)| f).collect();
    let panels = OUTREACH_MEASURES
        .iter()
        .map(|m| {
            let share = m.scoring == Scoring::Proportion;
            measure_panel(lang, m, format_of(m), share, &r.total, &monthly, &months)
        })
        .collect();
    let tables: Vec<TableView> = KEYS
        .iter()
        .filter_map(|k| table(r, k, lang))
        .map(|t| view(r, t))
        .collect();
    let downloads = tables
        .iter()
        .map(|t| Download {
            title: csv_label(lang, &t.title),
            href: t.csv.clone(),
        })
        .collect();
    ProgrammesPage {
        heading: lang.t_with("programmes-heading", &[("subject", r.label.clone())]),
        heading_lead: lang.t("programmes-heading-lead"),
        chrome,
        from: show_date(r.filters.from),
        to: show_date(r.filters.to),
        period: period_words(lang, r.filters.from, r.filters.to),
        subject_label: r.label.clone(),
        form: FilterForm::new(
            PATH,
            &show_date(r.filters.from),
            &show_date(r.filters.to),
            &subject_code(&r.filters.subject),
            choice_groups(lang, &r.choices),
        ),
        empty: r.empty,
        empty_message: nothing_recorded_message(lang, r.future),
        panels,
        tables,
        downloads,
    }
}

/// The subjects of the filter's drop-down, grouped by kind, none
/// selected yet.
pub(super) fn choice_groups(
    lang: crate::i18n::Lang,
    choices: &[(EvaluationSubject, String)],
) -> Vec<ChoiceGroup> {
    let group = |label: &str, pick: fn(&EvaluationSubject) -> bool| ChoiceGroup {
        label: lang.t(label),
        choices: choices
            .iter()
            .filter(|(s, _)| pick(s))
            .map(|(s, name)| Choice {
                value: subject_code(s),
                label: name.clone(),
                selected: false,
            })
            .collect(),
    };
    vec![
        group("programmes-group-region", |s| {
            matches!(s, EvaluationSubject::Region)
        }),
        group("programmes-group-programmes", |s| {
            matches!(s, EvaluationSubject::Programme(_))
        }),
        group("programmes-group-hospitals", |s| {
            matches!(s, EvaluationSubject::Hospital(_))
        }),
        group("programmes-group-primary", |s| {
            matches!(s, EvaluationSubject::Primary(_))
        }),
        group("programmes-group-alliances", |s| {
            matches!(s, EvaluationSubject::Alliance(_))
        }),
        group("programmes-group-specialists", |s| {
            matches!(s, EvaluationSubject::Specialist(_))
        }),
        group("programmes-group-family-doctors", |s| {
            matches!(s, EvaluationSubject::FamilyDoctor(_))
        }),
    ]
}
