-- The SQL job queue and worker heartbeats (issue 5).
-- A running job is leased to one worker until `lease_until`; a worker that dies lets the lease
-- expire and another worker takes the job over. `processing_jobs` stays the record of truth
-- for the Redis queue too: Redis only carries wake-ups.
ALTER TABLE processing_jobs
    ADD COLUMN lease_owner text,
    ADD COLUMN lease_until timestamptz;
CREATE INDEX processing_jobs_lease ON processing_jobs (lease_until) WHERE status = 'running';

-- The hash of the invoice's source file: the same bytes uploaded twice by one owner give one
-- invoice. The unique index makes that hold even when two workers save at the same moment.
ALTER TABLE invoices ADD COLUMN file_sha256 text;
CREATE UNIQUE INDEX invoices_owner_file_sha256 ON invoices
    (COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), file_sha256)
    WHERE file_sha256 IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE workers (
    id            text PRIMARY KEY,
    host          text NOT NULL,
    pid           integer NOT NULL,
    concurrency   integer NOT NULL,
    queue         text NOT NULL,
    current_jobs  jsonb NOT NULL DEFAULT '[]',
    started_at    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL
);
