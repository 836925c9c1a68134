-- Search over invoices (issue 6), SQLite flavour: an FTS5 index kept in sync by triggers,
-- vectors as little-endian f32 BLOBs compared in Rust (SQLite has no vector index), and the
-- list and dashboard indexes.

-- The salesperson of the earlier system, from the canonical JSON (see the PostgreSQL migration).
ALTER TABLE invoices ADD COLUMN salesperson TEXT
    GENERATED ALWAYS AS (json_extract(data, '$.legacy.salesperson.value')) VIRTUAL;

ALTER TABLE invoices ADD COLUMN embedding BLOB;
ALTER TABLE invoices ADD COLUMN embedding_model TEXT;

-- Full text: invoice number, parties, line descriptions. unicode61 splits at punctuation like
-- the PostgreSQL migration does, and folds diacritics. The invoice id joins back to
-- `invoices`; rows of deleted invoices stay (reads filter `deleted_at`).
CREATE VIRTUAL TABLE invoices_fts USING fts5 (
    invoice_id UNINDEXED,
    number,
    parties,
    lines,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO invoices_fts (invoice_id, number, parties, lines)
SELECT id, coalesce(invoice_number, ''),
       coalesce(seller_name, '') || ' ' || coalesce(buyer_name, '') || ' ' ||
       coalesce(seller_vat_id, ''),
       coalesce((SELECT group_concat(json_extract(l.value, '$.description.value'), ' ')
                 FROM json_each(invoices.data, '$.lines') AS l), '')
FROM invoices;

CREATE TRIGGER invoices_fts_insert AFTER INSERT ON invoices BEGIN
    INSERT INTO invoices_fts (invoice_id, number, parties, lines)
    VALUES (NEW.id, coalesce(NEW.invoice_number, ''),
            coalesce(NEW.seller_name, '') || ' ' || coalesce(NEW.buyer_name, '') || ' ' ||
            coalesce(NEW.seller_vat_id, ''),
            coalesce((SELECT group_concat(json_extract(l.value, '$.description.value'), ' ')
                      FROM json_each(NEW.data, '$.lines') AS l), ''));
END;

-- The indexed columns all derive from `data`; status changes (approve, reject) skip the work.
CREATE TRIGGER invoices_fts_update AFTER UPDATE OF data ON invoices
WHEN NEW.data IS NOT OLD.data BEGIN
    DELETE FROM invoices_fts WHERE invoice_id = OLD.id;
    INSERT INTO invoices_fts (invoice_id, number, parties, lines)
    VALUES (NEW.id, coalesce(NEW.invoice_number, ''),
            coalesce(NEW.seller_name, '') || ' ' || coalesce(NEW.buyer_name, '') || ' ' ||
            coalesce(NEW.seller_vat_id, ''),
            coalesce((SELECT group_concat(json_extract(l.value, '$.description.value'), ' ')
                      FROM json_each(NEW.data, '$.lines') AS l), ''));
END;

CREATE TRIGGER invoices_fts_delete AFTER DELETE ON invoices BEGIN
    DELETE FROM invoices_fts WHERE invoice_id = OLD.id;
END;

CREATE INDEX invoices_owner_live_created ON invoices (owner_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX invoices_live_created ON invoices (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX invoices_owner_status ON invoices (owner_id, status) WHERE deleted_at IS NULL;
CREATE INDEX invoices_vendor ON invoices (vendor_id) WHERE vendor_id IS NOT NULL;
CREATE INDEX invoices_customer ON invoices (customer_id) WHERE customer_id IS NOT NULL;
