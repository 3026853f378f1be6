//! Benchmark runner: solves every instance in a folder, checks each solution with the
//! independent checker and writes a per-instance and per-family table against BKS.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{load, InputFormat, Objective};
use crate::check::check;
use crate::engine::{solve_with, SolveParams};
use crate::error::Error;
use crate::formats::read_file;

/// Options of `freight bench solve`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Folder of instances (`.txt` Solomon, `.vrp` TSPLIB), searched recursively.
    pub dir: PathBuf,
    /// CSV like `bks.csv`: `instance,family,vehicles,distance,...`.
    pub bks: Option<PathBuf>,
    pub time_limit: Duration,
    pub seed: u64,
    pub threads: usize,
    /// Used for Solomon instances; CVRP instances always minimize distance (their BKS
    /// convention: number of routes free).
    pub objective: Objective,
    /// Only instances whose name contains this text.
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub instance: String,
    pub family: String,
    pub vehicles: usize,
    pub distance: f64,
    pub unassigned: usize,
    pub bks_vehicles: Option<usize>,
    pub bks_distance: Option<f64>,
    pub gap_percent: Option<f64>,
    pub seconds: f64,
    pub checker_ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FamilySummary {
    pub family: String,
    pub instances: usize,
    /// Share of instances using at most the BKS number of vehicles.
    pub at_bks_vehicles: f64,
    /// Average distance gap over the instances at the BKS vehicle count.
    pub avg_gap_at_bks_vehicles: Option<f64>,
    /// Average distance gap over all instances with a BKS.
    pub avg_gap_all: Option<f64>,
    pub avg_seconds: f64,
    pub all_checked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchSummary {
    pub rows: Vec<BenchRow>,
    pub families: Vec<FamilySummary>,
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("txt") | Some("vrp")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

fn family_of(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("A-") {
        return "CVRP-A".into();
    }
    if upper.starts_with("X-") {
        return "CVRP-X".into();
    }
    let letters: String = upper
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let digit = upper.chars().nth(letters.len()).unwrap_or('?');
    if ["C", "R", "RC"].contains(&letters.as_str()) {
        format!("{letters}{digit}")
    } else {
        "other".into()
    }
}

fn read_bks(path: &Path) -> Result<HashMap<String, (usize, f64)>, Error> {
    let text = read_file(path)?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some((
                fields.first()?.trim().to_string(),
                (
                    fields.get(2)?.trim().parse().ok()?,
                    fields.get(3)?.trim().parse().ok()?,
                ),
            ))
        })
        .collect())
}

fn average(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// Runs the engine over every instance and writes a Markdown table to `out`.
pub fn bench(opts: &BenchOptions, out: &mut dyn Write) -> Result<BenchSummary, Error> {
    let bks = match &opts.bks {
        Some(path) => read_bks(path)?,
        None => HashMap::new(),
    };
    let mut files = Vec::new();
    collect_files(&opts.dir, &mut files)?;
    files.sort();
    writeln!(out, "| instance | family | vehicles | distance | BKS veh | BKS dist | gap % | time s | checker |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
    let mut rows = Vec::new();
    for file in files {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if opts
            .filter
            .as_ref()
            .is_some_and(|f| !name.contains(f.as_str()))
        {
            continue;
        }
        let is_cvrp = file.extension().and_then(|e| e.to_str()) == Some("vrp");
        let loaded = load(
            if is_cvrp {
                InputFormat::Tsplib
            } else {
                InputFormat::Solomon
            },
            &file,
        )?;
        let objective = if is_cvrp {
            Objective::Distance
        } else {
            opts.objective
        };
        let params = SolveParams {
            time_limit: opts.time_limit,
            seed: opts.seed,
            threads: opts.threads.max(1),
            objective,
            ..SolveParams::default()
        };
        let solution = solve_with(&loaded.problem, loaded.transport.as_ref(), &params)?;
        let checker_ok = check(&loaded.problem, loaded.transport.as_ref(), &solution).ok();
        let reference = bks.get(&name).copied();
        let row = BenchRow {
            family: family_of(&name),
            instance: name,
            vehicles: solution.vehicles_used,
            distance: solution.distance,
            unassigned: solution.unassigned.len(),
            bks_vehicles: reference.map(|r| r.0),
            bks_distance: reference.map(|r| r.1),
            gap_percent: reference.map(|r| 100.0 * (solution.distance - r.1) / r.1),
            seconds: solution.stats.elapsed_seconds,
            checker_ok: checker_ok && solution.unassigned.is_empty(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {:.2} | {} | {} | {} | {:.1} | {} |",
            row.instance,
            row.family,
            row.vehicles,
            row.distance,
            row.bks_vehicles.map_or("-".into(), |v| v.to_string()),
            fmt_opt(row.bks_distance, 2),
            fmt_opt(row.gap_percent, 2),
            row.seconds,
            if row.checker_ok { "ok" } else { "FAIL" }
        )?;
        out.flush()?;
        rows.push(row);
    }
    let families = summarize(&rows);
    writeln!(out)?;
    writeln!(out, "| family | instances | at BKS vehicles | avg gap % (at BKS veh) | avg gap % (all) | avg time s | all checked |")?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in &families {
        writeln!(
            out,
            "| {} | {} | {:.0} % | {} | {} | {:.1} | {} |",
            f.family,
            f.instances,
            100.0 * f.at_bks_vehicles,
            fmt_opt(f.avg_gap_at_bks_vehicles, 2),
            fmt_opt(f.avg_gap_all, 2),
            f.avg_seconds,
            f.all_checked
        )?;
    }
    Ok(BenchSummary { rows, families })
}

fn summarize(rows: &[BenchRow]) -> Vec<FamilySummary> {
    let mut names: Vec<String> = rows.iter().map(|r| r.family.clone()).collect();
    names.sort();
    names.dedup();
    let groups = names.into_iter().map(|name| {
        let members: Vec<&BenchRow> = rows.iter().filter(|r| r.family == name).collect();
        (name, members)
    });
    let mut all: Vec<&BenchRow> = Vec::new();
    let mut summaries: Vec<FamilySummary> = groups
        .map(|(name, members)| {
            all.extend(members.iter().copied());
            family_summary(name, &members)
        })
        .collect();
    if summaries.len() > 1 {
        summaries.push(family_summary("all".into(), &all));
    }
    summaries
}

fn family_summary(family: String, members: &[&BenchRow]) -> FamilySummary {
    let at_bks: Vec<&&BenchRow> = members
        .iter()
        .filter(|r| r.bks_vehicles.is_some_and(|v| r.vehicles <= v))
        .collect();
    let with_bks = members
        .iter()
        .filter(|r| r.bks_vehicles.is_some())
        .count()
        .max(1);
    FamilySummary {
        family,
        instances: members.len(),
        at_bks_vehicles: at_bks.len() as f64 / with_bks as f64,
        avg_gap_at_bks_vehicles: average(
            &at_bks
                .iter()
                .filter_map(|r| r.gap_percent)
                .collect::<Vec<_>>(),
        ),
        avg_gap_all: average(
            &members
                .iter()
                .filter_map(|r| r.gap_percent)
                .collect::<Vec<_>>(),
        ),
        avg_seconds: members.iter().map(|r| r.seconds).sum::<f64>() / members.len().max(1) as f64,
        all_checked: members.iter().all(|r| r.checker_ok),
    }
}
