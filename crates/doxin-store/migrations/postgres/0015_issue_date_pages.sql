-- The newest page of an issue-date range (issue 16). Issue dates and upload times go together
-- (an invoice arrives days after it is issued), so walking the newest-first index until 50
-- rows of an older month turn up passes every invoice uploaded since: 50,000 index entries
-- for June 2025 at 100,000 invoices, and growing with the table. The list now picks the page
-- among the range's rows (see `page_after`), and these indexes hold what that needs — the
-- range, then the order — so the page is chosen from the index alone and only its 50 rows
-- are read from the table.
CREATE INDEX invoices_live_issue_created
    ON invoices (issue_date, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX invoices_workspace_issue_created
    ON invoices (workspace_id, issue_date, created_at, id) WHERE deleted_at IS NULL;
-- Its prefix: every query it served, the new one serves.
DROP INDEX IF EXISTS invoices_workspace_issue_date;
