-- DoxIn core schema, SQLite flavour. Ids are UUID text, timestamps RFC 3339 text (UTC),
-- amounts decimal text (SQLite has no exact decimal type), JSON as text.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    is_active      INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_login_at  TEXT
);

CREATE TABLE companies (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('vendor', 'customer')),
    name             TEXT NOT NULL,
    normalized_name  TEXT NOT NULL,
    vat_id           TEXT,
    tax_number       TEXT,
    country          TEXT,
    address          TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX companies_kind_vat_id ON companies (kind, vat_id) WHERE vat_id IS NOT NULL;
CREATE INDEX companies_kind_name ON companies (kind, normalized_name);

CREATE TABLE files (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT REFERENCES users (id),
    sha256         TEXT NOT NULL,
    size_bytes     INTEGER NOT NULL,
    mime_type      TEXT NOT NULL,
    original_name  TEXT NOT NULL,
    page_count     INTEGER,
    created_at     TEXT NOT NULL
);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_owner ON files (owner_id);

CREATE TABLE processing_jobs (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT REFERENCES users (id),
    file_id       TEXT REFERENCES files (id),
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage         TEXT,
    progress      INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 3,
    error_code    TEXT,
    error         TEXT,
    payload       TEXT NOT NULL DEFAULT '{}',
    result        TEXT,
    invoice_id    TEXT,
    request_id    TEXT,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL,
    viewed_at     TEXT
);
CREATE INDEX processing_jobs_owner_created ON processing_jobs (owner_id, created_at);
CREATE INDEX processing_jobs_status ON processing_jobs (status, created_at);

CREATE TABLE invoices (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT REFERENCES users (id),
    file_id         TEXT REFERENCES files (id),
    job_id          TEXT REFERENCES processing_jobs (id),
    status          TEXT NOT NULL CHECK (status IN ('needs_review', 'approved', 'rejected')),
    document_type   TEXT NOT NULL,
    invoice_number  TEXT,
    issue_date      TEXT,
    due_date        TEXT,
    currency        TEXT,
    seller_name     TEXT,
    seller_vat_id   TEXT,
    buyer_name      TEXT,
    vendor_id       TEXT REFERENCES companies (id),
    customer_id     TEXT REFERENCES companies (id),
    net_amount      TEXT,
    tax_amount      TEXT,
    gross_amount    TEXT,
    payable_amount  TEXT,
    confidence      REAL NOT NULL,
    duplicate_of    TEXT REFERENCES invoices (id),
    data            TEXT NOT NULL,
    findings        TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX invoices_owner_created ON invoices (owner_id, created_at);
CREATE INDEX invoices_seller_number ON invoices (seller_vat_id, invoice_number);
CREATE INDEX invoices_issue_date ON invoices (issue_date);
-- One invoice per job, so a re-delivered job can never create a second invoice.
CREATE UNIQUE INDEX invoices_job ON invoices (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE invoice_lines (
    id           TEXT PRIMARY KEY,
    invoice_id   TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    description  TEXT,
    quantity     TEXT,
    unit_code    TEXT,
    unit_price   TEXT,
    line_amount  TEXT,
    vat_rate     TEXT,
    UNIQUE (invoice_id, position)
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    before       TEXT,
    after        TEXT,
    ip           TEXT,
    request_id   TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
