//! The dashboard's charts, drawn as inline SVG on the server.
//!
//! Why not a JavaScript chart library: the dashboard needs four kinds of
//! chart (monthly lines, grouped bars, a funnel, a capacity pyramid), all
//! of figures the server already has. Drawn here, a page is complete HTML
//! that works with scripts off, under a policy that forbids scripts, with
//! nothing to vendor or keep up to date; the simulator's reports draw
//! their charts the same way. Every chart is an `<svg>` with
//! `data-chart` naming its kind and one mark (`circle` or `rect`) per value
//! with a `data-value` attribute, so a browser test can check what was
//! drawn.
//!
//! Every text that goes into a chart is escaped here: the result is
//! inserted into pages unescaped.

use std::fmt::Write;

/// Escapes text for SVG content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

    /// A short axis label.
    fn tick(self, v: f64) -> String {
        match self {
            Format::Percent => format!("{:.0}%", v * 100.0),
            Format::Count => format!("{v:.0}"),
            Format::Decimal | Format::Days | Format::Yuan => {
                if v >= 10.0 || v == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            }
        }
    }
}

/// The exact value for a `data-value` attribute or a CSV cell: Rust's
/// shortest representation that reads back as the same `f64`; empty when
/// there is none.
pub fn raw(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&c| c >= max)
        .unwrap_or(10.0 * p)
}

/// The legend colour of a dashed outline.
const OUTLINE: &str = "outline";

/// Series colours (colour-blind-safe Dark2).
const COLOURS: [&str; 4] = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"];

const FONT: &str = r#"font-family="system-ui, sans-serif" font-size="11""#;

/// An SVG being written; writing to a `String` cannot fail, so `write!`
/// results are dropped.
struct Svg {
    out: String,
    heading: bool,
}

/// Room for a chart's visible title.
const HEADING: f64 = 22.0;

impl Svg {
    /// Opens a chart; `heading` draws its title on top (charts in a
    /// panel have the panel's heading instead).
    fn open(kind: &str, id: &str, width: f64, height: f64, title: &str, heading: bool) -> Svg {
        let t = escape(title);
        let mut s = String::new();
        let height = if heading { height + HEADING } else { height };
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" data-id="{id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" {FONT}><title>{t}</title>"#,
            id = escape(id)
        );
        if heading {
            let _ = write!(
                s,
                r##"<text x="4" y="14" font-size="13" font-weight="bold" fill="#222">{t}</text><g transform="translate(0 {HEADING})">"##
            );
        }
        Svg { out: s, heading }
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = write!(
            self.out,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="#444">{}</text>"##,
            escape(text)
        );
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="1"/>"#
        );
    }

    /// A bar or box: a mark with its value, unless it is decoration.
    #[allow(clippy::too_many_arguments)]
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, value: Option<f64>, tip: &str) {
        let data = value.map_or(String::new(), |v| format!(r#" data-value="{v}""#));
        let _ = write!(
            self.out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"{data}><title>{}</title></rect>"#,
            escape(tip)
        );
    }

    /// A legend; an entry of colour [`OUTLINE`] is drawn as a dashed box.
    fn legend(&mut self, x: f64, y: f64, entries: &[(&str, &str)]) {
        let mut at = x;
        for (label, colour) in entries {
            let look = if *colour == OUTLINE {
                r##"fill="none" stroke="#333" stroke-dasharray="3 2""##.to_string()
            } else {
                format!(r#"fill="{colour}""#)
            };
            let _ = write!(
                self.out,
                r#"<rect x="{at:.1}" y="{:.1}" width="10" height="10" {look}/>"#,
                y - 9.0
            );
            self.text(at + 14.0, y, "start", label);
            at += 24.0 + 6.2 * label.chars().count() as f64;
        }
    }

    fn close(mut self) -> String {
        if self.heading {
            self.out.push_str("</g>");
        }
        self.out.push_str("</svg>");
        self.out
    }
}

/// A value axis from 0 to `max` on the left of a plot area: gridlines and
/// three labels.
fn value_axis(svg: &mut Svg, left: f64, right: f64, top: f64, bottom: f64, max: f64, f: Format) {
    for k in 0..=2 {
        let v = max * f64::from(k) / 2.0;
        let y = bottom - (bottom - top) * f64::from(k) / 2.0;
        svg.line(
            (left, y),
            (right, y),
            if k == 0 { "#888" } else { "#e3e3e3" },
        );
        svg.text(left - 4.0, y + 4.0, "end", &f.tick(v));
    }
}

/// Which category labels to print so they do not overlap.
fn label_step(n: usize, room: f64) -> usize {
    let fits = (room / 48.0).floor().max(1.0) as usize;
    n.div_ceil(fits).max(1)
}

/// A line over months: one point per month with a value, the line broken
/// where a month has none. Shares are drawn on a 0-100% axis.
pub fn trend(
    code: &str,
    title: &str,
    months: &[String],
    values: &[Option<f64>],
    f: Format,
    share: bool,
) -> String {
    let (w, h) = (340.0, 170.0);
    let (left, right, top, bottom) = (46.0, w - 12.0, 12.0, h - 28.0);
    let mut svg = Svg::open("trend", code, w, h, title, false);
    let max_value = values.iter().flatten().fold(0.0f64, |a, &v| a.max(v));
    let max = if share && max_value <= 1.0 {
        1.0
    } else {
        nice_max(max_value)
    };
    value_axis(&mut svg, left, right, top, bottom, max, f);
    let n = months.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| bottom - (bottom - top) * (v / max).clamp(0.0, 1.0);
    let step = label_step(n, right - left);
    for (i, m) in months.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            // The end labels stay inside the chart.
            let anchor = match i {
                _ if n == 1 => "middle",
                0 => "start",
                _ if i + 1 == n => "end",
                _ => "middle",
            };
            svg.text(x(i), h - 10.0, anchor, m);
        }
    }
    // Runs of months with values, each drawn as one polyline.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((x(i), y(*v))),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    for r in runs.iter().filter(|r| r.len() > 1) {
        let points: Vec<String> = r.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = write!(
            svg.out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            points.join(" "),
            COLOURS[0]
        );
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let _ = write!(
                svg.out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}" data-value="{v}"><title>{}: {}</title></circle>"#,
                x(i),
                y(*v),
                COLOURS[0],
                escape(months.get(i).map_or("", String::as_str)),
                escape(&f.show(Some(*v)))
            );
        }
    }
    if values.iter().all(Option::is_none) {
        svg.text(
            (left + right) / 2.0,
            (top + bottom) / 2.0,
            "middle",
            "no data in this period",
        );
    }
    svg.close()
}

/// Vertical bars in groups: one group per category, one bar per series.
pub fn grouped_bars(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(&str, Vec<Option<f64>>)],
    f: Format,
    share: bool,
) -> String {
    let w =
        (120.0 + categories.len() as f64 * (14.0 * series.len() as f64 + 14.0)).clamp(340.0, 900.0);
    let h = 200.0;
    let (left, right, top, bottom) = (52.0, w - 12.0, 28.0, h - 28.0);
    let mut svg = Svg::open("bars", id, w, h, title, true);
    let entries: Vec<(&str, &str)> = series
        .iter()
        .enumerate()
        .map(|(i, (label, _))| (*label, COLOURS[i % COLOURS.len()]))
        .collect();
    svg.legend(left, 14.0, &entries);
    let max_value = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .fold(0.0f64, |a, &v| a.max(v));
    let max = if share && max_value <= 1.0 {
        1.0
    } else {
        nice_max(max_value)
    };
    value_axis(&mut svg, left, right, top, bottom, max, f);
    let n = categories.len().max(1);
    let group = (right - left) / n as f64;
    let bar = (group * 0.8 / series.len().max(1) as f64).min(28.0);
    let step = label_step(n, right - left);
    for (c, label) in categories.iter().enumerate() {
        let x0 = left + group * c as f64 + (group - bar * series.len() as f64) / 2.0;
        for (s, (name, values)) in series.iter().enumerate() {
            let v = values.get(c).copied().flatten();
            let height = v.map_or(0.0, |v| (bottom - top) * (v / max).clamp(0.0, 1.0));
            svg.rect(
                x0 + bar * s as f64,
                bottom - height,
                bar - 1.0,
                height,
                COLOURS[s % COLOURS.len()],
                v,
                &format!("{label}, {name}: {}", f.show(v)),
            );
        }
        if c % step == 0 || c + 1 == n {
            svg.text(left + group * (c as f64 + 0.5), h - 10.0, "middle", label);
        }
    }
    svg.close()
}

/// Horizontal bars for the steps of a flow, each labelled with its count
/// and its share of the first step.
pub fn funnel(id: &str, title: &str, steps: &[(String, u64)]) -> String {
    let row = 26.0;
    let (w, h) = (560.0, 16.0 + row * steps.len() as f64);
    let (left, right) = (230.0, w - 90.0);
    let mut svg = Svg::open("funnel", id, w, h, title, true);
    let max = steps.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let first = steps.first().map_or(0, |(_, n)| *n);
    for (i, (label, n)) in steps.iter().enumerate() {
        let y = 8.0 + row * i as f64;
        let width = (right - left) * (*n as f64 / max);
        svg.text(left - 8.0, y + 15.0, "end", label);
        svg.rect(
            left,
            y + 3.0,
            width.max(1.0),
            row - 8.0,
            COLOURS[if i == 0 { 0 } else { 2 }],
            Some(*n as f64),
            &format!("{label}: {n}"),
        );
        let of_first = if first > 0 {
            format!("{n} ({:.0}%)", 100.0 * *n as f64 / first as f64)
        } else {
            n.to_string()
        };
        svg.text(left + width + 6.0, y + 15.0, "start", &of_first);
    }
    svg.close()
}

/// One layer of a capacity pyramid.
pub struct Layer {
    pub label: String,
    pub capacity: Option<f64>,
    pub demand: Option<f64>,
}

/// A capacity pyramid: one centred bar per level (the top level on top)
/// for the level's share of the capacity, with an outline for its share of
/// the positioned demand. An upright pyramid's bars follow their outlines;
/// an inverted one is wide where the outlines are narrow.
pub fn pyramid(id: &str, title: &str, layers: &[Layer]) -> String {
    let row = 34.0;
    let (w, h) = (380.0, 30.0 + row * layers.len() as f64);
    let (left, right) = (130.0, w - 12.0);
    let centre = (left + right) / 2.0;
    // The widest layer fills the width, so shapes show at any spread.
    let widest = layers
        .iter()
        .flat_map(|l| [l.capacity, l.demand])
        .flatten()
        .fold(0.0f64, f64::max);
    let half = (right - left) / 2.0 / if widest > 0.0 { widest } else { 1.0 };
    let mut svg = Svg::open("pyramid", id, w, h, title, true);
    svg.legend(
        left,
        14.0,
        &[("capacity", COLOURS[2]), ("positioned demand", OUTLINE)],
    );
    for (i, layer) in layers.iter().rev().enumerate() {
        let y = 24.0 + row * i as f64;
        svg.text(left - 8.0, y + row / 2.0 + 4.0, "end", &layer.label);
        let cap = layer.capacity.unwrap_or(0.0).clamp(0.0, 1.0);
        svg.rect(
            centre - half * cap,
            y + 4.0,
            (2.0 * half * cap).max(1.0),
            row - 8.0,
            COLOURS[2],
            layer.capacity,
            &format!(
                "{}: capacity {}",
                layer.label,
                Format::Percent.show(layer.capacity)
            ),
        );
        if let Some(d) = layer.demand {
            let d = d.clamp(0.0, 1.0);
            let _ = write!(
                svg.out,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#333" stroke-width="1.5" stroke-dasharray="4 3" data-demand="{d}"><title>{}</title></rect>"##,
                centre - half * d,
                y + 2.0,
                (2.0 * half * d).max(1.0),
                row - 4.0,
                escape(&format!(
                    "{}: positioned demand {}",
                    layer.label,
                    Format::Percent.show(Some(d))
                ))
            );
        }
    }
    svg.close()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_charts_is_escaped() {
        let months = vec!["<script>".to_string()];
        let svg = trend(
            "x\"y",
            "a & <b>",
            &months,
            &[Some(0.5)],
            Format::Percent,
            true,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(svg.contains(r#"data-id="x&quot;y""#), "{svg}");
    }

    #[test]
    fn a_trend_marks_every_month_with_a_value() {
        let months: Vec<String> = (1..=4).map(|m| format!("2026-0{m}")).collect();
        let svg = trend(
            "m",
            "m",
            &months,
            &[Some(0.25), None, Some(0.5), Some(0.125)],
            Format::Percent,
            true,
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(r#"data-value="0.125""#));
        // The gap splits the line: only the run of two is a polyline.
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(17.0), 20.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(Format::Percent.show(Some(0.517)), "51.7 %");
        assert_eq!(Format::Count.show(None), "n/a");
        assert_eq!(raw(Some(0.1)), "0.1");
        assert_eq!(raw(None), "");
    }
}
