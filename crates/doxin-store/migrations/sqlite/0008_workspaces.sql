-- Workspaces (issue 13). See the PostgreSQL migration 0009_workspaces.sql for the reasoning;
-- the steps are the same: each user's one-person workspace has the user's id, and every owned
-- row moves into its owner's workspace.

CREATE TABLE workspaces (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    approval_rules  TEXT NOT NULL DEFAULT '{}',
    created_by      TEXT REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE memberships (
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'clerk', 'approver', 'admin')),
    approval_limit  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, created_at);

CREATE TABLE invoice_approvals (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id),
    approver_id  TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (invoice_id, approver_id)
);

INSERT INTO workspaces (id, name, created_by, created_at, updated_at)
SELECT id, display_name, id, created_at, created_at FROM users;
INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at)
SELECT id, id, 'admin', created_at, created_at FROM users;

ALTER TABLE invoices ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
ALTER TABLE processing_jobs ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
ALTER TABLE files ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
ALTER TABLE companies ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
UPDATE invoices SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE processing_jobs SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE files SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE companies SET workspace_id = owner_id WHERE owner_id IS NOT NULL;

ALTER TABLE access_codes ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
ALTER TABLE access_codes ADD COLUMN role TEXT
    CHECK (role IS NULL OR role IN ('viewer', 'clerk', 'approver', 'admin'));
ALTER TABLE access_codes ADD COLUMN approval_limit TEXT;

DROP INDEX invoices_owner_file_sha256;
CREATE UNIQUE INDEX invoices_workspace_file_sha256 ON invoices
    (COALESCE(workspace_id, ''), file_sha256)
    WHERE file_sha256 IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX invoices_workspace_live_created ON invoices (workspace_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX invoices_workspace_status ON invoices (workspace_id, status) WHERE deleted_at IS NULL;
CREATE INDEX processing_jobs_workspace_created ON processing_jobs (workspace_id, created_at);
CREATE INDEX files_workspace ON files (workspace_id);

DROP INDEX companies_owner_kind_vat_id;
DROP INDEX companies_unowned_kind_vat_id;
DROP INDEX companies_owner_kind_name;
CREATE UNIQUE INDEX companies_workspace_kind_vat_id ON companies (workspace_id, kind, vat_id)
    WHERE vat_id IS NOT NULL AND workspace_id IS NOT NULL;
CREATE UNIQUE INDEX companies_nobody_kind_vat_id ON companies (kind, vat_id)
    WHERE vat_id IS NOT NULL AND workspace_id IS NULL;
CREATE INDEX companies_workspace_kind_name ON companies (workspace_id, kind, normalized_name);
