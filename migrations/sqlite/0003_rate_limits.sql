-- Rate limits (issue 5): per-organization overrides of the tier defaults, and the recorded
-- traffic that `freight ratelimit report` reads. Same conventions as 0001_core:
-- epoch-millisecond integers, no boolean columns.

-- One row per (organization, tier) whose limits differ from the global defaults
-- (FREIGHT_RATE_LIMIT_*). Replaced as a set by PUT /api/v1/admin/rate-limits.
CREATE TABLE rate_limit_overrides (
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    tier         TEXT NOT NULL,
    limit_count  INTEGER NOT NULL,
    window_secs  INTEGER NOT NULL,
    burst        INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL,
    PRIMARY KEY (org_id, tier)
);

-- Demand aggregated per minute, per caller, tier and endpoint; written in batches by the
-- recorder (never one write per request). org_id 0 is "unauthenticated".
CREATE TABLE rate_limit_traffic (
    minute     INTEGER NOT NULL,
    org_id     INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    tier       TEXT NOT NULL,
    endpoint   TEXT NOT NULL,
    requests   INTEGER NOT NULL,
    throttled  INTEGER NOT NULL,
    PRIMARY KEY (minute, org_id, subject, tier, endpoint)
);
CREATE INDEX idx_rate_limit_traffic_throttled ON rate_limit_traffic (minute) WHERE throttled > 0;
