-- Alerts from Alertmanager (issue 15): POST /api/v1/admin/alerts/webhook stores each alert of a
-- notification, GET /api/v1/admin/alerts lists them. One row per alert occurrence: Alertmanager
-- identifies an alert by its fingerprint (a hash of its labels) and an occurrence by its start,
-- so a later notification of the same occurrence (repeated, or resolved) updates the row
-- instead of adding one. Labels and annotations are kept whole for the listing.
CREATE TABLE alerts (
    id             uuid PRIMARY KEY,
    fingerprint    text NOT NULL,
    alertname      text NOT NULL,
    status         text NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity       text,
    labels         jsonb NOT NULL,
    annotations    jsonb NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz,
    generator_url  text,
    received_at    timestamptz NOT NULL,
    UNIQUE (fingerprint, starts_at)
);
CREATE INDEX alerts_received ON alerts (received_at);
CREATE INDEX alerts_status_received ON alerts (status, received_at);
