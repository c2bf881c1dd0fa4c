//! A scale check to run by hand: loads a scenario, runs one replication
//! and prints its size, wall time, speed and headline indicators.
//!
//!     cargo build --release -p tiercare-sim --example scale
//!     /usr/bin/time -v target/release/examples/scale scenarios/zx-baseline.toml [RESIDENTS] [SEED]
//!
//! RESIDENTS is per partition (default: the scenario's own); the run uses
//! every partition the scenario names.

use std::path::Path;
use std::time::Instant;
use tiercare_sim::{Model, Spec, run_once, summary};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: scale SCENARIO.toml [RESIDENTS] [SEED]");
        std::process::exit(2);
    };
    let number = |k: usize, name: &str| -> Option<u64> {
        let text = args.get(k)?;
        match text.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                eprintln!("{name} must be a whole number, not {text:?}");
                std::process::exit(2);
            }
        }
    };
    let residents = number(2, "RESIDENTS");
    let seed = number(3, "SEED").unwrap_or(1);
    let started = Instant::now();
    let spec = Spec::load(Path::new(path)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let model = Model::compile(&spec, residents).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let run = run_once(&model, seed, 0, &|| {});
    let wall = started.elapsed().as_secs_f64();
    let i = summary::region_indicators(&model, &run);
    println!(
        "{}: {} partitions x {} residents = {} residents, {} days",
        model.name,
        model.partitions,
        model.residents,
        u64::from(model.partitions) * model.residents,
        model.days
    );
    println!(
        "visits {} in {wall:.2} s = {:.0} visits/s; episodes {} ({:?})",
        i.visits,
        i.visits as f64 / wall,
        i.episodes,
        run.tally
    );
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0));
    println!(
        "primary share {}, bypass share {}, over-use {}, under-capacity {}, retention {}",
        pct(i.primary_visit_share),
        pct(i.bypass_share),
        pct(i.over_use_share),
        pct(i.under_capacity_share),
        pct(i.county_retention)
    );
    println!(
        "referrals up {}, down {}, down/up {:.2}, loop closure {}, time to appointment {:.2} d",
        i.referrals_up,
        i.referrals_down,
        i.down_up_ratio.unwrap_or(0.0),
        pct(i.loop_closure),
        i.time_to_appointment_days.unwrap_or(0.0)
    );
    println!(
        "contracts {} (key groups {}), chronic management {}, access {}, slot utilisation {}",
        pct(i.contract_coverage),
        pct(i.key_group_contract_coverage),
        pct(i.chronic_management),
        pct(i.access),
        pct(i.slot_utilisation)
    );
    println!(
        "expenditure per visit {:.1} yuan, out-of-pocket share {}, visits per resident {:.2}",
        i.expenditure_per_visit_yuan.unwrap_or(0.0),
        pct(i.out_of_pocket_share),
        i.visits as f64 / (u64::from(model.partitions) * model.residents) as f64
    );
    for l in &i.levels {
        println!(
            "  {:<9} visits {:>10}  wait {:.2} d  utilisation {}  per visit {:.1} yuan  oop {}",
            l.level.code(),
            l.visits,
            l.mean_wait_days.unwrap_or(0.0),
            pct(l.slot_utilisation),
            l.expenditure_per_visit_yuan.unwrap_or(0.0),
            pct(l.out_of_pocket_share)
        );
    }
    if std::env::var_os("SCALE_JSON").is_some() {
        println!("{}", summary::refmodel_json(&model, &run, wall));
    }
}
