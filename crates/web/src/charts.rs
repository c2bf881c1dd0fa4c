//! The dashboard's charts and how its figures are shown.
//!
//! The charts are drawn by `tiercare_chart`, the one SVG chart writer the
//! simulator's reports use too: inline SVG drawn on the server, so a page
//! is complete HTML that works under a policy that forbids scripts. Every
//! chart is an `<svg class="chart">` with `data-chart` naming its kind and
//! one mark per value with a `data-value` attribute, so a browser test can
//! check what was drawn; every text in it is escaped by that crate. This
//! module only turns the dashboard's figures and [`Format`]s into its
//! charts, with every word (legends, titles, "no data") in the reader's
//! language.

use crate::i18n::{self, Lang};
use tiercare_chart::{Bar, Frame, Line, Range, Scale, Series, Word, colour};
use tiercare_core::insurance::Fen;

pub use tiercare_chart::{Layer, funnel};

/// How a figure is shown to people. CSV and `data-value` attributes carry
/// the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A whole number.
    Count,
    /// A share or a used/offered ratio, as a percentage.
    Percent,
    /// A plain number with two decimals.
    Decimal,
    Days,
    /// Whole minutes (a time bucket's edge).
    Minutes,
    /// Hours with one decimal (time given, counted in minutes and shown
    /// in hours; the value is in hours).
    Hours,
    Yuan,
}

impl Format {
    /// The figure for people in `lang`; "无数据" / "n/a" when there is
    /// none (an empty denominator, or a division that gave no number).
    /// Percentages are written by [`tiercare_chart::percent`], the one
    /// way every page and chart writes them (a small share is "<0.1 %",
    /// never "0.0 %"); money as [`i18n::yuan`] writes it, days with the
    /// language's word for them.
    pub fn show(self, lang: Lang, v: Option<f64>) -> String {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            return lang.t("dashboard-no-figure");
        };
        match self {
            Format::Count => format!("{v:.0}"),
            Format::Percent => tiercare_chart::percent(v, 1),
            Format::Decimal => format!("{v:.2}"),
            Format::Days => lang.t_with("dashboard-days", &[("n", format!("{v:.1}"))]),
            Format::Minutes => lang.t_with("dashboard-minutes", &[("n", format!("{v:.0}"))]),
            Format::Hours => lang.t_with("dashboard-hours", &[("n", format!("{v:.1}"))]),
            Format::Yuan => i18n::yuan(Fen::new((v * 100.0).round() as i64)),
        }
    }

    /// How charts write figures of this format in `lang`.
    pub fn in_lang(self, lang: Lang) -> Shown {
        Shown { format: self, lang }
    }
}

/// A [`Format`] in a language: how a chart writes its values and its own
/// few words.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    pub format: Format,
    pub lang: Lang,
}

impl Scale for Shown {
    fn percent(&self) -> bool {
        self.format == Format::Percent
    }

    fn show(&self, v: f64) -> String {
        self.format.show(self.lang, Some(v))
    }

    fn word(&self, word: Word) -> String {
        self.lang.t(match word {
            Word::Missing => "dashboard-no-figure",
            Word::NoData => "dashboard-chart-no-data",
            Word::Capacity => "dashboard-chart-capacity",
            Word::PositionedDemand => "dashboard-chart-positioned-demand",
        })
    }
}

/// The exact value for a `data-value` attribute or a CSV cell: Rust's
/// shortest representation that reads back as the same `f64`; empty when
/// there is none.
pub fn raw(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A month `2026-01` as people write it: 2026年1月, or 2026-01 in
/// English.
pub fn month_label(lang: Lang, code: &str) -> String {
    let (month, days) = match code.split_once(' ') {
        Some((m, d)) => (m, Some(d.trim_matches(|c| c == '(' || c == ')'))),
        None => (code, None),
    };
    let parsed = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u8>().ok()?)));
    match (lang, parsed, days) {
        (Lang::Zh, Some((y, m)), None) => format!("{y}年{m}月"),
        (Lang::Zh, Some((y, m)), Some(d)) => format!("{y}年{m}月（{d}日）"),
        _ => code.to_string(),
    }
}

/// A month's code in tables, charts and CSV: `2026-12`, or, for a month
/// the period covers only in part (the current month, or one the period
/// cuts), the days it covers: `2026-12 (1–6)`. One rule on every page: a
/// partial month is never shown as if it were whole.
pub fn month_code(month: time::Date, from: time::Date, to: time::Date) -> String {
    let code = format!("{}-{:02}", month.year(), u8::from(month.month()));
    let last = month.replace_day(month.month().length(month.year()));
    if from <= month && last.is_ok_and(|l| to >= l) {
        code
    } else {
        format!("{code} ({}–{})", from.day(), to.day())
    }
}

/// Shares are drawn on a 0-100% axis, other figures from zero.
fn range(share: bool) -> Range {
    if share { Range::Share } else { Range::FromZero }
}

/// A measure's line over months, in its panel: one point per month with
/// a value, the line broken where a month has none.
pub fn trend(
    code: &str,
    title: &str,
    months: &[String],
    values: &[Option<f64>],
    f: Shown,
    share: bool,
) -> String {
    let line = Line {
        name: "",
        colour: colour(0),
        values,
    };
    let frame = Frame::new(code, title).in_panel().range(range(share));
    tiercare_chart::lines(&frame, months, &[line], &f)
}

/// Vertical bars in groups: one group per category, one bar per series,
/// in the palette's colours.
pub fn grouped_bars(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(String, Vec<Option<f64>>)],
    f: Shown,
    share: bool,
) -> String {
    let series: Vec<Series<'_>> = series
        .iter()
        .enumerate()
        .map(|(i, (name, values))| Series {
            name,
            colour: colour(i),
            values: values.iter().map(|&v| Bar::from(v)).collect(),
        })
        .collect();
    let frame = Frame::new(id, title).range(range(share));
    tiercare_chart::grouped_bars(&frame, categories, &series, &f)
}

/// A capacity pyramid of shares (see [`tiercare_chart::pyramid`]).
pub fn pyramid(lang: Lang, id: &str, title: &str, layers: &[Layer]) -> String {
    tiercare_chart::pyramid(id, title, layers, &Format::Percent.in_lang(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_shown_for_people_and_raw_for_machines() {
        assert_eq!(Format::Percent.show(Lang::Zh, Some(0.517)), "51.7 %");
        assert_eq!(Format::Percent.show(Lang::Zh, Some(0.0)), "0.0 %");
        assert_eq!(Format::Percent.show(Lang::En, Some(0.0003)), "<0.1 %");
        assert_eq!(Format::Percent.show(Lang::En, Some(0.9999)), ">99.9 %");
        assert_eq!(Format::Percent.show(Lang::Zh, None), "无数据");
        assert_eq!(Format::Percent.show(Lang::En, Some(f64::NAN)), "n/a");
        assert_eq!(
            Format::Decimal.show(Lang::Zh, Some(f64::INFINITY)),
            "无数据"
        );
        assert_eq!(Format::Count.show(Lang::En, None), "n/a");
        assert_eq!(Format::Count.show(Lang::Zh, None), "无数据");
        assert_eq!(Format::Yuan.show(Lang::Zh, Some(226.0)), "¥226.00");
        assert_eq!(Format::Days.show(Lang::Zh, Some(3.25)), "3.2 天");
        assert_eq!(Format::Days.show(Lang::En, Some(3.0)), "3.0 days");
        assert_eq!(Format::Minutes.show(Lang::Zh, Some(30.0)), "30 分钟");
        assert_eq!(Format::Minutes.show(Lang::En, Some(30.0)), "30 min");
        assert_eq!(Format::Hours.show(Lang::Zh, Some(12.25)), "12.2 小时");
        assert_eq!(Format::Hours.show(Lang::En, Some(1.5)), "1.5 h");
        assert_eq!(raw(Some(0.1)), "0.1");
        assert_eq!(raw(None), "");
    }

    #[test]
    fn months_read_as_people_write_them() {
        assert_eq!(month_label(Lang::Zh, "2026-01"), "2026年1月");
        assert_eq!(month_label(Lang::En, "2026-01"), "2026-01");
        assert_eq!(
            month_label(Lang::Zh, "2026-12 (1–6)"),
            "2026年12月（1–6日）"
        );
        assert_eq!(month_label(Lang::En, "2026-12 (1–6)"), "2026-12 (1–6)");
        use time::macros::date;
        let dec = date!(2026 - 12 - 01);
        assert_eq!(month_code(dec, dec, date!(2026 - 12 - 31)), "2026-12");
        assert_eq!(month_code(dec, dec, date!(2026 - 12 - 06)), "2026-12 (1–6)");
        assert_eq!(
            month_code(dec, date!(2026 - 12 - 10), date!(2026 - 12 - 31)),
            "2026-12 (10–31)"
        );
    }
}
