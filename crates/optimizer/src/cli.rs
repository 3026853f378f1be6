//! Clap-free entry points for the `freight solve` and `freight bench solve` commands:
//! load a benchmark or JSON file, solve it, check it, and render JSON or a table.

mod bench;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::check::check;
use crate::engine::{solve_with, SolveParams};
use crate::error::Error;
use crate::formats::{parse_json, parse_solomon, parse_tsplib, read_file, LoadedProblem};

pub use crate::engine::Objective;
pub use bench::{bench, BenchOptions, BenchRow, BenchSummary, FamilySummary};

/// Input file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Solomon VRPTW text (job id = CUST NO., exact Euclidean, time = distance).
    Solomon,
    /// TSPLIB/CVRPLIB CVRP (job id = node id, nint Euclidean).
    Tsplib,
    /// The engine's JSON problem format (see the crate README).
    Json,
}

/// Options of `freight solve`.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    pub format: InputFormat,
    pub file: PathBuf,
    pub time_limit: Duration,
    pub seed: u64,
    pub threads: usize,
    pub objective: Objective,
}

/// Reads and parses a problem file.
pub fn load(format: InputFormat, file: &Path) -> Result<LoadedProblem, Error> {
    let text = read_file(file)?;
    match format {
        InputFormat::Solomon => parse_solomon(&text),
        InputFormat::Tsplib => parse_tsplib(&text),
        InputFormat::Json => parse_json(&text),
    }
}

/// Job ids as JSON numbers when they are numeric (benchmark formats), else strings.
fn id_value(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// Returns the JSON the CLI prints:
/// `{"routes": [[job ids in visiting order, depot excluded], …], "cost": <total distance>,
///   "vehicles": <routes used>, "unassigned": [{"job": id, "reason": CODE}, …], …}`
/// plus `total_cost`, `duration`, `iterations`, `seconds` and the checker verdict.
/// A pickup-and-delivery job appears twice in its route (pickup, then delivery).
pub fn solve_file(opts: &SolveOptions) -> Result<Value, Error> {
    let loaded = load(opts.format, &opts.file)?;
    let params = SolveParams {
        time_limit: opts.time_limit,
        seed: opts.seed,
        threads: opts.threads.max(1),
        objective: opts.objective,
        ..SolveParams::default()
    };
    let solution = solve_with(&loaded.problem, loaded.transport.as_ref(), &params)?;
    let report = check(&loaded.problem, loaded.transport.as_ref(), &solution);
    let routes: Vec<Value> = solution
        .routes
        .iter()
        .map(|r| Value::Array(r.stops.iter().map(|s| id_value(&s.job_id)).collect()))
        .collect();
    let unassigned: Vec<Value> = solution
        .unassigned
        .iter()
        .map(|u| json!({"job": id_value(&u.job_id), "reason": u.code}))
        .collect();
    Ok(json!({
        "instance": loaded.name,
        "routes": routes,
        "cost": solution.distance,
        "vehicles": solution.vehicles_used,
        "unassigned": unassigned,
        "total_cost": solution.cost,
        "duration": solution.duration,
        "iterations": solution.stats.iterations,
        "seconds": solution.stats.elapsed_seconds,
        "check": {"ok": report.ok(), "violations": report.violations.iter().map(|v| v.message.clone()).collect::<Vec<_>>()},
    }))
}
