-- Workspaces (issue 13): invoices, jobs, files and companies belong to a team, and users
-- belong to one or more teams with a role. Until now every object had one owner; that is the
-- special case of a one-person workspace, so each existing user gets a workspace whose id is
-- the user's own id (new users' first workspaces get the same rule), and every owned row moves
-- into its owner's workspace. `owner_id` stays on each row as who uploaded or created it (an
-- approval rule needs to know the uploader). Rows of nobody (no owner) stay without a
-- workspace: only system administrators see them, as before.

CREATE TABLE workspaces (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    -- The workspace's approval rules (doxin_model::review::ApprovalRules as JSON).
    approval_rules  jsonb NOT NULL DEFAULT '{}',
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE memberships (
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id),
    role            text NOT NULL CHECK (role IN ('viewer', 'clerk', 'approver', 'admin')),
    -- The largest gross amount this member may approve; NULL: no limit.
    approval_limit  numeric,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, created_at);

-- Approvals given to an invoice since it was last (re)opened: an invoice above a workspace's
-- threshold needs two different approvers. A second approval by the same person is the same
-- row (one decision).
CREATE TABLE invoice_approvals (
    invoice_id   uuid NOT NULL REFERENCES invoices (id),
    approver_id  uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (invoice_id, approver_id)
);

INSERT INTO workspaces (id, name, created_by, created_at, updated_at)
SELECT id, display_name, id, created_at, created_at FROM users;
INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at)
SELECT id, id, 'admin', created_at, created_at FROM users;

ALTER TABLE invoices ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
ALTER TABLE processing_jobs ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
ALTER TABLE files ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
ALTER TABLE companies ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
UPDATE invoices SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE processing_jobs SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE files SET workspace_id = owner_id WHERE owner_id IS NOT NULL;
UPDATE companies SET workspace_id = owner_id WHERE owner_id IS NOT NULL;

-- Invitations name the workspace and role they grant (NULL: a personal workspace, as before).
ALTER TABLE access_codes ADD COLUMN workspace_id uuid REFERENCES workspaces (id);
ALTER TABLE access_codes ADD COLUMN role text
    CHECK (role IS NULL OR role IN ('viewer', 'clerk', 'approver', 'admin'));
ALTER TABLE access_codes ADD COLUMN approval_limit numeric;

-- Uniqueness and the listing indexes move from the owner to the workspace.
DROP INDEX invoices_owner_file_sha256;
CREATE UNIQUE INDEX invoices_workspace_file_sha256 ON invoices
    (COALESCE(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid), file_sha256)
    WHERE deleted_at IS NULL AND file_sha256 IS NOT NULL;
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
