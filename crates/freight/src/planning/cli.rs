//! `freight solve FILE` and `freight bench solve DIR`: the optimizer on benchmark files.
//! Argument parsing only; the work is `freight_optimizer::cli`.

use std::path::PathBuf;
use std::time::Duration;

use freight_optimizer::cli::{self as engine, InputFormat, Objective};

/// File formats accepted by `--format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Solomon,
    Tsplib,
    Json,
}

/// What to minimize.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Goal {
    /// Total distance (the default for real fleets, where a vehicle costs little).
    Distance,
    /// Fewer vehicles first, then distance (the classic Solomon ranking).
    VehiclesFirst,
}

impl From<Goal> for Objective {
    fn from(goal: Goal) -> Self {
        match goal {
            Goal::Distance => Objective::Distance,
            Goal::VehiclesFirst => Objective::VehiclesFirst,
        }
    }
}

/// `freight solve`.
#[derive(Debug, Clone, clap::Args)]
pub struct SolveArgs {
    #[arg(long, value_enum)]
    pub format: Format,
    /// The instance file.
    pub file: PathBuf,
    /// Seconds the search may run.
    #[arg(long, default_value_t = 10.0)]
    pub time_limit: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[arg(long, value_enum, default_value = "distance")]
    pub objective: Goal,
}

/// `freight bench solve`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchSolveArgs {
    /// Folder of instances (`.txt` Solomon, `.vrp` TSPLIB), searched recursively.
    #[arg(default_value = "crates/optimizer/data/solomon")]
    pub dir: PathBuf,
    /// Best-known solutions CSV (`instance,family,vehicles,distance,…`).
    #[arg(long, default_value = "crates/optimizer/data/bks.csv")]
    pub bks: PathBuf,
    /// Seconds per instance.
    #[arg(long, default_value_t = 10.0)]
    pub time_limit: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[arg(long, value_enum, default_value = "vehicles-first")]
    pub objective: Goal,
    /// Only instances whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
}

fn seconds(s: f64) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        s.is_finite() && s > 0.0,
        "--time-limit must be a positive number of seconds"
    );
    Ok(Duration::from_secs_f64(s))
}

/// Solves one file and prints the plan as JSON on stdout.
pub fn solve(args: &SolveArgs) -> anyhow::Result<()> {
    let options = engine::SolveOptions {
        format: match args.format {
            Format::Solomon => InputFormat::Solomon,
            Format::Tsplib => InputFormat::Tsplib,
            Format::Json => InputFormat::Json,
        },
        file: args.file.clone(),
        time_limit: seconds(args.time_limit)?,
        seed: args.seed,
        threads: args.threads.max(1),
        objective: args.objective.into(),
    };
    let plan = engine::solve_file(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string(&plan)?);
    Ok(())
}

/// Runs the engine over a folder of instances and prints the per-instance and per-family table.
pub fn bench(args: &BenchSolveArgs) -> anyhow::Result<()> {
    let options = engine::BenchOptions {
        dir: args.dir.clone(),
        bks: Some(args.bks.clone()).filter(|p| p.exists()),
        time_limit: seconds(args.time_limit)?,
        seed: args.seed,
        threads: args.threads.max(1),
        objective: args.objective.into(),
        filter: args.filter.clone(),
    };
    engine::bench(&options, &mut std::io::stdout()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
