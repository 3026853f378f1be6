//! Benchmarks that print figures (never timed tests): `freight bench load` drives a running
//! server over loopback with a mixed API workload.

pub mod load;
pub mod overhead;
pub mod stats;
