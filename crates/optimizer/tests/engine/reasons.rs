//! Every unassigned job carries a reason code; invalid input reports all issues.

use freight_optimizer::check::check;
use freight_optimizer::{
    explain_unserviceable, solve, validate, Amount, Euclidean, Objective, Problem, TimeWindow,
    UnassignedReason, Vehicle,
};

use super::{delivery, params, xy};

fn reason_of(solution: &freight_optimizer::Solution, id: &str) -> Option<UnassignedReason> {
    solution
        .unassigned
        .iter()
        .find(|u| u.job_id == id)
        .map(|u| u.reason)
}

#[test]
fn each_reason_code_is_reported() {
    let mut vehicle = Vehicle::new("v1", xy(0.0, 0.0), Amount::scalar(100));
    vehicle.shift = TimeWindow::new(0.0, 1000.0);
    vehicle.skills = vec!["fridge".into()];
    let mut needs_crane = delivery("skill", xy(5.0, 0.0), None, 0.0, 1);
    needs_crane.skills = vec!["crane".into()];
    let mut fridge = delivery("fridge-ok", xy(3.0, 0.0), None, 0.0, 1);
    fridge.skills = vec!["fridge".into()];
    let problem = Problem {
        vehicles: vec![vehicle],
        jobs: vec![
            needs_crane,
            fridge,
            delivery("heavy", xy(5.0, 0.0), None, 0.0, 500),
            delivery("early", xy(100.0, 0.0), Some((0.0, 50.0)), 0.0, 1),
            delivery("far", xy(600.0, 0.0), None, 0.0, 1),
            delivery("ok1", xy(10.0, 0.0), None, 0.0, 60),
            delivery("ok2", xy(-10.0, 0.0), None, 0.0, 60),
        ],
    };
    let solution = solve(&problem, &params(200, Objective::Distance)).unwrap();
    assert!(check(&problem, &Euclidean::default(), &solution).ok());
    assert_eq!(
        reason_of(&solution, "skill"),
        Some(UnassignedReason::NoVehicleWithSkills)
    );
    assert_eq!(
        reason_of(&solution, "heavy"),
        Some(UnassignedReason::CapacityExceedsEveryVehicle)
    );
    assert_eq!(
        reason_of(&solution, "early"),
        Some(UnassignedReason::TimeWindowUnreachable)
    );
    assert_eq!(
        reason_of(&solution, "far"),
        Some(UnassignedReason::ShiftTooShort)
    );
    assert_eq!(reason_of(&solution, "fridge-ok"), None);
    let exhausted: Vec<_> = ["ok1", "ok2"]
        .iter()
        .filter_map(|id| reason_of(&solution, id))
        .collect();
    assert_eq!(exhausted, vec![UnassignedReason::FleetExhausted]);
    assert_eq!(solution.unassigned.len(), 5);
    for u in &solution.unassigned {
        assert_eq!(u.code, u.reason.code());
    }
    let heavy = problem.jobs.iter().position(|j| j.id == "heavy").unwrap();
    let explained = explain_unserviceable(&problem, &Euclidean::default(), heavy).unwrap();
    assert_eq!(
        explained,
        Some(UnassignedReason::CapacityExceedsEveryVehicle)
    );
    let out_of_range = explain_unserviceable(&problem, &Euclidean::default(), 99).unwrap_err();
    assert_eq!(out_of_range.issues()[0].code, "E1016");
}

#[test]
fn validation_reports_every_issue_with_codes() {
    let mut bad_window = delivery("a", xy(1.0, 1.0), Some((10.0, 5.0)), -1.0, -3);
    bad_window.kind = match bad_window.kind {
        freight_optimizer::JobKind::Delivery { stop } => {
            freight_optimizer::JobKind::Delivery { stop }
        }
        other => other,
    };
    let mut vehicle = Vehicle::new(
        "v",
        freight_optimizer::Location::LatLon {
            lat: 95.0,
            lon: 0.0,
        },
        Amount::scalar(-1),
    );
    vehicle.locked_jobs = vec!["ghost".into()];
    let problem = Problem {
        vehicles: vec![vehicle],
        jobs: vec![bad_window, delivery("a", xy(2.0, 2.0), None, 0.0, 1)],
    };
    let issues = validate(&problem);
    let codes: Vec<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    for expected in [
        "E1002", "E1004", "E1006", "E1007", "E1008", "E1010", "E1011", "E1012",
    ] {
        assert!(codes.contains(&expected), "missing {expected} in {codes:?}");
    }
    assert!(issues
        .iter()
        .all(|i| !i.cause.is_empty() && !i.action.is_empty()));
    let error = solve(&problem, &params(100, Objective::Distance)).unwrap_err();
    assert_eq!(error.issues().len(), issues.len());
    let empty = validate(&Problem::default());
    assert_eq!(empty[0].code, "E1001");
}
