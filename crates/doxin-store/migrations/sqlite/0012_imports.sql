-- Imports (issue 17). See the PostgreSQL migration 0014 for the reasoning.
CREATE TABLE reference_data (
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('category', 'subcategory', 'product',
                                                 'territory', 'salesperson', 'ship_method')),
    external_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    parent_id      TEXT,
    unit_cost      TEXT,
    list_price     TEXT,
    currency       TEXT,
    attributes     TEXT NOT NULL DEFAULT '{}',
    content_hash   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, external_id)
);
CREATE INDEX reference_data_product_name ON reference_data (workspace_id, lower(name))
    WHERE kind = 'product';

ALTER TABLE companies ADD COLUMN external_ref TEXT;
ALTER TABLE companies ADD COLUMN import_hash TEXT;
CREATE UNIQUE INDEX companies_workspace_kind_external_ref ON companies
    (workspace_id, kind, external_ref) WHERE external_ref IS NOT NULL;

ALTER TABLE invoices ADD COLUMN import_key TEXT;
ALTER TABLE invoices ADD COLUMN import_hash TEXT;
CREATE UNIQUE INDEX invoices_workspace_import_key ON invoices (workspace_id, import_key)
    WHERE import_key IS NOT NULL AND deleted_at IS NULL;
