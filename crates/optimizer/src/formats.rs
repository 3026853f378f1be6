//! Readers for the supported problem files: Solomon VRPTW text, TSPLIB/CVRPLIB CVRP
//! and the engine's own JSON format. Each returns the problem plus the transport model
//! its convention implies. Format errors are coded E11xx:
//! E1101 empty or unreadable content, E1102 malformed number or line, E1103 missing
//! section or header, E1104 unsupported edge weight type, E1105 JSON syntax or schema
//! error, E1106 inconsistent data (dimension, depot, demand count).

mod json;
mod solomon;
mod tsplib;

use crate::model::Problem;
use crate::transport::TransportCost;

pub use json::{parse_json, JsonProblem, TransportSpec};
pub use solomon::parse_solomon;
pub use tsplib::parse_tsplib;

/// A parsed problem with the travel model of its format.
pub struct LoadedProblem {
    pub name: String,
    pub problem: Problem,
    pub transport: Box<dyn TransportCost>,
}

/// Reads a file, mapping I/O failures to [`crate::Error::Io`].
pub fn read_file(path: &std::path::Path) -> Result<String, crate::Error> {
    std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
        path: path.display().to_string(),
        source,
    })
}
