//! The performance analyzer: turns what the process has observed (statements, routes, cache,
//! rate limits) into a ranked report of bottlenecks with recommendations, prices each API
//! call with a configurable cost model, and writes the roadmap's baseline snapshot.
//!
//! Served at `GET /api/v1/admin/performance` and `/api/v1/admin/baseline`; `freight analyze`
//! and `freight baseline` fetch them from a running server and write the JSON files.

pub mod cli;
pub mod costs;
pub mod report;

pub use costs::CostModel;
pub use report::{baseline, build, Baseline, Report};
