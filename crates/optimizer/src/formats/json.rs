//! The engine's own JSON problem format: a serialized [`Problem`] plus an optional
//! `transport` block. See the crate README for the full schema and an example.

use serde::{Deserialize, Serialize};

use super::LoadedProblem;
use crate::error::{Error, InputIssue};
use crate::model::{Location, Problem};
use crate::transport::{default_cost_for, Euclidean, Haversine, TrafficProfile, TransportCost};

/// How travel is computed for a JSON problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransportSpec {
    /// Planar distance; `round` applies TSPLIB nint rounding.
    Euclidean {
        #[serde(default = "one")]
        speed: f64,
        #[serde(default)]
        round: bool,
    },
    /// Great-circle metres × road factor at a constant speed, optionally with a daily
    /// traffic profile of `[start_second, speed_factor]` periods.
    Haversine {
        #[serde(default = "road_factor")]
        road_factor: f64,
        #[serde(default = "speed_kmh")]
        speed_kmh: f64,
        #[serde(default)]
        traffic: Vec<(f64, f64)>,
    },
}

fn one() -> f64 {
    1.0
}
fn road_factor() -> f64 {
    1.3
}
fn speed_kmh() -> f64 {
    50.0
}

/// Top-level JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonProblem {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub problem: Problem,
    #[serde(default)]
    pub transport: Option<TransportSpec>,
}

impl TransportSpec {
    pub fn build(&self) -> Box<dyn TransportCost> {
        match self {
            TransportSpec::Euclidean { speed, round } => Box::new(Euclidean {
                speed: *speed,
                round: *round,
            }),
            TransportSpec::Haversine {
                road_factor,
                speed_kmh,
                traffic,
            } => {
                let base = Haversine {
                    road_factor: *road_factor,
                    speed_mps: speed_kmh / 3.6,
                };
                if traffic.is_empty() {
                    Box::new(base)
                } else {
                    Box::new(TrafficProfile {
                        base,
                        periods: traffic.clone(),
                    })
                }
            }
        }
    }
}

pub fn parse_json(text: &str) -> Result<LoadedProblem, Error> {
    if text.trim().is_empty() {
        return Err(Error::Invalid(vec![InputIssue::new(
            "E1101",
            "file",
            "the file is empty",
            "pass a JSON problem",
        )]));
    }
    let parsed: JsonProblem = serde_json::from_str(text).map_err(|e| {
        Error::Invalid(vec![InputIssue::new(
            "E1105",
            format!("line {} column {}", e.line(), e.column()),
            e.to_string(),
            "fix the JSON to match the documented problem format",
        )])
    })?;
    let transport = match &parsed.transport {
        Some(spec) => spec.build(),
        None => {
            let locations: Vec<Location> = parsed
                .problem
                .vehicles
                .iter()
                .map(|v| v.start)
                .chain(
                    parsed
                        .problem
                        .jobs
                        .iter()
                        .flat_map(|j| j.stops().into_iter().map(|s| s.location)),
                )
                .collect();
            default_cost_for(&locations)
        }
    };
    Ok(LoadedProblem {
        name: parsed.name.unwrap_or_default(),
        problem: parsed.problem,
        transport,
    })
}
