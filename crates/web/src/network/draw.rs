//! The network drawn as inline SVG on the server: institutions as nodes
//! in rows by level (hospitals on top, primary care below), and for each
//! giver, receiver and kind a curved arrow from giver to receiver, its
//! width by the amount against the largest of that kind, its colour the
//! kind's, with a legend. Amounts of different kinds are in different
//! units, so widths compare edges of one kind only.
//!
//! Like the dashboard's charts it is an `<svg class="chart">` with
//! `data-chart="network"`; each arrow is a `path.flow` with `data-from`,
//! `data-to`, `data-kind` and `data-value` (the amount as recorded), each
//! node a `g.node` with `data-id` and `data-level`, so that a browser test
//! can check what was drawn. Every text goes through
//! [`tiercare_chart::escape`]; no script is needed.

use super::view::{amount_words, kind_label};
use crate::Lang;
use std::fmt::Write as _;
use tiercare_chart::{PALETTE, escape};
use tiercare_core::Level;
use tiercare_core::flows::FlowKind;
use tiercare_core::indicators::Ix;
use tiercare_service::flows::Flows;

const WIDTH: f64 = 760.0;
/// Room on the left for the levels' names.
const LEFT: f64 = 118.0;
const TOP: f64 = 34.0;
/// From one level's last row to the next level's first.
const ROW: f64 = 170.0;
/// At most this many institutions side by side; a level with more takes
/// several rows, `SUB_ROW` apart.
const PER_ROW: usize = 8;
const SUB_ROW: f64 = 62.0;
const RADIUS: f64 = 13.0;
const LEGEND_ROW: f64 = 18.0;
const LEGEND_COLUMNS: usize = 3;
/// About how wide a character of the drawing's font is.
const CHAR: f64 = 11.5;

/// The colour of a kind: the charts' palette, one more for the ninth.
pub fn colour(kind: FlowKind) -> &'static str {
    PALETTE.get(kind.index()).copied().unwrap_or("#1f78b4")
}

fn node_fill(level: Level) -> &'static str {
    match level {
        Level::Tertiary => "#08519c",
        Level::Secondary => "#3182bd",
        Level::Primary => "#9ecae1",
    }
}

/// A name cut to `chars` characters, with an ellipsis when cut.
fn fit(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(chars.saturating_sub(1).max(1)).collect();
        s.push('…');
        s
    }
}

/// The SVG of the flows `f`, in `lang`.
pub fn drawing(lang: Lang, f: &Flows) -> String {
    // Rows from the highest level down; only levels with institutions.
    let levels: Vec<Level> = Level::ALL
        .iter()
        .rev()
        .copied()
        .filter(|l| f.nodes.iter().any(|n| n.level == *l))
        .collect();
    // Institutions with a flow come first, nearest the level above.
    let active = |ix: Ix| f.network.edges().any(|e| e.from == ix || e.to == ix);
    let mut at: Vec<(Ix, (f64, f64))> = Vec::new();
    let mut labels = String::new();
    let mut y = TOP;
    let mut last = TOP;
    for &level in &levels {
        let mut members: Vec<_> = f.nodes.iter().filter(|n| n.level == level).collect();
        members.sort_by_key(|n| !active(n.ix));
        let _ = write!(
            labels,
            r##"<text x="4" y="{:.1}" fill="#444" font-weight="bold">{}</text>"##,
            y + 4.0,
            escape(&lang.coded("level", level.code()))
        );
        for (row, chunk) in members.chunks(PER_ROW).enumerate() {
            let ry = y + SUB_ROW * row as f64;
            last = ry;
            // Side by side, centred; a few institutions not too far apart.
            let room = WIDTH - LEFT - 8.0;
            let spacing = (room / chunk.len().max(1) as f64).min(room / 3.0);
            let start = LEFT + (room - spacing * chunk.len() as f64) / 2.0;
            let chars = ((spacing - 6.0) / CHAR).floor().max(2.0) as usize;
            for (k, n) in chunk.iter().enumerate() {
                let x = start + spacing * (k as f64 + 0.5);
                at.push((n.ix, (x, ry)));
                // Hospitals' names above them, primary care's below.
                let ty = if level == Level::Primary {
                    ry + RADIUS + 14.0
                } else {
                    ry - RADIUS - 6.0
                };
                let _ = write!(
                    labels,
                    r##"<g class="node" data-id="{id}" data-level="{code}"><title>{full}</title><circle cx="{x:.1}" cy="{ry:.1}" r="{RADIUS}" fill="{fill}" stroke="#333" stroke-width="1"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle" fill="#222">{short}</text></g>"##,
                    id = escape(&n.id),
                    code = level.code(),
                    full = escape(&format!(
                        "{} · {}",
                        n.name,
                        lang.coded("level", level.code())
                    )),
                    fill = node_fill(level),
                    short = escape(&fit(&n.name, chars)),
                );
            }
        }
        y = last + ROW;
    }
    let place = |ix: Ix| at.iter().find(|(i, _)| *i == ix).map(|(_, p)| *p);

    // The largest amount of each kind on one edge: widths compare edges
    // of one kind.
    let mut largest = [0u64; tiercare_core::flows::KINDS];
    for e in f.network.edges() {
        for (m, x) in largest.iter_mut().zip(e.total) {
            *m = (*m).max(x);
        }
    }
    let mut arrows = String::new();
    for e in f.network.edges() {
        let (Some(p), Some(q)) = (place(e.from), place(e.to)) else {
            continue;
        };
        if e.from == e.to {
            continue;
        }
        let kinds: Vec<FlowKind> = FlowKind::ALL
            .iter()
            .copied()
            .filter(|k| e.total[k.index()] > 0)
            .collect();
        for (slot, &kind) in kinds.iter().enumerate() {
            let amount = e.total[kind.index()];
            let share = amount as f64 / largest[kind.index()].max(1) as f64;
            let width = 1.5 + 7.0 * share.sqrt();
            let d = curve(p, q, 16.0 + 9.0 * slot as f64);
            let (from, to) = (
                f.node(e.from).map_or("", |n| n.name.as_str()),
                f.node(e.to).map_or("", |n| n.name.as_str()),
            );
            let tip = lang.t_with(
                "network-arrow",
                &[
                    ("from", from.to_string()),
                    ("to", to.to_string()),
                    ("kind", kind_label(lang, kind)),
                    ("amount", amount_words(lang, kind, amount)),
                ],
            );
            let _ = write!(
                arrows,
                r#"<path class="flow" d="{d}" fill="none" stroke="{c}" stroke-width="{width:.1}" stroke-opacity="0.8" marker-end="url(#flow-arrow-{code})" data-from="{fid}" data-to="{tid}" data-kind="{code}" data-value="{amount}"><title>{tip}</title></path>"#,
                c = colour(kind),
                code = kind.code(),
                fid = escape(f.node(e.from).map_or("", |n| n.id.as_str())),
                tid = escape(f.node(e.to).map_or("", |n| n.id.as_str())),
                tip = escape(&tip),
            );
        }
    }

    // The legend: the kinds that flowed.
    let totals = f.network.totals();
    let present: Vec<FlowKind> = FlowKind::ALL
        .iter()
        .copied()
        .filter(|k| totals[k.index()] > 0)
        .collect();
    let bottom = last + RADIUS + 40.0;
    let mut legend = String::new();
    let cell = (WIDTH - 8.0) / LEGEND_COLUMNS as f64;
    for (k, &kind) in present.iter().enumerate() {
        let x = 4.0 + cell * (k % LEGEND_COLUMNS) as f64;
        let y = bottom + LEGEND_ROW * (k / LEGEND_COLUMNS) as f64;
        let _ = write!(
            legend,
            r##"<g class="legend" data-kind="{code}"><rect x="{x:.1}" y="{:.1}" width="14" height="6" fill="{c}"/><text x="{:.1}" y="{y:.1}" fill="#444">{label}</text></g>"##,
            y - 6.0,
            x + 20.0,
            code = kind.code(),
            c = colour(kind),
            label = escape(&kind_label(lang, kind)),
        );
    }
    if present.is_empty() {
        let _ = write!(
            legend,
            r##"<text x="4" y="{bottom:.1}" fill="#444">{}</text>"##,
            escape(&lang.t("network-no-flows"))
        );
    }
    let legend_rows = present.len().div_ceil(LEGEND_COLUMNS).max(1);
    let height = bottom + LEGEND_ROW * legend_rows as f64;

    let title = escape(&lang.t("network-drawing-title"));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart network" data-chart="network" data-id="network" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-label="{title}" font-family="system-ui, sans-serif" font-size="11"><title>{title}</title><defs>"#
    );
    for &kind in FlowKind::ALL {
        let _ = write!(
            s,
            r#"<marker id="flow-arrow-{code}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>"#,
            code = kind.code(),
            c = colour(kind),
        );
    }
    s.push_str("</defs>");
    s.push_str(&arrows);
    s.push_str(&labels);
    s.push_str(&legend);
    s.push_str("</svg>");
    s
}

/// A quadratic curve from node `p` to node `q` bending `bend` pixels to
/// the left of the way from `p` to `q` (so the two directions between a
/// pair bend to opposite sides), cut at the nodes' rims.
fn curve(p: (f64, f64), q: (f64, f64), bend: f64) -> String {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let normal = (-dy / len, dx / len);
    // A quadratic's control point lies twice as far out as its middle.
    let c = (
        (p.0 + q.0) / 2.0 + normal.0 * 2.0 * bend,
        (p.1 + q.1) / 2.0 + normal.1 * 2.0 * bend,
    );
    let towards = |from: (f64, f64), to: (f64, f64), by: f64| {
        let (x, y) = (to.0 - from.0, to.1 - from.1);
        let l = (x * x + y * y).sqrt().max(1.0);
        (from.0 + x / l * by, from.1 + y / l * by)
    };
    let start = towards(p, c, RADIUS);
    let end = towards(q, c, RADIUS + 2.0);
    format!(
        "M{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}",
        start.0, start.1, c.0, c.1, end.0, end.1
    )
}
