-- Filters of the invoice list that were sequential scans at 100,000 invoices (issue 16,
-- docs/benchmarks.md "The invoice API under load", run 2).
--
-- `vendor=` / `seller=` and `customer=` match `lower(name) LIKE '%…%'`: the trigram indexes of
-- 0002/0005 are on the names as written, which that expression cannot use.
CREATE INDEX IF NOT EXISTS invoices_seller_lower_trgm
    ON invoices USING gin (lower(seller_name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS invoices_buyer_lower_trgm
    ON invoices USING gin (lower(buyer_name) gin_trgm_ops);
-- Issue-date and amount ranges within a workspace (a user's list); an administrator's range
-- uses invoices_issue_date or these when the planner prefers.
CREATE INDEX IF NOT EXISTS invoices_workspace_issue_date
    ON invoices (workspace_id, issue_date) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS invoices_workspace_gross
    ON invoices (workspace_id, gross_amount) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS invoices_live_gross
    ON invoices (gross_amount) WHERE deleted_at IS NULL;
