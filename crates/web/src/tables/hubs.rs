//! The hub readings' tables: turnaround and deadlines by priority, and
//! the volume each institution read for others and had read remotely.

use super::{Column, Row, Table, coded, columns, count, level_cell, pct, text, titled};
use crate::charts::Format;
use crate::dashboard::Dashboard;
use crate::i18n::Lang;

pub(super) const PRIORITY_COLUMNS: &[&str] = &[
    "priority",
    "hub-ordered",
    "hub-reported",
    "hub-cancelled",
    "hub-within-deadline",
    "hub-within-deadline-share",
    "hub-turnaround-p50",
    "hub-turnaround-p90",
];

pub(super) const INSTITUTION_COLUMNS: &[&str] = &[
    "institution-id",
    "institution",
    "level",
    "hub-read",
    "hub-read-critical",
    "hub-ordered-remotely",
    "hub-ordered-reported",
    "hub-avoidable-referral",
];

fn minutes(v: Option<f64>) -> super::Cell {
    super::Cell::Figure(v, Format::Minutes)
}

/// The subject's hub readings by priority (the hubs' side: for the region,
/// every reading), each counted in the cohort of its order day.
pub fn hubs(d: &Dashboard, lang: Lang) -> Table {
    let r = &d.indicators.readings;
    let rows: Vec<Row> = r
        .by_priority
        .iter()
        .map(|p| Row {
            key: p.priority.code().into(),
            cells: vec![
                coded(
                    p.priority.code(),
                    lang.t(&format!("hub-priority-{}", p.priority.code())),
                ),
                count(p.ordered),
                count(p.reported),
                count(p.cancelled),
                count(p.within_deadline),
                pct(p.within_deadline_share),
                minutes(p.turnaround_p50_minutes),
                minutes(p.turnaround_p90_minutes),
            ],
        })
        .collect();
    titled(lang, "hubs", columns(lang, PRIORITY_COLUMNS), rows)
}

/// Each of the subject's institutions that read or ordered a reading: how
/// many its hubs reported for others (and how many of those were
/// critical), how many it ordered from hubs and got reported, and how many
/// of those its patients were then referred up for avoidably.
pub fn hub_institutions(d: &Dashboard, lang: Lang) -> Table {
    let rows = d
        .institutions
        .iter()
        .filter(|(_, i)| i.readings.ordered + i.readings_ordered.ordered > 0)
        .map(|(k, i)| {
            let facts = &d.network.directory.institutions[*k];
            Row {
                key: d.network.institutions[*k].clone(),
                cells: vec![
                    text(d.network.institutions[*k].clone()),
                    text(d.network.names[*k].clone()),
                    level_cell(lang, facts.level),
                    count(i.readings.reported),
                    count(i.readings.critical),
                    count(i.readings_ordered.ordered),
                    count(i.readings_ordered.reported),
                    count(i.readings_ordered.followed_by_avoidable_referral),
                ],
            }
        })
        .collect();
    let cols: Vec<Column> = columns(lang, INSTITUTION_COLUMNS);
    titled(lang, "hub-institutions", cols, rows)
}
