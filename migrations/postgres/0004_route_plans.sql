-- Route plans proposed by the optimizer, and the stop sequence each driver follows once a
-- plan is accepted.
CREATE TABLE route_plans (
    id          TEXT PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations(id),
    status      TEXT NOT NULL,            -- running | completed | failed | accepted
    request     TEXT NOT NULL,            -- the optimize request (JSON)
    result      TEXT,                     -- the plan (JSON) once completed
    progress    TEXT,                     -- latest solver progress (JSON) while running
    error       TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX idx_route_plans_org ON route_plans (org_id, created_at);

CREATE TABLE driver_stops (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations(id),
    driver_id       BIGINT NOT NULL REFERENCES drivers(id),
    plan_id         TEXT NOT NULL REFERENCES route_plans(id),
    seq             BIGINT NOT NULL,
    shipment_id     BIGINT NOT NULL REFERENCES shipments(id),
    action          TEXT NOT NULL,        -- pickup | delivery
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    planned_arrival BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX idx_driver_stops_driver ON driver_stops (org_id, driver_id, seq);
