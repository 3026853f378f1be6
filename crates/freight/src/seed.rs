//! Demo data: a realistic Austin, TX freight organization with a month of history, plus a
//! second small tenant so isolation can be seen from the API.
//!
//! Generation is deterministic (fixed RNG seed) apart from being anchored at "now", so the
//! open shipments always have upcoming time windows.

pub mod geofences;
pub mod history;
pub mod places;

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::password;
use crate::db::{organizations, Db, NewId, Tx};
use crate::domain::time::now_ms;
use crate::domain::{CustomerTier, DriverStatus, Role, VehicleStatus, VehicleType};
use places::{CUSTOMERS, FIRST_NAMES, LAST_NAMES, PLACES};

/// Slug of the demo organization.
pub const DEMO_ORG_SLUG: &str = "infamous-freight-demo";
/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "freight-demo";

/// The demo logins, one per role (role, email).
pub const DEMO_LOGINS: &[(Role, &str)] = &[
    (Role::Admin, "admin@infamousfreight.demo"),
    (Role::Dispatcher, "dispatch@infamousfreight.demo"),
    (Role::Analyst, "analyst@infamousfreight.demo"),
    (Role::Driver, "driver1@infamousfreight.demo"),
    (Role::Customer, "customer1@infamousfreight.demo"),
    (Role::Admin, "admin@lonestarhaulage.demo"),
];

const DRIVERS: usize = 50;
const VEHICLES: usize = 40;

/// Seeds the demo organizations unless they already exist. Returns whether it seeded.
pub async fn seed_demo(db: &Db) -> anyhow::Result<bool> {
    if organizations::find_by_slug(db, DEMO_ORG_SLUG)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    // One hash for every demo account: demo-only, so the seed takes milliseconds, not seconds.
    let hash = password::hash_async(DEMO_PASSWORD.to_string()).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let now = now_ms();
    let mut tx = db.begin().await?;
    let org = insert_org(&mut tx, "Infamous Freight (Demo)", DEMO_ORG_SLUG, now).await?;
    let customers = insert_customers(&mut tx, org, CUSTOMERS.len(), now).await?;
    let vehicles = insert_vehicles(&mut tx, org, VEHICLES, &mut rng, now).await?;
    let drivers = insert_drivers(&mut tx, org, DRIVERS, &vehicles, &mut rng, now).await?;
    for (role, email, customer, driver) in [
        (
            Role::Admin,
            "admin@infamousfreight.demo".to_string(),
            None,
            None,
        ),
        (
            Role::Dispatcher,
            "dispatch@infamousfreight.demo".to_string(),
            None,
            None,
        ),
        (
            Role::Analyst,
            "analyst@infamousfreight.demo".to_string(),
            None,
            None,
        ),
    ] {
        insert_user(&mut tx, org, &email, role, customer, driver, &hash, now).await?;
    }
    for (i, id) in drivers.iter().enumerate() {
        let email = format!("driver{}@infamousfreight.demo", i + 1);
        insert_user(
            &mut tx,
            org,
            &email,
            Role::Driver,
            None,
            Some(id.0),
            &hash,
            now,
        )
        .await?;
    }
    for (i, id) in customers.iter().enumerate() {
        let email = format!("customer{}@infamousfreight.demo", i + 1);
        insert_user(
            &mut tx,
            org,
            &email,
            Role::Customer,
            Some(*id),
            None,
            &hash,
            now,
        )
        .await?;
    }
    history::insert(&mut tx, org, &customers, &drivers, &mut rng, now).await?;

    // A second tenant, so tenant isolation is visible with the demo logins.
    let other = insert_org(
        &mut tx,
        "Lone Star Haulage (Demo)",
        "lone-star-haulage-demo",
        now,
    )
    .await?;
    let other_customers = insert_customers(&mut tx, other, 3, now).await?;
    let other_vehicles = insert_vehicles(&mut tx, other, 4, &mut rng, now).await?;
    let other_drivers = insert_drivers(&mut tx, other, 5, &other_vehicles, &mut rng, now).await?;
    insert_user(
        &mut tx,
        other,
        "admin@lonestarhaulage.demo",
        Role::Admin,
        None,
        None,
        &hash,
        now,
    )
    .await?;
    history::insert_recent(
        &mut tx,
        other,
        &other_customers,
        &other_drivers,
        20,
        &mut rng,
        now,
    )
    .await?;
    tx.commit().await.context("committing demo data")?;
    geofences::insert(db, org, now)
        .await
        .context("demo geofences")?;
    Ok(true)
}

async fn insert_org(tx: &mut Tx, name: &str, slug: &str, now: i64) -> sqlx::Result<i64> {
    let row: NewId = tx
        .fetch_one(
            sqlx::query_as("INSERT INTO organizations (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name)
                .bind(slug)
                .bind(now),
        )
        .await?;
    Ok(row.id)
}

async fn insert_customers(tx: &mut Tx, org: i64, count: usize, now: i64) -> sqlx::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(count);
    for (i, (name, place)) in CUSTOMERS.iter().take(count).enumerate() {
        let p = &PLACES[*place];
        let tier = match i % 5 {
            0 => CustomerTier::Enterprise,
            1 | 2 => CustomerTier::Premium,
            _ => CustomerTier::Standard,
        };
        let slug: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        let row: NewId = tx
            .fetch_one(
                sqlx::query_as(
                    "INSERT INTO customers (org_id, name, tier, email, phone, address, lat, lon, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(org)
                .bind(*name)
                .bind(tier.as_str())
                .bind(format!("shipping@{slug}.example"))
                .bind(format!("+1-512-555-{:04}", 100 + i))
                .bind(p.address)
                .bind(p.lat)
                .bind(p.lon)
                .bind(now),
            )
            .await?;
        ids.push(row.id);
    }
    Ok(ids)
}

/// A vehicle id with its capacity (weight kg, volume m³, pallets).
#[derive(Debug, Clone, Copy)]
pub struct SeededVehicle {
    pub id: i64,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub pallets: i64,
}

async fn insert_vehicles(
    tx: &mut Tx,
    org: i64,
    count: usize,
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<Vec<SeededVehicle>> {
    let kinds = [
        (VehicleType::CargoVan, 1_500.0, 12.0, 4),
        (VehicleType::BoxTruck, 7_000.0, 40.0, 12),
        (VehicleType::Reefer, 9_000.0, 45.0, 14),
        (VehicleType::Flatbed, 20_000.0, 60.0, 20),
        (VehicleType::Tractor, 20_000.0, 90.0, 26),
        (VehicleType::Pickup, 900.0, 3.0, 1),
    ];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (kind, weight, volume, pallets) = kinds[[0, 1, 1, 0, 2, 1, 3, 4, 0, 5][i % 10]];
        let letters: String = (0..3).map(|_| rng.gen_range(b'A'..=b'Z') as char).collect();
        let plate = format!("{letters}-{:04}", rng.gen_range(1000..9999));
        let status = if i % 13 == 12 {
            VehicleStatus::Maintenance
        } else {
            VehicleStatus::Active
        };
        let row: NewId = tx
            .fetch_one(
                sqlx::query_as(
                    "INSERT INTO vehicles (org_id, name, plate, vehicle_type, capacity_weight_kg, capacity_volume_m3, \
                     capacity_pallets, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(org)
                .bind(format!("Unit {:03}", i + 101))
                .bind(plate)
                .bind(kind.as_str())
                .bind(weight)
                .bind(volume)
                .bind(pallets as i64)
                .bind(status.as_str())
                .bind(now),
            )
            .await?;
        if status == VehicleStatus::Active {
            out.push(SeededVehicle {
                id: row.id,
                weight_kg: weight,
                volume_m3: volume,
                pallets: pallets as i64,
            });
        }
    }
    Ok(out)
}

/// A seeded driver: id and their usual vehicle.
#[derive(Debug, Clone, Copy)]
pub struct SeededDriver(pub i64, pub SeededVehicle);

async fn insert_drivers(
    tx: &mut Tx,
    org: i64,
    count: usize,
    vehicles: &[SeededVehicle],
    rng: &mut StdRng,
    now: i64,
) -> sqlx::Result<Vec<SeededDriver>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!(
            "{} {}",
            FIRST_NAMES[i % FIRST_NAMES.len()],
            LAST_NAMES[(i * 7 + i / 20) % LAST_NAMES.len()]
        );
        let base = &PLACES[rng.gen_range(0..PLACES.len())];
        let vehicle = vehicles[i % vehicles.len()];
        let status = [
            DriverStatus::Available,
            DriverStatus::Available,
            DriverStatus::OffDuty,
            DriverStatus::OnBreak,
        ][i % 4];
        let onboarded =
            chrono::Utc::now().date_naive() - chrono::Days::new(rng.gen_range(30..1500));
        let row: NewId = tx
            .fetch_one(
                sqlx::query_as(
                    "INSERT INTO drivers (org_id, name, email, phone, license_number, status, home_base_address, home_base_lat, \
                     home_base_lon, current_vehicle_id, onboarded_on, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
                )
                .bind(org)
                .bind(&name)
                .bind(format!("driver{}@infamousfreight.demo", i + 1))
                .bind(format!("+1-512-555-{:04}", 2000 + i))
                .bind(format!("TX{:08}", rng.gen_range(10_000_000..99_999_999)))
                .bind(status.as_str())
                .bind(base.address)
                .bind(base.lat)
                .bind(base.lon)
                .bind(vehicle.id)
                .bind(onboarded.to_string())
                .bind(now),
            )
            .await?;
        out.push(SeededDriver(row.id, vehicle));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn insert_user(
    tx: &mut Tx,
    org: i64,
    email: &str,
    role: Role,
    customer_id: Option<i64>,
    driver_id: Option<i64>,
    hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    let name = email.split('@').next().unwrap_or(email).to_string();
    tx.execute(
        sqlx::query(
            "INSERT INTO users (org_id, email, name, password_hash, role, customer_id, driver_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org)
        .bind(email)
        .bind(name)
        .bind(hash)
        .bind(role.as_str())
        .bind(customer_id)
        .bind(driver_id)
        .bind(now),
    )
    .await
    .map(|_| ())
}
