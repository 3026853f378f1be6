//! TSPLIB / CVRPLIB CVRP format (`EUC_2D` only): costs are `nint` Euclidean, the fleet
//! is unbounded (one vehicle per customer is provided) and job ids are node ids.

use super::LoadedProblem;
use crate::error::{Error, InputIssue};
use crate::model::{Amount, Job, JobKind, Location, Problem, Stop, Vehicle};
use crate::transport::Euclidean;

fn issue(
    code: &str,
    path: impl Into<String>,
    cause: impl Into<String>,
    action: &str,
) -> InputIssue {
    InputIssue::new(code, path, cause, action)
}

pub fn parse_tsplib(text: &str) -> Result<LoadedProblem, Error> {
    if text.trim().is_empty() {
        return Err(Error::Invalid(vec![issue(
            "E1101",
            "file",
            "the file is empty",
            "pass a TSPLIB CVRP file",
        )]));
    }
    let mut issues = Vec::new();
    let (mut name, mut capacity, mut dimension) = (String::new(), None, None);
    let mut coords: Vec<(usize, f64, f64)> = Vec::new();
    let mut demands: Vec<(usize, i64)> = Vec::new();
    let mut depots: Vec<usize> = Vec::new();
    let mut section = "";
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = format!("line {}", index + 1);
        if line.is_empty() || line == "EOF" {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let (key, value) = (key.trim(), value.trim());
            match key {
                "NAME" => name = value.to_string(),
                "DIMENSION" => dimension = value.parse::<usize>().ok(),
                "CAPACITY" => capacity = value.parse::<i64>().ok(),
                "EDGE_WEIGHT_TYPE" if value != "EUC_2D" => issues.push(issue(
                    "E1104",
                    at,
                    format!("EDGE_WEIGHT_TYPE {value} is not supported"),
                    "use EUC_2D instances",
                )),
                _ => {}
            }
            section = "";
            continue;
        }
        if line.ends_with("_SECTION") {
            section = if line.starts_with("NODE_COORD") {
                "coords"
            } else if line.starts_with("DEMAND") {
                "demand"
            } else if line.starts_with("DEPOT") {
                "depot"
            } else {
                ""
            };
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = |issues: &mut Vec<InputIssue>| {
            issues.push(issue(
                "E1102",
                format!("line {}", index + 1),
                format!("malformed line '{line}'"),
                "fix the numbers on this line",
            ))
        };
        match section {
            "coords" => match (
                fields.len(),
                fields.first().and_then(|f| f.parse().ok()),
                fields.get(1).and_then(|f| f.parse().ok()),
                fields.get(2).and_then(|f| f.parse().ok()),
            ) {
                (3, Some(id), Some(x), Some(y)) => coords.push((id, x, y)),
                _ => bad(&mut issues),
            },
            "demand" => match (
                fields.len(),
                fields.first().and_then(|f| f.parse().ok()),
                fields.get(1).and_then(|f| f.parse().ok()),
            ) {
                (2, Some(id), Some(d)) => demands.push((id, d)),
                _ => bad(&mut issues),
            },
            "depot" => match line.parse::<i64>() {
                Ok(id) if id > 0 => depots.push(id as usize),
                Ok(_) => section = "",
                Err(_) => bad(&mut issues),
            },
            _ => {}
        }
    }
    let Some(capacity) = capacity else {
        issues.push(issue(
            "E1103",
            "CAPACITY",
            "missing CAPACITY",
            "add a CAPACITY line",
        ));
        return Err(Error::Invalid(issues));
    };
    if coords.is_empty() || demands.is_empty() {
        issues.push(issue(
            "E1103",
            "NODE_COORD_SECTION/DEMAND_SECTION",
            "missing coordinates or demands",
            "add both sections",
        ));
    }
    if dimension.is_some_and(|d| d != coords.len() || d != demands.len()) {
        issues.push(issue(
            "E1106",
            "DIMENSION",
            format!(
                "DIMENSION {:?} but {} coordinates and {} demands",
                dimension,
                coords.len(),
                demands.len()
            ),
            "make the sections match DIMENSION",
        ));
    }
    let depot = depots.first().copied().unwrap_or(1);
    let Some(&(_, dx, dy)) = coords.iter().find(|c| c.0 == depot) else {
        issues.push(issue(
            "E1106",
            "DEPOT_SECTION",
            format!("depot node {depot} has no coordinates"),
            "list the depot in NODE_COORD_SECTION",
        ));
        return Err(Error::Invalid(issues));
    };
    if !issues.is_empty() {
        return Err(Error::Invalid(issues));
    }
    let depot_location = Location::Xy { x: dx, y: dy };
    let demand_of = |id: usize| demands.iter().find(|d| d.0 == id).map_or(0, |d| d.1);
    let jobs: Vec<Job> = coords
        .iter()
        .filter(|c| c.0 != depot)
        .map(|&(id, x, y)| Job {
            id: id.to_string(),
            kind: JobKind::Delivery {
                stop: Stop::at(Location::Xy { x, y }),
            },
            demand: Amount::scalar(demand_of(id)),
            skills: Vec::new(),
            priority: 0,
        })
        .collect();
    let vehicles = (1..=jobs.len().max(1))
        .map(|i| Vehicle::new(format!("v{i}"), depot_location, Amount::scalar(capacity)))
        .collect();
    Ok(LoadedProblem {
        name,
        problem: Problem { vehicles, jobs },
        transport: Box::new(Euclidean {
            speed: 1.0,
            round: true,
        }),
    })
}
