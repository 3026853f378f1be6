//! Benchmarks that print figures (never timed tests): `freight bench load` drives a server
//! over loopback with a mixed API workload (`workload`), `freight bench overhead` compares
//! the same build with observability on and off; both start their own `freight serve --demo`
//! (`child_server`) unless given a URL; each simulated user is a `worker` on its own
//! lean connection (`connection`).

mod child_server;
mod connection;
pub mod load;
pub mod overhead;
pub mod stats;
mod worker;
mod workload;
