//! The report as one self-contained HTML page: charts as inline SVG, no
//! script, no file beside it, so it can be mailed or archived as it is.

use super::svg::{self, Group, Line, Stack, escape};
use super::{Estimate, Report, series_indicators};
use std::fmt::Write;
use tiercare_core::Level;

/// A readable name for a flattened indicator: `levels.primary.visits`
/// reads "Visits (primary)".
pub fn label(name: &str) -> String {
    let human = |s: &str| {
        let s = s.replace('_', " ");
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
    };
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        [one] => human(one),
        [_, key, field] => format!("{} ({key})", human(field)),
        [group, key, .., field] => format!("{} ({group} {key})", human(field)),
        _ => human(name),
    }
}

/// Whether an indicator is a share, shown in percent.
pub fn is_share(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    [
        "share",
        "coverage",
        "retention",
        "management",
        "access",
        "utilisation",
        "closure",
    ]
    .iter()
    .any(|s| last.ends_with(s))
}

fn value(name: &str, v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if is_share(name) {
        format!("{:.2}%", v * 100.0)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn estimate(name: &str, e: &Estimate) -> String {
    if e.high > e.low {
        format!(
            "{} <small>[{}, {}]</small>",
            escape(&value(name, e.mean)),
            escape(&value(name, e.low)),
            escape(&value(name, e.high))
        )
    } else {
        escape(&value(name, e.mean))
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1200px}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\
table{border-collapse:collapse;font-size:0.85em}\
th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}\
small{color:#666}.charts{display:flex;flex-wrap:wrap;gap:1em}\
.up{color:#a93226}.down{color:#1f618d}";

/// The charts the page draws from `report`, each one SVG document.
pub fn charts(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for indicator in series_indicators() {
        let lines: Vec<Line<'_>> = report
            .scenarios
            .iter()
            .enumerate()
            .filter_map(|(k, s)| {
                Some(Line {
                    name: &s.name,
                    colour: svg::colour(k),
                    values: s.series.values.get(&indicator)?,
                })
            })
            .collect();
        if lines.iter().all(|l| l.values.iter().all(Option::is_none)) {
            continue;
        }
        let months = report
            .scenarios
            .iter()
            .map(|s| s.series.months.len())
            .max()
            .unwrap_or(0);
        out.push(svg::line_chart(
            &label(&indicator),
            is_share(&indicator),
            months,
            &lines,
        ));
    }
    let mean =
        |s: &super::ScenarioReport, name: &str| s.row(name).map_or(f64::NAN, |r| r.estimate.mean);
    let stacks: Vec<Stack<'_>> = report
        .scenarios
        .iter()
        .map(|s| Stack {
            name: &s.name,
            parts: Level::ALL
                .iter()
                .map(|l| mean(s, &format!("levels.{}.visits", l.code())))
                .collect(),
        })
        .collect();
    let levels = Level::ALL.map(|l| l.code());
    out.push(svg::stacked_bars(
        "Visits by level",
        &levels,
        &["#1b9e77", "#7570b3", "#d95f02"],
        &stacks,
    ));
    let nan = Estimate::exact(f64::NAN);
    let groups: Vec<Group<'_>> = report
        .scenarios
        .iter()
        .map(|s| Group {
            name: &s.name,
            values: ["referrals_up", "referrals_down"]
                .iter()
                .map(|n| s.row(n).map_or(nan, |r| r.estimate))
                .collect(),
        })
        .collect();
    out.push(svg::grouped_bars(
        "Referrals: up and down",
        &["up", "down"],
        &["#c0392b", "#2874a6"],
        &groups,
    ));
    out
}

/// The whole page.
pub fn html(report: &Report) -> String {
    let mut h = String::new();
    let title = format!(
        "tiercare simulation: {}",
        report
            .scenarios
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" vs ")
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    h.push_str("<table><tr><th>scenario</th><th>residents</th><th>partitions</th><th>days</th><th>replications</th><th>seed</th></tr>\n");
    for (k, s) in report.scenarios.iter().enumerate() {
        let role = if k == 0 { " (baseline)" } else { "" };
        let _ = writeln!(
            h,
            "<tr><td><span style=\"color:{}\">&#9632;</span> {}{role}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            svg::colour(k),
            escape(&s.name),
            s.residents,
            s.partitions,
            s.days,
            s.replications,
            s.seed.map(|x| x.to_string()).unwrap_or_default()
        );
    }
    h.push_str("</table>\n<p><small>Means over replications; [low, high] is the 95% interval (Student's t); a difference is the scenario's mean minus the baseline's, with Welch's 95% interval. Months are 30 days, the last one shorter.</small></p>\n");
    let charts = charts(report);
    let (series, rest) = charts.split_at(charts.len().saturating_sub(2));
    h.push_str("<h2>Over time</h2>\n<div class=\"charts\">\n");
    for c in series {
        h.push_str(c);
        h.push('\n');
    }
    h.push_str("</div>\n<h2>Visits by level and referral flows</h2>\n<div class=\"charts\">\n");
    for c in rest {
        h.push_str(c);
        h.push('\n');
    }
    h.push_str("</div>\n<h2>Summary</h2>\n");
    summary_table(&mut h, report);
    h.push_str("</body></html>\n");
    h
}

fn summary_table(h: &mut String, report: &Report) {
    let Some(baseline) = report.scenarios.first() else {
        h.push_str("<p>No scenario.</p>\n");
        return;
    };
    h.push_str("<table><tr><th>indicator</th>");
    let _ = write!(h, "<th>{} (baseline)</th>", escape(&baseline.name));
    for s in &report.scenarios[1..] {
        let n = escape(&s.name);
        let _ = write!(h, "<th>{n}</th><th>{n} &minus; baseline</th>");
    }
    h.push_str("</tr>\n");
    // Every indicator any scenario has, in the baseline's order first.
    let mut names: Vec<&str> = Vec::new();
    for s in &report.scenarios {
        for r in &s.summary {
            if !names.contains(&r.indicator.as_str()) {
                names.push(&r.indicator);
            }
        }
    }
    for name in names {
        let base = baseline
            .row(name)
            .map(|r| estimate(name, &r.estimate))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td title=\"{}\">{}</td><td>{base}</td>",
            escape(name),
            escape(&label(name)),
        );
        for s in &report.scenarios[1..] {
            match s.row(name) {
                Some(r) => {
                    let diff = r.diff.map(|d| estimate(name, &d)).unwrap_or_default();
                    let class = match r.diff {
                        Some(d) if d.low > 0.0 => " class=\"up\"",
                        Some(d) if d.high < 0.0 => " class=\"down\"",
                        _ => "",
                    };
                    let _ = write!(
                        h,
                        "<td>{}</td><td{class}>{diff}</td>",
                        estimate(name, &r.estimate)
                    );
                }
                None => h.push_str("<td></td><td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}
