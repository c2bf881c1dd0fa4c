//! The page's tables, by key: the measures over the period, month by
//! month, per programme, per specialist, per family doctor, and the
//! capability mentoring added. Built once as [`Table`]s in the reader's
//! language, so the page and the CSV download show the same rows and
//! columns.

use super::filters::subject_code;
use super::report::Report;
use crate::charts::Format;
use crate::dashboard::show_date;
use crate::i18n::Lang;
use crate::names;
use crate::tables::{Cell, Column, Row, Table, measure_title, month_cell};
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

/// The heading of column `key`: `programmes-col-<key>`.
pub fn column_label(lang: Lang, key: &str) -> String {
    lang.t(&format!("programmes-col-{key}"))
}

fn columns(lang: Lang, keys: &[&str]) -> Vec<Column> {
    keys.iter()
        .map(|k| Column {
            key: (*k).into(),
            label: column_label(lang, k),
        })
        .collect()
}

/// A table with its title and note, `programmes-table-<key>` and its
/// `-note`.
fn titled(lang: Lang, key: &'static str, keys: &[&str], rows: Vec<Row>) -> Table {
    Table {
        key,
        title: lang.t(&format!("programmes-table-{key}")),
        note: lang.t(&format!("programmes-table-{key}-note")),
        columns: columns(lang, keys),
        rows,
    }
}

/// The session and panel figures every per-party table shows.
pub(super) const FIGURE_COLUMNS: &[&str] = &[
    "committed",
    "scheduled",
    "held",
    "cancelled-hospital",
    "cancelled-primary",
    "missed",
    "commitment-kept",
    "patients-seen",
    "referrals-avoided",
    "panel-enrolled",
    "panel-control",
    "mentoring-attendances",
    "mentoring-per-doctor",
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
    lang: Lang,
    key: &'static str,
    first: &'static str,
    rows: &[(EvaluationSubject, String, Figures)],
) -> Table {
    let mut keys = vec![first];
    keys.extend_from_slice(FIGURE_COLUMNS);
    titled(
        lang,
        key,
        &keys,
        rows.iter()
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
    )
}

pub(super) fn table(r: &Report, key: &str, lang: Lang) -> Option<Table> {
    Some(match key {
        "measures" => titled(
            lang,
            "measures",
            &["measure", "value"],
            OUTREACH_MEASURES
                .iter()
                .map(|m| Row {
                    key: m.code.into(),
                    cells: vec![
                        Cell::Coded {
                            code: m.code.into(),
                            label: measure_title(lang, m.code),
                        },
                        Cell::Figure((m.value)(&r.total), format_of(m)),
                    ],
                })
                .collect(),
        ),
        "months" => {
            let mut keys = vec!["month"];
            keys.extend_from_slice(FIGURE_COLUMNS);
            titled(
                lang,
                "months",
                &keys,
                r.months
                    .iter()
                    .map(|(m, f)| {
                        let mut cells = vec![month_cell(lang, m)];
                        cells.extend(figure_cells(f));
                        Row {
                            key: m.clone(),
                            cells,
                        }
                    })
                    .collect(),
            )
        }
        "programmes" => party_table(lang, "programmes", "programme", &r.programmes),
        "specialists" => party_table(lang, "specialists", "specialist", &r.specialists),
        "family-doctors" => party_table(lang, "family-doctors", "family-doctor", &r.family_doctors),
        "capability" => titled(
            lang,
            "capability",
            &[
                "institution-id",
                "institution",
                "condition",
                "doctors",
                "since",
            ],
            r.capability
                .iter()
                .map(|(id, name, code, doctors, since)| Row {
                    key: format!("{id}:{code}"),
                    cells: vec![
                        Cell::Text(id.clone()),
                        Cell::Text(name.clone()),
                        Cell::Coded {
                            code: code.clone(),
                            label: names::condition(lang, code),
                        },
                        count(*doctors),
                        Cell::Coded {
                            code: show_date(*since),
                            label: lang.date(*since),
                        },
                    ],
                })
                .collect(),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::tests::defines;

    /// The other columns.
    const OTHER_COLUMNS: &[&str] = &[
        "measure",
        "value",
        "month",
        "programme",
        "specialist",
        "family-doctor",
        "institution-id",
        "institution",
        "condition",
        "doctors",
        "since",
    ];

    #[test]
    fn every_heading_and_table_has_words_in_both_languages() {
        let mut keys: Vec<String> = FIGURE_COLUMNS
            .iter()
            .chain(OTHER_COLUMNS)
            .map(|c| format!("programmes-col-{c}"))
            .collect();
        for k in crate::programmes::KEYS {
            keys.push(format!("programmes-table-{k}"));
            keys.push(format!("programmes-table-{k}-note"));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert!(defines(lang, &key), "{}: {key}", lang.code());
            }
        }
        assert_eq!(column_label(Lang::Zh, "held"), "已开展");
    }
}
