//! The dashboard's tables, built once and shown two ways: as HTML on the
//! page and as CSV for download. A table holds figures, not text, so both
//! show the same numbers: CSV and the page's `data-value` attributes carry
//! each value exactly, the page shows it rounded for people.

use super::charts::{Format, raw};
use super::dashboard::Dashboard;
use tiercare_core::indicators::measures::Scoring;
use tiercare_core::indicators::{Indicators, MEASURES, MeasureDef, Resource};
use tiercare_core::referral::DeclineReason;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A name people read on the page, whose stable code goes to CSV (a
    /// level, a resource, a step of the referral loop).
    Coded {
        code: String,
        label: String,
    },
    /// A figure, `None` when its denominator is empty.
    Figure(Option<f64>, Format),
}

impl Cell {
    /// As people read it.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Coded { label, .. } => label.clone(),
            Cell::Figure(v, f) => f.show(*v),
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

fn coded(code: &str, label: &str) -> Cell {
    Cell::Coded {
        code: code.into(),
        label: label.into(),
    }
}

/// A column: its CSV header and its heading on the page.
#[derive(Debug, Clone)]
pub struct Column {
    pub key: String,
    pub label: String,
}

fn columns(cols: &[(&str, &str)]) -> Vec<Column> {
    cols.iter()
        .map(|(k, l)| Column {
            key: (*k).into(),
            label: (*l).into(),
        })
        .collect()
}

/// A row; `key` names it for tests and links (a level code, an
/// institution id, a month).
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub cells: Vec<Cell>,
}

/// A table of the dashboard.
#[derive(Debug, Clone)]
pub struct Table {
    /// The `table=` value of its CSV download.
    pub key: &'static str,
    pub title: &'static str,
    /// What to know when reading it.
    pub note: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Every table, by key, in page order.
pub const KEYS: [&str; 8] = [
    "measures",
    "trends",
    "levels",
    "pyramid",
    "pyramid-shape",
    "referrals",
    "declines",
    "institutions",
];

/// The table with this key.
pub fn table(d: &Dashboard, key: &str) -> Option<Table> {
    Some(match key {
        "measures" => measures(d),
        "trends" => trends(d),
        "levels" => levels(d),
        "pyramid" => pyramid(d),
        "pyramid-shape" => pyramid_shape(d),
        "referrals" => referrals(d),
        "declines" => declines(d),
        "institutions" => institutions(d),
        _ => return None,
    })
}

/// How a measure's value is shown: shares, and used/offered ratios, as
/// percentages; the down/up ratio as a plain ratio (it is a count of one
/// thing against another).
pub fn measure_format(m: &MeasureDef) -> Format {
    match (m.unit, m.scoring) {
        ("d", _) => Format::Days,
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

pub fn measures(d: &Dashboard) -> Table {
    Table {
        key: "measures",
        title: "Indicators",
        note: "Every indicator of the subject over the period.",
        columns: columns(&[
            ("measure", "Code"),
            ("title", "Indicator"),
            ("value", "Value"),
            ("unit", "Unit"),
        ]),
        rows: MEASURES
            .iter()
            .map(|m| Row {
                key: m.code.into(),
                cells: vec![
                    text(m.code),
                    text(m.title),
                    Cell::Figure((m.value)(&d.indicators), measure_format(m)),
                    text(m.unit),
                ],
            })
            .collect(),
    }
}

pub fn trends(d: &Dashboard) -> Table {
    let mut cols = vec![Column {
        key: "month".into(),
        label: "Month".into(),
    }];
    cols.extend(MEASURES.iter().map(|m| Column {
        key: m.code.into(),
        label: m.title.into(),
    }));
    Table {
        key: "trends",
        title: "Indicators by month",
        note: "Each month cut to the period; stocks (coverage, chronic management, access) \
               at the end of each month.",
        columns: cols,
        rows: d
            .months
            .iter()
            .map(|(month, i)| {
                let mut cells = vec![text(month.clone())];
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
    }
}

pub fn levels(d: &Dashboard) -> Table {
    let all = &d.indicators;
    Table {
        key: "levels",
        title: "Levels: where first contact is made, and how each level is used",
        note: "Bypass share: self-referred hospital outpatient visits for cases positioned at \
               primary level / the level's outpatient visits. Over-use and under-capacity: \
               first contacts made above or below the case's positioning / the level's first \
               contacts.",
        columns: columns(&[
            ("level", "Level"),
            ("visits", "Visits"),
            ("outpatient-visits", "Outpatient visits"),
            ("admissions", "Admissions"),
            ("outpatient-share", "Share of outpatient visits"),
            ("first-contacts", "First contacts"),
            ("bypass-share", "Bypass share"),
            ("over-use-share", "Over-use"),
            ("under-capacity-share", "Under-capacity"),
            ("mean-wait-days", "Mean wait"),
            ("slot-utilisation", "Slot utilisation"),
            ("bed-utilisation", "Bed utilisation"),
            ("expenditure-per-visit", "Expenditure per visit"),
            ("out-of-pocket-share", "Out-of-pocket share"),
        ]),
        rows: all
            .levels
            .iter()
            .zip(&d.levels)
            .map(|(lf, group)| Row {
                key: lf.level.code().into(),
                cells: vec![
                    coded(lf.level.code(), lf.level.display()),
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
    }
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

pub fn pyramid(d: &Dashboard) -> Table {
    Table {
        key: "pyramid",
        title: "Capacity pyramid",
        note: "Physicians, beds and daily outpatient slots of the subject's institutions in \
               the region, and first-contact visits by the level their case is positioned at.",
        columns: columns(&[
            ("level", "Level"),
            ("physicians", "Physicians"),
            ("physician-share", "Share of physicians"),
            ("beds", "Beds"),
            ("bed-share", "Share of beds"),
            ("daily-slots", "Daily slots"),
            ("slot-share", "Share of slots"),
            ("positioned-demand", "Positioned demand"),
            ("demand-share", "Share of demand"),
        ]),
        rows: d
            .indicators
            .pyramid
            .iter()
            .map(|p| Row {
                key: p.level.code().into(),
                cells: vec![
                    coded(p.level.code(), p.level.display()),
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
    }
}

/// "upright", "inverted", or "unknown" when there is nothing to judge.
pub fn shape_of(i: &Indicators, r: Resource) -> &'static str {
    i.pyramid_fit(r).map_or("unknown", |f| f.shape.code())
}

pub fn pyramid_shape(d: &Dashboard) -> Table {
    Table {
        key: "pyramid-shape",
        title: "Upright or inverted",
        note: "Mean level of each resource (primary 1, secondary 2, tertiary 3) against the \
               mean level of the positioned demand: capacity above demand is an inverted \
               pyramid.",
        columns: columns(&[
            ("resource", "Resource"),
            ("shape", "Shape"),
            ("capacity-mean-level", "Capacity's mean level"),
            ("demand-mean-level", "Demand's mean level"),
        ]),
        rows: Resource::ALL
            .iter()
            .map(|&r| {
                let fit = d.indicators.pyramid_fit(r);
                Row {
                    key: r.code().into(),
                    cells: vec![
                        coded(r.code(), r.display()),
                        text(shape_of(&d.indicators, r)),
                        Cell::Figure(fit.map(|f| f.capacity_level), Format::Decimal),
                        Cell::Figure(fit.map(|f| f.demand_level), Format::Decimal),
                    ],
                }
            })
            .collect(),
    }
}

/// The referral loop's steps in the period, as the funnel draws them.
pub fn funnel_steps(i: &Indicators) -> Vec<(&'static str, &'static str, u64)> {
    let declined: u64 = i.declines.values().sum();
    vec![
        (
            "requested",
            "Referrals requested",
            i.referrals_up + i.referrals_down,
        ),
        ("requested-up", "of which upward", i.referrals_up),
        ("requested-down", "of which downward", i.referrals_down),
        ("declined", "Declined by the receiver", declined),
        (
            "down-refused",
            "Down-referrals refused by patients",
            i.down_referrals_refused,
        ),
        ("booked", "Visit booked", i.referrals_booked),
        ("completed", "Completed", i.referrals_completed),
        (
            "reported-back",
            "Result reported back",
            i.referrals_reported_back,
        ),
    ]
}

pub fn referrals(d: &Dashboard) -> Table {
    let steps = funnel_steps(&d.indicators);
    let requested = steps.first().map_or(0, |s| s.2);
    Table {
        key: "referrals",
        title: "Referral flow",
        note: "Each step counted on the day it happened, so a step can outnumber the one \
               before it when referrals cross the edges of the period.",
        columns: columns(&[
            ("step", "Step"),
            ("count", "Referrals"),
            ("share-of-requested", "Share of requested"),
        ]),
        rows: steps
            .iter()
            .map(|(key, label, n)| Row {
                key: (*key).into(),
                cells: vec![coded(key, label), count(*n), pct(share(*n, requested))],
            })
            .collect(),
    }
}

pub fn declines(d: &Dashboard) -> Table {
    let total: u64 = d.indicators.declines.values().sum();
    Table {
        key: "declines",
        title: "Why referrals were declined",
        note: "Declines by the receiving institution, by reason.",
        columns: columns(&[
            ("reason", "Code"),
            ("label", "Reason"),
            ("count", "Declined"),
            ("share", "Share of declines"),
        ]),
        rows: DeclineReason::ALL
            .iter()
            .map(|r| {
                let n = d.indicators.declines.get(r.code()).copied().unwrap_or(0);
                Row {
                    key: r.code().into(),
                    cells: vec![
                        text(r.code()),
                        text(r.display()),
                        count(n),
                        pct(share(n, total)),
                    ],
                }
            })
            .collect(),
    }
}

pub fn institutions(d: &Dashboard) -> Table {
    let outpatient = d.indicators.outpatient_visits;
    Table {
        key: "institutions",
        title: "Institutions",
        note: "Share of outpatient visits: the institution's outpatient visits / the \
               subject's; the primary institutions' shares add up to the primary visit share.",
        columns: columns(&[
            ("institution-id", "Id"),
            ("institution", "Institution"),
            ("level", "Level"),
            ("inside-region", "In the region"),
            ("visits", "Visits"),
            ("outpatient-visits", "Outpatient visits"),
            ("outpatient-share", "Share of outpatient visits"),
            ("bypass-share", "Bypass share"),
            ("over-use-share", "Over-use"),
            ("under-capacity-share", "Under-capacity"),
            ("referrals-sent-up", "Sent up"),
            ("referrals-sent-down", "Sent down"),
            ("referrals-received-up", "Received from below"),
            ("referrals-received-down", "Received from above"),
            ("slot-utilisation", "Slot utilisation"),
            ("bed-utilisation", "Bed utilisation"),
        ]),
        rows: d
            .institutions
            .iter()
            .map(|(k, i)| {
                let facts = &d.network.directory.institutions[*k];
                let received = |f: fn(&tiercare_core::indicators::LevelFigures) -> u64| {
                    i.levels.iter().map(f).sum::<u64>()
                };
                Row {
                    key: d.network.institutions[*k].clone(),
                    cells: vec![
                        text(d.network.institutions[*k].clone()),
                        text(d.network.names[*k].clone()),
                        text(facts.level.code()),
                        text(if facts.inside { "yes" } else { "no" }),
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
    }
}

/// One CSV field: quoted when it must be (RFC 4180), and text that a
/// spreadsheet would run as a formula (an institution named `=HYPERLINK(...)`)
/// defused with a leading apostrophe. Numbers are never touched.
fn field(cell: &Cell) -> String {
    let mut s = cell.raw();
    if !cell.is_figure() && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A table as a CSV download named `file` (a name of our own making:
/// codes and dates, nothing a caller typed in unchecked).
pub fn csv_response(file: &str, t: &Table) -> Result<axum::response::Response, super::UiError> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
        .map_err(|e| super::UiError::Internal(format!("content disposition: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        to_csv(t),
    )
        .into_response())
}

/// The table as CSV: a header row of column keys, then one line per row,
/// CRLF line ends.
pub fn to_csv(t: &Table) -> String {
    let mut out = String::new();
    let header: Vec<String> = t
        .columns
        .iter()
        .map(|c| field(&Cell::Text(c.key.clone())))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in &t.rows {
        let line: Vec<String> = r.cells.iter().map(field).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_text_but_not_numbers() {
        let t = Table {
            key: "x",
            title: "x",
            note: "",
            columns: columns(&[("a", "A"), ("b", "B"), ("c", "C")]),
            rows: vec![Row {
                key: "r".into(),
                cells: vec![
                    text("=HYPERLINK(\"http://evil\")"),
                    Cell::Figure(Some(-0.5), Format::Decimal),
                    text("a, \"b\"\nc"),
                ],
            }],
        };
        assert_eq!(
            to_csv(&t),
            "a,b,c\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",-0.5,\"a, \"\"b\"\"\nc\"\r\n"
        );
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
}
