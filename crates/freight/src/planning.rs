//! Route planning: the bridge between the service and the pure optimizer crate.
//!
//! `cli` holds the `freight solve` and `freight bench solve` commands, which run the engine
//! on benchmark-format files (Solomon, TSPLIB, the engine's JSON); `problem` maps shipments
//! and `inline` ad-hoc stops to the engine's problem and its solution back to a plan;
//! `manual` simulates the dispatcher's plan the savings are measured against.

pub mod cli;
pub mod inline;
pub mod manual;
pub mod problem;
pub mod service;
