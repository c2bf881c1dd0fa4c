//! The dashboard's charts and how its figures are shown.
//!
//! The charts are drawn by `tiercare_chart`, the one SVG chart writer the
//! simulator's reports use too: inline SVG drawn on the server, so a page
//! is complete HTML that works under a policy that forbids scripts. Every
//! chart is an `<svg class="chart">` with `data-chart` naming its kind and
//! one mark per value with a `data-value` attribute, so a browser test can
//! check what was drawn; every text in it is escaped by that crate. This
//! module only turns the dashboard's figures and [`Format`]s into its
//! charts.

use tiercare_chart::{Bar, Frame, Line, Range, Scale, Series, colour};

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
    Yuan,
}

impl Format {
    /// The figure for people; "n/a" when there is none (an empty
    /// denominator).
    pub fn show(self, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "n/a".into();
        };
        match self {
            Format::Count => format!("{v:.0}"),
            Format::Percent => format!("{:.1} %", v * 100.0),
            Format::Decimal => format!("{v:.2}"),
            Format::Days => format!("{v:.1} d"),
            Format::Yuan => format!("{v:.2} yuan"),
        }
    }
}

impl Scale for Format {
    fn percent(&self) -> bool {
        *self == Format::Percent
    }

    fn show(&self, v: f64) -> String {
        Format::show(*self, Some(v))
    }
}

/// The exact value for a `data-value` attribute or a CSV cell: Rust's
/// shortest representation that reads back as the same `f64`; empty when
/// there is none.
pub fn raw(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
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
    f: Format,
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
    series: &[(&str, Vec<Option<f64>>)],
    f: Format,
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
pub fn pyramid(id: &str, title: &str, layers: &[Layer]) -> String {
    tiercare_chart::pyramid(id, title, layers, &Format::Percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_shown_for_people_and_raw_for_machines() {
        assert_eq!(Format::Percent.show(Some(0.517)), "51.7 %");
        assert_eq!(Format::Count.show(None), "n/a");
        assert_eq!(raw(Some(0.1)), "0.1");
        assert_eq!(raw(None), "");
    }
}
