//! A few charts drawn as inline SVG: lines over months, stacked bars and
//! grouped bars with intervals. Hand-written rather than through a
//! plotting library: a report needs three kinds of chart, and a page that
//! opens anywhere, offline, with no script.

use super::stats::Estimate;
use std::fmt::Write;

/// Escapes text for HTML and SVG, in content and in quoted attributes.
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

/// Scenario colours, baseline first (colour-blind-safe Dark2 order).
pub const PALETTE: [&str; 8] = [
    "#1f4e79", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
];

/// A colour per position, repeating after the palette.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

const WIDTH: f64 = 540.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
const PLOT_HEIGHT: f64 = 200.0;
const AXIS_SPACE: f64 = 40.0;
const LEGEND_ROW: f64 = 18.0;
const CHAR_WIDTH: f64 = 6.6;

/// An SVG document being written. Writing to a `String` cannot fail, so
/// the `write!` results are dropped.
struct Svg {
    out: String,
}

impl Svg {
    fn new(width: f64, height: f64, title: &str) -> Svg {
        let t = escape(title);
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" font-family="sans-serif" font-size="11"><title>{t}</title>"#
        );
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{t}</text>"#
        );
        Svg { out }
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"><title>{}</title></rect>"#,
            escape(tip)
        );
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let mut p = String::new();
        for (x, y) in points {
            let _ = write!(p, "{x:.1},{y:.1} ");
        }
        let _ = write!(
            self.out,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"/>"#,
            p.trim_end()
        );
    }

    fn dot(&mut self, (x, y): (f64, f64), fill: &str, tip: &str) {
        let _ = write!(
            self.out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{fill}"><title>{}</title></circle>"#,
            escape(tip)
        );
    }

    fn text(&mut self, (x, y): (f64, f64), text: &str, anchor: &str, fill: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            escape(text)
        );
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// The value axis: a range with round ticks.
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
    percent: bool,
}

impl Axis {
    /// Round ticks covering `min..=max`, about five of them.
    fn covering(min: f64, max: f64, percent: bool) -> Axis {
        let (mut min, mut max) = (min, max);
        if !(min.is_finite() && max.is_finite()) {
            (min, max) = (0.0, 1.0);
        }
        if max - min <= f64::EPSILON * max.abs().max(1.0) {
            let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
            (min, max) = (min - pad, max + pad);
        }
        let rough = (max - min) / 5.0;
        let magnitude = 10f64.powf(rough.log10().floor());
        let norm = rough / magnitude;
        let step = magnitude
            * if norm < 1.5 {
                1.0
            } else if norm < 3.0 {
                2.0
            } else if norm < 7.0 {
                5.0
            } else {
                10.0
            };
        Axis {
            lo: (min / step).floor() * step,
            hi: (max / step).ceil() * step,
            step,
            percent,
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + PLOT_HEIGHT - (v - self.lo) / (self.hi - self.lo) * PLOT_HEIGHT
    }

    fn label(&self, v: f64) -> String {
        let (v, step) = if self.percent {
            (v * 100.0, self.step * 100.0)
        } else {
            (v, self.step)
        };
        let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
        let suffix = if self.percent { "%" } else { "" };
        if !self.percent && step >= 1000.0 && v.abs() >= 1000.0 {
            if step >= 1e6 && v.abs() >= 1e6 {
                return format!("{}M", trim(v / 1e6));
            }
            return format!("{}k", trim(v / 1e3));
        }
        format!("{v:.decimals$}{suffix}")
    }

    /// Grid lines and tick labels across a plot of `width`.
    fn draw(&self, svg: &mut Svg, width: f64) {
        let ticks = ((self.hi - self.lo) / self.step).round() as usize;
        for k in 0..=ticks {
            let v = self.lo + k as f64 * self.step;
            let y = self.y(v);
            svg.line((LEFT, y), (LEFT + width, y), "#dddddd", 1.0);
            svg.text((LEFT - 6.0, y + 4.0), &self.label(v), "end", "#333333");
        }
        svg.line((LEFT, TOP), (LEFT, TOP + PLOT_HEIGHT), "#555555", 1.0);
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A label shortened to about `width` pixels.
fn fit(label: &str, width: f64) -> String {
    let max = ((width / CHAR_WIDTH) as usize).max(4);
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// Legend entries laid out in rows under the plot; returns the rows used.
fn legend_rows(names: &[&str], width: f64) -> usize {
    layout_legend(names, width)
        .last()
        .map_or(0, |(_, row)| row + 1)
}

fn layout_legend(names: &[&str], width: f64) -> Vec<(f64, usize)> {
    let mut x = LEFT;
    let mut row = 0;
    names
        .iter()
        .map(|n| {
            let w = 18.0 + fit(n, width).chars().count() as f64 * CHAR_WIDTH + 14.0;
            if x + w > LEFT + width && x > LEFT {
                x = LEFT;
                row += 1;
            }
            let at = (x, row);
            x += w;
            at
        })
        .collect()
}

fn legend(svg: &mut Svg, names: &[&str], colours: &[&str], width: f64) {
    let top = TOP + PLOT_HEIGHT + AXIS_SPACE;
    for ((name, c), (x, row)) in names.iter().zip(colours).zip(layout_legend(names, width)) {
        let y = top + row as f64 * LEGEND_ROW;
        svg.rect(x, y - 9.0, 12.0, 10.0, c, name);
        svg.text((x + 16.0, y), &fit(name, width), "start", "#222222");
    }
}

fn height(legend: usize) -> f64 {
    TOP + PLOT_HEIGHT + AXIS_SPACE + legend as f64 * LEGEND_ROW + 4.0
}

/// One line of a line chart.
pub struct Line<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: &'a [Option<f64>],
}

/// Values over months, one line per scenario; months without a value
/// break the line.
pub fn line_chart(title: &str, percent: bool, months: usize, lines: &[Line<'_>]) -> String {
    let width = WIDTH - LEFT - RIGHT;
    let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
    let colours: Vec<&str> = lines.iter().map(|l| l.colour).collect();
    let rows = legend_rows(&names, width);
    let mut svg = Svg::new(WIDTH, height(rows), title);
    let all = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten().copied());
    let (min, max) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let axis = Axis::covering(min, max, percent);
    axis.draw(&mut svg, width);
    let months = months.max(1);
    let x = |m: usize| LEFT + (m as f64 + 0.5) / months as f64 * width;
    let bottom = TOP + PLOT_HEIGHT;
    svg.line((LEFT, bottom), (LEFT + width, bottom), "#555555", 1.0);
    let every = months.div_ceil(12);
    for m in (0..months).step_by(every) {
        svg.text(
            (x(m), bottom + 14.0),
            &(m + 1).to_string(),
            "middle",
            "#333333",
        );
    }
    svg.text(
        (LEFT + width / 2.0, bottom + 30.0),
        "month",
        "middle",
        "#333333",
    );
    for line in lines {
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (m, v) in line.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let p = (x(m), axis.y(*v));
                    run.push(p);
                    let tip = format!("{}, month {}: {}", line.name, m + 1, axis.label_exact(*v));
                    svg.dot(p, line.colour, &tip);
                }
                None => {
                    if run.len() > 1 {
                        svg.polyline(&run, line.colour);
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            svg.polyline(&run, line.colour);
        }
    }
    legend(&mut svg, &names, &colours, width);
    svg.finish()
}

impl Axis {
    /// A value as a tooltip shows it, more precise than a tick.
    fn label_exact(&self, v: f64) -> String {
        if self.percent {
            format!("{:.2}%", v * 100.0)
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.3}")
        }
    }
}

/// One bar of stacked parts.
pub struct Stack<'a> {
    pub name: &'a str,
    pub parts: Vec<f64>,
}

/// Bars of parts stacked to 100% (each bar's parts as shares of its sum).
pub fn stacked_bars(title: &str, parts: &[&str], colours: &[&str], bars: &[Stack<'_>]) -> String {
    let width = WIDTH - LEFT - RIGHT;
    let rows = legend_rows(parts, width);
    let mut svg = Svg::new(WIDTH, height(rows), title);
    let axis = Axis {
        lo: 0.0,
        hi: 1.0,
        step: 0.2,
        percent: true,
    };
    axis.draw(&mut svg, width);
    let bottom = TOP + PLOT_HEIGHT;
    svg.line((LEFT, bottom), (LEFT + width, bottom), "#555555", 1.0);
    let slot = width / bars.len().max(1) as f64;
    let bar = (slot * 0.6).min(70.0);
    for (k, b) in bars.iter().enumerate() {
        let total: f64 = b.parts.iter().filter(|v| v.is_finite()).sum();
        let cx = LEFT + (k as f64 + 0.5) * slot;
        let mut acc = 0.0;
        for (j, v) in b.parts.iter().enumerate() {
            if total <= 0.0 || !v.is_finite() {
                continue;
            }
            let share = v / total;
            let (y1, y0) = (axis.y(acc + share), axis.y(acc));
            let name = parts.get(j).copied().unwrap_or("");
            let tip = format!("{}, {}: {:.1}%", b.name, name, share * 100.0);
            svg.rect(
                cx - bar / 2.0,
                y1,
                bar,
                y0 - y1,
                colours.get(j).copied().unwrap_or("#999999"),
                &tip,
            );
            if y0 - y1 >= 14.0 {
                svg.text(
                    (cx, (y0 + y1) / 2.0 + 4.0),
                    &format!("{:.1}%", share * 100.0),
                    "middle",
                    "#ffffff",
                );
            }
            acc += share;
        }
        svg.text((cx, bottom + 14.0), &fit(b.name, slot), "middle", "#333333");
    }
    legend(&mut svg, parts, colours, width);
    svg.finish()
}

/// A group of bars, one per series, with their intervals.
pub struct Group<'a> {
    pub name: &'a str,
    pub values: Vec<Estimate>,
}

/// Bars side by side per group (one colour per series), with a whisker
/// for each bar's interval when it has one.
pub fn grouped_bars(
    title: &str,
    series: &[&str],
    colours: &[&str],
    groups: &[Group<'_>],
) -> String {
    let width = WIDTH - LEFT - RIGHT;
    let rows = legend_rows(series, width);
    let mut svg = Svg::new(WIDTH, height(rows), title);
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().map(|e| e.high.max(e.mean)))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let axis = Axis::covering(0.0, max, false);
    axis.draw(&mut svg, width);
    let bottom = TOP + PLOT_HEIGHT;
    svg.line((LEFT, bottom), (LEFT + width, bottom), "#555555", 1.0);
    let slot = width / groups.len().max(1) as f64;
    let n = series.len().max(1) as f64;
    let bar = (slot * 0.7 / n).min(40.0);
    for (k, g) in groups.iter().enumerate() {
        let cx = LEFT + (k as f64 + 0.5) * slot;
        for (j, e) in g.values.iter().enumerate() {
            if !e.mean.is_finite() {
                continue;
            }
            let x = cx - bar * n / 2.0 + j as f64 * bar;
            let y = axis.y(e.mean);
            let name = series.get(j).copied().unwrap_or("");
            let tip = format!("{}, {}: {}", g.name, name, axis.label_exact(e.mean));
            svg.rect(
                x + 1.0,
                y,
                bar - 2.0,
                bottom - y,
                colours.get(j).copied().unwrap_or("#999999"),
                &tip,
            );
            if e.high > e.low {
                let mid = x + bar / 2.0;
                let (top, low) = (axis.y(e.high), axis.y(e.low));
                svg.line((mid, top), (mid, low), "#111111", 1.0);
                svg.line((mid - 4.0, top), (mid + 4.0, top), "#111111", 1.0);
                svg.line((mid - 4.0, low), (mid + 4.0, low), "#111111", 1.0);
            }
        }
        svg.text((cx, bottom + 14.0), &fit(g.name, slot), "middle", "#333333");
    }
    legend(&mut svg, series, colours, width);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn round_ticks_cover_the_data() {
        let a = Axis::covering(0.487, 0.561, true);
        assert!(a.lo <= 0.487 && a.hi >= 0.561, "{}..{}", a.lo, a.hi);
        assert!((a.step - 0.01).abs() < 1e-12, "step {}", a.step);
        assert_eq!(a.label(0.5), "50%");
        let b = Axis::covering(0.0, 38_812.0, false);
        assert_eq!(b.step, 10_000.0);
        assert_eq!(b.hi, 40_000.0);
        assert_eq!(b.label(20_000.0), "20k");
        // A flat series still gets a range.
        let c = Axis::covering(3.0, 3.0, false);
        assert!(c.lo < 3.0 && c.hi > 3.0);
    }

    #[test]
    fn a_gap_breaks_the_line() {
        let values = [Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)];
        let svg = line_chart(
            "t",
            false,
            5,
            &[Line {
                name: "a",
                colour: "#000",
                values: &values,
            }],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
    }
}
