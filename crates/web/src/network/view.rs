//! The network page laid out: the drawing, the edges, the months by
//! direction and the partnerships, every word from `network.ftl` in the
//! reader's language. Tables are the dashboard's [`Table`]s, so cells
//! keep their exact values in `data-value` (minutes as hours, fen as
//! yuan, as they are shown) and the page shows them rounded.

use super::{AllianceChoice, Ask, CSV_PATH, JSON_PATH, PATH, Params};
use crate::charts::{Format, month_label};
use crate::filter_form::{Field, Refusal};
use crate::page::{TableView, period_words, view_of};
use crate::tables::{Cell, Column, Row, Table};
use crate::{Chrome, Lang};
use askama::Template;
use tiercare_core::Level;
use tiercare_core::flows::{
    Amounts, FlowKind, FlowRules, FlowUnit, KINDS, Partnership, PartnershipClass,
};
use tiercare_core::indicators::Ix;
use tiercare_service::flows::Flows;

/// The page, already in words.
#[derive(Template)]
#[template(path = "network.html")]
pub struct NetworkPage {
    pub chrome: Chrome,
    pub heading: String,
    /// The alliance's name, empty on a refused query.
    pub alliance: String,
    pub period: String,
    pub form: NetworkForm,
    /// Why the query was refused; empty when the page shows the flows.
    pub message: String,
    /// Nothing flowed in the period: the page says so.
    pub empty: bool,
    /// Inline SVG, every text in it escaped.
    pub drawing: String,
    pub tables: Vec<TableView>,
    /// The rule partnerships are classified by, in words.
    pub rule: String,
    pub csv: String,
    pub json: String,
}

/// The form: the period and the alliance.
pub struct NetworkForm {
    pub action: &'static str,
    pub from: String,
    pub to: String,
    pub alliances: Vec<AllianceOption>,
    /// The field at fault (`from`, `to`, `period`, `alliance`), if any.
    pub invalid: &'static str,
}

/// An alliance in the drop-down.
pub struct AllianceOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl NetworkForm {
    fn new(from: &str, to: &str, alliance: &str, choices: &[AllianceChoice]) -> NetworkForm {
        let known = choices.iter().any(|c| c.id == alliance);
        NetworkForm {
            action: PATH,
            from: from.trim().to_string(),
            to: to.trim().to_string(),
            alliances: choices
                .iter()
                .enumerate()
                .map(|(k, c)| AllianceOption {
                    value: c.id.clone(),
                    label: c.name.clone(),
                    selected: c.id == alliance || (!known && k == 0),
                })
                .collect(),
            invalid: "",
        }
    }

    pub fn start_invalid(&self) -> bool {
        matches!(self.invalid, "from" | "period")
    }

    pub fn end_invalid(&self) -> bool {
        matches!(self.invalid, "to" | "period")
    }

    pub fn alliance_invalid(&self) -> bool {
        self.invalid == "alliance"
    }
}

impl NetworkPage {
    /// The page of the flows `f` asked for by `ask`.
    pub fn new(
        chrome: Chrome,
        rules: &FlowRules,
        choices: &[AllianceChoice],
        ask: &Ask,
        f: &Flows,
    ) -> NetworkPage {
        let lang = chrome.lang;
        let alliance = f
            .alliance
            .as_ref()
            .map_or_else(|| ask.alliance.clone(), |(_, n)| n.clone());
        let (from, to) = (
            crate::dashboard::show_date(ask.from),
            crate::dashboard::show_date(ask.to),
        );
        let view = |t: Table| view_of(t, lang, "", |_| String::new());
        NetworkPage {
            heading: lang.t_with("network-heading", &[("alliance", alliance.clone())]),
            alliance,
            period: period_words(lang, ask.from, ask.to),
            form: NetworkForm::new(&from, &to, &ask.alliance, choices),
            message: String::new(),
            empty: f.network.edges().next().is_none(),
            drawing: super::draw::drawing(lang, f),
            tables: vec![
                view(edges(lang, f)),
                view(months(lang, f)),
                view(partnerships(lang, rules, f)),
                view(classes(lang, f)),
            ],
            rule: rule_words(lang, rules),
            csv: format!("{CSV_PATH}?{}", ask.query()),
            json: format!("{JSON_PATH}?{}", ask.query()),
            chrome,
        }
    }

    /// The page refusing its query: the form holding what was sent, the
    /// field at fault marked, and why.
    pub fn refused(
        chrome: Chrome,
        choices: &[AllianceChoice],
        sent: &Params,
        refusal: Refusal,
    ) -> NetworkPage {
        let lang = chrome.lang;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut form = NetworkForm::new(
            &text(&sent.from),
            &text(&sent.to),
            sent.alliance.as_deref().unwrap_or_default(),
            choices,
        );
        form.invalid = match refusal.field {
            Field::Subject => "alliance",
            f => f.code(),
        };
        NetworkPage {
            heading: lang.t("nav-network"),
            alliance: String::new(),
            period: String::new(),
            form,
            message: refusal.message,
            empty: true,
            drawing: String::new(),
            tables: vec![],
            rule: String::new(),
            csv: String::new(),
            json: String::new(),
            chrome,
        }
    }
}

/// A kind's name in `lang` (`flow-kind-<code>`).
pub fn kind_label(lang: Lang, kind: FlowKind) -> String {
    lang.coded("flow-kind", kind.code())
}

/// An amount as a cell: minutes as hours, fen as yuan, counts as they
/// are.
pub fn amount_cell(kind: FlowKind, amount: u64) -> Cell {
    let v = amount as f64;
    match kind.unit() {
        FlowUnit::Count => Cell::Figure(Some(v), Format::Count),
        FlowUnit::Minutes => Cell::Figure(Some(v / 60.0), Format::Hours),
        FlowUnit::Fen => Cell::Figure(Some(v / 100.0), Format::Yuan),
    }
}

/// An amount in words: "12.5 小时", "¥30.00", "3".
pub fn amount_words(lang: Lang, kind: FlowKind, amount: u64) -> String {
    amount_cell(kind, amount).shown(lang)
}

/// The kinds of which anything flowed, in [`FlowKind::ALL`] order: the
/// tables' columns.
fn kinds_present(f: &Flows) -> Vec<FlowKind> {
    let totals = f.network.totals();
    FlowKind::ALL
        .iter()
        .copied()
        .filter(|k| totals[k.index()] > 0)
        .collect()
}

fn column(key: impl Into<String>, label: String) -> Column {
    Column {
        key: key.into(),
        label,
    }
}

fn kind_columns(lang: Lang, kinds: &[FlowKind]) -> Vec<Column> {
    kinds
        .iter()
        .map(|&k| column(k.code(), kind_label(lang, k)))
        .collect()
}

fn name(f: &Flows, ix: Ix) -> String {
    f.node(ix).map_or_else(String::new, |n| n.name.clone())
}

fn id(f: &Flows, ix: Ix) -> String {
    f.node(ix).map_or_else(String::new, |n| n.id.clone())
}

/// (b) One row per giver and receiver, an amount per kind.
pub fn edges(lang: Lang, f: &Flows) -> Table {
    let kinds = kinds_present(f);
    let mut columns = vec![
        column("from", lang.t("network-col-from")),
        column("to", lang.t("network-col-to")),
    ];
    columns.extend(kind_columns(lang, &kinds));
    let rows = f
        .network
        .edges()
        .map(|e| {
            let mut cells = vec![Cell::Text(name(f, e.from)), Cell::Text(name(f, e.to))];
            cells.extend(kinds.iter().map(|&k| amount_cell(k, e.total[k.index()])));
            Row {
                key: format!("{}>{}", id(f, e.from), id(f, e.to)),
                cells,
            }
        })
        .collect();
    Table {
        key: "network-edges",
        title: lang.t("network-edges-title"),
        note: lang.t("network-edges-note"),
        columns,
        rows,
    }
}

/// Which way a flow goes between two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// From a higher level to a lower one.
    Down,
    /// From a lower level to a higher one.
    Up,
    /// Between institutions of one level.
    Across,
}

impl Way {
    pub const ALL: [Way; 3] = [Way::Down, Way::Up, Way::Across];

    pub fn of(from: Level, to: Level) -> Way {
        match from.cmp(&to) {
            std::cmp::Ordering::Greater => Way::Down,
            std::cmp::Ordering::Less => Way::Up,
            std::cmp::Ordering::Equal => Way::Across,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Way::Down => "down",
            Way::Up => "up",
            Way::Across => "across",
        }
    }
}

/// (c) One row per month and direction with any flow, an amount per
/// kind.
pub fn months(lang: Lang, f: &Flows) -> Table {
    let kinds = kinds_present(f);
    let level = |ix: Ix| f.node(ix).map(|n| n.level);
    let mut columns = vec![
        column("month", lang.t("network-col-month")),
        column("direction", lang.t("network-col-direction")),
    ];
    columns.extend(kind_columns(lang, &kinds));
    let mut rows = Vec::new();
    for month in f.network.months() {
        let mut by_way: [Amounts; 3] = [[0; KINDS]; 3];
        for e in f.network.edges() {
            let (Some(a), Some(b), Some(amounts)) =
                (level(e.from), level(e.to), e.months.get(&month))
            else {
                continue;
            };
            let way = Way::of(a, b) as usize;
            for (sum, x) in by_way[way].iter_mut().zip(amounts) {
                *sum += x;
            }
        }
        let code = month.to_string();
        for way in Way::ALL {
            let amounts = &by_way[way as usize];
            if amounts.iter().all(|&x| x == 0) {
                continue;
            }
            let mut cells = vec![
                Cell::Coded {
                    code: code.clone(),
                    label: month_label(lang, &code),
                },
                Cell::Coded {
                    code: way.code().into(),
                    label: lang.coded("network-way", way.code()),
                },
            ];
            cells.extend(kinds.iter().map(|&k| amount_cell(k, amounts[k.index()])));
            rows.push(Row {
                key: format!("{code}:{}", way.code()),
                cells,
            });
        }
    }
    Table {
        key: "network-months",
        title: lang.t("network-months-title"),
        note: lang.t("network-months-note"),
        columns,
        rows,
    }
}

/// What one side gave, in words: "上转患者 3；远程诊断 12".
fn gives_words(lang: Lang, amounts: &Amounts) -> String {
    let parts: Vec<String> = FlowKind::ALL
        .iter()
        .filter(|k| amounts[k.index()] > 0)
        .map(|&k| {
            format!(
                "{} {}",
                kind_label(lang, k),
                amount_words(lang, k, amounts[k.index()])
            )
        })
        .collect();
    if parts.is_empty() {
        lang.t("network-gives-nothing")
    } else {
        parts.join(lang.t("network-list-separator").as_str())
    }
}

fn points(v: f64) -> Cell {
    Cell::Figure(Some(v), Format::Decimal)
}

/// Why a partnership is in its class, with its own points (two decimals,
/// as the table writes them).
pub fn reason(lang: Lang, rules: &FlowRules, p: &Partnership) -> String {
    let (less, more) = if p.a_receives <= p.b_receives {
        (p.a_receives, p.b_receives)
    } else {
        (p.b_receives, p.a_receives)
    };
    let args = [
        ("less", format!("{less:.2}")),
        ("more", format!("{more:.2}")),
        ("percent", rules.balance_percent.to_string()),
    ];
    lang.t_with(&format!("network-reason-{}", p.class.code()), &args)
}

/// (d) One row per pair: what each side gave and received, the class
/// and why.
pub fn partnerships(lang: Lang, rules: &FlowRules, f: &Flows) -> Table {
    let keys = [
        "a",
        "b",
        "a-gives",
        "b-gives",
        "a-receives",
        "b-receives",
        "class",
        "reason",
    ];
    let columns = keys
        .iter()
        .map(|k| column(*k, lang.t(&format!("network-col-{k}"))))
        .collect();
    let rows = f
        .partnerships
        .iter()
        .map(|p| Row {
            key: format!("{}~{}", id(f, p.a), id(f, p.b)),
            cells: vec![
                Cell::Text(name(f, p.a)),
                Cell::Text(name(f, p.b)),
                Cell::Text(gives_words(lang, &p.a_gives)),
                Cell::Text(gives_words(lang, &p.b_gives)),
                points(p.a_receives),
                points(p.b_receives),
                Cell::Coded {
                    code: p.class.code().into(),
                    label: lang.coded("partnership", p.class.code()),
                },
                Cell::Text(reason(lang, rules, p)),
            ],
        })
        .collect();
    Table {
        key: "network-partnerships",
        title: lang.t("network-partnerships-title"),
        note: lang.t("network-partnerships-note"),
        columns,
        rows,
    }
}

/// How many partnerships are in each class.
pub fn classes(lang: Lang, f: &Flows) -> Table {
    let rows = PartnershipClass::ALL
        .iter()
        .map(|&c| {
            let n = f.partnerships.iter().filter(|p| p.class == c).count();
            Row {
                key: c.code().into(),
                cells: vec![
                    Cell::Coded {
                        code: c.code().into(),
                        label: lang.coded("partnership", c.code()),
                    },
                    Cell::Figure(Some(n as f64), Format::Count),
                ],
            }
        })
        .collect();
    Table {
        key: "network-classes",
        title: lang.t("network-classes-title"),
        note: String::new(),
        columns: vec![
            column("class", lang.t("network-col-class")),
            column("count", lang.t("network-col-count")),
        ],
        rows,
    }
}

/// The classification rule in words, with the region's balance share.
pub fn rule_words(lang: Lang, rules: &FlowRules) -> String {
    lang.t_with(
        "network-rule",
        &[("percent", rules.balance_percent.to_string())],
    )
}
