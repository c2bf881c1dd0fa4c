//! The dashboard page: the figures of a [`Dashboard`] laid out as the
//! three mismatches of tiered care, with their charts and tables.
//!
//! Sections follow DOMAIN.md section 2: (a) demand against grassroots-first
//! diagnosis, (b) capacity against functional positioning, (c) the flow of
//! referrals; then the other indicators and the table per institution.
//! Each indicator appears once, with its value over the period and its
//! trend by month. Every word comes from `dashboard.ftl` in the viewer's
//! language (the indicators' titles, definitions and reference figures
//! from `measure-<code>-…`); the figures keep `data-` attributes with their
//! exact values, the same in both languages.

use super::Chrome;
use super::charts::{self, Format, Layer};
use super::dashboard::{Dashboard, PATH, show_date, subject_code};
use super::tables::{
    self, Cell, Column, Table, funnel_steps, is_share, measure_format, measure_title,
    resource_label, shape_label,
};
use crate::filter_form::FilterForm;
use crate::i18n::Lang;
use crate::notices::{nothing_recorded, nothing_recorded_message, sources_note};
pub use crate::subjects::choices;
use askama::Template;
use tiercare_core::Level;
use tiercare_core::indicators::{Indicators, MEASURES, MeasureDef, Resource, Shape};
use tiercare_service::indicators::SubjectRef;

/// The page's template and everything it shows, already formatted.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    /// The page's title, and its heading before the subject's name.
    pub heading: String,
    pub heading_lead: String,
    /// The period as the date fields write it.
    pub from: String,
    pub to: String,
    /// The period as people read it.
    pub period: String,
    pub subject_label: String,
    pub form: FilterForm,
    /// Nothing was recorded in the period for the subject: the page says
    /// so ([`Self::empty_message`]) instead of drawing charts and tables
    /// of zeros.
    pub empty: bool,
    pub empty_message: String,
    /// Where the figures come from, when part of them has no record behind
    /// it (the demo county's simulated residents); empty otherwise.
    pub sources: String,
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
    pub title: String,
    pub intro: String,
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
    pub title: String,
    pub definition: String,
    /// "Reference: ..." with the reference figure in words, empty when
    /// there is none.
    pub reference: String,
    pub shown: String,
    pub raw: String,
    pub chart: String,
}

pub struct TableView {
    pub key: &'static str,
    /// The column whose cells link to the row's own page.
    pub link_col: &'static str,
    pub title: String,
    pub note: String,
    /// Its CSV download (none when empty) and the link's accessible name.
    pub csv: String,
    pub csv_label: String,
    pub columns: Vec<Column>,
    pub rows: Vec<RowView>,
    /// The table has no rows: it says so instead.
    pub empty: bool,
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
    pub title: String,
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
        c if c.starts_with("hub-") => "hubs",
        _ => "other",
    }
}

/// A section with its title and introduction, `dashboard-section-<id>`
/// and its `-intro`.
fn section(lang: Lang, id: &'static str) -> Section {
    Section {
        id,
        title: lang.t(&format!("dashboard-section-{id}")),
        intro: lang.t(&format!("dashboard-section-{id}-intro")),
        findings: vec![],
        charts: vec![],
        panels: vec![],
        tables: vec![],
    }
}

/// The period in words: 2026年1月1日至2026年3月31日.
pub fn period_words(lang: Lang, from: time::Date, to: time::Date) -> String {
    lang.t_with(
        "dashboard-period",
        &[("from", lang.date(from)), ("to", lang.date(to))],
    )
}

impl DashboardPage {
    pub fn new(chrome: Chrome, d: &Dashboard) -> DashboardPage {
        let lang = chrome.lang;
        let view = |t: Table| table_view(d, t, lang);
        let i = &d.indicators;
        let months: Vec<String> = d.months.iter().map(|(m, _)| m.clone()).collect();
        let levels: Vec<String> = Level::ALL
            .iter()
            .map(|l| lang.coded("level", l.code()))
            .collect();
        let pct = Format::Percent.in_lang(lang);

        let mut demand = section(lang, "demand");
        demand.charts.push(charts::grouped_bars(
            "mismatch-by-level",
            &lang.t("dashboard-chart-mismatch"),
            &levels,
            &[
                (
                    lang.t("dashboard-series-bypass"),
                    d.levels.iter().map(|l| l.bypass_share).collect(),
                ),
                (
                    lang.t("dashboard-series-over-use"),
                    d.levels.iter().map(|l| l.over_use_share).collect(),
                ),
                (
                    lang.t("dashboard-series-under-capacity"),
                    d.levels.iter().map(|l| l.under_capacity_share).collect(),
                ),
            ],
            pct,
            true,
        ));
        demand.tables.push(view(tables::levels(d, lang)));

        let layers = |r: Resource| -> Vec<Layer> {
            i.pyramid
                .iter()
                .map(|p| Layer {
                    label: lang.coded("level", p.level.code()),
                    capacity: r.share(p),
                    demand: p.demand_share,
                })
                .collect()
        };
        let mut capacity = section(lang, "capacity");
        capacity.charts = Resource::ALL
            .iter()
            .map(|&r| {
                let title = lang.t_with(
                    "dashboard-chart-pyramid",
                    &[
                        ("resource", resource_label(lang, r)),
                        ("shape", shape_label(lang, tables::shape_of(i, r))),
                    ],
                );
                charts::pyramid(lang, r.code(), &title, &layers(r))
            })
            .collect();
        capacity.charts.push(charts::grouped_bars(
            "utilisation-by-level",
            &lang.t("dashboard-chart-utilisation"),
            &levels,
            &[
                (
                    lang.t("dashboard-series-slots"),
                    i.levels.iter().map(|l| l.slot_utilisation).collect(),
                ),
                (
                    lang.t("dashboard-series-beds"),
                    i.levels.iter().map(|l| l.bed_utilisation).collect(),
                ),
            ],
            pct,
            false,
        ));
        capacity.findings = Resource::ALL
            .iter()
            .map(|&r| pyramid_finding(lang, i, r))
            .collect();
        capacity.tables = vec![
            view(tables::pyramid(d, lang)),
            view(tables::pyramid_shape(d, lang)),
        ];

        // The loop's steps, without the rows a side never has.
        let steps = |f, skip: &str| -> Vec<(String, u64)> {
            funnel_steps(f, lang)
                .into_iter()
                .filter(|(code, _, _)| *code != skip)
                .map(|(_, label, n)| (label, n))
                .collect()
        };
        let monthly = |f: fn(&Indicators) -> u64| -> Vec<Option<f64>> {
            d.months.iter().map(|(_, m)| Some(f(m) as f64)).collect()
        };
        let mut referrals = section(lang, "referrals");
        referrals.charts = vec![
            charts::grouped_bars(
                "referrals-by-month",
                &lang.t("dashboard-chart-referrals-by-month"),
                &months,
                &[
                    (lang.t("dashboard-series-up"), monthly(|m| m.referrals_up)),
                    (
                        lang.t("dashboard-series-down"),
                        monthly(|m| m.referrals_down),
                    ),
                ],
                Format::Count.in_lang(lang),
                false,
            ),
            charts::funnel(
                "referral-funnel",
                &lang.t("dashboard-chart-funnel"),
                &steps(&i.sent, "redirected"),
            ),
            charts::funnel(
                "referral-funnel-received",
                &lang.t("dashboard-chart-funnel-received"),
                &steps(&i.received, ""),
            ),
        ];
        referrals.tables = vec![
            view(tables::referrals(d, lang)),
            view(tables::recognition(d, lang)),
            view(tables::declines(d, lang)),
        ];

        let mut hubs = section(lang, "hubs");
        hubs.tables = vec![
            view(tables::hubs(d, lang)),
            view(tables::hub_institutions(d, lang)),
        ];
        let mut emergency = section(lang, "emergency");
        emergency.tables = vec![
            view(tables::emergency(d, lang)),
            view(tables::emergency_centres(d, lang)),
        ];
        let mut other = section(lang, "other");
        for m in MEASURES {
            let p = panel(lang, m, d, &months);
            match section_of(m.code) {
                "demand" => demand.panels.push(p),
                "capacity" => capacity.panels.push(p),
                "referrals" => referrals.panels.push(p),
                "hubs" => hubs.panels.push(p),
                _ => other.panels.push(p),
            }
        }

        DashboardPage {
            heading: lang.t_with("dashboard-heading", &[("subject", d.subject_label.clone())]),
            heading_lead: lang.t("dashboard-heading-lead"),
            chrome,
            from: show_date(d.filters.from),
            to: show_date(d.filters.to),
            period: period_words(lang, d.filters.from, d.filters.to),
            subject_label: d.subject_label.clone(),
            form: FilterForm::new(
                PATH,
                &show_date(d.filters.from),
                &show_date(d.filters.to),
                &subject_code(&d.filters.subject),
                choices(lang, &d.whole),
            ),
            empty: d.future || (nothing_recorded(i) && d.emergency.region.all.cases == 0),
            empty_message: nothing_recorded_message(lang, d.future),
            sources: sources_note(lang, i),
            sections: vec![demand, capacity, referrals, hubs, emergency, other],
            institutions: view(tables::institutions(d, lang)),
            downloads: tables::KEYS
                .iter()
                .filter_map(|k| tables::table(d, k, lang))
                .map(|t| Download {
                    href: csv_href(d, t.key),
                    title: csv_label(lang, &t.title),
                })
                .collect(),
        }
    }
}

/// A download's name: the table's title and "(CSV)".
pub fn csv_label(lang: Lang, title: &str) -> String {
    lang.t_with("dashboard-download", &[("title", title.to_string())])
}

fn csv_href(d: &Dashboard, key: &str) -> String {
    format!(
        "{}?{}",
        super::dashboard::CSV_PATH,
        d.filters.query(&[("table", key)])
    )
}

fn panel(lang: Lang, m: &'static MeasureDef, d: &Dashboard, months: &[String]) -> Panel {
    let monthly: Vec<&Indicators> = d.months.iter().map(|(_, i)| i).collect();
    measure_panel(
        lang,
        m,
        measure_format(m),
        is_share(m),
        &d.indicators,
        &monthly,
        months,
    )
}

/// One measure of any family as a panel: its value over the period and
/// its trend over `months` (one set of figures per month), with its
/// title, definition and reference figure in `lang`.
pub fn measure_panel<T>(
    lang: Lang,
    m: &'static MeasureDef<T>,
    f: Format,
    share: bool,
    whole: &T,
    monthly: &[&T],
    months: &[String],
) -> Panel {
    let value = (m.value)(whole);
    let series: Vec<Option<f64>> = monthly.iter().map(|x| (m.value)(x)).collect();
    let title = measure_title(lang, m.code);
    Panel {
        code: m.code,
        definition: lang.t(&format!("measure-{}-definition", m.code)),
        reference: match m.reference {
            Some(_) => lang.t_with(
                "dashboard-reference",
                &[(
                    "reference",
                    lang.t(&format!("measure-{}-reference", m.code)),
                )],
            ),
            None => String::new(),
        },
        shown: f.show(lang, value),
        raw: charts::raw(value),
        chart: charts::trend(
            m.code,
            &lang.t_with("dashboard-chart-trend", &[("measure", title.clone())]),
            months,
            &series,
            f.in_lang(lang),
            share,
        ),
        title,
    }
}

fn pyramid_finding(lang: Lang, i: &Indicators, r: Resource) -> Finding {
    let resource = resource_label(lang, r);
    let text = match i.pyramid_fit(r) {
        Some(fit) => lang.t_with(
            match fit.shape {
                Shape::Inverted => "dashboard-finding-inverted",
                Shape::Upright => "dashboard-finding-upright",
            },
            &[
                ("resource", resource),
                ("capacity", format!("{:.2}", fit.capacity_level)),
                ("demand", format!("{:.2}", fit.demand_level)),
            ],
        ),
        None => lang.t_with("dashboard-finding-unknown", &[("resource", resource)]),
    };
    Finding {
        key: format!("pyramid-{}", r.code()),
        value: tables::shape_of(i, r).into(),
        text,
    }
}

/// Columns that hold codes for the CSV file and machines, next to a
/// column with the same thing in words: the page leaves them out, so no
/// bare code reaches the reader (the row's code stays in `data-row`).
const CODE_COLUMNS: &[(&str, &str)] = &[
    ("measures", "measure"),
    ("declines", "reason"),
    ("institutions", "institution-id"),
    ("capability", "institution-id"),
];

/// A table as the page shows it, cells in `lang`, without its code
/// columns ([`CODE_COLUMNS`]).
pub fn view_of(
    t: Table,
    lang: Lang,
    link_col: &'static str,
    link: impl Fn(&str) -> String,
) -> TableView {
    let shown: Vec<bool> = t
        .columns
        .iter()
        .map(|c| !CODE_COLUMNS.contains(&(t.key, c.key.as_str())))
        .collect();
    TableView {
        link_col,
        key: t.key,
        csv_label: csv_label(lang, &t.title),
        title: t.title,
        note: t.note,
        csv: String::new(),
        empty: t.rows.is_empty(),
        rows: t
            .rows
            .into_iter()
            .map(|r| RowView {
                link: link(&r.key),
                cells: r
                    .cells
                    .iter()
                    .zip(&t.columns)
                    .zip(&shown)
                    .filter(|(_, shown)| **shown)
                    .map(|((c, col), _)| CellView {
                        col: col.key.clone(),
                        shown: c.shown(lang),
                        raw: c.raw(),
                        figure: matches!(c, Cell::Figure(..)),
                    })
                    .collect(),
                key: r.key,
            })
            .collect(),
        columns: t
            .columns
            .into_iter()
            .zip(shown)
            .filter_map(|(c, shown)| shown.then_some(c))
            .collect(),
    }
}

fn table_view(d: &Dashboard, t: Table, lang: Lang) -> TableView {
    let csv = csv_href(d, t.key);
    let links = t.key == "institutions";
    let link = |key: &str| {
        if !links {
            return String::new();
        }
        let filters = super::dashboard::Filters {
            subject: SubjectRef::Institution(key.into()),
            ..d.filters.clone()
        };
        format!("{PATH}?{}", filters.query(&[]))
    };
    TableView {
        csv,
        ..view_of(t, lang, "institution", link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_reads_as_people_write_it() {
        let (from, to) = (
            time::macros::date!(2026 - 01 - 01),
            time::macros::date!(2026 - 03 - 31),
        );
        assert_eq!(
            period_words(Lang::Zh, from, to),
            "2026年1月1日至2026年3月31日"
        );
        assert_eq!(
            period_words(Lang::En, from, to),
            "From 2026-01-01 to 2026-03-31"
        );
    }
}
