//! Tracking storage: the SQL for positions, latest positions, devices and track queries.
//!
//! Like `db/`, it speaks the portable dialect (`$n`, `ON CONFLICT`, integer/real/text) and
//! runs every statement through [`Db`]/[`Tx`] so it is counted. Inserts are multi-row
//! statements of a few fixed sizes, so each connection prepares at most four shapes.

use std::sync::OnceLock;

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::fix::Fix;
use super::hub::LivePosition;
use crate::db::{Backend, Db, Tx};
use crate::domain::time::Millis;

/// Multi-row statement sizes, largest first; a batch is cut greedily into these.
const CHUNKS: [usize; 4] = [512, 64, 8, 1];

const POSITION_COLUMNS: &str =
    "driver_id, fix_time, org_id, vehicle_id, device_id, source, received_at, lat, lon, \
    speed, heading, accuracy, altitude, battery, attributes";
const LATEST_COLUMNS: &str = "driver_id, org_id, vehicle_id, fix_time, received_at, lat, lon, speed, heading, accuracy, battery";

/// `($1, $2), ($3, $4)` — or, on SQLite, anonymous `(?, ?), (?, ?)`.
///
/// Why SQLite gets `?`: sqlx-sqlite maps every parameter through
/// `sqlite3_bind_parameter_name`, which walks a list of the statement's *named* parameters,
/// so binding n `$k` parameters costs O(n²) — for a 512-row insert that was 90 % of the
/// server's CPU. Anonymous parameters are not in that list, so binding stays linear.
fn values(rows: usize, cols: usize, backend: Backend) -> String {
    let mut text = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        text.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                text.push_str(", ");
            }
            match backend {
                Backend::Sqlite => text.push('?'),
                Backend::Postgres => {
                    text.push('$');
                    text.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        text.push(')');
    }
    text
}

/// The statement of each size in [`CHUNKS`] for `backend`, built once by `build(rows)`.
fn sized_sql(
    cache: &'static [OnceLock<Vec<String>>; 2],
    size_index: usize,
    backend: Backend,
    build: impl Fn(usize) -> String,
) -> &'static str {
    let slot = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    };
    &cache[slot].get_or_init(|| CHUNKS.iter().map(|&n| build(n)).collect())[size_index]
}

fn insert_positions_sql(size_index: usize, backend: Backend) -> &'static str {
    static TEXT: [OnceLock<Vec<String>>; 2] = [OnceLock::new(), OnceLock::new()];
    sized_sql(&TEXT, size_index, backend, |n| {
        format!(
            "INSERT INTO positions ({POSITION_COLUMNS}) VALUES {} ON CONFLICT (driver_id, fix_time) DO NOTHING",
            values(n, 15, backend)
        )
    })
}

fn upsert_latest_sql(size_index: usize, backend: Backend) -> &'static str {
    static TEXT: [OnceLock<Vec<String>>; 2] = [OnceLock::new(), OnceLock::new()];
    sized_sql(&TEXT, size_index, backend, |n| {
        format!(
            "INSERT INTO latest_positions ({LATEST_COLUMNS}) VALUES {} ON CONFLICT (driver_id) DO UPDATE SET \
             org_id = excluded.org_id, vehicle_id = excluded.vehicle_id, fix_time = excluded.fix_time, \
             received_at = excluded.received_at, lat = excluded.lat, lon = excluded.lon, speed = excluded.speed, \
             heading = excluded.heading, accuracy = excluded.accuracy, battery = excluded.battery \
             WHERE excluded.fix_time > latest_positions.fix_time",
            values(n, 11, backend)
        )
    })
}

/// Cuts `len` rows into the fixed statement sizes: (size index, start, end).
fn chunks(len: usize) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &size) in CHUNKS.iter().enumerate() {
        while len - start >= size {
            out.push((i, start, start + size));
            start += size;
        }
    }
    out
}

/// Appends fixes to the history. Returns how many were new (the rest were duplicates).
pub async fn insert_positions(tx: &mut Tx, fixes: &[Fix]) -> sqlx::Result<u64> {
    let mut inserted = 0;
    for (size, start, end) in chunks(fixes.len()) {
        // Speed, heading, accuracy and altitude are optional floats (see "Optional floats" in
        // `db`); SQLite has no parameter types and keeps its prepared statement.
        let keep_prepared = tx.backend() == Backend::Sqlite;
        let mut q = sqlx::query(insert_positions_sql(size, tx.backend())).persistent(keep_prepared);
        for f in &fixes[start..end] {
            q = q
                .bind(f.subject.driver_id)
                .bind(f.fix_time)
                .bind(f.subject.org_id)
                .bind(f.subject.vehicle_id)
                .bind(f.subject.device_id)
                .bind(f.source.as_str())
                .bind(f.received_at)
                .bind(f.lat)
                .bind(f.lon)
                .bind(f.speed)
                .bind(f.heading)
                .bind(f.accuracy)
                .bind(f.altitude)
                .bind(f.battery)
                .bind(f.attributes.clone());
        }
        inserted += tx.execute(q).await?.rows_affected();
    }
    Ok(inserted)
}

/// Moves each driver's latest position forward (never backwards). `newest` holds at most one
/// fix per driver.
pub async fn upsert_latest(tx: &mut Tx, newest: &[&Fix]) -> sqlx::Result<()> {
    for (size, start, end) in chunks(newest.len()) {
        // Optional floats, as in `insert_positions`.
        let keep_prepared = tx.backend() == Backend::Sqlite;
        let mut q = sqlx::query(upsert_latest_sql(size, tx.backend())).persistent(keep_prepared);
        for f in &newest[start..end] {
            q = q
                .bind(f.subject.driver_id)
                .bind(f.subject.org_id)
                .bind(f.subject.vehicle_id)
                .bind(f.fix_time)
                .bind(f.received_at)
                .bind(f.lat)
                .bind(f.lon)
                .bind(f.speed)
                .bind(f.heading)
                .bind(f.accuracy)
                .bind(f.battery);
        }
        tx.execute(q).await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct LatestRow {
    org_id: i64,
    #[sqlx(flatten)]
    position: LivePosition,
}

/// Every stored latest position, with its organization (loaded once at start).
pub async fn load_latest(db: &Db) -> sqlx::Result<Vec<(i64, LivePosition)>> {
    let rows: Vec<LatestRow> = db
        .fetch_all(sqlx::query_as(&format!(
            "SELECT {LATEST_COLUMNS} FROM latest_positions"
        )))
        .await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.position)).collect())
}

/// A driver's organization and current vehicle.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct DriverRef {
    pub org_id: i64,
    pub current_vehicle_id: Option<i64>,
}

pub async fn driver_ref(db: &Db, driver_id: i64) -> sqlx::Result<Option<DriverRef>> {
    db.fetch_optional(
        sqlx::query_as("SELECT org_id, current_vehicle_id FROM drivers WHERE id = $1")
            .bind(driver_id),
    )
    .await
}

/// One stored fix of a track, as `GET /drivers/{id}/track` shows it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct TrackFix {
    #[serde(with = "crate::domain::time::rfc3339_ms")]
    #[schema(value_type = String, format = DateTime)]
    #[sqlx(rename = "fix_time")]
    pub timestamp: i64,
    pub lat: f64,
    pub lon: f64,
    pub speed: Option<f64>,
    pub heading: Option<f64>,
    pub accuracy: Option<f64>,
    pub altitude: Option<f64>,
    pub battery: Option<f64>,
    pub source: String,
    /// JSON object text of extra device fields (stored, not shown on the track).
    #[serde(skip)]
    pub attributes: Option<String>,
}

/// The track query: one range scan of the (driver_id, fix_time) primary key.
pub const TRACK_SQL: &str =
    "SELECT fix_time, lat, lon, speed, heading, accuracy, altitude, battery, source, attributes \
     FROM positions WHERE driver_id = $1 AND fix_time >= $2 AND fix_time < $3 AND org_id = $4 \
     ORDER BY fix_time LIMIT $5";

/// A driver's fixes in `[from, to)`, oldest first, at most `limit`.
pub async fn track(
    db: &Db,
    org_id: i64,
    driver_id: i64,
    from: Millis,
    to: Millis,
    limit: i64,
) -> sqlx::Result<Vec<TrackFix>> {
    db.fetch_all(
        sqlx::query_as(TRACK_SQL)
            .bind(driver_id)
            .bind(from)
            .bind(to)
            .bind(org_id)
            .bind(limit),
    )
    .await
}

/// Deletes fixes taken before `cutoff`. Returns how many were removed.
pub async fn prune_before(db: &Db, cutoff: Millis) -> sqlx::Result<u64> {
    Ok(db
        .execute(sqlx::query("DELETE FROM positions WHERE fix_time < $1").bind(cutoff))
        .await?
        .rows_affected())
}

/// Number of stored fixes of a driver (tests and benchmarks).
pub async fn count_positions(db: &Db, driver_id: i64) -> sqlx::Result<i64> {
    let row: crate::db::Count = db
        .fetch_one(
            sqlx::query_as("SELECT COUNT(*) AS n FROM positions WHERE driver_id = $1")
                .bind(driver_id),
        )
        .await?;
    Ok(row.n)
}

/// Drivers currently working a customer's shipments (what a shipper may watch live).
pub async fn drivers_of_customer(db: &Db, org_id: i64, customer_id: i64) -> sqlx::Result<Vec<i64>> {
    let rows: Vec<crate::db::NewId> = db
        .fetch_all(
            sqlx::query_as(
                "SELECT DISTINCT driver_id AS id FROM shipments WHERE org_id = $1 AND customer_id = $2 \
                 AND driver_id IS NOT NULL AND status IN ('assigned', 'picked_up', 'in_transit')",
            )
            .bind(org_id)
            .bind(customer_id),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Drivers of an organization who have a vehicle, by id (the demo fleet).
pub async fn drivers_with_vehicles(db: &Db, org_id: i64) -> sqlx::Result<Vec<i64>> {
    let rows: Vec<crate::db::NewId> = db
        .fetch_all(
            sqlx::query_as("SELECT id FROM drivers WHERE org_id = $1 AND current_vehicle_id IS NOT NULL ORDER BY id")
                .bind(org_id),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_fixed_statement_sizes() {
        let sizes: Vec<usize> = chunks(1100)
            .iter()
            .map(|(i, s, e)| (e - s) * usize::from(CHUNKS[*i] == e - s))
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1100);
        assert_eq!(chunks(1100).len(), 2 + 1 + 1 + 4);
        assert!(chunks(0).is_empty());
    }

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(values(2, 2, Backend::Postgres), "($1, $2), ($3, $4)");
        assert_eq!(values(2, 2, Backend::Sqlite), "(?, ?), (?, ?)");
    }
}
