-- Core schema for the PostgreSQL backend (mirror of migrations/sqlite).
-- Conventions (shared with migrations/postgres): integer ids; timestamps are integer
-- milliseconds since the Unix epoch (UTC); money is integer cents + ISO currency code;
-- enums are snake_case text validated by the application; every tenant-owned row carries
-- org_id and every query filters on it.

CREATE TABLE organizations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE customers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    address     TEXT,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX idx_customers_org ON customers (org_id, id);

CREATE TABLE vehicles (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              BIGINT NOT NULL REFERENCES organizations(id),
    name                TEXT NOT NULL,
    plate               TEXT NOT NULL,
    vehicle_type        TEXT NOT NULL,
    capacity_weight_kg  DOUBLE PRECISION NOT NULL,
    capacity_volume_m3  DOUBLE PRECISION NOT NULL,
    capacity_pallets    BIGINT NOT NULL,
    status              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, plate)
);
CREATE INDEX idx_vehicles_org ON vehicles (org_id, id);

CREATE TABLE drivers (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              BIGINT NOT NULL REFERENCES organizations(id),
    name                TEXT NOT NULL,
    email               TEXT,
    phone               TEXT,
    license_number      TEXT,
    status              TEXT NOT NULL,
    home_base_address   TEXT,
    home_base_lat       DOUBLE PRECISION NOT NULL,
    home_base_lon       DOUBLE PRECISION NOT NULL,
    current_vehicle_id  BIGINT REFERENCES vehicles(id),
    onboarded_on        TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX idx_drivers_org ON drivers (org_id, id);
CREATE INDEX idx_drivers_availability ON drivers (org_id, status);

CREATE TABLE driver_sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    driver_id   BIGINT NOT NULL REFERENCES drivers(id),
    vehicle_id  BIGINT REFERENCES vehicles(id),
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT
);
CREATE INDEX idx_driver_sessions_driver ON driver_sessions (org_id, driver_id, started_at);

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations(id),
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL,
    customer_id     BIGINT REFERENCES customers(id),
    driver_id       BIGINT REFERENCES drivers(id),
    disabled_at     BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX idx_users_org ON users (org_id, id);

CREATE TABLE auth_sessions (
    id              TEXT PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations(id),
    user_id         BIGINT NOT NULL REFERENCES users(id),
    refresh_hash    TEXT NOT NULL UNIQUE,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX idx_auth_sessions_revoked ON auth_sessions (revoked_at);

CREATE TABLE api_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    driver_id   BIGINT REFERENCES drivers(id),
    created_by  BIGINT REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX idx_api_keys_org ON api_keys (org_id, id);

CREATE TABLE shipments (
    id                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                      BIGINT NOT NULL REFERENCES organizations(id),
    reference                   TEXT NOT NULL,
    customer_id                 BIGINT NOT NULL REFERENCES customers(id),
    status                      TEXT NOT NULL,
    priority                    TEXT NOT NULL,
    weight_kg                   DOUBLE PRECISION NOT NULL,
    volume_m3                   DOUBLE PRECISION NOT NULL,
    pallets                     BIGINT NOT NULL,
    declared_value_cents        BIGINT NOT NULL,
    currency                    TEXT NOT NULL,
    notes                       TEXT NOT NULL DEFAULT '',
    driver_id                   BIGINT REFERENCES drivers(id),
    vehicle_id                  BIGINT REFERENCES vehicles(id),
    pickup_address              TEXT NOT NULL,
    pickup_lat                  DOUBLE PRECISION NOT NULL,
    pickup_lon                  DOUBLE PRECISION NOT NULL,
    pickup_window_start         BIGINT NOT NULL,
    pickup_window_end           BIGINT NOT NULL,
    pickup_service_minutes      BIGINT NOT NULL,
    delivery_address            TEXT NOT NULL,
    delivery_lat                DOUBLE PRECISION NOT NULL,
    delivery_lon                DOUBLE PRECISION NOT NULL,
    delivery_window_start       BIGINT NOT NULL,
    delivery_window_end         BIGINT NOT NULL,
    delivery_service_minutes    BIGINT NOT NULL,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL,
    version                     BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, reference)
);
CREATE INDEX idx_shipments_org ON shipments (org_id, id);
CREATE INDEX idx_shipments_status ON shipments (org_id, status, id);
CREATE INDEX idx_shipments_status_created ON shipments (org_id, status, created_at);
CREATE INDEX idx_shipments_priority ON shipments (org_id, priority, id);
CREATE INDEX idx_shipments_customer ON shipments (org_id, customer_id, id);
CREATE INDEX idx_shipments_driver ON shipments (org_id, driver_id, id);
CREATE INDEX idx_shipments_created ON shipments (org_id, created_at);

-- Full-text search over reference and notes: a generated tsvector with a GIN index.
-- Punctuation becomes spaces first, so `PO-77881` indexes as `po` + `77881` exactly as
-- SQLite's FTS5 tokenizer splits it (PostgreSQL's parser would read `-77881` as a number).
ALTER TABLE shipments ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(reference || ' ' || notes, '[^[:alnum:]]+', ' ', 'g'))
) STORED;
CREATE INDEX idx_shipments_search ON shipments USING GIN (search);

CREATE TABLE shipment_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations(id),
    shipment_id     BIGINT NOT NULL REFERENCES shipments(id),
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    actor           TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX idx_shipment_events_shipment ON shipment_events (org_id, shipment_id, id);

CREATE TABLE ratings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    shipment_id BIGINT NOT NULL UNIQUE REFERENCES shipments(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    driver_id   BIGINT REFERENCES drivers(id),
    score       BIGINT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX idx_ratings_org ON ratings (org_id, id);
CREATE INDEX idx_ratings_driver ON ratings (org_id, driver_id);

CREATE TABLE safety_incidents (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    driver_id   BIGINT NOT NULL REFERENCES drivers(id),
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX idx_safety_incidents_org ON safety_incidents (org_id, id);
CREATE INDEX idx_safety_incidents_driver ON safety_incidents (org_id, driver_id, occurred_at);

-- Responses remembered for POST requests that carried an Idempotency-Key.
CREATE TABLE idempotency_keys (
    org_id          BIGINT NOT NULL,
    owner           TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status_code     BIGINT,
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, owner, idem_key)
);
CREATE INDEX idx_idempotency_created ON idempotency_keys (created_at);
