//! Lines over a series (months, most often): a point per value, the line
//! broken where a value is missing.

use super::axis::{Axis, Scale, Word};
use super::frame::{Frame, Plot};

/// One line: its name in the legend (none when empty), its colour and a
/// value or none per label.
pub struct Line<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: &'a [Option<f64>],
}

/// Lines over the labels `xs`, one point per value with its
/// `data-value`, each line broken where it has no value. The value axis
/// runs as the frame's range says; `scale` writes its ticks and the
/// tooltips.
pub fn lines(frame: &Frame<'_>, xs: &[String], lines: &[Line<'_>], scale: &dyn Scale) -> String {
    let legend: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| !l.name.is_empty())
        .map(|l| (l.name, l.colour))
        .collect();
    let values = || {
        lines
            .iter()
            .flat_map(|l| l.values.iter().flatten().copied())
    };
    let (min, max) = values().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let axis = Axis::new(frame.range, min, max, scale.percent());
    let (plot, mut svg) = Plot::open("trend", frame, frame.width, &legend, &axis);
    let n = xs.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            (plot.left + plot.right) / 2.0
        } else {
            plot.left + (plot.right - plot.left) * i as f64 / (n - 1) as f64
        }
    };
    plot.labels(&mut svg, frame, xs, x, true);
    for line in lines {
        let points: Vec<Option<(f64, f64)>> = line
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| v.map(|v| (x(i), axis.y(v, &plot))))
            .collect();
        // Runs of values, each drawn as one polyline.
        for run in points.split(Option::is_none).filter(|r| r.len() > 1) {
            let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
            svg.polyline(&run, line.colour);
        }
        for (i, (v, p)) in line.values.iter().zip(&points).enumerate() {
            if let (Some(v), Some(p)) = (v, p) {
                let at = xs.get(i).map_or("", String::as_str);
                let at = if frame.x_title.is_empty() {
                    at.to_string()
                } else {
                    format!("{} {at}", frame.x_title)
                };
                let tip = if line.name.is_empty() {
                    format!("{at}: {}", scale.show(*v))
                } else {
                    format!("{}, {at}: {}", line.name, scale.show(*v))
                };
                svg.point(*p, line.colour, *v, &tip);
            }
        }
    }
    if values().next().is_none() {
        svg.text(
            (plot.left + plot.right) / 2.0,
            (plot.top + plot.bottom) / 2.0,
            "middle",
            &scale.word(Word::NoData),
        );
    }
    svg.close()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{Plain, Range, colour};

    /// One line as a panel of the web pages draws it.
    fn trend(id: &str, title: &str, months: &[String], values: &[Option<f64>]) -> String {
        lines(
            &Frame::new(id, title).in_panel().range(Range::Share),
            months,
            &[Line {
                name: "",
                colour: colour(0),
                values,
            }],
            &Plain::Percent,
        )
    }

    #[test]
    fn text_in_charts_is_escaped() {
        let months = vec!["<script>".to_string()];
        let svg = trend("x\"y", "a & <b>", &months, &[Some(0.5)]);
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
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(r#"data-value="0.125""#));
        // The gap splits the line: only the run of two is a polyline.
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn a_gap_breaks_the_line() {
        let values = [Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)];
        let months: Vec<String> = (1..=5).map(|m| m.to_string()).collect();
        let svg = lines(
            &Frame::new("t", "t").x_title("month").range(Range::Fit),
            &months,
            &[Line {
                name: "a",
                colour: "#000",
                values: &values,
            }],
            &Plain::Number,
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
    }

    /// The texts of an SVG whose content `keep` accepts: (x, anchor, text).
    pub(crate) fn texts(svg: &str, keep: impl Fn(&str) -> bool) -> Vec<(f64, String, String)> {
        let attr = |tag: &str, name: &str| -> String {
            let key = format!(" {name}=\"");
            tag.split_once(&key)
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(v, _)| v.to_string())
                .unwrap_or_default()
        };
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let (tag, rest) = t.split_once('>')?;
                let (content, _) = rest.split_once("</text>")?;
                keep(content).then(|| {
                    (
                        attr(tag, "x").parse().unwrap_or(f64::NAN),
                        attr(tag, "text-anchor"),
                        content.to_string(),
                    )
                })
            })
            .collect()
    }

    /// Where a drawn text runs, measured as the chart measures it.
    pub(crate) fn span((x, anchor, text): &(f64, String, String)) -> (f64, f64) {
        let w = crate::svg::columns(text) * crate::svg::CHAR_WIDTH;
        match anchor.as_str() {
            "start" => (*x, x + w),
            "end" => (x - w, *x),
            _ => (x - w / 2.0, x + w / 2.0),
        }
    }

    /// Month codes from January 2026 on.
    pub(crate) fn months(n: usize) -> Vec<String> {
        (0..n)
            .map(|k| format!("{}-{:02}", 2026 + k / 12, k % 12 + 1))
            .collect()
    }

    fn is_month(s: &str) -> bool {
        s.len() == 7 && s.as_bytes()[4] == b'-' && s.starts_with("20")
    }

    /// Checks the month labels drawn: the first and the last month among
    /// them, none overlapping another, all inside the chart.
    pub(crate) fn assert_labels_fit(svg: &str, months: &[String], width: f64, what: &str) {
        let drawn = texts(svg, is_month);
        let names: Vec<&str> = drawn.iter().map(|d| d.2.as_str()).collect();
        assert_eq!(
            names.first().copied(),
            months.first().map(String::as_str),
            "{what}: {names:?}"
        );
        assert_eq!(
            names.last().copied(),
            months.last().map(String::as_str),
            "{what}: {names:?}"
        );
        assert!(names.len() >= 2.min(months.len()), "{what}: {names:?}");
        for pair in drawn.windows(2) {
            let ((_, a1), (b0, _)) = (span(&pair[0]), span(&pair[1]));
            assert!(
                a1 < b0,
                "{what}: {} ends at {a1:.1}, {} starts at {b0:.1}",
                pair[0].2,
                pair[1].2
            );
        }
        for d in &drawn {
            let (a, b) = span(d);
            assert!(a >= 0.0 && b <= width, "{what}: {} at {a:.1}..{b:.1}", d.2);
        }
    }

    #[test]
    fn month_labels_of_a_trend_never_overlap_and_show_the_first_and_last() {
        for n in [1, 2, 6, 12, 13, 24, 36, 120] {
            let months = months(n);
            let values: Vec<Option<f64>> = (0..n).map(|k| Some(k as f64 / 100.0)).collect();
            // As the pages draw a measure's trend, in its panel.
            let svg = trend("m", "m", &months, &values);
            assert_labels_fit(&svg, &months, 340.0, &format!("{n} months"));
        }
    }
}
