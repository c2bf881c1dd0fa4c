//! Charts drawn as inline SVG text, on the server: the one chart writer of
//! tiercare, shared by the web pages (`tiercare-web`) and the simulator's
//! HTML report (`tiercare-sim`).
//!
//! It owns everything that writes a chart: [`escape`], the [`PALETTE`],
//! how a share is written as a percentage ([`percent`]),
//! round axis maxima ([`nice_max`]) and ticks, the [`Svg`] writer (the
//! `<svg>` opening with its title, aria-label and `data-` attributes,
//! text, lines, marks with their value and tooltip, legends, the close),
//! value axes ([`Axis`]) and the kinds of chart both need: grouped bars,
//! with an interval per bar where there is one ([`grouped_bars`]), lines
//! over a series ([`lines`]), bars of stacked shares ([`stacked_bars`]), a
//! [`funnel`] and a capacity [`pyramid`].
//!
//! Why not a JavaScript chart library: the figures are on the server
//! already, and drawn here a page is complete HTML that works with
//! scripts off, under a policy that forbids scripts, opens offline and
//! can be mailed as it is, with nothing to vendor or keep up to date.
//!
//! Every chart is an `<svg class="chart">` with `data-chart` naming its
//! kind and `data-id` the chart, and one mark (`circle` or `rect`) per
//! value with a `data-value` attribute, so that a browser test can check
//! what was drawn. Every text put into a chart goes through [`escape`]:
//! callers insert the result into pages unescaped.
//!
//! This crate must not depend on any other tiercare crate (nor on
//! anything beyond std): the simulator must not depend on the web or the
//! store, so the writer both draw with is a crate of its own.

mod axis;
mod bars;
mod frame;
mod lines;
mod percent;
mod shapes;
mod svg;

pub use axis::{Axis, Plain, Range, Scale, Word, nice_max};
pub use bars::{Bar, Series, Stack, grouped_bars, stacked_bars};
pub use frame::Frame;
pub use lines::{Line, lines};
pub use percent::percent;
pub use shapes::{Layer, funnel, pyramid};
pub use svg::{OUTLINE, Svg};

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

/// Series colours, in order (colour-blind-safe Dark2).
pub const PALETTE: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];

/// The colour of the `i`th series, repeating after the palette.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
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
}
