//! Solve one file and print the CLI JSON: `cargo run --release -p freight-optimizer
//! --example solve -- <solomon|tsplib|json> <file> [seconds] [vehicles|distance] [seed] [threads]`.

use std::time::Duration;

use freight_optimizer::cli::{solve_file, InputFormat, Objective, SolveOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = match args.first().map(String::as_str) {
        Some("tsplib") => InputFormat::Tsplib,
        Some("json") => InputFormat::Json,
        _ => InputFormat::Solomon,
    };
    let options = SolveOptions {
        format,
        file: args.get(1).cloned().unwrap_or_default().into(),
        time_limit: Duration::from_secs_f64(
            args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10.0),
        ),
        objective: if args.get(3).map(String::as_str) == Some("vehicles") {
            Objective::VehiclesFirst
        } else {
            Objective::Distance
        },
        seed: args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1),
        threads: args.get(5).and_then(|s| s.parse().ok()).unwrap_or(1),
    };
    match solve_file(&options) {
        Ok(value) => println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        ),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
