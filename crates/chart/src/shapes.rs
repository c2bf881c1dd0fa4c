//! Charts with no value axis: a funnel of the steps of a flow and a
//! capacity pyramid.

use super::axis::{Scale, Word};
use super::colour;
use super::percent::percent;
use super::svg::{OUTLINE, Svg};

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
            [left, y + 3.0, width.max(1.0), row - 8.0],
            colour(if i == 0 { 0 } else { 2 }),
            Some(*n as f64),
            &format!("{label}: {n}"),
        );
        let of_first = if first > 0 {
            format!("{n} ({})", percent(*n as f64 / first as f64, 0))
        } else {
            n.to_string()
        };
        svg.text(left + width + 6.0, y + 15.0, "start", &of_first);
    }
    svg.close()
}

/// One layer of a capacity pyramid: shares of the whole.
pub struct Layer {
    pub label: String,
    pub capacity: Option<f64>,
    pub demand: Option<f64>,
}

/// A capacity pyramid: one centred bar per layer (the last on top) for
/// the layer's share of the capacity, with an outline for its share of
/// the demand. An upright pyramid's bars follow their outlines; an
/// inverted one is wide where the outlines are narrow. `scale` writes the
/// shares in the tooltips.
pub fn pyramid(id: &str, title: &str, layers: &[Layer], scale: &dyn Scale) -> String {
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
    let show = |v: Option<f64>| v.map_or_else(|| scale.word(Word::Missing), |v| scale.show(v));
    let (capacity, demand) = (
        scale.word(Word::Capacity),
        scale.word(Word::PositionedDemand),
    );
    let mut svg = Svg::open("pyramid", id, w, h, title, true);
    svg.legend(
        left,
        14.0,
        right - left,
        &[(capacity.as_str(), colour(2)), (demand.as_str(), OUTLINE)],
    );
    for (i, layer) in layers.iter().rev().enumerate() {
        let y = 24.0 + row * i as f64;
        svg.text(left - 8.0, y + row / 2.0 + 4.0, "end", &layer.label);
        let cap = layer.capacity.unwrap_or(0.0).clamp(0.0, 1.0);
        svg.rect(
            [
                centre - half * cap,
                y + 4.0,
                (2.0 * half * cap).max(1.0),
                row - 8.0,
            ],
            colour(2),
            layer.capacity,
            &format!("{}: {capacity} {}", layer.label, show(layer.capacity)),
        );
        if let Some(d) = layer.demand {
            let d = d.clamp(0.0, 1.0);
            svg.outline(
                [
                    centre - half * d,
                    y + 2.0,
                    (2.0 * half * d).max(1.0),
                    row - 4.0,
                ],
                ("demand", d),
                &format!("{}: {demand} {}", layer.label, show(Some(d))),
            );
        }
    }
    svg.close()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Plain;

    #[test]
    fn a_pyramid_marks_capacity_and_outlines_demand() {
        let layer = |label: &str, capacity, demand| Layer {
            label: label.into(),
            capacity,
            demand,
        };
        let svg = pyramid(
            "beds",
            "Beds",
            &[
                layer("primary", Some(0.2), Some(0.6)),
                layer("secondary", Some(0.3), Some(0.3)),
                layer("<tertiary>", None, None),
            ],
            &Plain::Percent,
        );
        assert!(svg.contains(r#"class="chart" data-chart="pyramid" data-id="beds""#));
        assert_eq!(svg.matches("data-value=").count(), 2);
        assert_eq!(svg.matches("data-demand=").count(), 2);
        assert!(svg.contains("&lt;tertiary&gt;: capacity n/a"), "{svg}");
        let funnel = funnel("f", "F", &[("asked".into(), 4), ("done".into(), 1)]);
        assert!(funnel.contains(">1 (25 %)<"), "{funnel}");
        // One in a thousand is not none of them.
        let few = super::funnel("f", "F", &[("asked".into(), 1000), ("done".into(), 1)]);
        assert!(few.contains(">1 (&lt;1 %)<"), "{few}");
        assert_eq!(funnel.matches("data-value=").count(), 2);
    }
}
