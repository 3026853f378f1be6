//! Tracking settings (flags and environment variables, flattened into the server `Config`).
//!
//! `Default` is the embedded/test profile: no dedicated OsmAnd port. The command line
//! defaults match production (`FREIGHT_OSMAND_ADDR=0.0.0.0:5055`, like Traccar).

/// Settings for GPS ingest, geofences, ETAs and retention.
#[derive(Debug, Clone, clap::Args)]
pub struct TrackingConfig {
    /// Fixes whose reported accuracy is worse than this many metres are dropped.
    #[arg(
        long = "tracking-max-accuracy-m",
        env = "FREIGHT_TRACKING_MAX_ACCURACY_M",
        default_value_t = 50.0
    )]
    pub max_accuracy_m: f64,

    /// Implied speed (m/s) from the previous fix above which a fix is a teleport (default 70 m/s = 252 km/h).
    #[arg(
        long = "tracking-max-speed-mps",
        env = "FREIGHT_TRACKING_MAX_SPEED_MPS",
        default_value_t = 70.0
    )]
    pub max_speed_mps: f64,

    /// Dedicated OsmAnd listener (`host:port`), or `off`. `/osmand` on the main port always works.
    #[arg(
        long = "osmand-addr",
        env = "FREIGHT_OSMAND_ADDR",
        default_value = "0.0.0.0:5055"
    )]
    pub osmand_addr: String,

    /// Most fixes written in one group-commit transaction.
    #[arg(
        long = "tracking-batch-max",
        env = "FREIGHT_TRACKING_BATCH_MAX",
        default_value_t = 20_000
    )]
    pub batch_max_fixes: usize,

    /// Ingest requests (a WebSocket message is one) that may wait for the writer before callers
    /// are slowed down; large enough that one commit can gather a fix from every connected device.
    #[arg(
        long = "tracking-queue",
        env = "FREIGHT_TRACKING_QUEUE",
        default_value_t = 65_536
    )]
    pub queue_depth: usize,

    /// Days of position history to keep; older fixes are pruned hourly. 0 keeps everything.
    #[arg(
        long = "tracking-retention-days",
        env = "FREIGHT_TRACKING_RETENTION_DAYS",
        default_value_t = 90
    )]
    pub retention_days: u32,

    /// Seconds inside a geofence before a `dwell` event (fences may override it).
    #[arg(
        long = "geofence-dwell-secs",
        env = "FREIGHT_GEOFENCE_DWELL_SECS",
        default_value_t = 300
    )]
    pub dwell_secs: i64,

    /// Radius in metres of the implicit geofence around every shipment stop.
    #[arg(
        long = "stop-radius-m",
        env = "FREIGHT_STOP_RADIUS_M",
        default_value_t = 150.0
    )]
    pub stop_radius_m: f64,

    /// Average road speed (km/h) assumed for ETAs when the vehicle is slow or stopped.
    #[arg(
        long = "eta-speed-kmh",
        env = "FREIGHT_ETA_SPEED_KMH",
        default_value_t = 40.0
    )]
    pub eta_speed_kmh: f64,

    /// Redis for the live fan-out between instances (the same `REDIS_URL` as the shared rate
    /// limits). Unset: fixes reach only the subscribers of the instance that received them.
    #[arg(
        id = "tracking_redis_url",
        long = "tracking-redis-url",
        env = "REDIS_URL"
    )]
    pub redis_url: Option<String>,

    /// Redis pub/sub channel of the live fan-out (one per deployment).
    #[arg(
        long = "tracking-redis-channel",
        env = "FREIGHT_TRACKING_REDIS_CHANNEL",
        default_value = "freight:tracking:live"
    )]
    pub redis_channel: String,
}

impl Default for TrackingConfig {
    fn default() -> Self {
        Self {
            max_accuracy_m: 50.0,
            max_speed_mps: 70.0,
            osmand_addr: "off".into(),
            batch_max_fixes: 20_000,
            queue_depth: 65_536,
            retention_days: 90,
            dwell_secs: 300,
            stop_radius_m: 150.0,
            eta_speed_kmh: 40.0,
            redis_url: None,
            redis_channel: "freight:tracking:live".into(),
        }
    }
}

impl TrackingConfig {
    /// The dedicated OsmAnd address, unless disabled.
    pub fn osmand_socket(&self) -> Option<&str> {
        let addr = self.osmand_addr.trim();
        (!addr.is_empty() && !addr.eq_ignore_ascii_case("off")).then_some(addr)
    }
}
