//! The SVG writer: every element a chart is made of, every text in it
//! escaped.

use super::escape;
use std::fmt::Write;

/// The legend colour of a dashed outline.
pub const OUTLINE: &str = "outline";

const FONT: &str = r#"font-family="system-ui, sans-serif" font-size="11""#;

/// Room for a chart's visible title.
const HEADING: f64 = 22.0;

/// About how wide a character of the chart's font is, in pixels.
pub(crate) const CHAR_WIDTH: f64 = 6.4;

/// Height of a legend's row.
pub(crate) const LEGEND_ROW: f64 = 16.0;

/// An SVG being written; writing to a `String` cannot fail, so `write!`
/// results are dropped.
pub struct Svg {
    out: String,
    heading: bool,
}

impl Svg {
    /// Opens a chart of kind `kind` (its `data-chart`) and id `id` (its
    /// `data-id`), `height` high without its title; `heading` draws the
    /// title on top (a chart in a panel has the panel's heading instead).
    /// The title is the chart's `<title>` and aria-label either way.
    pub fn open(kind: &str, id: &str, width: f64, height: f64, title: &str, heading: bool) -> Svg {
        let t = escape(title);
        let mut s = String::new();
        let height = if heading { height + HEADING } else { height };
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" data-id="{id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}" {FONT}><title>{t}</title>"#,
            kind = escape(kind),
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

    /// A text in the chart's usual grey.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        self.text_in("#444", x, y, anchor, text);
    }

    /// A text in colour `fill`.
    pub fn text_in(&mut self, fill: &str, x: f64, y: f64, anchor: &str, text: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            escape(text)
        );
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="1"/>"#
        );
    }

    /// A bar or box `[x, y, width, height]` with its tooltip: a mark with
    /// its value, unless it is decoration.
    pub fn rect(&mut self, [x, y, w, h]: [f64; 4], fill: &str, value: Option<f64>, tip: &str) {
        let data = value.map_or(String::new(), |v| format!(r#" data-value="{v}""#));
        let _ = write!(
            self.out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"{data}><title>{}</title></rect>"#,
            escape(tip)
        );
    }

    /// A dashed outline `[x, y, width, height]` with its tooltip, its
    /// value in the attribute `data-{name}`: not a mark, a figure to
    /// compare the marks with.
    pub fn outline(&mut self, [x, y, w, h]: [f64; 4], (name, value): (&str, f64), tip: &str) {
        let _ = write!(
            self.out,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#333" stroke-width="1.5" stroke-dasharray="4 3" data-{}="{value}"><title>{}</title></rect>"##,
            escape(name),
            escape(tip)
        );
    }

    /// A line through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            self.out,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"/>"#,
            points.join(" ")
        );
    }

    /// A point of a line: a mark with its value and tooltip.
    pub fn point(&mut self, (x, y): (f64, f64), fill: &str, value: f64, tip: &str) {
        let _ = write!(
            self.out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{fill}" data-value="{value}"><title>{}</title></circle>"#,
            escape(tip)
        );
    }

    /// A legend of `(label, colour)` entries from `(x, y)`, in rows of at
    /// most `width` ([`legend_rows`] of them); an entry of colour
    /// [`OUTLINE`] is drawn as a dashed box.
    pub fn legend(&mut self, x: f64, y: f64, width: f64, entries: &[(&str, &str)]) {
        for ((label, colour), (at, row)) in entries.iter().zip(layout_legend(entries, x, width)) {
            let y = y + LEGEND_ROW * row as f64;
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
            self.text(at + 14.0, y, "start", &fit(label, width));
        }
    }

    pub fn close(mut self) -> String {
        if self.heading {
            self.out.push_str("</g>");
        }
        self.out.push_str("</svg>");
        self.out
    }
}

/// How many rows a legend of `entries` takes in `width`.
pub fn legend_rows(entries: &[(&str, &str)], width: f64) -> usize {
    layout_legend(entries, 0.0, width)
        .last()
        .map_or(0, |(_, row)| row + 1)
}

/// Where each legend entry goes: its left edge and its row.
fn layout_legend(entries: &[(&str, &str)], left: f64, width: f64) -> Vec<(f64, usize)> {
    let mut x = left;
    let mut row = 0;
    entries
        .iter()
        .map(|(label, _)| {
            let w = 24.0 + columns(&fit(label, width)) * CHAR_WIDTH;
            if x + w > left + width && x > left {
                x = left;
                row += 1;
            }
            let at = (x, row);
            x += w;
            at
        })
        .collect()
}

/// How many [`CHAR_WIDTH`]s a character takes: Chinese, Japanese and
/// Korean characters and full-width forms are about as wide as the font is
/// high, nearly twice a Latin letter.
fn char_columns(c: char) -> f64 {
    let wide = matches!(
        c,
        '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
    );
    if wide { 1.75 } else { 1.0 }
}

/// How many [`CHAR_WIDTH`]s a text takes.
pub(crate) fn columns(s: &str) -> f64 {
    s.chars().map(char_columns).sum()
}

/// A label shortened to about `width` pixels.
pub(crate) fn fit(label: &str, width: f64) -> String {
    let max = (width / CHAR_WIDTH).floor().max(4.0);
    if columns(label) <= max {
        return label.to_string();
    }
    let mut s = String::new();
    let mut used = 1.0;
    for c in label.chars() {
        used += char_columns(c);
        if used > max {
            break;
        }
        s.push(c);
    }
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_legend_wraps_and_long_labels_are_cut() {
        let entries = [("one", "#000"), ("two", "#000"), (OUTLINE, OUTLINE)];
        assert_eq!(legend_rows(&entries, 1000.0), 1);
        assert_eq!(legend_rows(&entries, 60.0), 3);
        assert_eq!(legend_rows(&[], 60.0), 0);
        assert_eq!(fit("abcdefghij", 6.0 * CHAR_WIDTH), "abcde…");
        assert_eq!(fit("abc", 0.0), "abc");
        // Chinese characters take nearly two places each.
        assert_eq!(fit("基层首诊率高", 6.0 * CHAR_WIDTH), "基层…");
        assert_eq!(fit("基层", 6.0 * CHAR_WIDTH), "基层");
    }
}
