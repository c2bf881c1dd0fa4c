//! Vertical bars: grouped, one per series in each category, with an
//! interval where a bar has one; and stacked, the shares of a whole.

use super::axis::{Axis, Plain, Scale};
use super::frame::{Frame, Plot};
use super::percent::percent;

/// One bar's figure: its value, if any, and the interval around it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bar {
    pub value: Option<f64>,
    /// `(low, high)`, drawn as a whisker.
    pub interval: Option<(f64, f64)>,
}

impl Bar {
    /// A mean with its interval; no bar where the mean is not a number,
    /// no whisker where the interval is empty.
    pub fn estimate(mean: f64, low: f64, high: f64) -> Bar {
        Bar {
            value: mean.is_finite().then_some(mean),
            interval: (high > low).then_some((low, high)),
        }
    }
}

impl From<Option<f64>> for Bar {
    fn from(value: Option<f64>) -> Bar {
        Bar {
            value,
            interval: None,
        }
    }
}

/// One series of bars: its name in the legend, its colour, one bar per
/// category.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: Vec<Bar>,
}

/// Vertical bars in groups: one group per category, one bar per series
/// with its `data-value`, and a whisker for a bar's interval. Bars start
/// at zero; the axis runs to the largest value or interval as the
/// frame's range says; `scale` writes its ticks and the tooltips.
pub fn grouped_bars(
    frame: &Frame<'_>,
    categories: &[String],
    series: &[Series<'_>],
    scale: &dyn Scale,
) -> String {
    let per_category = 14.0 * series.len() as f64 + 14.0;
    let width =
        (120.0 + categories.len() as f64 * per_category).clamp(frame.width, frame.width.max(900.0));
    let legend: Vec<(&str, &str)> = series.iter().map(|s| (s.name, s.colour)).collect();
    let max = series
        .iter()
        .flat_map(|s| &s.values)
        .flat_map(|b| [b.value, b.interval.map(|(_, high)| high)])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let axis = Axis::new(frame.range, 0.0, max, scale.percent());
    let (plot, mut svg) = Plot::open("bars", frame, width, &legend, &axis);
    let n = categories.len().max(1);
    let group = (plot.right - plot.left) / n as f64;
    let s = series.len().max(1) as f64;
    let bar = (group * 0.8 / s).min(28.0);
    let middle = |c: usize| plot.left + group * (c as f64 + 0.5);
    for (c, label) in categories.iter().enumerate() {
        let x0 = middle(c) - bar * s / 2.0;
        for (j, ser) in series.iter().enumerate() {
            let b = ser.values.get(c).copied().unwrap_or_default();
            let Some(v) = b.value.filter(|v| v.is_finite()) else {
                continue;
            };
            let x = x0 + bar * j as f64;
            let y = axis.y(v, &plot);
            svg.rect(
                [x, y, bar - 1.0, plot.bottom - y],
                ser.colour,
                Some(v),
                &format!("{label}, {}: {}", ser.name, scale.show(v)),
            );
            if let Some((low, high)) = b.interval {
                let mid = x + (bar - 1.0) / 2.0;
                let (top, low) = (axis.y(high, &plot), axis.y(low, &plot));
                svg.line((mid, top), (mid, low), "#111");
                svg.line((mid - 4.0, top), (mid + 4.0, top), "#111");
                svg.line((mid - 4.0, low), (mid + 4.0, low), "#111");
            }
        }
    }
    plot.labels(&mut svg, frame, categories, middle, false);
    svg.close()
}

/// One bar of stacked parts.
pub struct Stack<'a> {
    pub name: &'a str,
    pub parts: Vec<f64>,
}

/// Bars of parts stacked to 100%: each bar's parts as shares of its sum,
/// one rect per part with its share as `data-value`. `parts` names the
/// parts and gives their colours.
pub fn stacked_bars(frame: &Frame<'_>, parts: &[(&str, &str)], bars: &[Stack<'_>]) -> String {
    let axis = Axis {
        lo: 0.0,
        hi: 1.0,
        step: 0.2,
        percent: true,
    };
    let (plot, mut svg) = Plot::open("stacked", frame, frame.width, parts, &axis);
    let slot = (plot.right - plot.left) / bars.len().max(1) as f64;
    let width = (slot * 0.6).min(70.0);
    let middle = |k: usize| plot.left + (k as f64 + 0.5) * slot;
    for (k, b) in bars.iter().enumerate() {
        let total: f64 = b.parts.iter().filter(|v| v.is_finite()).sum();
        let mut below = 0.0;
        for (j, v) in b.parts.iter().enumerate() {
            if total <= 0.0 || !v.is_finite() {
                continue;
            }
            let share = v / total;
            let (y1, y0) = (axis.y(below + share, &plot), axis.y(below, &plot));
            let (name, colour) = parts.get(j).copied().unwrap_or(("", "#999"));
            svg.rect(
                [middle(k) - width / 2.0, y1, width, y0 - y1],
                colour,
                Some(share),
                &format!("{}, {name}: {}", b.name, Plain::Percent.show(share)),
            );
            if y0 - y1 >= 14.0 {
                svg.text_in(
                    "#fff",
                    middle(k),
                    (y0 + y1) / 2.0 + 4.0,
                    "middle",
                    &percent(share, 1),
                );
            }
            below += share;
        }
    }
    let names: Vec<&str> = bars.iter().map(|b| b.name).collect();
    plot.labels(&mut svg, frame, &names, middle, false);
    svg.close()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Range;

    #[test]
    fn bars_carry_their_values_and_intervals_their_whiskers() {
        let categories = vec!["a <b>".to_string(), "c".to_string()];
        let svg = grouped_bars(
            &Frame::new("r", "R").range(Range::Fit),
            &categories,
            &[
                Series {
                    name: "up",
                    colour: "#000",
                    values: vec![
                        Bar::estimate(4.0, 3.0, 5.0),
                        Bar::estimate(f64::NAN, 0.0, 0.0),
                    ],
                },
                Series {
                    name: "down",
                    colour: "#111",
                    values: vec![Some(2.0).into(), None.into()],
                },
            ],
            &Plain::Number,
        );
        assert!(svg.contains(r#"data-chart="bars" data-id="r""#), "{svg}");
        assert_eq!(svg.matches("data-value=").count(), 2, "{svg}");
        assert!(svg.contains(r#"data-value="4""#));
        // One whisker: three lines with the whisker's colour.
        assert_eq!(svg.matches(r##"stroke="#111""##).count(), 3);
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("a &lt;b&gt;, up: 4.000"), "{svg}");
    }

    #[test]
    fn stacked_parts_are_shares_of_their_bar() {
        let svg = stacked_bars(
            &Frame::new("s", "S"),
            &[("one", "#000"), ("two", "#111")],
            &[Stack {
                name: "x",
                parts: vec![1.0, 3.0],
            }],
        );
        assert!(svg.contains(r#"data-value="0.25""#), "{svg}");
        assert!(svg.contains(r#"data-value="0.75""#), "{svg}");
        assert!(svg.contains(">75.0 %<"), "{svg}");
    }

    #[test]
    fn month_labels_under_bars_never_overlap() {
        use crate::lines::tests::{assert_labels_fit, months};
        for n in [6, 12, 13, 24, 36] {
            let months = months(n);
            let up = Series {
                name: "up",
                colour: "#000",
                values: (0..n).map(|k| Some(k as f64).into()).collect(),
            };
            let down = Series {
                name: "down",
                colour: "#111",
                values: (0..n).map(|k| Some(k as f64 / 2.0).into()).collect(),
            };
            // As the dashboard draws the referrals by month.
            let svg = grouped_bars(&Frame::new("r", "R"), &months, &[up, down], &Plain::Number);
            let width: f64 = svg
                .split_once(" width=\"")
                .and_then(|(_, r)| r.split_once('"'))
                .and_then(|(w, _)| w.parse().ok())
                .unwrap_or(0.0);
            assert_labels_fit(&svg, &months, width, &format!("{n} months of bars"));
        }
    }
}
