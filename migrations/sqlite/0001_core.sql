-- Core schema for the embedded SQLite backend.
-- Conventions (shared with migrations/postgres): integer ids; timestamps are integer
-- milliseconds since the Unix epoch (UTC); money is integer cents + ISO currency code;
-- enums are snake_case text validated by the application; every tenant-owned row carries
-- org_id and every query filters on it.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    address     TEXT,
    lat         REAL,
    lon         REAL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX idx_customers_org ON customers (org_id, id);

CREATE TABLE vehicles (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    name                TEXT NOT NULL,
    plate               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    capacity_weight_kg  REAL NOT NULL,
    capacity_volume_m3  REAL NOT NULL,
    capacity_pallets    INTEGER NOT NULL,
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, plate)
);
CREATE INDEX idx_vehicles_org ON vehicles (org_id, id);

CREATE TABLE drivers (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    name                TEXT NOT NULL,
    email               TEXT,
    phone               TEXT,
    license_number      TEXT,
    status              TEXT NOT NULL,
    home_base_address   TEXT,
    home_base_lat       REAL NOT NULL,
    home_base_lon       REAL NOT NULL,
    current_vehicle_id  INTEGER REFERENCES vehicles(id),
    onboarded_on        TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX idx_drivers_org ON drivers (org_id, id);
CREATE INDEX idx_drivers_availability ON drivers (org_id, status);

CREATE TABLE driver_sessions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    driver_id   INTEGER NOT NULL REFERENCES drivers(id),
    vehicle_id  INTEGER REFERENCES vehicles(id),
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX idx_driver_sessions_driver ON driver_sessions (org_id, driver_id, started_at);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL,
    customer_id     INTEGER REFERENCES customers(id),
    driver_id       INTEGER REFERENCES drivers(id),
    disabled_at     INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idx_users_org ON users (org_id, id);

CREATE TABLE auth_sessions (
    id              TEXT PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    refresh_hash    TEXT NOT NULL UNIQUE,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idx_auth_sessions_revoked ON auth_sessions (revoked_at);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    driver_id   INTEGER REFERENCES drivers(id),
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX idx_api_keys_org ON api_keys (org_id, id);

CREATE TABLE shipments (
    id                          INTEGER PRIMARY KEY,
    org_id                      INTEGER NOT NULL REFERENCES organizations(id),
    reference                   TEXT NOT NULL,
    customer_id                 INTEGER NOT NULL REFERENCES customers(id),
    status                      TEXT NOT NULL,
    priority                    TEXT NOT NULL,
    weight_kg                   REAL NOT NULL,
    volume_m3                   REAL NOT NULL,
    pallets                     INTEGER NOT NULL,
    declared_value_cents        INTEGER NOT NULL,
    currency                    TEXT NOT NULL,
    notes                       TEXT NOT NULL DEFAULT '',
    driver_id                   INTEGER REFERENCES drivers(id),
    vehicle_id                  INTEGER REFERENCES vehicles(id),
    pickup_address              TEXT NOT NULL,
    pickup_lat                  REAL NOT NULL,
    pickup_lon                  REAL NOT NULL,
    pickup_window_start         INTEGER NOT NULL,
    pickup_window_end           INTEGER NOT NULL,
    pickup_service_minutes      INTEGER NOT NULL,
    delivery_address            TEXT NOT NULL,
    delivery_lat                REAL NOT NULL,
    delivery_lon                REAL NOT NULL,
    delivery_window_start       INTEGER NOT NULL,
    delivery_window_end         INTEGER NOT NULL,
    delivery_service_minutes    INTEGER NOT NULL,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    version                     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, reference)
);
CREATE INDEX idx_shipments_org ON shipments (org_id, id);
CREATE INDEX idx_shipments_status ON shipments (org_id, status, id);
CREATE INDEX idx_shipments_status_created ON shipments (org_id, status, created_at);
CREATE INDEX idx_shipments_priority ON shipments (org_id, priority, id);
CREATE INDEX idx_shipments_customer ON shipments (org_id, customer_id, id);
CREATE INDEX idx_shipments_driver ON shipments (org_id, driver_id, id);
CREATE INDEX idx_shipments_created ON shipments (org_id, created_at);

-- Full-text search over reference and notes (FTS5, external content kept in sync by triggers).
CREATE VIRTUAL TABLE shipments_fts USING fts5 (
    reference, notes, content = 'shipments', content_rowid = 'id'
);
CREATE TRIGGER shipments_fts_insert AFTER INSERT ON shipments BEGIN
    INSERT INTO shipments_fts (rowid, reference, notes) VALUES (new.id, new.reference, new.notes);
END;
CREATE TRIGGER shipments_fts_delete AFTER DELETE ON shipments BEGIN
    INSERT INTO shipments_fts (shipments_fts, rowid, reference, notes)
    VALUES ('delete', old.id, old.reference, old.notes);
END;
CREATE TRIGGER shipments_fts_update AFTER UPDATE OF reference, notes ON shipments BEGIN
    INSERT INTO shipments_fts (shipments_fts, rowid, reference, notes)
    VALUES ('delete', old.id, old.reference, old.notes);
    INSERT INTO shipments_fts (rowid, reference, notes) VALUES (new.id, new.reference, new.notes);
END;

CREATE TABLE shipment_events (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    shipment_id     INTEGER NOT NULL REFERENCES shipments(id),
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    actor           TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    at              INTEGER NOT NULL
);
CREATE INDEX idx_shipment_events_shipment ON shipment_events (org_id, shipment_id, id);

CREATE TABLE ratings (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    shipment_id INTEGER NOT NULL UNIQUE REFERENCES shipments(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    driver_id   INTEGER REFERENCES drivers(id),
    score       INTEGER NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX idx_ratings_org ON ratings (org_id, id);
CREATE INDEX idx_ratings_driver ON ratings (org_id, driver_id);

CREATE TABLE safety_incidents (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    driver_id   INTEGER NOT NULL REFERENCES drivers(id),
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    lat         REAL,
    lon         REAL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX idx_safety_incidents_org ON safety_incidents (org_id, id);
CREATE INDEX idx_safety_incidents_driver ON safety_incidents (org_id, driver_id, occurred_at);

-- Responses remembered for POST requests that carried an Idempotency-Key.
CREATE TABLE idempotency_keys (
    org_id          INTEGER NOT NULL,
    owner           TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status_code     INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (org_id, owner, idem_key)
);
CREATE INDEX idx_idempotency_created ON idempotency_keys (created_at);
