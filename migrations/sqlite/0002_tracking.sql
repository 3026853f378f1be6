-- Live GPS tracking (issue 3): devices, the position history, the latest position per
-- driver, geofences and their events, and per-shipment tracking facts (arrivals, ETA).
-- Same conventions as 0001_core: epoch-millisecond integers, no boolean columns.

-- A tracker (phone app, OsmAnd device) known by the identifier it sends, bound to one driver
-- (and optionally a vehicle) of one organization. Identifiers are unique across tenants
-- because an OsmAnd device only sends its id.
CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    identifier  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    driver_id   INTEGER NOT NULL REFERENCES drivers(id),
    vehicle_id  INTEGER REFERENCES vehicles(id),
    created_at  INTEGER NOT NULL,
    disabled_at INTEGER
);
CREATE INDEX idx_devices_org ON devices (org_id, id);

-- The hot table: every accepted fix. No foreign keys (ingest speed); the primary key is the
-- de-duplication key (one fix per driver per millisecond) and serves track queries.
CREATE TABLE positions (
    driver_id   INTEGER NOT NULL,
    fix_time    INTEGER NOT NULL,
    org_id      INTEGER NOT NULL,
    vehicle_id  INTEGER,
    device_id   INTEGER,
    source      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    speed       REAL,
    heading     REAL,
    accuracy    REAL,
    altitude    REAL,
    battery     REAL,
    attributes  TEXT,
    PRIMARY KEY (driver_id, fix_time)
) WITHOUT ROWID;
CREATE INDEX idx_positions_fix_time ON positions (fix_time);

-- The newest fix per driver; the upsert only ever moves it forward in time.
CREATE TABLE latest_positions (
    driver_id   INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    vehicle_id  INTEGER,
    fix_time    INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    speed       REAL,
    heading     REAL,
    accuracy    REAL,
    battery     REAL
);
CREATE INDEX idx_latest_positions_org ON latest_positions (org_id);

CREATE TABLE geofences (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- circle | polygon
    center_lat      REAL,
    center_lon      REAL,
    radius_m        REAL,
    polygon         TEXT,                   -- JSON [[lon, lat], …] for polygons
    dwell_secs      INTEGER,                -- per-fence override of the dwell threshold
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX idx_geofences_org ON geofences (org_id, id);

-- enter / exit / dwell for explicit fences; arrived_pickup / arrived_delivery for the
-- implicit fence around a shipment stop.
CREATE TABLE geofence_events (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    geofence_id     INTEGER,
    shipment_id     INTEGER,
    driver_id       INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    at              INTEGER NOT NULL,
    lat             REAL NOT NULL,
    lon             REAL NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idx_geofence_events_org ON geofence_events (org_id, id);
CREATE INDEX idx_geofence_events_driver ON geofence_events (org_id, driver_id, at);

-- What tracking learned about a shipment: stop arrivals and the current ETA.
CREATE TABLE shipment_tracking (
    shipment_id             INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL,
    pickup_arrived_at       INTEGER,
    delivery_arrived_at     INTEGER,
    next_stop               TEXT,           -- pickup | delivery
    eta_at                  INTEGER,
    distance_remaining_m    REAL,
    late                    INTEGER NOT NULL DEFAULT 0,
    updated_at              INTEGER NOT NULL
);
CREATE INDEX idx_shipment_tracking_org ON shipment_tracking (org_id);
