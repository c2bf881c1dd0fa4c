//! The report as one self-contained HTML page: charts as inline SVG, no
//! script, no file beside it, so it can be mailed or archived as it is.

use super::{Estimate, Report, flows, series_indicators};
use std::fmt::Write;
use tiercare_chart::{self as chart, Bar, Frame, Line, Plain, Range, Scale, Series, Stack, escape};
use tiercare_core::Level;
use tiercare_core::flows::PartnershipClass;

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
        "mortality",
    ]
    .iter()
    .any(|s| last.ends_with(s))
}

fn value(name: &str, v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    Plain::of(is_share(name)).show(v)
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

/// A chart of the report: wider and higher than a page's.
fn frame<'a>(id: &'a str, title: &'a str) -> Frame<'a> {
    Frame::new(id, title).sized(540.0, 200.0).range(Range::Fit)
}

/// The charts the page draws from `report`, each one SVG document.
pub fn charts(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let months = report
        .scenarios
        .iter()
        .map(|s| s.series.months.len())
        .max()
        .unwrap_or(0);
    let months: Vec<String> = (1..=months).map(|m| m.to_string()).collect();
    for indicator in series_indicators() {
        let lines: Vec<Line<'_>> = report
            .scenarios
            .iter()
            .enumerate()
            .filter_map(|(k, s)| {
                Some(Line {
                    name: &s.name,
                    colour: chart::colour(k),
                    values: s.series.values.get(&indicator)?,
                })
            })
            .collect();
        if lines.iter().all(|l| l.values.iter().all(Option::is_none)) {
            continue;
        }
        let title = label(&indicator);
        out.push(chart::lines(
            &frame(&indicator, &title).x_title("month"),
            &months,
            &lines,
            &Plain::of(is_share(&indicator)),
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
    let levels: Vec<(&str, &str)> = Level::ALL
        .iter()
        .map(|l| l.code())
        .zip(["#1b9e77", "#7570b3", "#d95f02"])
        .collect();
    out.push(chart::stacked_bars(
        &frame("visits-by-level", "Visits by level"),
        &levels,
        &stacks,
    ));
    let scenarios: Vec<String> = report.scenarios.iter().map(|s| s.name.clone()).collect();
    let series: Vec<Series<'_>> = [("up", "#c0392b"), ("down", "#2874a6")]
        .into_iter()
        .map(|(way, colour)| Series {
            name: way,
            colour,
            values: report
                .scenarios
                .iter()
                .map(|s| match s.row(&format!("referrals_{way}")) {
                    Some(r) => Bar::estimate(r.estimate.mean, r.estimate.low, r.estimate.high),
                    None => Bar::default(),
                })
                .collect(),
        })
        .collect();
    out.push(chart::grouped_bars(
        &frame("referrals", "Referrals: up and down"),
        &scenarios,
        &series,
        &Plain::Number,
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
            chart::colour(k),
            escape(&s.name),
            s.residents,
            s.partitions,
            s.days,
            s.replications,
            s.seed.map(|x| x.to_string()).unwrap_or_default()
        );
    }
    h.push_str("</table>\n<p><small>Means over replications; [low, high] is the 95% interval (Student's t); a difference is the scenario's mean minus the baseline's: paired replication by replication when the scenarios share seeds (common random numbers), with Welch's 95% interval otherwise. Months are 30 days, the last one shorter; a warm-up is run first and left out.</small></p>\n");
    for s in &report.scenarios {
        if let Some(d) = &s.difference {
            let _ = writeln!(
                h,
                "<p><small>{}: differences {}; {} warm-up days.</small></p>",
                escape(&s.name),
                if d == "paired" {
                    "paired"
                } else {
                    "by Welch's interval"
                },
                s.warmup_days
            );
        }
    }
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
    odds_table(&mut h, report);
    for dimension in crate::strata::DIMENSIONS {
        group_table(&mut h, report, dimension);
    }
    flows_tables(&mut h, report);
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

/// The odds ratios of a first contact at primary care, per scenario.
fn odds_table(h: &mut String, report: &Report) {
    h.push_str("<h2>Odds of a first contact at primary care</h2>\n<table><tr><th>scenario</th><th>group</th><th>against</th><th>odds ratio [95% interval]</th></tr>\n");
    for s in &report.scenarios {
        for o in s.odds_ratios.iter().filter(|o| o.replications > 0) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td></tr>",
                escape(&s.name),
                escape(&o.group),
                escape(&o.reference),
                escape(&o.indicator),
                estimate("ratio", &o.estimate)
            );
        }
    }
    h.push_str("</table>\n");
}

/// The figures a group table shows (every figure is in the JSON and CSV).
const GROUP_FIGURES: [&str; 12] = [
    "episodes",
    "visits",
    "admissions",
    "primary_visit_share",
    "first_contacts_by_level.primary",
    "first_contacts_by_level.secondary",
    "first_contacts_by_level.tertiary",
    "primary_first_contact_share",
    "referrals_up",
    "referrals_down",
    "out_of_pocket_share",
    "chronic_management",
];

/// One dimension's groups: a row per group and scenario, the baseline's
/// figures and each reform's difference from it.
fn group_table(h: &mut String, report: &Report, dimension: &str) {
    let Some(baseline) = report.scenarios.first() else {
        return;
    };
    let groups: Vec<&str> = baseline
        .groups
        .iter()
        .filter(|g| g.dimension == dimension)
        .map(|g| g.group.as_str())
        .collect();
    if groups.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<h2>By {}</h2>\n<table><tr><th>group</th><th>scenario</th>",
        escape(&dimension.replace('_', " "))
    );
    for name in GROUP_FIGURES {
        let _ = write!(
            h,
            "<th title=\"{}\">{}</th>",
            escape(name),
            escape(&label(name))
        );
    }
    h.push_str("</tr>\n");
    for group in groups {
        for (k, s) in report.scenarios.iter().enumerate() {
            let Some(g) = s
                .groups
                .iter()
                .find(|g| g.dimension == dimension && g.group == group)
            else {
                continue;
            };
            let who = if k == 0 {
                escape(&s.name)
            } else {
                format!("{} &minus; baseline", escape(&s.name))
            };
            let _ = write!(h, "<tr><td>{}</td><td>{who}</td>", escape(group));
            for name in GROUP_FIGURES {
                let cell = g
                    .summary
                    .iter()
                    .find(|r| r.indicator == name)
                    .and_then(|r| if k == 0 { Some(r.estimate) } else { r.diff });
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    cell.map(|e| estimate(name, &e)).unwrap_or_default()
                );
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</table>\n");
}

/// The resource flows: per network (the region, then each alliance), the
/// modelled kinds by direction for every scenario, and the partnerships
/// by class.
fn flows_tables(h: &mut String, report: &Report) {
    let Some(baseline) = report.scenarios.first() else {
        return;
    };
    let lacking: Vec<&str> = baseline
        .flows
        .not_modelled
        .iter()
        .map(|k| k.display())
        .collect();
    let _ = writeln!(
        h,
        "<h2>Resource flows</h2>\n<p><small>What the institutions gave one another over the counted days, means per replication: patients referred up and down (given by the referrer), reserved slots used by referred patients (given by the hospital), the fund's share of referred care in fen (from the referring side to the institution that gave the care). Up and down are from the giver's level to the receiver's. A partnership is a pair of institutions with a flow between them, classified by the scenario policy's <code>[flows]</code> rules. Not in the model, so zero: {}.</small></p>",
        escape(&lacking.join(", "))
    );
    for net in &baseline.flows.networks {
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<table><tr><th>scenario</th><th>kind</th><th>unit</th><th>up</th><th>down</th><th>same level</th><th>total</th></tr>",
            escape(&net.scope)
        );
        for s in &report.scenarios {
            let Some(n) = s.flows.network(&net.scope) else {
                continue;
            };
            for kind in flows::MODELLED {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td>",
                    escape(&s.name),
                    escape(kind.display()),
                    flows::unit_code(kind)
                );
                for d in flows::DIRECTIONS {
                    let v = n.directions.get(d).and_then(|k| k.get(&kind)).copied();
                    let _ = write!(h, "<td>{}</td>", flows::amount(v.unwrap_or(0.0)));
                }
                let total = n.totals.get(&kind).copied().unwrap_or(0.0);
                let _ = writeln!(h, "<td>{}</td></tr>", flows::amount(total));
            }
        }
        h.push_str("</table>\n<table><tr><th>scenario</th><th>partnerships</th>");
        for class in PartnershipClass::ALL {
            let _ = write!(h, "<th>{}</th>", escape(class.display()));
        }
        h.push_str("</tr>\n");
        for s in &report.scenarios {
            let Some(n) = s.flows.network(&net.scope) else {
                continue;
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td>",
                escape(&s.name),
                n.partnerships.len()
            );
            for class in PartnershipClass::ALL {
                let count = n.classes.get(class).copied().unwrap_or(0);
                let _ = write!(h, "<td>{count}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}
