//! The dashboard's tables, built once and shown two ways: as HTML on the
//! page and as CSV for download. A table holds figures, not text, so both
//! show the same numbers: CSV and the page's `data-value` attributes carry
//! each value exactly, the page shows it rounded for people.

use super::charts::{Format, month_label, raw};
use super::dashboard::Dashboard;
use crate::i18n::Lang;
use tiercare_core::indicators::measures::Scoring;
use tiercare_core::indicators::{Funnel, Indicators, MEASURES, MeasureDef, Resource};
use tiercare_core::referral::DeclineReason;

mod csv;
mod emergency;
mod hubs;

pub use emergency::{emergency, emergency_centres};
pub use hubs::{hub_institutions, hubs};

pub use csv::{BOM, ascii_file_name, csv_response, disposition, file_name, to_csv};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text that is the same in every language (a name, an id).
    Text(String),
    /// A name people read on the page, whose stable code goes to CSV (a
    /// level, a resource, a step of the referral loop, a month).
    Coded { code: String, label: String },
    /// A figure, `None` when its denominator is empty.
    Figure(Option<f64>, Format),
}

impl Cell {
    /// As people read it, in `lang`.
    pub fn shown(&self, lang: Lang) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Coded { label, .. } => label.clone(),
            Cell::Figure(v, f) => f.show(lang, *v),
        }
    }

    /// As machines read it: the exact number, empty for none.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Coded { code, .. } => code.clone(),
            Cell::Figure(v, _) => raw(*v),
        }
    }

    pub fn is_figure(&self) -> bool {
        matches!(self, Cell::Figure(..))
    }
}

fn count(n: u64) -> Cell {
    Cell::Figure(Some(n as f64), Format::Count)
}

fn pct(v: Option<f64>) -> Cell {
    Cell::Figure(v, Format::Percent)
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn coded(code: &str, label: String) -> Cell {
    Cell::Coded {
        code: code.into(),
        label,
    }
}

/// A column: its stable key (for tests and `data-col`) and its heading,
/// on the page and in the CSV file, in the reader's language.
#[derive(Debug, Clone)]
pub struct Column {
    pub key: String,
    pub label: String,
}

/// A measure's title in `lang` (`measure-<code>-title`).
pub fn measure_title(lang: Lang, code: &str) -> String {
    lang.t(&format!("measure-{code}-title"))
}

/// The heading of the dashboard's column `key` in `lang`: an indicator's
/// column is headed by the indicator's title, any other by
/// `dashboard-col-<key>`. Tests find CSV columns by it.
pub fn column_label(lang: Lang, key: &str) -> String {
    if MEASURES.iter().any(|m| m.code == key) {
        measure_title(lang, key)
    } else {
        lang.t(&format!("dashboard-col-{key}"))
    }
}

fn columns(lang: Lang, keys: &[&str]) -> Vec<Column> {
    keys.iter()
        .map(|k| Column {
            key: (*k).into(),
            label: column_label(lang, k),
        })
        .collect()
}

/// A month's row heading: its label, its code in CSV.
pub fn month_cell(lang: Lang, code: &str) -> Cell {
    coded(code, month_label(lang, code))
}

/// A row; `key` names it for tests and links (a level code, an
/// institution id, a month).
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub cells: Vec<Cell>,
}

/// A table of the dashboard, in the reader's language.
#[derive(Debug, Clone)]
pub struct Table {
    /// The `table=` value of its CSV download.
    pub key: &'static str,
    pub title: String,
    /// What to know when reading it.
    pub note: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Every table, by key, in page order.
pub const KEYS: [&str; 13] = [
    "measures",
    "trends",
    "levels",
    "pyramid",
    "pyramid-shape",
    "referrals",
    "recognition",
    "declines",
    "hubs",
    "hub-institutions",
    "emergency",
    "emergency-centres",
    "institutions",
];

/// The table with this key.
pub fn table(d: &Dashboard, key: &str, lang: Lang) -> Option<Table> {
    Some(match key {
        "measures" => measures(d, lang),
        "trends" => trends(d, lang),
        "levels" => levels(d, lang),
        "pyramid" => pyramid(d, lang),
        "pyramid-shape" => pyramid_shape(d, lang),
        "referrals" => referrals(d, lang),
        "recognition" => recognition(d, lang),
        "declines" => declines(d, lang),
        "hubs" => hubs(d, lang),
        "hub-institutions" => hub_institutions(d, lang),
        "emergency" => emergency(d, lang),
        "emergency-centres" => emergency_centres(d, lang),
        "institutions" => institutions(d, lang),
        _ => return None,
    })
}

/// A table's title and note: `dashboard-table-<key>` and its `-note`.
fn titled(lang: Lang, key: &'static str, columns: Vec<Column>, rows: Vec<Row>) -> Table {
    Table {
        key,
        title: lang.t(&format!("dashboard-table-{key}")),
        note: lang.t(&format!("dashboard-table-{key}-note")),
        columns,
        rows,
    }
}

/// How a measure's value is shown: shares, and used/offered ratios, as
/// percentages; the down/up ratio as a plain ratio (it is a count of one
/// thing against another).
pub fn measure_format(m: &MeasureDef) -> Format {
    match (m.unit, m.scoring) {
        ("d", _) => Format::Days,
        ("min", _) => Format::Minutes,
        ("[CNY]", _) => Format::Yuan,
        (_, Scoring::ContinuousVariable) => Format::Count,
        _ if m.code == "down-up-ratio" => Format::Decimal,
        _ => Format::Percent,
    }
}

/// Whether a measure is a share, drawn on a 0-100% axis.
pub fn is_share(m: &MeasureDef) -> bool {
    m.scoring == Scoring::Proportion
}

/// The columns of each table but the trends (whose columns are the
/// indicators), for the test that every heading has words.
const MEASURE_COLUMNS: &[&str] = &["measure", "title", "value", "unit"];
const LEVEL_COLUMNS: &[&str] = &[
    "level",
    "visits",
    "outpatient-visits",
    "admissions",
    "outpatient-share",
    "first-contacts",
    "bypass-share",
    "over-use-share",
    "under-capacity-share",
    "mean-wait-days",
    "slot-utilisation",
    "bed-utilisation",
    "expenditure-per-visit",
    "out-of-pocket-share",
];
const PYRAMID_COLUMNS: &[&str] = &[
    "level",
    "physicians",
    "physician-share",
    "beds",
    "bed-share",
    "daily-slots",
    "slot-share",
    "positioned-demand",
    "demand-share",
];
const SHAPE_COLUMNS: &[&str] = &[
    "resource",
    "shape",
    "capacity-mean-level",
    "demand-mean-level",
];
const REFERRAL_COLUMNS: &[&str] = &[
    "step",
    "sent",
    "share-of-sent",
    "received",
    "share-of-received",
];
const RECOGNITION_COLUMNS: &[&str] = &[
    "results",
    "sent",
    "share-of-sent-results",
    "received",
    "share-of-received-results",
];
const DECLINE_COLUMNS: &[&str] = &[
    "reason",
    "label",
    "sent",
    "share",
    "received",
    "share-received",
];
const INSTITUTION_COLUMNS: &[&str] = &[
    "institution-id",
    "institution",
    "level",
    "inside-region",
    "visits",
    "outpatient-visits",
    "outpatient-share",
    "bypass-share",
    "over-use-share",
    "under-capacity-share",
    "referrals-sent-up",
    "referrals-sent-down",
    "referrals-received-up",
    "referrals-received-down",
    "slot-utilisation",
    "bed-utilisation",
];

/// A measure's unit in words (UCUM `1` is a share or a count).
fn unit_cell(lang: Lang, unit: &str) -> Cell {
    let label = match unit {
        "d" => lang.t("dashboard-unit-days"),
        "min" => lang.t("dashboard-unit-minutes"),
        "[CNY]" => lang.t("dashboard-unit-yuan"),
        _ => lang.t("dashboard-unit-one"),
    };
    coded(unit, label)
}

pub fn measures(d: &Dashboard, lang: Lang) -> Table {
    titled(
        lang,
        "measures",
        columns(lang, MEASURE_COLUMNS),
        MEASURES
            .iter()
            .map(|m| Row {
                key: m.code.into(),
                cells: vec![
                    text(m.code),
                    text(measure_title(lang, m.code)),
                    Cell::Figure((m.value)(&d.indicators), measure_format(m)),
                    unit_cell(lang, m.unit),
                ],
            })
            .collect(),
    )
}

pub fn trends(d: &Dashboard, lang: Lang) -> Table {
    let mut keys = vec!["month"];
    keys.extend(MEASURES.iter().map(|m| m.code));
    titled(
        lang,
        "trends",
        columns(lang, &keys),
        d.months
            .iter()
            .map(|(month, i)| {
                let mut cells = vec![month_cell(lang, month)];
                cells.extend(
                    MEASURES
                        .iter()
                        .map(|m| Cell::Figure((m.value)(i), measure_format(m))),
                );
                Row {
                    key: month.clone(),
                    cells,
                }
            })
            .collect(),
    )
}

fn level_cell(lang: Lang, level: tiercare_core::Level) -> Cell {
    coded(level.code(), lang.coded("level", level.code()))
}

pub fn levels(d: &Dashboard, lang: Lang) -> Table {
    let all = &d.indicators;
    titled(
        lang,
        "levels",
        columns(lang, LEVEL_COLUMNS),
        all.levels
            .iter()
            .zip(&d.levels)
            .map(|(lf, group)| Row {
                key: lf.level.code().into(),
                cells: vec![
                    level_cell(lang, lf.level),
                    count(lf.visits),
                    count(lf.outpatient_visits),
                    count(lf.admissions),
                    pct(share(lf.outpatient_visits, all.outpatient_visits)),
                    count(group.first_contacts),
                    pct(group.bypass_share),
                    pct(group.over_use_share),
                    pct(group.under_capacity_share),
                    Cell::Figure(lf.mean_wait_days, Format::Days),
                    pct(lf.slot_utilisation),
                    pct(lf.bed_utilisation),
                    Cell::Figure(lf.expenditure_per_visit_yuan, Format::Yuan),
                    pct(lf.out_of_pocket_share),
                ],
            })
            .collect(),
    )
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

pub fn pyramid(d: &Dashboard, lang: Lang) -> Table {
    titled(
        lang,
        "pyramid",
        columns(lang, PYRAMID_COLUMNS),
        d.indicators
            .pyramid
            .iter()
            .map(|p| Row {
                key: p.level.code().into(),
                cells: vec![
                    level_cell(lang, p.level),
                    count(p.physicians),
                    pct(p.physician_share),
                    count(p.beds),
                    pct(p.bed_share),
                    count(p.daily_slots),
                    pct(p.slot_share),
                    count(p.positioned_demand),
                    pct(p.demand_share),
                ],
            })
            .collect(),
    )
}

/// "upright", "inverted", or "unknown" when there is nothing to judge.
pub fn shape_of(i: &Indicators, r: Resource) -> &'static str {
    i.pyramid_fit(r).map_or("unknown", |f| f.shape.code())
}

/// A resource of the pyramid in words.
pub fn resource_label(lang: Lang, r: Resource) -> String {
    lang.t(&format!("dashboard-resource-{}", r.code()))
}

/// A pyramid's shape in words.
pub fn shape_label(lang: Lang, shape: &str) -> String {
    lang.t(&format!("dashboard-shape-{shape}"))
}

pub fn pyramid_shape(d: &Dashboard, lang: Lang) -> Table {
    titled(
        lang,
        "pyramid-shape",
        columns(lang, SHAPE_COLUMNS),
        Resource::ALL
            .iter()
            .map(|&r| {
                let fit = d.indicators.pyramid_fit(r);
                let shape = shape_of(&d.indicators, r);
                Row {
                    key: r.code().into(),
                    cells: vec![
                        coded(r.code(), resource_label(lang, r)),
                        coded(shape, shape_label(lang, shape)),
                        Cell::Figure(fit.map(|f| f.capacity_level), Format::Decimal),
                        Cell::Figure(fit.map(|f| f.demand_level), Format::Decimal),
                    ],
                }
            })
            .collect(),
    )
}

/// The referral loop's steps of one side, for the referrals requested in
/// the period (each step counts with its request, so none exceeds the one
/// before): (code, words, count). The sent side has no redirects of its
/// own, the received side no requests of its own: those rows read 0.
pub fn funnel_steps(f: &Funnel, lang: Lang) -> Vec<(&'static str, String, u64)> {
    [
        ("requested", f.requested()),
        ("requested-up", f.up),
        ("requested-down", f.down),
        ("redirected", f.redirected),
        ("declined", f.declines()),
        ("down-refused", f.refused),
        ("booked", f.booked),
        ("completed", f.completed),
        ("reported-back", f.reported),
    ]
    .into_iter()
    .map(|(code, n)| (code, lang.t(&format!("dashboard-step-{code}")), n))
    .collect()
}

/// The loop from both sides: as referrer (sent) and as receiver.
pub fn referrals(d: &Dashboard, lang: Lang) -> Table {
    let (sent, received) = (&d.indicators.sent, &d.indicators.received);
    let received_steps = funnel_steps(received, lang);
    titled(
        lang,
        "referrals",
        columns(lang, REFERRAL_COLUMNS),
        funnel_steps(sent, lang)
            .into_iter()
            .zip(received_steps)
            .map(|((key, label, n), (_, _, r))| Row {
                key: key.into(),
                cells: vec![
                    coded(key, label),
                    count(n),
                    pct(share(n, sent.requested())),
                    count(r),
                    pct(share(r, received.requested())),
                ],
            })
            .collect(),
    )
}

/// Mutual recognition of results: of the results the completed referrals
/// carried, those the receiver recognised (still valid when it saw the
/// patient), as the subject's referrals sent see it (its results
/// recognised by others) and as its referrals received see it (the results
/// it recognised).
pub fn recognition(d: &Dashboard, lang: Lang) -> Table {
    let (sent, received) = (&d.indicators.sent, &d.indicators.received);
    let row = |key: &'static str, of: fn(&Funnel) -> u64| Row {
        key: key.into(),
        cells: vec![
            coded(key, lang.t(&format!("dashboard-step-{key}"))),
            count(of(sent)),
            pct(share(of(sent), sent.results)),
            count(of(received)),
            pct(share(of(received), received.results)),
        ],
    };
    titled(
        lang,
        "recognition",
        columns(lang, RECOGNITION_COLUMNS),
        vec![
            row("results-attached", |f| f.results),
            row("results-recognised", |f| f.recognised),
        ],
    )
}

/// Declines by reason: of the referrals the subject sent, and of those it
/// received.
pub fn declines(d: &Dashboard, lang: Lang) -> Table {
    let (sent, received) = (&d.indicators.sent, &d.indicators.received);
    titled(
        lang,
        "declines",
        columns(lang, DECLINE_COLUMNS),
        DeclineReason::ALL
            .iter()
            .enumerate()
            .map(|(k, r)| Row {
                key: r.code().into(),
                cells: vec![
                    text(r.code()),
                    text(lang.coded("decline", r.code())),
                    count(sent.declined[k]),
                    pct(share(sent.declined[k], sent.declines())),
                    count(received.declined[k]),
                    pct(share(received.declined[k], received.declines())),
                ],
            })
            .collect(),
    )
}

pub fn institutions(d: &Dashboard, lang: Lang) -> Table {
    let outpatient = d.indicators.outpatient_visits;
    titled(
        lang,
        "institutions",
        columns(lang, INSTITUTION_COLUMNS),
        d.institutions
            .iter()
            .map(|(k, i)| {
                let facts = &d.network.directory.institutions[*k];
                let received = |f: fn(&tiercare_core::indicators::LevelFigures) -> u64| {
                    i.levels.iter().map(f).sum::<u64>()
                };
                let inside = if facts.inside { "yes" } else { "no" };
                Row {
                    key: d.network.institutions[*k].clone(),
                    cells: vec![
                        text(d.network.institutions[*k].clone()),
                        text(d.network.names[*k].clone()),
                        level_cell(lang, facts.level),
                        coded(inside, lang.t(&format!("dashboard-{inside}"))),
                        count(i.visits),
                        count(i.outpatient_visits),
                        pct(share(i.outpatient_visits, outpatient)),
                        pct(i.bypass_share),
                        pct(i.over_use_share),
                        pct(i.under_capacity_share),
                        count(i.referrals_up),
                        count(i.referrals_down),
                        count(received(|l| l.referrals_received_up)),
                        count(received(|l| l.referrals_received_down)),
                        pct(i.slot_utilisation),
                        pct(i.bed_utilisation),
                    ],
                }
            })
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Whether a language's own files define `key` (a lookup would fall
    /// back to Chinese, so the files themselves are read).
    pub(crate) fn defines(lang: Lang, key: &str) -> bool {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang.code());
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .any(|text| {
                text.lines()
                    .any(|l| l.split_once('=').is_some_and(|(k, _)| k.trim_end() == key))
            })
    }

    #[test]
    fn every_measure_has_a_format() {
        for m in MEASURES {
            let f = measure_format(m);
            if is_share(m) {
                assert_eq!(f, Format::Percent, "{}", m.code);
            }
        }
        let ratio = MEASURES.iter().find(|m| m.code == "down-up-ratio").unwrap();
        assert_eq!(measure_format(ratio), Format::Decimal);
    }

    #[test]
    fn every_heading_step_resource_and_shape_has_words_in_both_languages() {
        let mut keys: Vec<String> = Vec::new();
        for cols in [
            MEASURE_COLUMNS,
            LEVEL_COLUMNS,
            PYRAMID_COLUMNS,
            SHAPE_COLUMNS,
            REFERRAL_COLUMNS,
            DECLINE_COLUMNS,
            INSTITUTION_COLUMNS,
            hubs::PRIORITY_COLUMNS,
            hubs::INSTITUTION_COLUMNS,
            &["month"],
        ] {
            for c in cols {
                if !MEASURES.iter().any(|m| m.code == *c) {
                    keys.push(format!("dashboard-col-{c}"));
                }
            }
        }
        keys.extend(
            funnel_steps(&Funnel::default(), Lang::Zh)
                .iter()
                .map(|s| format!("dashboard-step-{}", s.0)),
        );
        keys.extend(
            Resource::ALL
                .iter()
                .map(|r| format!("dashboard-resource-{}", r.code())),
        );
        for s in ["upright", "inverted", "unknown"] {
            keys.push(format!("dashboard-shape-{s}"));
        }
        for k in KEYS {
            keys.push(format!("dashboard-table-{k}"));
            keys.push(format!("dashboard-table-{k}-note"));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert!(defines(lang, &key), "{}: {key}", lang.code());
            }
        }
    }

    #[test]
    fn every_measure_has_its_title_definition_and_reference_in_both_languages() {
        use tiercare_core::outreach::evaluation::OUTREACH_MEASURES;
        let mut measures: Vec<(&str, bool)> = MEASURES
            .iter()
            .map(|m| (m.code, m.reference.is_some()))
            .collect();
        measures.extend(
            OUTREACH_MEASURES
                .iter()
                .map(|m| (m.code, m.reference.is_some())),
        );
        assert!(measures.len() >= 18 + 11, "{}", measures.len());
        for (code, reference) in measures {
            let mut parts = vec!["title", "definition"];
            if reference {
                parts.push("reference");
            }
            for part in parts {
                let key = format!("measure-{code}-{part}");
                for lang in Lang::ALL {
                    assert!(defines(lang, &key), "{}: {key}", lang.code());
                }
                assert_ne!(Lang::Zh.t(&key), Lang::En.t(&key), "{key} is translated");
            }
            // No reference figure is made up where the measure has none.
            let key = format!("measure-{code}-reference");
            assert_eq!(defines(Lang::Zh, &key), reference, "{key}");
        }
        assert_eq!(measure_title(Lang::Zh, "primary-visit-share"), "基层就诊率");
        assert_eq!(measure_title(Lang::Zh, "county-retention"), "县域内就诊率");
    }
}
