//! What names and sizes a chart with a value axis, and where its parts
//! go: the title, the legend's rows, the plot, the category labels.

use super::axis::{Axis, Range};
use super::svg::{self, LEGEND_ROW, Svg, fit};

/// Margins of the plot inside the chart: room for the tick labels on the
/// left.
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
/// Room under the plot for the category labels.
const UNDER: f64 = 28.0;
/// Room under those for the title of the categories.
const X_TITLE: f64 = 14.0;
/// Room a category label needs so that labels do not overlap.
const LABEL_ROOM: f64 = 48.0;

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

    /// The category labels at `x(i)`, as many as fit without overlapping
    /// (always the last), then the title of the categories. With
    /// `ends_inside` the first and last labels are anchored so they stay
    /// inside the chart.
    pub fn labels<S: AsRef<str>>(
        &self,
        svg: &mut Svg,
        frame: &Frame<'_>,
        labels: &[S],
        x: impl Fn(usize) -> f64,
        ends_inside: bool,
    ) {
        let n = labels.len().max(1);
        let room = self.right - self.left;
        let step = n
            .div_ceil((room / LABEL_ROOM).floor().max(1.0) as usize)
            .max(1);
        let width = room / n as f64 * step as f64;
        let y = self.bottom + 18.0;
        for (i, label) in labels.iter().enumerate() {
            if i % step == 0 || i + 1 == n {
                let anchor = match i {
                    _ if !ends_inside || n == 1 => "middle",
                    0 => "start",
                    _ if i + 1 == n => "end",
                    _ => "middle",
                };
                svg.text(x(i), y, anchor, &fit(label.as_ref(), width));
            }
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
