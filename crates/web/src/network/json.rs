//! The JSON download of a network: the same flows as the page and the
//! CSV, with institutions by id and amounts by kind code, for programs
//! that draw or analyse the network themselves.

use serde::Serialize;
use std::collections::BTreeMap;
use tiercare_core::flows::{Amounts, FlowKind};
use tiercare_core::indicators::Ix;
use tiercare_service::flows::{Flows, unit_code};

/// The whole download.
#[derive(Debug, Serialize)]
pub struct Document {
    /// The alliance's id and name.
    pub alliance: Option<Alliance>,
    /// The period, `YYYY-MM-DD`, both days included.
    pub from: String,
    pub to: String,
    /// What each kind's amounts count: `count`, `min` or `fen`.
    pub units: BTreeMap<&'static str, &'static str>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub partnerships: Vec<Partnership>,
    /// Every flow of the period by kind code.
    pub totals: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Serialize)]
pub struct Alliance {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Node {
    pub id: String,
    pub name: String,
    /// `primary`, `secondary` or `tertiary`.
    pub level: &'static str,
}

/// What one institution gave another.
#[derive(Debug, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// By kind code; kinds with nothing are left out.
    pub total: BTreeMap<&'static str, u64>,
    /// By month (`YYYY-MM`), then kind code.
    pub months: BTreeMap<String, BTreeMap<&'static str, u64>>,
}

/// A pair with a flow between them, classified.
#[derive(Debug, Serialize)]
pub struct Partnership {
    pub a: String,
    pub b: String,
    pub a_gives: BTreeMap<&'static str, u64>,
    pub b_gives: BTreeMap<&'static str, u64>,
    /// The points each side received, valued by the region's rules.
    pub a_receives: f64,
    pub b_receives: f64,
    /// `one-way`, `commensal` or `mutual`.
    pub class: &'static str,
}

/// Amounts by kind code, without the kinds of which there is nothing.
pub fn by_code(amounts: &Amounts) -> BTreeMap<&'static str, u64> {
    FlowKind::ALL
        .iter()
        .filter(|k| amounts[k.index()] > 0)
        .map(|k| (k.code(), amounts[k.index()]))
        .collect()
}

impl Document {
    pub fn of(f: &Flows) -> Document {
        let id = |ix: Ix| f.node(ix).map_or_else(String::new, |n| n.id.clone());
        Document {
            alliance: f.alliance.as_ref().map(|(id, name)| Alliance {
                id: id.clone(),
                name: name.clone(),
            }),
            from: crate::dashboard::show_date(f.first),
            to: crate::dashboard::show_date(f.last),
            units: FlowKind::ALL
                .iter()
                .map(|k| (k.code(), unit_code(k.unit())))
                .collect(),
            nodes: f
                .nodes
                .iter()
                .map(|n| Node {
                    id: n.id.clone(),
                    name: n.name.clone(),
                    level: n.level.code(),
                })
                .collect(),
            edges: f
                .network
                .edges()
                .map(|e| Edge {
                    from: id(e.from),
                    to: id(e.to),
                    total: by_code(&e.total),
                    months: e
                        .months
                        .iter()
                        .map(|(m, a)| (m.to_string(), by_code(a)))
                        .collect(),
                })
                .collect(),
            partnerships: f
                .partnerships
                .iter()
                .map(|p| Partnership {
                    a: id(p.a),
                    b: id(p.b),
                    a_gives: by_code(&p.a_gives),
                    b_gives: by_code(&p.b_gives),
                    a_receives: p.a_receives,
                    b_receives: p.b_receives,
                    class: p.class.code(),
                })
                .collect(),
            totals: by_code(&f.network.totals()),
        }
    }
}
