//! One integration test binary (style anchor: zero2prod `tests/api`): every module drives
//! the real application over HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod auth;
mod cache_pages;
mod driver_duty;
mod health;
mod idempotency;
mod observability;
mod openapi_conformance;
mod prom_text;
mod rate_limits;
mod rate_limits_redis;
mod rate_limits_window;
mod resources;
mod routes;
mod search;
mod shared_state_redis;
mod shipments;
mod tracking;
mod tracking_driver_status;
mod tracking_durability;
mod tracking_geofences;
mod tracking_history;
mod tracking_osmand;
mod tracking_redis;
mod tracking_shipments;
mod tracking_support;
mod validation;
mod web;
