-- DoxIn core schema, PostgreSQL flavour: native uuid, timestamptz, numeric and jsonb.

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('user', 'admin')),
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    last_login_at  timestamptz
);

CREATE TABLE companies (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('vendor', 'customer')),
    name             text NOT NULL,
    normalized_name  text NOT NULL,
    vat_id           text,
    tax_number       text,
    country          text,
    address          jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX companies_kind_vat_id ON companies (kind, vat_id) WHERE vat_id IS NOT NULL;
CREATE INDEX companies_kind_name ON companies (kind, normalized_name);
CREATE INDEX companies_name_trgm ON companies USING gin (normalized_name gin_trgm_ops);

CREATE TABLE files (
    id             uuid PRIMARY KEY,
    owner_id       uuid REFERENCES users (id),
    sha256         text NOT NULL,
    size_bytes     bigint NOT NULL,
    mime_type      text NOT NULL,
    original_name  text NOT NULL,
    page_count     integer,
    created_at     timestamptz NOT NULL
);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_owner ON files (owner_id);

CREATE TABLE processing_jobs (
    id            uuid PRIMARY KEY,
    owner_id      uuid REFERENCES users (id),
    file_id       uuid REFERENCES files (id),
    kind          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage         text,
    progress      smallint NOT NULL DEFAULT 0,
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 3,
    error_code    text,
    error         text,
    payload       jsonb NOT NULL DEFAULT '{}',
    result        jsonb,
    invoice_id    uuid,
    request_id    text,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL,
    viewed_at     timestamptz
);
CREATE INDEX processing_jobs_owner_created ON processing_jobs (owner_id, created_at);
CREATE INDEX processing_jobs_status ON processing_jobs (status, created_at);

CREATE TABLE invoices (
    id              uuid PRIMARY KEY,
    owner_id        uuid REFERENCES users (id),
    file_id         uuid REFERENCES files (id),
    job_id          uuid REFERENCES processing_jobs (id),
    status          text NOT NULL CHECK (status IN ('needs_review', 'approved', 'rejected')),
    document_type   text NOT NULL,
    invoice_number  text,
    issue_date      date,
    due_date        date,
    currency        text,
    seller_name     text,
    seller_vat_id   text,
    buyer_name      text,
    vendor_id       uuid REFERENCES companies (id),
    customer_id     uuid REFERENCES companies (id),
    net_amount      numeric,
    tax_amount      numeric,
    gross_amount    numeric,
    payable_amount  numeric,
    confidence      real NOT NULL,
    duplicate_of    uuid REFERENCES invoices (id),
    data            jsonb NOT NULL,
    findings        jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);
CREATE INDEX invoices_owner_created ON invoices (owner_id, created_at);
CREATE INDEX invoices_seller_number ON invoices (seller_vat_id, invoice_number);
CREATE INDEX invoices_issue_date ON invoices (issue_date);
CREATE INDEX invoices_seller_trgm ON invoices USING gin (seller_name gin_trgm_ops);
-- One invoice per job, so a re-delivered job can never create a second invoice.
CREATE UNIQUE INDEX invoices_job ON invoices (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE invoice_lines (
    id           uuid PRIMARY KEY,
    invoice_id   uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    description  text,
    quantity     numeric,
    unit_code    text,
    unit_price   numeric,
    line_amount  numeric,
    vat_rate     numeric,
    UNIQUE (invoice_id, position)
);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     uuid,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text,
    before       jsonb,
    after        jsonb,
    ip           text,
    request_id   text
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
