-- A driver's accepted stop list holds inline stops (visits without a shipment) as well as
-- shipment visits, with the address the driver is sent to. SQLite cannot drop a NOT NULL, so
-- the table is rebuilt; exactly one of shipment_id and stop_id names what the stop is.
CREATE TABLE driver_stops_v2 (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    driver_id       INTEGER NOT NULL REFERENCES drivers(id),
    plan_id         TEXT NOT NULL REFERENCES route_plans(id),
    seq             INTEGER NOT NULL,
    shipment_id     INTEGER REFERENCES shipments(id),
    stop_id         TEXT,                 -- the inline stop's id from the optimize request
    action          TEXT NOT NULL,        -- pickup | delivery
    address         TEXT NOT NULL DEFAULT '',
    lat             REAL NOT NULL,
    lon             REAL NOT NULL,
    planned_arrival INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    CHECK ((shipment_id IS NULL) <> (stop_id IS NULL))
);
INSERT INTO driver_stops_v2 (id, org_id, driver_id, plan_id, seq, shipment_id, action, lat, lon, planned_arrival, created_at)
    SELECT id, org_id, driver_id, plan_id, seq, shipment_id, action, lat, lon, planned_arrival, created_at FROM driver_stops;
DROP TABLE driver_stops;
ALTER TABLE driver_stops_v2 RENAME TO driver_stops;
CREATE INDEX idx_driver_stops_driver ON driver_stops (org_id, driver_id, seq);
