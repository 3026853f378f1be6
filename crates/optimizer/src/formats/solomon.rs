//! Solomon VRPTW text format (CRLF tolerated): name, `VEHICLE` block with number and
//! capacity, `CUSTOMER` table whose first row (CUST NO. 0) is the depot. Distances are
//! exact Euclidean doubles and travel time equals distance; job ids are CUST NO.

use super::LoadedProblem;
use crate::error::{Error, InputIssue};
use crate::model::{Amount, Job, JobKind, Location, Problem, Stop, TimeWindow, Vehicle};
use crate::transport::Euclidean;

fn issue(code: &str, line: usize, cause: impl Into<String>, action: &str) -> InputIssue {
    InputIssue::new(code, format!("line {line}"), cause, action)
}

pub fn parse_solomon(text: &str) -> Result<LoadedProblem, Error> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let name = lines
        .iter()
        .find(|l| !l.is_empty())
        .map(|l| l.to_string())
        .ok_or_else(|| {
            Error::Invalid(vec![issue(
                "E1101",
                1,
                "the file is empty",
                "pass a Solomon instance file",
            )])
        })?;
    let mut issues = Vec::new();
    let numbers = |line: &str| -> Option<Vec<f64>> {
        line.split_whitespace()
            .map(|t| t.parse::<f64>().ok())
            .collect()
    };
    let vehicle_header = lines.iter().position(|l| l.eq_ignore_ascii_case("VEHICLE"));
    let customer_header = lines
        .iter()
        .position(|l| l.eq_ignore_ascii_case("CUSTOMER"));
    let (Some(vehicle_header), Some(customer_header)) = (vehicle_header, customer_header) else {
        return Err(Error::Invalid(vec![issue(
            "E1103",
            1,
            "missing VEHICLE or CUSTOMER section",
            "check that the file is in Solomon format",
        )]));
    };
    let fleet = lines[vehicle_header + 1..customer_header]
        .iter()
        .enumerate()
        .find_map(|(offset, l)| numbers(l).filter(|n| n.len() == 2).map(|n| (offset, n)));
    let Some((_, fleet)) = fleet else {
        return Err(Error::Invalid(vec![issue(
            "E1103",
            vehicle_header + 1,
            "no 'NUMBER CAPACITY' values after VEHICLE",
            "add the vehicle count and capacity",
        )]));
    };
    let mut rows = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(customer_header + 1) {
        if line.is_empty() || line.chars().next().is_some_and(|c| c.is_alphabetic()) {
            continue;
        }
        match numbers(line) {
            Some(values) if values.len() == 7 => rows.push(values),
            _ => issues.push(issue(
                "E1102",
                index + 1,
                format!("expected 7 numbers, got '{line}'"),
                "fix the customer row",
            )),
        }
    }
    if rows.is_empty() {
        issues.push(issue(
            "E1103",
            customer_header + 1,
            "no customer rows",
            "add the depot and customer rows",
        ));
    }
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }
    let depot = &rows[0];
    if depot[0] != 0.0 {
        return Err(Error::Invalid(vec![issue(
            "E1106",
            customer_header + 1,
            "the first customer row must be the depot (CUST NO. 0)",
            "put the depot first",
        )]));
    }
    let depot_location = Location::Xy {
        x: depot[1],
        y: depot[2],
    };
    let capacity = fleet[1] as i64;
    let vehicles = (1..=fleet[0] as usize)
        .map(|i| {
            let mut v = Vehicle::new(format!("v{i}"), depot_location, Amount::scalar(capacity));
            v.shift = TimeWindow::new(depot[4], depot[5]);
            v
        })
        .collect();
    let jobs = rows[1..]
        .iter()
        .map(|r| Job {
            id: format!("{}", r[0] as i64),
            kind: JobKind::Delivery {
                stop: Stop {
                    location: Location::Xy { x: r[1], y: r[2] },
                    time_windows: vec![TimeWindow::new(r[4], r[5])],
                    service: r[6],
                },
            },
            demand: Amount::scalar(r[3] as i64),
            skills: Vec::new(),
            priority: 0,
        })
        .collect();
    Ok(LoadedProblem {
        name,
        problem: Problem { vehicles, jobs },
        transport: Box::new(Euclidean::default()),
    })
}
