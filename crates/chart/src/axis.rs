//! Value axes: where they run, their round ticks and how values are
//! written on them and in tooltips.

use super::frame::Plot;
use super::percent::percent;
use super::svg::Svg;

/// How a chart writes its values: on the value axis and in tooltips.
pub trait Scale {
    /// Whether values are shares or ratios, written as percentages.
    fn percent(&self) -> bool;
    /// A value as a tooltip shows it.
    fn show(&self, v: f64) -> String;
    /// The chart's own few words, in the reader's language: the web pages
    /// speak Chinese first, the simulator's report English (the default).
    fn word(&self, word: Word) -> String {
        word.english().to_string()
    }
}

/// The words a chart writes of its own accord, not given by its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Where a value is missing (an empty denominator).
    Missing,
    /// Across a chart with no value at all.
    NoData,
    /// A capacity pyramid's bars.
    Capacity,
    /// A capacity pyramid's outlines.
    PositionedDemand,
}

impl Word {
    /// The word in English.
    pub fn english(self) -> &'static str {
        match self {
            Word::Missing => "n/a",
            Word::NoData => "no data in this period",
            Word::Capacity => "capacity",
            Word::PositionedDemand => "positioned demand",
        }
    }
}

/// Plain numbers or percentages, as precise as a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plain {
    Number,
    Percent,
}

impl Plain {
    pub fn of(percent: bool) -> Plain {
        if percent {
            Plain::Percent
        } else {
            Plain::Number
        }
    }
}

impl Scale for Plain {
    fn percent(&self) -> bool {
        *self == Plain::Percent
    }

    fn show(&self, v: f64) -> String {
        if *self == Plain::Percent {
            percent(v, 2)
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.3}")
        }
    }
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
pub fn nice_max(max: f64) -> f64 {
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

/// Where a value axis runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// From zero to a round number at or above the largest value
    /// ([`nice_max`]), in two steps.
    FromZero,
    /// Shares: from zero to 100%, or as [`Range::FromZero`] when a value
    /// is above 1.
    Share,
    /// Round ticks, about five, just around the values, so that small
    /// differences between lines show. Bars start at zero all the same.
    Fit,
}

/// A value axis: round ticks `step` apart from `lo` to `hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    /// Whether ticks are written as percentages.
    pub percent: bool,
}

impl Axis {
    /// An axis for values from `min` to `max`, running as `range` says.
    pub fn new(range: Range, min: f64, max: f64, percent: bool) -> Axis {
        let hi = match range {
            Range::Fit => return Axis::covering(min, max, percent),
            Range::Share if max <= 1.0 => 1.0,
            Range::FromZero | Range::Share => nice_max(max),
        };
        Axis {
            lo: 0.0,
            hi,
            step: hi / 2.0,
            percent,
        }
    }

    /// Round ticks covering `min..=max`, about five of them.
    pub fn covering(min: f64, max: f64, percent: bool) -> Axis {
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

    /// Where `v` is on the plot, kept inside it.
    pub(crate) fn y(&self, v: f64, plot: &Plot) -> f64 {
        let share = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        plot.bottom - (plot.bottom - plot.top) * share
    }

    /// A tick's label, as precise as the step between ticks.
    pub fn label(&self, v: f64) -> String {
        let (v, step) = if self.percent {
            (v * 100.0, self.step * 100.0)
        } else {
            (v, self.step)
        };
        if !self.percent && step >= 1000.0 && v.abs() >= 1000.0 {
            if step >= 1e6 && v.abs() >= 1e6 {
                return format!("{}M", trim(v / 1e6));
            }
            return format!("{}k", trim(v / 1e3));
        }
        let decimals = decimals(step);
        if self.percent {
            // Every tick is a multiple of the step, written exactly.
            return percent(v / 100.0, decimals);
        }
        format!("{v:.decimals$}")
    }

    /// Gridlines across the plot, the lowest one darker, with the tick
    /// labels on their left.
    pub(crate) fn draw(&self, svg: &mut Svg, plot: &Plot) {
        let ticks = ((self.hi - self.lo) / self.step).round() as usize;
        for k in 0..=ticks {
            let v = self.lo + k as f64 * self.step;
            let y = self.y(v, plot);
            let stroke = if k == 0 { "#888" } else { "#e3e3e3" };
            svg.line((plot.left, y), (plot.right, y), stroke);
            svg.text(plot.left - 4.0, y + 4.0, "end", &self.label(v));
        }
    }
}

/// The decimals that write every multiple of `step` exactly, so that no
/// two ticks read the same however small the step (at most fifteen).
fn decimals(step: f64) -> usize {
    (0..15)
        .find(|&d| {
            let scaled = step.abs() * 10f64.powi(d as i32);
            scaled.round() >= 1.0 && (scaled - scaled.round()).abs() < 1e-6 * scaled
        })
        .unwrap_or(15)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(17.0), 20.0);
        assert_eq!(nice_max(100.0), 100.0);
    }

    #[test]
    fn round_ticks_cover_the_data() {
        let a = Axis::covering(0.487, 0.561, true);
        assert!(a.lo <= 0.487 && a.hi >= 0.561, "{}..{}", a.lo, a.hi);
        assert!((a.step - 0.01).abs() < 1e-12, "step {}", a.step);
        assert_eq!(a.label(0.5), "50 %");
        let b = Axis::covering(0.0, 38_812.0, false);
        assert_eq!(b.step, 10_000.0);
        assert_eq!(b.hi, 40_000.0);
        assert_eq!(b.label(20_000.0), "20k");
        // A flat series still gets a range.
        let c = Axis::covering(3.0, 3.0, false);
        assert!(c.lo < 3.0 && c.hi > 3.0);
    }

    #[test]
    fn axes_from_zero_have_three_ticks_and_shares_end_at_one() {
        let share = Axis::new(Range::Share, 0.0, 0.4, true);
        assert_eq!((share.lo, share.hi, share.step), (0.0, 1.0, 0.5));
        assert_eq!(share.label(0.5), "50 %");
        let over = Axis::new(Range::Share, 0.0, 1.3, true);
        assert_eq!(over.hi, 2.0);
        let counts = Axis::new(Range::FromZero, 0.0, 3.2, false);
        assert_eq!((counts.hi, counts.step), (5.0, 2.5));
        assert_eq!(counts.label(2.5), "2.5");
        assert_eq!(
            Axis::new(Range::FromZero, 0.0, 17.0, false).label(10.0),
            "10"
        );
        // No value at all: an axis all the same.
        let none = Axis::new(Range::FromZero, f64::INFINITY, f64::NEG_INFINITY, false);
        assert_eq!(none.hi, 1.0);
        assert_eq!(Plain::Percent.show(0.51234), "51.23 %");
        assert_eq!(Plain::Number.show(1234.4), "1234");
        assert_eq!(Plain::Number.show(0.5), "0.500");
    }

    /// The labels of an axis's ticks, bottom to top.
    fn tick_labels(a: &Axis) -> Vec<String> {
        let ticks = ((a.hi - a.lo) / a.step).round() as usize;
        (0..=ticks)
            .map(|k| a.label(a.lo + k as f64 * a.step))
            .collect()
    }

    #[test]
    fn ticks_of_small_shares_read_differently() {
        for (range, min, max) in [
            (Range::FromZero, 0.0, 0.0004),
            (Range::FromZero, 0.0, 1e-9),
            (Range::Fit, 0.0001, 0.0003),
            (Range::Fit, 0.0002, 0.0002),
            (Range::Fit, 1e-9, 3e-9),
            (Range::Share, 0.0, 0.0004),
            (Range::Share, 0.0, 0.3),
        ] {
            let axis = Axis::new(range, min, max, true);
            let labels = tick_labels(&axis);
            let mut distinct = labels.clone();
            distinct.dedup();
            assert_eq!(distinct, labels, "{range:?} {min}..{max}");
            assert!(labels.len() >= 2, "{labels:?}");
            assert!(
                labels
                    .iter()
                    .filter(|l| l.starts_with("0 ") || l.starts_with("0.0"))
                    .count()
                    <= 1
                    || labels
                        .iter()
                        .any(|l| l.chars().any(|c| ('1'..='9').contains(&c))),
                "{range:?} {min}..{max}: {labels:?}"
            );
        }
        assert_eq!(
            tick_labels(&Axis::new(Range::FromZero, 0.0, 0.0004, true)),
            ["0.000 %", "0.025 %", "0.050 %"]
        );
    }
}
