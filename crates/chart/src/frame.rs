//! What names and sizes a chart with a value axis, and where its parts
//! go: the title, the legend's rows, the plot, the category labels.

use super::axis::{Axis, Range};
use super::svg::{self, CHAR_WIDTH, LEGEND_ROW, Svg, columns, fit};

/// Margins of the plot inside the chart: room for the tick labels on the
/// left.
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
/// Room under the plot for the category labels.
const UNDER: f64 = 28.0;
/// Room under those for the title of the categories.
const X_TITLE: f64 = 14.0;
/// The least room a category label is given before labels are thinned
/// out: a longer label (a long level name) is cut to it instead, so that
/// a few long names are all shown, shortened. A month (`2026-10`) fits.
const LABEL_ROOM: f64 = 56.0;
/// The least space between two category labels.
const LABEL_GAP: f64 = 6.0;

/// What names and sizes a chart: its `data-id`, its title, its size,
/// what its categories are and where its value axis runs. Made with
/// [`Frame::new`] and changed with the methods after it.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    /// Whether the title is drawn on top; it is the chart's `<title>` and
    /// aria-label either way.
    pub(crate) heading: bool,
    /// The chart's width; bar charts widen for many bars.
    pub(crate) width: f64,
    /// The height of the plot; the chart is higher by its title, legend
    /// and labels.
    pub(crate) plot_height: f64,
    /// What the categories are, written under their labels ("month");
    /// none when empty.
    pub(crate) x_title: &'a str,
    pub(crate) range: Range,
}

impl<'a> Frame<'a> {
    /// A small chart, 340 pixels wide, its title on top, its value axis
    /// [`Range::FromZero`].
    pub fn new(id: &'a str, title: &'a str) -> Frame<'a> {
        Frame {
            id,
            title,
            heading: true,
            width: 340.0,
            plot_height: 130.0,
            x_title: "",
            range: Range::FromZero,
        }
    }

    /// The chart sits in a panel whose heading is its title.
    pub fn in_panel(self) -> Frame<'a> {
        Frame {
            heading: false,
            ..self
        }
    }

    pub fn sized(self, width: f64, plot_height: f64) -> Frame<'a> {
        Frame {
            width,
            plot_height,
            ..self
        }
    }

    pub fn x_title(self, x_title: &'a str) -> Frame<'a> {
        Frame { x_title, ..self }
    }

    /// Where the value axis runs (stacked bars always run to 100%).
    pub fn range(self, range: Range) -> Frame<'a> {
        Frame { range, ..self }
    }
}

/// Where the parts of a chart with a value axis go, from the top: the
/// legend's rows, the plot from `top` to `bottom` and `left` to
/// `right`, the category labels, the title of the categories.
pub(crate) struct Plot {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Plot {
    /// Opens a chart of kind `kind`, `width` wide, and draws its legend of
    /// `legend` and its value axis `axis`: where the rest goes, and the SVG
    /// to draw it in.
    pub fn open(
        kind: &str,
        frame: &Frame<'_>,
        width: f64,
        legend: &[(&str, &str)],
        axis: &Axis,
    ) -> (Plot, Svg) {
        let rows = svg::legend_rows(legend, width - LEFT - RIGHT);
        let top = 12.0 + LEGEND_ROW * rows as f64;
        let bottom = top + frame.plot_height;
        let under = if frame.x_title.is_empty() {
            UNDER
        } else {
            UNDER + X_TITLE
        };
        let plot = Plot {
            left: LEFT,
            right: width - RIGHT,
            top,
            bottom,
        };
        let mut svg = Svg::open(
            kind,
            frame.id,
            width,
            bottom + under,
            frame.title,
            frame.heading,
        );
        svg.legend(plot.left, 14.0, plot.right - plot.left, legend);
        axis.draw(&mut svg, &plot);
        (plot, svg)
    }

    /// The category labels at `x(i)`, as many as fit side by side, then
    /// the title of the categories. With `ends_inside` the first and last
    /// labels are anchored so they stay inside the chart. See [`pick`] for
    /// which labels are drawn.
    pub fn labels<S: AsRef<str>>(
        &self,
        svg: &mut Svg,
        frame: &Frame<'_>,
        labels: &[S],
        x: impl Fn(usize) -> f64,
        ends_inside: bool,
    ) {
        let texts: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
        let xs: Vec<f64> = (0..texts.len()).map(&x).collect();
        let y = self.bottom + 18.0;
        for l in pick(&texts, &xs, ends_inside, self.right - self.left) {
            svg.text(l.x, y, l.anchor, &l.text);
        }
        if !frame.x_title.is_empty() {
            svg.text(
                (self.left + self.right) / 2.0,
                y + X_TITLE + 2.0,
                "middle",
                frame.x_title,
            );
        }
    }
}

/// A category label as drawn: its text (cut to its room), where it is
/// anchored and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub text: String,
    pub x: f64,
    pub anchor: &'static str,
}

impl Label {
    /// Where the label's text runs, left to right, in pixels.
    pub fn span(&self) -> (f64, f64) {
        let w = columns(&self.text) * CHAR_WIDTH;
        match self.anchor {
            "start" => (self.x, self.x + w),
            "end" => (self.x - w, self.x),
            _ => (self.x - w / 2.0, self.x + w / 2.0),
        }
    }
}

/// Whether two labels' texts touch or come closer than [`LABEL_GAP`].
fn collide(a: &Label, b: &Label) -> bool {
    let ((a0, a1), (b0, b1)) = (a.span(), b.span());
    a0.max(b0) < a1.min(b1) + LABEL_GAP
}

/// Which category labels are drawn, at `xs` (evenly spaced, left to
/// right) across a plot `room` wide: every `step`th label from the first,
/// and always the last, each cut to the room its step gives it. The step
/// starts from what the widest label needs over the spacing between
/// labels and grows until no two drawn labels come closer than
/// [`LABEL_GAP`]; a label drawn before the last that would touch it gives
/// way to it. Where even the first and the last alone would touch, both
/// are cut to half the room. With `ends_inside` the first label starts at
/// its place and the last ends at its, so both stay inside the chart.
pub(crate) fn pick(labels: &[&str], xs: &[f64], ends_inside: bool, room: f64) -> Vec<Label> {
    let n = labels.len().min(xs.len());
    if n == 0 {
        return vec![];
    }
    let anchor = |i: usize| match i {
        _ if !ends_inside || n == 1 => "middle",
        0 => "start",
        _ if i + 1 == n => "end",
        _ => "middle",
    };
    let label = |i: usize, width: f64| Label {
        text: fit(labels[i], width),
        x: xs[i],
        anchor: anchor(i),
    };
    if n == 1 {
        return vec![label(0, room)];
    }
    let spacing = ((xs[n - 1] - xs[0]) / (n - 1) as f64).max(1.0);
    let widest = labels
        .iter()
        .map(|l| columns(l) * CHAR_WIDTH)
        .fold(0.0, f64::max);
    let need = widest.min(LABEL_ROOM) + LABEL_GAP;
    let first_step = ((need / spacing).ceil() as usize).max(1);
    for step in first_step..n {
        let width = spacing * step as f64 - LABEL_GAP;
        let mut drawn: Vec<Label> = (0..n - 1).step_by(step).map(|i| label(i, width)).collect();
        let last = label(n - 1, width);
        while drawn.len() > 1 && drawn.last().is_some_and(|l| collide(l, &last)) {
            drawn.pop();
        }
        drawn.push(last);
        if drawn.windows(2).all(|w| !collide(&w[0], &w[1])) {
            return drawn;
        }
    }
    // Only the first and the last, each in half the room.
    let width = (xs[n - 1] - xs[0]).max(room / 2.0) - LABEL_GAP;
    let (first, last) = (label(0, width), label(n - 1, width));
    if !collide(&first, &last) {
        return vec![first, last];
    }
    let half = room / 2.0 - LABEL_GAP;
    vec![label(0, half), label(n - 1, half)]
}
