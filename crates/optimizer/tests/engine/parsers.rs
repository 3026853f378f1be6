//! Parsers: Solomon (CRLF), TSPLIB CVRP, the JSON format, and their coded errors.

use freight_optimizer::check::check;
use freight_optimizer::cli::{load, solve_file, InputFormat, SolveOptions};
use freight_optimizer::formats::{parse_json, parse_solomon, parse_tsplib};
use freight_optimizer::{solve_with, JobKind, Location, Objective};

use super::{data, params};

#[test]
fn solomon_reads_fleet_depot_and_customers() {
    let raw = std::fs::read_to_string(data("solomon/C101.txt")).unwrap();
    assert!(raw.contains("\r\n"), "fixture keeps CRLF line endings");
    let loaded = parse_solomon(&raw).unwrap();
    assert_eq!(loaded.name, "C101");
    assert_eq!(loaded.problem.vehicles.len(), 25);
    assert_eq!(loaded.problem.vehicles[0].capacity.0[0], 200);
    assert_eq!(loaded.problem.vehicles[0].shift.end, 1236.0);
    assert_eq!(
        loaded.problem.vehicles[0].start,
        Location::Xy { x: 40.0, y: 50.0 }
    );
    assert_eq!(loaded.problem.jobs.len(), 100);
    let first = &loaded.problem.jobs[0];
    assert_eq!(first.id, "1");
    assert_eq!(first.demand.0[0], 10);
    let JobKind::Delivery { stop } = &first.kind else {
        panic!("delivery expected")
    };
    assert_eq!(
        (
            stop.time_windows[0].start,
            stop.time_windows[0].end,
            stop.service
        ),
        (912.0, 967.0, 90.0)
    );
    // Exact Euclidean doubles, no rounding.
    let d = loaded
        .transport
        .distance(&loaded.problem.vehicles[0].start, &stop.location);
    assert!((d - (25.0f64 + 324.0).sqrt()).abs() < 1e-12);
}

#[test]
fn solomon_errors_are_coded() {
    assert_eq!(parse_solomon("").err().unwrap().issues()[0].code, "E1101");
    assert_eq!(
        parse_solomon("X\nfoo\n").err().unwrap().issues()[0].code,
        "E1103"
    );
    let bad = "X\r\nVEHICLE\r\nNUMBER CAPACITY\r\n 2 10\r\nCUSTOMER\r\n 0 1 1 0 0 100 0\r\n 1 2 x 3 0 50 1\r\n 2 2 2\r\n";
    let issues = parse_solomon(bad).err().unwrap().issues().to_vec();
    assert_eq!(issues.len(), 2, "both bad rows are reported");
    assert!(issues.iter().all(|i| i.code == "E1102"));
}

fn solution_cost(file: &str, sol: &str) -> f64 {
    let loaded = load(InputFormat::Tsplib, &data(file)).unwrap();
    let text = std::fs::read_to_string(data(sol)).unwrap();
    let depot = loaded.problem.vehicles[0].start;
    let mut total = 0.0;
    for line in text.lines().filter(|l| l.starts_with("Route")) {
        let mut at = depot;
        for customer in line.split(':').nth(1).unwrap().split_whitespace() {
            let node = customer.parse::<usize>().unwrap() + 1;
            let job = loaded
                .problem
                .jobs
                .iter()
                .find(|j| j.id == node.to_string())
                .unwrap();
            let JobKind::Delivery { stop } = &job.kind else {
                panic!()
            };
            total += loaded.transport.distance(&at, &stop.location);
            at = stop.location;
        }
        total += loaded.transport.distance(&at, &depot);
    }
    total
}

#[test]
fn tsplib_reads_nodes_and_uses_nint_costs() {
    let loaded = load(InputFormat::Tsplib, &data("cvrp/A-n32-k5.vrp")).unwrap();
    assert_eq!(loaded.problem.jobs.len(), 31);
    assert_eq!(loaded.problem.jobs[0].id, "2");
    assert_eq!(loaded.problem.vehicles[0].capacity.0[0], 100);
    assert_eq!(
        solution_cost("cvrp/A-n32-k5.vrp", "cvrp/A-n32-k5.sol"),
        784.0
    );
    assert_eq!(
        solution_cost("cvrp/X-n101-k25.vrp", "cvrp/X-n101-k25.sol"),
        27591.0
    );
}

#[test]
fn tsplib_errors_are_coded() {
    let geo = "NAME : t\nTYPE : CVRP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : GEO\nCAPACITY : 5\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nDEMAND_SECTION\n1 0\n2 1\nDEPOT_SECTION\n1\n-1\nEOF\n";
    assert_eq!(parse_tsplib(geo).err().unwrap().issues()[0].code, "E1104");
    let no_capacity = "NAME : t\nNODE_COORD_SECTION\n1 0 0\n";
    assert!(parse_tsplib(no_capacity)
        .err()
        .unwrap()
        .issues()
        .iter()
        .any(|i| i.code == "E1103"));
    let bad_line =
        "NAME : t\nCAPACITY : 5\nNODE_COORD_SECTION\n1 0 0\n2 a 1\nDEMAND_SECTION\n1 0\n2 1\nEOF\n";
    assert!(parse_tsplib(bad_line)
        .err()
        .unwrap()
        .issues()
        .iter()
        .any(|i| i.code == "E1102"));
}

#[test]
fn json_example_parses_solves_and_checks() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/problem.json");
    let loaded = parse_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(loaded.problem.vehicles.len(), 2);
    assert_eq!(loaded.problem.jobs.len(), 5);
    assert!(matches!(
        loaded.problem.jobs[3].kind,
        JobKind::PickupDelivery { .. }
    ));
    let solution = solve_with(
        &loaded.problem,
        loaded.transport.as_ref(),
        &params(300, Objective::Distance),
    )
    .unwrap();
    let report = check(&loaded.problem, loaded.transport.as_ref(), &solution);
    assert!(report.ok(), "{:?}", report.violations);
    assert!(solution.unassigned.is_empty(), "{:?}", solution.unassigned);
    // d-101 needs the fridge van.
    let van = solution
        .routes
        .iter()
        .find(|r| r.vehicle_id == "van-1")
        .unwrap();
    assert!(van.stops.iter().any(|s| s.job_id == "d-101"));
    let options = SolveOptions {
        format: InputFormat::Json,
        file: path,
        time_limit: std::time::Duration::from_millis(200),
        seed: 3,
        threads: 1,
        objective: Objective::Distance,
    };
    let output = solve_file(&options).unwrap();
    assert_eq!(output["check"]["ok"], true);
    assert_eq!(output["unassigned"].as_array().unwrap().len(), 0);
}

#[test]
fn json_errors_are_coded() {
    let error = parse_json("{\"vehicles\": [}").err().unwrap();
    assert_eq!(error.issues()[0].code, "E1105");
    assert!(error.issues()[0].path.starts_with("line 1"));
}

#[test]
fn cli_solve_file_prints_routes_of_customer_numbers() {
    let options = SolveOptions {
        format: InputFormat::Solomon,
        file: data("solomon/C101.txt"),
        time_limit: std::time::Duration::from_millis(300),
        seed: 1,
        threads: 1,
        objective: Objective::VehiclesFirst,
    };
    let output = solve_file(&options).unwrap();
    let mut ids: Vec<u64> = output["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=100).collect::<Vec<u64>>());
    assert_eq!(
        output["vehicles"].as_u64().unwrap() as usize,
        output["routes"].as_array().unwrap().len()
    );
    assert!(output["cost"].as_f64().unwrap() > 800.0);
    assert_eq!(output["check"]["ok"], true);
}

#[test]
fn bench_writes_a_checked_table() {
    use freight_optimizer::cli::{bench, BenchOptions};
    let dir = std::env::temp_dir().join(format!("freight-opt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(data("cvrp/A-n32-k5.vrp"), dir.join("A-n32-k5.vrp")).unwrap();
    let options = BenchOptions {
        dir: dir.clone(),
        bks: Some(data("bks.csv")),
        time_limit: std::time::Duration::from_millis(300),
        seed: 1,
        threads: 1,
        objective: Objective::VehiclesFirst,
        filter: None,
    };
    let mut out = Vec::new();
    let summary = bench(&options, &mut out).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("| A-n32-k5 | CVRP-A |"));
    assert_eq!(summary.rows.len(), 1);
    assert!(summary.rows[0].checker_ok);
    assert_eq!(summary.families[0].family, "CVRP-A");
    assert!(summary.rows[0].gap_percent.unwrap() < 10.0);
}
