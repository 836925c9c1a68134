-- Imports (issue 17): reference data from the earlier system's workbook, and natural keys so
-- that importing the same file again updates what changed and creates nothing twice.

-- Categories, subcategories, products, territories, salespersons and ship methods of a
-- workspace, keyed by the identifier the source gave them. One table for the six kinds: they
-- share their shape (a name, a parent, a few attributes) and are read together.
CREATE TABLE reference_data (
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('category', 'subcategory', 'product',
                                                 'territory', 'salesperson', 'ship_method')),
    external_id    text NOT NULL,
    name           text NOT NULL,
    -- subcategory -> category, product -> subcategory, salesperson -> territory.
    parent_id      text,
    -- Products: standard cost and list price in `currency`; the profit margin report reads
    -- the cost.
    unit_cost      numeric,
    list_price     numeric,
    currency       text,
    attributes     jsonb NOT NULL DEFAULT '{}',
    -- SHA-256 of the source row as imported: equal means nothing to update.
    content_hash   text NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, kind, external_id)
);
CREATE INDEX reference_data_product_name ON reference_data (workspace_id, lower(name))
    WHERE kind = 'product';

ALTER TABLE companies ADD COLUMN external_ref text;
ALTER TABLE companies ADD COLUMN import_hash text;
CREATE UNIQUE INDEX companies_workspace_kind_external_ref ON companies
    (workspace_id, kind, external_ref) WHERE external_ref IS NOT NULL;

-- An imported invoice's natural key (`sales-order:43659`, `csv:{seller}:{number}`) and the
-- hash of the rows it was made from.
ALTER TABLE invoices ADD COLUMN import_key text;
ALTER TABLE invoices ADD COLUMN import_hash text;
CREATE UNIQUE INDEX invoices_workspace_import_key ON invoices (workspace_id, import_key)
    WHERE import_key IS NOT NULL AND deleted_at IS NULL;
