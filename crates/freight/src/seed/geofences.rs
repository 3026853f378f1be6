//! The demo organization's geofences: areas a dispatcher would watch in Austin. The replayed
//! bus traces cross downtown and the campus, so enter, exit and dwell events flow on the
//! live feed from the first minute of `serve --demo`.

use crate::db::Db;
use crate::domain::time::Millis;
use crate::tracking::geo_store::insert_fence;

/// Inserts the demo fences for `org`.
pub async fn insert(db: &Db, org: i64, now: Millis) -> sqlx::Result<()> {
    // `[lon, lat]` vertices, as the API takes them: Cesar Chavez St to 11th St, Lamar to I-35.
    let downtown = "[[-97.7530,30.2610],[-97.7360,30.2610],[-97.7360,30.2730],[-97.7440,30.2760],[-97.7530,30.2720]]";
    insert_fence(
        db,
        org,
        "Downtown delivery zone",
        "polygon",
        None,
        Some(downtown.to_string()),
        Some(300),
        now,
    )
    .await?;
    for (name, lat, lon, radius_m, dwell_secs) in [
        ("UT Austin campus", 30.2849, -97.7341, 600.0, Some(600)),
        ("Austin-Bergstrom air cargo", 30.1975, -97.6664, 900.0, None),
        (
            "North Lamar transit center",
            30.3327,
            -97.7188,
            250.0,
            Some(180),
        ),
    ] {
        insert_fence(
            db,
            org,
            name,
            "circle",
            Some((lat, lon, radius_m)),
            None,
            dwell_secs,
            now,
        )
        .await?;
    }
    Ok(())
}
