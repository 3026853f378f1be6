//! A month of operations for the demo: shipments in every status with their event trail,
//! ratings of delivered loads, safety incidents and driver shift history.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::places::PLACES;
use super::SeededDriver;
use crate::db::shipment_writes::record_event;
use crate::db::{NewId, Tx};
use crate::domain::{DriverStatus, IncidentKind, Priority, Severity, ShipmentStatus};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// How many shipments of each status the demo organization gets (300 in all).
const MIX: &[(ShipmentStatus, usize)] = &[
    (ShipmentStatus::Delivered, 150),
    (ShipmentStatus::Cancelled, 15),
    (ShipmentStatus::Exception, 10),
    (ShipmentStatus::InTransit, 20),
    (ShipmentStatus::PickedUp, 10),
    (ShipmentStatus::Assigned, 30),
    (ShipmentStatus::Booked, 45),
    (ShipmentStatus::Draft, 20),
];

const NOTES: &[&str] = &[
    "",
    "Fragile: glassware, keep upright",
    "Dock 4, call ahead 30 minutes",
    "Liftgate required at delivery",
    "Temperature controlled 2-8 C",
    "Residential delivery, narrow street",
    "Hazmat class 3, placards on board",
    "Appointment required, ask for receiving",
    "Oversize pallets, forklift on site",
    "",
];

/// The path through the lifecycle that ends at `status`.
fn path_to(status: ShipmentStatus) -> Vec<ShipmentStatus> {
    use ShipmentStatus::*;
    let flow = [Draft, Booked, Assigned, PickedUp, InTransit, Delivered];
    match status {
        Cancelled => vec![Draft, Booked, Cancelled],
        Exception => vec![Draft, Booked, Assigned, PickedUp, Exception],
        s => flow
            .iter()
            .take_while(|x| **x != s)
            .copied()
            .chain([s])
            .collect(),
    }
}

/// Inserts the full demo history for one organization.
pub async fn insert(
    tx: &mut Tx,
    org: i64,
    customers: &[i64],
    drivers: &[SeededDriver],
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<()> {
    let mut seq = 0;
    let mut on_route = Vec::new();
    for (status, count) in MIX {
        for _ in 0..*count {
            seq += 1;
            let driver = drivers[rng.gen_range(0..drivers.len())];
            let (shipment, customer) =
                insert_shipment(tx, org, seq, *status, customers, driver, rng, now).await?;
            if matches!(status, ShipmentStatus::PickedUp | ShipmentStatus::InTransit) {
                on_route.push(driver.0);
            }
            if *status == ShipmentStatus::Delivered && rng.gen_bool(0.6) {
                insert_rating(tx, org, shipment, customer, driver.0, rng, now).await?;
            }
        }
    }
    for driver in &on_route {
        tx.execute(
            sqlx::query("UPDATE drivers SET status = $1 WHERE org_id = $2 AND id = $3")
                .bind(DriverStatus::OnRoute.as_str())
                .bind(org)
                .bind(*driver),
        )
        .await?;
    }
    insert_incidents(tx, org, drivers, 80, rng, now).await?;
    insert_sessions(tx, org, drivers, rng, now).await
}

/// A smaller, recent history (for the second demo tenant).
#[allow(clippy::too_many_arguments)]
pub async fn insert_recent(
    tx: &mut Tx,
    org: i64,
    customers: &[i64],
    drivers: &[SeededDriver],
    count: usize,
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<()> {
    for seq in 0..count {
        let status = [
            ShipmentStatus::Delivered,
            ShipmentStatus::Booked,
            ShipmentStatus::Assigned,
        ][seq % 3];
        let driver = drivers[seq % drivers.len()];
        insert_shipment(tx, org, 9000 + seq, status, customers, driver, rng, now).await?;
    }
    Ok(())
}

/// Times for one shipment: (created_at, pickup window start, delivery window start).
fn timeline(status: ShipmentStatus, rng: &mut StdRng, now: i64) -> (i64, i64, i64) {
    use ShipmentStatus::*;
    let (created, pickup) = match status {
        Delivered | Cancelled => {
            let created = now - rng.gen_range(2 * DAY..30 * DAY);
            (created, created + rng.gen_range(4 * HOUR..36 * HOUR))
        }
        Exception => {
            let created = now - rng.gen_range(DAY..5 * DAY);
            (created, created + rng.gen_range(4 * HOUR..20 * HOUR))
        }
        PickedUp | InTransit => (
            now - rng.gen_range(DAY..2 * DAY),
            now - rng.gen_range(HOUR..4 * HOUR),
        ),
        Assigned | Booked | Draft => (
            now - rng.gen_range(HOUR..2 * DAY),
            now + rng.gen_range(2 * HOUR..72 * HOUR),
        ),
    };
    let pickup = pickup / (15 * MINUTE) * (15 * MINUTE);
    (created, pickup, pickup + rng.gen_range(2..8) * HOUR)
}

#[allow(clippy::too_many_arguments)]
async fn insert_shipment(
    tx: &mut Tx,
    org: i64,
    seq: usize,
    status: ShipmentStatus,
    customers: &[i64],
    driver: SeededDriver,
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<(i64, i64)> {
    let customer = customers[rng.gen_range(0..customers.len())];
    let from = &PLACES[rng.gen_range(0..PLACES.len())];
    let to = loop {
        let p = &PLACES[rng.gen_range(0..PLACES.len())];
        if p.address != from.address {
            break p;
        }
    };
    let vehicle = driver.1;
    let weight = (rng.gen_range(0.05..0.8) * vehicle.weight_kg).round();
    let volume = (rng.gen_range(0.05..0.8) * vehicle.volume_m3 * 10.0).round() / 10.0;
    let pallets = rng.gen_range(0..=vehicle.pallets);
    let priority = *[
        Priority::Normal,
        Priority::Normal,
        Priority::Normal,
        Priority::High,
        Priority::Low,
        Priority::Urgent,
    ]
    .choose(rng)
    .unwrap_or(&Priority::Normal);
    let (created, pickup_start, delivery_start) = timeline(status, rng, now);
    let assigned = !matches!(
        status,
        ShipmentStatus::Draft | ShipmentStatus::Booked | ShipmentStatus::Cancelled
    );
    let (driver_id, vehicle_id) = if assigned {
        (Some(driver.0), Some(vehicle.id))
    } else {
        (None, None)
    };
    let reference = format!("IF-{:05}", 10_000 + seq);
    let row: NewId = tx
        .fetch_one(
            sqlx::query_as(
                "INSERT INTO shipments (org_id, reference, customer_id, status, priority, weight_kg, volume_m3, pallets, \
                 declared_value_cents, currency, notes, driver_id, vehicle_id, pickup_address, pickup_lat, pickup_lon, \
                 pickup_window_start, pickup_window_end, pickup_service_minutes, delivery_address, delivery_lat, delivery_lon, \
                 delivery_window_start, delivery_window_end, delivery_service_minutes, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'USD', $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
                 $22, $23, $24, $25, $26, $27) RETURNING id",
            )
            .bind(org)
            .bind(&reference)
            .bind(customer)
            .bind(status.as_str())
            .bind(priority.as_str())
            .bind(weight)
            .bind(volume)
            .bind(pallets)
            .bind(rng.gen_range(50_000..5_000_000i64))
            .bind(NOTES[seq % NOTES.len()])
            .bind(driver_id)
            .bind(vehicle_id)
            .bind(from.address)
            .bind(from.lat)
            .bind(from.lon)
            .bind(pickup_start)
            .bind(pickup_start + 2 * HOUR)
            .bind(rng.gen_range(1..4i64) * 10)
            .bind(to.address)
            .bind(to.lat)
            .bind(to.lon)
            .bind(delivery_start)
            .bind(delivery_start + rng.gen_range(2..6) * HOUR)
            .bind(rng.gen_range(1..4i64) * 10)
            .bind(created)
            .bind(now.min(pickup_start.max(created)))
            .bind(path_to(status).len() as i64),
        )
        .await?;
    // The event trail: created, then each step spaced out up to the present.
    let path = path_to(status);
    let end = now
        .min(delivery_start + 3 * HOUR)
        .max(created + path.len() as i64 * MINUTE);
    let step = (end - created) / path.len() as i64;
    for (i, to_status) in path.iter().enumerate() {
        let from_status = if i == 0 { None } else { Some(path[i - 1]) };
        let actor = match to_status {
            ShipmentStatus::PickedUp | ShipmentStatus::InTransit | ShipmentStatus::Delivered => {
                "driver-app"
            }
            _ => "seed",
        };
        let note = if i == 0 { "created" } else { "" };
        record_event(
            tx,
            org,
            row.id,
            from_status,
            *to_status,
            actor,
            note,
            created + i as i64 * step,
        )
        .await?;
    }
    Ok((row.id, customer))
}

async fn insert_rating(
    tx: &mut Tx,
    org: i64,
    shipment: i64,
    customer: i64,
    driver: i64,
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<()> {
    let score = *[5, 5, 5, 4, 4, 4, 3, 2, 1, 5].choose(rng).unwrap_or(&5);
    let comment = match score {
        5 => "On time and careful with the load.",
        4 => "Good delivery.",
        3 => "Arrived late but intact.",
        _ => "Damaged packaging, slow to respond.",
    };
    tx.execute(
        sqlx::query(
            "INSERT INTO ratings (org_id, shipment_id, customer_id, driver_id, score, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org)
        .bind(shipment)
        .bind(customer)
        .bind(driver)
        .bind(score as i64)
        .bind(comment)
        .bind(now - rng.gen_range(HOUR..DAY)),
    )
    .await
    .map(|_| ())
}

async fn insert_incidents(
    tx: &mut Tx,
    org: i64,
    drivers: &[SeededDriver],
    count: usize,
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<()> {
    for _ in 0..count {
        let driver = drivers[rng.gen_range(0..drivers.len())].0;
        let kind = *IncidentKind::ALL
            .choose(rng)
            .unwrap_or(&IncidentKind::Speeding);
        let severity = match kind {
            IncidentKind::Collision => Severity::High,
            IncidentKind::NearMiss | IncidentKind::DistractedDriving => Severity::Medium,
            _ => *[Severity::Low, Severity::Low, Severity::Medium]
                .choose(rng)
                .unwrap_or(&Severity::Low),
        };
        let place = &PLACES[rng.gen_range(0..PLACES.len())];
        tx.execute(
            sqlx::query(
                "INSERT INTO safety_incidents (org_id, driver_id, kind, severity, occurred_at, lat, lon, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(org)
            .bind(driver)
            .bind(kind.as_str())
            .bind(severity.as_str())
            .bind(now - rng.gen_range(HOUR..30 * DAY))
            .bind(place.lat + rng.gen_range(-0.005..0.005))
            .bind(place.lon + rng.gen_range(-0.005..0.005))
            .bind(format!("Reported by telematics near {}", place.name))
            .bind(now),
        )
        .await?;
    }
    Ok(())
}

async fn insert_sessions(
    tx: &mut Tx,
    org: i64,
    drivers: &[SeededDriver],
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<()> {
    for driver in drivers {
        let today = now / DAY * DAY;
        for day in 1..=10 {
            if rng.gen_bool(0.3) {
                continue;
            }
            let start = today - day * DAY + 12 * HOUR + rng.gen_range(0..4) * HOUR;
            let end = start + rng.gen_range(6..11) * HOUR;
            tx.execute(
                sqlx::query(
                    "INSERT INTO driver_sessions (org_id, driver_id, vehicle_id, started_at, ended_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(org)
                .bind(driver.0)
                .bind(driver.1.id)
                .bind(start)
                .bind(end),
            )
            .await?;
        }
        // Drivers who are not off duty are on an open shift that started this morning.
        tx.execute(
            sqlx::query(
                "INSERT INTO driver_sessions (org_id, driver_id, vehicle_id, started_at) \
                 SELECT org_id, id, current_vehicle_id, $1 FROM drivers WHERE org_id = $2 AND id = $3 AND status <> 'off_duty'",
            )
            .bind(now - rng.gen_range(1..6) * HOUR)
            .bind(org)
            .bind(driver.0),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_path_is_a_legal_lifecycle() {
        for status in ShipmentStatus::ALL {
            let path = path_to(*status);
            assert_eq!(path.first(), Some(&ShipmentStatus::Draft));
            assert_eq!(path.last(), Some(status));
            for pair in path.windows(2) {
                assert!(
                    pair[0].can_become(pair[1]),
                    "{:?} -> {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}
