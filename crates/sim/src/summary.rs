//! The headline figures of a run, under the keys of the reference county
//! model (REFMODEL.md), so a tiercare run and the SimPy baseline compare
//! key by key. Every figure is read from the core's indicators.

use crate::model::Model;
use crate::run::Run;
use serde_json::{Value, json};
use tiercare_core::Level;
use tiercare_core::indicators::{Indicators, Subject};

/// The whole run's indicators for the region.
pub fn region_indicators(model: &Model, run: &Run) -> Indicators {
    run.accumulator.indicators(model.counted(), Subject::Region)
}

/// The reference model's JSON object for one run; `wall_seconds` is the
/// whole run's time, population generation included.
pub fn refmodel_json(model: &Model, run: &Run, wall_seconds: f64) -> Value {
    let i = region_indicators(model, run);
    let per_level = |f: &dyn Fn(Level) -> Value| {
        let mut map = serde_json::Map::new();
        for level in Level::ALL {
            map.insert(level.code().to_string(), f(level));
        }
        Value::Object(map)
    };
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    json!({
        "episodes": i.episodes,
        "visits": per_level(&|l| json!(i.levels[l.index()].visits)),
        "visits_total": i.visits,
        "primary_share": i.primary_visit_share.unwrap_or(0.0),
        "up_referrals": i.referrals_up,
        "down_referrals": i.referrals_down,
        "overuse_share": i.over_use_share.unwrap_or(0.0),
        "mean_wait_days": per_level(&|l| json!(i.levels[l.index()].mean_wait_days.unwrap_or(0.0))),
        "total_cost": round2(i.total_cost_yuan),
        "total_oop": round2(i.total_out_of_pocket_yuan),
        "wall_seconds": (wall_seconds * 1000.0).round() / 1000.0,
        "visits_per_second": if wall_seconds > 0.0 { (i.visits as f64 / wall_seconds * 10.0).round() / 10.0 } else { 0.0 },
    })
}
