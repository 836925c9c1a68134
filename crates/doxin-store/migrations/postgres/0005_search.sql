-- Search over invoices (issue 6): full text, fuzzy names and numbers, semantic vectors, and
-- the indexes the invoice list and the dashboard need at 100,000+ invoices.

-- The salesperson of the earlier system lives in the canonical JSON; a column makes it
-- filterable without parsing JSON per row.
ALTER TABLE invoices ADD COLUMN salesperson text
    GENERATED ALWAYS AS (data #>> '{legacy,salesperson,value}') STORED;

-- Full text. The 'simple' configuration (no stemming, no stop words) because invoices come in
-- every language. Punctuation becomes a space first, so "INV-2026-001" is found by "2026" and
-- "Müller-Bau" by "bau" (the default parser would index "-2026" and "müller-bau"). Weights:
-- number A, parties B, line descriptions C. A generated column follows every write of the
-- row, so the store cannot forget to maintain it; the lines are read from `data` (the same
-- lines `invoice_lines` holds), since a generated column cannot look at other tables.
ALTER TABLE invoices ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', regexp_replace(
        coalesce(invoice_number, ''), '[^[:alnum:]]+', ' ', 'g')), 'A') ||
    setweight(to_tsvector('simple', regexp_replace(
        coalesce(seller_name, '') || ' ' || coalesce(buyer_name, '') || ' ' ||
        coalesce(seller_vat_id, ''), '[^[:alnum:]]+', ' ', 'g')), 'B') ||
    setweight(to_tsvector('simple', regexp_replace(
        coalesce(jsonb_path_query_array(data, '$.lines[*].description.value')::text, ''),
        '[^[:alnum:]]+', ' ', 'g')), 'C')
) STORED;
CREATE INDEX invoices_search ON invoices USING gin (search);

-- Fuzzy matches (typos, partial numbers) on what people type most: numbers and names.
-- `invoices_seller_trgm` exists since 0002.
CREATE INDEX invoices_number_trgm ON invoices USING gin (invoice_number gin_trgm_ops);
CREATE INDEX invoices_buyer_trgm ON invoices USING gin (buyer_name gin_trgm_ops);

-- Semantic search: one vector per invoice, with the model that made it (vectors of different
-- models cannot be compared). 384 dimensions: all-MiniLM-L6-v2 and the hash embedder's
-- default. Cosine distance, HNSW (no training step, good recall while rows are added).
ALTER TABLE invoices
    ADD COLUMN embedding vector(384),
    ADD COLUMN embedding_model text;
CREATE INDEX invoices_embedding_hnsw ON invoices USING hnsw (embedding vector_cosine_ops);

-- The list: newest first, for one owner (users) or everybody (administrators), live rows
-- only. The id breaks ties so pages never overlap; both directions scan the same index.
CREATE INDEX invoices_owner_live_created ON invoices (owner_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX invoices_live_created ON invoices (created_at, id) WHERE deleted_at IS NULL;
-- Review queue and dashboard counts by status.
CREATE INDEX invoices_owner_status ON invoices (owner_id, status) WHERE deleted_at IS NULL;
CREATE INDEX invoices_status_created ON invoices (status, created_at) WHERE deleted_at IS NULL;
-- Company filters and invoice counts per company.
CREATE INDEX invoices_vendor ON invoices (vendor_id) WHERE vendor_id IS NOT NULL;
CREATE INDEX invoices_customer ON invoices (customer_id) WHERE customer_id IS NOT NULL;
