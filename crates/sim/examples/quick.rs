use tiercare_core::indicators::{Period, Subject};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec = tiercare_sim::Spec::load(std::path::Path::new(&args[1])).unwrap();
    let n: u64 = args[2].parse().unwrap();
    let m = tiercare_sim::Model::compile(&spec, Some(n)).unwrap();
    let t = std::time::Instant::now();
    let r = tiercare_sim::run_once(&m, 1, 0, &|| {});
    let i = r
        .accumulator
        .indicators(Period::new(0, 364), Subject::Region);
    let el = t.elapsed().as_secs_f64();
    println!(
        "{} visits {} in {:.3}s = {:.0}/s; primary {:?} up {} down {} overuse {:?} cost {} oop {} episodes {}",
        m.name,
        i.visits,
        el,
        i.visits as f64 / el,
        i.primary_visit_share,
        i.referrals_up,
        i.referrals_down,
        i.over_use_share,
        i.total_cost_yuan,
        i.total_out_of_pocket_yuan,
        i.episodes
    );
    println!("{:?} ended {}", r.tally, r.tally.ended());
    for l in &i.levels {
        println!("{:?} {} wait {:?}", l.level, l.visits, l.mean_wait_days);
    }
}
