-- The newest page of an issue-date range: chosen among the range's rows from the index alone
-- (see the PostgreSQL migration 0015 and `page_after`).
CREATE INDEX invoices_live_issue_created
    ON invoices (issue_date, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX invoices_workspace_issue_created
    ON invoices (workspace_id, issue_date, created_at, id) WHERE deleted_at IS NULL;
