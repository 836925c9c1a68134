-- Reports (issue 17). See the PostgreSQL migration 0011 for the reasoning.
CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    created_by    TEXT NOT NULL REFERENCES users (id),
    workspace_id  TEXT REFERENCES workspaces (id),
    title         TEXT NOT NULL,
    report_type   TEXT NOT NULL,
    parameters    TEXT NOT NULL DEFAULT '{}',
    formats       TEXT NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    error         TEXT,
    summary       TEXT,
    job_id        TEXT REFERENCES processing_jobs (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX reports_creator_created ON reports (created_by, created_at);
CREATE INDEX reports_created ON reports (created_at);

CREATE TABLE report_files (
    report_id     TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    format        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    filename      TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (report_id, format)
);

CREATE TABLE report_templates (
    id           TEXT PRIMARY KEY,
    created_by   TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    report_type  TEXT NOT NULL,
    parameters   TEXT NOT NULL DEFAULT '{}',
    formats      TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX report_templates_creator ON report_templates (created_by, created_at);
