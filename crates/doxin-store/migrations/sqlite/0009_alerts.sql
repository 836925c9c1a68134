-- Alerts from Alertmanager (issue 15). See the PostgreSQL migration 0010 for the reasoning.
CREATE TABLE alerts (
    id             TEXT PRIMARY KEY,
    fingerprint    TEXT NOT NULL,
    alertname      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity       TEXT,
    labels         TEXT NOT NULL,
    annotations    TEXT NOT NULL,
    starts_at      TEXT NOT NULL,
    ends_at        TEXT,
    generator_url  TEXT,
    received_at    TEXT NOT NULL,
    UNIQUE (fingerprint, starts_at)
);
CREATE INDEX alerts_received ON alerts (received_at);
CREATE INDEX alerts_status_received ON alerts (status, received_at);
