//! Reproducible tuning runs: every file × seed with a fixed iteration budget (the
//! annealing schedule follows iterations, so results do not depend on machine load).
//! `cargo run --release -p freight-optimizer --example tune -- <iterations> <seeds>
//! <vehicles|distance> <bks.csv> <file>...`; `seeds` is `first-last` (e.g. `1-5`).
//! The time limit is 10 s × 100 (restart structure of a 10 s run, never cut by time).

use std::collections::BTreeMap;
use std::time::Duration;

use freight_optimizer::check::check;
use freight_optimizer::cli::{load, InputFormat, Objective};
use freight_optimizer::{solve_with, SolveParams};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let iterations: u64 = args[0].parse().expect("iterations");
    let (first, last) = args[1].split_once('-').expect("seeds as first-last");
    let seeds = first.parse::<u64>().unwrap()..=last.parse::<u64>().unwrap();
    let objective = match args[2].as_str() {
        "distance" => Objective::Distance,
        _ => Objective::VehiclesFirst,
    };
    let bks: BTreeMap<String, (String, usize, f64)> = std::fs::read_to_string(&args[3])
        .expect("bks file")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Some((
                f[0].into(),
                (f[1].into(), f[2].parse().ok()?, f[3].parse().ok()?),
            ))
        })
        .collect();
    // family -> (gaps, runs at BKS vehicles, runs)
    let mut families: BTreeMap<String, (Vec<f64>, usize, usize)> = BTreeMap::new();
    for file in &args[4..] {
        let path = std::path::Path::new(file);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let format = if file.ends_with(".vrp") {
            InputFormat::Tsplib
        } else {
            InputFormat::Solomon
        };
        let loaded = load(format, path).expect("load");
        let (family, bks_vehicles, bks_distance) = bks[&name].clone();
        let mut line = format!("{name:>10}");
        for seed in seeds.clone() {
            let params = SolveParams {
                time_limit: Duration::from_secs(1000),
                max_iterations: Some(iterations),
                seed,
                threads: 1,
                objective,
                ..SolveParams::default()
            };
            let solution =
                solve_with(&loaded.problem, loaded.transport.as_ref(), &params).expect("solve");
            let ok = check(&loaded.problem, loaded.transport.as_ref(), &solution).ok()
                && solution.unassigned.is_empty();
            let vehicles = solution.vehicles_used;
            let gap = 100.0 * (solution.distance - bks_distance) / bks_distance;
            let entry = families.entry(family.clone()).or_default();
            entry.2 += 1;
            if vehicles <= bks_vehicles {
                entry.0.push(gap);
                entry.1 += 1;
            }
            line += &format!(
                "  {vehicles}/{:.2}{}",
                solution.distance,
                if ok { "" } else { "!" }
            );
        }
        println!("{line}");
    }
    for (family, (gaps, at, runs)) in &families {
        let avg = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
        println!("{family:>14}: at BKS vehicles {at}/{runs}, avg gap there {avg:.3} %");
    }
}
