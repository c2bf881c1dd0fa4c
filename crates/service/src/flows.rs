//! The resource-flow network of an alliance (or the whole region) over a
//! period, read from the daily aggregates the flow facts were added to
//! (`tiercare_core::flows`), with its partnerships classified by the
//! region's rules.

use crate::indicators::{Network, network};
use crate::{Context, ServiceError, days::day_of};
use std::fmt::Write as _;
use tiercare_core::Level;
use tiercare_core::Record;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::flows::{
    FlowCount, FlowKind, FlowNetwork, FlowUnit, Partnership, practice_dates,
};
use tiercare_core::indicators::Ix;
use tiercare_store::{RowSet, Stored};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// An institution of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub ix: Ix,
    pub id: String,
    pub name: String,
    pub level: Level,
}

/// The flows of one alliance or the region over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Flows {
    /// The alliance's id and name; `None` for the whole region.
    pub alliance: Option<(String, String)>,
    pub first: Date,
    pub last: Date,
    /// The institutions in scope, by `ix`.
    pub nodes: Vec<Node>,
    /// Flows between two institutions in scope.
    pub network: FlowNetwork,
    /// Every pair with a flow, classified.
    pub partnerships: Vec<Partnership>,
}

impl Flows {
    /// The node of an institution number.
    pub fn node(&self, ix: Ix) -> Option<&Node> {
        self.nodes.iter().find(|n| n.ix == ix)
    }

    /// One line per month, giver, receiver and kind, with a header: the
    /// table behind the network view, for a spreadsheet.
    pub fn csv(&self) -> String {
        let mut out = String::from("month,from,from_name,to,to_name,kind,unit,amount\n");
        let name = |ix| self.node(ix).map_or("", |n| n.name.as_str());
        let id = |ix| self.node(ix).map_or("", |n| n.id.as_str());
        for e in self.network.edges() {
            for (month, amounts) in &e.months {
                for &kind in FlowKind::ALL {
                    let amount = amounts[kind.index()];
                    if amount == 0 {
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "{month},{},{},{},{},{},{},{amount}",
                        id(e.from),
                        csv_field(name(e.from)),
                        id(e.to),
                        csv_field(name(e.to)),
                        kind.code(),
                        unit_code(kind.unit()),
                    );
                }
            }
        }
        out
    }
}

/// The unit's code in the CSV.
pub fn unit_code(u: FlowUnit) -> &'static str {
    match u {
        FlowUnit::Count => "count",
        FlowUnit::Minutes => "min",
        FlowUnit::Fen => "fen",
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Who may see an alliance's flows: administrators, analysts and insurers
/// any; a hospital's or a township's staff their own alliances'.
pub fn may_see(
    actor: &Actor,
    network: &Network,
    alliance: Option<&str>,
) -> Result<(), ServiceError> {
    let allowed = match actor.role {
        UserRole::Admin | UserRole::Analyst | UserRole::Insurer => true,
        UserRole::Coordinator | UserRole::Doctor => match (alliance, &actor.institution) {
            (Some(a), Some(own)) => {
                let k = network.alliances.iter().position(|x| x == a);
                let mine = network
                    .institutions
                    .iter()
                    .position(|i| i == own.as_str())
                    .and_then(|i| network.directory.institutions.get(i));
                matches!((k, mine), (Some(k), Some(f)) if f.alliances.contains(&(k as u16)))
            }
            _ => false,
        },
        UserRole::Resident => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "resource flows are seen by administrators, analysts and insurers; staff see \
             their own alliances'"
                .into(),
        ))
    }
}

/// The flows between the institutions of `alliance` (every institution of
/// the region when `None`) from `first` to `last`, as `actor` may see them.
pub async fn flows(
    ctx: &Context,
    actor: &Actor,
    alliance: Option<&str>,
    first: Date,
    last: Date,
) -> Result<Flows, ServiceError> {
    if last < first {
        return Err(ServiceError::invalid(
            "end",
            "the period ends before it starts",
        ));
    }
    let net = network(ctx).await?;
    may_see(actor, &net, alliance)?;
    let position = match alliance {
        Some(a) => Some(
            net.alliances
                .iter()
                .position(|x| x == a)
                .ok_or_else(|| ServiceError::invalid("alliance", format!("no alliance {a}")))?
                as u16,
        ),
        None => None,
    };
    let in_scope = |ix: Ix| {
        net.directory
            .get(ix)
            .is_some_and(|f| position.is_none_or(|k| f.alliances.contains(&k)))
    };
    let nodes: Vec<Node> = (0..net.institutions.len())
        .map(|k| Ix(k as u32))
        .filter(|&ix| in_scope(ix))
        .map(|ix| Node {
            ix,
            id: net.institutions[ix.0 as usize].clone(),
            name: net.names[ix.0 as usize].clone(),
            level: net.directory.institutions[ix.0 as usize].level,
        })
        .collect();
    let (d0, d1) = (day_of(first), day_of(last));
    let mut network = FlowNetwork::new();
    for (day, ix, counters) in ctx
        .store
        .indicator_rows(d0, d1, RowSet::Institutions)
        .await?
    {
        if let Some(ix) = ix
            && (d0..=d1).contains(&day)
            && !counters.flows.is_empty()
            && in_scope(ix)
        {
            network.add_row(day, ix, &counters.flows, in_scope);
        }
    }
    for (day, ix, flow) in practice(ctx, &net, first, last).await? {
        if in_scope(ix) {
            network.add_row(day, ix, std::slice::from_ref(&flow), in_scope);
        }
    }
    let partnerships = network.partnerships(&ctx.policy.flows);
    Ok(Flows {
        alliance: position.map(|k| {
            (
                net.alliances[usize::from(k)].clone(),
                net.alliance_names[usize::from(k)].clone(),
            )
        }),
        first,
        last,
        nodes,
        network,
        partnerships,
    })
}

/// The specialist hours of multi-site practice from `first` to `last` (no
/// later than today): for each multi-site role, a working day on each of
/// its scheduled dates, given by the institution of the practitioner's
/// role without days to the role's ([`tiercare_core::flows`]). A role
/// whose period names no start counts from the day it was registered; a
/// practitioner with no role without days, or one at the same
/// institution, gives nothing. Each flow is the giver's, by day.
pub async fn practice(
    ctx: &Context,
    net: &Network,
    first: Date,
    last: Date,
) -> Result<Vec<(tiercare_core::indicators::Day, Ix, FlowCount)>, ServiceError> {
    let last = last.min(crate::days::local_date(ctx.clock.now()));
    let ix_of = |id: &str| {
        net.institutions
            .iter()
            .position(|i| i == id)
            .map(|k| Ix(k as u32))
    };
    let minutes = ctx.policy.flows.practice_day_minutes;
    let mut out = Vec::new();
    for id in ctx
        .store
        .ids_where("PractitionerRole", "multi-site", "true")
        .await?
    {
        let Some(Stored {
            record: Record::Role(role),
            ..
        }) = ctx.store.get("PractitionerRole", &id).await?
        else {
            continue;
        };
        // When the registration date cannot be read, the schedule counts
        // from the last day asked for only: never from the start of time.
        let since = match ctx.store.get_version("PractitionerRole", &id, 1).await? {
            Some(v) => OffsetDateTime::parse(&v.updated_at, &Rfc3339)
                .map(crate::days::local_date)
                .unwrap_or(last),
            None => last,
        };
        let home = crate::search::active_roles(&ctx.store, role.practitioner.as_str())
            .await?
            .into_iter()
            .filter(|r| r.days.is_empty())
            .map(|r| r.institution)
            .min();
        let (Some(giver), Some(to)) = (
            home.as_ref().and_then(|h| ix_of(h.as_str())),
            ix_of(role.institution.as_str()),
        ) else {
            continue;
        };
        if giver == to {
            continue;
        }
        for date in practice_dates(&role, since, first, last) {
            out.push((
                day_of(date),
                giver,
                FlowCount {
                    to,
                    kind: FlowKind::SpecialistHours,
                    amount: minutes,
                },
            ));
        }
    }
    Ok(out)
}
