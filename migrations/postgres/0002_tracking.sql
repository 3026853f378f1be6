-- Live GPS tracking (issue 3), mirror of migrations/sqlite/0002_tracking.sql.
--
-- `positions` is built for volume (a week of 1,000 vehicles at one fix per 10 s is ~60 M rows):
-- no foreign keys, a btree primary key (driver_id, fix_time) that de-duplicates and answers
-- "driver X between T1 and T2" with one index range scan, and a BRIN index on fix_time
-- (rows arrive roughly in time order, so BRIN stays tiny) for the retention prune and
-- fleet-wide time windows; `autosummarize` keeps new block ranges summarized (an unsummarized
-- range always matches, which would make the prune scan the whole table). fillfactor 100: rows
-- are never updated.

CREATE TABLE devices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    identifier  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    driver_id   BIGINT NOT NULL REFERENCES drivers(id),
    vehicle_id  BIGINT REFERENCES vehicles(id),
    created_at  BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX idx_devices_org ON devices (org_id, id);

CREATE TABLE positions (
    driver_id   BIGINT NOT NULL,
    fix_time    BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    vehicle_id  BIGINT,
    device_id   BIGINT,
    source      TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    speed       DOUBLE PRECISION,
    heading     DOUBLE PRECISION,
    accuracy    DOUBLE PRECISION,
    altitude    DOUBLE PRECISION,
    battery     DOUBLE PRECISION,
    attributes  TEXT,
    PRIMARY KEY (driver_id, fix_time)
) WITH (fillfactor = 100);
CREATE INDEX idx_positions_fix_time_brin ON positions USING brin (fix_time) WITH (pages_per_range = 32, autosummarize = on);

CREATE TABLE latest_positions (
    driver_id   BIGINT PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    vehicle_id  BIGINT,
    fix_time    BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    speed       DOUBLE PRECISION,
    heading     DOUBLE PRECISION,
    accuracy    DOUBLE PRECISION,
    battery     DOUBLE PRECISION
);
CREATE INDEX idx_latest_positions_org ON latest_positions (org_id);

CREATE TABLE geofences (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    center_lat      DOUBLE PRECISION,
    center_lon      DOUBLE PRECISION,
    radius_m        DOUBLE PRECISION,
    polygon         TEXT,
    dwell_secs      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX idx_geofences_org ON geofences (org_id, id);

CREATE TABLE geofence_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL,
    geofence_id     BIGINT,
    shipment_id     BIGINT,
    driver_id       BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    at              BIGINT NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX idx_geofence_events_org ON geofence_events (org_id, id);
CREATE INDEX idx_geofence_events_driver ON geofence_events (org_id, driver_id, at);

CREATE TABLE shipment_tracking (
    shipment_id             BIGINT PRIMARY KEY,
    org_id                  BIGINT NOT NULL,
    pickup_arrived_at       BIGINT,
    delivery_arrived_at     BIGINT,
    next_stop               TEXT,
    eta_at                  BIGINT,
    distance_remaining_m    DOUBLE PRECISION,
    late                    BIGINT NOT NULL DEFAULT 0,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX idx_shipment_tracking_org ON shipment_tracking (org_id);
