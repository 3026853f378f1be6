//! Route planning: the bridge between the service and the pure optimizer crate.
//!
//! `cli` holds the `freight solve` and `freight bench solve` commands, which run the engine
//! on benchmark-format files (Solomon, TSPLIB, the engine's JSON).

pub mod cli;
pub mod problem;
pub mod service;
