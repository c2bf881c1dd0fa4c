//! The dashboard page: the figures of a [`Dashboard`] laid out as the
//! three mismatches of tiered care, with their charts and tables.
//!
//! Sections follow DOMAIN.md section 2: (a) demand against grassroots-first
//! diagnosis, (b) capacity against functional positioning, (c) the flow of
//! referrals; then the other indicators and the table per institution.
//! Each indicator appears once, with its value over the period and its
//! trend by month.

use super::Chrome;
use super::charts::{self, Format, Layer};
use super::dashboard::{Dashboard, PATH, show_date, subject_code};
use super::tables::{self, Cell, Column, Table, funnel_steps, is_share, measure_format};
use askama::Template;
use tiercare_core::Level;
use tiercare_core::indicators::{MEASURES, MeasureDef, Resource, Shape};
use tiercare_service::indicators::SubjectRef;

/// The page's template and everything it shows, already formatted.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub subject_label: String,
    pub choices: Vec<ChoiceGroup>,
    /// Nothing was recorded in the period for the subject.
    pub empty: bool,
    pub sections: Vec<Section>,
    pub institutions: TableView,
    pub downloads: Vec<Download>,
}

/// A group of subjects in the filter's drop-down.
pub struct ChoiceGroup {
    pub label: String,
    pub choices: Vec<Choice>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One part of the page.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub findings: Vec<Finding>,
    /// Inline SVG, escaped by [`charts`].
    pub charts: Vec<String>,
    pub panels: Vec<Panel>,
    pub tables: Vec<TableView>,
}

/// A conclusion stated in words, with its machine-readable value.
pub struct Finding {
    pub key: String,
    pub value: String,
    pub text: String,
}

/// One indicator: its value over the period and its monthly trend.
pub struct Panel {
    pub code: &'static str,
    pub title: &'static str,
    pub definition: &'static str,
    pub reference: &'static str,
    pub shown: String,
    pub raw: String,
    pub chart: String,
}

pub struct TableView {
    pub key: &'static str,
    /// The column whose cells link to the row's own page.
    pub link_col: &'static str,
    pub title: &'static str,
    pub note: &'static str,
    pub csv: String,
    pub columns: Vec<Column>,
    pub rows: Vec<RowView>,
}

pub struct RowView {
    pub key: String,
    /// A link to the row's own dashboard (an institution's), if any.
    pub link: String,
    pub cells: Vec<CellView>,
}

pub struct CellView {
    pub col: String,
    pub shown: String,
    pub raw: String,
    pub figure: bool,
}

pub struct Download {
    pub title: &'static str,
    pub href: String,
}

/// Which section shows a measure; measures not named here (added later)
/// go to the last section.
fn section_of(code: &str) -> &'static str {
    match code {
        "primary-visit-share"
        | "county-retention"
        | "bypass-share"
        | "over-use-share"
        | "under-capacity-share" => "demand",
        "slot-utilisation" | "bed-utilisation" => "capacity",
        "referrals-up"
        | "referrals-down"
        | "down-up-ratio"
        | "loop-closure"
        | "time-to-appointment" => "referrals",
        _ => "other",
    }
}

impl DashboardPage {
    pub fn new(chrome: Chrome, d: &Dashboard) -> DashboardPage {
        let view = |t: Table| table_view(d, t);
        let i = &d.indicators;
        let months: Vec<String> = d.months.iter().map(|(m, _)| m.clone()).collect();
        let levels: Vec<String> = Level::ALL.iter().map(|l| l.display().into()).collect();

        let mut demand = Section {
            id: "demand",
            title: "(a) Demand against grassroots-first diagnosis",
            intro: "Do patients make their first visit at the primary level? Bypass: \
                    self-referred hospital outpatient visits for cases positioned at primary \
                    level. Over-use: first contacts above the level the case is positioned at; \
                    under-capacity: below it (the patient then has to be referred up).",
            findings: vec![],
            charts: vec![charts::grouped_bars(
                "mismatch-by-level",
                "Bypass, over-use and under-capacity by level",
                &levels,
                &[
                    ("bypass", d.levels.iter().map(|l| l.bypass_share).collect()),
                    (
                        "over-use",
                        d.levels.iter().map(|l| l.over_use_share).collect(),
                    ),
                    (
                        "under-capacity",
                        d.levels.iter().map(|l| l.under_capacity_share).collect(),
                    ),
                ],
                Format::Percent,
                true,
            )],
            panels: vec![],
            tables: vec![view(tables::levels(d))],
        };

        let layers = |r: Resource| -> Vec<Layer> {
            i.pyramid
                .iter()
                .map(|p| Layer {
                    label: p.level.display().into(),
                    capacity: r.share(p),
                    demand: p.demand_share,
                })
                .collect()
        };
        let mut capacity_charts: Vec<String> = Resource::ALL
            .iter()
            .map(|&r| {
                charts::pyramid(
                    r.code(),
                    &format!("{}: {}", r.display(), tables::shape_of(i, r)),
                    &layers(r),
                )
            })
            .collect();
        capacity_charts.push(charts::grouped_bars(
            "utilisation-by-level",
            "Utilisation by level",
            &levels,
            &[
                (
                    "slots",
                    i.levels.iter().map(|l| l.slot_utilisation).collect(),
                ),
                ("beds", i.levels.iter().map(|l| l.bed_utilisation).collect()),
            ],
            Format::Percent,
            false,
        ));
        let mut capacity = Section {
            id: "capacity",
            title: "(b) Capacity against functional positioning",
            intro: "Does each level have the physicians, beds and outpatient slots for the \
                    demand positioned at it? Bars are a level's share of the capacity, dashed \
                    outlines its share of the positioned demand (first contacts by the level \
                    their case belongs at). Capacity that sits higher than demand is an \
                    inverted pyramid.",
            findings: Resource::ALL
                .iter()
                .map(|&r| pyramid_finding(i, r))
                .collect(),
            charts: capacity_charts,
            panels: vec![],
            tables: vec![view(tables::pyramid(d)), view(tables::pyramid_shape(d))],
        };

        let steps: Vec<(String, u64)> = funnel_steps(i)
            .into_iter()
            .map(|(_, label, n)| (label.to_string(), n))
            .collect();
        let mut referrals = Section {
            id: "referrals",
            title: "(c) The flow of referrals",
            intro: "Do patients move up when they need to and back down when they are stable, \
                    and does the loop close? Up and down volumes by month, declines by reason, \
                    and each step of the loop down to the result reported back.",
            findings: vec![],
            charts: vec![
                charts::grouped_bars(
                    "referrals-by-month",
                    "Referrals requested by month",
                    &months,
                    &[
                        (
                            "up",
                            d.months
                                .iter()
                                .map(|(_, m)| Some(m.referrals_up as f64))
                                .collect(),
                        ),
                        (
                            "down",
                            d.months
                                .iter()
                                .map(|(_, m)| Some(m.referrals_down as f64))
                                .collect(),
                        ),
                    ],
                    Format::Count,
                    false,
                ),
                charts::funnel("referral-funnel", "The referral loop", &steps),
            ],
            panels: vec![],
            tables: vec![view(tables::referrals(d)), view(tables::declines(d))],
        };

        let mut other = Section {
            id: "other",
            title: "Cost, chronic care, coverage and access",
            intro: "The other oversight indicators of the subject.",
            findings: vec![],
            charts: vec![],
            panels: vec![],
            tables: vec![],
        };

        for m in MEASURES {
            let p = panel(m, d, &months);
            match section_of(m.code) {
                "demand" => demand.panels.push(p),
                "capacity" => capacity.panels.push(p),
                "referrals" => referrals.panels.push(p),
                _ => other.panels.push(p),
            }
        }

        DashboardPage {
            chrome,
            from: show_date(d.filters.from),
            to: show_date(d.filters.to),
            subject_label: d.subject_label.clone(),
            choices: choices(d),
            empty: i.visits == 0
                && i.referrals_up + i.referrals_down == 0
                && i.episodes == 0
                && i.contract_coverage.is_none(),
            sections: vec![demand, capacity, referrals, other],
            institutions: view(tables::institutions(d)),
            downloads: tables::KEYS
                .iter()
                .filter_map(|k| tables::table(d, k))
                .map(|t| Download {
                    title: t.title,
                    href: csv_href(d, t.key),
                })
                .collect(),
        }
    }
}

fn csv_href(d: &Dashboard, key: &str) -> String {
    format!(
        "{}?{}",
        super::dashboard::CSV_PATH,
        d.filters.query(&[("table", key)])
    )
}

fn panel(m: &'static MeasureDef, d: &Dashboard, months: &[String]) -> Panel {
    let monthly: Vec<&tiercare_core::indicators::Indicators> =
        d.months.iter().map(|(_, i)| i).collect();
    measure_panel(
        m,
        measure_format(m),
        is_share(m),
        &d.indicators,
        &monthly,
        months,
    )
}

/// One measure of any family as a panel: its value over the period and
/// its trend over `months` (one set of figures per month).
pub fn measure_panel<T>(
    m: &'static MeasureDef<T>,
    f: Format,
    share: bool,
    whole: &T,
    monthly: &[&T],
    months: &[String],
) -> Panel {
    let value = (m.value)(whole);
    let series: Vec<Option<f64>> = monthly.iter().map(|x| (m.value)(x)).collect();
    Panel {
        code: m.code,
        title: m.title,
        definition: m.definition,
        reference: m.reference.unwrap_or(""),
        shown: f.show(value),
        raw: charts::raw(value),
        chart: charts::trend(
            m.code,
            &format!("{} by month", m.title),
            months,
            &series,
            f,
            share,
        ),
    }
}

fn pyramid_finding(i: &tiercare_core::indicators::Indicators, r: Resource) -> Finding {
    let text = match i.pyramid_fit(r) {
        Some(fit) => format!(
            "{}: {} pyramid. Capacity's mean level is {:.2}, {} positioned demand's {:.2} \
             (primary 1, secondary 2, tertiary 3).",
            r.display(),
            fit.shape.code(),
            fit.capacity_level,
            match fit.shape {
                Shape::Inverted => "above",
                Shape::Upright => "at or below",
            },
            fit.demand_level
        ),
        None => format!(
            "{}: no shape to judge, the subject has none or no demand was positioned in the \
             period.",
            r.display()
        ),
    };
    Finding {
        key: format!("pyramid-{}", r.code()),
        value: tables::shape_of(i, r).into(),
        text,
    }
}

fn table_view(d: &Dashboard, t: Table) -> TableView {
    let csv = csv_href(d, t.key);
    let links = t.key == "institutions";
    TableView {
        link_col: "institution",
        key: t.key,
        title: t.title,
        note: t.note,
        csv,
        rows: t
            .rows
            .into_iter()
            .map(|r| RowView {
                link: if links {
                    let filters = super::dashboard::Filters {
                        subject: SubjectRef::Institution(r.key.clone()),
                        ..d.filters.clone()
                    };
                    format!("{PATH}?{}", filters.query(&[]))
                } else {
                    String::new()
                },
                key: r.key,
                cells: r
                    .cells
                    .iter()
                    .zip(&t.columns)
                    .map(|(c, col)| CellView {
                        col: col.key.clone(),
                        shown: c.shown(),
                        raw: c.raw(),
                        figure: matches!(c, Cell::Figure(..)),
                    })
                    .collect(),
            })
            .collect(),
        columns: t.columns,
    }
}

fn choices(d: &Dashboard) -> Vec<ChoiceGroup> {
    let selected = subject_code(&d.filters.subject);
    let choice = |value: String, label: String| Choice {
        selected: value == selected,
        value,
        label,
    };
    let n = &d.network;
    let mut institutions: Vec<(usize, &String)> = n.names.iter().enumerate().collect();
    institutions.sort_by(|a, b| a.1.cmp(b.1));
    vec![
        ChoiceGroup {
            label: "Region and levels".into(),
            choices: std::iter::once(choice("region".into(), "The whole region".into()))
                .chain(Level::ALL.iter().map(|l| {
                    choice(
                        subject_code(&SubjectRef::Level(*l)),
                        format!("{} level", l.display()),
                    )
                }))
                .collect(),
        },
        ChoiceGroup {
            label: "Alliances".into(),
            choices: n
                .alliances
                .iter()
                .zip(&n.alliance_names)
                .map(|(id, name)| {
                    choice(
                        subject_code(&SubjectRef::Alliance(id.clone())),
                        name.clone(),
                    )
                })
                .collect(),
        },
        ChoiceGroup {
            label: "Institutions".into(),
            choices: institutions
                .into_iter()
                .map(|(k, name)| {
                    choice(
                        subject_code(&SubjectRef::Institution(n.institutions[k].clone())),
                        format!("{name} ({})", n.directory.institutions[k].level.code()),
                    )
                })
                .collect(),
        },
    ]
}
