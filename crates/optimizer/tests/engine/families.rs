//! Feasibility (independent checker) on one instance of every benchmark family.

use freight_optimizer::check::check;
use freight_optimizer::cli::{load, InputFormat};
use freight_optimizer::{solve_with, Objective};

use super::{data, params};

fn bks_distance(instance: &str) -> f64 {
    let text = std::fs::read_to_string(data("bks.csv")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{instance},")))
        .unwrap();
    line.split(',').nth(3).unwrap().parse().unwrap()
}

fn solve_and_check(file: &str, format: InputFormat, objective: Objective) {
    let loaded = load(format, &data(file)).unwrap();
    let solution = solve_with(
        &loaded.problem,
        loaded.transport.as_ref(),
        &params(700, objective),
    )
    .unwrap();
    let report = check(&loaded.problem, loaded.transport.as_ref(), &solution);
    assert!(report.ok(), "{file}: {:?}", report.violations);
    assert!(
        solution.unassigned.is_empty(),
        "{file}: {:?}",
        solution.unassigned
    );
    let served: usize = solution.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(served, loaded.problem.jobs.len());
    let name = std::path::Path::new(file)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap();
    let bks = bks_distance(name);
    // A sanity bound only: a short debug-profile run must be in the right region.
    assert!(
        solution.distance < bks * 1.3,
        "{file}: {} vs BKS {bks}",
        solution.distance
    );
}

#[test]
fn solomon_c1_feasible() {
    solve_and_check(
        "solomon/C101.txt",
        InputFormat::Solomon,
        Objective::VehiclesFirst,
    );
}

#[test]
fn solomon_c2_feasible() {
    solve_and_check(
        "solomon/C201.txt",
        InputFormat::Solomon,
        Objective::VehiclesFirst,
    );
}

#[test]
fn solomon_r1_feasible() {
    solve_and_check(
        "solomon/R101.txt",
        InputFormat::Solomon,
        Objective::VehiclesFirst,
    );
}

#[test]
fn solomon_r2_feasible() {
    solve_and_check(
        "solomon/R201.txt",
        InputFormat::Solomon,
        Objective::Distance,
    );
}

#[test]
fn solomon_rc1_feasible() {
    solve_and_check(
        "solomon/RC101.txt",
        InputFormat::Solomon,
        Objective::VehiclesFirst,
    );
}

#[test]
fn solomon_rc2_feasible() {
    solve_and_check(
        "solomon/RC201.txt",
        InputFormat::Solomon,
        Objective::Distance,
    );
}

#[test]
fn cvrp_a_feasible() {
    solve_and_check(
        "cvrp/A-n32-k5.vrp",
        InputFormat::Tsplib,
        Objective::Distance,
    );
}

#[test]
fn cvrp_x_feasible() {
    solve_and_check(
        "cvrp/X-n101-k25.vrp",
        InputFormat::Tsplib,
        Objective::Distance,
    );
}

#[test]
fn deterministic_for_a_seed_with_iteration_budget() {
    let loaded = load(InputFormat::Solomon, &data("solomon/R101.txt")).unwrap();
    for threads in [1, 2] {
        let mut p = params(60_000, Objective::VehiclesFirst);
        p.max_iterations = Some(1500);
        p.threads = threads;
        let a = solve_with(&loaded.problem, loaded.transport.as_ref(), &p).unwrap();
        let b = solve_with(&loaded.problem, loaded.transport.as_ref(), &p).unwrap();
        let ids = |s: &freight_optimizer::Solution| {
            s.routes
                .iter()
                .map(|r| r.stops.iter().map(|x| x.job_id.clone()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.distance, b.distance);
        p.seed += 1;
        let c = solve_with(&loaded.problem, loaded.transport.as_ref(), &p).unwrap();
        assert!(check(&loaded.problem, loaded.transport.as_ref(), &c).ok());
    }
}

#[test]
fn cancel_flag_stops_early_with_a_solution() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let loaded = load(InputFormat::Solomon, &data("solomon/R201.txt")).unwrap();
    let mut p = params(30_000, Objective::Distance);
    p.cancel = Some(Arc::new(AtomicBool::new(true)));
    let solution = solve_with(&loaded.problem, loaded.transport.as_ref(), &p).unwrap();
    // A flag raised before the start stops the search before its first iteration, whatever
    // the 30 s time limit says.
    assert_eq!(solution.stats.iterations, 0);
    assert!(solution.stats.cancelled);
    assert!(check(&loaded.problem, loaded.transport.as_ref(), &solution).ok());
    assert!(solution.unassigned.is_empty());
}

#[test]
fn progress_callback_reports_improvements() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let loaded = load(InputFormat::Solomon, &data("solomon/C101.txt")).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut p = params(300, Objective::Distance);
    p.progress = Some(Arc::new(move |_progress: &freight_optimizer::Progress| {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    solve_with(&loaded.problem, loaded.transport.as_ref(), &p).unwrap();
    assert!(calls.load(Ordering::Relaxed) > 0);
}
