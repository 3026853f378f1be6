//! Infamous Freight: the freight operations platform as a library, so the `freight` binary,
//! the integration tests and the benchmarks all run the same code.
//!
//! Map of the crate:
//! - [`domain`]: value types and rules (lifecycle, validation), no I/O.
//! - [`db`]: all SQL, one portable code path for SQLite and PostgreSQL.
//! - [`auth`]: credentials → principal; the role policy; tenant scoping.
//! - [`http`]: routes, extractors, problem+json errors, OpenAPI.
//! - [`startup`]: build and run the server; [`config`]: settings; [`telemetry`]: logging.
//! - [`seed`]: demo data; [`bench`]: load generator.
//! - [`tracking`]: GPS ingest pipeline, live fan-out, geofences, ETAs, track history.

pub mod analyze;
pub mod auth;
pub mod bench;
pub mod cache;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod observability;
pub mod planning;
pub mod ratelimit;
pub mod redis_link;
pub mod runtime;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tracking;
