//! Benchmark harness: `cargo run --release -p freight-optimizer --example bench --
//! <dir> [seconds] [vehicles|distance] [filter] [bks.csv] [threads]`.

use std::time::Duration;

use freight_optimizer::cli::{bench, BenchOptions, Objective};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .cloned()
        .unwrap_or_else(|| "crates/optimizer/data/solomon".into());
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let objective = match args.get(2).map(String::as_str) {
        Some("distance") => Objective::Distance,
        _ => Objective::VehiclesFirst,
    };
    let filter = args.get(3).filter(|f| !f.is_empty() && *f != "-").cloned();
    let bks = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| "crates/optimizer/data/bks.csv".into());
    let threads = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(1);
    let options = BenchOptions {
        dir: dir.into(),
        bks: Some(bks.into()),
        time_limit: Duration::from_secs_f64(seconds),
        seed: 1,
        threads,
        objective,
        filter,
    };
    let mut stdout = std::io::stdout();
    if let Err(error) = bench(&options, &mut stdout) {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}
