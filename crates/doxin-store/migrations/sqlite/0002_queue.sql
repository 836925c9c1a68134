-- The SQL job queue and worker heartbeats (issue 5). See the PostgreSQL migration 0003 for
-- the reasoning; SQLite serialises writers, so claiming needs no row locks.
ALTER TABLE processing_jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE processing_jobs ADD COLUMN lease_until TEXT;
CREATE INDEX processing_jobs_lease ON processing_jobs (lease_until) WHERE status = 'running';

ALTER TABLE invoices ADD COLUMN file_sha256 TEXT;
CREATE UNIQUE INDEX invoices_owner_file_sha256 ON invoices (COALESCE(owner_id, ''), file_sha256)
    WHERE file_sha256 IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    concurrency   INTEGER NOT NULL,
    queue         TEXT NOT NULL,
    current_jobs  TEXT NOT NULL DEFAULT '[]',
    started_at    TEXT NOT NULL,
    last_seen     TEXT NOT NULL
);
